"""Applying text edits to source text: used by ``--fix``, ``--diff`` and the LSP."""
from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from .findings import Finding, FixSafety, TextEdit


def _offsets(text: str) -> list[int]:
    """Offset of the start of each 1-based line (index 0 unused)."""
    offs = [0, 0]
    i = 0
    while True:
        j = text.find("\n", i)
        if j < 0:
            break
        offs.append(j + 1)
        i = j + 1
    return offs


def apply_edits(text: str, edits: Iterable[TextEdit]) -> Optional[str]:
    """Apply non-overlapping edits; None if two edits overlap."""
    offs = _offsets(text)

    def at(line: int, col: int) -> int:
        if line >= len(offs):
            return len(text)
        return min(offs[line] + col, len(text))

    spans = sorted(((at(e.range.start.line, e.range.start.column), at(e.range.end.line, e.range.end.column), e.new_text)
                    for e in edits), key=lambda s: (s[0], s[1]))
    out, pos = [], 0
    for start, end, new in spans:
        if start < pos:
            return None
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def select_fixes(findings: Iterable[Finding], unsafe: bool = False) -> list[Finding]:
    return [f for f in findings if f.fix and (unsafe or f.fix.safety is FixSafety.SAFE)]


def fix_text(text: str, findings: Iterable[Finding], unsafe: bool = False) -> tuple[str, list[Finding]]:
    """Apply every applicable fix once, skipping any that overlaps one already taken.
    Two findings about one value may carry the same composed edit (PT016 and PT022 on
    ``torch.Tensor([...])`` used as Embedding indices): it is applied once and both count
    as fixed. Returns the new text and the findings whose fixes were applied."""
    chosen: list[Finding] = []
    taken: list[TextEdit] = []
    for f in select_fixes(findings, unsafe):
        if f.fix.edits and all(e in taken for e in f.fix.edits):  # type: ignore[union-attr]
            chosen.append(f)
            continue
        trial = apply_edits(text, [*taken, *f.fix.edits])  # type: ignore[union-attr]
        if trial is None:
            continue
        taken.extend(f.fix.edits)  # type: ignore[union-attr]
        chosen.append(f)
    new = apply_edits(text, taken) if taken else text
    return (new if new is not None else text), chosen


def parses(text: str) -> bool:
    try:
        cst.parse_module(text)
        return True
    except (cst.ParserSyntaxError, RecursionError):
        return False
