"""What a project file looked like when an analysis read it, as one string: the digest
the project index records (rules/project.py) and the results cache compares
(server/cache.py). No libcst here: a run answered from the cache never loads the parser."""
from __future__ import annotations

import hashlib
import os
import stat
from typing import Optional

# A project file larger than this is not read (a generated 5 MB file is not where a
# layer class comes from); its digest is its size.
MAX_BYTES = 1 << 20
ABSENT = ""  # the digest of a path that holds no file


def file_digest(path: str) -> tuple[str, Optional[bytes]]:
    """(digest, bytes) of a file as the index would read it; bytes None when not read."""
    try:
        st = os.stat(path)
    except OSError:
        return ABSENT, None
    if not stat.S_ISREG(st.st_mode):
        return ABSENT, None
    if st.st_size > MAX_BYTES:
        return f"size:{st.st_size}", None
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError:
        return ABSENT, None
    return bytes_digest(raw), raw


def bytes_digest(raw: bytes) -> str:
    """The digest of a file's bytes (the engine keys its parse of a file read from disk
    with it, to share it with the project index: rules/project.py)."""
    return hashlib.sha256(raw).hexdigest()


def text_digest(text: str) -> str:
    """The digest of an editor's buffer (the bytes it would be saved as, in UTF-8)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def deps_current(deps: object) -> bool:
    """Whether every recorded file still has the recorded digest (a stale result: no)."""
    if not isinstance(deps, dict):
        return False
    return all(isinstance(p, str) and isinstance(d, str) and file_digest(p)[0] == d for p, d in deps.items())
