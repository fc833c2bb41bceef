"""Analysis off the main loop.

A :class:`Job` is a frozen copy of one document version (text or notebook cells +
the engine config); :func:`analyse` runs the same engine call as the CLI
(``lint_source(..., keep_context=True)``) and boils the kept context down to a
picklable :class:`Snapshot`: findings, the import table (for hover on API names) and
shape facts (hover, inlay hints).

Two backends run it. The default runs it in a separate worker process: libcst's
native parser holds the GIL for the whole parse (over 100 ms for a few thousand
lines), which would freeze hover if analysis ran in a thread of the server process;
a process also lets the server kill an analysis that runs away and survive one that
crashes. The thread backend (setting ``"worker": "thread"``) runs it in a thread of
the server process, for environments where starting a process is not allowed.

Whichever backend runs it, :func:`analyse` remembers the last clean analysis of each
document and analyses a new version incrementally when it can (``rules/incremental.py``:
only the top-level statements an edit can have changed, the other results moved);
``PTLINT_INCREMENTAL_CHECK=1`` compares every incremental result with a full analysis
and logs (and replaces) any that differs.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from ptlint.rules.config import Config
from ptlint.rules.findings import Finding, Position, Range

from .shapes import ShapeFact, shape_facts

log = logging.getLogger("ptlint.lsp")

# An analysis running longer than this is killed (process backend) and reported.
DEFAULT_TIMEOUT_S = 60.0
# Starting a worker (a Python process importing the rule catalog) is not part of any
# analysis' budget: on a busy machine it alone can take seconds. It gets this long.
STARTUP_TIMEOUT_S = 120.0
READY = "ptlint-worker-ready"
# How long a new worker waits for a job that was waiting for it before it warms up alone.
FIRST_JOB_WAIT_S = 0.1


@dataclass(frozen=True)
class Job:
    uri: str
    version: int
    generation: int  # bumped on every settings / pyproject change
    path: str
    kind: str  # "python" | "notebook" (cells from notebookDocument sync) | "ipynb" (JSON text)
    config: Config
    text: str = ""
    cells: tuple[str, ...] = ()  # kind == "notebook": the code cells' texts, in order
    cell_uris: tuple[str, ...] = ()  # and their URIs (finding.cell N is cell_uris[N - 1])
    shapes: bool = True
    # The token of this document's shape facts the server already holds (0: none): the
    # worker then sends only the facts that changed (see ShapeDelta).
    shapes_base: int = 0
    # (path, text) of open documents the file's last analysis read (server/lsp/dependents.py)
    project_texts: tuple[tuple[str, str], ...] = ()


@dataclass
class Snapshot:
    """What the server keeps of one analysed version."""

    uri: str
    version: int
    generation: int
    findings: list[Finding] = field(default_factory=list)
    rule_errors: list[tuple[str, str, str]] = field(default_factory=list)  # (code, error, traceback)
    imports: Any = None  # ptlint.rules.names.ImportTable of the last parse, None if it failed
    shapes: list[ShapeFact] = field(default_factory=list)
    skipped: bool = False  # mentions nothing the rules are about
    error: Optional[str] = None  # input that cannot be analysed (broken notebook JSON, binary)
    error_range: Optional[Range] = None  # where, when the input has a place for it
    crash: Optional[str] = None  # our failure: worker died, timeout, unexpected exception
    elapsed_ms: float = 0.0
    not_analysed: Optional[str] = None  # skipped on purpose (too large)
    notices: list[Any] = field(default_factory=list)  # rules/notices.py Notice: parts left unchecked (limits, cells)
    timed_out: float = 0.0  # > 0: the analysis ran past this many seconds and was stopped
    cells: tuple[str, ...] = ()  # notebook: the cell URIs the findings' cell numbers refer to
    lang: str = "zh"
    deps: dict[str, str] = field(default_factory=dict)  # other project files read: path -> digest
    incremental: bool = False  # computed from the previous version's analysis (rules/incremental.py)
    shapes_token: int = 0  # names this list of shape facts for the next job's ``shapes_base``

    @property
    def result_id(self) -> str:
        return f"{self.version}.{self.generation}"


def _cell_units(cells: tuple[str, ...], path: str):
    """Notebook cells -> source units, through the same code the CLI uses for .ipynb
    files (magics masked, %%bash cells skipped), so positions agree."""
    from ptlint.rules.source import SourceFile, notebook_units

    nb = {"cells": [{"cell_type": "code", "source": text} for text in cells]}
    return SourceFile(path, notebook_units(nb, path), kind="notebook", notebook=nb)


def _json_error(text: str) -> Optional[tuple[str, Range]]:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        pos = Position(exc.lineno, max(exc.colno - 1, 0))
        return exc.msg, Range(pos, Position(pos.line, pos.column + 1))
    except (RecursionError, ValueError):
        return "nested too deeply", Range(Position(1, 0), Position(1, 1))
    return None


def analyse(job: Job) -> Snapshot:
    """Run the engine on one job. Never raises: every failure becomes part of the
    snapshot so the server can say what happened."""
    from ptlint.rules.engine import lint_source
    from ptlint.rules.source import SourceError, SourceFile, SourceUnit, detect_newline, source_from_text

    t0 = time.perf_counter()
    snap = Snapshot(job.uri, job.version, job.generation, cells=job.cell_uris, lang=job.config.lang)
    try:
        text = job.text
        if job.kind == "notebook":
            cells = tuple(_clean(c) for c in job.cells)
            if any("\x00" in c for c in cells):
                snap.error = "binary content (NUL bytes), not checked"
                return snap
            source = _cell_units(cells, job.path)
        else:
            text = _clean(text)
            if "\x00" in text:
                snap.error = "binary content (NUL bytes), not checked"
                return snap
            if job.kind == "ipynb":
                bad = _json_error(text)
                if bad is not None:
                    snap.error = f"broken notebook: invalid JSON ({bad[0]})"
                    snap.error_range = bad[1]
                    return snap
                source = source_from_text(text, job.path, notebook=True)
            else:
                if _incremental(job, text, snap):
                    return snap
                source = SourceFile(job.path, [SourceUnit(text)], newline=detect_newline(text))
        from .dependents import project_for

        result = lint_source(source, job.config, keep_context=True, project=project_for(job))
        snap.deps = dict(result.deps)
        snap.findings = result.findings
        snap.rule_errors = [(e.code, e.error, e.traceback) for e in result.rule_errors]
        snap.skipped = result.skipped
        snap.notices = list(result.notices)
        ctx = result.context
        if ctx is not None:
            snap.imports = ctx.imports
            if job.shapes:
                try:
                    snap.shapes = shape_facts(ctx)
                except Exception as exc:  # shapes are a bonus: never lose the findings
                    snap.rule_errors.append(("shapes", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        if job.kind == "python":
            _remember(job, text, result, snap)
    except SourceError as exc:
        snap.error = exc.text(job.config.lang)
    except MemoryError:
        snap.crash = "out of memory while analysing"
    except Exception as exc:
        snap.crash = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    finally:
        snap.elapsed_ms = (time.perf_counter() - t0) * 1000
    return snap


# ---------------------------------------------------------------------- incremental analysis
# Documents remembered per worker (the editor's open files; the oldest is forgotten).
MAX_REMEMBERED = 16


@dataclass
class _Memory:
    """The last clean analysis of one document, and what it was computed with."""

    path: str
    generation: int
    config: Config
    shapes_on: bool
    state: Any  # ptlint.rules.incremental.State
    shapes: list[ShapeFact]


_memory: "OrderedDict[str, _Memory]" = OrderedDict()
_memory_lock = threading.Lock()  # the thread backend may analyse from more than one thread


def _remember(job: Job, text: str, result, snap: Snapshot) -> None:
    from ptlint.rules import incremental

    # A version that cannot be a starting point (broken syntax while typing) leaves the
    # last clean one in place: the next version is compared with that.
    with _memory_lock:
        old = _memory.get(job.uri)
    if snap.crash or any(code == "shapes" for code, _, _ in snap.rule_errors):
        return
    cache = old.state.cache if old is not None and old.path == job.path else None
    try:
        state = incremental.start(text, result, cache)
    except Exception:  # never let the bookkeeping cost the user an analysis
        log.exception("incremental: splitting %s failed", job.path)
        return
    if state is None:
        return
    with _memory_lock:
        _memory[job.uri] = _Memory(job.path, job.generation, job.config, job.shapes, state, list(snap.shapes))
        while len(_memory) > MAX_REMEMBERED:
            _memory.popitem(last=False)


def _incremental(job: Job, text: str, snap: Snapshot) -> bool:
    """Fill ``snap`` from the previous analysis of the document when only part of it
    needs analysing; False: the caller runs a full analysis."""
    from ptlint.rules import incremental
    from ptlint.rules.source import detect_newline

    with _memory_lock:
        mem = _memory.get(job.uri)
    if mem is None or mem.path != job.path or mem.generation != job.generation or mem.config != job.config \
            or mem.shapes_on != job.shapes:
        return False
    try:
        from .dependents import project_for

        step = incremental.reanalyse(mem.state, text, job.path, job.config, detect_newline(text),
                                     project=project_for(job))
        if step is None:
            return False
        shapes: list[ShapeFact] = []
        if job.shapes:
            moved = step.keep(mem.shapes, _fact_line, _move_fact, shape_facts(step.result.context))
            if moved is None:
                return False
            shapes = moved
    except Exception:  # a bug here must never cost the user an analysis: do it in full
        log.exception("incremental analysis of %s failed; analysing it in full", job.path)
        return False
    snap.findings = step.findings
    snap.shapes = shapes
    snap.imports = step.result.context.imports
    snap.deps = dict(step.deps)  # the open dependents' map must keep following these files
    snap.incremental = True
    if os.environ.get("PTLINT_INCREMENTAL_CHECK") == "1" and not _agrees_with_full(job, text, snap):
        return False
    with _memory_lock:
        mem.state = incremental.advance(mem.state, step)
        mem.shapes = list(shapes)
        _memory.move_to_end(job.uri)
    return True


def _fact_line(fact: ShapeFact) -> int:
    return fact.range.start.line


def _move_fact(fact: ShapeFact, move) -> ShapeFact:
    from ptlint.rules.incremental import relocate_position, relocate_range

    return replace(fact, range=relocate_range(fact.range, move),
                   inlay=relocate_position(fact.inlay, move) if fact.inlay is not None else None)


def _agrees_with_full(job: Job, text: str, snap: Snapshot) -> bool:
    """The self-check: the incremental result must equal a from-scratch analysis."""
    from ptlint.rules.engine import lint_source
    from ptlint.rules.incremental import finding_key
    from ptlint.rules.source import SourceFile, SourceUnit, detect_newline

    result = lint_source(SourceFile(job.path, [SourceUnit(text)], newline=detect_newline(text)), job.config,
                         keep_context=True)
    same = sorted(result.findings, key=finding_key) == sorted(snap.findings, key=finding_key)
    if same and job.shapes and result.context is not None:
        full = shape_facts(result.context)
        same = sorted(map(repr, full)) == sorted(map(repr, snap.shapes))
    if not same:
        log.error("incremental analysis of %s v%s differs from a full analysis", job.path, job.version)
    return same


def _clean(text: str) -> str:
    """Lone surrogates (possible in JSON text from a client) cannot be encoded for the
    parser; replacing each with U+FFFD keeps every column where it was."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


class CancelToken:
    """Set when the job's document changed again or closed: skip it if not started."""

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False


# ---------------------------------------------------------------------- backends
class ThreadBackend:
    name = "thread"

    def start(self) -> None:
        from ptlint.rules.rule import all_rules

        all_rules()  # import the catalog before the first keystroke needs it

    def call(self, job: Job, token: CancelToken, timeout: float = DEFAULT_TIMEOUT_S) -> Optional[Snapshot]:
        if token.cancelled:
            return None
        return _indexed(analyse(job))

    def close(self) -> None:
        pass

    def pids(self) -> list[int]:
        return []


def _indexed(snap: Snapshot) -> Snapshot:
    """Index the shape facts for hover and inlay hints here, in the analysis thread,
    rather than on the event loop at the first request after the snapshot arrives
    (several milliseconds for a 5,000-line file's 4,000 facts, added to that hover)."""
    if snap.shapes:
        from . import snapview

        try:
            snapview.shape_index(snap.shapes)
        except Exception:  # the request builds it again and reports what fails
            log.exception("indexing the shape facts of %s failed", snap.uri)
    return snap


def _worker_main(conn, server_end=None) -> None:  # pragma: no cover - runs in the child process
    if server_end is not None:
        server_end.close()  # forked: only the server may hold its end (see ProcessBackend._spawn)
    # stdout is the LSP channel of the parent: nothing in here may ever write to it.
    try:
        os.dup2(2, 1)
    except OSError:
        pass
    sys.stdout = sys.stderr
    import gc

    # No collection while importing: libcst and the catalog create tens of thousands of
    # objects that are never garbage (~20 ms of collections). The IdleCollector below keeps
    # it off and freezes them after the first answer.
    gc.disable()
    from . import result_cache

    result_cache.worker_started()  # before the imports: the code these answers come from
    from ptlint.rules.rule import all_rules

    all_rules()
    conn.send(READY)
    # A job the server had waiting (the editor's first file) follows READY at once, and is
    # the better warm-up: it pays the first analysis' one-time costs itself instead of
    # queueing behind a made-up file. Only when none comes is the made-up file analysed.
    if not conn.poll(FIRST_JOB_WAIT_S):
        _warm_up()
    from ptlint.server.gc_policy import IdleCollector

    collector = IdleCollector()
    collector.start()
    while True:
        try:
            collector.wait(conn.poll)
            job = conn.recv()
        except (EOFError, OSError):
            break
        if job is None:
            break
        snap = analyse(job)
        try:
            _send_without_gc(conn, snap, job.shapes_base)
        except Exception as exc:  # e.g. a rule put something unpicklable in extra
            for i, f in enumerate(snap.findings):
                snap.findings[i] = _without_extra(f)
            try:
                conn.send(snap)
            except Exception:
                conn.send(Snapshot(job.uri, job.version, job.generation, crash=f"cannot send result: {exc}"))
        result_cache.store(job, snap)  # after the answer; only a file opened or saved (text == disk)
        collector.job_done()  # after the answer: the first one's freeze must not delay it


# Analysed once when the worker starts. The first analysis in a fresh process imports the
# engine's analyses (flow, shapes, the project index) and fills their caches: 1.4 s for a
# 50-line file here, against 80 ms for the next one. Done before the worker says it is
# ready to read jobs, it overlaps the server's own imports (pygls, lsprotocol: seconds on a
# busy machine) instead of delaying the first diagnostics after them.
_WARM_UP_TEXT = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 5)
        self.fc = nn.Linear(6 * 24 * 24, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        return F.softmax(self.fc(torch.flatten(x, 1)), dim=1)


out = Net()(torch.randn(4, 1, 28, 28))
"""
_WARM_UP_URI = "ptlint-warm-up:model.py"


def _warm_up() -> None:  # pragma: no cover - runs in the child process
    import tempfile

    path = os.path.join(tempfile.gettempdir(), "ptlint-warm-up-no-such-dir", "model.py")
    try:
        analyse(Job(_WARM_UP_URI, 1, 0, path, "python", Config(), text=_WARM_UP_TEXT))
    except Exception:  # analyse never raises; a warm-up must not stop the worker either way
        log.exception("warming the analysis worker up failed")
    with _memory_lock:
        _memory.pop(_WARM_UP_URI, None)


def _without_extra(f: Finding) -> Finding:
    from dataclasses import replace

    return replace(f, extra={})


class ProcessBackend:
    """One long-lived worker process, jobs sent over a pipe one at a time."""

    name = "process"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc = None
        self._conn = None
        self._ready = False
        self.restarts = 0
        self._shapes: "OrderedDict[str, tuple[int, list[ShapeFact]]]" = OrderedDict()  # uri -> (token, facts)

    def _spawn(self, fork: bool = False) -> None:
        # spawn: a fresh interpreter, safe whatever threads this process runs; fork only
        # for the first worker of a server that has no thread yet (see prestart).
        ctx = multiprocessing.get_context("fork" if fork else "spawn")
        parent, child = ctx.Pipe()
        # a forked child holds a copy of the server's end too, which it must close: else the
        # pipe never reads EOF there and the worker outlives a server killed by its editor
        proc = ctx.Process(target=_worker_main, args=(child, parent if fork else None), daemon=True,
                           name="ptlint-lsp-worker")
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        self._ready = False

    def _wait_ready(self) -> bool:
        """Wait for the new worker's hello (its imports done), outside any job's timeout."""
        if self._ready:
            return True
        try:
            msg = self._conn.recv() if self._conn.poll(STARTUP_TIMEOUT_S) else None
        except (EOFError, OSError):
            msg = None
        self._ready = msg == READY
        return self._ready

    def start(self, fork: bool = False) -> None:
        with self._lock:
            if self._proc is None or not self._proc.is_alive():
                self._spawn(fork)

    def _kill(self) -> None:
        self._shapes.clear()  # a new worker has sent nothing yet
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        self.restarts += 1
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
        if proc is not None:
            proc.kill()
            proc.join(2)

    def call(self, job: Job, token: CancelToken, timeout: float = DEFAULT_TIMEOUT_S,
             index: bool = True) -> Optional[Snapshot]:
        """``index=False``: leave the shape facts unindexed (the start-up path publishes the
        findings only, and indexing imports the hover code, and so lsprotocol)."""
        with self._lock:
            if token.cancelled:
                return None
            for attempt in (1, 2):
                if self._proc is None or not self._proc.is_alive():
                    if self._proc is not None:
                        self._kill()
                    self._spawn()
                try:
                    if not self._wait_ready():
                        raise EOFError("the worker did not start")
                    held = self._shapes.get(job.uri)
                    self._conn.send(replace(job, shapes_base=held[0]) if held is not None else job)
                    break
                except (BrokenPipeError, EOFError, OSError):
                    self._kill()
                    if attempt == 2:
                        return Snapshot(job.uri, job.version, job.generation, crash="analysis worker cannot be started")
            try:
                ready = self._conn.poll(timeout)
            except (EOFError, OSError):
                ready = True
            if not ready:
                self._kill()
                return Snapshot(job.uri, job.version, job.generation, lang=job.config.lang,
                                cells=job.cell_uris, timed_out=timeout,
                                crash=f"analysis took longer than {timeout:g} s and was stopped")
            try:
                snap = self._with_shapes(_unpickled(self._conn))
                return _indexed(snap) if index else snap
            except (EOFError, OSError) as exc:
                code = None
                if self._proc is not None:
                    self._proc.join(2)  # reap it, to say how it ended
                    code = self._proc.exitcode
                self._kill()
                return Snapshot(job.uri, job.version, job.generation,
                                crash=f"analysis worker died (exit code {code}): {type(exc).__name__}")

    def _with_shapes(self, snap: Snapshot) -> Snapshot:
        """Rebuild the shape facts the worker sent as a delta; remember them for the next."""
        if isinstance(snap.shapes, ShapeDelta):
            held = self._shapes.get(snap.uri)
            if held is None or held[0] != snap.shapes.base:  # cannot happen: the job named the base
                snap.shapes = []
                snap.crash = "internal error: shape facts out of step with the worker"
            else:
                snap.shapes = snap.shapes.rebuild(held[1])
        if snap.shapes_token:
            self._shapes[snap.uri] = (snap.shapes_token, snap.shapes)
            self._shapes.move_to_end(snap.uri)
            while len(self._shapes) > MAX_REMEMBERED:
                self._shapes.popitem(last=False)
        return snap

    def close(self) -> None:
        if not self._lock.acquire(timeout=0.5):
            # An analysis is running (perhaps one that hangs): shutting down must not
            # wait for it. Killing the worker ends the call that holds the lock.
            proc = self._proc
            if proc is not None:
                proc.kill()
            return
        try:
            if self._conn is not None:
                try:
                    self._conn.send(None)
                except (OSError, ValueError):
                    pass
            proc = self._proc
            if proc is not None:
                proc.join(1)
                if proc.is_alive():
                    proc.kill()
                    proc.join(1)
            self._proc = self._conn = None
        finally:
            self._lock.release()

    def pids(self) -> list[int]:
        p = self._proc
        return [p.pid] if p is not None and p.pid is not None else []


@dataclass
class ShapeDelta:
    """Shape facts sent as a change of the list the server holds (token ``base``): an int
    is the index of a fact of that list, anything else a new fact. A 5,000-line file has
    about 4,000 facts and an edit changes a few: pickling them all cost ~100 ms a keystroke."""

    base: int
    items: list

    def rebuild(self, held: list[ShapeFact]) -> list[ShapeFact]:
        return [held[i] if isinstance(i, int) else i for i in self.items]


# Worker side: the facts last sent for each document, by token (the same objects the
# incremental analysis keeps, so a kept fact is found by identity).
_shipped: "OrderedDict[str, tuple[int, list[ShapeFact]]]" = OrderedDict()
_tokens = iter(range(1, 1 << 62))


def _send_without_gc(conn, snap: Snapshot, base: int = 0) -> None:  # pragma: no cover - runs in the child process
    """Pickling allocates enough to trigger full collections (see :func:`_unpickled`)."""
    import gc

    facts = snap.shapes
    snap.shapes_token = next(_tokens)
    shipped = _shipped.get(snap.uri)
    if base and shipped is not None and shipped[0] == base and facts:
        where = {id(f): i for i, f in enumerate(shipped[1])}
        snap.shapes = ShapeDelta(base, [where.get(id(f), f) for f in facts])  # type: ignore[assignment]
    _shipped[snap.uri] = (snap.shapes_token, facts)
    _shipped.move_to_end(snap.uri)
    while len(_shipped) > MAX_REMEMBERED:
        _shipped.popitem(last=False)
    was_on = gc.isenabled()
    gc.disable()
    try:
        conn.send(snap)
    finally:
        if was_on:
            gc.enable()
        snap.shapes = facts


def _unpickled(conn):
    """A snapshot of a large file holds thousands of shape facts: unpickled with the
    cyclic garbage collector running, full collections over the server's heap triggered
    by the new objects cost several times the unpickling itself. A snapshot holds no
    cycles to collect."""
    import gc

    was_on = gc.isenabled()
    gc.disable()
    try:
        return conn.recv()
    finally:
        if was_on:
            gc.enable()


_prestarted: Optional[ProcessBackend] = None


def prestart() -> None:
    """Start the analysis worker before the server imports pygls and lsprotocol (over
    a second on a busy machine): the worker's own imports run meanwhile, so the first
    diagnostics do not wait for both one after the other."""
    global _prestarted
    if _prestarted is None:
        try:
            backend = ProcessBackend()
            # Forked while this process has no other thread, the first worker skips an
            # interpreter's start and the imports already done (~0.1-0.2 s of the first
            # diagnostics); Linux only (macOS' system libraries do not survive a fork).
            # A worker started later (a restart) is always spawned.
            backend.start(fork=sys.platform.startswith("linux") and threading.active_count() == 1)
            _prestarted = backend
        except Exception:  # the scheduler starts one later and reports what fails
            log.exception("starting the analysis worker early failed")


def prestarted() -> Optional[ProcessBackend]:
    """The worker :func:`prestart` started, until a scheduler takes it (the start-up path
    analyses the first document with it meanwhile)."""
    return _prestarted


def make_backend(kind: str):
    global _prestarted
    early, _prestarted = _prestarted, None
    if kind == "thread":
        if early is not None:
            early.close()
        return ThreadBackend()
    return early or ProcessBackend()
