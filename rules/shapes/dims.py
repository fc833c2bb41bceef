"""Dims and shapes.

A dim is an ``int``, a named symbol (a ``str`` such as ``"N"`` for a batch size the code
does not fix) or ``None`` (unknown). A :class:`Shape` is a tuple of dims; when the rank
itself is unknown (no input shape, but a layer fixed the channel count) the shape is
*inexact*: ``dims`` then holds only the trailing dims that are known to exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

from ..shape_arith import broadcast_sizes
from ..size_product import Product, size_of

Dim = Union[int, str, None]

MINUS = "\u2212"  # the minus sign used in formulas and messages


@dataclass(frozen=True)
class Shape:
    dims: tuple[Dim, ...]
    exact: bool = True  # False: more leading dims of unknown size may exist

    @property
    def rank(self) -> Optional[int]:
        return len(self.dims) if self.exact else None

    def dim(self, i: int) -> Dim:
        """The dim at index ``i`` (negative counts from the end); None when unknowable."""
        n = len(self.dims)
        if i < 0:
            return self.dims[n + i] if -i <= n else None
        if not self.exact:
            return None
        return self.dims[i] if i < n else None

    @property
    def fully_known(self) -> bool:
        return self.exact and all(d is not None for d in self.dims)

    def with_dims(self, dims: Sequence[Dim]) -> "Shape":
        return Shape(tuple(dims), self.exact)


def exact(*dims: Dim) -> Shape:
    return Shape(tuple(dims), True)


def tail(*dims: Dim) -> Shape:
    return Shape(tuple(dims), False)


def fmt_num(v: Union[int, float]) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v)
    return MINUS + s[1:] if s.startswith("-") else s


def fmt_dim(d: Dim) -> str:
    if d is None:
        return "?"
    return fmt_num(d) if isinstance(d, int) else str(d)


def fmt_shape(shape: Optional[Shape]) -> str:
    if shape is None:
        return "(?)"
    parts = [fmt_dim(d) for d in shape.dims]
    if not shape.exact:
        parts.insert(0, "…")
    if len(parts) == 1 and shape.exact:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


def shape_json(shape: Optional[Shape]) -> Optional[list]:
    """The JSON form: a list of int / symbol / null, or null when the rank is unknown."""
    if shape is None or not shape.exact:
        return None
    return list(shape.dims)


# ---------------------------------------------------------------------- products
def dim_of(p: Optional[Product]) -> Dim:
    """A size product (rules/size_product.py) as a Dim: an int or a lone symbol; None for a
    product of several symbols (``N×H``), which a Dim does not hold, or an unknown one."""
    if p is None:
        return None
    d = size_of(p)
    return None if isinstance(d, Product) else d


def dims_of(sizes: Optional[Sequence]) -> Optional[tuple[Dim, ...]]:
    """``shape_arith`` sizes as Dims (products of several symbols become unknown)."""
    if sizes is None:
        return None
    return tuple(None if isinstance(d, Product) else d for d in sizes)


def broadcast(a: Shape, b: Shape) -> tuple[Optional[Shape], Optional[tuple[int, Dim, Dim]]]:
    """Broadcast two shapes (``shape_arith.broadcast_sizes``). Returns (shape, clash) where
    clash is (dim from the end, a, b)."""
    dims, clash = broadcast_sizes(a.dims, b.dims, a.exact, b.exact)
    if dims is None:
        return None, clash
    return Shape(dims, a.exact and b.exact), None
