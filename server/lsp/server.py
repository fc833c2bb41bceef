"""The ptlint language server: the server object (state shared by the handlers,
settings resolution, analysis triggers, publishing) and its setup.

Handlers live in their own modules (lifecycle, sync, pull, hover, actions, inlay,
commands); :func:`create_server` wires them to pygls."""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Optional, Protocol, Union
from urllib.parse import unquote

from lsprotocol import types
from lsprotocol.types import ErrorCodes, ResponseError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.protocol.language_server import lsp_method

from ptlint import __version__
from ptlint.rules.config import Config, ConfigError, ConfigLoader

from . import diagnostics as diag_mod
from .documents import IPYNB, NOTEBOOK, PYTHON, Doc, notebook_code_cells, uri_to_path
from .positions import encoding_of
from .scheduler import Scheduler
from .settings import EditorSettings, parse_settings
from .worker import Job, Snapshot

log = logging.getLogger("ptlint.lsp")

MESSAGES = {
    "too_large": {
        "zh": "ptlint：{path} 太大（{size:.1f} MB，上限 {limit:.1f} MB），编辑时不做实时检查；可在终端运行 `ptlint check`，或调大 maxFileSize 设置。",
        "en": "ptlint: {path} is too large for live checking ({size:.1f} MB > {limit:.1f} MB); run `ptlint check` in a terminal or raise the maxFileSize setting.",
    },
    "config_error": {"zh": "ptlint 配置有误，已改用默认配置：{error}", "en": "ptlint configuration error, using defaults: {error}"},
    "settings": {"zh": "ptlint 设置有误：{error}", "en": "ptlint settings: {error}"},
}


_DROPPED = object()  # a message that could not be decoded and has been answered already


class PtlintProtocol(LanguageServerProtocol):
    """pygls 2.1 keeps the future of every notification handled through its built-in
    generator handlers (didOpen, didChange, ...) in ``_request_futures`` forever: about
    a kilobyte per keystroke. Forget each one once it is done.

    A request whose params do not validate (a negative line in a position) is dropped
    by pygls before its id is known to anyone, so the client waits for ever: answer it
    with InvalidParams here, and log (never pop up) whatever else fails to decode."""

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except Exception as exc:
            if not (isinstance(data, dict) and "jsonrpc" in data):
                raise
            detail = _first_line(exc.__cause__ or exc)
            method = data.get("method")
            if "id" in data and method is not None:
                self._send_response(data["id"], None, ResponseError(
                    code=ErrorCodes.InvalidParams, message=f"invalid params for {method}: {detail}"))
            log.warning("dropped an undecodable %s: %s", method or "message", detail)
            return _DROPPED

    def handle_message(self, message):
        if message is _DROPPED:
            return
        super().handle_message(message)

    # didChange naming a document (or a notebook cell) that was never opened: pygls
    # raises KeyError and shows "Error in server" to the user. It is the client's
    # mistake, and there is nothing to analyse: log it and go on.
    def _known(self, uri: str) -> bool:
        return unquote(uri) in self.workspace.text_documents

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if not self._known(params.text_document.uri):
            self._server.log_message(f"ptlint: ignored a change to {params.text_document.uri}, "
                                     "which was never opened", types.MessageType.Warning)
            return
        yield from super().lsp_text_document__did_change(params)

    @lsp_method(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def lsp_notebook_document__did_change(self, params: types.DidChangeNotebookDocumentParams):
        uri = params.notebook_document.uri
        if self.workspace.get_notebook_document(notebook_uri=uri) is None:
            self._server.log_message(f"ptlint: ignored a change to notebook {uri}, which was never opened",
                                     types.MessageType.Warning)
            return
        cells = params.change.cells
        if cells is not None:
            opened = {c.uri for c in ((cells.structure.did_open or []) if cells.structure else [])}
            if cells.structure is not None and cells.structure.did_close:
                cells.structure.did_close = [c for c in cells.structure.did_close if self._known(c.uri)]
            unknown = [t.document.uri for t in (cells.text_content or [])
                       if not self._known(t.document.uri) and t.document.uri not in opened]
            if unknown:
                self._server.log_message(f"ptlint: ignored changes to cells not in notebook {uri}: "
                                         f"{', '.join(unknown)}", types.MessageType.Warning)
                cells.text_content = [t for t in cells.text_content if t.document.uri not in unknown]
        yield from super().lsp_notebook_document__did_change(params)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args):
        # pygls cancels every pending request while iterating over _request_futures, and
        # cancelling one runs the done-callback below, which removes it: "dictionary changed
        # size during iteration" answered the shutdown of a restart. Let it iterate a copy.
        self._request_futures = dict(self._request_futures)
        return (yield from super().lsp_shutdown(*args))

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        super()._execute_handler(msg_id, handler, callback, args=args, kwargs=kwargs)
        futures = self._request_futures
        fut = futures.get(msg_id)
        if fut is None:
            return
        if fut.done():
            futures.pop(msg_id, None)
        else:
            fut.add_done_callback(lambda f, m=msg_id: futures.pop(m, None) if futures.get(m) is f else None)


class AnalysisListener(Protocol):
    """A part of the server that follows the analyses (the runtime probe): told of each
    current analysis before it is published, and of shutdown before the worker stops."""

    def analysed(self, doc: Doc, snap: Snapshot) -> None:
        """May replace ``snap.findings`` (e.g. with verdicts attached)."""

    def closing(self) -> None:
        """Release what it holds (worker processes)."""


class PtlintServer(LanguageServer):
    def __init__(self) -> None:
        # Kept by name: the fast start warms its caches up before the hand-over (warmup.py).
        self.converter = default_converter()
        super().__init__(
            "ptlint", __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[types.NotebookDocumentFilterWithNotebook(
                    notebook="*", cells=[types.NotebookCellLanguage(language="python")])],
                save=True,
            ),
            protocol_cls=PtlintProtocol,
            converter_factory=lambda: self.converter,
        )
        self.docs: dict[str, Doc] = {}
        self.generation = 0
        self.mode = "push"  # or "pull", decided at initialize from the client's capabilities
        self.diagnostic_support = diag_mod.ClientSupport(None)
        self._init_raw: Any = None
        self._pushed_raw: Any = None
        self._pulled_global: Any = None
        self._pulled_folders: dict[str, Any] = {}
        self.global_settings = EditorSettings()
        self.folder_settings: dict[str, EditorSettings] = {}
        # workspace/configuration asked with each open document's URI as scopeUri:
        # resource-scoped settings may differ per file (and a file outside every
        # workspace folder has no folder to inherit from).
        self._pulled_docs: dict[str, Any] = {}
        self.doc_settings: dict[str, EditorSettings] = {}
        self._loader = ConfigLoader()
        self._pyproject_stamps: dict[str, Optional[int]] = {}
        self._reported: set[tuple] = set()
        self.scheduler: Optional[Scheduler] = None
        from .dependents import Dependents

        self.dependents = Dependents(self)  # open documents -> the project files they read
        # False between initialize and the answer to the first workspace/configuration:
        # analysing with settings about to change would flash wrong diagnostics.
        self.ready = True
        self.tcp = False  # serving one TCP client (``--tcp``) rather than stdio
        self.listeners: list[AnalysisListener] = []

    def add_listener(self, listener: AnalysisListener) -> None:
        self.listeners.append(listener)

    # ------------------------------------------------------------------ transport
    def start_io(self, stdin=None, stdout=None) -> None:
        """pygls' stdio loop, with a frame reader that survives broken headers."""
        import sys
        import threading

        from pygls.io_ import StdinAsyncReader, StdoutWriter

        from .framing import serve

        self._stop_event = threading.Event()
        reader = StdinAsyncReader(stdin or sys.stdin.buffer, self.thread_pool)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(serve(self._stop_event, reader, self.protocol, on_bad_frame=self._bad_frame))
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def _bad_frame(self, message: str) -> None:
        self.log_message(f"ptlint: {message}", types.MessageType.Warning)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls turns a failing notification handler into an "Error in server" popup;
        a didChange for a document never opened is the client's mistake and must not
        interrupt the user: write it to the log instead."""
        text = f"{type(error).__name__}: {error}"
        if isinstance(error, KeyError):
            text = f"a notification named a document or cell that is not open: {error}"
        log.warning("ptlint: %s", text)
        self.log_message(f"ptlint: {text}", types.MessageType.Warning)

    # ------------------------------------------------------------------ helpers
    @property
    def position_encoding(self) -> str:
        return encoding_of(self)

    def lang_for(self, uri: str) -> str:
        doc = self.doc_for(uri)
        if doc is not None and doc.snapshot is not None:
            return doc.snapshot.lang
        s = self.settings_for(uri)
        if s.lang:
            return s.lang
        return self.file_config(uri_to_path(uri), uri).lang

    def text_document(self, uri: str):
        """pygls' copy of an open text document (it keys them by the unquoted URI)."""
        docs = self.workspace.text_documents
        return docs.get(uri) or docs.get(unquote(uri))

    def text_of(self, uri: str) -> str:
        doc = self.text_document(uri)
        return doc.source if doc is not None else ""

    def doc_for(self, uri: str) -> Optional[Doc]:
        """The tracked document a URI belongs to (a cell URI gives its notebook)."""
        doc = self.docs.get(uri)
        if doc is not None:
            return doc
        nb = self.workspace.get_notebook_document(cell_uri=uri)
        if nb is not None:
            return self.docs.get(nb.uri)
        return None

    def cell_index(self, doc: Doc, uri: str) -> Optional[int]:
        """Engine cell number (1-based) of a cell URI in the document's last analysis."""
        if doc.kind != NOTEBOOK or doc.snapshot is None:
            return None
        try:
            return doc.snapshot.cells.index(uri) + 1
        except ValueError:
            return None

    def log_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:
            log.exception("window/logMessage failed")

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:
            log.exception("window/showMessage failed")

    def _once(self, key: tuple) -> bool:
        if key in self._reported:
            return False
        self._reported.add(key)
        return True

    # ------------------------------------------------------------------ settings
    def settings_for(self, uri: str) -> EditorSettings:
        if self.doc_settings:
            own = self.doc_settings.get(uri)
            if own is None:
                doc = self.doc_for(uri)  # a notebook cell: its notebook's scope
                own = self.doc_settings.get(doc.uri) if doc is not None else None
            if own is not None:
                return own
        return self.folder_settings_for(uri)

    def folder_settings_for(self, uri: str) -> EditorSettings:
        if not self.folder_settings:
            return self.global_settings
        path = uri_to_path(uri)
        best, best_len = self.global_settings, -1
        for folder_uri, settings in self.folder_settings.items():
            root = uri_to_path(folder_uri).rstrip("/")
            if (path == root or path.startswith(root + "/")) and len(root) > best_len:
                best, best_len = settings, len(root)
        return best

    def recompute_settings(self) -> None:
        problems: list[str] = []
        settings = EditorSettings()
        for raw in (self._init_raw, self._pushed_raw, self._pulled_global):
            if raw is not None:
                settings, p = parse_settings(raw, settings)
                problems += p
        folders = {}
        for uri, raw in self._pulled_folders.items():
            if raw is not None:
                folders[uri], p = parse_settings(raw, settings)
                problems += p
        self.global_settings, self.folder_settings = settings, folders
        docs = {}
        for uri, raw in self._pulled_docs.items():
            if raw is not None:
                docs[uri], p = parse_settings(raw, self.folder_settings_for(uri))
                problems += p
        self.doc_settings = docs
        for p in dict.fromkeys(problems):
            self.log_message(f"ptlint: {p}", types.MessageType.Warning)
            if self._once(("settings", p)):
                self.show_message(MESSAGES["settings"][settings.lang or "zh"].format(error=p))

    def file_config(self, path: str, uri: str) -> Config:
        """[tool.ptlint] for a file on disk (defaults for unsaved buffers); a broken
        pyproject.toml is reported once and replaced by the defaults."""
        if not uri.startswith("file:"):
            return Config()
        try:
            cfg = self._loader.for_path(path)
        except ConfigError as exc:
            msg = str(exc)
            self.log_message(f"ptlint: {msg}", types.MessageType.Error)
            if self._once(("config", msg)):
                lang = self.settings_for(uri).lang or "zh"
                self.show_message(MESSAGES["config_error"][lang].format(error=msg), types.MessageType.Error)
            return Config()
        if cfg.source and cfg.source not in self._pyproject_stamps:
            self._pyproject_stamps[cfg.source] = _mtime(cfg.source)
        return cfg

    def config_for(self, doc: Doc) -> Config:
        return self.settings_for(doc.uri).config_for(self.file_config(doc.path, doc.uri))

    def _pyproject_changed(self) -> bool:
        """Clients without file watching (Neovim) still get fresh config: every analysis
        checks that the pyproject.toml files in use have not changed since they were read."""
        for path, stamp in self._pyproject_stamps.items():
            if _mtime(path) != stamp:
                return True
        return False

    def invalidate_config(self, relint: bool = True) -> None:
        self._loader = ConfigLoader()
        self._pyproject_stamps.clear()
        self._reported = {k for k in self._reported if k[0] != "config"}
        self.generation += 1
        if relint:
            self.relint_all()

    def relint_all(self) -> None:
        if self.scheduler is None:
            return
        for doc in list(self.docs.values()):
            self.scheduler.touch(doc, 0)
        self.refresh_client_views()

    def refresh_client_views(self) -> None:
        """Ask the client to pull again what it pulls (diagnostics, inlay hints)."""
        caps = self.client_capabilities.workspace if self.client_capabilities else None
        if caps is None:
            return
        if self.mode == "pull" and caps.diagnostics and caps.diagnostics.refresh_support:
            self._fire(self.workspace_diagnostic_refresh_async(None))
        if caps.inlay_hint and caps.inlay_hint.refresh_support:
            self._fire(self.workspace_inlay_hint_refresh_async(None))

    @staticmethod
    def _fire(coro) -> None:
        async def run():
            try:
                await coro
            except Exception as exc:  # the client may not implement it after all
                log.info("refresh request failed: %s", exc)

        asyncio.ensure_future(run())

    # ------------------------------------------------------------------ analysis
    def make_job(self, doc: Doc) -> Union[Job, Snapshot, None]:
        if self._pyproject_changed():
            self.invalidate_config(relint=False)
            for other in self.docs.values():
                if other is not doc and self.scheduler is not None:
                    self.scheduler.touch(other, 0)
        settings = self.settings_for(doc.uri)
        config = self.config_for(doc)
        gen = self.generation
        if doc.uri.startswith("file:") and config.root and _under(doc.path, config.root) \
                and config.is_excluded(doc.path, **_parents_kw()):
            return Snapshot(doc.uri, doc.version, gen, skipped=True, not_analysed="excluded", lang=config.lang)
        if doc.kind == NOTEBOOK:
            nb = self.workspace.get_notebook_document(notebook_uri=doc.uri)
            if nb is None:
                return None
            cells = notebook_code_cells(self, nb)
            size = sum(len(t) for _, t in cells)
            if size > settings.max_file_size:
                return self._too_large(doc, size, settings, config)
            return Job(doc.uri, doc.version, gen, doc.path, NOTEBOOK, config,
                       cells=tuple(t for _, t in cells), cell_uris=tuple(u for u, _ in cells))
        text = self.text_of(doc.uri)
        size = len(text)
        if size > settings.max_file_size or (4 * size > settings.max_file_size
                                             and len(text.encode("utf-8", "surrogatepass")) > settings.max_file_size):
            return self._too_large(doc, len(text.encode("utf-8", "surrogatepass")), settings, config)
        return Job(doc.uri, doc.version, gen, doc.path, doc.kind, config, text=text,
                   project_texts=self.dependents.open_texts(doc))

    def _too_large(self, doc: Doc, size: int, settings: EditorSettings, config: Config) -> Snapshot:
        msg = MESSAGES["too_large"][config.lang].format(
            path=os.path.basename(doc.path) or doc.uri, size=size / 1e6, limit=settings.max_file_size / 1e6)
        return Snapshot(doc.uri, doc.version, self.generation, not_analysed=msg, lang=config.lang)

    def on_analysis(self, doc: Doc, snap: Snapshot) -> None:
        """A current analysis arrived: report problems, publish diagnostics (push)."""
        self.dependents.analysed(doc, snap)
        for listener in self.listeners:
            try:
                listener.analysed(doc, snap)
            except Exception:  # a listener's bug must not cost the user their diagnostics
                log.exception("an analysis listener failed on %s", doc.path)
        for code, error, tb in snap.rule_errors:
            key = ("rule", doc.uri, code, error)
            if self._once(key):
                what = "shape facts" if code == "shapes" else f"rule {code}"
                self.log_message(
                    f"ptlint: {what} failed on {doc.path}; its findings for this document were dropped: "
                    f"{error}\n{tb}", types.MessageType.Error)
        if snap.crash:
            self.log_message(f"ptlint: analysis of {doc.path} failed: {snap.crash}", types.MessageType.Error)
        if snap.error and self._once(("error", doc.uri, snap.error)):
            self.log_message(f"ptlint: {doc.path}: {snap.error}", types.MessageType.Info)
        if snap.not_analysed and snap.not_analysed != "excluded" and self._once(("large", doc.uri)):
            self.log_message(snap.not_analysed, types.MessageType.Info)
            self.show_message(snap.not_analysed, types.MessageType.Info)
        if self.pushes_to(doc):
            self.publish(doc, snap)

    def pushes_to(self, doc: Doc) -> bool:
        """Push clients get every publish; pull clients only a notebook's cells, until
        they show that they pull those too (then pushing as well would double them)."""
        return self.mode == "push" or (doc.kind == NOTEBOOK and not doc.cells_pulled)

    def publish(self, doc: Doc, snap: Snapshot) -> None:
        by_uri = diag_mod.diagnostics_by_uri(self, doc, snap)
        for uri in doc.published - set(by_uri):
            by_uri[uri] = []
        for uri, diags in by_uri.items():
            if not diags and uri not in doc.published and doc.kind == NOTEBOOK:
                continue  # never had any: nothing to clear
            version = snap.version if doc.kind != NOTEBOOK else None  # cells have their own versions
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version))
            if diags:
                doc.published.add(uri)
            else:
                doc.published.discard(uri)

    def clear(self, doc: Doc, uris) -> None:
        if not self.pushes_to(doc):
            return
        for uri in uris:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # ------------------------------------------------------------------ lint triggers
    def delay_for(self, doc: Doc) -> float:
        ms = self.settings_for(doc.uri).debounce_ms
        return 0.0 if ms is None else ms / 1000.0

    def opened(self, doc: Doc) -> None:
        old = self.docs.get(doc.uri)
        if old is not None and self.scheduler is not None:
            self.scheduler.forget(old)
        self.docs[doc.uri] = doc
        from .lifecycle import wants_document_configuration

        if wants_document_configuration(self):
            doc.settings_pending = True
            asyncio.ensure_future(self._settle_document_settings(doc))
        if self.scheduler is not None:
            self.scheduler.touch(doc, 0)

    async def _settle_document_settings(self, doc: Doc) -> None:
        from .lifecycle import pull_document_configuration

        try:
            await pull_document_configuration(self, doc.uri)
        finally:
            doc.settings_pending = False
            if self.scheduler is not None and not doc.closed:
                self.scheduler.touch(doc, 0)

    def changed(self, uri: str, version: Optional[int]) -> None:
        doc = self.docs.get(uri)
        if doc is None:
            return
        doc.version = version if version is not None else doc.version + 1
        if self.scheduler is not None and self.settings_for(uri).lint_on_change:
            self.scheduler.touch(doc, self.delay_for(doc))
        self.dependents.changed(uri, self.delay_for(doc))

    def saved(self, uri: str) -> None:
        self.dependents.changed(uri, 0.0)
        doc = self.docs.get(uri)
        if doc is None or self.scheduler is None:
            return
        if self.settings_for(uri).lint_on_save:
            self.scheduler.touch(doc, 0)

    def closed(self, uri: str, cell_uris=()) -> None:
        doc = self.docs.pop(uri, None)
        if doc is None:
            return
        if self.scheduler is not None:
            self.scheduler.forget(doc)
        self.dependents.closed(uri, doc.path)
        targets = set(doc.published) | set(cell_uris)
        if doc.kind != NOTEBOOK:
            targets.add(uri)
        self.clear(doc, targets)
        self._reported = {k for k in self._reported if not (len(k) > 1 and k[1] == uri)}
        if self._pulled_docs.pop(uri, None) is not None:
            self.doc_settings.pop(uri, None)

    def make_ready(self) -> None:
        if not self.ready:
            self.ready = True
            if self.scheduler is not None:
                self.scheduler.release()

    def shutdown_worker(self) -> None:
        try:
            for listener in self.listeners:
                try:
                    listener.closing()
                except Exception:
                    log.exception("an analysis listener failed while shutting down")
        finally:
            if self.scheduler is not None:
                self.scheduler.close()


def _first_line(exc: BaseException) -> str:
    """The useful part of a cattrs validation error: its innermost message."""
    while True:
        inner = getattr(exc, "exceptions", None)
        if not inner:
            break
        exc = inner[0]
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _mtime(path: str) -> Optional[int]:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _under(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(root)]) == os.path.abspath(root)
    except ValueError:
        return False


def _parents_kw() -> dict[str, Any]:
    """``Config.is_excluded`` grew a ``parents`` flag (an open file is tested with its
    folders, like an explicitly named file); older cores lack it."""
    import inspect

    try:
        if "parents" in inspect.signature(Config.is_excluded).parameters:
            return {"parents": True}
    except (TypeError, ValueError):
        pass
    return {}


# ---------------------------------------------------------------------- wiring
def create_server() -> PtlintServer:
    from . import actions, commands, hover, inlay, lifecycle, sync

    server = PtlintServer()
    lifecycle.register(server)
    sync.register(server)

    hover.register(server)
    actions.register(server)
    inlay.register(server)
    commands.register(server)
    try:
        from .probe import register_probe  # the runtime probe's own module, when installed
    except ImportError:
        pass
    else:
        try:
            register_probe(server)
        except Exception:
            log.exception("registering the runtime probe failed; the server runs without it")
    return server


__all__ = ["AnalysisListener", "PtlintServer", "create_server", "IPYNB", "PYTHON", "NOTEBOOK"]
