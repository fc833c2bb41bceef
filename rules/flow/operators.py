"""Operators: unary and binary arithmetic on ints, floats, sequences, tensors and arrays —
the result's dtype (type promotion), shape (broadcasting and the matrix products, computed
by ``rules/shape_arith.py``, the one implementation ``rules/shapes`` uses too) and layout
(TensorIterator's choice of strides).

Contract: ``ev_unary``/``ev_binop`` return the result ``Value``; ``promote``,
``broadcast``, ``matmul_shape`` and ``binary_layout`` answer None when not known, and are
also what pointwise/product tensor methods and torch functions use. A mixin of
``interp.Interpreter``."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..dtypes import Operand, binary_result, exact, numpy_binary_result, scalar_operand, tensor_operand
from ..shape_arith import PRODUCTS, broadcast_sizes
from . import chain as C
from . import layout as L
from .state import State
from .values import (
    CONTIGUOUS, NUMBERS, UNKNOWN, Kind, Layout, Product, Value, const_value, number_kind, shape_of_sizes, sizes_of,
)


class OperatorsMixin:
    """Operator transfer functions; mixed into ``Interpreter``."""

    def ev_unary(self, node: cst.UnaryOperation, st: State, read: bool = True) -> Value:
        v = self.ev(node.expression, st)
        if isinstance(node.operator, cst.Not):
            return Value(Kind.BOOL, origin=node)
        if v.kind in (Kind.INT, Kind.FLOAT) and v.const is not None and not isinstance(v.const, bool):
            if isinstance(node.operator, cst.Minus):
                return const_value(-v.const, node)
            if isinstance(node.operator, cst.Plus):
                return const_value(v.const, node)
        if v.kind.is_array or (v.kind is Kind.UNKNOWN and v.layout is not None):
            out = Value(v.kind, dtype=v.dtype, shape=v.shape, layout=L.elementwise(v) if v.kind is not Kind.NDARRAY else None,
                        storage=("n", id(node)), device=v.device, origin=node, provenance="unary")
            if isinstance(node.operator, cst.Minus):
                out = C.extend(out, v, ("method", "neg", (), ()), node)
            return out
        if v.kind is Kind.INT:
            return Value(Kind.INT, origin=node)
        return UNKNOWN

    def int_binop(self, a: Value, b: Value, op: str) -> Value:
        ca, cb = a.const, b.const
        if isinstance(ca, int) and isinstance(cb, int) and not isinstance(ca, bool) and not isinstance(cb, bool):
            try:
                res = {"Add": ca + cb, "Subtract": ca - cb, "Multiply": ca * cb,
                       "FloorDivide": ca // cb if cb else None, "Modulo": ca % cb if cb else None,
                       "Power": ca ** cb if 0 <= cb < 64 else None}.get(op)
            except Exception:
                res = None
            if isinstance(res, int):
                return const_value(res)
        if op == "Multiply" and a.sym is not None and b.sym is not None:
            return Value(Kind.INT, sym=a.sym * b.sym)
        if op == "Divide":  # true division of ints is a float (``1 / 2`` is 0.5)
            return Value(Kind.FLOAT, const=ca / cb if isinstance(ca, int) and isinstance(cb, int) and cb else None)
        if op == "Power" and not (isinstance(cb, int) and cb >= 0):
            return Value()  # ``2 ** -1`` is a float; an exponent of unknown sign could give either
        return Value(Kind.INT)

    def ev_binop(self, node: cst.BinaryOperation, st: State, read: bool = True) -> Value:
        a = self.ev(node.left, st)
        b = self.ev(node.right, st)
        op = type(node.operator).__name__
        if a.kind is Kind.INT and b.kind is Kind.INT:
            return self.int_binop(a, b, op).evolve(origin=node)
        if a.kind in (Kind.INT, Kind.FLOAT) and b.kind in (Kind.INT, Kind.FLOAT):
            return Value(Kind.FLOAT, origin=node)
        if a.kind is Kind.STR or b.kind is Kind.STR:
            return Value(Kind.STR, origin=node)
        seqs = (Kind.TUPLE, Kind.LIST, Kind.SIZE)
        if a.kind in seqs and b.kind in seqs and op == "Add" and (a.kind is b.kind or Kind.LIST not in (a.kind, b.kind)):
            # ``(B, -1, H) + q.size()[1:]``: a torch.Size is a tuple
            kind = a.kind if a.kind is b.kind else Kind.TUPLE
            if a.items is not None and b.items is not None:
                return Value(kind, items=a.items + b.items, origin=node)
            return Value(kind, origin=node)
        arrays = [v for v in (a, b) if v.kind.is_array]
        if not arrays and not any(v.kind is Kind.UNKNOWN and v.layout is not None for v in (a, b)):
            return self.fresh(node)
        kind = Kind.TENSOR if any(v.kind is Kind.TENSOR for v in (a, b)) else (
            Kind.NDARRAY if arrays else Kind.UNKNOWN)
        if op == "MatrixMultiply":
            return Value(kind, dtype=self.promote(a, b), layout=CONTIGUOUS if kind is Kind.TENSOR else None,
                         shape=self.matmul_shape(a, b, node), storage=("n", id(node)), origin=node, provenance="@",
                         device=a.device or b.device)
        div = op == "Divide"
        out = Value(kind, dtype=self.promote(a, b, div), shape=self.broadcast(a, b),
                    layout=self.binary_layout(a, b) if kind is not Kind.NDARRAY else None,
                    storage=("n", id(node)), device=a.device if a.kind.is_array else b.device,
                    requires_grad=(True if (a.requires_grad or b.requires_grad) else
                                   (False if (a.requires_grad is False and b.requires_grad in (False, None)
                                              and b.kind not in (Kind.TENSOR, Kind.UNKNOWN)) else None)),
                    origin=node, provenance="arith")
        if op in C.BINOPS:  # ``x * 2`` replays as ``x.mul(2)``; ``2 * x`` too (commutative)
            if b.kind in (Kind.INT, Kind.FLOAT):
                out = C.extend(out, a, C.method_link(C.BINOPS[op], [b]), node)
            elif a.kind in (Kind.INT, Kind.FLOAT) and op in C.COMMUTATIVE:
                out = C.extend(out, b, C.method_link(C.BINOPS[op], [a]), node)
        return out

    def promote(self, a: Value, b: Value, div: bool = False) -> Optional[str]:
        """The dtype of ``a <op> b`` (``div``: true division) by the one dtype model
        (``rules/dtypes.py``): torch's promotion when a tensor takes part, NumPy's for two
        arrays or an array and a Python number; None when not known."""
        if not (a.kind.is_array or b.kind.is_array):
            return None
        ops = [_operand(v) for v in (a, b)]
        if any(o is None for o in ops):
            return None
        if Kind.TENSOR not in (a.kind, b.kind):
            return exact(numpy_binary_result(ops[0], ops[1], divide=div))
        return exact(binary_result(ops[0], ops[1], divide=div, default_float=self.default_float))

    @staticmethod
    def matmul_shape(a: Value, b: Value, node: cst.CSTNode, product: str = "matmul") -> Optional[tuple]:
        """``a @ b`` and the other matrix products (``shape_arith.PRODUCTS``). When only one
        side's shape is known, the other is taken to have the same rank (batched attention:
        ``(B, H, N, N) @ (B, H, N, D)``)."""
        sa, sb = a.shape, b.shape
        if sa is not None and sb is not None:
            sizes, _ = PRODUCTS[product](sizes_of(sa), sizes_of(sb))
            return shape_of_sizes(sizes)
        if sa is not None and len(sa) < 2 or sb is not None and len(sb) < 2:
            return None
        fresh = Product.sym(("matmul", id(node)))
        if sa is not None:
            return sa[:-1] + (fresh,)
        if sb is not None:
            return sb[:-2] + (fresh, sb[-1])
        return None

    @staticmethod
    def broadcast(a: Value, b: Value) -> Optional[tuple]:
        # a Python number leaves the tensor's shape; an operand of unknown kind may be a
        # tensor that broadcasts (torch.maximum(torch.tensor(0), x) is x's shape, not ())
        if not a.kind.is_array:
            return b.shape if (b.kind.is_array and a.kind in NUMBERS) else None
        if not b.kind.is_array:
            return a.shape if b.kind in NUMBERS else None
        if a.shape is None or b.shape is None:
            return None
        if a.shape == b.shape:
            return a.shape
        sizes, _ = broadcast_sizes(sizes_of(a.shape), sizes_of(b.shape))
        return shape_of_sizes(sizes)

    @staticmethod
    def binary_layout(a: Value, b: Value) -> Optional[Layout]:
        """TensorIterator lets the first operand that is not broadcast decide the result's
        strides (verified: ``x.t() + y`` is non-contiguous, ``y + x.t()`` is contiguous)."""
        if a.kind in NUMBERS:
            return L.elementwise(b) if b.kind is not Kind.NDARRAY else None
        if b.kind in NUMBERS:
            return L.elementwise(a)
        if a.layout is not None and b.layout is not None and a.layout.contiguous and b.layout.contiguous:
            return CONTIGUOUS
        ra = a.rank if a.rank is not None else (a.layout.rank if a.layout is not None else None)
        rb = b.rank if b.rank is not None else (b.layout.rank if b.layout is not None else None)
        if ra is None or rb is None:
            return None
        if a.shape is not None and any(d.is_int and d.coef == 1 for d in a.shape):
            return None  # a broadcast dim of the first operand defers to the second
        if ra >= rb:
            return L.elementwise(a)
        return None


def _operand(v: Value) -> Optional[Operand]:
    """An operand of the dtype rules: an array (its rank tells a 0-d tensor) or a Python
    number; None for anything else (a string, an unknown value)."""
    if v.kind.is_array:
        return tensor_operand(v.dtype, v.rank)
    kind = number_kind(v)
    return scalar_operand(kind) if kind is not None else None
