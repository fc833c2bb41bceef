"""Hover and inlay hints look shape facts up through an index of the snapshot
(server/lsp/snapview.py): what they find must equal a scan of every fact, with
positions mapped through pending edits, including facts spanning many lines, other
notebook cells and places LineIndex clamps to the text's ends."""
import random

from ptlint.rules.findings import Position, Range
from ptlint.server.lsp.positions import LineIndex, contains
from ptlint.server.lsp.shapes import ShapeFact
from ptlint.server.lsp.snapview import Change, View
from ptlint.server.lsp.worker import Snapshot


def _random_view(rnd: random.Random) -> tuple[View, list[ShapeFact], int]:
    n = rnd.randint(1, 60)
    text = "\n".join("x" * rnd.randint(0, 30) for _ in range(n))
    facts = []
    for _ in range(rnd.randint(0, 80)):
        first = rnd.randint(-1, n + 3)
        last = first + rnd.choice([0, 0, 0, 1, 3, 70])  # 70: wider than the index files by line
        inlay = Position(rnd.randint(-1, n + 3), rnd.randint(0, 35)) if rnd.random() < .7 else None
        facts.append(ShapeFact(Range(Position(first, rnd.randint(0, 30)), Position(last, rnd.randint(0, 30))),
                               "(1, 2)", cell=rnd.choice([None, None, 1, 2]), inlay=inlay))
    changes = []
    for _ in range(rnd.randint(0, 4)):
        start = (rnd.randint(0, n), rnd.randint(0, 20))
        end = max(start, (start[0] + rnd.choice([0, 0, 1, 2]), rnd.randint(0, 20)))
        new_end = max(start, (start[0] + rnd.choice([0, 0, 1, 3]), rnd.randint(0, 20)))
        changes.append(Change(start, end, new_end))
    return View(Snapshot("file:///t.py", 1, 0, shapes=facts), LineIndex(text), changes, False), facts, n


def _placed(view: View, facts, cell, first: int, last: int) -> list:
    out = []
    for fact in facts:
        if fact.cell != cell or fact.inlay is None:
            continue
        pos = view.to_client(fact.inlay)
        if pos is not None and first <= pos.line <= last:
            out.append((fact, pos))
    return out


def test_indexed_lookups_equal_a_scan_of_every_fact():
    rnd = random.Random(7)
    for _ in range(300):
        view, facts, n = _random_view(rnd)
        for _ in range(20):
            cell = rnd.choice([None, 1, 2])
            pos = Position(rnd.randint(0, n + 2), rnd.randint(0, 32))
            assert view.shapes_at(cell, pos) == [f for f in facts if f.cell == cell and contains(f.range, pos)]
            first = rnd.randint(0, n + 2)
            last = first + rnd.randint(0, 20)
            assert _placed(view, view.inlay_candidates(cell, first, last), cell, first, last) == \
                _placed(view, facts, cell, first, last)
