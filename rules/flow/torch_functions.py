"""Torch and numpy functions by qualified name: creation calls (``creation.py``), functions
that are tensor methods (``torch.transpose(x, 0, 1)``), pointwise and product functions,
softmax-like producers, concatenation, constructors of layers/losses/optimizers/schedulers,
in-place initialisers and ``out=`` writes.

Contract: ``call_function(node, qualified name, args, state)`` returns the call's
``Value``; a torch/numpy function it does not know gives a fresh value without touching its
arguments (library functions do not mutate their arguments' attributes); the numpy/torch
bridges are in ``aliasing.py``. A mixin of ``interp.Interpreter``."""
from __future__ import annotations

from typing import Callable, Iterable, Optional

import libcst as cst

from ..dtypes import FLOAT_RESULT, concat_result, float_result, is_floating
from ..shape_arith import PRODUCTS, cat_sizes, stack_sizes
from ..size_product import Product
from . import chain as C
from . import layout as L
from .aliasing import BRIDGES
from .args import Args, key_of
from .creation import creation_value, device_of
from .datasets import HANDLERS as DATASET_HANDLERS
from .model_summaries import HANDLERS as SUMMARY_HANDLERS
from .events import BACKWARD, Event
from .layers import constructor_constants
from .schedulers import scheduler_value
from .state import State
from .transfer import (
    CONTIGUOUS_RESULT_FUNCTIONS, GRAD_SCALERS, NUMPY_WRITE_FIRST, POINTWISE_FUNCTIONS, SOFT_PRODUCERS,
    TORCH_FUNCTION_METHODS, tensor_exponent,
)
from .values import CONTIGUOUS, UNKNOWN, Kind, Value, shape_of_sizes, sizes_of


# Pointwise functions whose second argument is not a broadcast operand (a bound, an exponent…)
_NOT_BINARY = frozenset({"clamp", "clip", "pow", "round", "flip", "nan_to_num", "where"})
_SOFT_FUNCTIONS = frozenset({
    "torch.nn.functional.softmax", "torch.nn.functional.log_softmax", "torch.softmax", "torch.log_softmax",
    "torch.nn.functional.gumbel_softmax", "torch.nn.functional.normalize", "torch.nn.functional.softmin",
    "torch.special.softmax", "torch.special.log_softmax", "torch.sigmoid", "torch.nn.functional.sigmoid",
})
_FUNCTIONAL_LOSSES = frozenset({"cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
                                "binary_cross_entropy_with_logits", "kl_div", "smooth_l1_loss"})


class TorchFunctionsMixin:
    """Transfer functions of torch/numpy functions; mixed into ``Interpreter``."""

    def call_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        bridge = BRIDGES.get(q)
        if bridge is not None:
            out = bridge(self, node, q, args, st)
            if out is not None:
                return out
        created = creation_value(q, node, lambda e: self.fa._values.get(e, UNKNOWN), self.default_float)
        if created is not None:
            if created.kind is Kind.TENSOR and st.no_grad:
                created = created.evolve(requires_grad=False)
            return C.start(created.evolve(storage=("n", id(node)), anchor=id(node) if created.shape is None else None), node)
        if q.startswith("torch.") and q.rpartition(".")[2] in TORCH_FUNCTION_METHODS and q.count(".") == 1:
            out = self.as_method(node, q, args, st)
            if out is not None:
                return out
        handler = TORCH_FUNCTIONS.get(q)
        if handler is not None:
            if q.startswith("torch.") and q.count(".") == 1:  # native: torch.stack(xs, axis=1) binds dim
                args = args.native_names(q[len("torch."):])
            return handler(self, node, q, args, st)
        if q in NUMPY_WRITE_FIRST or (q.startswith("torch.nn.init.") and q.endswith("_")):
            an = args.node(0, None)
            a = args.get(0)
            if a is not None and an is not None:
                self.note_write(node, a, key_of(an.value), st, an.value)
            return self.fresh(node)
        if "out" in args.kw:
            an, a = args.kw["out"]
            self.note_write(node, a, key_of(an.value), st, an.value)
            return a
        ctor = scheduler_value(node, q, args) or self.constructor(node, q, args)
        if ctor is not None:
            return ctor
        if q.startswith("torch.nn.functional.") and q.rpartition(".")[2] in _FUNCTIONAL_LOSSES:
            return Value(Kind.TENSOR, shape=(), storage=("n", id(node)), origin=node, provenance="loss")
        if q.startswith("builtins."):
            return self.call_builtin(node, q.rpartition(".")[2], args, st)
        if q.startswith("torch.") or q.startswith("numpy."):
            return self.fresh(node)  # library functions do not mutate their arguments' attributes
        self.unknown_call_effects(node, args, st)
        return self.fresh(node)

    def as_method(self, node: cst.Call, q: str, args: Args, st: State) -> Optional[Value]:
        """``torch.transpose(x, 0, 1)`` is ``x.transpose(0, 1)``; None when the first argument
        cannot be a tensor."""
        a = args.get(0, "input")
        an = args.node(0, "input")
        if a is None or an is None or a.kind not in (Kind.TENSOR, Kind.UNKNOWN):
            return None
        sub = Args([], [])
        sub.pos = args.pos[1:]
        sub.kw = {k: v for k, v in args.kw.items() if k != "input"}
        sub.star = args.star
        return self.tensor_method(node, an.value, a, q.rpartition(".")[2], sub, st)

    # ------------------------------------------------------------------ by qualified name
    def copy_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        a = args.get(0)
        return (a or Value()).evolve(storage=("n", id(node)), bridge=None, origin=node, provenance=q) if (
            a is not None and a.kind.is_array) else self.fresh(node)

    def pointwise_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        a = args.get(0, "input")
        b = args.get(1, "other")
        if a is None:
            return self.fresh(node, Kind.TENSOR)
        fn = q.rpartition(".")[2]
        if b is not None and q.startswith("torch.") and not q.startswith("torch.nn") \
                and (fn not in _NOT_BINARY or tensor_exponent(fn, b)):
            rounding = args.get(None, "rounding_mode")
            div = fn in ("div", "divide", "true_divide") and (rounding is None or rounding.kind is Kind.NONE)
            lay, dt, shape = self.binary_layout(a, b), self.promote(a, b, div), self.broadcast(a, b)
        else:
            dt = float_result(a.dtype, self.default_float) if fn in FLOAT_RESULT else a.dtype
            lay, shape = L.elementwise(a) if a.kind is not Kind.NDARRAY else None, a.shape
        if fn == "where":
            dt = None
        return Value(Kind.TENSOR, dtype=dt, shape=shape, layout=lay, storage=("n", id(node)), device=a.device,
                     requires_grad=a.requires_grad, anchor=a.anchor if shape is a.shape else None, origin=node,
                     provenance=q)

    def soft_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        """softmax-like: the input's shape, a floating dtype."""
        a = args.get(0, "input")
        if a is None:
            return self.fresh(node, Kind.TENSOR)
        fn = q.rpartition(".")[2]
        return Value(Kind.TENSOR, dtype=a.dtype if is_floating(a.dtype) else None, shape=a.shape,
                     storage=("n", id(node)), device=a.device, anchor=a.anchor, origin=node,
                     provenance=fn if fn in SOFT_PRODUCERS else q)

    def one_hot(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        a = args.get(0, "tensor")
        n = args.get(1, "num_classes")
        shape = None
        if a is not None and a.shape is not None:
            c = n.sym if (n is not None and n.kind is Kind.INT and n.sym is not None and n.const != -1) else \
                Product.sym(("one_hot", id(node)))
            shape = a.shape + (c,)
        return Value(Kind.TENSOR, dtype="int64", shape=shape, layout=CONTIGUOUS, storage=("n", id(node)),
                     device=a.device if a is not None else None, origin=node, provenance="one_hot")

    def product_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        """``torch.matmul``/``mm``/``bmm``/``einsum``: a fresh contiguous tensor."""
        vals = [v for _, v in args.pos]
        dt = self.promote(vals[0], vals[1]) if len(vals) == 2 else None
        product = q.rpartition(".")[2]
        shape = self.matmul_shape(vals[0], vals[1], node, product) if (
            len(vals) == 2 and product in PRODUCTS) else None
        return Value(Kind.TENSOR, dtype=dt, shape=shape, layout=CONTIGUOUS, storage=("n", id(node)), origin=node,
                     provenance=q)

    def concatenation(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        seq = args.get(0, "tensors")
        dt = None
        shape = None
        if seq is not None and seq.items:
            dt = concat_result([it.dtype for it in seq.items])
            shape = self.joined_shape(q, seq.items, args.get(1, "dim"))
        elif seq is not None and seq.elem is not None:
            dt = seq.elem.dtype
        return Value(Kind.TENSOR, dtype=dt, shape=shape, storage=("n", id(node)), origin=node, provenance=q)

    @staticmethod
    def joined_shape(q: str, items: tuple, dim: Optional[Value]) -> Optional[tuple]:
        """``torch.cat`` / ``stack`` of a list the flow knows item by item, along a literal
        dim (0 when not given): the shared shape rule (``shape_arith``), None when a shape
        is unknown or torch raises."""
        join_sizes = _JOINS.get(q)
        d = 0 if dim is None else dim.const
        if join_sizes is None or not isinstance(d, int) or isinstance(d, bool) \
                or any(it.kind is not Kind.TENSOR or it.shape is None for it in items):
            return None
        sizes, why = join_sizes([sizes_of(it.shape) for it in items], d)
        return shape_of_sizes(sizes) if why is None else None

    def index_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        return Value(Kind.TENSOR, dtype="int64", storage=("n", id(node)), origin=node, provenance=q)

    def device_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        a = args.get(0, "type")
        return Value(Kind.DEVICE, const=device_of(a) if a is not None else None, origin=node)

    def variable(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        """``Variable(t, requires_grad=False)`` (deprecated since torch 0.4): a new tensor over
        ``t``'s memory, detached from its graph, a leaf that requires grad only when asked
        (checked on torch 2.13: same ``data_ptr``, not the same object)."""
        t = args.get(0, "data")
        if t is None or t.kind is not Kind.TENSOR or args.star:
            return self.fresh(node, Kind.TENSOR)
        flag = args.get(1, "requires_grad")
        if flag is None:
            wants = False
        else:
            wants = flag.const if flag.kind is Kind.BOOL and isinstance(flag.const, bool) else None
        return t.evolve(origin=node, provenance=q, requires_grad=wants, is_leaf=True, chain=None)

    def autograd_backward(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        self.emit(Event(BACKWARD, node, None, None))
        st.backward = True
        return Value(Kind.NONE, origin=node)

    def constructor(self, node: cst.Call, q: str, args: Args) -> Optional[Value]:
        parts = q.split(".")
        last = parts[-1]
        if not last[:1].isupper():
            return None
        if q in GRAD_SCALERS:
            return Value(Kind.GRAD_SCALER, spec=q, origin=node)
        if q.startswith("torch.optim.lr_scheduler."):
            return None  # a scheduler (scheduler_value) or a module path, no optimizer
        if q.startswith("torch.optim.") and len(parts) == 3:
            pa = args.node(0, "params")
            root = self.params_root(pa.value) if pa else None
            parts = self.params_parts(pa.value) if pa and root is None else None
            if parts is not None and len(parts) == 1:  # ``list(model.parameters())``
                root, parts = parts[0], None
            return Value(Kind.OPTIMIZER, spec=q, origin=node, params_of=root, params_parts=parts)
        if q.startswith("torch.nn.") and (last.endswith("Loss") or last == "CrossEntropyLoss"):
            return Value(Kind.LOSS, spec=q, origin=node)
        if q == "torch.nn.Sequential":
            # its layers, in order, when each is a module the flow knows (a pipeline when called)
            layers = tuple(v for _, v in args.pos)
            known = not args.star and not args.kw and all(v.kind is Kind.MODULE for v in layers)
            return Value(Kind.MODULE, spec=q, origin=node, items=layers if known else None)
        if q.startswith("torch.nn.") and len(parts) == 3:
            return Value(Kind.MODULE, spec=q, origin=node, const=constructor_constants(args))
        return None

    @staticmethod
    def params_root(expr: cst.BaseExpression) -> Optional[str]:
        """``model`` for ``model.parameters()`` / ``self.net.parameters()``."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in ("parameters", "named_parameters"):
            return key_of(expr.func.value)
        return None


    def params_parts(self, expr: cst.BaseExpression) -> Optional[tuple]:
        """``(G, D)`` for ``itertools.chain(G.parameters(), D.parameters())`` or
        ``list(G.parameters()) + list(D.parameters())``: the modules an optimizer over
        several models holds, each by its key; None unless every part is one."""
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left, right = self.params_parts(expr.left), self.params_parts(expr.right)
            return left + right if left is not None and right is not None else None
        if not isinstance(expr, cst.Call) or any(a.star or a.keyword for a in expr.args):
            return None
        q = self.imports.qualname(expr.func)
        is_list = isinstance(expr.func, cst.Name) and expr.func.value == "list" and len(expr.args) == 1
        if q == "itertools.chain" or is_list:
            parts = [self.params_parts(a.value) for a in expr.args]
            if parts and all(p is not None for p in parts):
                return tuple(k for p in parts for k in p)  # type: ignore[union-attr]
            return None
        root = self.params_root(expr)
        return (root,) if root is not None else None


FunctionHandler = Callable[..., Value]
# the joins whose result shape shape_arith knows (hstack / vstack follow other rules)
_JOINS = {"torch.cat": cat_sizes, "torch.concat": cat_sizes, "torch.concatenate": cat_sizes,
          "torch.stack": stack_sizes}


def _table() -> dict[str, FunctionHandler]:
    """Qualified name -> handler; where two groups share a name the one listed first wins."""
    M = TorchFunctionsMixin
    groups: list[tuple[Iterable[str], FunctionHandler]] = [
        (("numpy.copy", "copy.deepcopy", "copy.copy"), M.copy_function),
        (POINTWISE_FUNCTIONS, M.pointwise_function),
        (_SOFT_FUNCTIONS, M.soft_function),
        (("torch.nn.functional.one_hot",), M.one_hot),
        (CONTIGUOUS_RESULT_FUNCTIONS, M.product_function),
        (("torch.cat", "torch.stack", "torch.concat", "torch.concatenate", "torch.hstack", "torch.vstack"),
         M.concatenation),
        (("torch.argmax", "torch.argmin", "torch.randint_like"), M.index_function),
        (("torch.device",), M.device_function),
        (("torch.autograd.backward",), M.autograd_backward),
        (("torch.autograd.Variable", "torch.autograd.variable.Variable"), M.variable),
        *(((name,), handler) for name, handler in DATASET_HANDLERS.items()),
        *(((name,), handler) for name, handler in SUMMARY_HANDLERS.items()),
    ]
    table: dict[str, FunctionHandler] = {}
    for names, handler in groups:
        for name in names:
            table.setdefault(name, handler)
    return table


TORCH_FUNCTIONS = _table()
