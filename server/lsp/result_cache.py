"""The language server's side of the results cache (server/cache.py, the CLI's
``.ptlint_cache/``): the worker stores what it found in a file whose editor text is the
file on disk, and the fast start (server/lsp/bootstrap.py) publishes a file's cached
findings at once, before the worker has imported libcst and the rules (~0.5 s), when the
file was analysed before with the same text, config and code, and the project files
that analysis read are unchanged.

A cached answer is never the last word: the fast start analyses the file anyway and
publishes again where the analysis differs (an entry that says too little or too much
is corrected within the first analysis' time).

Entries are the CLI's (the same payload, signed with the user's secret), keyed by the
display path ``lsp:<absolute path>``: the CLI keys by the path as typed, so the CLI's
entries and the server's never answer each other (their analyses' inputs differ: the
server reads open buffers of other files). The folder is the CLI's for the project
(``$PTLINT_CACHE_DIR``, else ``.ptlint_cache`` in the project root); a file outside any
project (no ``[tool.ptlint]`` above it) has no cache unless ``$PTLINT_CACHE_DIR`` names
one: the CLI would put it in the folder it is run from, which the server cannot know.

Nothing here imports libcst, pygls or lsprotocol."""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Optional

from ptlint.rules.config import Config

log = logging.getLogger("ptlint.lsp")

DISPLAY_PREFIX = "lsp:"
_worker_started_ns = 0  # when this worker process started (before it imported the rules)
# path -> (cache folder, key) of the entry that holds the file's text on disk as this worker
# last saw it: saving the file again replaces that entry, so that a session of many saves
# leaves one entry per file, not one per save.
_current: dict[str, tuple[Path, str]] = {}
MAX_TRACKED = 1024


def cache_folder(config: Config) -> Optional[Path]:
    """The CLI's cache folder for a file with this config; None: no cache for it."""
    from ptlint.server.cache import default_cache_dir

    if os.environ.get("PTLINT_CACHE_DIR") or config.root:
        return default_cache_dir(config.root)
    return None


def content(text: str) -> Optional[bytes]:
    """The bytes a buffer stands for (None: lone surrogates, never the same as a file)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def key_of(store: Any, path: str, raw: bytes, config: Config) -> str:
    return store.key(DISPLAY_PREFIX + os.path.abspath(path), raw, repr(config))


def lookup(path: str, text: str, config: Config) -> Optional[Any]:
    """The cached result (runner.FileResult: findings, notices) of this text of the file,
    None on any miss: no cache, no entry, another user's or edited entry, a project file
    the analysis read changed since."""
    folder = cache_folder(config)
    raw = content(text) if folder is not None else None
    if raw is None:
        return None
    from ptlint.server.cache import Cache
    from ptlint.server.runner import result_from_payload

    store = Cache(folder)
    if not store.enabled:
        return None
    entry = store.get(key_of(store, path, raw, config))
    if entry is None:
        return None
    result = result_from_payload(path, entry, cached=True)
    if result.rule_errors:
        return None
    # finding_tags asks the rule catalog (libcst) for a finding without tags of its own:
    # the worker wrote them down, so that publishing needs no catalog.
    rule_tags = entry.get("rule_tags")
    if result.findings and not isinstance(rule_tags, dict):
        return None
    for f in result.findings:
        if "tags" not in f.extra:
            f.extra["tags"] = list(rule_tags.get(f.code) or ())
    return result


# ---------------------------------------------------------------------- worker side
def worker_started() -> None:
    """Called first thing in a worker process: entries are written only while the rules'
    code on disk is no newer than the code this process imported (an upgrade or an edit
    of a rule under a running server must not file old findings under the new code)."""
    global _worker_started_ns
    _worker_started_ns = time.time_ns()


def store(job: Any, snap: Any) -> None:
    """Write the findings of an analysed document whose text is the file on disk (the
    editor opened or saved it). Called after the answer was sent; never raises."""
    try:
        _store(job, snap)
    except Exception:  # a cache is a bonus: never cost the worker its next job
        log.debug("results cache: storing %s failed", job.path, exc_info=True)


def _store(job: Any, snap: Any) -> None:
    if job.kind != "python" or not job.uri.startswith("file:") or not _worker_started_ns:
        return
    if snap.crash or snap.error or snap.rule_errors or snap.not_analysed or snap.timed_out:
        return
    folder = cache_folder(job.config)
    if folder is None:
        return  # no cache for this file: nothing to do on this keystroke
    raw = content(job.text)
    if raw is None or not _same_as_disk(job.path, raw):
        return  # while typing the buffer differs from the file: nothing is written
    from ptlint.server.cache import Cache, newest_code_mtime_ns

    if newest_code_mtime_ns() > _worker_started_ns:
        log.debug("results cache: the rules changed on disk since this worker started; not storing")
        return
    cache = Cache(folder)
    if not cache.enabled:
        return
    key = key_of(cache, job.path, raw, job.config)
    if cache.get(key) is None:
        from ptlint.rules.rule import REGISTRY
        from ptlint.server.runner import result_payload

        entry = result_payload(snap)
        entry["rule_tags"] = {f.code: list(getattr(REGISTRY.get(f.code), "tags", ()) or ()) for f in snap.findings}
        cache.put(key, entry)
        log.debug("results cache: stored %s (%d findings)", job.path, len(snap.findings))
    # else: opened again, or saved unchanged: the entry is there and current
    before = _current.pop(job.path, None)
    _current[job.path] = (folder, key)
    if before is not None and before != (folder, key) and before[0] == folder:
        cache.discard(before[1])  # the file's earlier text: saved over since
    while len(_current) > MAX_TRACKED:
        _current.pop(next(iter(_current)))


def _same_as_disk(path: str, raw: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(raw):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(raw) + 1) == raw
    except OSError:
        return False
