"""Answering from the last analysis while a newer one is on its way.

Hover, inlay hints and code actions must not wait for the analysis of the version on
screen (hundreds of milliseconds on a large file). They use the document's last
snapshot instead, with positions mapped through the edits the client sent since that
version: a position the user sees is mapped back into the snapshot's text, and a range
from the snapshot is mapped forward into the current text. What lies inside an edited
span cannot be mapped and is left out (a stale answer there would be wrong)."""
from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from lsprotocol import types
from ptlint.rules.findings import Position as EnginePosition
from ptlint.rules.findings import Range as EngineRange

from .documents import PYTHON, Doc
from .positions import LineIndex, contains
from .shapes import ShapeFact
from .worker import Snapshot

if TYPE_CHECKING:
    from .server import PtlintServer

# Pending edits kept per document; past this many (a long burst while a slow analysis
# runs) the snapshot is no longer mapped and requests wait for the new analysis.
MAX_PENDING = 2000
# Line indexes and shape-fact indexes kept for reuse (a few open documents' latest texts
# and snapshots): a 5,000-line file has ~4,000 shape facts, and splitting its text or
# scanning every fact on each hover cost tens of milliseconds per request.
MAX_CACHED = 8
# A fact spanning more lines than this is not filed under each of its lines.
WIDE_SPAN = 64


class ShapeIndex:
    """A snapshot's shape facts sorted by line: hover looks at the facts that can hold
    the cursor's line, inlay hints at those placed in the requested lines. Both return
    facts in the snapshot's order, so the answers equal a scan of the whole list.
    Built once per snapshot, in the analysis thread (worker.py): flat sorted lists,
    a few milliseconds for 4,000 facts."""

    def __init__(self, shapes: list[ShapeFact]) -> None:
        self.shapes = shapes
        starts = [f.range.start.line for f in shapes]
        spans = [f.range.end.line - line for f, line in zip(shapes, starts)]
        self._wide = [i for i, span in enumerate(spans) if span > WIDE_SPAN]
        narrow = [i for i, span in enumerate(spans) if span <= WIDE_SPAN]
        self._by_start = sorted(narrow, key=starts.__getitem__)
        self._starts = [starts[i] for i in self._by_start]
        placed = [i for i, f in enumerate(shapes) if f.inlay is not None]
        inlay_lines = [shapes[i].inlay.line for i in placed]  # type: ignore[union-attr]
        order = sorted(range(len(placed)), key=inlay_lines.__getitem__)
        self._by_inlay = [placed[k] for k in order]
        self._inlay_lines = [inlay_lines[k] for k in order]

    def covering(self, cell: Optional[int], pos: EnginePosition) -> list[ShapeFact]:
        # A fact that is not wide starts at most WIDE_SPAN lines above any line it holds.
        lo = bisect_left(self._starts, pos.line - WIDE_SPAN)
        hi = bisect_right(self._starts, pos.line)
        picked = sorted(self._by_start[lo:hi] + self._wide)
        return [self.shapes[i] for i in picked
                if self.shapes[i].cell == cell and contains(self.shapes[i].range, pos)]

    def placed_between(self, cell: Optional[int], first: Optional[int], last: Optional[int]) -> list[ShapeFact]:
        """Facts with an inlay place on engine lines ``first``..``last`` (None: unbounded)."""
        lo = 0 if first is None else bisect_left(self._inlay_lines, first)
        hi = len(self._inlay_lines) if last is None else bisect_right(self._inlay_lines, last)
        return [self.shapes[i] for i in sorted(self._by_inlay[lo:hi]) if self.shapes[i].cell == cell]


_line_indexes: "OrderedDict[int, tuple[str, str, LineIndex]]" = OrderedDict()
_shape_indexes: "OrderedDict[int, tuple[list[ShapeFact], ShapeIndex]]" = OrderedDict()


_cache_lock = threading.Lock()  # shape indexes are built in the analysis thread


def _remember(cache: OrderedDict, key: int, entry: tuple) -> None:
    with _cache_lock:
        cache[key] = entry
        while len(cache) > MAX_CACHED:
            cache.popitem(last=False)


def line_index(text: str, encoding: str) -> LineIndex:
    """The LineIndex of ``text``, reused while the same string is asked about again
    (the text of a version does not change; a new version is a new string)."""
    hit = _line_indexes.get(id(text))
    if hit is not None and hit[0] is text and hit[1] == encoding:
        return hit[2]
    index = LineIndex(text, encoding)
    _remember(_line_indexes, id(text), (text, encoding, index))
    return index


def shape_index(shapes: list[ShapeFact]) -> ShapeIndex:
    """The index of a snapshot's shape-fact list (built once per list)."""
    hit = _shape_indexes.get(id(shapes))
    if hit is not None and hit[0] is shapes and len(hit[1].shapes) == len(shapes):
        return hit[1]
    index = ShapeIndex(shapes)
    _remember(_shape_indexes, id(shapes), (shapes, index))
    return index


@dataclass(frozen=True)
class Change:
    """One incremental content change, in client units: ``start``-``end`` (before the
    change) was replaced by text ending at ``new_end``."""

    start: tuple[int, int]
    end: tuple[int, int]
    new_end: tuple[int, int]


def text_extent(start: tuple[int, int], text: str, encoding: str) -> tuple[int, int]:
    """Where inserted ``text`` ends when it starts at ``start`` (client units)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    last = lines[-1]
    if encoding == "utf-8":
        width = len(last.encode("utf-8", "surrogatepass"))
    elif encoding == "utf-32":
        width = len(last)
    else:
        width = len(last.encode("utf-16-le", "surrogatepass")) // 2
    if len(lines) == 1:
        return (start[0], start[1] + width)
    return (start[0] + len(lines) - 1, width)


def record(doc: Doc, version: int, changes, encoding: str) -> None:
    """Remember the didChange's content changes (None for the list: unmappable)."""
    if doc.pending is None:
        return
    out: list[Change] = []
    for ch in changes:
        rng = getattr(ch, "range", None)
        if rng is None:  # the whole document replaced: nothing maps any more
            doc.pending = None
            return
        start = (rng.start.line, rng.start.character)
        out.append(Change(start, (rng.end.line, rng.end.character), text_extent(start, ch.text, encoding)))
    doc.pending.append((version, out))
    if len(doc.pending) > MAX_PENDING:
        doc.pending = None


def accepted(doc: Doc, snap: Snapshot, text: Optional[str]) -> None:
    """A snapshot of ``snap.version`` is now the document's: forget older edits."""
    doc.snapshot_text = text
    if doc.pending is None:
        doc.pending = [] if snap.version == doc.version else None
    else:
        doc.pending = [(v, c) for v, c in doc.pending if v > snap.version]


# Positions name characters (the one starting there); a range's end names the gap
# after its last character, so an insertion exactly there does not join the range.
def _back(p: tuple[int, int], c: Change) -> Optional[tuple[int, int]]:
    if p < c.start:
        return p
    if p < c.new_end:
        return None  # an inserted character
    if p[0] == c.new_end[0]:
        return (c.end[0], c.end[1] + p[1] - c.new_end[1])
    return (p[0] - c.new_end[0] + c.end[0], p[1])


def _forward(p: tuple[int, int], c: Change, end: bool = False) -> Optional[tuple[int, int]]:
    if p < c.start or (end and p == c.start):
        return p
    if p < c.end:
        return None  # a deleted character
    if p[0] == c.end[0]:
        return (c.new_end[0], c.new_end[1] + p[1] - c.end[1])
    return (p[0] - c.end[0] + c.new_end[0], p[1])


class View:
    """The snapshot seen from the current text."""

    def __init__(self, snap: Snapshot, lines: LineIndex, changes: list[Change], current: bool) -> None:
        self.snap = snap
        self.lines = lines  # of the snapshot's text
        self.changes = changes  # oldest first
        self.current = current  # the analysis of the version on screen (nothing to map)

    def to_old(self, pos: types.Position) -> Optional[types.Position]:
        p: Optional[tuple[int, int]] = (pos.line, pos.character)
        for c in reversed(self.changes):
            p = _back(p, c)
            if p is None:
                return None
        return types.Position(*p)

    def to_new(self, pos: types.Position, end: bool = False) -> Optional[types.Position]:
        p: Optional[tuple[int, int]] = (pos.line, pos.character)
        for c in self.changes:
            p = _forward(p, c, end)
            if p is None:
                return None
        return types.Position(*p)

    def from_client(self, pos: types.Position) -> Optional[EnginePosition]:
        old = self.to_old(pos)
        return None if old is None else self.lines.from_client(old)

    def range_to_client(self, rng: EngineRange) -> Optional[types.Range]:
        return self.forward_range(self.lines.range_to_client(rng))

    def forward_range(self, r: types.Range) -> Optional[types.Range]:
        """A range in the snapshot's text (client units) -> the same span now."""
        if not self.changes:
            return r
        if r.start == r.end:
            p = self.to_new(r.start, end=True)
            return None if p is None else types.Range(p, p)
        start, end = self.to_new(r.start), self.to_new(r.end, end=True)
        if start is None or end is None or (end.line, end.character) < (start.line, start.character):
            return None
        return types.Range(start, end)

    def to_client(self, pos: EnginePosition) -> Optional[types.Position]:
        """A point between characters (an inlay hint's place)."""
        return self.to_new(self.lines.to_client(pos), end=True)

    def shapes_at(self, cell: Optional[int], pos: EnginePosition) -> list[ShapeFact]:
        """The snapshot's shape facts whose range holds ``pos`` (a snapshot position)."""
        return shape_index(self.snap.shapes).covering(cell, pos)

    def inlay_candidates(self, cell: Optional[int], first: int, last: int) -> list[ShapeFact]:
        """Facts whose inlay place can map into client lines ``first``..``last`` now: a
        pending change moves a later line by its own line delta at most, so the old
        lines are the requested ones widened by the sum of those deltas. Places that
        LineIndex clamps (before line 1, after the last line) are kept when the
        widened lines reach the text's ends."""
        slack = sum(abs(c.new_end[0] - c.end[0]) for c in self.changes)
        lo, hi = first + 1 - slack, last + 1 + slack  # engine lines are 1-based
        return shape_index(self.snap.shapes).placed_between(
            cell, None if lo <= 1 else lo, None if hi >= len(self.lines.lines) else hi)


def view_of(server: "PtlintServer", doc: Doc, uri: str) -> Optional[View]:
    """The last snapshot as seen from the current text, or None when there is none
    that can be mapped (no analysis yet; a notebook or a whole-text change since)."""
    snap = doc.snapshot
    if snap is None:
        return None
    enc = server.position_encoding
    if snap.version == doc.version:
        return View(snap, line_index(server.text_of(uri), enc), [], doc.is_current(server.generation))
    if doc.kind != PYTHON or doc.pending is None or doc.snapshot_text is None:
        return None
    changes = [c for _, cs in doc.pending for c in cs]
    return View(snap, line_index(doc.snapshot_text, enc), changes, False)
