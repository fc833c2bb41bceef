"""A small abstract interpreter over statements, for shapes.

It runs a model's ``__init__`` (to learn its layers), its ``forward`` (to build the step
graph and find what PyTorch would raise), and module-level / function code (to find input
shapes, Sequential models and shape errors on literal tensors). Whatever it does not model
becomes unknown; unknown values never produce findings."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence

import libcst as cst

from ..astutil import token_value
from ..dtypes import TORCH_DTYPES
from . import ops
from .calls import CallsMixin
from .dims import Shape
from .models import Instance, ModelClass
from .layers import layer_class_name
from .state import Budget, DictV, DType, Frame, FunctionV, LayerClassV, MethodV, TransformV, truth
from .tables import MAX_NESTED_UNROLL, MAX_UNROLL, SHAPE_METHODS
from .trace import Trace
from .values import (
    MISSING, UNKNOWN, ClassRef, Const, ContainerV, DatasetV, DimV, InstanceV, LayerV, Note, SelfRef, Seq, ShapeV,
    TensorV, Value, join, py,
)
from .walk import _has_jump, _head, assigned_names, suite

if TYPE_CHECKING:
    from .analysis import ShapeAnalysis

__all__ = ["Budget", "Frame", "Interp", "TransformV", "assigned_names", "suite"]


class Interp(CallsMixin):
    def __init__(self, analysis: "ShapeAnalysis", trace: Trace) -> None:
        self.a = analysis
        self.ctx = analysis.ctx
        self.trace = trace
        self.depth = 0
        self.stack: list[cst.FunctionDef] = []  # functions being inlined (no recursion)
        self.unrolled = 1  # product of the lengths of the loops being unrolled
        self.script_depth = 0  # module-level functions being followed from script code
        self.scope_fn: Optional[cst.FunctionDef] = None  # the function run on its own, if any
        self.symbolic = False  # constructor parameters without a value become symbols
        self.home_calls: list[cst.Call] = []  # this file's calls being run (around other files' code)
        self.loops = 0  # loops and comprehensions being run (a layer built there is built again)

    # ================================================================ statements
    def exec_block(self, stmts: Sequence[cst.BaseStatement], f: Frame) -> bool:
        """Run statements; True when the block always ends in return/raise."""
        for st in stmts:
            if self.exec_stmt(st, f):
                return True
        return False

    def exec_stmt(self, st: cst.BaseStatement, f: Frame) -> bool:
        self.a.spend()
        if isinstance(st, cst.SimpleStatementLine):
            for small in st.body:
                if self.exec_small(small, f, st):
                    return True
            return False
        if isinstance(st, cst.If):
            return self.exec_if(st, f)
        if isinstance(st, (cst.For, cst.While)):
            self.loops += 1
            try:
                if isinstance(st, cst.For):
                    return self.exec_for(st, f)
                self.generic_loop(st, suite(st.body), f)
                return False
            finally:
                self.loops -= 1
        if isinstance(st, cst.With):
            if any(self._raises_ctx(item.item) for item in st.items):
                self.forget(st, f)  # the body is meant to raise (pytest.raises / assertRaises)
                return False
            for item in st.items:
                v = self.eval(item.item, f)
                if item.asname is not None:
                    self.bind(item.asname.name, UNKNOWN if not isinstance(v, (TensorV,)) else v, f)
            return self.exec_block(suite(st.body), f)
        if isinstance(st, (cst.Try, cst.TryStar)):
            # Code under try may fail on purpose (probing shapes): learn from it, report nothing.
            self.trace.silent += 1
            try:
                self.exec_block(suite(st.body), f)
            finally:
                self.trace.silent -= 1
            self.forget(st, f)
            return False
        if isinstance(st, cst.FunctionDef):
            f.env[st.name.value] = FunctionV(st)
            if f.mode == "script":
                self.a.queue_function(st)
            return False
        if isinstance(st, cst.ClassDef):
            mc = self.a.index.models.get(st.name.value)
            f.env[st.name.value] = ClassRef(mc) if mc is not None and mc.node is st else UNKNOWN
            if f.mode == "script" and mc is None:
                for item in st.body.body:
                    if isinstance(item, cst.FunctionDef):
                        self.a.queue_function(item)
            return False
        self.forget(st, f)
        return False

    def _raises_ctx(self, e: cst.BaseExpression) -> bool:
        if isinstance(e, cst.Call):
            name = e.func.attr.value if isinstance(e.func, cst.Attribute) else (
                e.func.value if isinstance(e.func, cst.Name) else "")
            return name in ("raises", "assertRaises", "assertRaisesRegex", "warns", "suppress")
        return False

    def exec_small(self, s: cst.BaseSmallStatement, f: Frame, line: cst.SimpleStatementLine) -> bool:
        if isinstance(s, cst.Assign):
            v = self.eval(s.value, f)
            for t in s.targets:
                self.bind(t.target, v, f)
                if f.mode == "script" and isinstance(t.target, cst.Name):
                    self.a.script_assign(t.target.value, v, line, f, self.scope())
            return False
        if isinstance(s, cst.AnnAssign):
            if s.value is not None:
                v = self.eval(s.value, f)
                self.bind(s.target, v, f)
            return False
        if isinstance(s, cst.AugAssign):
            cur = self.eval(s.target, f)
            rhs = self.eval(s.value, f)
            op = type(s.operator).__name__.replace("Assign", "")
            v = self.binary(op, cur, rhs, s, s.target, s.value)
            self.bind(s.target, v, f)
            return False
        if isinstance(s, cst.Expr):
            v = self.eval(s.value, f)
            self._discarded(s.value, v, f)
            return False
        if isinstance(s, cst.Return):
            f.returns.append(self.eval(s.value, f) if s.value is not None else Const(None))
            return True
        if isinstance(s, cst.Raise):
            return True
        if isinstance(s, (cst.Break, cst.Continue)):
            return True
        if isinstance(s, cst.Del):
            self.forget(s, f)
        return False

    def _discarded(self, expr: cst.BaseExpression, v: Value, f: Frame) -> None:
        """``x.view(-1, 400)`` as a statement: x keeps its shape; remember why."""
        if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                and expr.func.attr.value in SHAPE_METHODS and isinstance(expr.func.value, cst.Name)):
            return
        name = expr.func.value.value
        old = f.env.get(name)
        if isinstance(old, TensorV) and isinstance(v, TensorV) and old.shape != v.shape:
            text = self.ctx.code_for(expr)
            if len(text) > 60:
                text = f"{name}.{expr.func.attr.value}(…)"
            f.env[name] = old.but(note=Note(expr, text, text))

    # ---------------------------------------------------------------- binding
    def bind(self, target: cst.BaseExpression, v: Value, f: Frame) -> None:
        if isinstance(target, cst.Name):
            f.env[target.value] = v
            if isinstance(v, LayerV) and v.layer.name is None and f.mode == "script":
                v.layer.name = target.value
            self.trace.note(target, v)
            return
        if isinstance(target, cst.Attribute):
            base = target.value
            if isinstance(base, cst.Name):
                obj = f.env.get(base.value)
                if isinstance(obj, SelfRef):
                    if f.mode == "init":
                        self.set_instance_attr(obj.instance, target.attr.value, v)
                    return
                if isinstance(obj, (InstanceV, ContainerV)):
                    self.a.mark_mutated(obj)
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            els = target.elements
            if isinstance(v, ShapeV) and v.shape is not None and v.shape.exact:
                v = Seq(tuple(DimV(d, (v.step, i) if v.step is not None else None)
                              for i, d in enumerate(v.shape.dims)))
            if isinstance(v, Seq) and len(v.items) == len(els) and not any(
                    isinstance(e, cst.StarredElement) for e in els):
                for e, item in zip(els, v.items):
                    self.bind(e.value, item, f)
            else:
                for e in els:
                    self.bind(e.value, UNKNOWN, f)
            return
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            obj = f.env.get(target.value.value)
            if isinstance(obj, (InstanceV, ContainerV)):
                self.a.mark_mutated(obj)
        if isinstance(target, cst.StarredElement):
            self.bind(target.value, UNKNOWN, f)

    def forget(self, node: cst.CSTNode, f: Frame) -> None:
        """Everything a statement we did not follow may have assigned becomes unknown."""
        names, attrs = assigned_names(node)
        for n in names:
            if n in f.env or not f.module or n in self.a.index.constants:
                f.env[n] = UNKNOWN
        if f.inst is not None:
            for a in attrs:
                if a in f.inst.attrs:
                    f.inst.attrs[a] = UNKNOWN

    # ---------------------------------------------------------------- control flow
    def exec_if(self, st: cst.If, f: Frame) -> bool:
        cond = truth(self.eval(st.test, f))
        orelse = st.orelse
        else_body: Sequence[cst.BaseStatement] = ()
        if isinstance(orelse, cst.Else):
            else_body = suite(orelse.body)
        elif isinstance(orelse, cst.If):
            else_body = (orelse,)
        if cond is True:
            return self.exec_block(suite(st.body), f)
        if cond is False:
            return self.exec_block(else_body, f)
        return self.fork(f, suite(st.body), else_body)

    def fork(self, f: Frame, a: Sequence[cst.BaseStatement], b: Sequence[cst.BaseStatement]) -> bool:
        # Neither branch is known to run: learn shapes from both, report what neither raises
        # (``if len(X.shape) == 2: … else: X.mean(dim=(0, 2, 3))`` is fine whichever runs).
        self.trace.silent += 1
        try:
            return self._fork(f, a, b)
        finally:
            self.trace.silent -= 1

    def _fork(self, f: Frame, a: Sequence[cst.BaseStatement], b: Sequence[cst.BaseStatement]) -> bool:
        env0 = dict(f.env)
        attrs0 = dict(f.inst.attrs) if f.inst is not None else None
        ta = self.exec_block(a, f)
        env_a, attrs_a = f.env, (dict(f.inst.attrs) if f.inst is not None else None)
        f.env = dict(env0)
        if f.inst is not None:
            f.inst.attrs = dict(attrs0)  # type: ignore[arg-type]
        tb = self.exec_block(b, f)
        if ta and tb:
            return True
        if ta:
            return False  # only the second path goes on
        if tb:
            f.env = env_a
            if f.inst is not None:
                f.inst.attrs = attrs_a  # type: ignore[assignment]
            return False
        f.env = _join_env(env_a, f.env)
        if f.inst is not None:
            f.inst.attrs = _join_env(attrs_a, f.inst.attrs)  # type: ignore[arg-type]
        return False

    def exec_for(self, st: cst.For, f: Frame) -> bool:
        it = self.eval(st.iter, f)
        items: Optional[list[Value]] = None
        if isinstance(it, Seq) and len(it.items) <= MAX_UNROLL:
            items = list(it.items)
        elif isinstance(it, InstanceV) and it.instance.seq is not None:
            it = it.instance.seq
        if isinstance(it, ContainerV) and len(it.entries) <= MAX_UNROLL:
            items = [v for _, v in it.entries]
        if items is not None and not _has_jump(st.body) and self.unrolled * max(len(items), 1) <= MAX_NESTED_UNROLL:
            outer = self.unrolled
            self.unrolled = outer * max(len(items), 1)
            try:
                for item in items:
                    self.bind(st.target, item, f)
                    if self.exec_block(suite(st.body), f):
                        return True
            finally:
                self.unrolled = outer
            if st.orelse is not None:
                return self.exec_block(suite(st.orelse.body), f)
            return False
        if isinstance(it, DatasetV):  # for image, label in train_data: one sample a turn
            self.forget(st, f)
            env0 = dict(f.env)
            self.bind(st.target, it.item(), f)
            self.exec_block(suite(st.body), f)
            f.env = env0
            self.forget(st, f)
            return False
        self.generic_loop(st, suite(st.body), f)
        return False

    def generic_loop(self, st: cst.CSTNode, body: Sequence[cst.BaseStatement], f: Frame) -> None:
        """A loop we do not unroll: run the body once with everything it assigns unknown,
        so values from other iterations never leak in."""
        self.forget(st, f)
        env0 = dict(f.env)
        self.exec_block(body, f)
        f.env = env0
        self.forget(st, f)

    # ================================================================ expressions
    def eval(self, e: Optional[cst.BaseExpression], f: Frame) -> Value:
        if e is None:
            return Const(None)
        self.a.spend()
        h = _EVAL.get(type(e))
        if h is None:
            return UNKNOWN
        return h(self, e, f)

    def _name(self, e: cst.Name, f: Frame) -> Value:
        n = e.value
        if n in ("True", "False", "None"):
            return Const({"True": True, "False": False, "None": None}[n])
        if n == "__name__" and n not in f.env:
            return Const("__main__")  # the file is analysed as the program being run
        if n in f.env:
            return f.env[n]
        foreign = self.a.crossfile.foreign_name(e)  # another project file's code: its own names
        if foreign is not None:
            return foreign
        g = self.a.global_value(n)
        if g is not None:
            return g
        mc = self.a.index.models.get(n)
        if mc is not None:
            return ClassRef(mc)
        fn = self.a.index.functions.get(n)
        if fn is not None:
            return FunctionV(fn)
        return self.a.crossfile.imported_name(e)

    def _number(self, e: cst.BaseExpression, f: Frame) -> Value:
        return Const(token_value(e))

    def _string(self, e: cst.BaseExpression, f: Frame) -> Value:
        v = token_value(e)
        return Const(v) if isinstance(v, str) else UNKNOWN

    def _seq(self, e: cst.BaseExpression, f: Frame) -> Value:
        items: list[Value] = []
        for el in e.elements:  # type: ignore[attr-defined]
            if isinstance(el, cst.StarredElement):
                v = self.eval(el.value, f)
                if not isinstance(v, Seq):
                    return UNKNOWN
                items.extend(v.items)
            else:
                items.append(self.eval(el.value, f))
        return Seq(tuple(items), isinstance(e, cst.List))

    def _unary(self, e: cst.UnaryOperation, f: Frame) -> Value:
        v = self.eval(e.expression, f)
        if isinstance(e.operator, cst.Not):
            t = truth(v)
            return Const(not t) if t is not None else UNKNOWN
        x = py(v, MISSING)
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            if isinstance(e.operator, cst.Minus):
                return Const(-x)
            if isinstance(e.operator, cst.Plus):
                return Const(x)
        if isinstance(v, TensorV) and isinstance(e.operator, (cst.Minus, cst.Plus)):
            return self.trace.add("call", e, [v], v.but(step=None, ref=None, note=None, literal=False),
                                  fn="torch.neg", args=[], kwargs={}, same_shape=True)
        return UNKNOWN

    def _binop(self, e: cst.BinaryOperation, f: Frame) -> Value:
        left = self.eval(e.left, f)
        right = self.eval(e.right, f)
        return self.binary(type(e.operator).__name__, left, right, e, e.left, e.right)

    def _boolop(self, e: cst.BooleanOperation, f: Frame) -> Value:
        a = self.eval(e.left, f)
        ta = truth(a)
        if ta is None:
            self.eval(e.right, f)
            return UNKNOWN
        if isinstance(e.operator, cst.And):
            return self.eval(e.right, f) if ta else a
        return a if ta else self.eval(e.right, f)

    def _compare(self, e: cst.Comparison, f: Frame) -> Value:
        left = self.eval(e.left, f)
        result: Optional[bool] = True
        for t in e.comparisons:
            right = self.eval(t.comparator, f)
            r = _compare(t.operator, left, right)
            if r is None:
                result = None
            elif r is False and result is not None:
                result = False
            left = right
        return Const(result) if result is not None else UNKNOWN

    def _ifexp(self, e: cst.IfExp, f: Frame) -> Value:
        t = truth(self.eval(e.test, f))
        if t is True:
            return self.eval(e.body, f)
        if t is False:
            return self.eval(e.orelse, f)
        return join(self.eval(e.body, f), self.eval(e.orelse, f))

    def _comprehension(self, e: cst.BaseExpression, f: Frame) -> Value:
        """``[nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]`` over known, short
        sequences; anything else is unknown."""
        items: list[Value] = []
        env0 = f.env

        def loop(comp: cst.CompFor, env: dict[str, Value]) -> bool:
            if comp.asynchronous is not None:
                return False
            f.env = env
            it = self.eval(comp.iter, f)
            seq = list(it.items) if isinstance(it, Seq) else (
                [v for _, v in it.entries] if isinstance(it, ContainerV) else None)
            if seq is None or len(seq) > MAX_UNROLL:
                return False
            for item in seq:
                inner = dict(env)
                f.env = inner
                self.bind(comp.target, item, f)
                keep = True
                for cond in comp.ifs:
                    t = truth(self.eval(cond.test, f))
                    if t is None:
                        return False
                    keep = keep and t
                if not keep:
                    continue
                if comp.inner_for_in is not None:
                    if not loop(comp.inner_for_in, inner):
                        return False
                else:
                    f.env = inner
                    items.append(self.eval(e.elt, f))  # type: ignore[attr-defined]
            return True

        self.loops += 1
        try:
            ok = loop(e.for_in, dict(env0))  # type: ignore[attr-defined]
        finally:
            f.env = env0
            self.loops -= 1
        return Seq(tuple(items), isinstance(e, cst.ListComp)) if ok else UNKNOWN

    def _dict(self, e: cst.Dict, f: Frame) -> Value:
        items: dict[Any, Value] = {}
        for el in e.elements:
            if isinstance(el, cst.StarredDictElement):
                v = self.eval(el.value, f)
                if not isinstance(v, DictV):
                    return UNKNOWN
                items.update(v.items)
                continue
            k = py(self.eval(el.key, f), MISSING)
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                return UNKNOWN
            items[k] = self.eval(el.value, f)
        return DictV(items)

    def _fstring(self, e: cst.FormattedString, f: Frame) -> Value:
        """``f"layer{i}"`` with known parts (names of add_module)."""
        out = []
        for part in e.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
                continue
            if part.conversion is not None or part.format_spec is not None:  # type: ignore[union-attr]
                return UNKNOWN
            x = py(self.eval(part.expression, f), MISSING)  # type: ignore[union-attr]
            if not isinstance(x, (str, int)) or isinstance(x, bool):
                return UNKNOWN
            out.append(str(x))
        return Const("".join(out))

    def _named(self, e: cst.NamedExpr, f: Frame) -> Value:
        v = self.eval(e.value, f)
        self.bind(e.target, v, f)
        return v

    def _attribute(self, e: cst.Attribute, f: Frame) -> Value:
        head = _head(e)
        if head is not None and head not in f.env:
            q = self.ctx.qualname(e)
            if q is not None:
                if q.startswith("torch.") and q.rsplit(".", 1)[-1] in TORCH_DTYPES:
                    return Const(DType(TORCH_DTYPES[q.rsplit(".", 1)[-1]]))
                short = layer_class_name(q)
                if short is not None:
                    return LayerClassV(short, q)
                return UNKNOWN
        base = self.eval(e.value, f)
        attr = e.attr.value
        return self.get_attr(base, attr, e)

    def get_attr(self, base: Value, attr: str, node: cst.CSTNode) -> Value:
        if isinstance(base, (SelfRef, InstanceV)):
            v = self.instance_attr(base.instance, attr, bound=isinstance(base, SelfRef))
            if isinstance(v, TensorV):
                # a parameter / buffer made in __init__ (another trace): a step of this one
                kind = "parameter" if isinstance(base, SelfRef) else "attribute"
                return self.trace.add("unknown", node, [], v.but(step=None, ref=None, literal=False, note=None),
                                      attr=attr, kind=kind)
            return v
        if isinstance(base, TensorV):
            s = base.shape
            if attr == "shape":
                return ShapeV(s, self.trace.ref(base) if s is not None else None)
            if attr in ("T", "mT", "mH", "H"):
                if s is None or not s.exact:
                    out: Optional[Shape] = None
                    if s is not None and attr in ("mT", "mH"):
                        out = ops.transpose(s, -2, -1)[0]
                else:
                    out = Shape(tuple(reversed(s.dims))) if attr in ("T", "H") else ops.transpose(s, -2, -1)[0]
                return self.trace.add("method", node, [base], TensorV(out, base.dtype), method=attr, args=[],
                                      kwargs={}, attribute=True)
            if attr == "data":
                return base
            if attr == "ndim" and s is not None and s.exact:
                return Const(len(s.dims))
            if attr == "dtype" and base.dtype is not None:
                return Const(DType(base.dtype))
            return UNKNOWN
        if isinstance(base, LayerV):
            v = base.layer.bound.get(attr)
            return v if v is not None else UNKNOWN
        if isinstance(base, ClassRef):
            return self.class_attr(base.model, attr)
        return UNKNOWN

    def instance_attr(self, inst: Instance, attr: str, bound: bool = True) -> Value:
        if attr in inst.attrs:
            return inst.attrs[attr]
        hit = inst.cls.find(attr)
        if hit is not None:
            return MethodV(inst, hit[0], hit[1])
        return self.class_attr(inst.cls, attr)

    def class_attr(self, mc: ModelClass, attr: str) -> Value:
        for stmt in mc.node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for s in stmt.body:
                    if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(s.targets[0].target, cst.Name) \
                            and s.targets[0].target.value == attr:
                        return self.eval(s.value, Frame({}, "init"))
                    if isinstance(s, cst.AnnAssign) and isinstance(s.target, cst.Name) and s.target.value == attr \
                            and s.value is not None:
                        return self.eval(s.value, Frame({}, "init"))
        for b in mc.bases:
            v = self.class_attr(b, attr)
            if v is not UNKNOWN:
                return v
        return UNKNOWN

    def _subscript(self, e: cst.Subscript, f: Frame) -> Value:
        base = self.eval(e.value, f)
        if isinstance(base, TensorV):
            return self.tensor_index(base, e, f)
        if isinstance(base, DatasetV):
            one = len(e.slice) == 1 and not isinstance(e.slice[0].slice, cst.Slice)
            return base.item() if one else UNKNOWN
        if len(e.slice) != 1:
            return UNKNOWN
        sl = e.slice[0].slice
        if isinstance(sl, cst.Slice):
            lo, hi, st = (py(self.eval(x, f), MISSING) if x is not None else None for x in (sl.lower, sl.upper, sl.step))
            if any(x is MISSING or (x is not None and not isinstance(x, int)) for x in (lo, hi, st)):
                return UNKNOWN
            if isinstance(base, ShapeV) and base.shape is not None and base.shape.exact:
                idx = list(range(len(base.shape.dims)))[slice(lo, hi, st)]
                return Seq(tuple(DimV(base.shape.dims[i], (base.step, i) if base.step is not None else None)
                                 for i in idx))
            if isinstance(base, Seq):
                return Seq(base.items[slice(lo, hi, st)], base.is_list)
            return UNKNOWN
        k = py(self.eval(sl.value, f), MISSING)  # type: ignore[union-attr]
        if isinstance(base, ShapeV) and isinstance(k, int) and not isinstance(k, bool):
            s = base.shape
            if s is None:
                return DimV(None)
            d = s.dim(k)
            i = k if k >= 0 or not s.exact else len(s.dims) + k
            return DimV(d, (base.step, i) if base.step is not None and s.exact and 0 <= i < len(s.dims) else None)
        if isinstance(base, Seq) and isinstance(k, int) and not isinstance(k, bool):
            return base.items[k] if -len(base.items) <= k < len(base.items) else UNKNOWN
        if isinstance(base, DictV):
            try:
                return base.items.get(k, UNKNOWN) if k is not MISSING else UNKNOWN
            except TypeError:
                return UNKNOWN
        if isinstance(base, InstanceV) and base.instance.seq is not None:
            base = base.instance.seq
        if isinstance(base, ContainerV) and f.mode == "script":
            self.a.container_indexed(base)  # net[0], net[1]: used as a container
        if isinstance(base, ContainerV) and isinstance(k, int) and not isinstance(k, bool):
            return base.entries[k][1] if -len(base.entries) <= k < len(base.entries) else UNKNOWN
        if isinstance(base, Const) and isinstance(base.value, (tuple, str)) and isinstance(k, int):
            try:
                return Const(base.value[k])
            except IndexError:
                return UNKNOWN
        return UNKNOWN

    def tensor_index(self, base: TensorV, e: cst.Subscript, f: Frame) -> Value:
        index: list[Any] = []
        enc: list[Any] = []
        for el in e.slice:
            sl = el.slice
            if isinstance(sl, cst.Slice):
                parts = []
                for x in (sl.lower, sl.upper, sl.step):
                    v = py(self.eval(x, f), MISSING) if x is not None else None
                    parts.append(v if v is None or (isinstance(v, int) and not isinstance(v, bool)) else "?")
                index.append(slice(*parts))
                enc.append({"slice": [p if p != "?" else {"unknown": "?"} for p in parts]})
                continue
            val = sl.value  # type: ignore[union-attr]
            if isinstance(val, cst.Ellipsis):
                index.append(Ellipsis)
                enc.append("...")
                continue
            v = self.eval(val, f)
            x = py(v, MISSING)
            if x is None or (isinstance(x, int) and not isinstance(x, bool)):
                index.append(x)
                enc.append(x)
            else:
                return self.trace.add("getitem", e, [base], TensorV(None, base.dtype),
                                      index=[{"unknown": self.ctx.code_for(val)}])
        # a bound we cannot evaluate ("?") leaves its dim unknown (shape_arith.slice_size)
        shape, _ = ops.getitem(base.shape, index)
        return self.trace.add("getitem", e, [base], TensorV(shape, base.dtype), index=enc)


def _compare(op: cst.BaseCompOp, left: Value, right: Value) -> Optional[bool]:
    if isinstance(op, (cst.Is, cst.IsNot)):
        rn = isinstance(right, Const) and right.value is None
        if not rn:
            return None
        if isinstance(left, Const):
            r = left.value is None
        elif left is UNKNOWN:
            return None
        else:
            r = False  # every other abstract value (a tensor, a layer, a layer class …) is something
        return r if isinstance(op, cst.Is) else not r
    a, b = py(left, MISSING), py(right, MISSING)
    if a is MISSING or b is MISSING:
        return None
    try:
        if isinstance(op, cst.Equal):
            return a == b
        if isinstance(op, cst.NotEqual):
            return a != b
        if isinstance(op, cst.LessThan):
            return a < b
        if isinstance(op, cst.LessThanEqual):
            return a <= b
        if isinstance(op, cst.GreaterThan):
            return a > b
        if isinstance(op, cst.GreaterThanEqual):
            return a >= b
        if isinstance(op, cst.In):
            return a in b
        if isinstance(op, cst.NotIn):
            return a not in b
    except TypeError:
        return None
    return None


def _join_env(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    out: dict[str, Value] = {}
    # in a's order, then b's new keys: the order shows (``ptlint shapes`` lists layers by it)
    for k in [*a, *(k for k in b if k not in a)]:
        if k in a and k in b:
            out[k] = join(a[k], b[k])
        else:
            out[k] = UNKNOWN
    return out


_EVAL = {
    cst.Name: Interp._name, cst.Integer: Interp._number, cst.Float: Interp._number,
    cst.SimpleString: Interp._string, cst.ConcatenatedString: Interp._string, cst.Tuple: Interp._seq,
    cst.List: Interp._seq, cst.UnaryOperation: Interp._unary, cst.BinaryOperation: Interp._binop,
    cst.BooleanOperation: Interp._boolop, cst.Comparison: Interp._compare, cst.IfExp: Interp._ifexp,
    cst.Attribute: Interp._attribute, cst.Subscript: Interp._subscript, cst.Call: Interp._call,
    cst.NamedExpr: Interp._named, cst.Dict: Interp._dict, cst.FormattedString: Interp._fstring, cst.ListComp: Interp._comprehension, cst.GeneratorExp: Interp._comprehension,
}
