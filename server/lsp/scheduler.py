"""Debounced, version-checked analysis scheduling.

Rules of the game, all enforced on the event loop's thread (so no locks):

- an edit (re)starts the document's debounce timer; when it fires, one analysis of
  the *current* text is started;
- at most one analysis per document runs at a time; edits during it mark the
  document for one more run when it ends (1,000 quick edits cost a handful of runs);
- a result is accepted only if the document still has the version (and the settings
  generation) it was computed for and is still open: analysis of an old version is
  never published over a newer one, nor for a closed document;
- a request that needs the current analysis (hover, pull diagnostics, code actions)
  skips the remaining debounce and waits for it, without blocking the loop.
"""
from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Optional, Union

from . import snapview
from .documents import PYTHON, Doc
from .worker import DEFAULT_TIMEOUT_S, CancelToken, Job, Snapshot, make_backend

if TYPE_CHECKING:
    from .server import PtlintServer

log = logging.getLogger("ptlint.lsp")


def _timeout_from_env() -> float:
    """PTLINT_LSP_ANALYSIS_TIMEOUT (seconds) overrides the limit, for debugging and tests."""
    try:
        value = float(os.environ.get("PTLINT_LSP_ANALYSIS_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


class Scheduler:
    def __init__(self, server: "PtlintServer", worker: str = "process") -> None:
        self.server = server
        self.backend = make_backend(worker)
        # One analysis at a time: the machine's cores are shared with the editor, and a
        # process backend has one worker anyway.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ptlint-analysis")
        self.timeout = _timeout_from_env()
        self.runs = 0  # analyses started (for tests and the benchmark)
        self.held: set[str] = set()  # documents opened before the settings arrived
        self.closed = False

    def start(self) -> None:
        """Warm the backend up (start the worker, import the rules) in the background."""
        self.executor.submit(self._safe_start)

    def _safe_start(self) -> None:
        try:
            self.backend.start()
        except Exception:  # the first job will try again and report
            log.exception("starting the analysis worker failed")

    def close(self) -> None:
        self.closed = True
        try:
            self.backend.close()
        finally:
            self.executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ triggers
    def touch(self, doc: Doc, delay_s: float) -> None:
        """The document changed (or must be re-checked): analyse it after ``delay_s``."""
        if doc.closed:
            return
        if doc.token is not None:
            doc.token.cancelled = True  # a queued run of the old text is skipped; a started one finishes
        if doc.timer is not None:
            doc.timer.cancel()
            doc.timer = None
        if delay_s <= 0:
            self._start(doc)
        else:
            doc.timer = asyncio.get_running_loop().call_later(delay_s, self._start, doc)

    def forget(self, doc: Doc) -> None:
        """The document closed: stop its timer, drop whatever is still computing."""
        doc.closed = True
        if doc.timer is not None:
            doc.timer.cancel()
            doc.timer = None
        if doc.token is not None:
            doc.token.cancelled = True
        for fut in doc.waiters:
            if not fut.done():
                fut.set_result(None)
        doc.waiters.clear()

    async def current(self, doc: Doc, timeout: float = 10.0) -> Optional[Snapshot]:
        """The analysis of the document's current version, starting it now if it is
        only scheduled; None if the document closed or it took longer than ``timeout``."""
        if doc.is_current(self.server.generation):
            return doc.snapshot
        if doc.closed:
            return None
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        doc.waiters.append(fut)
        if doc.timer is not None or not doc.running:
            if doc.timer is not None:
                doc.timer.cancel()
                doc.timer = None
            self._start(doc)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            return None
        finally:
            if fut in doc.waiters:
                doc.waiters.remove(fut)

    def release(self) -> None:
        """The settings are in: analyse what was opened meanwhile."""
        held, self.held = self.held, set()
        for uri in held:
            doc = self.server.docs.get(uri)
            if doc is not None:
                self._start(doc)

    # ------------------------------------------------------------------ running
    def _start(self, doc: Doc) -> None:
        doc.timer = None
        if doc.closed or self.closed:
            return
        if doc.settings_pending:
            return  # analysed when its workspace/configuration answer arrives
        if not self.server.ready:
            self.held.add(doc.uri)  # the client's settings are not in yet: analyse once they are
            return
        if doc.running:
            doc.rerun = True
            return
        try:
            job: Union[Job, Snapshot, None] = self.server.make_job(doc)
        except Exception as exc:  # never let a bad document take the loop down
            log.exception("preparing the analysis of %s failed", doc.uri)
            job = Snapshot(doc.uri, doc.version, self.server.generation, crash=f"{type(exc).__name__}: {exc}")
        if job is None:
            return
        if isinstance(job, Snapshot):
            self._accept(doc, job)
            return
        doc.running = True
        token = CancelToken()
        doc.token = token
        self.runs += 1
        asyncio.ensure_future(self._run(doc, job, token))

    async def _run(self, doc: Doc, job: Job, token: CancelToken) -> None:
        loop = asyncio.get_running_loop()
        try:
            timeout = self.server.settings_for(doc.uri).analysis_timeout_s or self.timeout
            snap = await loop.run_in_executor(self.executor, self.backend.call, job, token, timeout)
        except Exception as exc:
            snap = None if self.closed else Snapshot(  # closed: shutting down, nobody to tell
                job.uri, job.version, job.generation, crash=f"{type(exc).__name__}: {exc}")
        finally:
            doc.running = False
        if snap is not None:
            self._accept(doc, snap, job.text if job.kind == PYTHON else None)
        if doc.closed:
            return
        if doc.rerun:
            doc.rerun = False
            self._start(doc)
        elif doc.waiters and doc.timer is None and not doc.is_current(self.server.generation):
            self._start(doc)  # someone waits for a version this run was too old for

    def _accept(self, doc: Doc, snap: Snapshot, text: Optional[str] = None) -> None:
        if doc.closed or snap.version != doc.version or snap.generation != self.server.generation:
            return  # stale: a newer version or newer settings are on their way
        doc.snapshot = snap
        snapview.accepted(doc, snap, text)
        if snap.imports is not None:
            doc.last_imports = snap.imports
        try:
            self.server.on_analysis(doc, snap)
        except Exception:
            log.exception("publishing the analysis of %s failed", doc.uri)
        for fut in doc.waiters:
            if not fut.done():
                fut.set_result(snap)
