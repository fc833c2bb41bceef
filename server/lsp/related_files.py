"""Related locations in other project files (the pool layer in models/blocks.py that a
finding of train.py comes from): their URI, their range in the client's column units,
and how a hover names the file. The engine places them in the text it read: the
editor's buffer when that file is open, else the file on disk."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Optional

from ptlint.rules.findings import Finding, RelatedLocation
from ptlint.rules.project_digest import MAX_BYTES  # the largest project file the index reads

from .positions import LineIndex


def file_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()


def _disk_text(path: str) -> Optional[str]:
    from ptlint.rules.source import SourceError, decode

    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_BYTES:
        return None
    try:
        return decode(raw, path)[0]
    except SourceError:
        return None


def related_json(r: RelatedLocation, lang: str, lines_for: Callable[[str], LineIndex],
                 range_json: Callable[[LineIndex, Any], dict], own: LineIndex) -> Optional[dict]:
    """An LSP ``DiagnosticRelatedInformation`` (JSON) for a place in another file; None when
    that file can no longer be read (columns would be guesses). ``lines_for(uri)``: that
    URI's open buffer, or an empty text when it is not open; ``own``: the finding's file's
    lines (a caller that knows only one document hands those out for every URI)."""
    assert r.path is not None
    uri = file_uri(r.path)
    lines = lines_for(uri)
    if lines is own or lines.lines in ([], [""]):
        text = _disk_text(r.path)
        if text is None:
            return None
        lines = LineIndex(text, lines.encoding)
    return {"location": {"uri": uri, "range": range_json(lines, r.range)}, "message": r.message(lang)}


def shown_path(r: RelatedLocation, f: Finding) -> str:
    """The other file as a hover names it: relative to the finding's folder when inside it."""
    assert r.path is not None
    if not os.path.isabs(r.path) or not os.path.isabs(f.path):
        return r.path
    try:
        rel = os.path.relpath(r.path, os.path.dirname(f.path))
    except ValueError:  # another drive (Windows)
        return r.path
    return r.path if rel.startswith("..") else Path(rel).as_posix()
