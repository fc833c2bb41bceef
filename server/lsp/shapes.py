"""Shape facts for hover and inlay hints, taken from the static shape engine
(``ptlint.rules.shapes``) through the per-file analysis the rules already built.

Runs in the analysis worker: the result is plain data. When the shape engine is not
installed (or knows nothing about this file) there are simply no facts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from ptlint.rules.findings import Position, Range

Dim = Any  # int | str (a symbol such as "N") | None (unknown)


@dataclass(frozen=True)
class ShapeFact:
    range: Range  # the layer call / Sequential entry, in the unit's coordinates
    shape: tuple[Dim, ...]
    cell: Optional[int] = None
    formula: Optional[str] = None
    label: Optional[str] = None  # e.g. "self.conv2" or "conv1"
    inlay: Optional[Position] = None  # where an inlay hint goes; None: hover only
    model: Optional[str] = None


def format_shape(shape: Sequence[Dim]) -> str:
    dims = ["?" if d is None else str(d) for d in shape]
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(dims) + ")"


def _engine():
    try:
        from ptlint.rules import shapes  # noqa: F401
    except ImportError:
        return None
    return shapes


def shape_facts(ctx) -> list[ShapeFact]:
    """Facts for one analysed file (a FileContext kept by the engine)."""
    engine = _engine()
    if engine is None:
        return []
    return _facts_from_engine(engine, ctx)


def _facts_from_engine(engine, ctx) -> list[ShapeFact]:
    return []
