"""A small abstract interpreter over statements, for shapes.

It runs a model's ``__init__`` (to learn its layers), its ``forward`` (to build the step
graph and find what PyTorch would raise), and module-level / function code (to find input
shapes, Sequential models and shape errors on literal tensors). Whatever it does not model
becomes unknown; unknown values never produce findings."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

import libcst as cst

from . import ops
from .conv import upsample
from .dims import Dim, Shape, broadcast, fmt_dim, fmt_shape, prod
from .inputs import MAKES_TENSOR, SIZE_KEEPING, dataset_shape, transform_name
from .layers import Layer, Outcome, Problem, build_layer, json_arg, layer_class_name
from .models import Instance, ModelClass
from .trace import FLATTENING, SAME_SHAPE_LAYERS, Trace
from .values import (
    MISSING, UNKNOWN, ClassRef, Const, ContainerV, DimV, InstanceV, LayerV, Note, SelfRef, Seq, ShapeV,
    TensorV, Value, as_int, join, py,
)

if TYPE_CHECKING:
    from .analysis import ShapeAnalysis


class Budget(Exception):
    """The file is too big or too convoluted to follow: give up quietly."""


class DType(str):
    """A torch dtype, as the family name the rules care about."""


DTYPES = {
    "float32": "float", "float": "float", "float64": "float", "double": "float", "float16": "float",
    "half": "float", "bfloat16": "float", "int64": "int64", "long": "int64", "int32": "int32", "int": "int32",
    "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
}


@dataclass(eq=False)
class MethodV(Value):
    inst: Instance
    owner: ModelClass
    fn: cst.FunctionDef


@dataclass(eq=False)
class SuperV(Value):
    inst: Instance
    owner: ModelClass


@dataclass(eq=False)
class FunctionV(Value):
    fn: cst.FunctionDef


@dataclass(eq=False)
class TransformV(Value):
    keeps_size: bool
    makes_tensor: bool


@dataclass(eq=False)
class ODictV(Value):
    pairs: list[tuple[str, Value]]


class OpaqueLayer(Layer):
    """A torch.nn module we do not model: its output shape is unknown."""

    @classmethod
    def signature_for(cls, short, opts):  # type: ignore[override]
        return ()

    def params(self) -> Optional[int]:
        return None

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        return Outcome(TensorV(None))


@dataclass
class Frame:
    env: dict[str, Value]
    mode: str  # init | forward | script
    inst: Optional[Instance] = None
    owner: Optional[ModelClass] = None
    returns: list[Value] = field(default_factory=list)


# Elementwise functions: the output has the (broadcast) input's shape.
ELEMENTWISE_FN = {
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh", "softplus",
    "softsign", "hardtanh", "hardswish", "hardsigmoid", "logsigmoid", "softmax", "log_softmax", "softmin",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "normalize",
    "exp", "log", "abs", "neg", "sqrt", "rsqrt", "square", "sin", "cos", "clamp", "clip", "sign", "erf",
    "tanhshrink", "softshrink", "hardshrink", "threshold", "rrelu", "prelu", "clone", "detach", "contiguous",
    "reciprocal", "floor", "ceil", "round", "log1p", "expm1", "swish", "nan_to_num",
}
ELEMENTWISE_METHODS = ELEMENTWISE_FN | {
    "relu_", "sigmoid_", "tanh_", "clamp_", "abs_", "neg_", "exp_", "mul_", "add_", "sub_", "div_", "pow",
    "cpu", "cuda", "requires_grad_", "retain_grad", "float", "double", "half", "bfloat16", "long", "int", "bool",
    "short", "byte", "char", "to", "type_as", "zero_", "fill_", "normal_", "uniform_", "masked_fill", "masked_fill_",
    "pin_memory", "sigmoid", "numpy",
}
CAST_METHODS = {"float": "float", "double": "float", "half": "float", "bfloat16": "float", "long": "int64",
                "int": "int32", "bool": "bool", "short": "int16", "byte": "uint8", "char": "int8"}
BINARY_FN = {"add": "+", "sub": "-", "subtract": "-", "mul": "*", "multiply": "*", "div": "/", "divide": "/",
             "true_divide": "/", "pow": "**", "maximum": "max", "minimum": "min", "where": None}
REDUCE = {"mean", "sum", "amax", "amin", "prod", "std", "var", "logsumexp", "norm", "nansum", "nanmean", "all", "any",
          "count_nonzero"}
CREATION = {"randn", "rand", "zeros", "ones", "empty", "randint", "full", "tensor", "arange", "eye", "randperm",
            "linspace", "zeros_like", "ones_like", "randn_like", "rand_like", "empty_like", "full_like",
            "randint_like", "as_tensor", "FloatTensor", "LongTensor", "Tensor"}
# Functional pooling: (layer class, parameter order after the input).
F_POOL = {}
for _n in (1, 2, 3):
    F_POOL[f"max_pool{_n}d"] = (f"MaxPool{_n}d", ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                                  "return_indices"))
    F_POOL[f"avg_pool{_n}d"] = (f"AvgPool{_n}d", ("kernel_size", "stride", "padding", "ceil_mode",
                                                  "count_include_pad") + (("divisor_override",) if _n > 1 else ()))
    F_POOL[f"adaptive_avg_pool{_n}d"] = (f"AdaptiveAvgPool{_n}d", ("output_size",))
    F_POOL[f"adaptive_max_pool{_n}d"] = (f"AdaptiveMaxPool{_n}d", ("output_size", "return_indices"))
SUMMARIES = {"torchsummary.summary", "torchsummary.torchsummary.summary", "torchinfo.summary",
             "torchinfo.torchinfo.summary"}
MODEL_CHAIN = {"to", "cuda", "cpu", "eval", "train", "float", "double", "half", "requires_grad_", "apply",
               "share_memory", "bfloat16"}
SHAPE_METHODS = {"view", "reshape", "flatten", "squeeze", "unsqueeze", "permute", "transpose", "t", "unflatten",
                 "contiguous", "view_as", "reshape_as", "expand", "repeat"}
MAX_UNROLL = 64
MAX_DEPTH = 12


def _torch_short(q: str) -> Optional[str]:
    """``torch.nn.functional.relu`` → ``relu``; ``torch.relu`` → ``relu``; else None."""
    for prefix in ("torch.nn.functional.", "torch.special.", "torch.Tensor.", "torch."):
        if q.startswith(prefix):
            rest = q[len(prefix):]
            return rest if "." not in rest else None
    return None


def truth(v: Value) -> Optional[bool]:
    if isinstance(v, Const):
        try:
            return bool(v.value)
        except Exception:
            return None
    if isinstance(v, (LayerV, ContainerV, InstanceV, SelfRef, ClassRef, TensorV)) and not isinstance(v, TensorV):
        return True
    if isinstance(v, Seq):
        return bool(v.items)
    return None


class Interp:
    def __init__(self, analysis: "ShapeAnalysis", trace: Trace) -> None:
        self.a = analysis
        self.ctx = analysis.ctx
        self.trace = trace
        self.depth = 0
        self.stack: list[cst.FunctionDef] = []  # functions being inlined (no recursion)

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
        if isinstance(st, cst.For):
            return self.exec_for(st, f)
        if isinstance(st, cst.While):
            self.generic_loop(st, st.body.body, f)
            return False
        if isinstance(st, cst.With):
            if any(self._raises_ctx(item.item) for item in st.items):
                self.forget(st, f)  # the body is meant to raise (pytest.raises / assertRaises)
                return False
            for item in st.items:
                v = self.eval(item.item, f)
                if item.asname is not None:
                    self.bind(item.asname.name, UNKNOWN if not isinstance(v, (TensorV,)) else v, f)
            return self.exec_block(st.body.body, f)
        if isinstance(st, (cst.Try, cst.TryStar)):
            # Code under try may fail on purpose (probing shapes): learn from it, report nothing.
            self.trace.silent += 1
            try:
                self.exec_block(st.body.body, f)
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
                    self.a.script_assign(t.target.value, v, line, f)
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
                        obj.instance.attrs[target.attr.value] = v
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
            if n in f.env:
                f.env[n] = UNKNOWN
            elif n in self.a.index.constants:
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
            else_body = orelse.body.body
        elif isinstance(orelse, cst.If):
            else_body = (orelse,)
        if cond is True:
            return self.exec_block(st.body.body, f)
        if cond is False:
            return self.exec_block(else_body, f)
        return self.fork(f, st.body.body, else_body)

    def fork(self, f: Frame, a: Sequence[cst.BaseStatement], b: Sequence[cst.BaseStatement]) -> bool:
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
        elif isinstance(it, ContainerV) and len(it.entries) <= MAX_UNROLL:
            items = [v for _, v in it.entries]
        if items is not None and not _has_jump(st.body):
            for item in items:
                self.bind(st.target, item, f)
                if self.exec_block(st.body.body, f):
                    return True
            if st.orelse is not None:
                return self.exec_block(st.orelse.body.body, f)
            return False
        self.generic_loop(st, st.body.body, f)
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
        if n in f.env:
            return f.env[n]
        g = self.a.global_value(n)
        if g is not None:
            return g
        mc = self.a.index.models.get(n)
        if mc is not None:
            return ClassRef(mc)
        fn = self.a.index.functions.get(n)
        if fn is not None:
            return FunctionV(fn)
        return UNKNOWN

    def _number(self, e: cst.BaseExpression, f: Frame) -> Value:
        return Const(e.evaluated_value)  # type: ignore[attr-defined]

    def _string(self, e: cst.BaseExpression, f: Frame) -> Value:
        v = e.evaluated_value  # type: ignore[attr-defined]
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
                    t = truth(self.eval(cond.search, f))
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

        try:
            ok = loop(e.for_in, dict(env0))  # type: ignore[attr-defined]
        finally:
            f.env = env0
        return Seq(tuple(items), isinstance(e, cst.ListComp)) if ok else UNKNOWN

    def _named(self, e: cst.NamedExpr, f: Frame) -> Value:
        v = self.eval(e.value, f)
        self.bind(e.target, v, f)
        return v

    def _attribute(self, e: cst.Attribute, f: Frame) -> Value:
        head = _head(e)
        if head is not None and head not in f.env:
            q = self.ctx.qualname(e)
            if q is not None:
                if q.startswith("torch.") and q.rsplit(".", 1)[-1] in DTYPES:
                    return Const(DType(DTYPES[q.rsplit(".", 1)[-1]]))
                return UNKNOWN
        base = self.eval(e.value, f)
        attr = e.attr.value
        return self.get_attr(base, attr, e)

    def get_attr(self, base: Value, attr: str, node: cst.CSTNode) -> Value:
        if isinstance(base, SelfRef):
            return self.instance_attr(base.instance, attr)
        if isinstance(base, InstanceV):
            return self.instance_attr(base.instance, attr, bound=False)
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
        if any(isinstance(i, slice) and "?" in (i.start, i.stop, i.step) for i in index):
            shape, _ = ops.getitem(base.shape, [slice(None) if isinstance(i, slice) else i for i in index])
            if shape is not None:
                # dims cut by slices we cannot evaluate are unknown
                shape = _unknown_cut(shape, index, base.shape)
        else:
            shape, _ = ops.getitem(base.shape, index)
        return self.trace.add("getitem", e, [base], TensorV(shape, base.dtype), index=enc)

    # ================================================================ calls
    def _call(self, e: cst.Call, f: Frame) -> Value:
        func = e.func
        head = _head(func)
        if head is not None and head not in f.env:
            q = self.ctx.qualname(func)
            if q is not None:
                return self.call_qualified(q, e, f)
            if isinstance(func, cst.Name) and head in BUILTINS and head not in self.a.index.functions:
                return BUILTINS[head](self, e, f)
            if head == "super" and isinstance(func, cst.Name):
                if f.inst is not None and f.owner is not None:
                    return SuperV(f.inst, f.owner)
                return UNKNOWN
        if isinstance(func, cst.Attribute):
            recv = self.eval(func.value, f)
            return self.call_method(recv, func.attr.value, e, f)
        fv = self.eval(func, f)
        return self.call_value(fv, e, f)

    def args_of(self, e: cst.Call, f: Frame) -> Optional[tuple[list[tuple[Value, cst.CSTNode]],
                                                                  dict[str, tuple[Value, cst.CSTNode]]]]:
        args: list[tuple[Value, cst.CSTNode]] = []
        kwargs: dict[str, tuple[Value, cst.CSTNode]] = {}
        ok = True
        for a in e.args:
            v = self.eval(a.value, f)
            if a.star == "*":
                if isinstance(v, Seq):
                    args.extend((it, a.value) for it in v.items)
                elif isinstance(v, ContainerV):
                    args.extend((it, a.value) for _, it in v.entries)
                else:
                    ok = False
            elif a.star == "**":
                ok = False
            elif a.keyword is not None:
                kwargs[a.keyword.value] = (v, a.value)
            else:
                args.append((v, a.value))
        return (args, kwargs) if ok else None

    def call_value(self, fv: Value, e: cst.Call, f: Frame) -> Value:
        if isinstance(fv, LayerV):
            got = self.args_of(e, f)
            if got is None:
                return TensorV(None)
            return self.call_layer(fv.layer, [v for v, _ in got[0]], e, f)
        if isinstance(fv, ContainerV):
            got = self.args_of(e, f)
            if got is None or fv.kind != "sequential":
                return UNKNOWN
            if f.mode == "script":
                self.a.model_called(fv, got[0], e)
                return UNKNOWN
            return self.run_sequential(fv, got[0][0][0] if got[0] else UNKNOWN, e, f)
        if isinstance(fv, InstanceV):
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            if f.mode == "script":
                self.a.model_called(fv.instance, got[0], e)
                return UNKNOWN
            return self.run_forward(fv.instance, [v for v, _ in got[0]], {k: v for k, (v, _) in got[1].items()}, e)
        if isinstance(fv, ClassRef):
            got = self.args_of(e, f)
            if got is None:
                return InstanceV(Instance(fv.model, node=e, complete=False))
            return self.instantiate(fv.model, [v for v, _ in got[0]], {k: v for k, (v, _) in got[1].items()}, e, f)
        if isinstance(fv, MethodV):
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            if fv.fn.name.value == "forward" and f.mode == "script":
                self.a.model_called(fv.inst, got[0], e)
                return UNKNOWN
            return self.inline(fv.fn, fv.owner, fv.inst, [v for v, _ in got[0]],
                               {k: v for k, (v, _) in got[1].items()}, "init" if f.mode == "init" else "forward")
        if isinstance(fv, FunctionV):
            got = self.args_of(e, f)
            # Script code is analysed function by function; it only follows a call one level
            # deep (``net = make_net()``), so call trees never multiply the work.
            if got is None or (f.mode == "script" and self.depth > 0):
                return UNKNOWN
            return self.inline(fv.fn, None, None, [v for v, _ in got[0]], {k: v for k, (v, _) in got[1].items()},
                               f.mode if f.mode != "script" else "script")
        self.args_of(e, f)  # arguments may still hold calls worth seeing (model(x) inside print)
        return UNKNOWN

    def call_method(self, recv: Value, m: str, e: cst.Call, f: Frame) -> Value:
        if isinstance(recv, TensorV):
            return self.tensor_method(recv, m, e, f)
        if isinstance(recv, SelfRef):
            return self.call_value(self.instance_attr(recv.instance, m), e, f)
        if isinstance(recv, SuperV):
            hit = recv.inst.cls.next_after(recv.owner, m)
            got = self.args_of(e, f)
            if hit is None or got is None:
                return Const(None) if m == "__init__" else UNKNOWN
            return self.inline(hit[1], hit[0], recv.inst, [v for v, _ in got[0]], {k: v for k, (v, _) in got[1].items()},
                               "init" if m == "__init__" else ("forward" if f.mode != "init" else "init"))
        if isinstance(recv, (InstanceV, LayerV, ContainerV)):
            if m in MODEL_CHAIN:
                self.args_of(e, f)
                return recv
            if m == "forward":
                return self.call_value(recv, e, f)
            if isinstance(recv, ContainerV):
                got = self.args_of(e, f)
                if got is not None and m in ("append", "add_module", "extend"):
                    if m == "append" and len(got[0]) == 1:
                        recv.entries.append((str(len(recv.entries)), got[0][0][0]))
                        return Const(None)
                    if m == "add_module" and len(got[0]) == 2 and isinstance(py(got[0][0][0]), str):
                        recv.entries.append((py(got[0][0][0]), got[0][1][0]))
                        return Const(None)
                    if m == "extend" and len(got[0]) == 1 and isinstance(got[0][0][0], Seq):
                        for it in got[0][0][0].items:
                            recv.entries.append((str(len(recv.entries)), it))
                        return Const(None)
                self.a.mark_mutated(recv)
                recv.entries.append(("?", UNKNOWN))  # something we cannot follow: the container is unknown now
                return UNKNOWN
            if isinstance(recv, InstanceV):
                v = self.instance_attr(recv.instance, m)
                if isinstance(v, (MethodV, LayerV, ContainerV, InstanceV)):
                    return self.call_value(v, e, f)
            self.args_of(e, f)
            return UNKNOWN
        if isinstance(recv, Seq) and m in ("append", "extend") and isinstance(e.func, cst.Attribute) \
                and isinstance(e.func.value, cst.Name):
            got = self.args_of(e, f)
            name = e.func.value.value
            if got is not None and len(got[0]) == 1:
                add = (got[0][0][0],) if m == "append" else (
                    got[0][0][0].items if isinstance(got[0][0][0], Seq) else None)
                if add is not None:
                    f.env[name] = Seq(recv.items + tuple(add), recv.is_list)
                    return Const(None)
            f.env[name] = UNKNOWN
            return UNKNOWN
        if isinstance(recv, ClassRef):
            self.args_of(e, f)
            return UNKNOWN
        self.args_of(e, f)
        if isinstance(e.func, cst.Attribute) and isinstance(e.func.value, cst.Name) and m in MUTATORS \
                and e.func.value.value in f.env:
            f.env[e.func.value.value] = UNKNOWN
        return UNKNOWN

    # ---------------------------------------------------------------- models
    def instantiate(self, mc: ModelClass, args: list[Value], kwargs: dict[str, Value], node: Optional[cst.Call],
                    f: Optional[Frame] = None) -> InstanceV:
        inst = Instance(mc, node=node)
        self.a.note_instantiation(mc, args, kwargs, node, f.mode if f is not None else "init")
        if self.depth >= MAX_DEPTH:
            inst.complete = False
            return InstanceV(inst)
        hit = mc.find("__init__")
        if hit is not None:
            self.inline(hit[1], hit[0], inst, args, kwargs, "init")
        if f is not None and f.mode == "script":
            self.a.remember_instance(inst)
        return InstanceV(inst)

    def inline(self, fn: cst.FunctionDef, owner: Optional[ModelClass], inst: Optional[Instance],
               args: list[Value], kwargs: dict[str, Value], mode: str) -> Value:
        if self.depth >= MAX_DEPTH or any(x is fn for x in self.stack):
            return UNKNOWN
        env = self.bind_params(fn, inst, args, kwargs)
        frame = Frame(env, mode, inst, owner)
        self.depth += 1
        self.stack.append(fn)
        try:
            if isinstance(fn.body, cst.IndentedBlock):
                ended = self.exec_block(fn.body.body, frame)
            else:
                ended = self.exec_block([cst.SimpleStatementLine(body=fn.body.body)], frame)
        finally:
            self.depth -= 1
            self.stack.pop()
        returns = list(frame.returns)
        if not ended:
            returns.append(Const(None))
        out = returns[0] if returns else Const(None)
        for r in returns[1:]:
            out = join(out, r)
        return out

    def bind_params(self, fn: cst.FunctionDef, inst: Optional[Instance], args: list[Value],
                    kwargs: dict[str, Value]) -> dict[str, Value]:
        p = fn.params
        positional = list(p.posonly_params) + list(p.params)
        env: dict[str, Value] = {}
        given = list(args)
        if inst is not None and positional:
            env[positional[0].name.value] = SelfRef(inst)
            positional = positional[1:]
        for i, param in enumerate(positional):
            name = param.name.value
            if i < len(given):
                env[name] = given[i]
            elif name in kwargs:
                env[name] = kwargs[name]
            elif param.default is not None:
                env[name] = self.eval(param.default, Frame({}, "script"))
            else:
                env[name] = UNKNOWN
        if isinstance(p.star_arg, cst.Param):
            extra = given[len(positional):]
            env[p.star_arg.name.value] = Seq(tuple(extra))
        for param in p.kwonly_params:
            name = param.name.value
            env[name] = kwargs.get(name, self.eval(param.default, Frame({}, "script"))
                                   if param.default is not None else UNKNOWN)
        if p.star_kwarg is not None:
            env[p.star_kwarg.name.value] = UNKNOWN
        return env

    def run_forward(self, inst: Instance, args: list[Value], kwargs: dict[str, Value],
                    node: Optional[cst.CSTNode]) -> Value:
        hit = inst.cls.find("forward")
        if hit is None or not inst.complete:
            return TensorV(None)
        out = self.inline(hit[1], hit[0], inst, args, kwargs, "forward")
        if node is not None:
            self.trace.note(node, out)
            if isinstance(out, (TensorV, Seq)):
                self.trace.hint_nodes.append(node)
        return out

    def run_sequential(self, seq: ContainerV, x: Value, node: Optional[cst.CSTNode], f: Frame) -> Value:
        for key, v in seq.entries:
            if isinstance(v, LayerV):
                x = self.call_layer(v.layer, [x], v.layer.node, f)
            elif isinstance(v, ContainerV) and v.kind == "sequential":
                x = self.run_sequential(v, x, None, f)
            elif isinstance(v, InstanceV):
                x = self.run_forward(v.instance, [x], {}, v.instance.node)
            else:
                x = self.trace.add("unknown", None, [x], TensorV(None))
        if node is not None:
            self.trace.note(node, x)
            self.trace.hint_nodes.append(node)
        return x

    def call_layer(self, layer: Layer, inputs: list[Value], node: Optional[cst.CSTNode], f: Frame) -> Value:
        if not inputs:
            return TensorV(None)
        out = layer.apply(inputs)
        kind = layer.type_name
        extra: dict[str, Any] = {}
        tensors: list[Value] = [inputs[0]]
        if len(inputs) > 1:
            extra = self._encode_call_args(inputs, {}, [None] * len(inputs))
            tensors = extra.pop("_tensors")
            if not extra.get("inputs_in_args"):
                extra = {}
        res = self.trace.add("layer", node, tensors, out.out, layer=layer, formula=out.formula, same_shape=kind in SAME_SHAPE_LAYERS,
                             flattening=kind in FLATTENING, hint=True, **extra)
        step = res.step if isinstance(res, TensorV) else getattr(res, "step", None)
        if out.problem is not None and node is not None:
            self.trace.problem(node, out.problem, inputs, layer=layer, step=step)
        if out.dropped and node is not None:
            self.trace.drop(node, layer, layer.label, "conv" if kind.startswith("Conv") else "pool", out.dropped,
                            inputs[0])
        return res

    # ---------------------------------------------------------------- qualified calls
    def call_qualified(self, q: str, e: cst.Call, f: Frame) -> Value:
        short = layer_class_name(q)
        if short is not None:
            return self.make_layer(short, q, e, f)
        if q in ("torch.nn.Sequential", "torch.nn.modules.container.Sequential"):
            return self.make_sequential(e, f)
        if q in ("torch.nn.ModuleList", "torch.nn.modules.container.ModuleList"):
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            entries: list[tuple[str, Value]] = []
            if got[0]:
                seq = got[0][0][0]
                if not isinstance(seq, Seq):
                    return UNKNOWN
                entries = [(str(i), v) for i, v in enumerate(seq.items)]
            return ContainerV("list", entries, e)
        if q in ("collections.OrderedDict",):
            got = self.args_of(e, f)
            if got is None or len(got[0]) != 1 or not isinstance(got[0][0][0], Seq):
                return UNKNOWN
            pairs = []
            for it in got[0][0][0].items:
                if not (isinstance(it, Seq) and len(it.items) == 2 and isinstance(py(it.items[0]), str)):
                    return UNKNOWN
                pairs.append((py(it.items[0]), it.items[1]))
            return ODictV(pairs)
        if q.startswith("torch.nn.") and q.rsplit(".", 1)[-1][:1].isupper() and "functional" not in q:
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            return LayerV(self._opaque(q, e, got))
        if q in SUMMARIES:
            got = self.args_of(e, f)
            if got is not None and f.mode == "script":
                self.a.summary_called(q, got, e)
            return UNKNOWN
        ds = dataset_shape(q)
        if ds is not None:
            got = self.args_of(e, f)
            if got is not None and f.mode == "script":
                self.a.dataset_seen(ds, got, e)
            return UNKNOWN
        tname = transform_name(q)
        if tname is not None:
            got = self.args_of(e, f)
            if tname in ("Compose", "RandomApply", "RandomChoice", "RandomOrder"):
                items = got[0][0][0] if got and got[0] else None
                if isinstance(items, Seq) and all(isinstance(i, TransformV) for i in items.items):
                    return TransformV(all(i.keeps_size for i in items.items),  # type: ignore[union-attr]
                                      any(i.makes_tensor for i in items.items))  # type: ignore[union-attr]
                return TransformV(False, False)
            if tname == "RandomCrop":
                return TransformV(False, False)  # keeps the size only when it equals the image size
            return TransformV(tname in SIZE_KEEPING, tname in MAKES_TENSOR)
        if q.startswith("math.") and q.count(".") == 1:
            return self._math(q[5:], e, f)
        short_fn = _torch_short(q)
        if short_fn is not None:
            return self.call_torch(q, short_fn, e, f)
        self.args_of(e, f)
        return UNKNOWN

    def _math(self, name: str, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        fn = getattr(math, name, None) if name in MATH_FUNCTIONS else None
        if got is None or got[1] or fn is None:
            return UNKNOWN
        nums = [_num(v) for v, _ in got[0]]
        if None in nums:
            return UNKNOWN
        try:
            return Const(fn(*nums))
        except (ValueError, OverflowError, TypeError):
            return UNKNOWN

    def _opaque(self, q: str, e: cst.Call, got) -> Layer:
        args_json = [json_arg(v, self.ctx.code_for(n)) if _needs_src(v) else json_arg(v, "") for v, n in got[0]]
        kwargs_json = {k: json_arg(v, self.ctx.code_for(n)) if _needs_src(v) else json_arg(v, "")
                       for k, (v, n) in got[1].items()}
        lit = all(not (isinstance(a, dict) and "unknown" in a) for a in [*args_json, *kwargs_json.values()])
        return OpaqueLayer(q.rsplit(".", 1)[-1], q, e, {}, args_json, kwargs_json, lit)

    def make_layer(self, short: str, q: str, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None:
            return LayerV(OpaqueLayer(short, f"torch.nn.{short}", e, {}, [{"unknown": "*"}], {}, False))
        args_json = [json_arg(v, self.ctx.code_for(n) if _needs_src(v) else "") for v, n in got[0]]
        kwargs_json = {k: json_arg(v, self.ctx.code_for(n) if _needs_src(v) else "") for k, (v, n) in got[1].items()}
        layer = build_layer(short, f"torch.nn.{short}", e, [v for v, _ in got[0]],
                            {k: v for k, (v, _) in got[1].items()}, args_json, kwargs_json)
        if layer is None:
            return LayerV(OpaqueLayer(short, f"torch.nn.{short}", e, {}, args_json, kwargs_json, False))
        problem = layer.construct_problem()
        if problem is not None:
            self.a.construct_problem(e, problem, layer)
        return LayerV(layer)

    def make_sequential(self, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None:
            return UNKNOWN
        values = [v for v, _ in got[0]]
        if len(values) == 1 and isinstance(values[0], ODictV):
            entries = list(values[0].pairs)
        else:
            entries = [(str(i), v) for i, v in enumerate(values)]
        for _, v in entries:
            if not isinstance(v, (LayerV, ContainerV, InstanceV)):
                return UNKNOWN
        return ContainerV("sequential", entries, e)

    # ---------------------------------------------------------------- torch functions
    def call_torch(self, q: str, name: str, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None:
            return UNKNOWN
        args, kwargs = got
        vals = [v for v, _ in args]
        kw = {k: v for k, (v, _) in kwargs.items()}
        if name in CREATION and not q.startswith("torch.nn.functional"):
            return self.creation(q, name, vals, kw, e)
        x = vals[0] if vals else kw.get("input", UNKNOWN)
        if name in ("cat", "concat", "concatenate", "stack"):
            seq = vals[0] if vals else kw.get("tensors", UNKNOWN)
            dim = py(vals[1] if len(vals) > 1 else kw.get("dim", Const(0)), MISSING)
            if not isinstance(seq, Seq) or not isinstance(dim, int):
                return self._opaque_call(q, e, args, kwargs)
            shapes = [t.shape if isinstance(t, TensorV) else None for t in seq.items]
            shape, problem = (ops.stack(shapes, dim) if name == "stack" else ops.cat(shapes, dim, "torch." + name))
            dtype = _common_dtype(seq.items)
            return self._record_call(q, e, args, kwargs, TensorV(shape, dtype), problem, standalone=True)
        if name in F_POOL and q.startswith("torch.nn.functional."):
            cls_name, order = F_POOL[name]
            bound: dict[str, Value] = dict(zip(order, vals[1:]))
            bound.update({k: v for k, v in kw.items() if k != "input"})
            layer = build_layer(cls_name, q, None, [], bound, [], {})
            if layer is None or not isinstance(x, TensorV):
                return self._record_call(q, e, args, kwargs, TensorV(None))
            layer.name = "F." + name
            out = layer.apply([x])
            res = self._record_call(q, e, args, kwargs, out.out, out.problem, formula=out.formula)
            if out.dropped:
                self.trace.drop(e, None, "F." + name, "pool", out.dropped, x)
            return res
        if name == "interpolate" and q.startswith("torch.nn.functional."):
            size = py(vals[1] if len(vals) > 1 else kw.get("size", Const(None)), MISSING)
            scale = py(vals[2] if len(vals) > 2 else kw.get("scale_factor", Const(None)), MISSING)
            mode = py(vals[3] if len(vals) > 3 else kw.get("mode", Const("nearest")), MISSING)
            out = upsample("F.interpolate", x, size, scale, mode)
            return self._record_call(q, e, args, kwargs, out.out, out.problem, formula=out.formula)
        if not isinstance(x, TensorV):
            return UNKNOWN
        if name in ELEMENTWISE_FN:
            other = [v for v in vals[1:] if isinstance(v, TensorV)]
            shape = x.shape
            if other and name not in ("prelu",):
                return self._opaque_call(q, e, args, kwargs)
            dtype = x.dtype if name not in ("softmax", "log_softmax", "sigmoid", "tanh") else "float"
            return self._record_call(q, e, args, kwargs, TensorV(shape, dtype), same_shape=True)
        if name == "flatten":
            start = py(vals[1] if len(vals) > 1 else kw.get("start_dim", Const(0)), MISSING)
            end = py(vals[2] if len(vals) > 2 else kw.get("end_dim", Const(-1)), MISSING)
            if not isinstance(start, int) or not isinstance(end, int):
                return self._record_call(q, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.flatten(x.shape, start, end, "torch.flatten")
            return self._record_call(q, e, args, kwargs, TensorV(shape, x.dtype), problem, flattening=True)
        if name == "reshape":
            target = self._size_args(vals[1:] if len(vals) > 1 else [kw.get("shape", UNKNOWN)])
            if target is None:
                return self._record_call(q, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.view(x.shape, target, "torch.reshape")
            return self._record_call(q, e, args, kwargs, TensorV(shape, x.dtype), problem, flattening=True)
        if name in ("matmul", "mm", "bmm"):
            y = vals[1] if len(vals) > 1 else kw.get("other", kw.get("mat2", UNKNOWN))
            if not isinstance(y, TensorV):
                return UNKNOWN
            fn = {"matmul": ops.matmul, "mm": ops.mm, "bmm": ops.bmm}[name]
            shape, problem = fn(x.shape, y.shape, "torch." + name)
            return self._record_call(q, e, args, kwargs, TensorV(shape, _common_dtype([x, y])), problem,
                                     standalone=True)
        if name in BINARY_FN and BINARY_FN[name] is not None and len(vals) >= 2:
            return self.binary_values(BINARY_FN[name], x, vals[1], e, q, args, kwargs)
        if name in ("squeeze", "unsqueeze", "transpose", "permute", "t", "swapaxes", "movedim") or name in REDUCE \
                or name in ("argmax", "argmin", "max", "min"):
            return self.shape_method(x, name, vals[1:], kw, e, q, args, kwargs)
        return self._opaque_call(q, e, args, kwargs)

    def creation(self, q: str, name: str, vals: list[Value], kw: dict[str, Value], e: cst.Call) -> Value:
        dtype_v = py(kw.get("dtype", Const(None)), MISSING)
        dtype: Optional[str] = dtype_v if isinstance(dtype_v, DType) else None
        shape: Optional[Shape] = None
        default = "float"
        if name.endswith("_like"):
            src = vals[0] if vals else kw.get("input", UNKNOWN)
            shape = src.shape if isinstance(src, TensorV) else None
            default = src.dtype if isinstance(src, TensorV) else None  # type: ignore[assignment]
        elif name == "randint":
            size = kw.get("size")
            rest = [v for v in vals]
            if size is None and rest:
                size = rest[-1]
            target = self._size_args([size]) if size is not None else None
            shape = Shape(tuple(target)) if target is not None and -1 not in target else None
            default = "int64"
        elif name == "full":
            target = self._size_args([vals[0] if vals else kw.get("size", UNKNOWN)])
            shape = Shape(tuple(target)) if target is not None and -1 not in target else None
            fill = py(vals[1] if len(vals) > 1 else kw.get("fill_value", UNKNOWN), MISSING)
            default = "bool" if isinstance(fill, bool) else ("int64" if isinstance(fill, int) else "float")
        elif name in ("tensor", "as_tensor"):
            data = py(vals[0] if vals else kw.get("data", UNKNOWN), MISSING)
            shape, default = _nested_shape(data)  # type: ignore[assignment]
        elif name == "arange":
            nums = [py(v, MISSING) for v in vals]
            if 1 <= len(nums) <= 3 and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in nums):
                start, end, step = (0, nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], nums[2] if len(nums) == 3 else 1)
                if step:
                    shape = Shape((max(0, math.ceil((end - start) / step)),))
                default = "int64" if all(isinstance(n, int) for n in nums) else "float"
        elif name in ("randperm",):
            n = as_int(vals[0]) if vals else None
            shape = Shape((n,)) if n is not None else None
            default = "int64"
        elif name == "linspace":
            n = as_int(vals[2]) if len(vals) > 2 else as_int(kw.get("steps", UNKNOWN))
            shape = Shape((n,)) if n is not None else None
        elif name == "eye":
            n = as_int(vals[0]) if vals else None
            m = as_int(vals[1]) if len(vals) > 1 else as_int(kw.get("m", Const(n)))
            shape = Shape((n, m)) if n is not None and m is not None else None
        elif name == "LongTensor":
            default = "int64"
        elif name in ("FloatTensor", "Tensor"):
            default = "float"
        else:
            target = self._size_args(vals if vals else [kw.get("size", UNKNOWN)])
            shape = Shape(tuple(target)) if target is not None and -1 not in target else None
        literal = shape is not None and shape.fully_known and all(isinstance(d, int) for d in shape.dims)
        out = TensorV(shape, dtype or default, literal=literal)
        return self.trace.add("call", e, [], out, fn=q, args=[], kwargs={}, creation=True)

    def _size_args(self, vals: Sequence[Value]) -> Optional[list[Dim]]:
        """Sizes given as varargs ints or one tuple / list / torch.Size."""
        if len(vals) == 1 and isinstance(vals[0], (Seq, ShapeV)):
            if isinstance(vals[0], ShapeV):
                s = vals[0].shape
                return list(s.dims) if s is not None and s.exact else None
            vals = list(vals[0].items)
        out: list[Dim] = []
        for v in vals:
            if isinstance(v, DimV):
                out.append(v.dim)
            elif isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
                out.append(v.value)
            else:
                return None
        return out

    def _record_call(self, q: str, e: cst.Call, args, kwargs, out: Value, problem: Optional[Problem] = None, *,
                     formula: Optional[str] = None, same_shape: bool = False, flattening: bool = False,
                     standalone: bool = False) -> Value:
        vals = [v for v, _ in args]
        enc = self._encode_call_args(vals, {k: v for k, (v, _) in kwargs.items()}, [n for _, n in args],
                                     {k: n for k, (_, n) in kwargs.items()})
        tensors = enc.pop("_tensors")
        res = self.trace.add("call", e, tensors, out, fn=q, formula=formula, same_shape=same_shape,
                             flattening=flattening, **enc)
        if problem is not None:
            step = res.step if isinstance(res, TensorV) else getattr(res, "step", None)
            if standalone:
                problem.standalone = True
            self.trace.problem(e, problem, [v for v in vals if isinstance(v, TensorV)][:1], step=step)
        return res

    def _opaque_call(self, q: str, e: cst.Call, args, kwargs) -> Value:
        return self._record_call(q, e, args, kwargs, TensorV(None))

    def _encode_call_args(self, vals: list[Value], kwvals: dict[str, Value], nodes: list,
                          kwnodes: Optional[dict] = None) -> dict[str, Any]:
        """inputs/args/kwargs per the JSON contract: leading tensor arguments are the
        step's inputs; anything else is literal JSON, {"size_of": …} or {"unknown": …};
        tensors found later ({"step": id}) set ``inputs_in_args``."""
        lead = 0
        while lead < len(vals) and isinstance(vals[lead], TensorV):
            lead += 1
        rest_has_tensor = any(_has_tensor(v) for v in vals[lead:]) or any(_has_tensor(v) for v in kwvals.values())
        kwnodes = kwnodes or {}
        if not rest_has_tensor:
            return {"_tensors": vals[:lead],
                    "args": [self._enc(v, n) for v, n in zip(vals[lead:], nodes[lead:])],
                    "kwargs": {k: self._enc(v, kwnodes.get(k)) for k, v in kwvals.items()}}
        return {"_tensors": _flat_tensors(list(vals) + list(kwvals.values())),
                "args": [self._enc(v, n) for v, n in zip(vals, nodes)],
                "kwargs": {k: self._enc(v, kwnodes.get(k)) for k, v in kwvals.items()},
                "inputs_in_args": True}

    def _enc(self, v: Value, node: Optional[cst.CSTNode]) -> Any:
        if isinstance(v, TensorV):
            sid = self.trace.ref(v)
            return {"step": sid}
        if isinstance(v, Seq) and any(_has_tensor(i) for i in v.items):
            return [self._enc(i, None) for i in v.items]
        if isinstance(v, Const) and isinstance(v.value, DType):
            return {"dtype": "torch." + {"float": "float32", "int64": "int64", "int32": "int32"}.get(v.value, v.value)}
        src = self.ctx.code_for(node) if node is not None and _needs_src(v) else "?"
        return json_arg(v, src)

    # ---------------------------------------------------------------- tensor methods
    def tensor_method(self, x: TensorV, m: str, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None:
            return TensorV(None)
        args, kwargs = got
        vals = [v for v, _ in args]
        kw = {k: v for k, (v, _) in kwargs.items()}
        if m == "size":
            d = vals[0] if vals else kw.get("dim")
            k = as_int(d) if d is not None else None
            sid = self.trace.ref(x)
            if d is None:
                return ShapeV(x.shape, sid)
            if k is None or x.shape is None:
                return DimV(None)
            s = x.shape
            idx = k if k >= 0 or not s.exact else len(s.dims) + k
            return DimV(s.dim(k), (sid, idx) if sid is not None and s.exact and 0 <= idx < len(s.dims) else None)
        if m in ("dim", "ndimension"):
            return Const(len(x.shape.dims)) if x.shape is not None and x.shape.exact else UNKNOWN
        if m == "numel":
            p = prod(x.shape.dims) if x.shape is not None and x.shape.exact else None
            return Const(p.coef) if p is not None and not p.syms else UNKNOWN
        if m in ("item", "tolist", "numpy"):
            return UNKNOWN
        if m in ("view", "reshape"):
            if len(vals) == 1 and isinstance(py(vals[0], MISSING), DType):
                return self._method(x, m, e, args, kwargs, TensorV(None))
            target = self._size_args(vals if vals else [kw.get("shape", UNKNOWN)])
            if target is None:
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.view(x.shape, target, m)
            return self._method(x, m, e, args, kwargs, TensorV(shape, x.dtype), problem, flattening=True)
        if m in ("view_as", "reshape_as", "expand_as"):
            other = vals[0] if vals else UNKNOWN
            return self._method(x, m, e, args, kwargs,
                                TensorV(other.shape if isinstance(other, TensorV) else None, x.dtype))
        if m == "flatten":
            start = py(vals[0] if vals else kw.get("start_dim", Const(0)), MISSING)
            end = py(vals[1] if len(vals) > 1 else kw.get("end_dim", Const(-1)), MISSING)
            if not isinstance(start, int) or not isinstance(end, int):
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.flatten(x.shape, start, end, "flatten")
            return self._method(x, m, e, args, kwargs, TensorV(shape, x.dtype), problem, flattening=True)
        if m == "unflatten":
            dim = as_int(vals[0]) if vals else None
            sizes = py(vals[1], MISSING) if len(vals) > 1 else MISSING
            if dim is None or not isinstance(sizes, (tuple, list)):
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.unflatten(x.shape, dim, list(sizes))
            return self._method(x, m, e, args, kwargs, TensorV(shape, x.dtype), problem)
        if m in ("matmul", "mm", "bmm"):
            y = vals[0] if vals else UNKNOWN
            if not isinstance(y, TensorV):
                return self._method(x, m, e, args, kwargs, TensorV(None))
            fn = {"matmul": ops.matmul, "mm": ops.mm, "bmm": ops.bmm}[m]
            shape, problem = fn(x.shape, y.shape, m)
            return self._method(x, m, e, args, kwargs, TensorV(shape, _common_dtype([x, y])), problem, standalone=True)
        if m in BINARY_FN and BINARY_FN[m] is not None and vals:
            return self.binary_values(BINARY_FN[m], x, vals[0], e, None, args, kwargs, method=m)
        if m in CAST_METHODS:
            return self._method(x, m, e, args, kwargs, x.but(step=None, ref=None, note=None,
                                                               dtype=CAST_METHODS[m]), same_shape=True)
        if m == "to":
            dt = next((py(v, None) for v in [*vals, kw.get("dtype", Const(None))] if isinstance(py(v, None), DType)),
                      None)
            return self._method(x, m, e, args, kwargs, x.but(step=None, ref=None, note=None,
                                                               dtype=dt or x.dtype), same_shape=True)
        if m in ("cpu", "cuda", "detach", "clone", "contiguous", "requires_grad_", "pin_memory"):
            return self._method(x, m, e, args, kwargs, x.but(step=None, ref=None, note=None), same_shape=True)
        if m in ELEMENTWISE_METHODS:
            if any(isinstance(v, TensorV) for v in vals) and m not in ("masked_fill", "masked_fill_", "type_as"):
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            dtype = "float" if m in ("softmax", "log_softmax", "sigmoid", "tanh") else x.dtype
            return self._method(x, m, e, args, kwargs, TensorV(x.shape, dtype), same_shape=True)
        if m in ("squeeze", "unsqueeze", "transpose", "permute", "t", "swapaxes") or m in REDUCE \
                or m in ("argmax", "argmin", "max", "min"):
            return self.shape_method(x, m, vals, kw, e, None, args, kwargs)
        return self._method(x, m, e, args, kwargs, TensorV(None))

    def shape_method(self, x: TensorV, m: str, vals: list[Value], kw: dict[str, Value], e: cst.Call,
                     q: Optional[str], args, kwargs) -> Value:
        shape: Optional[Shape] = None
        problem = None
        dtype = x.dtype
        if m == "unsqueeze":
            d = as_int(vals[0] if vals else kw.get("dim", UNKNOWN))
            if d is not None:
                shape, problem = ops.unsqueeze(x.shape, d)
        elif m == "squeeze":
            d = vals[0] if vals else kw.get("dim")
            if d is None:
                shape, problem = ops.squeeze(x.shape, None)
            else:
                pd = py(d, MISSING)
                dims = [pd] if isinstance(pd, int) else (list(pd) if isinstance(pd, (tuple, list)) else None)
                if dims is not None and all(isinstance(i, int) for i in dims):
                    shape, problem = ops.squeeze(x.shape, dims)
        elif m in ("transpose", "swapaxes"):
            a = as_int(vals[0]) if vals else as_int(kw.get("dim0", UNKNOWN))
            b = as_int(vals[1]) if len(vals) > 1 else as_int(kw.get("dim1", UNKNOWN))
            if a is not None and b is not None:
                shape, problem = ops.transpose(x.shape, a, b)
        elif m == "t":
            if x.shape is not None and x.shape.exact and len(x.shape.dims) <= 2:
                shape = Shape(tuple(reversed(x.shape.dims)))
        elif m == "permute":
            order = py(vals[0], MISSING) if len(vals) == 1 else [py(v, MISSING) for v in vals]
            if isinstance(order, (tuple, list)) and all(isinstance(o, int) for o in order):
                shape, problem = ops.permute(x.shape, list(order))
        else:
            d = vals[0] if vals else kw.get("dim")
            keep = py(vals[1] if len(vals) > 1 else kw.get("keepdim", Const(False)), MISSING)
            if d is None or py(d, MISSING) is None:
                dims = None
            else:
                pd = py(d, MISSING)
                dims = [pd] if isinstance(pd, int) else (list(pd) if isinstance(pd, (tuple, list)) else MISSING)
            if dims is not MISSING and isinstance(keep, bool) and (dims is None or all(isinstance(i, int) for i in dims)):
                if m in ("max", "min") and dims is not None:
                    s, problem = ops.reduce(x.shape, dims, keep)
                    out = Seq((TensorV(s, dtype), TensorV(s, "int64")))
                    return self._finish(x, m, e, q, args, kwargs, out, problem)
                shape, problem = ops.reduce(x.shape, dims, keep)
                if m in ("argmax", "argmin", "count_nonzero"):
                    dtype = "int64"
                elif m in ("all", "any"):
                    dtype = "bool"
        return self._finish(x, m, e, q, args, kwargs, TensorV(shape, dtype), problem)

    def _finish(self, x: TensorV, m: str, e: cst.Call, q: Optional[str], args, kwargs, out: Value,
                problem: Optional[Problem]) -> Value:
        if q is not None:
            return self._record_call(q, e, args, kwargs, out, problem)
        return self._method(x, m, e, args, kwargs, out, problem)

    def _method(self, x: TensorV, m: str, e: cst.Call, args, kwargs, out: Value, problem: Optional[Problem] = None,
                *, same_shape: bool = False, flattening: bool = False, standalone: bool = False) -> Value:
        vals = [x] + [v for v, _ in args]
        nodes = [None] + [n for _, n in args]
        enc = self._encode_call_args(vals, {k: v for k, (v, _) in kwargs.items()}, nodes,
                                     {k: n for k, (_, n) in kwargs.items()})
        tensors = enc.pop("_tensors")
        res = self.trace.add("method", e, tensors, out, method=m, same_shape=same_shape, flattening=flattening, **enc)
        if problem is not None:
            step = res.step if isinstance(res, TensorV) else getattr(res, "step", None)
            if standalone:
                problem.standalone = True
            self.trace.problem(e, problem, [x], step=step)
        return res

    # ---------------------------------------------------------------- arithmetic
    def binary(self, op: str, left: Value, right: Value, node: cst.CSTNode, ln: cst.CSTNode, rn: cst.CSTNode) -> Value:
        sym = OPERATORS.get(op)
        if sym is None:
            return UNKNOWN
        if isinstance(left, TensorV) or isinstance(right, TensorV):
            return self.binary_values(sym, left, right, node, None, [(left, ln), (right, rn)], {})
        if isinstance(left, Seq) and isinstance(right, Seq) and sym == "+":
            return Seq(left.items + right.items, left.is_list)
        if isinstance(left, Seq) and sym == "*" and as_int(right) is not None and as_int(right) <= 10 * MAX_UNROLL:
            return Seq(left.items * as_int(right), left.is_list)  # type: ignore[operator]
        a, b = _num(left), _num(right)
        if a is None or b is None:
            return _sym_arith(sym, left, right)
        try:
            r = _ARITH[sym](a, b)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError):
            return UNKNOWN
        if isinstance(r, int) and abs(r) > 10 ** 15:
            return UNKNOWN
        return Const(r)

    def binary_values(self, sym: str, left: Value, right: Value, node: cst.CSTNode, q: Optional[str], args, kwargs,
                      method: Optional[str] = None) -> Value:
        if not isinstance(left, TensorV) and not isinstance(right, TensorV):
            return UNKNOWN
        tensors = [v for v in (left, right) if isinstance(v, TensorV)]
        problem: Optional[Problem] = None
        shape: Optional[Shape] = None
        if sym == "@":
            if isinstance(left, TensorV) and isinstance(right, TensorV):
                shape, problem = ops.matmul(left.shape, right.shape, "@")
        elif isinstance(left, TensorV) and isinstance(right, TensorV):
            if left.shape is not None and right.shape is not None:
                shape, clash = broadcast(left.shape, right.shape)
                if clash is not None:
                    k, da, db = clash
                    problem = self._broadcast_problem(sym, left, right, k, da, db)
        else:
            t = left if isinstance(left, TensorV) else right
            other = right if t is left else left
            if _num(other) is None and not isinstance(other, DimV):
                return TensorV(None)
            shape = t.shape
        dtype = _common_dtype(tensors) if sym not in ("/",) else "float"
        out = TensorV(shape, dtype)
        operands = [self._enc(v, n) for v, n in args[:2]] if len(args) >= 2 else []
        if method is not None or q is not None:
            vals = [v for v, _ in args]
            nodes = [n for _, n in args]
            if method is not None:
                vals, nodes = [left, *vals], [None, *nodes]
            enc = self._encode_call_args(vals, {k: v for k, (v, _) in kwargs.items()}, nodes,
                                         {k: n for k, (_, n) in kwargs.items()})
            ins = enc.pop("_tensors")
            fields = {"method": method} if method is not None else {"fn": q}
            res = self.trace.add("method" if method is not None else "call", node, ins, out, **fields, **enc)
        else:
            res = self.trace.add("binary", node, tensors, out, operator=sym, operands=operands)
        if problem is not None:
            problem.standalone = True
            self.trace.problem(node, problem, tensors[:1], step=getattr(res, "step", None))
        return res

    def _broadcast_problem(self, sym: str, a: TensorV, b: TensorV, k: int, da: Dim, db: Dim) -> Problem:
        dz, de, _ = self.trace.describe(a)
        ez, ee, _ = self.trace.describe(b)
        word = {"+": ("相加", "add"), "-": ("相减", "subtract"), "*": ("相乘", "multiply"), "/": ("相除", "divide")}.get(
            sym, ("运算", f"combine with {sym}"))
        return Problem(
            f"{dz} 与 {ez} 无法{word[0]}：倒数第 {-k} 维 {fmt_dim(da)} ≠ {fmt_dim(db)}，两者都不是 1，不能广播",
            f"cannot {word[1]} {de} and {ee}: dim {k} is {fmt_dim(da)} vs {fmt_dim(db)}, neither is 1, "
            "so they do not broadcast", standalone=True)


# ==================================================================== helpers
OPERATORS = {"Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//", "Modulo": "%",
             "Power": "**", "MatrixMultiply": "@"}
_ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
          "//": lambda a, b: a // b, "%": lambda a, b: a % b,
          "**": lambda a, b: a ** b if abs(b) < 64 else (_ for _ in ()).throw(OverflowError())}
MATH_FUNCTIONS = {"sqrt", "ceil", "floor", "log", "log2", "log10", "exp", "pow", "gcd", "isqrt", "prod", "trunc"}
MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "add", "setdefault"}


def _num(v: Value) -> Any:
    x = py(v, MISSING)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return x


def _sym_arith(sym: str, left: Value, right: Value) -> Value:
    """Arithmetic on a symbolic size (``x.size(0) * 1``): kept only where it stays exact."""
    if isinstance(left, DimV) or isinstance(right, DimV):
        if sym == "*" and _num(right) == 1:
            return left
        if sym == "*" and _num(left) == 1:
            return right
        return DimV(None)
    return UNKNOWN


def _compare(op: cst.BaseCompOp, left: Value, right: Value) -> Optional[bool]:
    if isinstance(op, (cst.Is, cst.IsNot)):
        rn = isinstance(right, Const) and right.value is None
        if not rn:
            return None
        if isinstance(left, Const):
            r = left.value is None
        elif isinstance(left, (TensorV, LayerV, ContainerV, InstanceV, SelfRef, ClassRef, Seq)):
            r = False
        else:
            return None
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


def _head(e: cst.BaseExpression) -> Optional[str]:
    while isinstance(e, cst.Attribute):
        e = e.value
    return e.value if isinstance(e, cst.Name) else None


def _has_jump(body: cst.BaseSuite) -> bool:
    """Does a loop body contain break / continue / return (nested defs aside)?"""

    def stmts(items) -> bool:
        return any(stmt(st) for st in items)

    def stmt(st) -> bool:
        if isinstance(st, cst.SimpleStatementLine):
            return any(isinstance(x, (cst.Break, cst.Continue, cst.Return)) for x in st.body)
        if isinstance(st, (cst.FunctionDef, cst.ClassDef)):
            return False
        return stmts(_sub_bodies(st))

    return stmts(body.body) if isinstance(body, cst.IndentedBlock) else stmt(cst.SimpleStatementLine(body=body.body))


def _sub_bodies(st: cst.BaseStatement) -> list[cst.BaseStatement]:
    """The statements nested directly in a compound statement (all its branches)."""
    out: list[cst.BaseStatement] = []

    def add(suite) -> None:
        if suite is None:
            return
        if isinstance(suite, cst.IndentedBlock):
            out.extend(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            out.append(cst.SimpleStatementLine(body=suite.body))

    if isinstance(st, cst.If):
        add(st.body)
        if isinstance(st.orelse, cst.If):
            out.append(st.orelse)
        elif st.orelse is not None:
            add(st.orelse.body)
    elif isinstance(st, (cst.For, cst.While)):
        add(st.body)
        if st.orelse is not None:
            add(st.orelse.body)
    elif isinstance(st, cst.With):
        add(st.body)
    elif isinstance(st, (cst.Try, cst.TryStar)):
        add(st.body)
        for h in st.handlers:
            add(h.body)
        if st.orelse is not None:
            add(st.orelse.body)
        if st.finalbody is not None:
            add(st.finalbody.body)
    elif isinstance(st, cst.Match):
        for case in st.cases:
            add(case.body)
    return out


def assigned_names(node: cst.CSTNode) -> tuple[set[str], set[str]]:
    """Names and ``self.<attr>`` a statement may assign (``x.append(…)`` mutations and
    imports included). A structural walk: libcst's visitor machinery costs far more."""
    names: set[str] = set()
    attrs: set[str] = set()

    def target(t: cst.BaseExpression) -> None:
        if isinstance(t, cst.Name):
            names.add(t.value)
        elif isinstance(t, (cst.Tuple, cst.List)):
            for el in t.elements:
                target(el.value)
        elif isinstance(t, cst.StarredElement):
            target(t.value)
        elif isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name):
            if t.value.value == "self":
                attrs.add(t.attr.value)
        elif isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name):
            names.add(t.value.value)

    def expr(e: Optional[cst.BaseExpression]) -> None:
        if isinstance(e, cst.Call):
            f = e.func
            if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.attr.value in MUTATORS:
                names.add(f.value.value)
        elif isinstance(e, cst.NamedExpr):
            target(e.target)

    def small(x: cst.BaseSmallStatement) -> None:
        if isinstance(x, cst.Assign):
            for t in x.targets:
                target(t.target)
            expr(x.value)
        elif isinstance(x, (cst.AugAssign, cst.AnnAssign)):
            target(x.target)
        elif isinstance(x, cst.Del):
            target(x.target)
        elif isinstance(x, cst.Expr):
            expr(x.value)
        elif isinstance(x, cst.Import):
            for a in x.names:
                names.add(a.asname.name.value if a.asname is not None and isinstance(a.asname.name, cst.Name)
                          else (a.evaluated_name.split(".")[0]))
        elif isinstance(x, cst.ImportFrom) and not isinstance(x.names, cst.ImportStar):
            for a in x.names:
                names.add(a.asname.name.value if a.asname is not None and isinstance(a.asname.name, cst.Name)
                          else a.evaluated_name)

    def stmt(st: cst.CSTNode) -> None:
        if isinstance(st, cst.SimpleStatementLine):
            for x in st.body:
                small(x)
            return
        if isinstance(st, cst.BaseSmallStatement):
            small(st)
            return
        if isinstance(st, (cst.FunctionDef, cst.ClassDef)):
            names.add(st.name.value)
            return
        if isinstance(st, cst.For):
            target(st.target)
        elif isinstance(st, cst.With):
            for item in st.items:
                if item.asname is not None:
                    target(item.asname.name)
        elif isinstance(st, (cst.Try, cst.TryStar)):
            for h in st.handlers:
                if h.name is not None:
                    target(h.name.name)
        elif isinstance(st, cst.If):
            expr(st.test)
        for sub in _sub_bodies(st):  # type: ignore[arg-type]
            stmt(sub)

    stmt(node)
    return names, attrs


def _join_env(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for k in set(a) | set(b):
        if k in a and k in b:
            out[k] = join(a[k], b[k])
        else:
            out[k] = UNKNOWN
    return out


def _has_tensor(v: Value) -> bool:
    if isinstance(v, TensorV):
        return True
    if isinstance(v, Seq):
        return any(_has_tensor(i) for i in v.items)
    return False


def _flat_tensors(vals: list[Value]) -> list[Value]:
    out: list[Value] = []
    for v in vals:
        if isinstance(v, TensorV):
            out.append(v)
        elif isinstance(v, Seq):
            out.extend(_flat_tensors(list(v.items)))
    return out


def _needs_src(v: Value) -> bool:
    return py(v, MISSING) is MISSING


def _common_dtype(vals: Sequence[Value]) -> Optional[str]:
    ds = {v.dtype for v in vals if isinstance(v, TensorV)}
    if len(ds) == 1:
        return ds.pop()
    if "float" in ds:
        return "float"
    return None


def _nested_shape(data: Any) -> tuple[Optional[Shape], Optional[str]]:
    if data is MISSING:
        return None, None
    dims: list[int] = []
    x = data
    while isinstance(x, (list, tuple)):
        dims.append(len(x))
        if not x:
            break
        x = x[0]

    def leaves(d: Any):
        if isinstance(d, (list, tuple)):
            for i in d:
                yield from leaves(i)
        else:
            yield d

    vals = list(leaves(data))
    if any(isinstance(v, str) for v in vals):
        return None, None
    dtype = "bool" if vals and all(isinstance(v, bool) for v in vals) else (
        "int64" if all(isinstance(v, int) for v in vals) else "float")
    return Shape(tuple(dims)), dtype


def _unknown_cut(shape: Shape, index: list[Any], src: Optional[Shape]) -> Shape:
    dims = list(shape.dims)
    pos = 0
    for it in index:
        if it is None:
            pos += 1
        elif isinstance(it, slice):
            if "?" in (it.start, it.stop, it.step) and pos < len(dims):
                dims[pos] = None
            pos += 1
        elif it is Ellipsis:
            return Shape(tuple(dims))
    return Shape(tuple(dims))


# builtins -------------------------------------------------------------
def _b_range(self: Interp, e: cst.Call, f: Frame) -> Value:
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


def _b_len(self: Interp, e: cst.Call, f: Frame) -> Value:
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
    return UNKNOWN


def _b_conv(kind: type):
    def h(self: Interp, e: cst.Call, f: Frame) -> Value:
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
    def h(self: Interp, e: cst.Call, f: Frame) -> Value:
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
    def h(self: Interp, e: cst.Call, f: Frame) -> Value:
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


def _b_enumerate(self: Interp, e: cst.Call, f: Frame) -> Value:
    got = self.args_of(e, f)
    if got is None or got[1] or len(got[0]) != 1:
        return UNKNOWN
    v = got[0][0][0]
    items = list(v.items) if isinstance(v, Seq) else ([x for _, x in v.entries] if isinstance(v, ContainerV) else None)
    if items is None:
        return UNKNOWN
    return Seq(tuple(Seq((Const(i), it)) for i, it in enumerate(items)))


def _b_zip(self: Interp, e: cst.Call, f: Frame) -> Value:
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


def _b_print(self: Interp, e: cst.Call, f: Frame) -> Value:
    self.args_of(e, f)
    return Const(None)


BUILTINS = {
    "range": _b_range, "len": _b_len, "int": _b_conv(int), "float": _b_conv(float), "min": _b_minmax(min),
    "max": _b_minmax(max), "list": _b_seq(True), "tuple": _b_seq(False), "enumerate": _b_enumerate,
    "print": _b_print, "abs": _b_conv(abs), "round": _b_conv(round), "zip": _b_zip,
}

_EVAL = {
    cst.Name: Interp._name, cst.Integer: Interp._number, cst.Float: Interp._number,
    cst.SimpleString: Interp._string, cst.ConcatenatedString: Interp._string, cst.Tuple: Interp._seq,
    cst.List: Interp._seq, cst.UnaryOperation: Interp._unary, cst.BinaryOperation: Interp._binop,
    cst.BooleanOperation: Interp._boolop, cst.Comparison: Interp._compare, cst.IfExp: Interp._ifexp,
    cst.Attribute: Interp._attribute, cst.Subscript: Interp._subscript, cst.Call: Interp._call,
    cst.NamedExpr: Interp._named, cst.ListComp: Interp._comprehension, cst.GeneratorExp: Interp._comprehension,
}
