"""Tensor methods of the flow interpreter (view/reshape/transpose/dtype casts/...):
a mixin of ``Interpreter``, split from interp.py along its section seam."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import libcst as cst

from ..shape_arith import PRODUCTS
from . import chain as C
from . import layout as L
from .args import key_of
from .creation import (
    TYPE_OBJECTS, device_of, dtype_arg,
)
from .state import State
from .transfer import (
    CAST_METHODS, CONTIGUOUS_RESULT_METHODS, INDEX_RESULTS,
    METADATA_METHODS, NOT_DATA_WRITES,
    POINTWISE_BOOL, POINTWISE_METHODS, RELAYOUT_INPLACE, REDUCTIONS,
)
from .values import (
    CONTIGUOUS, FLOATING, INTEGRAL, Kind, Mono, Value, const_value, mono_product,
)

if TYPE_CHECKING:
    from .args import Args


_NOT_SET = object()  # an argument that was not passed (None may be passed)


def _itemsize(dt: Optional[str]) -> Optional[int]:
    if dt is None:
        return None
    return {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "float16": 2, "bfloat16": 2, "int32": 4,
            "float32": 4, "int64": 8, "float64": 8, "complex64": 8, "complex128": 16}.get(dt)


class TensorMethods:
    """Transfer functions of tensor methods; mixed into ``Interpreter``."""

    def targets(self, args: Args, start: int = 0):
        """Shape arguments of view/reshape/expand as layout targets; "dtype" for a dtype
        view; None when unknown (star-args)."""
        if args.star:
            return None
        vals = [v for _, v in args.pos[start:]]
        for kw in ("size", "shape", "dtype"):
            if kw in args.kw:
                vals = [args.kw[kw][1]]
        if len(vals) == 1 and vals[0].kind is Kind.DTYPE:
            return "dtype"
        if len(vals) == 1 and vals[0].kind in (Kind.TUPLE, Kind.LIST, Kind.SIZE):
            if vals[0].items is None:
                return None
            vals = list(vals[0].items)
        elif len(vals) == 1 and vals[0].kind is not Kind.INT:
            return None  # one argument we cannot read: maybe a whole shape, not one size
        if not vals:
            return None
        out: list = []
        for v in vals:
            if v.kind is Kind.INT and v.const == -1:
                out.append(L.MINUS_ONE)
            elif v.kind is Kind.INT and v.sym is not None:
                out.append(v.sym)
            else:
                out.append(None)
        return out

    def shape_from_targets(self, targets, r: Value, node) -> Optional[tuple]:
        if not isinstance(targets, list):
            return None
        out: list = []
        minus = None
        for j, t in enumerate(targets):
            if isinstance(t, Mono):
                out.append(t)
            elif t == L.MINUS_ONE:
                minus = j
                out.append(None)
            else:
                out.append(Mono.sym(("view", id(node), j)))
        if minus is not None:
            total = mono_product(r.shape) if r.shape is not None else None
            known = mono_product([o for o in out if o is not None])
            if total is not None and known is not None and total.is_int and known.is_int and known.coef:
                out[minus] = Mono.of(total.coef // known.coef)
            else:
                out[minus] = Mono.sym(("view", id(node), minus))
        return tuple(out)

    def cast(self, node, r: Value, dtype: Optional[str], prov: str, device: Any = _NOT_SET) -> Value:
        """``.float()``, ``.to(dtype)``, ``.type(...)``: the same tensor when nothing changes,
        else a copy that keeps the strides of a dense input (preserve_format)."""
        dev = r.device if device is _NOT_SET else device
        same_dtype = dtype is not None and dtype == r.dtype
        same_dev = (dev == r.device) or (dev == "cpu" and r.device in ("cpu", None) and device is not _NOT_SET)
        if dtype is None and device is _NOT_SET:
            same = False
            known = False
        else:
            known = (dtype is None or r.dtype is not None) and (device is _NOT_SET or dev is not None)
            same = known and (dtype is None or same_dtype) and (device is _NOT_SET or same_dev)
        if same:
            return r.evolve(origin=node, provenance=prov, kind=Kind.TENSOR if r.kind is Kind.UNKNOWN else r.kind)
        storage = ("n", id(node)) if known else None
        return Value(Kind.TENSOR, dtype=dtype if dtype is not None else r.dtype, shape=r.shape,
                     layout=L.elementwise(r), storage=storage, device=dev,
                     requires_grad=r.requires_grad, anchor=r.anchor, origin=node, provenance=prov)

    def tensor_method(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        out = self._tensor_method(node, recv_node, r, name, args, st)
        if name in C.CHAIN_METHODS:
            link = C.method_link(name, [v for _, v in args.pos], [(k, v) for k, (_, v) in args.kw.items()], args.star)
            return C.extend(out, r, link, node)
        if name == "to" and not args.star:
            vals = [v for _, v in args.pos] + [v for k, (_, v) in args.kw.items() if k == "dtype"]
            if len(vals) == 1 and len(args.pos) + len(args.kw) == 1 and vals[0].kind is Kind.DTYPE \
                    and vals[0].const in C.TO_METHOD:
                return C.extend(out, r, ("method", C.TO_METHOD[vals[0].const], (), ()), node)
        return out

    def _tensor_method(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        T = Kind.TENSOR
        if name.endswith("_") and not name.startswith("_"):
            return self.tensor_inplace(node, recv_node, r, name, args, st)
        if name in ("view", "view_as"):
            return self.view(node, r, args, st, name)
        if name in ("reshape", "reshape_as", "flatten"):
            return self.reshape(node, r, args, name)
        if name == "contiguous":
            mf = args.get(0, "memory_format")
            if mf is not None:
                return Value(T, dtype=r.dtype, shape=r.shape, storage=None, origin=node, provenance=".contiguous")
            lay = r.layout
            storage = r.storage if (lay is not None and lay.contiguous) else (("n", id(node)) if lay is not None else None)
            return Value(T, dtype=r.dtype, shape=r.shape, layout=CONTIGUOUS, storage=storage, device=r.device,
                         requires_grad=r.requires_grad, anchor=r.anchor, origin=node, provenance=".contiguous",
                         bridge=r.bridge if storage == r.storage else None)
        if name in ("transpose", "swapaxes", "swapdims"):
            d0, d1 = args.int_const(0, "dim0"), args.int_const(1, "dim1")
            if d0 is None or d1 is None:
                return self.relaid(r, node, None, None, "." + name)
            lay = L.transpose(r, d0, d1, node, name)
            shape = None
            if r.shape is not None:
                s = list(r.shape)
                a, b = L.norm_dim(d0, len(s)), L.norm_dim(d1, len(s))
                if a is not None and b is not None:
                    s[a], s[b] = s[b], s[a]
                    shape = tuple(s)
            return self.relaid(r, node, lay, shape, "." + name)
        if name == "t":
            return self.transposed(r, node, "t")
        if name == "permute":
            perm = args.ints(0)
            if perm is None:
                return self.relaid(r, node, None, None, ".permute")
            r2 = self.with_rank(r, len(perm))
            if r2.rank is not None and r2.rank != len(perm):
                return self.relaid(r, node, None, None, ".permute")  # PyTorch raises here: nothing to follow
            lay = L.permute(r2, perm, node)
            shape = None
            if r2.shape is not None and len(r2.shape) == len(perm):
                try:
                    shape = tuple(r2.shape[p] for p in perm)
                except IndexError:
                    shape = None
            return self.relaid(r2, node, lay, shape, ".permute")
        if name in ("movedim", "moveaxis"):
            src, dst = args.int_const(0, "source"), args.int_const(1, "destination")
            if src is None or dst is None:
                return self.relaid(r, node, None, None, "." + name)
            rank = r.rank
            if rank is not None:
                s, d = L.norm_dim(src, rank), L.norm_dim(dst, rank)
                if s is None or d is None:
                    return self.relaid(r, node, None, None, "." + name)
                order = [i for i in range(rank) if i != s]
                order.insert(d, s)
                lay = L.permute(r, order, node, name)
                return self.relaid(r, node, lay, tuple(r.shape[i] for i in order) if r.shape else None, "." + name)
            if src == dst:
                return r.evolve(origin=node)
            lay = L.unknown_rank(node, name, 1, True) if (r.layout is None or r.layout.contiguous) else None
            return self.relaid(r, node, lay, None, "." + name)
        if name == "narrow":
            d, length = args.int_const(0, "dim"), args.get(2, "length")
            if d is None or length is None or length.kind is not Kind.INT:
                return self.relaid(r, node, None, None, ".narrow")
            new = length.sym if length.sym is not None else Mono.sym(("narrow", id(node)))
            lay = L.narrow(r, d, new, node, "narrow")
            shape = None
            if r.shape is not None:
                i = L.norm_dim(d, len(r.shape))
                if i is not None:
                    shape = r.shape[:i] + (new,) + r.shape[i + 1:]
            return self.relaid(r, node, lay, shape, ".narrow")
        if name == "unfold":
            d, size, step = args.int_const(0, "dimension"), args.int_const(1, "size"), args.int_const(2, "step")
            if None in (d, size, step):
                return self.relaid(r, node, None, None, ".unfold")
            lay = L.unfold(r, d, size, step, node)
            return self.relaid(r, node, lay, None, ".unfold")
        if name in ("expand", "expand_as"):
            if name == "expand_as":
                other = args.get(0)
                tg = list(other.shape) if (other is not None and other.shape is not None) else None
            else:
                tg = self.targets(args)
            if not isinstance(tg, list):
                return self.relaid(r, node, None, None, "." + name)
            lay = L.expand(r, tg, node)
            shape = None
            if r.shape is not None and len(tg) >= len(r.shape):
                extra = len(tg) - len(r.shape)
                shape = tuple((r.shape[j - extra] if (t == L.MINUS_ONE and j >= extra) else t)
                              for j, t in enumerate(tg))
                if any(not isinstance(s, Mono) for s in shape):
                    shape = None
            return self.relaid(r, node, lay, shape, "." + name)
        if name == "unsqueeze":
            d = args.int_const(0, "dim")
            if d is None:
                return self.relaid(r, node, None, None, ".unsqueeze")
            lay = L.insert_dim(r, d)
            shape = None
            if r.shape is not None:
                i = L.norm_dim(d, len(r.shape) + 1)
                if i is not None:
                    shape = r.shape[:i] + (Mono(1),) + r.shape[i:]
            return self.relaid(r, node, lay, shape, ".unsqueeze")
        if name == "squeeze":
            d = args.int_const(0, "dim")
            if r.shape is not None and d is not None:
                i = L.norm_dim(d, len(r.shape))
                if i is not None:
                    if r.shape[i].is_int and r.shape[i].coef == 1:
                        return self.relaid(r, node, L.remove_dim(r, i, node) if r.layout is not None else None,
                                           r.shape[:i] + r.shape[i + 1:], ".squeeze")
                    if r.shape[i].is_int:
                        return r.evolve(origin=node, provenance=".squeeze")
            lay = CONTIGUOUS if (r.layout is not None and r.layout.contiguous) else None
            out = self.relaid(r, node, lay, None, ".squeeze")
            return out.evolve(anchor=(L.UNIT_ANCHOR, id(node)))  # the dims left may still be 1
        if name == "select":
            d = args.int_const(0, "dim")
            if d is None:
                return self.relaid(r, node, None, None, ".select")
            return self.relaid(r, node, L.remove_dim(r, d, node), self._drop(r.shape, d), ".select")
        if name == "unbind":
            d = args.int_const(0, "dim", 0)
            if d is None:
                return Value(Kind.TUPLE, origin=node)
            el = self.relaid(r, node, L.remove_dim(r, d, node), self._drop(r.shape, d), ".unbind")
            items = None
            if r.shape is not None:
                i = L.norm_dim(d, len(r.shape))
                if i is not None and r.shape[i].is_int and r.shape[i].coef <= 64:
                    items = (el,) * r.shape[i].coef
            return Value(Kind.TUPLE, items=items, elem=el, origin=node, provenance=".unbind")
        if name in ("split", "chunk", "tensor_split"):
            return self.split(node, r, args, name)
        if name == "detach":
            return r.evolve(kind=T, origin=node, provenance=".detach", requires_grad=False, is_leaf=True)
        if name == "clone":
            mf = args.get(None, "memory_format")
            q = (mf.provenance or mf.spec) if mf is not None else None
            if mf is None or q == "torch.preserve_format":
                lay = L.elementwise(r)
            elif q == "torch.contiguous_format":
                lay = CONTIGUOUS
            else:
                lay = None
            return Value(T, dtype=r.dtype, shape=r.shape, layout=lay, storage=("n", id(node)), device=r.device,
                         requires_grad=r.requires_grad, is_leaf=False if r.requires_grad else r.is_leaf,
                         initialized=r.initialized, anchor=r.anchor, origin=node, provenance=".clone")
        if name in CAST_METHODS and not args.pos:
            return self.cast(node, r, CAST_METHODS[name], "." + name)
        if name == "type":
            a0 = args.get(0, "dtype")
            if a0 is None:
                return Value(Kind.STR, origin=node)
            if a0.kind is Kind.DTYPE:
                return self.cast(node, r, a0.const, ".type")
            if a0.kind is Kind.CLASS and a0.spec in TYPE_OBJECTS:
                return self.cast(node, r, TYPE_OBJECTS[a0.spec], ".type")
            if a0.kind is Kind.STR and a0.const in TYPE_OBJECTS:
                return self.cast(node, r, TYPE_OBJECTS[a0.const], ".type")
            return self.cast(node, r, None, ".type")
        if name == "type_as":
            other = args.get(0)
            return self.cast(node, r, other.dtype if other is not None else None, ".type_as")
        if name == "to":
            return self.to(node, r, args)
        if name == "cpu":
            if r.device in ("cpu", None):
                return r.evolve(kind=T, origin=node, provenance=".cpu", device="cpu" if r.device == "cpu" else None)
            return self.cast(node, r, None, ".cpu", device="cpu")
        if name == "cuda":
            return Value(T, dtype=r.dtype, shape=r.shape, layout=L.elementwise(r), storage=("n", id(node)),
                         device="cuda", requires_grad=r.requires_grad, anchor=r.anchor, origin=node, provenance=".cuda")
        if name == "numpy":
            group = r.storage if r.storage is not None else ("n", id(node))
            self.bridge(group, node, "torch", st, r)
            return Value(Kind.NDARRAY, dtype=r.dtype, shape=r.shape, storage=group, device="cpu", bridge=node,
                         origin=node, provenance=".numpy", anchor=r.anchor)
        if name == "tolist":
            return Value(Kind.LIST, origin=node)
        if name == "item":
            return Value(Kind.FLOAT if r.dtype in FLOATING else (Kind.INT if r.dtype in INTEGRAL else Kind.UNKNOWN),
                         origin=node)
        if name == "size":
            d = args.int_const(0, "dim")
            if d is not None:
                m = r.dim(d)
                return Value(Kind.INT, sym=m, const=m.coef if (m is not None and m.is_int) else None, origin=node)
            if args.pos:
                return Value(Kind.INT, origin=node)
            return self.size_value(r, node, key_of(recv_node))
        if name in ("dim", "ndimension"):
            return const_value(r.rank, node) if r.rank is not None else Value(Kind.INT, origin=node)
        if name in ("numel", "nelement"):
            m = mono_product(r.shape) if r.shape is not None else None
            return Value(Kind.INT, sym=m, const=m.coef if (m is not None and m.is_int) else None, origin=node)
        if name in ("new_zeros", "new_ones", "new_empty", "new_full", "new_tensor", "new_empty_strided"):
            dv = args.get(None, "dtype")
            dt = dtype_arg(dv)[1] if dv is not None else r.dtype
            shape = None
            if name != "new_tensor":
                shape = self._sizes(args)
            return Value(T, dtype=dt, shape=shape, layout=CONTIGUOUS, storage=("n", id(node)), device=r.device,
                         initialized=name != "new_empty", origin=node, provenance="." + name)
        if name in CONTIGUOUS_RESULT_METHODS:
            other = args.get(0)
            shape = None
            if name in PRODUCTS and other is not None:
                shape = self.matmul_shape(r, other, node, name)
            elif name in ("tril", "triu"):
                shape = r.shape
            return Value(T, dtype=self.promote(r, other) if other is not None and other.kind.is_array else r.dtype,
                         shape=shape, layout=CONTIGUOUS, storage=("n", id(node)), device=r.device, origin=node,
                         provenance="." + name)
        if name in ("softmax", "log_softmax", "softmin"):
            return Value(T, dtype=r.dtype if r.dtype in FLOATING else None, shape=r.shape, storage=("n", id(node)),
                         device=r.device, anchor=r.anchor, origin=node, provenance=name)
        if name in POINTWISE_METHODS:
            other = args.get(0)
            if other is not None and name not in ("clamp", "clip", "pow", "round", "nan_to_num", "clamp_min",
                                                  "clamp_max", "flip", "lerp"):
                lay = self.binary_layout(r, other)
                dt = self.promote(r, other, name in ("div", "divide", "true_divide"))
                shape = self.broadcast(r, other)
            else:
                lay = L.elementwise(r)
                dt = r.dtype
                shape = r.shape
            return Value(T, dtype=dt, shape=shape, layout=lay, storage=("n", id(node)), device=r.device,
                         requires_grad=r.requires_grad, anchor=r.anchor if shape is r.shape else None,
                         origin=node, provenance="." + name)
        if name in POINTWISE_BOOL:
            return Value(T, dtype="bool", shape=r.shape, layout=L.elementwise(r), storage=("n", id(node)),
                         device=r.device, origin=node, provenance="." + name)
        if name in REDUCTIONS or name in INDEX_RESULTS:
            dt = "int64" if name in INDEX_RESULTS else (
                r.dtype if r.dtype in FLOATING else ("int64" if (name in ("sum", "prod", "cumsum") and r.dtype in INTEGRAL | {"bool"}) else None))
            dim = args.get(0, "dim")
            keep = args.get(1 if name not in ("norm", "std", "var") else None, "keepdim")
            shape = None
            if dim is None and not args.pos and name not in ("cumsum", "cumprod"):
                shape = ()
            elif r.shape is not None and dim is not None and dim.kind is Kind.INT and isinstance(dim.const, int) \
                    and (keep is None or keep.const is False) and name not in ("cumsum", "cumprod", "argsort", "max", "min"):
                shape = self._drop(r.shape, dim.const)
            return Value(T, dtype=dt, shape=shape, storage=("n", id(node)), device=r.device, origin=node,
                         provenance="." + name)
        if name in ("backward", "register_hook", "retain_grad"):
            return Value(Kind.NONE, origin=node)
        if name in METADATA_METHODS:
            return self.fresh(node)
        kind = T if r.kind is T else Kind.UNKNOWN
        if name == "topk":
            return self.topk(node, r, args)
        if name in ("masked_fill", "index_select", "gather", "scatter", "index_add", "index_fill", "masked_scatter",
                    "roll", "repeat_interleave", "sort", "topk", "float_power", "sigmoid_", "cumsum"):
            return Value(T, dtype=r.dtype if name not in ("sort", "topk") else None, shape=r.shape if name in (
                "masked_fill", "scatter", "index_fill", "masked_scatter", "roll") else None,
                storage=("n", id(node)), device=r.device, origin=node, provenance="." + name)
        self.unknown_call_effects(node, args, st)
        return self.fresh(node, kind)

    @staticmethod
    def _drop(shape: Optional[tuple], d: int) -> Optional[tuple]:
        if shape is None:
            return None
        i = L.norm_dim(d, len(shape))
        if i is None:
            return None
        return shape[:i] + shape[i + 1:]

    def _sizes(self, args: Args) -> Optional[tuple]:
        tg = self.targets(args)
        if isinstance(tg, list) and all(isinstance(t, Mono) for t in tg):
            return tuple(tg)
        return None

    def topk(self, node: cst.Call, r: Value, args: Args) -> Value:
        """``values, indices = x.topk(k, dim)``: both fresh contiguous tensors shaped like
        ``x`` with ``dim`` cut to ``k``; indices are int64."""
        k = args.get(0, "k")
        d = args.int_const(1, "dim", -1)
        shape = None
        if r.shape is not None and d is not None and k is not None and k.kind is Kind.INT and k.sym is not None:
            i = L.norm_dim(d, len(r.shape))
            if i is not None:
                shape = r.shape[:i] + (k.sym,) + r.shape[i + 1:]
        anchor = None if shape is not None else id(node)
        vals = Value(Kind.TENSOR, dtype=r.dtype, shape=shape, layout=CONTIGUOUS, storage=("n", id(node), 0),
                     device=r.device, anchor=anchor, origin=node, provenance=".topk")
        idx = Value(Kind.TENSOR, dtype="int64", shape=shape, layout=CONTIGUOUS, storage=("n", id(node), 1),
                    device=r.device, anchor=anchor, origin=node, provenance=".topk")
        return Value(Kind.TUPLE, items=(vals, idx), origin=node, provenance=".topk")

    def view(self, node: cst.Call, r: Value, args: Args, st: State, name: str) -> Value:
        if name == "view_as":
            other = args.get(0)
            tg = list(other.shape) if (other is not None and other.shape is not None) else None
        else:
            tg = self.targets(args)
        if tg == "dtype":
            dt = (args.get(0, "dtype") or Value()).const
            return r.evolve(kind=Kind.TENSOR, dtype=dt, origin=node, provenance=".view", anchor=None,
                            shape=r.shape if (dt is not None and _itemsize(dt) == _itemsize(r.dtype)) else None)
        raises, lay = (L.view_result(r.layout, tg) if isinstance(tg, list) else (None, None))
        self.fa._note_view(node, r.layout if raises else None)
        shape = self.shape_from_targets(tg, r, node)
        return Value(Kind.TENSOR, dtype=r.dtype, shape=shape, layout=lay if raises is False else None,
                     storage=r.storage, device=r.device, requires_grad=r.requires_grad, bridge=r.bridge,
                     initialized=r.initialized, origin=node, provenance=".view")

    def reshape(self, node: cst.Call, r: Value, args: Args, name: str) -> Value:
        if name == "reshape_as":
            other = args.get(0)
            tg = list(other.shape) if (other is not None and other.shape is not None) else None
        elif name == "flatten":
            s = args.int_const(0, "start_dim", 0)
            e = args.int_const(1, "end_dim", -1)
            tg = None
            if s == 0 and e == -1:
                tg = [L.MINUS_ONE]
            elif r.shape is not None and s is not None and e is not None:
                a, b = L.norm_dim(s, len(r.shape)), L.norm_dim(e, len(r.shape))
                if a is not None and b is not None and a <= b:
                    tg = list(r.shape[:a]) + [mono_product(r.shape[a:b + 1])] + list(r.shape[b + 1:])
        else:
            tg = self.targets(args)
        if r.layout is not None and r.layout.contiguous:
            raises, lay = False, CONTIGUOUS
        elif isinstance(tg, list):
            raises, lay = L.view_result(r.layout, tg)
        else:
            raises, lay = None, None
        if raises is True:
            lay, storage, bridge = CONTIGUOUS, ("n", id(node)), None
        elif raises is False:
            storage, bridge = r.storage, r.bridge
        else:
            lay, storage, bridge = None, None, None
        shape = self.shape_from_targets(tg, r, node) if isinstance(tg, list) else None
        return Value(Kind.TENSOR, dtype=r.dtype, shape=shape, layout=lay, storage=storage, bridge=bridge,
                     device=r.device, requires_grad=r.requires_grad, origin=node, provenance="." + name)

    def split(self, node: cst.Call, r: Value, args: Args, name: str) -> Value:
        d = args.int_const(1, "dim", 0)
        if d is None or args.get(0) is None:
            return Value(Kind.TUPLE, origin=node)
        first = args.get(0)
        count = None
        if name == "chunk" and first.kind is Kind.INT and isinstance(first.const, int):
            count = first.const
        if first.kind in (Kind.LIST, Kind.TUPLE) and first.items is not None:
            count = len(first.items)
        i = L.norm_dim(d, r.rank) if r.rank is not None else (d if d >= 0 else None)
        piece = Mono.sym(("split", id(node)))
        if i == 0:
            lay = r.layout
        elif i is None:
            lay = None
        else:
            lay = L.narrow(r, i, piece, node, name)
        shape = None
        if r.shape is not None and i is not None and i < len(r.shape):
            shape = r.shape[:i] + (piece,) + r.shape[i + 1:]
        el = self.relaid(r, node, lay, shape, "." + name)
        items = (el,) * count if (count is not None and 0 < count <= 64) else None
        return Value(Kind.TUPLE, items=items, elem=el, origin=node, provenance="." + name)

    def to(self, node: cst.Call, r: Value, args: Args) -> Value:
        dtype: Any = None
        device: Any = _NOT_SET
        unknown = False
        for _, v in args.pos:
            if v.kind is Kind.DTYPE:
                dtype = v.const
                if v.const is None:
                    unknown = True
            elif v.kind in (Kind.STR, Kind.DEVICE):
                device = device_of(v)
            elif v.kind is Kind.TENSOR:
                dtype, device = v.dtype, v.device
                unknown = unknown or v.dtype is None
            else:
                unknown = True
        if "dtype" in args.kw:
            given, dtype = dtype_arg(args.kw["dtype"][1])
            unknown = unknown or dtype is None
        if "device" in args.kw:
            device = device_of(args.kw["device"][1])
        if unknown:
            return Value(Kind.TENSOR, dtype=dtype, shape=r.shape, layout=L.elementwise(r) if "memory_format" not in args.kw else None,
                         storage=None, device=None, requires_grad=r.requires_grad, anchor=r.anchor, origin=node,
                         provenance=".to")
        out = self.cast(node, r, dtype, ".to", device=device)
        if "memory_format" in args.kw:
            out = out.evolve(layout=None)
        return out

    def tensor_inplace(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        k = key_of(recv_node)
        if name == "requires_grad_":
            flag = args.get(0, "requires_grad")
            # only a leaf may change its flag (PyTorch raises otherwise), and a tensor that does
            # not require grad is a leaf: ``x = x.clone().requires_grad_()`` is a leaf
            v = r.evolve(requires_grad=flag.const if (flag is not None and flag.kind is Kind.BOOL) else True,
                         is_leaf=True)
            if k is not None:
                st.bind(k, v)
            return v
        if name in NOT_DATA_WRITES:
            return r
        if name in RELAYOUT_INPLACE:
            if name in ("t_", "transpose_", "swapaxes_", "swapdims_"):
                new = self.tensor_method(node, recv_node, r, name[:-1], args, st)
                new = new.evolve(storage=r.storage, bridge=r.bridge)
            else:
                new = r.evolve(layout=None, shape=None, chain=None)
            if k is not None:
                st.bind(k, new)
            return new
        self.note_write(node, r, k, st)
        if r.initialized is False and k is not None:
            st.bind(k, r.evolve(initialized=True))
        return r

