"""Torch and numpy functions by qualified name: creation calls (``creation.py``), functions
that are tensor methods (``torch.transpose(x, 0, 1)``), pointwise and product functions,
softmax-like producers, concatenation, constructors of layers/losses/optimizers/schedulers,
in-place initialisers and ``out=`` writes.

Contract: ``call_function(node, qualified name, args, state)`` returns the call's
``Value``; a torch/numpy function it does not know gives a fresh value without touching its
arguments (library functions do not mutate their arguments' attributes); the numpy/torch
bridges are in ``aliasing.py``. A mixin of ``interp.Interpreter``."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..shape_arith import PRODUCTS
from . import chain as C
from . import layout as L
from .args import Args, key_of
from .creation import creation_value, device_of
from .events import BACKWARD, Event
from .state import State
from .transfer import (
    CONTIGUOUS_RESULT_FUNCTIONS, GRAD_SCALERS, NUMPY_WRITE_FIRST, POINTWISE_FUNCTIONS, SOFT_PRODUCERS,
    TORCH_FUNCTION_METHODS,
)
from .values import CONTIGUOUS, FLOATING, UNKNOWN, Kind, Mono, Value


class TorchFunctionsMixin:
    """Transfer functions of torch/numpy functions; mixed into ``Interpreter``."""

    def call_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        if q == "torch.from_numpy":
            a = args.get(0)
            if a is None:
                return self.fresh(node, Kind.TENSOR)
            group = a.storage if a.storage is not None else ("n", id(node))
            self.bridge(group, node, "numpy", st, a)
            return Value(Kind.TENSOR, dtype=a.dtype, shape=a.shape, layout=CONTIGUOUS if a.layout is None and a.provenance and a.provenance.startswith("numpy.") else None,
                         storage=group, device="cpu", requires_grad=False, is_leaf=True, bridge=node, origin=node,
                         provenance=q, anchor=a.anchor)
        if q in ("torch.as_tensor", "torch.asarray"):
            return self.as_tensor(node, q, args, st)
        if q in ("numpy.asarray", "numpy.asanyarray"):
            a = args.get(0)
            dv = args.get(1, "dtype")
            if a is not None and a.kind is Kind.NDARRAY and dv is None:
                return a
            if a is not None and a.kind is Kind.TENSOR and dv is None:
                group = a.storage if a.storage is not None else ("n", id(node))
                if a.device in ("cpu", None):
                    self.bridge(group, node, "torch", st)
                    return Value(Kind.NDARRAY, dtype=a.dtype, shape=a.shape, storage=group, device="cpu",
                                 bridge=node, origin=node, provenance=q)
        created = creation_value(q, node, lambda e: self.fa._values.get(e, UNKNOWN), self.default_float)
        if created is not None:
            if created.kind is Kind.TENSOR and st.no_grad:
                created = created.evolve(requires_grad=False)
            return C.start(created.evolve(storage=("n", id(node)), anchor=id(node) if created.shape is None else None), node)
        if q == "numpy.copy" or q == "copy.deepcopy" or q == "copy.copy":
            a = args.get(0)
            return (a or Value()).evolve(storage=("n", id(node)), bridge=None, origin=node, provenance=q) if (
                a is not None and a.kind.is_array) else self.fresh(node)
        if q.startswith("torch.") and q.rpartition(".")[2] in TORCH_FUNCTION_METHODS and q.count(".") == 1:
            a = args.get(0, "input")
            an = args.node(0, "input")
            if a is not None and an is not None and (a.kind in (Kind.TENSOR, Kind.UNKNOWN)):
                sub = Args([], [])
                sub.pos = args.pos[1:]
                sub.kw = {k: v for k, v in args.kw.items() if k != "input"}
                sub.star = args.star
                return self.tensor_method(node, an.value, a, q.rpartition(".")[2], sub, st)
        if q in POINTWISE_FUNCTIONS:
            a = args.get(0, "input")
            b = args.get(1, "other")
            if a is None:
                return self.fresh(node, Kind.TENSOR)
            fn = q.rpartition(".")[2]
            if b is not None and q.startswith("torch.") and not q.startswith("torch.nn") and fn not in (
                    "clamp", "clip", "pow", "round", "flip", "nan_to_num", "where"):
                lay, dt, shape = self.binary_layout(a, b), self.promote(a, b), self.broadcast(a, b)
            else:
                lay, dt, shape = L.elementwise(a) if a.kind is not Kind.NDARRAY else None, a.dtype, a.shape
            if fn == "where":
                dt = None
            return Value(Kind.TENSOR, dtype=dt, shape=shape, layout=lay, storage=("n", id(node)), device=a.device,
                         requires_grad=a.requires_grad, anchor=a.anchor if shape is a.shape else None, origin=node,
                         provenance=q)
        fn = q.rpartition(".")[2]
        if q in ("torch.nn.functional.softmax", "torch.nn.functional.log_softmax", "torch.softmax",
                 "torch.log_softmax", "torch.nn.functional.gumbel_softmax", "torch.nn.functional.normalize",
                 "torch.nn.functional.softmin", "torch.special.softmax", "torch.special.log_softmax",
                 "torch.sigmoid", "torch.nn.functional.sigmoid"):
            a = args.get(0, "input")
            if a is None:
                return self.fresh(node, Kind.TENSOR)
            return Value(Kind.TENSOR, dtype=a.dtype if a.dtype in FLOATING else None, shape=a.shape,
                         storage=("n", id(node)), device=a.device, anchor=a.anchor, origin=node,
                         provenance=fn if fn in SOFT_PRODUCERS else q)
        if q == "torch.nn.functional.one_hot":
            a = args.get(0, "tensor")
            n = args.get(1, "num_classes")
            shape = None
            if a is not None and a.shape is not None:
                c = n.sym if (n is not None and n.kind is Kind.INT and n.sym is not None and n.const != -1) else \
                    Mono.sym(("one_hot", id(node)))
                shape = a.shape + (c,)
            return Value(Kind.TENSOR, dtype="int64", shape=shape, layout=CONTIGUOUS, storage=("n", id(node)),
                         device=a.device if a is not None else None, origin=node, provenance="one_hot")
        if q in CONTIGUOUS_RESULT_FUNCTIONS:
            vals = [v for _, v in args.pos]
            dt = self.promote(vals[0], vals[1]) if len(vals) == 2 else None
            product = q.rpartition(".")[2]
            shape = self.matmul_shape(vals[0], vals[1], node, product) if (
                len(vals) == 2 and product in PRODUCTS) else None
            return Value(Kind.TENSOR, dtype=dt, shape=shape, layout=CONTIGUOUS, storage=("n", id(node)), origin=node,
                         provenance=q)
        if q in ("torch.cat", "torch.stack", "torch.concat", "torch.concatenate", "torch.hstack", "torch.vstack"):
            seq = args.get(0, "tensors")
            dt = None
            if seq is not None and seq.items:
                dts = {it.dtype for it in seq.items}
                dt = dts.pop() if len(dts) == 1 else None
            elif seq is not None and seq.elem is not None:
                dt = seq.elem.dtype
            return Value(Kind.TENSOR, dtype=dt, storage=("n", id(node)), origin=node, provenance=q)
        if q in ("torch.argmax", "torch.argmin", "torch.randint_like"):
            return Value(Kind.TENSOR, dtype="int64", storage=("n", id(node)), origin=node, provenance=q)
        if q == "torch.device":
            a = args.get(0, "type")
            return Value(Kind.DEVICE, const=device_of(a) if a is not None else None, origin=node)
        if q == "torch.autograd.backward":
            self.emit(Event(BACKWARD, node, None, None))
            return Value(Kind.NONE, origin=node)
        if q in NUMPY_WRITE_FIRST or (q.startswith("torch.nn.init.") and q.endswith("_")):
            an = args.node(0, None)
            a = args.get(0)
            if a is not None and an is not None:
                self.note_write(node, a, key_of(an.value), st)
            return self.fresh(node)
        if "out" in args.kw:
            an, a = args.kw["out"]
            self.note_write(node, a, key_of(an.value), st)
            return a
        ctor = self.constructor(node, q, args)
        if ctor is not None:
            return ctor
        if q.startswith("torch.nn.functional.") and fn in ("cross_entropy", "nll_loss", "mse_loss", "l1_loss",
                                                             "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                                             "kl_div", "smooth_l1_loss"):
            return Value(Kind.TENSOR, shape=(), storage=("n", id(node)), origin=node, provenance="loss")
        if q.startswith("builtins."):
            return self.call_builtin(node, q.rpartition(".")[2], args, st)
        if q.startswith("torch.") or q.startswith("numpy."):
            return self.fresh(node)  # library functions do not mutate their arguments' attributes
        self.unknown_call_effects(node, args, st)
        return self.fresh(node)

    def constructor(self, node: cst.Call, q: str, args: Args) -> Optional[Value]:
        parts = q.split(".")
        last = parts[-1]
        if not last[:1].isupper():
            return None
        if q in GRAD_SCALERS:
            return Value(Kind.GRAD_SCALER, spec=q, origin=node)
        if q.startswith("torch.optim.lr_scheduler."):
            return Value(Kind.SCHEDULER, spec=q, origin=node)
        if q.startswith("torch.optim.") and len(parts) == 3:
            pa = args.node(0, "params")
            return Value(Kind.OPTIMIZER, spec=q, origin=node, params_of=self.params_root(pa.value) if pa else None)
        if q.startswith("torch.nn.") and (last.endswith("Loss") or last == "CrossEntropyLoss"):
            return Value(Kind.LOSS, spec=q, origin=node)
        if q.startswith("torch.nn.") and len(parts) == 3:
            return Value(Kind.MODULE, spec=q, origin=node)
        return None

    @staticmethod
    def params_root(expr: cst.BaseExpression) -> Optional[str]:
        """``model`` for ``model.parameters()`` / ``self.net.parameters()``."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in ("parameters", "named_parameters"):
            return key_of(expr.func.value)
        return None
