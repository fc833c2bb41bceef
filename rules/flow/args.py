"""Evaluated call arguments (``Args``) and the environment key of an expression
(``key_of``): the two things every transfer function of a call reads.

Contract: ``Args`` holds the positional and keyword arguments of one call with their
``Value``; after a ``*args``/``**kwargs`` argument (``star``) positions are unknown.
``key_of`` is the dotted name ``self.fc.weight`` an expression is bound under, else None."""
from __future__ import annotations

from typing import Any, Optional

import libcst as cst

from ..names import dotted_name
from ..shape_arith import NUMPY_SPELLINGS, torch_keyword
from .values import Kind, Value


def key_of(node: cst.BaseExpression) -> Optional[str]:
    """Dotted environment key of a Name/Attribute chain (``self.fc.weight``), else None."""
    return dotted_name(node)


class Args:
    """Evaluated call arguments."""

    __slots__ = ("pos", "kw", "star")

    def __init__(self, call_args, values, skip: int = 0) -> None:
        self.pos: list = []
        self.kw: dict = {}
        self.star = False
        for a, v in zip(call_args, values):
            if a.star:
                self.star = True
            elif a.keyword is not None:
                self.kw[a.keyword.value] = (a, v)
            elif not self.star:
                self.pos.append((a, v))
        self.pos = self.pos[skip:]

    def get(self, i: Optional[int], name: Optional[str] = None) -> Optional[Value]:
        if name is not None and name in self.kw:
            return self.kw[name][1]
        if i is not None and i < len(self.pos):
            return self.pos[i][1]
        return None

    def node(self, i: Optional[int], name: Optional[str] = None) -> Optional[cst.Arg]:
        if name is not None and name in self.kw:
            return self.kw[name][0]
        if i is not None and i < len(self.pos):
            return self.pos[i][0]
        return None

    def int_const(self, i: Optional[int], name: Optional[str] = None, default: Any = None) -> Any:
        v = self.get(i, name)
        if v is None:
            return default
        return v.const if (v.kind is Kind.INT and isinstance(v.const, int)) else None

    def ints(self, start: int = 0) -> Optional[list]:
        """Positional ints from ``start``, or the items of a single tuple/list argument."""
        vals = [v for _, v in self.pos[start:]]
        if self.star:
            return None
        if len(vals) == 1 and vals[0].kind in (Kind.TUPLE, Kind.LIST) and vals[0].items is not None:
            vals = list(vals[0].items)
        out = []
        for v in vals:
            if v.kind is not Kind.INT or not isinstance(v.const, int):
                return None
            out.append(v.const)
        return out

    def native_names(self, method: str) -> "Args":
        """These arguments as torch binds them for the native ``method``: numpy's keyword
        spellings (``axis``, ``keepdims``) under torch's names (``shape_arith.torch_keyword``)."""
        if not any(k in NUMPY_SPELLINGS for k in self.kw):
            return self
        out = Args((), ())
        out.pos, out.star = self.pos, self.star
        out.kw = {torch_keyword(k, method, self.kw): v for k, v in self.kw.items()}
        return out

    def all_values(self) -> list:
        return [v for _, v in self.pos] + [v for _, v in self.kw.values()]
