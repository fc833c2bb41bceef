"""A stride model of tensor layout, precise enough to decide whether ``.view`` raises.

PyTorch's ``view`` succeeds when every group of source dims it merges is itself
contiguous ("mergeable": ``stride[i] == size[i+1] * stride[i+1]``). We track sizes and
strides as :class:`Product` products of symbols relative to a row-major base, so the checks
are exact for literal shapes and decidable for symbolic ones (assuming symbolic sizes > 1).
When the rank is unknown we keep only a lower bound on the number of non-mergeable places
("breaks"): a view to k dims can cover at most k - 1 breaks.

Verified against torch 2.x: transpose/permute/t/T/mT/movedim, narrow and slicing of a
non-leading dim, step slicing, expand, unfold and split/chunk along a non-leading dim all
make some merge impossible; pointwise ops, dtype/device conversions and ``clone()``
(preserve_format) keep the strides of a dense input (``.cuda()``, ``.to('cuda')`` and
``.cpu()`` of a CUDA tensor too: checked on an H100 with torch 2.11).
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import libcst as cst

from ..shape_arith import norm_dim
from ..size_product import Product, product_of
from .values import CONTIGUOUS, Layout, Value

Dim = tuple  # (size: Product|None, stride: Product|None)
MINUS_ONE = "-1"
Target = Union[Product, str, None]  # Product, MINUS_ONE, or None (unknown)

ONE = Product(1)


def contiguous_dims(shape: Sequence[Product]) -> tuple:
    dims = []
    stride: Optional[Product] = ONE
    for size in reversed(shape):
        dims.append((size, stride))
        stride = stride * size if (stride is not None and size is not None) else None
    return tuple(reversed(dims))


UNIT_ANCHOR = "unit?"  # anchor tag: the dims of this tensor may be 1 (see may_have_unit_dims)


def may_have_unit_dims(v: Value) -> bool:
    """A tensor of unknown sizes that came out of ``squeeze()``: the code squeezes
    because it expects dims of size 1, and those never block a view, so re-layouts of
    it are not decided."""
    return isinstance(v.anchor, tuple) and len(v.anchor) == 2 and v.anchor[0] == UNIT_ANCHOR


def _is_one(m: Optional[Product]) -> bool:
    return m is not None and m.is_int and m.coef == 1


def dims_of(v: Value, rank: Optional[int] = None) -> Optional[tuple]:
    """(size, stride) per dim for a tensor about to be re-laid-out. A tensor of unknown
    layout is taken as row-major: the op that follows (a transpose, a slice) is what
    makes it non-contiguous, whatever it was before."""
    lay = v.layout
    if lay is not None and not lay.contiguous:
        if lay.dims is not None and rank is not None and len(lay.dims) != rank:
            return None  # e.g. permute(2, 0, 1) of a 2-D tensor: PyTorch's own error, not ours to model
        return lay.dims
    if may_have_unit_dims(v):
        return None
    shape = v.shape
    if shape is None:
        if rank is None or v.anchor is None:
            return None
        shape = tuple(Product.sym((v.anchor, i)) for i in range(rank))
    elif rank is not None and len(shape) != rank:
        return None
    return contiguous_dims(shape)


def is_contiguous(dims: tuple) -> Optional[bool]:
    kept = [d for d in dims if not _is_one(d[0])]
    if not kept:
        return True
    if kept[-1][1] is None:
        return None
    if kept[-1][1] != ONE:
        return False
    for (s0, st0), (s1, st1) in zip(kept, kept[1:]):
        if st0 is None or s1 is None or st1 is None:
            return None
        if st0 != s1 * st1:
            return False
    return True


def make(dims: tuple, node: Optional[cst.CSTNode], reason: str, dense: Optional[bool]) -> Layout:
    """A layout from dims; collapses to CONTIGUOUS when the strides are row-major again."""
    if is_contiguous(dims) is True:
        return CONTIGUOUS
    return Layout(False, dims=tuple(dims), dense=dense, origin=node, reason=reason)


def unknown_rank(node: Optional[cst.CSTNode], reason: str, min_breaks: int, dense: Optional[bool]) -> Layout:
    return Layout(False, dims=None, dense=dense, min_breaks=min_breaks, origin=node, reason=reason)


# ---------------------------------------------------------------------- re-layout ops
def permute(v: Value, perm: Sequence[int], node: cst.CSTNode, reason: str = "permute") -> Optional[Layout]:
    rank = len(perm)
    perm = [norm_dim(p, rank, wrap_scalar=False) for p in perm]
    if None in perm or sorted(perm) != list(range(rank)):  # type: ignore[type-var]
        return None
    if perm == list(range(rank)):
        return v.layout
    dims = dims_of(v, rank)
    if dims is None:
        return None
    lay = v.layout
    dense = True if (lay is None or lay.contiguous) else lay.dense
    return make(tuple(dims[p] for p in perm), node, reason, dense)  # type: ignore[index]


def transpose(v: Value, d0: int, d1: int, node: cst.CSTNode, reason: str = "transpose") -> Optional[Layout]:
    rank = v.rank if v.rank is not None else (v.layout.rank if v.layout is not None else None)
    a, b = norm_dim(d0, rank, wrap_scalar=False), norm_dim(d1, rank, wrap_scalar=False)
    if rank is not None and a is not None and b is not None:
        perm = list(range(rank))
        perm[a], perm[b] = perm[b], perm[a]
        return permute(v, perm, node, reason)
    if v.layout is not None and not v.layout.contiguous:
        return None  # a second transpose of something already re-laid-out may undo it
    if may_have_unit_dims(v):
        return None
    if d0 == d1:
        return v.layout
    if d0 >= 0 and d1 >= 0:
        lo, hi = sorted((d0, d1))
        breaks = (1 if lo > 0 else 0) + 1 + (1 if hi > lo + 1 else 0)
    else:
        breaks = 1
    return unknown_rank(node, reason, breaks, True)


def remove_dim(v: Value, d: int, node: Optional[cst.CSTNode] = None) -> Optional[Layout]:
    """Layout after indexing dim ``d`` away (``x[:, 0]``, ``select``, ``unbind``)."""
    lay = v.layout
    if lay is None:
        return None
    dims = dims_of(v, v.rank)
    if dims is None:
        if lay.contiguous and d == 0:
            return CONTIGUOUS
        return None
    i = norm_dim(d, len(dims), wrap_scalar=False)
    if i is None:
        return None
    out = dims[:i] + dims[i + 1:]
    if lay.contiguous:
        return make(out, node, "select", False)
    return make(out, lay.origin, lay.reason, None)


def insert_dim(v: Value, d: int) -> Optional[Layout]:
    lay = v.layout
    if lay is None or lay.contiguous:
        return lay
    if lay.dims is None:
        return lay  # a size-1 dim merges with anything: the breaks stay
    rank = len(lay.dims) + 1
    i = norm_dim(d, rank, wrap_scalar=False)
    if i is None:
        return None
    dims = lay.dims[:i] + ((ONE, ONE),) + lay.dims[i:]
    return Layout(False, dims=dims, dense=lay.dense, origin=lay.origin, reason=lay.reason)


def narrow(v: Value, d: int, new_size: Optional[Product], node: cst.CSTNode, reason: str,
           step: int = 1) -> Optional[Layout]:
    """Narrow and/or step dim ``d``. ``new_size`` None: the size is unknown and the slice
    may be a no-op (``x[:, :n]``); a Product: the dim certainly shrinks to that size."""
    rank = v.rank if v.rank is not None else (v.layout.rank if v.layout is not None else None)
    i = norm_dim(d, rank, wrap_scalar=False)
    if i is None:
        if v.layout is not None and not v.layout.contiguous:
            return None
        if d == 0 and step == 1:
            return v.layout  # the leading dim's size never matters to a merge
        if d >= 1 and new_size is not None and step == 1:
            return unknown_rank(node, reason, 1, False)  # dims d-1 and d no longer merge
        return None  # a step on a dim that may be the last one: depends on its size
    dims = dims_of(v, rank)
    if dims is None:
        return None
    size, stride = dims[i]
    if step == 1 and new_size is not None and size is not None and new_size == size:
        return v.layout
    new_stride = stride * Product.of(step) if (stride is not None and step != 1) else stride
    out = dims[:i] + ((new_size, new_stride),) + dims[i + 1:]
    if v.layout is not None and not v.layout.contiguous:
        return make(out, v.layout.origin, v.layout.reason, False)
    return make(out, node, reason, False)


def expand(v: Value, targets: Sequence[Target], node: cst.CSTNode) -> Optional[Layout]:
    dims = dims_of(v, v.rank)
    if dims is None:
        return None
    extra = len(targets) - len(dims)
    if extra < 0:
        return None
    out = []
    for j, t in enumerate(targets):
        if j < extra:
            out.append((t if isinstance(t, Product) else None, Product(0)))
            continue
        size, stride = dims[j - extra]
        if t == MINUS_ONE or (isinstance(t, Product) and t == size):
            out.append((size, stride))
        elif _is_one(size) and isinstance(t, Product):
            out.append((t, Product(0)))
        else:
            out.append((t if isinstance(t, Product) else None, None))
    return make(tuple(out), node, "expand", False)


def unfold(v: Value, d: int, size: int, step: int, node: cst.CSTNode) -> Optional[Layout]:
    rank = v.rank
    i = norm_dim(d, rank, wrap_scalar=False)
    dims = dims_of(v, rank) if i is not None else None
    if dims is None or i is None:
        if v.layout is not None and not v.layout.contiguous:
            return None
        return unknown_rank(node, "unfold", 1, False) if (size > 1 and step != size) else None
    n, st = dims[i]
    count: Optional[Product] = None
    if n is not None and n.is_int:
        count = Product.of(max((n.coef - size) // step + 1, 0))
    else:
        count = Product.sym(("unfold", id(node), i))
    new = dims[:i] + ((count, st * Product.of(step) if st is not None else None),) + dims[i + 1:] + \
        ((Product.of(size), st),)
    return make(new, node, "unfold", False)


def elementwise(v: Value) -> Optional[Layout]:
    """Layout of a pointwise op's result (or clone(), .float(), .to(...)) whose layout is
    decided by ``v``: a dense layout is kept as is; a non-dense one becomes dense in the
    same dim order, which we only compute for literal strides."""
    lay = v.layout
    if lay is None or lay.contiguous:
        return lay
    if lay.dense:
        return lay
    if lay.dims is None:
        return None
    sizes = [d[0] for d in lay.dims]
    strides = [d[1] for d in lay.dims]
    if not all(m is not None and m.is_int for m in sizes + strides):
        return None
    order = sorted(range(len(sizes)), key=lambda k: -strides[k].coef)  # outermost first
    dense_strides: dict[int, Product] = {}
    acc = 1
    for k in reversed(order):
        dense_strides[k] = Product.of(acc)
        acc *= sizes[k].coef
    dims = tuple((sizes[k], dense_strides[k]) for k in range(len(sizes)))
    return make(dims, lay.origin, lay.reason, True)


# ---------------------------------------------------------------------- the view check
def _compute_stride(shape: list[int], stride: list[int], new: list[int]) -> Optional[list[int]]:
    """PyTorch's ``computeStride`` (aten/src/ATen/TensorUtils.cpp): new strides, or None
    when the view is impossible without a copy."""
    numel = 1
    for s in shape:
        numel *= s
    if numel == 0:
        return [0] * len(new)
    view_d = len(new) - 1
    out = [0] * len(new)
    chunk_base_stride = stride[-1] if stride else 1
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[tensor_d]
        if tensor_d == 0 or (shape[tensor_d - 1] != 1 and stride[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                out[view_d] = view_numel * chunk_base_stride
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = stride[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return out


def _concrete(m: Optional[Product]) -> Optional[int]:
    return m.coef if (m is not None and m.is_int) else None


def view_result(lay: Optional[Layout], targets: Sequence[Target]) -> tuple[Optional[bool], Optional[Layout]]:
    """(raises, layout of the result). ``raises`` is True only when ``.view(targets)``
    certainly fails because of the layout, False when it certainly works, None otherwise."""
    if lay is None:
        return None, None
    if lay.contiguous:
        return False, CONTIGUOUS
    count = sum(1 for t in targets if not (isinstance(t, Product) and _is_one(t)))
    # A literal 1 among the requested sizes (``view(1, -1, C)``) says the code knows some
    # source dim is 1, and a dim of size 1 never blocks a view: with sizes we do not know,
    # the view is then not decided (ViT's position-embedding resize is valid).
    unit_target = count < len(targets)
    if lay.dims is None:
        return (True if (lay.min_breaks > count - 1 and not unit_target) else None), None
    sizes = [_concrete(d[0]) for d in lay.dims]
    strides = [_concrete(d[1]) for d in lay.dims]
    if None not in sizes and None not in strides:
        return _concrete_view(lay, sizes, strides, targets)  # type: ignore[arg-type]
    raises, out = _symbolic_view(lay, targets, count)
    if raises and unit_target:
        return None, None
    return raises, out


def _symbolic_view(lay: Layout, targets: Sequence[Target], count: int) -> tuple[Optional[bool], Optional[Layout]]:
    dims = [d for d in lay.dims if not _is_one(d[0])]
    breaks: list[Optional[bool]] = []
    for (s0, st0), (s1, st1) in zip(dims, dims[1:]):
        # a dim of unknown size may be 1 (``x[:k]``), and a size-1 dim never blocks
        if s0 is None or st0 is None or s1 is None or st1 is None:
            breaks.append(None)
        else:
            breaks.append(st0 != s1 * st1)
    definite = sum(1 for b in breaks if b)
    if definite > count - 1:
        return True, None
    if not definite and None not in breaks:
        return False, None  # every merge is possible: only splits/merges of mergeable dims
    if None in breaks or any(t is None for t in targets):
        return None, None
    src = [d[0] for d in dims]
    if any(s is None for s in src):
        return None, None
    tg = [t for t in targets if not (isinstance(t, Product) and _is_one(t))]
    if sum(1 for t in tg if t == MINUS_ONE) > 1:
        return None, None
    known_syms = {s for m in src for s in m.syms}  # type: ignore[union-attr]
    if any(isinstance(t, Product) and not set(t.syms) <= known_syms for t in tg):
        return None, None
    total = product_of(src)
    if MINUS_ONE in tg:
        m = tg.index(MINUS_ONE)
        left, right = tg[:m], tg[m + 1:]
    else:
        left, right = tg[:-1], []
        if product_of(tg) != total:
            return None, None  # a size mismatch: a different error, not the layout's
    lefts, acc = set(), ONE
    for t in left:
        acc = acc * t  # type: ignore[operator]
        lefts.add(acc)
    rights, acc = set(), ONE
    for t in reversed(right):
        acc = acc * t  # type: ignore[operator]
        rights.add(acc)
    for i, b in enumerate(breaks):
        if not b:
            continue
        prefix = product_of(src[: i + 1])
        suffix = product_of(src[i + 1:])
        if prefix not in lefts and suffix not in rights:
            return True, None
    return False, None


def _concrete_view(lay: Layout, sizes: list[int], strides: list[int],
                   targets: Sequence[Target]) -> tuple[Optional[bool], Optional[Layout]]:
    numel = 1
    for s in sizes:
        numel *= s
    new: list[int] = []
    minus = -1
    for j, t in enumerate(targets):
        if t == MINUS_ONE:
            if minus >= 0:
                return None, None
            minus = j
            new.append(1)
        elif isinstance(t, Product) and t.is_int:
            new.append(t.coef)
        else:
            return None, None
    known = 1
    for s in new:
        known *= s
    if minus >= 0:
        if known == 0 or numel % known:
            return None, None
        new[minus] = numel // known
    elif known != numel:
        return None, None
    out = _compute_stride(sizes, strides, new)
    if out is None:
        return True, None
    dims = tuple((Product.of(s), Product.of(st)) for s, st in zip(new, out))
    return False, make(dims, lay.origin, lay.reason, lay.dense)
