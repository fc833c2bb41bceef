"""Shape facts for hover and inlay hints, taken from the front-end API
(``ptlint.rules.api``) over the per-file analysis the rules already built.

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


def shape_facts(ctx) -> list[ShapeFact]:
    """Facts for one analysed file (a FileContext kept by the engine), through the
    front-end API's public shape facts."""
    try:
        from ptlint.rules.api import shape_facts as api_facts
    except ImportError:  # an install without the shape engine: no facts
        return []
    # In the order of their ends: inlay hints come out in the order they appear in the line.
    facts = sorted(api_facts(ctx), key=lambda f: (f.cell or 0, f.range.end.line, f.range.end.column))
    return [from_api(f) for f in facts]


def from_api(fact) -> ShapeFact:
    """The server's picklable fact from the API's (``ptlint.rules.api.ShapeFact``)."""
    return ShapeFact(range=fact.range, shape=fact.text, cell=fact.cell, formula=fact.formula,
                     inlay=fact.inlay, model=fact.model)
