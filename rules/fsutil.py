"""Writing files so that a reader never sees half of one: the cache, the docs-search
index and ``--fix`` all go through here.

The temporary file lives in the same folder as the file it replaces (a rename is only
atomic within one file system) and is named ``.ptlint-XXXXXXXX.tmp``. A process killed
between creating and renaming it (``kill -9``) leaves it behind, so the first write into
a folder removes those leftovers: only names of exactly that pattern, older than this
process, that no running ptlint holds locked."""
from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Optional, Union

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the age check alone decides
    fcntl = None  # type: ignore[assignment]

_PREFIX, _SUFFIX = ".ptlint-", ".tmp"
# tempfile.mkstemp's names: the prefix, 8 characters of [a-z0-9_], the suffix.
_STALE_NAME = re.compile(r"\.ptlint-[a-z0-9_]{8}\.tmp\Z")
_STARTED = time.time()
_CLEANED: set[str] = set()


def _try_lock(fd: int) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def clean_stale_temps(folder: Union[str, Path]) -> list[str]:
    """Remove temp files a killed ptlint left in ``folder``; returns their names."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not _STALE_NAME.match(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_mtime >= _STARTED:
                continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if _try_lock(fd):  # a live writer holds its temp file locked
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _clean_once(folder: str) -> None:
    if folder not in _CLEANED:
        _CLEANED.add(folder)
        clean_stale_temps(folder)


def atomic_write(path: Union[str, Path], data: Union[bytes, str], *, durable: bool = False,
                 keep_mode: bool = False) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``.

    ``durable`` fsyncs before the rename (user files: a crash must leave either the old
    or the new text); ``keep_mode`` copies the permissions of the file being replaced.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    _clean_once(folder)
    fd, tmp = tempfile.mkstemp(prefix=_PREFIX, suffix=_SUFFIX, dir=folder)
    try:
        _try_lock(fd)  # held until closed: tells a concurrent cleaner this one is live
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
            if keep_mode:
                try:
                    os.chmod(tmp, os.stat(path).st_mode & 0o7777)
                except OSError:
                    pass
            os.replace(tmp, path)  # while still locked
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_user_file(path: Union[str, Path], data: bytes) -> Optional[str]:
    """Replace a user's file's content (``--fix``) without breaking how it is linked.

    A symbolic link is followed: its target gets the new text and the link stays a
    link. A file with several hard links is rewritten in place (same inode, so every
    name sees the fix; fsynced, but not atomic: a rename would cut the other names
    off). Everything else is replaced atomically. Returns the path actually written."""
    target = os.path.realpath(path)
    try:
        links = os.stat(target).st_nlink
    except OSError:
        links = 1
    if links > 1:
        with open(target, "r+b") as fh:
            fh.write(data)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
        return target
    atomic_write(target, data, durable=True, keep_mode=True)
    return target
