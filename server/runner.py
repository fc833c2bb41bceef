"""Runs the engine over many files for the CLI (and pre-commit): one ``lint_source``
call per file that the cache cannot answer, in a process pool when there are many;
errors collected one line each; results in the order the files were found.

The engine (and so libcst) is imported only when some file has to be analysed."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from ptlint.rules.config import Config, ConfigLoader
from ptlint.rules.findings import Finding
from ptlint.rules.notices import Notice
from ptlint.rules.source import SourceError, SourceFile, is_notebook_path, read_bytes, source_from_bytes

# Below this many files (or bytes) to analyse a pool costs more than it saves.
POOL_MIN_FILES = 8
POOL_MIN_BYTES = 256 * 1024


@dataclass
class FileResult:
    """What the CLI needs of one file's analysis; the engine's LintResult has the same
    fields (plus the parsed source), so either may stand in ``RunResult.results``."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    rule_errors: list[Any] = field(default_factory=list)
    skipped: bool = False
    source: Optional[SourceFile] = None  # None for a result from the cache
    context: Any = None
    cached: bool = False
    notices: list[Notice] = field(default_factory=list)  # units not analysed (limits, unreadable cells)


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each, for stderr (notices in the run's language)
    rule_errors: list[Any] = field(default_factory=list)  # engine RuleError objects
    results: list[Any] = field(default_factory=list)  # FileResult or LintResult, in file order
    files_checked: int = 0
    fixed: int = 0
    elapsed: float = 0.0
    cache_hits: int = 0
    jobs: int = 1


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_jobs(n_files: int, n_bytes: int) -> int:
    if n_files < POOL_MIN_FILES or n_bytes < POOL_MIN_BYTES:
        return 1
    return max(1, min(cpu_count(), n_files // 4))


def lint_path(path: str, config: Config):
    """Load and lint one file; SourceError propagates to the caller."""
    from ptlint.rules.engine import lint_source
    from ptlint.rules.source import load_source

    return lint_source(load_source(path), config)


def result_payload(res) -> dict[str, Any]:
    """A file's result as plain data: what a pool worker sends back and what a results-cache
    entry holds (the CLI's and the language server's, server/lsp/result_cache.py)."""
    return {
        "findings": [f.to_dict() for f in res.findings],
        "skipped": res.skipped,
        "rule_errors": [vars(e) for e in res.rule_errors],
        "notices": [n.to_dict() for n in res.notices],
        "deps": dict(res.deps),  # other project files read: the entry is stale when one changes
    }


def _analyse(path: str, raw: bytes, config: Config):
    """Parse and lint one file's bytes in this process (a LintResult)."""
    from ptlint.rules.engine import lint_source

    return lint_source(source_from_bytes(raw, path, notebook=is_notebook_path(path)), config)


def _work(task: tuple[int, str, bytes, Config]) -> tuple[int, dict[str, Any]]:
    """A pool worker: analyse one file, send back plain data."""
    index, path, raw, config = task
    try:
        return index, result_payload(_analyse(path, raw, config))
    except SourceError as exc:
        return index, {"error": exc.en, "error_zh": exc.zh}
    except Exception as exc:  # the engine never raises for user code; keep the run alive anyway
        return index, {"error": f"{path}: internal error: {type(exc).__name__}: {exc}"}


def result_from_payload(path: str, payload: dict[str, Any], cached: bool = False) -> FileResult:
    """The FileResult of :func:`result_payload`'s data."""
    from ptlint.rules.findings import Finding as F

    rule_errors = []
    if payload.get("rule_errors"):
        from ptlint.rules.engine import RuleError

        rule_errors = [RuleError(**e) for e in payload["rule_errors"]]
    return FileResult(path, [F.from_dict(d) for d in payload.get("findings", ())], rule_errors,
                      bool(payload.get("skipped")), cached=cached,
                      notices=[Notice.from_dict(d) for d in payload.get("notices", ())])


def _pool_context():
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    # fork shares the already imported parser and catalog with the workers for free.
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_paths(paths: list[str], loader: ConfigLoader, *, jobs: Optional[int] = None, cache: bool = True,
              cache_dir: Optional[str] = None, force_exclude: bool = False, lang: Optional[str] = None) -> RunResult:
    """Check files and folders. ConfigError propagates (a bad config stops the run).
    ``lang``: the language of the notices' lines in ``errors`` (default: each file's config)."""
    from .files import discover

    t0 = time.perf_counter()
    run = RunResult()
    store = None
    if cache:
        from .cache import Cache, default_cache_dir

        store = Cache(cache_dir or default_cache_dir(loader.for_path(os.getcwd()).root))

    # per discovered file: a result, a SourceError, an error string, or None (pending)
    slots: list[Optional[Any]] = []
    langs: dict[int, str] = {}  # slot -> the language of its notices
    pending: list[tuple[int, str, bytes, Config, Optional[str]]] = []
    for path, err in discover(paths, loader, force_exclude=force_exclude):
        if err:
            slots.append(err)
            continue
        cfg = loader.for_path(path)
        langs[len(slots)] = lang or cfg.lang
        try:
            raw = read_bytes(path, path)
        except SourceError as exc:
            slots.append(exc)
            continue
        key = store.key(path, raw, repr(cfg)) if store else None
        entry = store.get(key) if store and key else None
        if entry is not None:
            slots.append(result_from_payload(path, entry, cached=True))
            continue
        pending.append((len(slots), path, raw, cfg, key))
        slots.append(None)

    if pending:
        from ptlint.rules.rule import all_rules

        from .gc_policy import tune_for_analysis

        all_rules()  # import parser and catalog once, before forking
        tune_for_analysis()
        n_bytes = sum(len(t[2]) for t in pending)
        workers = jobs if jobs and jobs > 0 else default_jobs(len(pending), n_bytes)
        workers = max(1, min(workers, len(pending)))
        run.jobs = workers
        if workers == 1:
            for index, path, raw, cfg, key in pending:
                try:
                    res = _analyse(path, raw, cfg)
                except SourceError as exc:
                    slots[index] = exc
                    continue
                slots[index] = res
                if store and key and not res.rule_errors:
                    store.put(key, result_payload(res))
        else:
            by_index = {t[0]: t for t in pending}
            tasks = [(i, p, raw, cfg) for i, p, raw, cfg, _ in sorted(pending, key=lambda t: -len(t[2]))]
            with _pool_context().Pool(workers) as pool:
                for index, payload in pool.imap_unordered(_work, tasks, chunksize=1):
                    if "error" in payload:
                        slots[index] = SourceError(payload["error"], payload.get("error_zh"))
                        continue
                    _, path, _, _, key = by_index[index]
                    slots[index] = result_from_payload(path, payload)
                    if store and key and not payload["rule_errors"]:
                        store.put(key, payload)

    for i, slot in enumerate(slots):
        if isinstance(slot, SourceError):
            run.errors.append(slot.text(langs.get(i, lang or "zh")))
        elif isinstance(slot, str):
            run.errors.append(slot)
        elif slot is not None:
            collect(run, slot, langs.get(i, lang or "zh"))
    if store:
        run.cache_hits = store.hits
    run.elapsed = time.perf_counter() - t0
    return run


def collect(run: RunResult, res, lang: str = "zh") -> None:
    run.results.append(res)
    run.files_checked += 1
    # A unit beyond a limit is a file (or cell) that could not be checked: one line each,
    # in the run's language (the typed notices stay in ``res.notices``).
    run.errors.extend(n.text(lang) for n in res.notices)
    run.findings.extend(res.findings)
    run.rule_errors.extend(res.rule_errors)
