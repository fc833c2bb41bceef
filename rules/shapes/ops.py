"""Shape functions of tensor operations (view/reshape/flatten, cat/stack, matmul,
broadcasting, transposes, reductions, indexing). Each returns ``(shape, problem)``:
``shape`` None when unknown, ``problem`` set when PyTorch would raise."""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from ..shape_arith import (
    BATCH, INNER, RANK, bmm_sizes, cat_sizes, expand_sizes, flatten_sizes, index_sizes, matmul_sizes, mm_sizes,
    movedim_sizes, norm_dim, permute_sizes, reduce_sizes, stack_sizes, transpose_sizes, unsqueeze_sizes,
)
from ..size_product import Product, product_of
from .dims import Dim, Shape, dim_of, dims_of, fmt_dim, fmt_shape
from .layers import Problem

Result = tuple[Optional[Shape], Optional[Problem]]


def _target_text(target: Sequence[Dim]) -> str:
    return "(" + ", ".join("-1" if t == -1 else fmt_dim(t) for t in target) + ")"


def view(shape: Optional[Shape], target: Sequence[Dim], op: str = "view") -> Result:
    """``x.view(*target)`` / ``x.reshape``; target dims are ints (-1 allowed), symbols or None."""
    text = f"{op}{_target_text(target)}"
    if sum(1 for t in target if t == -1) > 1:
        return None, Problem(f"{text} 里有两个 -1：只能有一个维度由 PyTorch 推断",
                             f"{text} has two -1s: only one dimension can be inferred")
    if any(isinstance(t, int) and t < -1 for t in target):
        return None, Problem(f"{text} 里有非法的负数维度", f"{text} has an invalid negative dimension")
    rest = [t for t in target if t != -1]
    infer = len(rest) != len(target)
    out = [None if t == -1 else t for t in target]
    total = product_of(shape.dims) if shape is not None and shape.exact else None
    known = product_of(rest)
    if total is None or known is None:
        return Shape(tuple(out)), None
    if infer:
        q = total.divide(known) if known.coef else None
        if q is not None:
            out[target.index(-1)] = dim_of(q)
            return Shape(tuple(out)), None
        if not total.syms and not known.syms:
            return None, Problem(
                f"共 {total.coef} 个元素，无法 {text}：{total.coef} 不能被 {known.coef} 整除",
                f"its {total.coef} elements cannot be viewed as {text[len(op):]}: "
                f"{total.coef} is not divisible by {known.coef}")
        left = total.divide(Product(1, known.syms))
        if left is not None and len(left.syms) == 1 and known.coef and left.coef % known.coef:
            m = known.coef // math.gcd(left.coef, known.coef)
            sym = left.syms[0]
            if len(target) == 2 and target[1] == -1 and isinstance(target[0], int) and shape.dims[0] == sym:
                # ``out.view(batch_size, -1)``: the batch size written out, exact for batches of
                # that size (the loader's own); nothing says the batch is of another size
                return Shape(tuple(out)), None
            return None, Problem(
                f"每个样本 {left.coef} 个元素，但 {text} 按每份 {known.coef} 个元素重排："
                f"批量大小 {sym} 不是 {m} 的倍数时直接报错，是的话样本会被错误地混在一起",
                f"each sample has {left.coef} elements, but {text} regroups them by {known.coef}: it raises unless "
                f"the batch size {sym} is a multiple of {m}, and then it silently mixes samples")
        return Shape(tuple(out)), None
    if total == known:
        return Shape(tuple(out)), None
    if total.syms == known.syms:
        return None, Problem(
            f"共 {total.text()} 个元素，但 {text} 需要 {known.text()} 个",
            f"it has {total.text()} elements, but {text} needs {known.text()}")
    return Shape(tuple(out)), None


def flatten(shape: Optional[Shape], start: int, end: int, what: str = "flatten") -> Result:
    if shape is None:
        return None, None
    if not shape.exact:
        n = len(shape.dims)
        if start < 0 and end < 0 and -start <= n and start <= end:
            merged = dim_of(product_of(shape.dims[start: end + 1 if end != -1 else None]))
            keep_tail = shape.dims[end + 1:] if end != -1 else ()
            return Shape((merged, *keep_tail), False), None
        return None, None
    sizes = flatten_sizes(shape.dims, start, end)
    if sizes is not None:
        return Shape(dims_of(sizes)), None
    r = max(len(shape.dims), 1)
    s, e = norm_dim(start, r), norm_dim(end, r)
    if s is None or e is None:
        bad = start if s is None else end
        return None, Problem(
            f"{what} 的维度 {bad} 超出了 {len(shape.dims)} 维张量的范围",
            f"{what} dim {bad} is out of range for a {len(shape.dims)}-D tensor")
    return None, Problem(f"{what} 的 start_dim（{start}）在 end_dim（{end}）之后",
                         f"{what}: start_dim ({start}) comes after end_dim ({end})")


def unflatten(shape: Optional[Shape], dim: int, sizes: Sequence[int]) -> Result:
    if shape is None or not shape.exact:
        return None, None
    i = norm_dim(dim, len(shape.dims))
    if i is None:
        return None, Problem(f"unflatten 的维度 {dim} 超出了 {len(shape.dims)} 维张量的范围",
                             f"unflatten dim {dim} is out of range for a {len(shape.dims)}-D tensor")
    d = shape.dims[i]
    sub, problem = view(Shape((d,)) if d is not None else None, list(sizes), "unflatten")
    if problem is not None:
        if isinstance(d, int):
            sz = "(" + ", ".join(str(s) for s in sizes) + ")"
            problem = Problem(f"第 {i} 维是 {d}，但 unflatten 的大小 {sz} 乘起来不等于 {d}",
                              f"dim {i} is {d}, but the unflatten sizes {sz} do not multiply to {d}")
        return None, problem
    inner = sub.dims if sub is not None else tuple(None for _ in sizes)
    return Shape((*shape.dims[:i], *inner, *shape.dims[i + 1:])), None


def permute(shape: Optional[Shape], order: Sequence[int]) -> Result:
    if shape is None or not shape.exact:
        return None, None
    sizes = permute_sizes(shape.dims, order)
    return (Shape(sizes) if sizes is not None else None), None


def transpose(shape: Optional[Shape], a: int, b: int) -> Result:
    if shape is None:
        return None, None
    if not shape.exact:
        if a < 0 and b < 0 and max(-a, -b) <= len(shape.dims):
            dims = list(shape.dims)
            dims[a], dims[b] = dims[b], dims[a]
            return Shape(tuple(dims), False), None
        return None, None
    sizes = transpose_sizes(shape.dims, a, b)
    return (Shape(sizes) if sizes is not None else None), None


def movedim(shape: Optional[Shape], source: int, destination: int) -> Result:
    if shape is None or not shape.exact:
        return None, None
    sizes = movedim_sizes(shape.dims, source, destination)
    return (Shape(sizes) if sizes is not None else None), None


def unsqueeze(shape: Optional[Shape], d: int) -> Result:
    if shape is None or not shape.exact:
        return None, None
    sizes = unsqueeze_sizes(shape.dims, d)
    return (Shape(sizes) if sizes is not None else None), None


def squeeze(shape: Optional[Shape], dims: Optional[Sequence[int]]) -> Result:
    if shape is None or not shape.exact:
        return None, None
    r = len(shape.dims)
    if dims is None:
        if any(not isinstance(d, int) for d in shape.dims):
            return None, None
        return Shape(tuple(d for d in shape.dims if d != 1)), None
    idx = set()
    for d in dims:
        i = norm_dim(d, r)
        if i is None:
            return None, None
        if shape.dims[i] is None or isinstance(shape.dims[i], str):
            return None, None  # a symbol might be 1
        idx.add(i)
    return Shape(tuple(d for i, d in enumerate(shape.dims) if not (i in idx and d == 1))), None


def reduce(shape: Optional[Shape], dims: Optional[Sequence[int]], keepdim: bool) -> Result:
    if shape is None or not shape.exact:
        return None, None
    r = len(shape.dims)
    bad = next((d for d in dims or () if norm_dim(d, r) is None), None)
    if bad is not None:
        return None, Problem(f"维度 {bad} 超出了 {r} 维张量的范围", f"dim {bad} is out of range for a {r}-D tensor")
    sizes = reduce_sizes(shape.dims, dims, keepdim)
    return (Shape(sizes), None) if sizes is not None else (None, None)


def cat(shapes: Sequence[Optional[Shape]], dim: int, what: str = "torch.cat") -> Result:
    if not shapes or any(s is None or not s.exact for s in shapes):
        return None, None
    sizes, why = cat_sizes([s.dims for s in shapes], dim)  # type: ignore[union-attr]
    if why is None:
        return (Shape(sizes) if sizes is not None else None), None
    if why.kind == RANK:
        return None, Problem(f"{what} 的张量维数不同：" + "、".join(fmt_shape(s) for s in shapes),
                             f"{what} gets tensors of different ranks: " + ", ".join(fmt_shape(s) for s in shapes))
    along = norm_dim(dim, len(shapes[0].dims))  # type: ignore[union-attr]
    k, col = why.left, why.right
    return None, Problem(
        f"{what} 沿第 {along} 维拼接，其余维度必须相同，但第 {k} 维分别是 " + "、".join(fmt_dim(c) for c in col),
        f"{what} along dim {along} needs every other dim to match, but dim {k} is " + ", ".join(fmt_dim(c) for c in col))


def stack(shapes: Sequence[Optional[Shape]], dim: int) -> Result:
    if not shapes or any(s is None or not s.exact for s in shapes):
        return None, None
    sizes, why = stack_sizes([s.dims for s in shapes], dim)  # type: ignore[union-attr]
    if why is not None:
        return None, Problem("torch.stack 要求所有张量形状相同：" + "、".join(fmt_shape(x) for x in shapes),
                             "torch.stack needs tensors of equal shape: " + ", ".join(fmt_shape(x) for x in shapes))
    return (Shape(sizes) if sizes is not None else None), None


def _inner_problem(fn: str, a: Shape, b: Shape, ka: Dim, kb: Dim) -> Problem:
    return Problem(
        f"{fn} 的内维不匹配：{fmt_shape(a)} 的最后一维是 {fmt_dim(ka)}，{fmt_shape(b)} 参与相乘的维是 {fmt_dim(kb)}",
        f"{fn} inner dimensions differ: {fmt_shape(a)} ends in {fmt_dim(ka)}, "
        f"{fmt_shape(b)} contributes {fmt_dim(kb)}")


def matmul(a: Optional[Shape], b: Optional[Shape], fn: str = "matmul") -> Result:
    """torch.matmul / ``@``: 1-D and 2-D cases, batch dims broadcast (the notes: 4.3)."""
    if a is None or b is None or not a.exact or not b.exact:
        return None, None
    dims, why = matmul_sizes(a.dims, b.dims)
    if why is None:
        return Shape(dims), None
    if why.kind == RANK:
        return None, Problem(f"{fn} 的两个参数都至少要是 1 维", f"both arguments to {fn} must be at least 1-D")
    if why.kind == INNER:
        return None, _inner_problem(fn, a, b, why.left, why.right)
    batch_a, batch_b = fmt_shape(Shape(why.left)), fmt_shape(Shape(why.right))
    return None, Problem(f"{fn} 的批量维 {batch_a} 与 {batch_b} 无法广播",
                         f"{fn} batch dims {batch_a} and {batch_b} do not broadcast")


def mm(a: Optional[Shape], b: Optional[Shape], fn: str = "torch.mm") -> Result:
    """mm() is strictly 2-D (the notes: mm()严格用于二维矩阵相乘)."""
    if a is None or b is None or not a.exact or not b.exact:
        return None, None
    dims, why = mm_sizes(a.dims, b.dims)
    if why is None:
        return Shape(dims), None
    if why.kind == RANK:
        s = Shape(why.left)
        return None, Problem(
            f"{fn} 只接受二维矩阵，但 {fmt_shape(s)} 是 {len(s.dims)} 维（多维请用 matmul 或 @）",
            f"{fn} takes 2-D matrices only, but {fmt_shape(s)} is {len(s.dims)}-D (use matmul or @)")
    return None, _inner_problem(fn, a, b, why.left, why.right)


def bmm(a: Optional[Shape], b: Optional[Shape], fn: str = "torch.bmm") -> Result:
    if a is None or b is None or not a.exact or not b.exact:
        return None, None
    dims, why = bmm_sizes(a.dims, b.dims)
    if why is None:
        return Shape(dims), None
    if why.kind == RANK:
        s = Shape(why.left)
        return None, Problem(f"{fn} 只接受三维张量，但 {fmt_shape(s)} 是 {len(s.dims)} 维",
                             f"{fn} takes 3-D tensors only, but {fmt_shape(s)} is {len(s.dims)}-D")
    if why.kind == BATCH:
        return None, Problem(f"{fn} 的批量大小不同：{fmt_dim(why.left)} 与 {fmt_dim(why.right)}",
                             f"{fn} batch sizes differ: {fmt_dim(why.left)} and {fmt_dim(why.right)}")
    return None, _inner_problem(fn, a, b, why.left, why.right)


def getitem(shape: Optional[Shape], index: Sequence[Any]) -> Result:
    """Basic indexing: ints, slices, None and Ellipsis (``shape_arith.index_sizes``)."""
    if shape is None or not shape.exact:
        return None, None
    sizes = index_sizes(shape.dims, index)
    return (Shape(sizes) if sizes is not None else None), None


def pad(shape: Optional[Shape], amounts: Sequence[Optional[int]]) -> Result:
    """``F.pad(x, (left, right, top, bottom, …))``: pairs from the last dim backwards. An
    amount the analysis cannot know (``diffX // 2`` on an unknown size) makes only its own dim
    unknown: channels and batch stay."""
    if shape is None or len(amounts) % 2:
        return None, None
    k = len(amounts) // 2
    if len(shape.dims) < k:
        if shape.exact:
            return None, Problem(f"F.pad 的填充参数有 {len(amounts)} 个，要填充 {k} 维，但张量只有 {len(shape.dims)} 维",
                                 f"F.pad has {len(amounts)} amounts for {k} dims, but the tensor has only "
                                 f"{len(shape.dims)}")
        return None, None
    dims = list(shape.dims)
    for i in range(k):
        lo, hi = amounts[2 * i], amounts[2 * i + 1]
        at = len(dims) - 1 - i
        d = dims[at]
        if lo is None or hi is None:
            dims[at] = None
        elif isinstance(d, int):
            dims[at] = d + lo + hi if d + lo + hi >= 0 else None
        elif lo + hi != 0:
            dims[at] = None
    return Shape(tuple(dims), shape.exact), None


def expand(shape: Optional[Shape], sizes: Sequence[Dim]) -> Result:
    """``x.expand(B, -1, -1)``: -1 keeps a dim, a size-1 dim grows, new dims go in front."""
    if shape is None or not shape.exact:
        return None, None
    dims, clash = expand_sizes(shape.dims, sizes)
    if clash is not None:
        d, s = shape.dims[clash], sizes[len(sizes) - len(shape.dims) + clash]
        return None, Problem(f"expand 不能把大小为 {d} 的第 {clash} 维扩展成 {s}：只有大小为 1 的维可以扩展",
                             f"expand cannot grow dim {clash} of size {d} to {s}: only size-1 dims expand",
                             standalone=False)
    return (Shape(dims) if dims is not None else None), None


def repeat(shape: Optional[Shape], sizes: Sequence[Dim]) -> Result:
    """``x.repeat(2, 1, 1)``: each dim times its count, extra counts add leading dims."""
    if shape is None or not shape.exact or len(sizes) < len(shape.dims):
        return None, None
    dims = [1] * (len(sizes) - len(shape.dims)) + list(shape.dims)
    out: list[Dim] = []
    for d, s in zip(dims, sizes):
        if s == 1:
            out.append(d)
        elif isinstance(d, int) and isinstance(s, int):
            out.append(d * s)
        elif d == 1:
            out.append(s)
        else:
            out.append(None)
    return Shape(tuple(out)), None
