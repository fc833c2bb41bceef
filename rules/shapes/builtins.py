"""Python builtins the interpreter evaluates on known values: ``range``, ``len``, ``int``,
``float``, ``min``, ``max``, ``list``, ``tuple``, ``enumerate``, ``zip``, ``print``."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .state import Frame, _num
from .tables import MAX_UNROLL
from .values import UNKNOWN, Const, ContainerV, DimV, Seq, ShapeV, TensorV, Value, as_int

if TYPE_CHECKING:
    from .interp import Interp


def _b_range(self: "Interp", e: cst.Call, f: Frame) -> Value:
    got = self.args_of(e, f)
    if got is None or got[1]:
        return UNKNOWN
    nums = [as_int(v) for v, _ in got[0]]
    if not nums or None in nums or len(nums) > 3:
        return UNKNOWN
    r = range(*nums)  # type: ignore[arg-type]
    if len(r) > 4 * MAX_UNROLL:
        return UNKNOWN
    return Seq(tuple(Const(i) for i in r))


def _b_len(self: "Interp", e: cst.Call, f: Frame) -> Value:
    got = self.args_of(e, f)
    if got is None or len(got[0]) != 1:
        return UNKNOWN
    v = got[0][0][0]
    if isinstance(v, Seq):
        return Const(len(v.items))
    if isinstance(v, ContainerV) and "?" not in (k for k, _ in v.entries):
        return Const(len(v.entries))
    if isinstance(v, TensorV) and v.shape is not None and v.shape.exact and v.shape.dims:
        d = v.shape.dims[0]
        return DimV(d, (self.trace.ref(v), 0)) if d is not None else UNKNOWN  # type: ignore[arg-type]
    if isinstance(v, Const) and isinstance(v.value, str):
        return Const(len(v.value))
    if isinstance(v, ShapeV) and v.shape is not None and v.shape.exact:
        return Const(len(v.shape.dims))  # len(x.shape) == 2: the rank
    return UNKNOWN


def _b_conv(kind: type):
    def h(self: "Interp", e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None or len(got[0]) != 1:
            return UNKNOWN
        x = _num(got[0][0][0])
        if x is None:
            return UNKNOWN
        try:
            return Const(kind(x))
        except (ValueError, OverflowError):
            return UNKNOWN
    return h


def _b_minmax(fn):
    def h(self: "Interp", e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None or got[1] or not got[0]:
            return UNKNOWN
        nums = [_num(v) for v, _ in got[0]]
        if len(nums) == 1 and isinstance(got[0][0][0], Seq):
            nums = [_num(v) for v in got[0][0][0].items]  # type: ignore[union-attr]
        if not nums or None in nums:
            return UNKNOWN
        return Const(fn(nums))
    return h


def _b_seq(is_list: bool):
    def h(self: "Interp", e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None or got[1]:
            return UNKNOWN
        if not got[0]:
            return Seq((), is_list)
        v = got[0][0][0]
        if isinstance(v, Seq):
            return Seq(v.items, is_list)
        if isinstance(v, ShapeV) and v.shape is not None and v.shape.exact:
            return Seq(tuple(DimV(d, (v.step, i) if v.step is not None else None) for i, d in enumerate(v.shape.dims)),
                       is_list)
        return UNKNOWN
    return h


def _b_enumerate(self: "Interp", e: cst.Call, f: Frame) -> Value:
    got = self.args_of(e, f)
    if got is None or got[1] or len(got[0]) != 1:
        return UNKNOWN
    v = got[0][0][0]
    items = list(v.items) if isinstance(v, Seq) else ([x for _, x in v.entries] if isinstance(v, ContainerV) else None)
    if items is None:
        return UNKNOWN
    return Seq(tuple(Seq((Const(i), it)) for i, it in enumerate(items)))


def _b_zip(self: "Interp", e: cst.Call, f: Frame) -> Value:
    got = self.args_of(e, f)
    if got is None or got[1] or not got[0]:
        return UNKNOWN
    seqs = []
    for v, _ in got[0]:
        if isinstance(v, Seq):
            seqs.append(v.items)
        elif isinstance(v, ContainerV):
            seqs.append(tuple(x for _, x in v.entries))
        else:
            return UNKNOWN
    return Seq(tuple(Seq(tuple(group)) for group in zip(*seqs)))


def _b_print(self: "Interp", e: cst.Call, f: Frame) -> Value:
    self.args_of(e, f)
    return Const(None)


BUILTINS = {
    "range": _b_range, "len": _b_len, "int": _b_conv(int), "float": _b_conv(float), "min": _b_minmax(min),
    "max": _b_minmax(max), "list": _b_seq(True), "tuple": _b_seq(False), "enumerate": _b_enumerate,
    "print": _b_print, "abs": _b_conv(abs), "round": _b_conv(round), "zip": _b_zip,
}
