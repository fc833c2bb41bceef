"""The language server's first second on stdio: answer ``initialize`` and publish the
first Python file's diagnostics before pygls and lsprotocol are imported, then hand the
stream to pygls.

Importing pygls and lsprotocol takes 0.5 s on a quiet machine (seconds on a busy one),
and until now the client waited for it before its first ``didOpen`` could even be read.
Here the main thread reads the framed JSON itself while a thread imports pygls. It
answers ``initialize`` only when :func:`initialize_result` is sure to give pygls's answer,
and analyses the first opened Python file in the worker that :func:`worker.prestart`
started, with settings and config worked out exactly as the server would (else it
stays silent). A file analysed before with the same text, config and code is answered
from the results cache at once (server/lsp/result_cache.py), before the worker has even
imported libcst; the analysis still runs, and what it finds replaces that answer where
it differs. Whatever is unusual (notebooks, pull diagnostics, settings that differ
per folder, a broken frame, any error here) turns the fast path off: messages are then
only kept for pygls.

The hand-over replays to pygls every byte read so far (``initialize`` included, so that
its state is right), minus the client's answers to this module's own requests, then the
rest of stdin: nothing is lost or reordered. pygls's own answer to ``initialize`` and a
repeat of a publish already made (same URI, version and diagnostics) are not sent twice."""
from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import select
import sys
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO, Optional

from ptlint import __version__
from ptlint.rules.config import Config, ConfigError, ConfigLoader

from . import diagnostics as diag_mod
from .documents import PYTHON, kind_for, uri_to_path
from .framing import parse_length
from .positions import UTF8, UTF16, UTF32, LineIndex
from .settings import EditorSettings, parse_settings
from .worker import DEFAULT_TIMEOUT_S, CancelToken, Job, Snapshot, prestarted

log = logging.getLogger("ptlint.lsp")

CONFIG_REQUEST_ID = "ptlint-start-configuration"

# What pygls answers for the features server/lsp/server.py registers (push diagnostics):
# tests/lsp/test_fast_start.py compares it with pygls's real answer for recorded clients.
COMMANDS = ["ptlint.explain", "ptlint.searchDocs", "ptlint.fixAll", "ptlint.runProbe"]
NOTEBOOK_SYNC = {"notebookSelector": [{"notebook": "*", "cells": [{"language": "python"}]}], "save": True}


def initialize_result(params: Any) -> Optional[dict]:
    """The ``InitializeResult`` JSON pygls gives for these ``initialize`` params, or None
    where it could differ (pull diagnostics, the runtime probe missing, odd params)."""
    if not isinstance(params, dict) or not isinstance(params.get("capabilities"), dict):
        return None
    caps = params["capabilities"]
    text_document = _dict(caps.get("textDocument"))
    if text_document is None:
        return None
    settings = settings_from([params.get("initializationOptions")])
    if settings is None or settings.diagnostic_mode == "pull" \
            or (settings.diagnostic_mode == "auto" and text_document.get("diagnostic") is not None):
        return None  # the initialize handler registers pull diagnostics
    if importlib.util.find_spec("ptlint.runtime_probe") is None:
        return None  # no code lens nor probe command then
    encoding = position_encoding(caps)
    if encoding is None:
        return None
    sync: dict[str, Any] = {"openClose": True, "change": 2}
    synchronization = _dict(text_document.get("synchronization"))
    if synchronization is None:
        return None
    # pygls: ``client's will_save and feature registered``: False once the client says anything.
    for key in ("willSave", "willSaveWaitUntil"):
        if synchronization.get(key) is not None:
            sync[key] = False
    sync["save"] = {"includeText": False}
    capabilities: dict[str, Any] = {
        "positionEncoding": encoding,
        "textDocumentSync": sync,
    }
    if caps.get("notebookDocument") is not None:
        capabilities["notebookDocumentSync"] = NOTEBOOK_SYNC
    capabilities.update({
        "hoverProvider": True,
        "codeActionProvider": {"codeActionKinds": ["quickfix", "source.fixAll.ptlint"], "resolveProvider": False},
        "codeLensProvider": {"resolveProvider": False},
        "executeCommandProvider": {"commands": list(COMMANDS)},
        "inlayHintProvider": {"resolveProvider": False},
        "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True}, "fileOperations": {}},
    })
    return {"capabilities": capabilities, "serverInfo": {"name": "ptlint", "version": __version__}}


def position_encoding(caps: dict) -> Optional[str]:
    """pygls's choice: the client's first encoding it supports, else UTF-16 (None: odd input)."""
    general = caps.get("general")
    if general is None:
        return UTF16
    if not isinstance(general, dict):
        return None
    offered = general.get("positionEncodings")
    if offered is None:
        return UTF16
    if not isinstance(offered, list):
        return None
    return next((e for e in offered if e in (UTF8, UTF16, UTF32)), UTF16)


def settings_from(raws: list[Any]) -> Optional[EditorSettings]:
    """Editor settings from these raw sections in order (None entries skipped); None when
    any has a problem (the server reports those, and its path then decides)."""
    settings = EditorSettings()
    for raw in raws:
        if raw is not None:
            settings, problems = parse_settings(raw, settings)
            if problems:
                return None
    return settings


def _dict(value: Any) -> Optional[dict]:
    if value is None:
        return {}
    return value if isinstance(value, dict) else None


# ---------------------------------------------------------------------- the byte stream
@dataclass
class Frame:
    start: int  # the frame's bytes in Intake.data
    end: int
    message: Any


class Intake:
    """Everything read from stdin so far, cut into frames; ``broken`` once something is
    not a plain frame (then pygls's own reader, which survives anything, must see it)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = bytearray()
        self.pos = 0
        self.broken = False
        self.eof = False

    def fill(self) -> None:
        chunk = os.read(self.fd, 1 << 16)
        if chunk:
            self.data += chunk
        else:
            self.eof = True

    def available(self) -> bool:
        return bool(select.select([self.fd], [], [], 0)[0])

    def frames(self) -> list[Frame]:
        out = []
        while not self.broken:
            header_end = self.data.find(b"\r\n\r\n", self.pos)
            if header_end < 0:
                break
            length = None
            for line in bytes(self.data[self.pos:header_end]).split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = parse_length(value)
            if length is None:
                self.broken = True
                break
            body = header_end + 4
            if len(self.data) < body + length:
                break
            try:
                message = json.loads(bytes(self.data[body:body + length]))
            except ValueError:
                self.broken = True
                break
            out.append(Frame(self.pos, body + length, message))
            self.pos = body + length
        return out


class ReplayReader(io.RawIOBase):
    """stdin as pygls reads it after the hand-over: the kept bytes, then the file."""

    def __init__(self, prefix: bytes, fd: int) -> None:
        super().__init__()
        self.prefix = memoryview(prefix)
        self.fd = fd

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.prefix:
            n = min(len(buffer), len(self.prefix))
            buffer[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        chunk = os.read(self.fd, len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


class HandoverWriter:
    """stdout as pygls writes it (one whole frame a write): drops its answer to the
    ``initialize`` already answered, and a publish the client already has."""

    def __init__(self, out: BinaryIO, init_id: Any, init_result: Optional[dict],
                 published: dict[str, tuple[int, list]]) -> None:
        self.out = out
        self.init_id = init_id
        self.init_result = init_result
        self.published = published

    def write(self, data: bytes) -> None:
        if (self.init_id is not None or self.published) and self._repeat(data):
            return
        self.out.write(data)

    def _repeat(self, data: bytes) -> bool:
        try:
            message = json.loads(data[data.index(b"\r\n\r\n") + 4:])
        except ValueError:
            return False
        if not isinstance(message, dict):
            return False
        if self.init_id is not None and message.get("id") == self.init_id and "method" not in message:
            self.init_id = None
            if message.get("result") != self.init_result:
                log.error("fast start: pygls's initialize answer differs from the one sent: %s",
                          json.dumps(message)[:2000])
            return True
        params = message.get("params")
        if message.get("method") == "textDocument/publishDiagnostics" and isinstance(params, dict):
            sent = self.published.pop(params.get("uri"), None)
            return sent is not None and sent == (params.get("version"), params.get("diagnostics"))
        return False

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.out.close()


# ---------------------------------------------------------------------- the fast path
@dataclass
class Opened:
    uri: str
    version: int
    text: str


class Bootstrap:
    def __init__(self, fd: int, out: BinaryIO) -> None:
        self.intake = Intake(fd)
        self.out = out
        self.fast = True  # False: only keep the bytes for pygls
        self.init_id: Any = None
        self.init_result: Optional[dict] = None
        self.params: dict = {}
        self.opened_any = False
        self.pending: Optional[Opened] = None  # the first document, waiting for its settings
        self.dropped: list[tuple[int, int]] = []  # frames pygls must not see (answers to us)
        self.published: dict[str, tuple[int, list]] = {}
        self.pygls_ready = threading.Event()
        self.server: Any = None  # the PtlintServer made by the import thread, None: make it later
        self.analysing = False  # the main thread waits for the worker's first analysis
        self._wake_read, self._wake_write = os.pipe()

    # -------------------------------------------------------------- loop
    def run(self) -> tuple[BinaryIO, HandoverWriter]:
        """Serve until pygls is imported (or stdin ends); the streams pygls goes on with."""
        try:
            threading.Thread(target=self._import_pygls, name="ptlint-import-pygls", daemon=True).start()
        except RuntimeError:  # no thread to spare: import here, having read nothing yet
            self._import_pygls(background=False)
        try:
            while not self.pygls_ready.is_set() and not self.intake.eof:
                readable = select.select([self.intake.fd, self._wake_read], [], [])[0]
                if self.intake.fd in readable:
                    self.intake.fill()
                    self._handle_frames()
        except Exception:  # never fatal: pygls reads on from what was kept
            log.exception("fast start failed; the server goes on normally")
        self.pygls_ready.wait()
        log.debug("fast start: handing over to pygls (fast path %s)", "on" if self.fast else "off")
        os.close(self._wake_read)
        os.close(self._wake_write)
        return self.streams()

    def streams(self) -> tuple[BinaryIO, HandoverWriter]:
        kept, start = bytearray(), 0
        for begin, end in self.dropped:
            kept += self.intake.data[start:begin]
            start = end
        kept += self.intake.data[start:]
        stdin = io.BufferedReader(ReplayReader(bytes(kept), self.intake.fd))
        return stdin, HandoverWriter(self.out, self.init_id, self.init_result, self.published)

    def _import_pygls(self, background: bool = True) -> None:
        try:
            # First what unpickling the first snapshot needs (libcst, for its import table),
            # so that the main thread finds it loaded when the worker answers.
            import ptlint.rules.names  # noqa: F401

            if background:
                _yield_cpu()
            from . import warmup
            from .server import create_server

            # While the main thread waits for the first analysis, build the server and teach
            # its converter the session's messages: done after the hand-over, that delays
            # the first keystroke by ~250 ms. Once the main thread is idle it does it
            # itself, faster than this niced thread.
            if self.analysing:
                server = create_server()
                warmup.warm(server.converter, self.params or None, self.init_result,
                            keep_going=lambda: self.analysing)
                self.server = server
        except BaseException:  # main() creates the server again and reports the error
            log.exception("importing the language server failed")
        finally:
            os.write(self._wake_write, b"!")  # before the event: the loop closes the pipe after it
            self.pygls_ready.set()

    def _handle_frames(self) -> None:
        for frame in self.intake.frames():
            try:
                self._handle(frame)
            except Exception:
                log.exception("fast start: handling a message failed; leaving the rest to pygls")
                self.fast = False
                self.pending = None
        if self.intake.broken:
            self.fast = False
            self.pending = None

    def _handle(self, frame: Frame) -> None:
        msg = frame.message
        if not isinstance(msg, dict):
            self.fast = False
            return
        method = msg.get("method")
        if method is None:
            if msg.get("id") == CONFIG_REQUEST_ID:
                self.dropped.append((frame.start, frame.end))
                self._configured(msg.get("result"))
            return
        if not self.fast:
            return
        if method == "initialize" and self.init_id is None and "id" in msg:
            self._initialize(msg)
        elif self.init_result is None or method in ("initialize", "shutdown", "exit") \
                or method.startswith(("notebookDocument/", "workspace/")):
            self.fast = False  # settings, folders or notebooks change: leave it all to pygls
            self.pending = None
        elif method == "textDocument/didOpen":
            self._opened(msg.get("params"))
        elif method.startswith("textDocument/did") and self.pending is not None:
            params = msg.get("params")
            td = params.get("textDocument") if isinstance(params, dict) else None
            if isinstance(td, dict) and td.get("uri") == self.pending.uri:
                self.pending = None  # a newer version (or closed): pygls analyses what is current

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        self.out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.out.flush()

    # -------------------------------------------------------------- messages
    def _initialize(self, msg: dict) -> None:
        result = initialize_result(msg.get("params"))
        if result is None:
            self.fast = False
            return
        self.params = msg["params"]
        self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
        self.init_id, self.init_result = msg["id"], result
        log.debug("fast start: answered initialize")
        try:
            # While the client reads the answer and opens its first file: what reading the
            # results cache needs (~20 ms of imports, no libcst).
            from . import result_cache  # noqa: F401
            from ptlint.server import cache, runner  # noqa: F401
        except Exception:
            log.debug("fast start: importing the results cache failed", exc_info=True)

    def _opened(self, params: Any) -> None:
        if self.opened_any:
            return  # later documents may read the first one: the server's dependents decide
        self.opened_any = True
        td = params.get("textDocument") if isinstance(params, dict) else None
        if not isinstance(td, dict):
            return
        uri, version, text = td.get("uri"), td.get("version"), td.get("text")
        if not (isinstance(uri, str) and isinstance(version, int) and not isinstance(version, bool)
                and isinstance(text, str)):
            return
        if kind_for(uri, td.get("languageId")) != PYTHON or not uri.startswith(("file:", "untitled:")):
            return
        self.pending = Opened(uri, version, text)
        workspace = _dict(self.params["capabilities"].get("workspace")) or {}
        if not workspace.get("configuration"):
            self._analyse(settings_from([self.params.get("initializationOptions")]))
            return
        # One request for what the server asks in two (the folders at `initialized`, the
        # document when it opens); only an answer that is the same for all is used.
        folders = self.params.get("workspaceFolders") or []
        items = [{"section": "ptlint"}]
        items += [{"scopeUri": f["uri"], "section": "ptlint"} for f in folders
                  if isinstance(f, dict) and isinstance(f.get("uri"), str)]
        items.append({"scopeUri": uri, "section": "ptlint"})
        self._send({"jsonrpc": "2.0", "id": CONFIG_REQUEST_ID, "method": "workspace/configuration",
                    "params": {"items": items}})

    def _configured(self, result: Any) -> None:
        if self.pending is None or not self.fast or not isinstance(result, list) or not result:
            self.pending = None
            return
        section = result[0]
        if any(r is not None and r != section for r in result[1:]):
            self.pending = None  # settings per folder or file: the server's own resolution decides
            return
        self._analyse(settings_from([self.params.get("initializationOptions"), section]))

    def _analyse(self, settings: Optional[EditorSettings]) -> None:
        doc, backend = self.pending, prestarted()
        if doc is None or settings is None or backend is None or settings.worker != "process" \
                or 4 * len(doc.text) > settings.max_file_size:
            self.pending = None
            return
        path = uri_to_path(doc.uri)
        try:
            found = ConfigLoader().for_path(path) if doc.uri.startswith("file:") else Config()
        except ConfigError:
            self.pending = None  # the server reports it
            return
        config = settings.config_for(found)
        if config.root and config.is_excluded(path, parents=True):
            self.pending = None
            return
        if doc.uri.startswith("file:"):
            self._publish_cached(doc, path, config, settings)
        job = Job(doc.uri, doc.version, 0, path, PYTHON, config, text=doc.text)
        log.debug("fast start: analysing %s v%d", doc.uri, doc.version)
        self.analysing = True
        try:
            snap = backend.call(job, CancelToken(), settings.analysis_timeout_s or DEFAULT_TIMEOUT_S, index=False)
        finally:
            self.analysing = False
        # What arrived meanwhile: a newer version or a change of settings cancels the publish.
        while self.intake.available() and not self.intake.eof:
            self.intake.fill()
            self._handle_frames()
        if self.pending is not doc or not self.fast:
            return
        self.pending = None
        if snap is None or snap.crash or snap.error or snap.rule_errors or snap.not_analysed or snap.timed_out:
            log.debug("fast start: %s v%d left to the server", doc.uri, doc.version)
            return  # the server logs and reports these
        if self._publish(doc, snap, settings):
            log.debug("fast start: published %s v%d (analysed in %.0f ms)", doc.uri, doc.version, snap.elapsed_ms)
        else:
            log.debug("fast start: the analysis of %s v%d agrees with the cached diagnostics", doc.uri, doc.version)

    def _publish_cached(self, doc: Opened, path: str, config: Config, settings: EditorSettings) -> None:
        """Publish the results cache's findings for this very text at once (the worker is
        still importing libcst and the rules); the analysis that follows corrects them."""
        try:
            from . import result_cache

            cached = result_cache.lookup(path, doc.text, config)
            if cached is None:
                log.debug("fast start: no cached results for %s v%d", doc.uri, doc.version)
                return
            snap = Snapshot(doc.uri, doc.version, 0, findings=cached.findings, skipped=cached.skipped,
                            notices=cached.notices, lang=config.lang)
            self._publish(doc, snap, settings)
        except Exception:  # the analysis answers anyway
            log.debug("fast start: reading the results cache failed", exc_info=True)
            return
        log.debug("fast start: published %s v%d from the results cache", doc.uri, doc.version)

    def _publish(self, doc: Opened, snap: Snapshot, settings: EditorSettings) -> bool:
        """Send the snapshot's diagnostics of each target URI unless the client has exactly
        these already; whether anything was sent."""
        encoding = position_encoding(self.params["capabilities"]) or UTF16
        lines = LineIndex(doc.text, encoding)
        by_uri = diag_mod.snapshot_json(snap, doc.uri, PYTHON, diag_mod.ClientSupport(self.params["capabilities"]),
                                        settings.rule_docs_url, lambda uri: lines)
        sent = False
        for uri, diagnostics in by_uri.items():
            if self.published.get(uri) == (doc.version, diagnostics):
                continue
            self._send({"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
                        "params": {"uri": uri, "diagnostics": diagnostics, "version": doc.version}})
            self.published[uri] = (doc.version, diagnostics)
            sent = True
        return sent


# The nice value of the thread importing pygls: the first diagnostics wait for the worker
# (its imports, the analysis), not for pygls any more, so on a busy machine the worker and
# the main thread go first. Linux gives each thread its own nice value.
IMPORT_NICENESS = 10


def _yield_cpu() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), IMPORT_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: just slower first diagnostics
        pass


def start() -> tuple[Optional[BinaryIO], Optional[HandoverWriter], Any]:
    """Run the fast path on this process's stdio; the streams pygls must use after it
    ((None, None): plain stdio, where the fast path cannot run) and the server made
    meanwhile (None: the caller makes it)."""
    if os.name != "posix" or os.environ.get("PTLINT_FAST_START") == "0":
        return None, None, None
    try:
        fd = sys.stdin.fileno()
        out = sys.stdout.buffer
    except (AttributeError, OSError, ValueError):
        return None, None, None
    try:
        boot = Bootstrap(fd, out)
    except OSError:  # no pipe to wake the loop with: nothing read yet, plain stdio then
        log.exception("fast start unavailable")
        return None, None, None
    stdin, stdout = boot.run()
    return stdin, stdout, boot.server
