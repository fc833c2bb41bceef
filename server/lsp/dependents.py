"""Which open documents depend on which project files, so that an edit of models/blocks.py
re-checks the open train.py whose findings came from it (issue 13).

Each analysis reports the other project files it read (``Snapshot.deps``: path ->
digest of what it saw). When one of them changes (typed in, saved, closed, or changed on
disk: didChangeWatchedFiles), the documents that read it are analysed again; the
analysis gets the editor's text of every open file it read, not the disk's.

The settings generation is bumped before such a re-check: an analysis of the same text
is then never answered from the previous one (the incremental path compares
generations), and a result computed against the old file is never accepted.

The worker side (:func:`project_for`) imports neither pygls nor lsprotocol."""
from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Optional

from ptlint.rules.project_digest import text_digest

if TYPE_CHECKING:
    from ptlint.rules.project import ProjectIndex

    from .documents import Doc
    from .server import PtlintServer
    from .worker import Job, Snapshot

log = logging.getLogger("ptlint.lsp")

PYTHON_KIND = "python"


def real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def project_for(job: "Job") -> Optional["ProjectIndex"]:
    """The project of a job's file, reading the open buffers it was given (worker side)."""
    if job.kind != PYTHON_KIND:
        return None
    from ptlint.rules.project import ProjectIndex

    texts = dict(job.project_texts)
    return ProjectIndex.for_file(job.path, job.config.root, read_text=texts.get if texts else None)


class Dependents:
    """The server's map of open document -> project files it read (an AnalysisListener)."""

    def __init__(self, server: "PtlintServer") -> None:
        self.server = server
        self.deps: dict[str, dict[str, str]] = {}  # document URI -> {path: digest seen}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._rechecked: dict[str, tuple[int, int]] = {}  # URI -> (version, generation) re-run once

    # ------------------------------------------------------------------ analyses
    def analysed(self, doc: "Doc", snap: "Snapshot") -> None:
        if snap.crash or snap.error or snap.not_analysed:
            return
        deps = getattr(snap, "deps", None) or {}
        if deps or not getattr(snap, "incremental", False):  # an incremental step keeps the last list
            self.deps[doc.uri] = dict(deps)
        # The analysis read a file from disk that is open with other text (it started
        # before that buffer was known to matter): once more, with the buffer.
        stale = any(self._open_digest(path) not in (None, digest) for path, digest in self.deps.get(doc.uri, {}).items())
        mark = (snap.version, snap.generation)
        if stale and self._rechecked.get(doc.uri) != mark and self.server.scheduler is not None:
            self._rechecked[doc.uri] = mark
            self.server.scheduler.touch(doc, 0)

    def closing(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # ------------------------------------------------------------------ jobs
    def open_texts(self, doc: "Doc") -> tuple[tuple[str, str], ...]:
        """(path, text) of each open document that ``doc``'s last analysis read."""
        out = []
        for path in self.deps.get(doc.uri, {}):
            other = self._open_doc(path)
            if other is not None and other is not doc:
                out.append((path, self.server.text_of(other.uri)))
        return tuple(out)

    def _open_doc(self, path: str) -> Optional["Doc"]:
        for d in self.server.docs.values():
            if d.kind == PYTHON_KIND and not d.closed and real(d.path) == path:
                return d
        return None

    def _open_digest(self, path: str) -> Optional[str]:
        d = self._open_doc(path)
        return text_digest(self.server.text_of(d.uri)) if d is not None else None

    # ------------------------------------------------------------------ triggers
    def changed(self, uri: str, delay_s: float) -> None:
        """An open document changed or was saved: re-check its dependents after ``delay_s``."""
        doc = self.server.docs.get(uri)
        if doc is not None:
            self.files_changed([doc.path], delay_s)

    def closed(self, uri: str, path: str) -> None:
        """Closing a buffer puts the disk's text back in its place."""
        self.deps.pop(uri, None)
        self._rechecked.pop(uri, None)
        self.files_changed([path], 0.0)

    def files_changed(self, paths: list[str], delay_s: float = 0.0) -> None:
        changed = {real(p) for p in paths}
        if not any(changed & set(d) for d in self.deps.values()):
            return
        key = "|".join(sorted(changed))
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._recheck(changed, key)
        self._timers[key] = loop.call_later(max(delay_s, 0.0), self._recheck, changed, key)

    def _recheck(self, changed: set[str], key: str) -> None:
        self._timers.pop(key, None)
        scheduler = self.server.scheduler
        targets = [d for d in self.server.docs.values()
                   if not d.closed and changed & set(self.deps.get(d.uri, {})) and real(d.path) not in changed]
        if not targets or scheduler is None:
            return
        log.info("ptlint: %s changed; re-checking %s", ", ".join(sorted(changed)),
                 ", ".join(os.path.basename(d.path) for d in targets))
        # An analysis running now (the changed file's own) would come back with the old
        # generation and be dropped: touching it makes the scheduler run it once more.
        running = [d for d in self.server.docs.values() if d.running and d not in targets]
        self.server.generation += 1
        for d in targets + running:
            scheduler.touch(d, 0)
        # Documents not touched now are analysed again when next asked (pull, hover).
        self.server.refresh_client_views()
