"""Columns: the engine counts code points, LSP clients count UTF-16 code units (or
UTF-8 bytes / code points when they negotiated ``positionEncoding``). A Chinese
comment before a finding or an emoji in a string shifts every later column, so each
conversion looks at the actual line text."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from ptlint.rules.findings import Position as EnginePosition
from ptlint.rules.findings import Range as EngineRange

if TYPE_CHECKING:
    from lsprotocol import types

_NEWLINE = re.compile(r"\r\n|\r|\n")

# lsprotocol is imported only where its types are built: the start-up path
# (server/lsp/bootstrap.py) converts positions before lsprotocol (0.5 s) is loaded.
# The values of lsprotocol's PositionEncodingKind (a str enum, so they compare equal).
UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

ClientPoint = tuple[int, int]  # (zero-based line, character in the client's units)


def split_lines(text: str) -> list[str]:
    """Lines as LSP counts them (\\n, \\r\\n and \\r end a line), without the ends."""
    return _NEWLINE.split(text)


class LineIndex:
    """One document's lines, split once, for converting many positions."""

    __slots__ = ("lines", "encoding")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.lines = split_lines(text)
        self.encoding = encoding

    def line(self, zero_based: int) -> str:
        if 0 <= zero_based < len(self.lines):
            return self.lines[zero_based]
        return ""

    # ------------------------------------------------------------------ engine -> client
    def client_point(self, pos: EnginePosition) -> ClientPoint:
        """Engine position (1-based line, code-point column) -> LSP (line, character)."""
        line = pos.line - 1
        if line < 0:
            return (0, 0)
        if line >= len(self.lines):
            last = len(self.lines) - 1
            return (last, units(self.lines[last], len(self.lines[last]), self.encoding))
        text = self.lines[line]
        col = min(max(pos.column, 0), len(text))
        return (line, units(text, col, self.encoding))

    def client_span(self, rng: EngineRange) -> tuple[ClientPoint, ClientPoint]:
        """An engine range -> LSP (start, end) points; an end before the start becomes the start."""
        start = self.client_point(rng.start)
        end = self.client_point(rng.end)
        return start, max(start, end)

    def to_client(self, pos: EnginePosition) -> "types.Position":
        from lsprotocol.types import Position

        return Position(*self.client_point(pos))

    def range_to_client(self, rng: EngineRange) -> "types.Range":
        from lsprotocol.types import Position, Range

        start, end = self.client_span(rng)
        return Range(Position(*start), Position(*end))

    # ------------------------------------------------------------------ client -> engine
    def from_client(self, pos: "types.Position") -> EnginePosition:
        """LSP position -> engine position (1-based line, code-point column)."""
        line = min(max(pos.line, 0), max(len(self.lines) - 1, 0))
        text = self.line(line)
        return EnginePosition(line + 1, code_points(text, pos.character, self.encoding))


def units(line: str, column: int, encoding: str = UTF16) -> int:
    """Client units before code-point ``column`` of ``line``."""
    prefix = line[:column]
    if encoding == UTF32 or prefix.isascii():
        return len(prefix)
    if encoding == UTF8:
        return len(prefix.encode("utf-8", "surrogatepass"))
    return len(prefix) + sum(1 for ch in prefix if ord(ch) > 0xFFFF)


def code_points(line: str, count: int, encoding: str = UTF16) -> int:
    """Code-point column for ``count`` client units into ``line`` (clamped to the line;
    a position inside a surrogate pair or a UTF-8 sequence rounds down)."""
    if count <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(count, len(line))
    seen = 0
    for i, ch in enumerate(line):
        if encoding == UTF8:
            width = len(ch.encode("utf-8", "surrogatepass"))
        else:
            width = 2 if ord(ch) > 0xFFFF else 1
        if seen + width > count:
            return i
        seen += width
    return len(line)


def contains(rng: EngineRange, pos: EnginePosition, *, inclusive_end: bool = True) -> bool:
    start = (rng.start.line, rng.start.column)
    end = (rng.end.line, rng.end.column)
    p = (pos.line, pos.column)
    return start <= p <= end if inclusive_end else start <= p < end


def overlaps(a: EngineRange, start: EnginePosition, end: EnginePosition) -> bool:
    """Does ``a`` touch [start, end] (ends included: a cursor at a range's edge counts)?"""
    return not ((a.end.line, a.end.column) < (start.line, start.column)
                or (a.start.line, a.start.column) > (end.line, end.column))


def encoding_of(server) -> str:
    """The position encoding pygls negotiated with the client."""
    try:
        enc: Optional[str] = server.workspace.position_encoding
    except Exception:
        enc = None
    return enc or UTF16
