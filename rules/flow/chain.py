"""Chains: how to rebuild a tensor from literals alone, for the runtime probe.

A :class:`~.values.Chain` on a :class:`~.values.Value` says "this tensor is what you get
from a fresh row-major tensor of this literal shape and dtype after these operations, in
this order". The runtime probe replays it on an empty tensor to confirm a finding with
PyTorch's own error (PT001: the chain ends in the ``.view`` that raises). It is a log, not
an interpretation: every link is an operation the user's code performs, with the literal
arguments it was given, so the probe runs exactly that.

Chains start only at creation calls whose shape is all literal ints and whose dtype is
known (``torch.randn(3, 4)``), and grow only through the operations listed here, with
arguments that are literal (ints, floats, bools, ``None``, tuples of ints; an int the flow
facts know exactly, such as ``x.size(0)`` of a literal shape, counts). Anything else — a
tensor argument, a dtype object, a device, an unknown call, a join of two different
histories — leaves the value without a chain, and the probe says "unverifiable".

A chain is only believed on the value it was made for: ``end`` is the node that produced
it, and :func:`chain_of` ignores a chain whose ``end`` is not the value's ``origin``. So a
transfer function that builds a new value from an old one with ``evolve`` (and forgets
to extend the chain) drops it instead of passing on a wrong history.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import libcst as cst

from ..dtypes import CAST_METHODS
from .transfer import POINTWISE_METHODS
from .values import Chain, Kind, Value

MAX_LINKS = 31  # the probe replays at most 32 steps, the final call included

# Methods a chain may go through: what the flow facts follow one by one (re-layouts,
# conversions, pointwise ops). Tuple-returning ones (split, chunk, unbind) are not here:
# a link cannot pick an item.
CHAIN_METHODS = frozenset({
    "t", "transpose", "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "narrow", "unfold", "expand",
    "view", "reshape", "flatten", "contiguous", "squeeze", "unsqueeze", "select", "detach", "clone", "cpu",
}) | frozenset(CAST_METHODS) | POINTWISE_METHODS
CHAIN_ATTRS = frozenset({"T", "mT", "H", "mH"})
# ``torch.<fn>(x, ...)`` spellings replayed as the method ``x.<fn>(...)`` (same operation).
# Scalar arithmetic replayed as the method PyTorch runs for it: ``x * 2`` is ``x.mul(2)``.
BINOPS = {"Add": "add", "Subtract": "sub", "Multiply": "mul", "Divide": "div", "Power": "pow"}
COMMUTATIVE = frozenset({"Add", "Multiply"})
# ``.to(dtype)`` with nothing else is the conversion method of that dtype.
TO_METHOD = {dt: name for name, dt in CAST_METHODS.items()}
_NOT_LITERAL = object()


def chain_of(v: Optional[Value]) -> Optional[Chain]:
    """The chain of ``v`` if it describes ``v`` itself (see the module docstring)."""
    if v is None or v.kind is not Kind.TENSOR or v.chain is None or v.origin is None:
        return None
    return v.chain if v.chain.end is v.origin else None


def literal(v: Optional[Value], depth: int = 0) -> Any:
    """The JSON-able literal an argument stands for, or ``_NOT_LITERAL``."""
    if v is None:
        return _NOT_LITERAL
    if v.kind is Kind.INT:
        if isinstance(v.const, int) and not isinstance(v.const, bool):
            return v.const
        if v.sym is not None and v.sym.is_int:
            return v.sym.coef
        return _NOT_LITERAL
    if v.kind is Kind.FLOAT:
        return v.const if (isinstance(v.const, float) and math.isfinite(v.const)) else _NOT_LITERAL
    if v.kind is Kind.BOOL:
        return v.const if isinstance(v.const, bool) else _NOT_LITERAL
    if v.kind is Kind.NONE:
        return None
    if v.kind in (Kind.TUPLE, Kind.LIST, Kind.SIZE) and v.items is not None and depth == 0:
        out = [literal(it, depth + 1) for it in v.items]
        if any(o is _NOT_LITERAL or not isinstance(o, int) or isinstance(o, bool) for o in out):
            return _NOT_LITERAL
        return tuple(out)
    return _NOT_LITERAL


def method_link(name: str, pos: Sequence[Optional[Value]], kw: Sequence[tuple] = (),
                star: bool = False) -> Optional[tuple]:
    """``("method", name, args, kwargs)`` when every argument is literal, else None."""
    if star:
        return None
    args = tuple(literal(v) for v in pos)
    kwargs = tuple((k, literal(v)) for k, v in kw)
    if any(a is _NOT_LITERAL for a in args) or any(a is _NOT_LITERAL for _, a in kwargs):
        return None
    return ("method", name, args, kwargs)


def start(v: Value, node: cst.CSTNode) -> Value:
    """A freshly created row-major tensor of literal shape and known dtype starts a chain."""
    if v.kind is not Kind.TENSOR or v.origin is not node or v.dtype is None or v.shape is None:
        return v
    lay = v.layout
    if lay is None or not lay.contiguous or not all(d.is_int and d.coef >= 0 for d in v.shape):
        return v
    return v.evolve(chain=Chain(tuple(d.coef for d in v.shape), v.dtype, (), node))


def extend(out: Value, receiver: Optional[Value], link: Optional[tuple], node: cst.CSTNode) -> Value:
    """``out`` (made at ``node`` from ``receiver`` by ``link``) with the receiver's chain
    plus that link; unchanged when there is nothing to extend."""
    if link is None or out.kind is not Kind.TENSOR or out.origin is not node:
        return out
    ch = chain_of(receiver)
    if ch is None or len(ch.links) >= MAX_LINKS:
        return out
    return out.evolve(chain=Chain(ch.shape, ch.dtype, ch.links + (link,), node))


def link_json(link: tuple) -> dict:
    if link[0] == "attr":
        return {"attr": link[1]}
    _, name, args, kwargs = link
    out: dict = {"method": name, "args": [_json(a) for a in args]}
    if kwargs:
        out["kwargs"] = {k: _json(a) for k, a in kwargs}
    return out


def _json(a: Any) -> Any:
    return list(a) if isinstance(a, tuple) else a


def probe_facts(ch: Chain, last: Optional[tuple] = None) -> dict:
    """What the PT001 probe check reads from ``Finding.extra``: ``shape``, ``dtype`` and
    ``chain`` (the receiver's links, then ``last``, the call being checked)."""
    links = list(ch.links) + ([last] if last is not None else [])
    return {"shape": list(ch.shape), "dtype": ch.dtype, "chain": [link_json(x) for x in links]}
