"""Expressions of the flow interpreter: the evaluation entry ``ev`` (records every node's
value), literals and displays, comparisons, comprehensions, iteration, and subscripts
(sequence items, tensor indexing and slicing with their layouts).

Contract: ``ev(node, state)`` returns the node's ``Value`` and joins it into
``FlowAnalysis.value_of(node)``; a read of memory shared across numpy/torch is noted for
the hazard check (``read=False`` for a receiver that is only written or asked for
metadata). Nesting deeper than ``_MAX_DEPTH`` is opaque; long receiver chains are
evaluated iteratively (``ev_spine``). A mixin of ``interp.Interpreter``."""
from __future__ import annotations

from typing import Any, Callable, Optional

import libcst as cst

from ..astutil import token_value
from ..shape_arith import NEW_AXIS, TAKE, index_steps, slice_size
from ..size_product import Product, size_of
from . import layout as L
from .attributes import AttributesMixin
from .calls import CallsMixin
from .events import LoopBlock
from .operators import OperatorsMixin
from .state import State
from .values import OPAQUE, UNKNOWN, Kind, Layout, Value, const_value, join, product_of_size

_MAX_DEPTH = 200  # expression nesting we follow; deeper code is left unknown
_SPINE_MIN = 24  # receiver chains (``x.t().t()...``) at least this long are evaluated iteratively


class ExpressionsMixin:
    """Expression transfer functions; mixed into ``Interpreter``."""

    def ev(self, node: cst.BaseExpression, st: State, read: bool = True) -> Value:
        pre = self.pre_evaluated.pop(node, None) if self.pre_evaluated else None
        if pre is not None:
            return pre
        if st.bridged or st.pending:
            self.forget_reallocated(node, st)
        spine = []
        if not self.in_spine and isinstance(node, (cst.Call, cst.Attribute, cst.Subscript)):
            spine = self.ev_spine(node, st)
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                return OPAQUE
            v = self._ev(node, st, read)
        finally:
            self.depth -= 1
            for link in spine:  # a link the evaluation did not ask for (``self.fc`` read from the env)
                self.pre_evaluated.pop(link, None)
        if read and v.storage is not None and v.storage in st.bridged and isinstance(node, (cst.Name, cst.Attribute)):
            self.note_read(node, v, st)
        return self.record(node, self.fa.grad_modes.settle(node, v, st.no_grad))

    def ev_spine(self, node: cst.BaseExpression, st: State) -> list:
        """A long receiver chain (``x.t().t()....view(-1)``, method-chained pipelines) is
        evaluated innermost first, each link once, so the cost is linear and the Python
        stack stays flat: ``ev`` of a link then finds its receiver already evaluated.
        Returns the links evaluated ahead (the caller drops the ones nobody asked for)."""
        spine = []
        n = node
        while True:
            if isinstance(n, cst.Call):
                n = n.func
            elif isinstance(n, (cst.Attribute, cst.Subscript)):
                n = n.value
                if isinstance(n, (cst.Call, cst.Attribute, cst.Subscript)):
                    spine.append(n)
            else:
                break
        if len(spine) < _SPINE_MIN:
            return []
        self.in_spine = True
        try:
            for inner in reversed(spine):
                self.pre_evaluated[inner] = self.ev(inner, st)
        finally:
            self.in_spine = False
        return spine

    def _ev(self, node: cst.BaseExpression, st: State, read: bool) -> Value:
        handler = EXPRESSIONS.get(type(node))
        return handler(self, node, st, read) if handler is not None else UNKNOWN

    # ------------------------------------------------------------------ by node type
    def ev_name(self, node, st: State, read: bool) -> Value:
        return self.lookup(node.value, node, st)

    def ev_number(self, node, st: State, read: bool) -> Value:
        return const_value(token_value(node), node)

    def ev_string(self, node, st: State, read: bool) -> Value:
        try:
            val = token_value(node)
        except Exception:
            val = None
        return Value(Kind.STR, const=val if isinstance(val, str) else None, origin=node)

    def ev_fstring(self, node, st: State, read: bool) -> Value:
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                self.ev(part.expression, st)
        return Value(Kind.STR, origin=node)

    def ev_display(self, node, st: State, read: bool) -> Value:
        items = []
        ok = True
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                self.ev(el.value, st)
                ok = False
            else:
                items.append(self.ev(el.value, st))
        kind = Kind.TUPLE if isinstance(node, cst.Tuple) else (Kind.LIST if isinstance(node, cst.List) else Kind.UNKNOWN)
        if not ok:
            return Value(kind, origin=node)
        elem = None
        if items:
            acc = None
            for it in items:
                acc = join(acc, it)
            elem = acc
        return Value(kind, items=tuple(items), elem=elem, origin=node)

    def ev_dict(self, node, st: State, read: bool) -> Value:
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                self.ev(el.key, st)
                self.ev(el.value, st)
            else:
                self.ev(el.value, st)
        return Value(origin=node)

    def ev_comparison(self, node, st: State, read: bool) -> Value:
        left = self.ev(node.left, st)
        arrays = [left] if left.kind.is_array else []
        for c in node.comparisons:
            r = self.ev(c.comparator, st)
            if r.kind.is_array:
                arrays.append(r)
        if arrays:
            a = arrays[0]
            return Value(a.kind, dtype="bool", shape=a.shape if len(arrays) == 1 else None,
                         layout=L.elementwise(a) if (len(arrays) == 1 and a.kind is Kind.TENSOR) else None,
                         storage=("n", id(node)), origin=node, provenance="compare")
        return Value(Kind.BOOL, origin=node)

    def ev_boolop(self, node, st: State, read: bool) -> Value:
        a = self.ev(node.left, st)
        b = self.ev(node.right, st)
        if a.kind is Kind.BOOL and b.kind is Kind.BOOL:
            return Value(Kind.BOOL, origin=node)
        return UNKNOWN

    def ev_ifexp(self, node, st: State, read: bool) -> Value:
        self.ev(node.test, st)
        return join(self.ev(node.body, st), self.ev(node.orelse, st))

    def ev_walrus(self, node, st: State, read: bool) -> Value:
        v = self.ev(node.value, st)
        self.assign(node.target, v, node.value, st)
        return v

    def ev_await(self, node, st: State, read: bool) -> Value:
        self.ev(node.expression, st)
        return UNKNOWN

    def ev_yield(self, node, st: State, read: bool) -> Value:
        if isinstance(node.value, cst.BaseExpression):
            self.ev(node.value, st)
        elif isinstance(node.value, cst.From):
            self.ev(node.value.item, st)
        return UNKNOWN

    def ev_opaque(self, node, st: State, read: bool) -> Value:
        return Value(origin=node)

    def ev_starred(self, node, st: State, read: bool) -> Value:
        self.ev(node.value, st)
        return UNKNOWN

    def ev_comp(self, node, st: State, read: bool = True) -> Value:
        sub = st.copy()
        arm: list = []
        saved, self.sink = self.sink, arm
        try:
            f = node.for_in
            while f is not None:
                it = self.ev(f.iter, sub)
                self.assign(f.target, self.elem_of(it, f.iter), None, sub)
                for cond in f.ifs:
                    self.ev(cond.test, sub)
                f = f.inner_for_in
            if isinstance(node, cst.DictComp):
                self.ev(node.key, sub)
                elt = self.ev(node.value, sub)
            else:
                elt = self.ev(node.elt, sub)
        finally:
            self.sink = saved
        if arm:
            self.emit(LoopBlock(node, arm))
        st.pending = st.pending | sub.pending
        if isinstance(node, cst.ListComp):
            return Value(Kind.LIST, elem=elt, origin=node)
        return Value(origin=node, elem=elt)

    def elem_of(self, it: Value, node: cst.CSTNode) -> Value:
        if it.elem is not None:
            return it.elem
        if it.items:
            acc = None
            for x in it.items:
                acc = join(acc, x)
            return acc or UNKNOWN
        if it.kind is Kind.SIZE:
            return Value(Kind.INT)
        if it.kind.is_array:
            lay = L.remove_dim(it, 0, node) if it.kind is Kind.TENSOR else None
            return Value(it.kind, dtype=it.dtype, shape=it.shape[1:] if it.shape else None, layout=lay,
                         storage=it.storage, bridge=it.bridge, origin=node)
        return UNKNOWN

    def ev_slices(self, node: cst.Subscript, st: State) -> list:
        out = []
        for el in node.slice:
            s = el.slice
            if isinstance(s, cst.Index):
                out.append(("index", self.ev(s.value, st), s.value))
            elif isinstance(s, cst.Slice):
                parts = [self.ev(p, st) if p is not None else None for p in (s.lower, s.upper, s.step)]
                out.append(("slice", parts, s))
        return out

    def ev_subscript(self, node: cst.Subscript, st: State, read: bool) -> Value:
        base = self.ev(node.value, st, read=read)
        idx = self.ev_slices(node, st)
        if base.kind in (Kind.TUPLE, Kind.LIST, Kind.SIZE):
            if len(idx) == 1 and idx[0][0] == "index":
                v = idx[0][1]
                if v.kind is Kind.INT and isinstance(v.const, int):
                    i = v.const
                    if base.items is not None and -len(base.items) <= i < len(base.items):
                        return base.items[i]
                    if base.kind is Kind.SIZE and base.anchor is not None and i >= 0:
                        return Value(Kind.INT, sym=Product.sym((base.anchor, i)), origin=node)
                if base.kind is Kind.SIZE:
                    return Value(Kind.INT, origin=node)
                return base.elem if base.elem is not None else UNKNOWN
            if len(idx) == 1 and idx[0][0] == "slice" and base.items is not None:
                lo, hi, step = idx[0][1]
                try:
                    sl = slice(*(p.const if p is not None else None for p in (lo, hi, step)))
                    if all(p is None or (p.kind is Kind.INT and isinstance(p.const, int)) for p in (lo, hi, step)):
                        return Value(base.kind, items=base.items[sl], origin=node)
                except (TypeError, ValueError):
                    pass
            if base.kind is Kind.SIZE:  # ``h, w = x.shape[-2:]``: ints of unknown value
                return Value(Kind.SIZE, elem=Value(Kind.INT), origin=node)
            return Value(base.kind, origin=node)
        if base.kind is Kind.DATASET and len(idx) == 1 and idx[0][0] == "index" and idx[0][1].kind is Kind.INT:
            return base.elem if base.elem is not None else UNKNOWN  # ``train_data[0]``: one sample
        if base.kind is Kind.MODULE and base.spec == "torch.nn.Sequential" and base.items is not None:
            part = self.sequential_part(base, idx, node)
            if part is not None:
                return part
        if base.kind in (Kind.TENSOR, Kind.UNKNOWN, Kind.NDARRAY):
            if base.kind is Kind.UNKNOWN and base.provenance:
                return self.fresh(node)
            return self.getitem(base, idx, node)
        return self.fresh(node)

    @staticmethod
    def sequential_part(seq: Value, idx: list, node: cst.Subscript) -> Optional[Value]:
        """``net[0]`` of an ``nn.Sequential`` whose layers the flow knows: that layer;
        ``net[1:]``: a Sequential of those layers (as torch gives). None otherwise."""
        if len(idx) != 1:
            return None
        kind, v, _ = idx[0]
        if kind == "index" and v.kind is Kind.INT and isinstance(v.const, int):
            return seq.items[v.const] if -len(seq.items) <= v.const < len(seq.items) else None
        if kind == "slice" and all(p is None or (p.kind is Kind.INT and isinstance(p.const, int)) for p in v):
            try:
                part = seq.items[slice(*(p.const if p is not None else None for p in v))]
            except ValueError:  # a step of 0
                return None
            return Value(Kind.MODULE, spec=seq.spec, origin=node, items=part)
        return None

    def getitem(self, r: Value, idx: list, node: cst.Subscript) -> Value:
        advanced = False
        for kind, v, _ in idx:
            if kind == "index" and not (v.kind in (Kind.INT, Kind.NONE) or isinstance(_, cst.Ellipsis)):
                advanced = True
        if advanced:
            out = Value(r.kind if r.kind is not Kind.UNKNOWN else Kind.UNKNOWN, dtype=r.dtype, device=r.device,
                        storage=("n", id(node)), origin=node, provenance="[]")
            return out
        shape = list(r.shape) if r.shape is not None else None
        lay: Optional[Layout] = r.layout if r.kind is not Kind.NDARRAY else None
        rank = len(shape) if shape is not None else (lay.rank if lay is not None else None)
        steps = index_steps(rank, [_index_item(kind, v, n) for kind, v, n in idx])
        ok = steps is not None
        for step in steps or ():
            d = step.pos
            before = r.evolve(layout=lay, shape=tuple(shape) if shape is not None else None)
            if step.kind == NEW_AXIS:
                lay = L.insert_dim(before, d) if lay is not None else None
                if shape is not None:
                    shape.insert(d, Product(1))
                continue
            if step.kind == TAKE:
                if r.kind is not Kind.NDARRAY:
                    lay = L.remove_dim(before, d, node)
                if shape is not None:
                    shape = shape[:d] + shape[d + 1:] if d < len(shape) else None
                continue
            lo, hi, step_v = idx[step.item][1]
            step_c = step_v.const if (step_v is not None and step_v.kind is Kind.INT) else (1 if step_v is None else None)
            lo_c = lo.const if (lo is not None and lo.kind is Kind.INT) else (None if lo is not None else 0)
            hi_c = hi.const if (hi is not None and hi.kind is Kind.INT) else None
            fresh = Product.sym(("slice", id(node), d))
            if not isinstance(step_c, int) or step_c < 1:
                lay = None
                if shape is not None and d < len(shape):
                    shape[d] = fresh
                continue
            size = shape[d] if (shape is not None and d < len(shape)) else None
            if lo_c == 0 and hi is None and step_c == 1:
                continue  # ``:`` keeps the dim as it is
            literal = slice_size(size_of(size), slice(lo_c, hi_c if hi is not None else None, step_c)) \
                if (size is not None and isinstance(lo_c, int) and (hi is None or isinstance(hi_c, int))) else None
            new_size: Optional[Product]
            if literal is not None:
                new_size = product_of_size(literal)
            elif (isinstance(lo_c, int) and lo_c != 0) or (isinstance(hi_c, int) and hi_c < 0) or step_c > 1:
                new_size = fresh  # certainly shorter, by an amount the analysis does not know
            else:
                new_size = None  # maybe the whole dim (``x[:, :n]``)
            if r.kind is not Kind.NDARRAY and (lay is not None or r.layout is None):
                lay = L.narrow(before, d, new_size, node, "slice", step_c)
            if shape is not None and d < len(shape):
                shape[d] = new_size if new_size is not None else fresh
        if not ok:
            lay, shape = None, None
        kind = r.kind if r.kind is not Kind.UNKNOWN else Kind.UNKNOWN
        return Value(kind, dtype=r.dtype, shape=tuple(shape) if shape is not None else None,
                     layout=lay if r.kind is not Kind.NDARRAY else None, storage=r.storage, device=r.device,
                     requires_grad=r.requires_grad, bridge=r.bridge, initialized=r.initialized, origin=node,
                     provenance="[]")


def _index_item(kind: str, v: Any, node: cst.CSTNode) -> Any:
    """One item of ``ev_slices`` as ``shape_arith.index_steps`` reads it."""
    if kind == "slice":
        return slice(*(None if p is None else (p.const if p.kind is Kind.INT and isinstance(p.const, int) else "?")
                       for p in v))
    if isinstance(node, cst.Ellipsis):
        return Ellipsis
    if v.kind is Kind.NONE:
        return None
    return v.const if isinstance(v.const, int) else "?"


# expression node type -> handler ``(node, state, read) -> Value``; other nodes are unknown
EXPRESSIONS: dict[type, Callable[..., Value]] = {
    cst.Name: ExpressionsMixin.ev_name,
    cst.Attribute: AttributesMixin.ev_attribute,
    cst.Call: CallsMixin.ev_call,
    cst.Subscript: ExpressionsMixin.ev_subscript,
    cst.Integer: ExpressionsMixin.ev_number,
    cst.Float: ExpressionsMixin.ev_number,
    cst.SimpleString: ExpressionsMixin.ev_string,
    cst.ConcatenatedString: ExpressionsMixin.ev_string,
    cst.FormattedString: ExpressionsMixin.ev_fstring,
    cst.UnaryOperation: OperatorsMixin.ev_unary,
    cst.BinaryOperation: OperatorsMixin.ev_binop,
    cst.Tuple: ExpressionsMixin.ev_display,
    cst.List: ExpressionsMixin.ev_display,
    cst.Set: ExpressionsMixin.ev_display,
    cst.Dict: ExpressionsMixin.ev_dict,
    cst.Comparison: ExpressionsMixin.ev_comparison,
    cst.BooleanOperation: ExpressionsMixin.ev_boolop,
    cst.IfExp: ExpressionsMixin.ev_ifexp,
    cst.ListComp: ExpressionsMixin.ev_comp,
    cst.SetComp: ExpressionsMixin.ev_comp,
    cst.GeneratorExp: ExpressionsMixin.ev_comp,
    cst.DictComp: ExpressionsMixin.ev_comp,
    cst.NamedExpr: ExpressionsMixin.ev_walrus,
    cst.Await: ExpressionsMixin.ev_await,
    cst.Yield: ExpressionsMixin.ev_yield,
    cst.Lambda: ExpressionsMixin.ev_opaque,
    cst.StarredElement: ExpressionsMixin.ev_starred,
    cst.Ellipsis: ExpressionsMixin.ev_opaque,
}
