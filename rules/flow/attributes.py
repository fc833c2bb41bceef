"""Attributes: ``x.shape``/``.T``/``.dtype``/``.grad``… of tensors and arrays, ``self.attr``
of the classes of this file (from ``__init__`` or the class body), and the view helpers
tensor methods share (``transposed``, ``relaid``).

Contract: ``ev_attribute`` returns the attribute's ``Value``: an environment entry when
the dotted key is bound (``self.fc``), an import's qualified name, else what the
receiver's kind says about ``name``; anything else is a fresh unknown value. A mixin of
``interp.Interpreter``."""
from __future__ import annotations

from typing import Any, Callable, Optional

import libcst as cst

from . import chain as C
from . import layout as L
from ..size_product import Product, product_of
from .args import key_of
from .call_sites import summary_pending
from .state import ClassInfo, State
from .transfer import METADATA_ATTRS
from .values import UNKNOWN, Kind, Layout, Value, const_value


class AttributesMixin:
    """Attribute transfer functions; mixed into ``Interpreter``."""

    def ev_attribute(self, node: cst.Attribute, st: State, read: bool) -> Value:
        if node.attr.value == "grad":
            self.fa.note_grad_access(node, st.backward)
        key = key_of(node)
        if key is not None and key in st.env:
            return st.env[key]
        q = self.qual(node, st)
        if q is not None:
            return self.qual_value(q, node)
        name = node.attr.value
        recv = self.ev(node.value, st, read=read and name not in METADATA_ATTRS and name != "grad")
        out = self.attr_of(recv, name, node, st)
        return C.extend(out, recv, ("attr", name), node) if name in C.CHAIN_ATTRS else out

    def attr_of(self, r: Value, name: str, node: cst.Attribute, st: State) -> Value:
        if r.kind is Kind.OBJECT and r.func is not None:
            cinfo = self.fa.classes.get(r.func)
            if cinfo is not None:
                v = self.object_attr(r, cinfo, name)
                if v is not None:
                    return v
            return self.fresh(node)
        if r.kind is Kind.NDARRAY:
            handler = NDARRAY_ATTRS.get(name)
            return handler(self, r, name, node) if handler is not None else UNKNOWN
        if r.kind in (Kind.TENSOR, Kind.UNKNOWN) and not (r.kind is Kind.UNKNOWN and r.provenance):
            handler = TENSOR_ATTRS.get(name)
            if handler is not None:
                return handler(self, r, name, node)
        if r.kind is Kind.MODULE and name in ("weight", "bias"):
            return self.fresh(node, Kind.TENSOR, requires_grad=True, is_leaf=True)
        return self.fresh(node)

    # ------------------------------------------------------------------ attributes of arrays
    def transposed_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return self.transposed(r, node, name)

    def ndarray_transposed(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return r.evolve(layout=None, origin=node, provenance=".T", shape=tuple(reversed(r.shape)) if r.shape else None)

    def shape_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return self.size_value(r, node, key_of(node.value))

    def ndim_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return const_value(r.rank, node) if r.rank is not None else Value(Kind.INT)

    def dtype_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return Value(Kind.DTYPE, const=r.dtype) if r.dtype else Value(Kind.DTYPE)

    def ndarray_size_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return Value(Kind.INT, sym=product_of(r.shape) if r.shape else None)

    def data_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return r.evolve(origin=node, requires_grad=False)

    def device_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return Value(Kind.DEVICE, const=r.device)

    def grad_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return self.fresh(node, Kind.TENSOR if r.kind is Kind.TENSOR else Kind.UNKNOWN)

    def flag_attr(self, r: Value, name: str, node: cst.Attribute) -> Value:
        return Value(Kind.BOOL)

    def object_attr(self, r: Value, cinfo: ClassInfo, name: str) -> Optional[Value]:
        """``self.name`` of an instance: what its own ``__init__`` pass assigned (an
        instance the flow saw built, ``r.origin`` its constructor call) for an attribute
        ``__init__`` binds once, else what every instance has (``class_attr``)."""
        own = self.fa.instance_attrs.get(r.origin) if isinstance(r.origin, cst.Call) else None
        if own is not None and name in own and cinfo.attr_counts.get(name, 0) == 1:
            return own[name]
        return self.class_attr(cinfo, name)

    def class_attr(self, cinfo: ClassInfo, name: str, depth: int = 0) -> Optional[Value]:
        if depth > 10:
            return None
        n = cinfo.attr_counts.get(name, 0)
        if n == 1 and name in cinfo.init_attrs:
            init = cinfo.methods.get("__init__")
            if init is not None and not init.evaluated and not init.running and not summary_pending(self, init):
                self.eval_function(init)
            v = cinfo.init_values.get(name)
            return v
        if n == 0:
            if name in cinfo.body_values:
                return cinfo.body_values[name]
            m = cinfo.methods.get(name)
            if m is not None:
                return Value(Kind.FUNCTION, func=m.node, spec="method")
            for b in cinfo.bases:
                v = self.class_attr(b, name, depth + 1)
                if v is not None:
                    return v
        return None

    def size_value(self, r: Value, node: cst.CSTNode, owner: Optional[str]) -> Value:
        if r.shape is not None:
            return Value(Kind.SIZE, items=tuple(Value(Kind.INT, sym=d, const=d.coef if d.is_int else None)
                                                for d in r.shape), origin=node, anchor=r.anchor, owner=owner)
        return Value(Kind.SIZE, anchor=r.anchor, owner=owner, origin=node)

    def transposed(self, r: Value, node: cst.CSTNode, name: str) -> Value:
        if name in ("mT", "mH"):
            lay = L.transpose(r, -2, -1, node, name)
            shape = None
            if r.shape is not None and len(r.shape) >= 2:
                shape = r.shape[:-2] + (r.shape[-1], r.shape[-2])
            return self.relaid(r, node, lay, shape, "." + name)
        if r.rank is not None and r.rank < 2:
            return self.relaid(r, node, r.layout, r.shape, "." + name)
        if r.rank is not None and name == "T":
            perm = list(reversed(range(r.rank)))
            return self.relaid(r, node, L.permute(r, perm, node, "T"), tuple(reversed(r.shape or ())), ".T")
        r2 = self.with_rank(r, 2)
        lay = L.transpose(r2, 0, 1, node, "t")
        shape = (r2.shape[1], r2.shape[0]) if r2.shape else None
        return self.relaid(r2, node, lay, shape, "." + name)

    def with_rank(self, r: Value, rank: int) -> Value:
        if r.shape is None and r.anchor is not None and (r.layout is None or r.layout.contiguous):
            return r.evolve(shape=tuple(Product.sym((r.anchor, i)) for i in range(rank)))
        return r

    def relaid(self, r: Value, node: cst.CSTNode, lay: Optional[Layout], shape, prov: str, **kw: Any) -> Value:
        """A view of ``r`` with a new layout/shape: same storage, dtype, device."""
        kind = Kind.TENSOR if r.kind in (Kind.TENSOR, Kind.UNKNOWN) else r.kind
        return Value(kind, dtype=r.dtype, shape=shape, layout=lay, storage=r.storage, device=r.device,
                     requires_grad=r.requires_grad, is_leaf=(False if r.requires_grad else r.is_leaf),
                     initialized=r.initialized, bridge=r.bridge, anchor=None if shape is not None else None,
                     origin=node, provenance=prov, **kw)


AttrHandler = Callable[[AttributesMixin, Value, str, cst.Attribute], Value]
# attribute name -> handler, for numpy arrays and for tensors (or values that may be tensors)
NDARRAY_ATTRS: dict[str, AttrHandler] = {
    "T": AttributesMixin.ndarray_transposed, "shape": AttributesMixin.shape_attr, "ndim": AttributesMixin.ndim_attr,
    "dtype": AttributesMixin.dtype_attr, "size": AttributesMixin.ndarray_size_attr,
}
TENSOR_ATTRS: dict[str, AttrHandler] = {
    **{name: AttributesMixin.transposed_attr for name in ("T", "mT", "mH", "H")},
    "data": AttributesMixin.data_attr, "shape": AttributesMixin.shape_attr, "ndim": AttributesMixin.ndim_attr,
    "dtype": AttributesMixin.dtype_attr, "device": AttributesMixin.device_attr, "grad": AttributesMixin.grad_attr,
    **{name: AttributesMixin.flag_attr for name in ("requires_grad", "is_leaf", "is_cuda")},
}
