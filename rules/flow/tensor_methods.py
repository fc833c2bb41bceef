"""Tensor methods of the flow interpreter, dispatched through one table: method name ->
handler (``TENSOR_METHODS``). Views and reshapes are in ``tensor_views.py``; this module
holds the dispatch, in-place methods, dtype/device casts, the numpy bridge, metadata
(``size``/``dim``/``numel``), ``new_*`` creation, matrix products, pointwise operations and
reductions.

Contract: ``tensor_method(node, recv_node, r, name, args, st)`` returns the ``Value`` of
``r.name(args)`` and extends the runtime-probe chain (``chain.py``) for chained methods.
Every handler takes ``(node, recv_node, r, name, args, st)``. A name ending in ``_`` is an
in-place method (``tensor_inplace``); a name with no handler is an unknown call: a fresh
value, and the objects passed to it lose their attribute facts. A mixin of
``interp.Interpreter``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

import libcst as cst

from ..dtypes import (
    CAST_METHODS, FLOAT_RESULT, INDEX_RESULT, INT64_ACCUMULATE, TENSOR_TYPES, float_result, is_floating, is_integral,
    reduction_result,
)
from ..shape_arith import PRODUCTS, REDUCTION_ARGS, SCANS, reduce_sizes, replace_dim
from ..size_product import product_of
from . import chain as C
from . import layout as L
from .args import key_of
from .creation import device_of, dtype_arg
from .state import State
from .tensor_views import VIEW_METHODS, TensorViewsMixin
from .transfer import (
    CONTIGUOUS_RESULT_METHODS, METADATA_METHODS, NOT_DATA_WRITES, POINTWISE_BOOL,
    POINTWISE_METHODS, RELAYOUT_INPLACE, tensor_exponent,
)
from .values import CONTIGUOUS, Kind, Value, const_value, resized

if TYPE_CHECKING:
    from .args import Args


_NOT_SET = object()  # an argument that was not passed (None may be passed)

# Pointwise methods whose first argument is not a broadcast operand (a bound, an exponent…)
_NOT_BINARY = frozenset({"clamp", "clip", "pow", "round", "nan_to_num", "clamp_min", "clamp_max", "flip", "lerp"})

# Methods whose result is a fresh tensor; the ones that keep the receiver's shape are below
_FRESH_RESULTS = frozenset({"masked_fill", "index_select", "gather", "scatter", "index_add", "index_fill",
                            "masked_scatter", "roll", "repeat_interleave", "sort", "float_power"})
_SAME_SHAPE_RESULTS = frozenset({"masked_fill", "scatter", "index_fill", "masked_scatter", "roll"})


class TensorMethods(TensorViewsMixin):
    """Transfer functions of tensor methods; mixed into ``Interpreter``."""

    def tensor_method(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        args = args.native_names(name)
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
        if name.endswith("_") and not name.startswith("_"):
            return self.tensor_inplace(node, recv_node, r, name, args, st)
        handler = TENSOR_METHODS.get(name, TensorMethods.unknown_method)
        return handler(self, node, recv_node, r, name, args, st)

    def unknown_method(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        self.unknown_call_effects(node, args, st)
        return self.fresh(node, Kind.TENSOR if r.kind is Kind.TENSOR else Kind.UNKNOWN)

    # ------------------------------------------------------------------ copies and casts
    def detach(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return r.evolve(kind=Kind.TENSOR, origin=node, provenance=".detach", requires_grad=False, is_leaf=True)

    def clone(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        mf = args.get(None, "memory_format")
        q = (mf.provenance or mf.spec) if mf is not None else None
        if mf is None or q == "torch.preserve_format":
            lay = L.elementwise(r)
        elif q == "torch.contiguous_format":
            lay = CONTIGUOUS
        else:
            lay = None
        return Value(Kind.TENSOR, dtype=r.dtype, shape=r.shape, layout=lay, storage=("n", id(node)), device=r.device,
                     requires_grad=r.requires_grad, is_leaf=False if r.requires_grad else r.is_leaf,
                     initialized=r.initialized, anchor=r.anchor, origin=node, provenance=".clone")

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

    def cast_method(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        """``.float()``, ``.long()``…; with positional arguments it is not the cast we know."""
        if args.pos:
            return self.unknown_method(node, recv_node, r, name, args, st)
        return self.cast(node, r, CAST_METHODS[name], "." + name)

    def type_method(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        a0 = args.get(0, "dtype")
        if a0 is None:
            return Value(Kind.STR, origin=node)
        if a0.kind is Kind.DTYPE:
            return self.cast(node, r, a0.const, ".type")
        if a0.kind is Kind.CLASS and a0.spec in TENSOR_TYPES:
            return self.cast(node, r, TENSOR_TYPES[a0.spec], ".type")
        if a0.kind is Kind.STR and a0.const in TENSOR_TYPES:
            return self.cast(node, r, TENSOR_TYPES[a0.const], ".type")
        return self.unknown_cast(node, r, ".type")

    def type_as(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        other = args.get(0)
        if other is None or other.dtype is None:
            return self.unknown_cast(node, r, ".type_as")
        return self.cast(node, r, other.dtype, ".type_as")

    def unknown_cast(self, node, r: Value, prov: str, keep_layout: bool = True) -> Value:
        """A conversion to a dtype (and maybe a device) the analysis does not know: a tensor
        of the same shape, whose dtype, device and memory are unknown."""
        return Value(Kind.TENSOR, dtype=None, shape=r.shape, layout=L.elementwise(r) if keep_layout else None,
                     storage=None, device=None, requires_grad=r.requires_grad, anchor=r.anchor, origin=node,
                     provenance=prov)

    def to(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
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
            return self.unknown_cast(node, r, ".to", keep_layout="memory_format" not in args.kw).evolve(dtype=dtype)
        out = self.cast(node, r, dtype, ".to", device=device)
        if "memory_format" in args.kw:
            out = out.evolve(layout=None)
        return out

    def cpu(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        if r.device in ("cpu", None):
            return r.evolve(kind=Kind.TENSOR, origin=node, provenance=".cpu", device="cpu" if r.device == "cpu" else None)
        return self.cast(node, r, None, ".cpu", device="cpu")

    def cuda(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return Value(Kind.TENSOR, dtype=r.dtype, shape=r.shape, layout=L.elementwise(r), storage=("n", id(node)),
                     device="cuda", requires_grad=r.requires_grad, anchor=r.anchor, origin=node, provenance=".cuda")

    def numpy(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        group = r.storage if r.storage is not None else ("n", id(node))
        self.bridge(group, node, "torch", st, r)
        return Value(Kind.NDARRAY, dtype=r.dtype, shape=r.shape, storage=group, device="cpu", bridge=node,
                     origin=node, provenance=".numpy", anchor=r.anchor)

    # ------------------------------------------------------------------ python values and metadata
    def tolist(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return Value(Kind.LIST, origin=node)

    def item(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return Value(Kind.FLOAT if is_floating(r.dtype) else (Kind.INT if is_integral(r.dtype) else Kind.UNKNOWN),
                     origin=node)

    def size(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d = args.int_const(0, "dim")
        if d is not None:
            m = r.dim(d)
            return Value(Kind.INT, sym=m, const=m.coef if (m is not None and m.is_int) else None, origin=node)
        if args.pos:
            return Value(Kind.INT, origin=node)
        return self.size_value(r, node, key_of(recv_node))

    def rank_method(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return const_value(r.rank, node) if r.rank is not None else Value(Kind.INT, origin=node)

    def numel(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        m = product_of(r.shape) if r.shape is not None else None
        return Value(Kind.INT, sym=m, const=m.coef if (m is not None and m.is_int) else None, origin=node)

    def metadata(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return self.fresh(node)

    def no_result(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return Value(Kind.NONE, origin=node)

    # ------------------------------------------------------------------ new tensors
    def new_tensor(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        """``new_zeros``/``new_ones``/…: dtype and device of ``r`` unless given."""
        dv = args.get(None, "dtype")
        dt = dtype_arg(dv)[1] if dv is not None else r.dtype
        shape = None
        if name != "new_tensor":
            shape = self._sizes(args)
        return Value(Kind.TENSOR, dtype=dt, shape=shape, layout=CONTIGUOUS, storage=("n", id(node)), device=r.device,
                     initialized=name != "new_empty", origin=node, provenance="." + name)

    def contiguous_result(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        """Matrix products, ``repeat``, ``tril``/``triu``: a fresh contiguous tensor."""
        other = args.get(0)
        shape = None
        if name in PRODUCTS and other is not None:
            shape = self.matmul_shape(r, other, node, name)
        elif name in ("tril", "triu"):
            shape = r.shape
        return Value(Kind.TENSOR, dtype=self.promote(r, other) if other is not None and other.kind.is_array else r.dtype,
                     shape=shape, layout=CONTIGUOUS, storage=("n", id(node)), device=r.device, origin=node,
                     provenance="." + name)

    # ------------------------------------------------------------------ elementwise
    def softmax(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return Value(Kind.TENSOR, dtype=r.dtype if is_floating(r.dtype) else None, shape=r.shape,
                     storage=("n", id(node)), device=r.device, anchor=r.anchor, origin=node, provenance=name)

    def pointwise(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        other = args.get(0)
        if other is not None and (name not in _NOT_BINARY or tensor_exponent(name, other)):
            lay = self.binary_layout(r, other)
            dt = self.promote(r, other, name in ("div", "divide", "true_divide") and "rounding_mode" not in args.kw)
            shape = self.broadcast(r, other)
        else:
            lay = L.elementwise(r)
            dt = float_result(r.dtype, self.default_float) if name in FLOAT_RESULT else r.dtype
            shape = r.shape
        return Value(Kind.TENSOR, dtype=dt, shape=shape, layout=lay, storage=("n", id(node)), device=r.device,
                     requires_grad=r.requires_grad, anchor=r.anchor if shape is r.shape else None,
                     origin=node, provenance="." + name)

    def pointwise_bool(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return Value(Kind.TENSOR, dtype="bool", shape=r.shape, layout=L.elementwise(r), storage=("n", id(node)),
                     device=r.device, origin=node, provenance="." + name)

    def reduction(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        # integer max/min/mean are left unknown (``max(dim)`` is a pair, ``mean`` refuses ints)
        known = name in INDEX_RESULT or name in INT64_ACCUMULATE or name in ("all", "any") or is_floating(r.dtype)
        dt = reduction_result(name, r.dtype) if known else None
        # ``x.sum(dtype=torch.float64)`` / ``x.cumsum(0, torch.float64)``: the dtype asked for
        given = args.kw["dtype"][1] if "dtype" in args.kw else next(
            (v for _, v in args.pos if v.kind is Kind.DTYPE), None)
        if given is not None:
            named, asked = dtype_arg(given)
            dt = asked if named else dt
        shape = None
        if name in SCANS:
            shape = r.shape if args.get(0, "dim") is not None else None
        elif r.shape is not None:
            dim_at, keep_at = REDUCTION_ARGS[name]
            dims = _reduced_dims(args.get(dim_at, "dim"))
            keep = args.get(keep_at, "keepdim") if keep_at is not None else None
            keepdim = False if keep is None else (keep.const if keep.kind is Kind.BOOL else None)
            paired = name in ("max", "min") and dims is not None  # (values, indices)
            if dims is not _UNKNOWN_DIMS and keepdim is not None and not paired:
                shape = resized(r.shape, reduce_sizes, dims, keepdim)
        elif args.get(0, "dim") is None and not args.pos and name not in ("max", "min"):
            shape = ()
        return Value(Kind.TENSOR, dtype=dt, shape=shape, storage=("n", id(node)), device=r.device, origin=node,
                     provenance="." + name)

    def index_result(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        """int64 indices: ``argsort`` is shaped like its input, ``multinomial(n)`` puts ``n``
        in place of the last dim; ``nonzero``'s row count depends on the data (and with
        ``as_tuple=True`` it is a tuple)."""
        shape = None
        if name == "argsort":
            shape = r.shape
        elif name == "multinomial":
            n = args.get(0, "num_samples")
            if r.shape is not None and len(r.shape) in (1, 2) and n is not None and n.kind is Kind.INT \
                    and n.sym is not None:
                shape = resized(r.shape, replace_dim, -1, n.sym)
        elif name == "nonzero":
            as_tuple = args.get(None, "as_tuple")
            if as_tuple is not None and not (as_tuple.kind is Kind.BOOL and as_tuple.const is False):
                return Value(Kind.UNKNOWN, origin=node)
        return Value(Kind.TENSOR, dtype=reduction_result(name, r.dtype), shape=shape, storage=("n", id(node)),
                     device=r.device, origin=node, provenance="." + name)

    def topk(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        """``values, indices = x.topk(k, dim)``: both fresh contiguous tensors shaped like
        ``x`` with ``dim`` cut to ``k``; indices are int64."""
        k = args.get(0, "k")
        d = args.int_const(1, "dim", -1)
        shape = None
        if d is not None and k is not None and k.kind is Kind.INT and k.sym is not None:
            shape = resized(r.shape, replace_dim, d, k.sym)
        anchor = None if shape is not None else id(node)
        vals = Value(Kind.TENSOR, dtype=r.dtype, shape=shape, layout=CONTIGUOUS, storage=("n", id(node), 0),
                     device=r.device, anchor=anchor, origin=node, provenance=".topk")
        idx = Value(Kind.TENSOR, dtype="int64", shape=shape, layout=CONTIGUOUS, storage=("n", id(node), 1),
                    device=r.device, anchor=anchor, origin=node, provenance=".topk")
        return Value(Kind.TUPLE, items=(vals, idx), origin=node, provenance=".topk")

    def fresh_result(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return Value(Kind.TENSOR, dtype=r.dtype if name != "sort" else None,
                     shape=r.shape if name in _SAME_SHAPE_RESULTS else None,
                     storage=("n", id(node)), device=r.device, origin=node, provenance="." + name)

    # ------------------------------------------------------------------ in place
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
        self.note_write(node, r, k, st, recv_node)
        if r.initialized is False and k is not None:
            st.bind(k, r.evolve(initialized=True))
        return r


_UNKNOWN_DIMS = object()


def _reduced_dims(dim: Optional[Value]) -> Any:
    """The dims a reduction's ``dim`` names: None for every dim (not given, or ``None``), a
    list of ints, or ``_UNKNOWN_DIMS``."""
    if dim is None or dim.kind is Kind.NONE:
        return None
    if dim.kind is Kind.INT and isinstance(dim.const, int):
        return [dim.const]
    if dim.kind in (Kind.TUPLE, Kind.LIST) and dim.items is not None \
            and all(i.kind is Kind.INT and isinstance(i.const, int) for i in dim.items):
        return [i.const for i in dim.items]
    return _UNKNOWN_DIMS


Handler = Callable[..., Value]


def _table() -> dict[str, Handler]:
    """Method name -> handler. Where two groups share a name, the one listed first wins
    (``contiguous`` is a view method, ``new_zeros`` a creation, ``size`` not metadata)."""
    M = TensorMethods
    groups: list[tuple[Any, Optional[Handler]]] = [
        (VIEW_METHODS, None),
        ({"detach": M.detach, "clone": M.clone}, None),
        (CAST_METHODS, M.cast_method),
        ({"type": M.type_method, "type_as": M.type_as, "to": M.to, "cpu": M.cpu, "cuda": M.cuda, "numpy": M.numpy,
          "tolist": M.tolist, "item": M.item, "size": M.size, "dim": M.rank_method, "ndimension": M.rank_method,
          "numel": M.numel, "nelement": M.numel}, None),
        (("new_zeros", "new_ones", "new_empty", "new_full", "new_tensor", "new_empty_strided"), M.new_tensor),
        (CONTIGUOUS_RESULT_METHODS, M.contiguous_result),
        (("softmax", "log_softmax", "softmin"), M.softmax),
        (POINTWISE_METHODS, M.pointwise),
        (POINTWISE_BOOL, M.pointwise_bool),
        (set(REDUCTION_ARGS) | SCANS, M.reduction),
        (("argsort", "multinomial", "nonzero"), M.index_result),
        (("backward", "register_hook", "retain_grad"), M.no_result),
        (METADATA_METHODS, M.metadata),
        ({"topk": M.topk}, None),
        (_FRESH_RESULTS, M.fresh_result),
    ]
    table: dict[str, Handler] = {}
    for names, handler in groups:
        for name in names:
            table.setdefault(name, handler if handler is not None else names[name])
    return table


TENSOR_METHODS = _table()
