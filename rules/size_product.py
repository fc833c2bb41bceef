"""One model of a tensor size for both interpreters: an integer times a product of symbols.

Contract
--------
:class:`Product` is ``coef × sym₁ × sym₂ …``: ``4``, ``N``, ``2×H×W``. A symbol is any
hashable key: ``rules/shapes`` names its symbols with strings (``"N"``, ``"H"``),
``rules/flow`` with ``(anchor, i)`` = "dim i of the tensor anchored at ``anchor``", so that
``x.size(0)`` and ``B, N, C = x.shape`` name the same size. Equal products are equal sizes;
what two *different* products may be is the caller's assumption, not this module's (flow
takes a symbol for a size above 1, which its layout checks need; shapes lets a symbol be 1).

A size in ``rules/shape_arith`` is an ``int``, ``None`` or a hashable symbol;
:func:`product_of` reads any of them (a ``Product`` too) and :func:`size_of` gives a product
back in its plainest form (an int, a lone symbol, or the product itself). Nothing here knows
about CST nodes, values or languages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Iterable, Optional


@dataclass(frozen=True)
class Product:
    coef: int
    syms: tuple = ()  # sorted by repr, so equal products compare equal

    @staticmethod
    def of(n: int) -> "Product":
        return Product(int(n))

    @staticmethod
    def sym(key: Hashable) -> "Product":
        return Product(1, (key,))

    @property
    def is_int(self) -> bool:
        return not self.syms

    def __mul__(self, other: "Product") -> "Product":
        return Product(self.coef * other.coef, tuple(sorted(self.syms + other.syms, key=repr)))

    def divide(self, other: "Product") -> Optional["Product"]:
        """``self / other`` when it is a whole product (every symbol of ``other`` is a factor
        of ``self`` and the coefficients divide: ``B×784 / 784 = B``); None otherwise."""
        if other.coef == 0 or self.coef % other.coef:
            return None
        rest = list(self.syms)
        for s in other.syms:
            if s not in rest:
                return None
            rest.remove(s)
        return Product(self.coef // other.coef, tuple(rest))

    def text(self) -> str:
        """For messages: ``N×H×W×2`` (a flow symbol ``(anchor, i)`` reads ``d<i>``)."""
        parts = [_sym_text(s) for s in self.syms]
        if self.coef != 1 or not parts:
            parts.append(str(self.coef))
        return "×".join(parts)

    __str__ = text


def _sym_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], int):
        return f"d{key[1]}"
    return "?"


def product_of(sizes: Iterable[Any]) -> Optional[Product]:
    """The product of sizes (ints, symbols, Products); None when one is unknown (None)."""
    out = Product(1)
    for s in sizes:
        if s is None:
            return None
        if isinstance(s, Product):
            out = out * s
        elif isinstance(s, int):
            out = out * Product(s)
        else:
            out = out * Product(1, (s,))
    return out


def size_of(p: Product) -> Any:
    """A product in its plainest size form: an int, a lone symbol, or the product itself."""
    if not p.syms:
        return p.coef
    if p.coef == 1 and len(p.syms) == 1:
        return p.syms[0]
    return p
