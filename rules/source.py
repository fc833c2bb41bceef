"""Source units: what one parse covers (a .py file, stdin, or one notebook code cell)
and loading them from disk without losing encoding, BOM or line endings."""
from __future__ import annotations

import codecs
import json
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .limits import MAX_FILE_BYTES, MAX_NOTEBOOK_BYTES
from .notices import Notice, cell_no_source, cell_not_object

# PEP 263: ``# -*- coding: gbk -*-`` on line 1 or 2 (GBK files are common in Chinese
# course material, and Python runs them, so we read them too).
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")

# IPython syntax that is not Python, recognised only where a statement starts.
_LINE_MAGIC = re.compile(r"^\s*(?:[!%]|\?)")
_ASSIGN_MAGIC = re.compile(r"^\s*[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[!%]")
# ``obj?`` / ``obj??`` help, and ``torch.*Tensor?`` (IPython's %psearch wildcard form).
_HELP = re.compile(r"^\s*[\w.*]+\s*\?\??\s*$")
# Cell magics whose body is Python run in the notebook's namespace: the body is linted.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})


class SourceError(Exception):
    """A file that cannot be analysed: one line for the user, in English (``str``) and
    Chinese; front ends print :meth:`text` in the run's language."""

    def __init__(self, en: str, zh: Optional[str] = None) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh if zh is not None else en

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def __reduce__(self):  # the CLI's pool workers pickle it with both texts
        return (SourceError, (self.en, self.zh))


@dataclass
class SourceUnit:
    """One piece of text that gets one libcst parse."""

    text: str  # the text given to the parser (notebook magics masked)
    cell: Optional[int] = None  # 1-based index into the notebook's ``cells`` list
    original: Optional[str] = None  # the cell's real text when masking changed it
    # The indentation IPython strips from a cell whose first line is indented (removed from
    # every line that starts with it; see ``leading_indent``): columns in ``text`` are this
    # much left of the real ones on those lines.
    dedent: str = ""

    @property
    def real_text(self) -> str:
        return self.original if self.original is not None else self.text

    def real_column(self, line: int, column: int) -> int:
        """The column in the real text of (1-based) ``line``, ``column`` of ``text``."""
        if not self.dedent:
            return column
        lines = self.real_text.split("\n")
        real = lines[line - 1] if 0 < line <= len(lines) else ""
        return column + len(self.dedent) if real.startswith(self.dedent) else column


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
    # CPython refuses the bytes before tokenizing (a BOM with a non-UTF-8 coding
    # comment): the engine reports this as PT000 on line 1 and parses nothing.
    encoding_error: Optional[str] = None
    notes: list[Notice] = field(default_factory=list)  # parts left out while loading (a notebook cell without text)

    @property
    def is_notebook(self) -> bool:
        return self.kind == "notebook"

    @property
    def text(self) -> str:
        """The whole text (for a .py file); notebooks join their code cells."""
        return "\n".join(u.real_text for u in self.units)


def declared_encoding(raw: bytes) -> Optional[str]:
    """The PEP 263 encoding declared on line 1 or 2, normalised; None if none."""
    for line in raw.split(b"\n", 2)[:2]:
        m = _CODING.match(line)
        if m:
            written = m.group(1).decode("ascii", "replace")
            try:
                info = codecs.lookup(written)
            except LookupError:
                return written
            # rot13 and the like keep the spelling of the comment, for the message
            return info.name if getattr(info, "_is_text_encoding", True) else written
        if line.strip() and not line.lstrip().startswith(b"#"):
            break  # the declaration must come before any code
    return None


def _source_codec(declared: str, path: str) -> str:
    """The codec a coding comment names, if CPython would read source in it; else
    SourceError worded like CPython's "SyntaxError: encoding problem: rot13"."""
    try:
        info = codecs.lookup(declared)
    except LookupError:
        why = "unknown encoding"
    else:
        # rot13, base64, zlib … are codecs but not text encodings; utf-16/32 cannot
        # spell the coding comment itself in ASCII, so Python refuses them too.
        if not getattr(info, "_is_text_encoding", True):
            why = "not a text encoding"
        elif "#-*- coding: x\n".encode(info.name, "replace") != b"#-*- coding: x\n":
            why = "not ASCII-compatible"
        else:
            return info.name
    why_zh = {"unknown encoding": "未知的编码", "not a text encoding": "不是文本编码",
              "not ASCII-compatible": "与 ASCII 不兼容"}[why]
    raise SourceError(f"{path}: encoding problem: {declared} ({why}; Python refuses this file), not checked",
                      f"{path}: 编码声明有问题：{declared}（{why_zh}，Python 也拒绝读取这个文件），没有检查")


def decode(raw: bytes, path: str, *, python: bool = True) -> tuple[str, bool, str]:
    """(text, bom, encoding). UTF-8 unless a Python file declares another encoding."""
    if b"\x00" in raw[:8192]:
        raise SourceError(f"{path}: binary file (contains NUL bytes), not checked",
                          f"{path}: 二进制文件（含有 NUL 字节），没有检查")
    bom = raw.startswith(codecs.BOM_UTF8)
    if bom:
        raw = raw[3:]
    encoding = "utf-8"
    if python and not bom:
        declared = declared_encoding(raw)
        if declared and declared != "utf-8":
            encoding = _source_codec(declared, path)
    try:
        return raw.decode(encoding), bom, encoding
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            raise SourceError(
                f"{path}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                "save the file as UTF-8 or declare its encoding (# -*- coding: gbk -*-)",
                f"{path}: 不是有效的 UTF-8（偏移 {exc.start} 处的字节 0x{raw[exc.start]:02x}）；"
                "请把文件另存为 UTF-8，或者在文件开头声明编码（# -*- coding: gbk -*-）",
            ) from None
        raise SourceError(f"{path}: not valid {encoding} as its coding comment declares (offset {exc.start})",
                          f"{path}: 内容不是编码声明所说的 {encoding}（偏移 {exc.start}）") from None


def detect_newline(text: str) -> str:
    i = text.find("\n")
    if i > 0 and text[i - 1] == "\r":
        return "\r\n"
    if i < 0 and "\r" in text:
        return "\r"
    return "\n"


def _statement_starts(lines: list[str], masked: list[bool]) -> None:
    """Mark (in ``masked``) the lines that are IPython magics. A line counts only where
    a new statement may start: not inside brackets, a string or after a backslash, so
    ``"%d" \\n % n`` continuation lines stay Python."""
    depth = 0
    quote: Optional[str] = None  # the open string's delimiter (' " ''' or \"\"\")
    continued = False
    magic_continues = False  # IPython joins a magic's backslash-continued lines into it
    for i, line in enumerate(lines):
        if magic_continues:
            masked[i] = True
            magic_continues = line.rstrip().endswith("\\")
            continue
        at_start = depth == 0 and quote is None and not continued
        if at_start and (_LINE_MAGIC.match(line) or _ASSIGN_MAGIC.match(line) or _HELP.match(line)):
            masked[i] = True
            magic_continues = line.rstrip().endswith("\\")
            continued = False
            continue
        continued = False
        j, n = 0, len(line)
        while j < n:
            c = line[j]
            if quote is not None:
                if c == "\\":
                    j += 2
                    continue
                if line.startswith(quote, j):
                    j += len(quote)
                    quote = None
                    continue
                j += 1
                continue
            if c == "#":
                break
            if c in "\"'":
                quote = c * 3 if line.startswith(c * 3, j) else c
                j += len(quote)
                continue
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth = max(depth - 1, 0)
            j += 1
        if quote is not None and len(quote) == 1:
            if line.rstrip().endswith("\\"):
                continue  # a single-quoted string continued with a backslash
            quote = None  # an unterminated single-quoted string ends at the line
        if quote is None and line.rstrip().endswith("\\"):
            continued = True


def mask_magics(cell_text: str) -> Optional[str]:
    """Replace IPython magics and shell escapes with ``pass`` so the cell parses and
    every other line keeps its number and columns. Returns None for a cell magic whose
    body is not Python run here (``%%bash``, ``%%writefile`` …)."""
    lines = cell_text.split("\n")
    first = lines[0].lstrip() if lines else ""
    start = 0
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if name not in PYTHON_CELL_MAGICS:
            return None
        lines[0] = "pass"
        start = 1
    if "%" not in cell_text and "!" not in cell_text and "?" not in cell_text:
        return "\n".join(lines) if start else cell_text
    masked = [False] * (len(lines) - start)
    _statement_starts(lines[start:], masked)
    masked = [False] * start + masked
    changed = bool(start)
    continues = [ln.rstrip().endswith("\\") for ln in lines]
    for i, hit in enumerate(masked):
        if hit:
            if i > start and masked[i - 1] and continues[i - 1]:
                lines[i] = ""  # part of the magic above (its indent may not be the block's)
            else:
                indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
                lines[i] = indent + "pass"
            changed = True
    return "\n".join(lines) if changed else cell_text


_INDENT = re.compile(r"^[ \t]+")


def leading_indent(cell_text: str) -> tuple[str, str]:
    """(text, indent): what IPython runs for a cell whose first non-blank line is indented
    (its ``leading_empty_lines`` and ``leading_indent`` cleanups: that line's indentation is
    removed from every line that starts with it, e.g. code pasted from inside a function).
    Blank leading lines are kept, so line numbers stay those of the cell."""
    lines = cell_text.split("\n")
    first = next((ln for ln in lines if ln and not ln.isspace()), None)
    m = _INDENT.match(first) if first is not None else None
    if m is None:
        return cell_text, ""
    space = m.group(0)
    return "\n".join(ln[len(space):] if ln.startswith(space) else ln for ln in lines), space


def notebook_units(data: dict, path: str, notes: Optional[list[Notice]] = None) -> list[SourceUnit]:
    """The code cells as units. A cell that is not an object or has no text source
    (``"source": null``) is left out with a notice in ``notes``; the others are
    still checked."""
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise SourceError(f"{path}: broken notebook: no 'cells' list",
                          f"{path}: notebook 已损坏：没有 'cells' 列表")
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    info = metadata.get("language_info") if isinstance(metadata.get("language_info"), dict) else {}
    lang = info.get("name", "python")
    if lang not in ("python", "", None):
        return []  # an R or Julia notebook: nothing for us
    units = []
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            if notes is not None:
                notes.append(cell_not_object(path, index))
            continue
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(s, str) for s in src):
            src = "".join(src)
        if not isinstance(src, str):
            if notes is not None:
                notes.append(cell_no_source(path, index))
            continue
        masked = mask_magics(src)
        if masked is None:
            continue
        masked, indent = leading_indent(masked)
        units.append(SourceUnit(text=masked, cell=index, original=src if masked != src else None, dedent=indent))
    return units


def source_from_text(text: str, path: str = "<stdin>", *, notebook: bool = False) -> SourceFile:
    if notebook:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}: broken notebook: invalid JSON at line {exc.lineno} column {exc.colno}",
                              f"{path}: notebook 已损坏：第 {exc.lineno} 行第 {exc.colno} 列不是有效的 JSON") from None
        except RecursionError:
            raise SourceError(f"{path}: broken notebook: JSON nested too deeply",
                              f"{path}: notebook 已损坏：JSON 嵌套太深") from None
        if not isinstance(data, dict):
            raise SourceError(f"{path}: broken notebook: top level is not an object",
                              f"{path}: notebook 已损坏：最外层不是 JSON 对象")
        notes: list[Notice] = []
        return SourceFile(path, notebook_units(data, path, notes), kind="notebook", notebook=data,
                          raw=text.encode("utf-8"), notes=notes)
    return SourceFile(path, [SourceUnit(text)], newline=detect_newline(text), raw=text.encode("utf-8"))


def read_bytes(path: str | Path, shown: str) -> bytes:
    """The file's bytes, or SourceError with a one-line reason."""
    p = Path(path)
    limit = MAX_NOTEBOOK_BYTES if is_notebook_path(path) else MAX_FILE_BYTES
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise SourceError(f"{shown}: not a regular file, not checked", f"{shown}: 不是普通文件，没有检查")
        size = st.st_size
        if size > limit:
            raise SourceError(
                f"{shown}: file too large ({size / (1024 * 1024):.0f} MB > {limit // (1024 * 1024)} MB), not checked",
                f"{shown}: 文件太大（{size / (1024 * 1024):.0f} MB，上限 {limit // (1024 * 1024)} MB），没有检查")
        return p.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{shown}: no such file", f"{shown}: 文件不存在") from None
    except IsADirectoryError:
        raise SourceError(f"{shown}: is a directory", f"{shown}: 这是一个目录，不是文件") from None
    except PermissionError:
        raise SourceError(f"{shown}: permission denied", f"{shown}: 没有读取权限") from None
    except OSError as exc:
        raise SourceError(f"{shown}: cannot read ({exc.strerror or exc})",
                          f"{shown}: 无法读取（{exc.strerror or exc}）") from None


def _bom_conflict(raw: bytes) -> Optional[str]:
    """CPython's message when a UTF-8 BOM comes with a coding comment naming another
    encoding ("encoding problem: gbk with BOM"), else None."""
    declared = declared_encoding(raw[3:])
    if declared is None or declared in ("utf-8", "utf_8"):
        return None
    import ast

    try:
        ast.parse(raw)
    except SyntaxError as exc:
        return exc.msg
    except (ValueError, RecursionError, MemoryError):
        pass
    return None


def source_from_bytes(raw: bytes, shown: str, *, notebook: bool = False) -> SourceFile:
    conflict = _bom_conflict(raw) if not notebook and raw.startswith(codecs.BOM_UTF8) else None
    if conflict is not None:
        text = raw[3:].decode("utf-8", "replace")  # for display only: nothing is parsed
        sf = SourceFile(shown, [SourceUnit(text)], newline=detect_newline(text), bom=True, raw=raw,
                        encoding_error=conflict)
        return sf
    text, bom, encoding = decode(raw, shown, python=not notebook)
    if notebook:
        sf = source_from_text(text, shown, notebook=True)
    else:
        sf = SourceFile(shown, [SourceUnit(text)], newline=detect_newline(text))
    sf.bom = bom
    sf.encoding = encoding
    sf.raw = raw
    return sf


def is_notebook_path(path: str | Path) -> bool:
    return str(path).endswith(".ipynb")


def load_source(path: str | Path, display: Optional[str] = None) -> SourceFile:
    """Read a .py or .ipynb file. Raises SourceError with a one-line message."""
    shown = display or str(path)
    return source_from_bytes(read_bytes(path, shown), shown, notebook=is_notebook_path(path))
