"""Writing files so that a reader never sees half of one: the cache, the docs-search
index and ``--fix`` all go through here."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union


def atomic_write(path: Union[str, Path], data: Union[bytes, str], *, durable: bool = False,
                 keep_mode: bool = False) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``.

    ``durable`` fsyncs before the rename (user files: a crash must leave either the old
    or the new text); ``keep_mode`` copies the permissions of the file being replaced.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ptlint-", suffix=".tmp", dir=folder)
    try:
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
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
