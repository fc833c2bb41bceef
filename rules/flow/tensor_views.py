"""Tensor methods that return a view or reshape: ``view``/``reshape``/``flatten``,
``transpose``/``t``/``permute``/``movedim``, ``narrow``/``unfold``/``expand``,
``unsqueeze``/``squeeze``/``select``/``unbind``/``split``, and ``contiguous``.

Contract: every handler has the signature of the ``tensor_methods.TENSOR_METHODS`` table,
``(node, recv_node, r, name, args, st) -> Value``, and returns what ``r.name(args)`` gives:
its shape (Products, symbolic where the sizes are not literal), and its layout from
``layout.py`` (strides relative to the storage, so a later ``.view`` can be decided). A view
shares ``r``'s storage; a reshape shares it only where PyTorch returns a view. Unknown
arguments give an unknown layout and shape, never a guess. A mixin of
``interp.Interpreter``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import libcst as cst

from ..shape_arith import (
    drop_dim, expand_sizes, flatten_sizes, inferred_size, movedim_order, movedim_sizes, norm_dim, permute_sizes,
    replace_dim, transpose_sizes, unsqueeze_sizes,
)
from ..size_product import Product, size_of
from . import layout as L
from .state import State
from .values import CONTIGUOUS, Kind, Value, product_of_size, resized, sizes_of

if TYPE_CHECKING:
    from .args import Args


def _itemsize(dt: Optional[str]) -> Optional[int]:
    if dt is None:
        return None
    return {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "float16": 2, "bfloat16": 2, "int32": 4,
            "float32": 4, "int64": 8, "float64": 8, "complex64": 8, "complex128": 16}.get(dt)


class TensorViewsMixin:
    """View and reshape transfer functions; mixed into ``Interpreter``."""

    # ------------------------------------------------------------------ shape arguments
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
            if isinstance(t, Product):
                out.append(t)
            elif t == L.MINUS_ONE:
                minus = j
                out.append(None)
            else:
                out.append(Product.sym(("view", id(node), j)))
        if minus is not None:
            others = [o for o in out if o is not None]
            quotient = inferred_size(sizes_of(r.shape), sizes_of(others)) if r.shape is not None else None
            out[minus] = product_of_size(quotient) if quotient is not None else Product.sym(("view", id(node), minus))
        return tuple(out)

    def _sizes(self, args: Args) -> Optional[tuple]:
        tg = self.targets(args)
        if isinstance(tg, list) and all(isinstance(t, Product) for t in tg):
            return tuple(tg)
        return None

    # ------------------------------------------------------------------ view / reshape
    def view(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
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

    def reshape(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        if name == "reshape_as":
            other = args.get(0)
            tg = list(other.shape) if (other is not None and other.shape is not None) else None
        elif name == "flatten":
            s = args.int_const(0, "start_dim", 0)
            e = args.int_const(1, "end_dim", -1)
            tg = None
            if s == 0 and e == -1:
                tg = [L.MINUS_ONE]
            elif s is not None and e is not None:
                merged = resized(r.shape, flatten_sizes, s, e)
                tg = list(merged) if merged is not None else None
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

    def contiguous(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        mf = args.get(0, "memory_format")
        if mf is not None:
            return Value(Kind.TENSOR, dtype=r.dtype, shape=r.shape, storage=None, origin=node, provenance=".contiguous")
        lay = r.layout
        storage = r.storage if (lay is not None and lay.contiguous) else (("n", id(node)) if lay is not None else None)
        return Value(Kind.TENSOR, dtype=r.dtype, shape=r.shape, layout=CONTIGUOUS, storage=storage, device=r.device,
                     requires_grad=r.requires_grad, anchor=r.anchor, origin=node, provenance=".contiguous",
                     bridge=r.bridge if storage == r.storage else None)

    # ------------------------------------------------------------------ dim orders
    def transpose(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d0, d1 = args.int_const(0, "dim0"), args.int_const(1, "dim1")
        if d0 is None or d1 is None:
            return self.relaid(r, node, None, None, "." + name)
        lay = L.transpose(r, d0, d1, node, name)
        return self.relaid(r, node, lay, resized(r.shape, transpose_sizes, d0, d1), "." + name)

    def transpose_2d(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        return self.transposed(r, node, "t")

    def permute(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        perm = args.ints(0)
        if perm is None:
            return self.relaid(r, node, None, None, ".permute")
        r2 = self.with_rank(r, len(perm))
        if r2.rank is not None and r2.rank != len(perm):
            return self.relaid(r, node, None, None, ".permute")  # PyTorch raises here: nothing to follow
        lay = L.permute(r2, perm, node)
        return self.relaid(r2, node, lay, resized(r2.shape, permute_sizes, perm), ".permute")

    def movedim(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        src, dst = args.int_const(0, "source"), args.int_const(1, "destination")
        if src is None or dst is None:
            return self.relaid(r, node, None, None, "." + name)
        rank = r.rank
        if rank is not None:
            order = movedim_order(rank, src, dst)
            if order is None:
                return self.relaid(r, node, None, None, "." + name)
            lay = L.permute(r, order, node, name)
            return self.relaid(r, node, lay, resized(r.shape, movedim_sizes, src, dst), "." + name)
        if src == dst:
            return r.evolve(origin=node)
        lay = L.unknown_rank(node, name, 1, True) if (r.layout is None or r.layout.contiguous) else None
        return self.relaid(r, node, lay, None, "." + name)

    # ------------------------------------------------------------------ windows and broadcasts
    def narrow(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d, length = args.int_const(0, "dim"), args.get(2, "length")
        if d is None or length is None or length.kind is not Kind.INT:
            return self.relaid(r, node, None, None, ".narrow")
        new = length.sym if length.sym is not None else Product.sym(("narrow", id(node)))
        lay = L.narrow(r, d, new, node, "narrow")
        return self.relaid(r, node, lay, resized(r.shape, replace_dim, d, new), ".narrow")

    def unfold(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d, size, step = args.int_const(0, "dimension"), args.int_const(1, "size"), args.int_const(2, "step")
        if None in (d, size, step):
            return self.relaid(r, node, None, None, ".unfold")
        lay = L.unfold(r, d, size, step, node)
        return self.relaid(r, node, lay, None, ".unfold")

    def expand(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        if name == "expand_as":
            other = args.get(0)
            tg = list(other.shape) if (other is not None and other.shape is not None) else None
        else:
            tg = self.targets(args)
        if not isinstance(tg, list):
            return self.relaid(r, node, None, None, "." + name)
        lay = L.expand(r, tg, node)
        targets = [-1 if t == L.MINUS_ONE else (size_of(t) if isinstance(t, Product) else None) for t in tg]
        shape = resized(r.shape, lambda sizes: expand_sizes(sizes, targets)[0])
        return self.relaid(r, node, lay, shape, "." + name)

    # ------------------------------------------------------------------ adding and removing dims
    def unsqueeze(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d = args.int_const(0, "dim")
        if d is None:
            return self.relaid(r, node, None, None, ".unsqueeze")
        return self.relaid(r, node, L.insert_dim(r, d), resized(r.shape, unsqueeze_sizes, d), ".unsqueeze")

    def squeeze(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d = args.int_const(0, "dim")
        if r.shape is not None and d is not None:
            i = norm_dim(d, len(r.shape), wrap_scalar=False)
            if i is not None:
                if r.shape[i].is_int and r.shape[i].coef == 1:
                    return self.relaid(r, node, L.remove_dim(r, i, node) if r.layout is not None else None,
                                       r.shape[:i] + r.shape[i + 1:], ".squeeze")
                if r.shape[i].is_int:
                    return r.evolve(origin=node, provenance=".squeeze")
        lay = CONTIGUOUS if (r.layout is not None and r.layout.contiguous) else None
        out = self.relaid(r, node, lay, None, ".squeeze")
        return out.evolve(anchor=(L.UNIT_ANCHOR, id(node)))  # the dims left may still be 1

    def select(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d = args.int_const(0, "dim")
        if d is None:
            return self.relaid(r, node, None, None, ".select")
        return self.relaid(r, node, L.remove_dim(r, d, node), resized(r.shape, drop_dim, d), ".select")

    def unbind(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d = args.int_const(0, "dim", 0)
        if d is None:
            return Value(Kind.TUPLE, origin=node)
        el = self.relaid(r, node, L.remove_dim(r, d, node), resized(r.shape, drop_dim, d), ".unbind")
        items = None
        if r.shape is not None:
            i = norm_dim(d, len(r.shape), wrap_scalar=False)
            if i is not None and r.shape[i].is_int and r.shape[i].coef <= 64:
                items = (el,) * r.shape[i].coef
        return Value(Kind.TUPLE, items=items, elem=el, origin=node, provenance=".unbind")

    def split(self, node: cst.Call, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        d = args.int_const(1, "dim", 0)
        if d is None or args.get(0) is None:
            return Value(Kind.TUPLE, origin=node)
        first = args.get(0)
        count = None
        if name == "chunk" and first.kind is Kind.INT and isinstance(first.const, int):
            count = first.const
        if first.kind in (Kind.LIST, Kind.TUPLE) and first.items is not None:
            count = len(first.items)
        i = norm_dim(d, r.rank, wrap_scalar=False)
        piece = Product.sym(("split", id(node)))
        if i == 0:
            lay = r.layout
        elif i is None:
            lay = None
        else:
            lay = L.narrow(r, i, piece, node, name)
        shape = resized(r.shape, replace_dim, i, piece) if i is not None else None
        el = self.relaid(r, node, lay, shape, "." + name)
        items = (el,) * count if (count is not None and 0 < count <= 64) else None
        return Value(Kind.TUPLE, items=items, elem=el, origin=node, provenance="." + name)


# method names -> handler (read by tensor_methods.TENSOR_METHODS)
VIEW_METHODS = {
    "view": TensorViewsMixin.view, "view_as": TensorViewsMixin.view,
    "reshape": TensorViewsMixin.reshape, "reshape_as": TensorViewsMixin.reshape, "flatten": TensorViewsMixin.reshape,
    "contiguous": TensorViewsMixin.contiguous,
    "transpose": TensorViewsMixin.transpose, "swapaxes": TensorViewsMixin.transpose,
    "swapdims": TensorViewsMixin.transpose,
    "t": TensorViewsMixin.transpose_2d, "permute": TensorViewsMixin.permute,
    "movedim": TensorViewsMixin.movedim, "moveaxis": TensorViewsMixin.movedim,
    "narrow": TensorViewsMixin.narrow, "unfold": TensorViewsMixin.unfold,
    "expand": TensorViewsMixin.expand, "expand_as": TensorViewsMixin.expand,
    "unsqueeze": TensorViewsMixin.unsqueeze, "squeeze": TensorViewsMixin.squeeze,
    "select": TensorViewsMixin.select, "unbind": TensorViewsMixin.unbind,
    "split": TensorViewsMixin.split, "chunk": TensorViewsMixin.split, "tensor_split": TensorViewsMixin.split,
}
