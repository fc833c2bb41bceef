"""Source units: what one parse covers (a .py file, stdin, or one notebook code cell)
and loading them from disk without losing encoding, BOM or line endings."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

# Files larger than this are refused with a clear message rather than parsed: libcst
# needs memory proportional to the text and nobody hand-writes a 20 MB model file.
MAX_FILE_BYTES = 20 * 1024 * 1024

_MAGIC_LINE = re.compile(r"^(\s*)(?:[!%?]|[\w.,\s]+=\s*[!%])")


class SourceError(Exception):
    """A file that cannot be analysed; the message is one line, for the user."""


@dataclass
class SourceUnit:
    """One piece of text that gets one libcst parse."""

    text: str  # the text given to the parser (notebook magics masked)
    cell: Optional[int] = None  # 1-based index into the notebook's ``cells`` list
    original: Optional[str] = None  # the cell's real text when masking changed it

    @property
    def real_text(self) -> str:
        return self.original if self.original is not None else self.text


@dataclass
class SourceFile:
    path: str
    units: list[SourceUnit]
    kind: str = "python"  # python | notebook
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    raw: bytes = b""
    notebook: Optional[dict] = field(default=None, repr=False)

    @property
    def is_notebook(self) -> bool:
        return self.kind == "notebook"

    @property
    def text(self) -> str:
        """The whole text (for a .py file); notebooks join their code cells."""
        return "\n".join(u.real_text for u in self.units)


def _decode(raw: bytes, path: str) -> tuple[str, bool]:
    if b"\x00" in raw[:8192]:
        raise SourceError(f"{path}: binary file (contains NUL bytes), not checked")
    bom = raw.startswith(b"\xef\xbb\xbf")
    if bom:
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), bom
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8"
        ) from None


def detect_newline(text: str) -> str:
    i = text.find("\n")
    if i > 0 and text[i - 1] == "\r":
        return "\r\n"
    if i < 0 and "\r" in text:
        return "\r"
    return "\n"


def mask_magics(cell_text: str) -> Optional[str]:
    """Replace IPython magics and shell escapes with ``pass`` so the cell parses and
    every other line keeps its number and columns. Returns None for a cell magic
    (``%%bash`` …): such a cell is not Python at all."""
    lines = cell_text.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return None
    changed = False
    for i, line in enumerate(lines):
        m = _MAGIC_LINE.match(line)
        if m and not line.lstrip().startswith(("%=", "!=")):
            lines[i] = m.group(1) + "pass"
            changed = True
    return "\n".join(lines) if changed else cell_text


def notebook_units(data: dict, path: str) -> list[SourceUnit]:
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise SourceError(f"{path}: broken notebook: no 'cells' list")
    lang = ((data.get("metadata") or {}).get("language_info") or {}).get("name", "python")
    if lang not in ("python", "", None):
        return []
    units = []
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            raise SourceError(f"{path}: broken notebook: cell {index} has no text source")
        masked = mask_magics(src)
        if masked is None:
            continue
        units.append(SourceUnit(text=masked, cell=index, original=src if masked != src else None))
    return units


def source_from_text(text: str, path: str = "<stdin>", *, notebook: bool = False) -> SourceFile:
    if notebook:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}: broken notebook: invalid JSON at line {exc.lineno} column {exc.colno}") from None
        if not isinstance(data, dict):
            raise SourceError(f"{path}: broken notebook: top level is not an object")
        return SourceFile(path, notebook_units(data, path), kind="notebook", notebook=data,
                          raw=text.encode("utf-8"))
    return SourceFile(path, [SourceUnit(text)], newline=detect_newline(text), raw=text.encode("utf-8"))


def load_source(path: str | Path, display: Optional[str] = None) -> SourceFile:
    """Read a .py or .ipynb file. Raises SourceError with a one-line message."""
    p = Path(path)
    shown = display or str(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(f"{shown}: file too large ({size // (1024 * 1024)} MB > {MAX_FILE_BYTES // (1024 * 1024)} MB), not checked")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{shown}: is a directory") from None
    except PermissionError:
        raise SourceError(f"{shown}: permission denied") from None
    except OSError as exc:
        raise SourceError(f"{shown}: cannot read ({exc.strerror})") from None
    text, bom = _decode(raw, shown)
    if p.suffix == ".ipynb":
        sf = source_from_text(text, shown, notebook=True)
    else:
        sf = SourceFile(shown, [SourceUnit(text)], newline=detect_newline(text))
    sf.bom = bom
    sf.raw = raw
    return sf
