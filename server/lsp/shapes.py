"""Shape facts for hover and inlay hints, taken from the static shape engine
(``ptlint.rules.shapes``) through the per-file analysis the rules already built.

Runs in the analysis worker: the result is plain data. When the shape engine is not
installed (or knows nothing about this file) there are simply no facts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ptlint.rules.findings import Position, Range

Dim = Any  # int | str (a symbol such as "N") | None (unknown)


@dataclass(frozen=True)
class ShapeFact:
    range: Range  # the layer call / Sequential entry / expression, in the unit's coordinates
    shape: Any  # the engine's text ("(N, 16, 10, 10)") or a tuple of dims
    cell: Optional[int] = None
    formula: Optional[str] = None
    label: Optional[str] = None  # e.g. "self.conv2" or "conv1"
    inlay: Optional[Position] = None  # where an inlay hint goes; None: hover only
    model: Optional[str] = None


def format_shape(shape: Any) -> str:
    if isinstance(shape, str):
        return shape
    dims = ["?" if d is None else str(d) for d in shape]
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(dims) + ")"


def fully_known(shape: Any) -> bool:
    """Inlay hints only show shapes whose every dim is a number or a named symbol (N):
    a hint like ``(…, 8, ?, ?)`` says more about the analysis than about the model."""
    if isinstance(shape, str):
        return "?" not in shape and "…" not in shape and "|" not in shape
    return all(d is not None for d in shape)


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
    """Every expression whose shape the engine computed (for hover) and the places it
    puts inlay hints: after each layer call in forward, after each Sequential entry."""
    analysis = ctx.analysis(engine.ShapeAnalysis)
    hints: dict[tuple, Position] = {}
    for h in analysis.inlay_hints():
        rng = Range.from_dict(h["range"])
        pos = h.get("position")
        hints[(h.get("cell"), rng)] = Position(**pos) if pos else rng.end
    facts: list[ShapeFact] = []
    # ``_all_positions`` is the list behind ``hover_at``: (cell, range) of every node with
    # a known value. Without it, hover falls back to the inlay-hint places only.
    positions = getattr(analysis, "_all_positions", None)
    if callable(positions):
        for (cell, rng), node in positions():
            shape = analysis.shape_of(node)
            if shape is None:
                continue
            facts.append(ShapeFact(range=rng, shape=shape, cell=cell, formula=analysis.formula_of(node),
                                   inlay=hints.pop((cell, rng), None)))
    for h in analysis.inlay_hints():
        rng = Range.from_dict(h["range"])
        key = (h.get("cell"), rng)
        if key in hints:
            facts.append(ShapeFact(range=rng, shape=h["shape"], cell=h.get("cell"), inlay=hints.pop(key)))
    return facts
