"""Shape arithmetic shared by both interpreters: broadcasting, the matrix products, joining
tensors (cat, stack) and the dim re-orderings.

Contract
--------
Pure functions over sequences of *sizes*. A size is an ``int`` (a known size), ``None``
(unknown), or any other hashable value standing for a symbolic size: two equal symbols are
the same size; a symbol may stand for any size, 1 included, so it never clashes with
anything; a product of symbols is a ``size_product.Product``. ``rules/shapes`` passes its
``Dim`` (int, str symbol or None) as they are; ``rules/flow`` converts its shapes of
``Product`` first (``flow.values.sizes_of``, and ``flow.values.resized`` for one op).

The products (matmul/mm/bmm) and the joins (cat/stack) return ``(sizes, mismatch)``: ``sizes`` is the result (None
when it cannot be known) and ``mismatch`` says why PyTorch raises — then ``sizes`` is None.
The dim re-orderings (permute, transpose, movedim, unsqueeze, dropping a dim, flatten, the
``-1`` of a view) take a shape of known rank and return the new sizes, or None when the dims
asked for do not exist (PyTorch raises; the callers decide what to say). Products of sizes
(flatten, ``-1``) are ``rules/size_product.Product`` values in their plainest form. Callers
word the messages; nothing here knows about Values, CST nodes or languages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Container, Hashable, Mapping, Optional, Sequence

from .size_product import product_of, size_of

Size = Optional[Hashable]
Sizes = tuple  # tuple[Size, ...]

RANK = "rank"  # an operand has a rank the operation does not take
INNER = "inner"  # the sizes that are multiplied together differ
BATCH = "batch"  # the batch sizes differ (bmm) or do not broadcast (matmul)
CAT_DIM = "cat_dim"  # cat/stack: a dim that must be equal across the tensors is not


@dataclass(frozen=True)
class Mismatch:
    """Why an operation raises. ``RANK``: ``left`` is the offending operand's sizes.
    ``INNER``: ``left`` and ``right`` are the two inner sizes. ``BATCH``: the two batch
    sizes (matmul: the batch parts of both operands, as tuples)."""

    kind: str
    left: Any = None
    right: Any = None


Result = tuple[Optional[Sizes], Optional[Mismatch]]


def clashes(a: Size, b: Size) -> bool:
    """Two sizes that are certainly different: both known and unequal."""
    return isinstance(a, int) and isinstance(b, int) and a != b


def merge_sizes(a: Size, b: Size) -> tuple[Size, bool]:
    """Broadcast two sizes: (result, ok). ok is False only when both are ints that clash;
    the result is None when it depends on what a symbol stands for."""
    if a == b:
        return a, True
    if a == 1:
        return b, True
    if b == 1:
        return a, True
    if isinstance(a, int) and isinstance(b, int):
        return None, False
    return None, True


def broadcast_sizes(a: Sequence[Size], b: Sequence[Size], a_whole: bool = True,
                    b_whole: bool = True) -> tuple[Optional[Sizes], Optional[tuple[int, Size, Size]]]:
    """Broadcast two shapes aligned at their last dims. ``a_whole`` False: ``a`` holds only
    the trailing sizes of a shape whose rank is unknown; the result then stops where the
    other shape's dims would meet the unknown ones. Returns ``(sizes, clash)``, clash being
    ``(dim counted from the end, size in a, size in b)``."""
    n = max(len(a), len(b))
    out: list = []
    for k in range(1, n + 1):
        in_a, in_b = k <= len(a), k <= len(b)
        if in_a and in_b:
            d, ok = merge_sizes(a[-k], b[-k])
            if not ok:
                return None, (-k, a[-k], b[-k])
        elif in_a:
            if not b_whole:
                break
            d = a[-k]
        else:
            if not a_whole:
                break
            d = b[-k]
        out.append(d)
    return tuple(reversed(out)), None


def matmul_sizes(a: Sequence[Size], b: Sequence[Size]) -> Result:
    """``torch.matmul`` / ``@``: a 1-D operand is a vector (its dim is dropped from the
    result), batch dims broadcast."""
    ra, rb = len(a), len(b)
    if ra == 0:
        return None, Mismatch(RANK, tuple(a))
    if rb == 0:
        return None, Mismatch(RANK, tuple(b))
    ka = a[-1]
    kb = b[0] if rb == 1 else b[-2]
    if clashes(ka, kb):
        return None, Mismatch(INNER, ka, kb)
    if ra == 1 and rb == 1:
        return (), None
    if ra <= 2 and rb <= 2:
        return (*a[:-1], *b[1:]), None  # b[1:] is empty for a vector
    batch_a, batch_b = tuple(a[:-2]), tuple(b[:-2])
    batch, clash = broadcast_sizes(batch_a, batch_b)
    if clash is not None:
        return None, Mismatch(BATCH, batch_a, batch_b)
    out = list(batch or ())
    if ra >= 2:
        out.append(a[-2])
    if rb >= 2:
        out.append(b[-1])
    return tuple(out), None


def mm_sizes(a: Sequence[Size], b: Sequence[Size]) -> Result:
    """``torch.mm``: strictly 2-D."""
    for s in (a, b):
        if len(s) != 2:
            return None, Mismatch(RANK, tuple(s))
    if clashes(a[1], b[0]):
        return None, Mismatch(INNER, a[1], b[0])
    return (a[0], b[1]), None


def bmm_sizes(a: Sequence[Size], b: Sequence[Size]) -> Result:
    """``torch.bmm``: strictly 3-D, equal batch sizes (no broadcasting)."""
    for s in (a, b):
        if len(s) != 3:
            return None, Mismatch(RANK, tuple(s))
    if clashes(a[0], b[0]):
        return None, Mismatch(BATCH, a[0], b[0])
    if clashes(a[2], b[1]):
        return None, Mismatch(INNER, a[2], b[1])
    batch = a[0] if (a[0] == b[0] or not isinstance(b[0], int)) else b[0]
    return (batch, a[1], b[2]), None


# name of the product -> its shape rule (method and function names alike)
PRODUCTS = {"matmul": matmul_sizes, "mm": mm_sizes, "bmm": bmm_sizes}


# ---------------------------------------------------------------------- joining tensors
def cat_sizes(shapes: Sequence[Sequence[Size]], dim: int) -> Result:
    """``torch.cat(tensors, dim)``: equal ranks, equal sizes except along ``dim``, where
    they add up (known only when every one is an int). ``RANK``: ``left`` is every
    operand's sizes; ``CAT_DIM``: ``left`` is the dim that differs, ``right`` its sizes."""
    if not shapes:
        return None, None
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        return None, Mismatch(RANK, tuple(tuple(s) for s in shapes))
    rank = ranks.pop()
    along = norm_dim(dim, rank)
    if along is None:
        return None, None
    out: list[Size] = []
    for k in range(rank):
        col = [s[k] for s in shapes]
        ints = [c for c in col if isinstance(c, int)]
        if k == along:
            out.append(sum(ints) if len(ints) == len(col) else None)
            continue
        if len(set(ints)) > 1:
            return None, Mismatch(CAT_DIM, k, tuple(col))
        out.append(col[0] if len(set(col)) == 1 else (ints[0] if ints and all(c == ints[0] or c is None
                                                                                for c in col) else None))
    return tuple(out), None


def stack_sizes(shapes: Sequence[Sequence[Size]], dim: int) -> Result:
    """``torch.stack(tensors, dim)``: equal shapes, joined along a new dim of size
    ``len(shapes)``. A mismatch is ``CAT_DIM`` with ``right`` every operand's sizes."""
    if not shapes:
        return None, None
    first = shapes[0]
    for other in shapes[1:]:
        if len(other) != len(first) or any(clashes(a, b) for a, b in zip(other, first)):
            return None, Mismatch(CAT_DIM, None, tuple(tuple(s) for s in shapes))
    at = norm_dim(dim, len(first) + 1)
    if at is None:
        return None, None
    out: list[Size] = [a if a == b else None for a, b in zip(first, shapes[-1])]
    out.insert(at, len(shapes))
    return tuple(out), None


# ---------------------------------------------------------------------- dim re-orderings
def norm_dim(d: int, rank: Optional[int], wrap_scalar: bool = True) -> Optional[int]:
    """Python-style dim index into ``rank`` dims; None when out of range. With
    ``wrap_scalar`` a 0-d tensor takes dim 0 and -1 (ATen's ``maybe_wrap_dim``); without it
    (ops that need a real dim: ``narrow``, ``select``, a stride table) it has none. With the
    rank unknown only a non-negative dim can be placed."""
    if rank is None:
        return d if d >= 0 else None
    if rank == 0:
        return 0 if (wrap_scalar and d in (0, -1)) else None
    if -rank <= d < rank:
        return d % rank
    return None


def permute_sizes(sizes: Sequence[Size], order: Sequence[int]) -> Optional[Sizes]:
    """``x.permute(*order)``; None unless ``order`` names every dim once."""
    if len(order) != len(sizes):
        return None
    idx = [norm_dim(o, len(sizes)) for o in order]
    if None in idx or len(set(idx)) != len(idx):
        return None
    return tuple(sizes[i] for i in idx)  # type: ignore[index]


def transpose_sizes(sizes: Sequence[Size], a: int, b: int) -> Optional[Sizes]:
    i, j = norm_dim(a, len(sizes)), norm_dim(b, len(sizes))
    if i is None or j is None:
        return None
    out = list(sizes)
    if out:
        out[i], out[j] = out[j], out[i]
    return tuple(out)


def movedim_sizes(sizes: Sequence[Size], source: int, destination: int) -> Optional[Sizes]:
    """``x.movedim(source, destination)`` for one dim."""
    order = movedim_order(len(sizes), source, destination)
    return None if order is None else tuple(sizes[i] for i in order)


def movedim_order(rank: int, source: int, destination: int) -> Optional[list[int]]:
    """The permutation ``movedim`` applies: where each result dim comes from."""
    s, d = norm_dim(source, rank), norm_dim(destination, rank)
    if s is None or d is None:
        return None
    if rank == 0:
        return []
    order = [i for i in range(rank) if i != s]
    order.insert(d, s)
    return order


def unsqueeze_sizes(sizes: Sequence[Size], d: int) -> Optional[Sizes]:
    i = norm_dim(d, len(sizes) + 1)
    if i is None:
        return None
    return (*sizes[:i], 1, *sizes[i:])


def drop_dim(sizes: Sequence[Size], d: int) -> Optional[Sizes]:
    """The sizes without dim ``d`` (``select``, ``unbind``, an int index)."""
    i = norm_dim(d, len(sizes), wrap_scalar=False)
    if i is None:
        return None
    return (*sizes[:i], *sizes[i + 1:])


def replace_dim(sizes: Sequence[Size], d: int, size: Size) -> Optional[Sizes]:
    """The sizes with dim ``d`` of size ``size`` (``narrow``, a piece of ``split``)."""
    i = norm_dim(d, len(sizes), wrap_scalar=False)
    if i is None:
        return None
    return (*sizes[:i], size, *sizes[i + 1:])


# PyTorch's argument parser binds numpy's spellings to the parameters of its native functions
# and Tensor methods: ``x.sum(axis=1, keepdims=True)`` is ``x.sum(dim=1, keepdim=True)``.
# Methods written in Python (``Tensor.norm``, ``split``, ``unique`` …) take only their own names.
NUMPY_SPELLINGS = {"axis": "dim", "keepdims": "keepdim"}
PYTHON_TENSOR_METHODS = frozenset({"norm", "split", "unique", "unique_consecutive", "stft", "istft", "lu"})


def torch_keyword(name: str, method: str, given: Container[str]) -> str:
    """The parameter a keyword ``name`` of the native ``method`` binds to (``keepdims`` ->
    ``keepdim``); the name itself when it is no numpy spelling, or the torch name is given too."""
    canonical = NUMPY_SPELLINGS.get(name)
    if canonical is None or method in PYTHON_TENSOR_METHODS or canonical in given:
        return name
    return canonical


_ARANGE_BOUNDS = ("start", "end", "step")


def arange_bounds(pos: Sequence[Any], kw: Mapping[str, Any]) -> Optional[list[Any]]:
    """``torch.arange``'s bounds as its native overloads bind them — ``[end]``, ``[start, end]``
    or ``[start, end, step]`` — from the positional arguments and the ``start=`` / ``end=`` /
    ``step=`` keywords (``torch.arange(0, 128, step=2)`` is 64 long, ``arange(5, end=10)``
    starts at 5). None where torch raises (``arange(5, step=2)``: no overload has a step
    without a start; a bound given twice; more than three)."""
    given = {k: v for k, v in kw.items() if k in _ARANGE_BOUNDS}
    if len(pos) > 3:
        return None
    bound = {"end": pos[0]} if len(pos) == 1 and not given else dict(zip(_ARANGE_BOUNDS, pos))
    for name, v in given.items():
        if name in bound:
            return None
        bound[name] = v
    if set(bound) == {"end"}:
        return [bound["end"]]
    if "start" not in bound or "end" not in bound:
        return None
    return [bound["start"], bound["end"], *([bound["step"]] if "step" in bound else [])]


# Reductions over ``dim`` with ``keepdim`` (tensor methods, and the torch functions after
# their input): where each takes the two positionally, None where it has no such parameter.
# ``std``/``var`` take ``unbiased`` second (``x.std(0, True)`` is unbiased, not keepdim) and
# ``norm`` takes ``p`` first; ``max``/``min`` with a dim give (values, indices), each reduced.
REDUCTION_ARGS: dict[str, tuple[int, Optional[int]]] = {
    **{name: (0, 1) for name in ("sum", "mean", "nansum", "nanmean", "prod", "amax", "amin", "logsumexp",
                                 "all", "any", "argmax", "argmin", "max", "min")},
    "count_nonzero": (0, None),
    "std": (0, 2), "var": (0, 2),
    "norm": (1, 2),
}
# Running reductions along one dim: one tensor of the input's shape (cummax / cummin give a pair)
SCANS = frozenset({"cumsum", "cumprod", "logcumsumexp"})


def reduce_sizes(sizes: Sequence[Size], dims: Optional[Sequence[int]], keepdim: bool) -> Optional[Sizes]:
    """The sizes after reducing over ``dims`` (None: every dim), kept as 1 with ``keepdim``;
    None when a dim does not exist (PyTorch raises)."""
    rank = len(sizes)
    if dims is None:
        return (1,) * rank if keepdim else ()
    picked = set()
    for d in dims:
        i = norm_dim(d, rank)
        if i is None or i in picked:
            return None  # out of range, or named twice (torch raises for both)
        picked.add(i)
    if keepdim:
        return tuple(1 if i in picked else size for i, size in enumerate(sizes))
    return tuple(size for i, size in enumerate(sizes) if i not in picked)


def flatten_sizes(sizes: Sequence[Size], start: int = 0, end: int = -1) -> Optional[Sizes]:
    """``x.flatten(start, end)``: the dims from ``start`` to ``end`` merged into their product
    (None where one of them is unknown); a 0-d tensor becomes ``(1,)``. None when a dim is out
    of range or ``start`` comes after ``end``."""
    rank = max(len(sizes), 1)
    s, e = norm_dim(start, rank), norm_dim(end, rank)
    if s is None or e is None or s > e:
        return None
    if not sizes:
        return (1,)
    merged = product_of(sizes[s: e + 1])
    return (*sizes[:s], size_of(merged) if merged is not None else None, *sizes[e + 1:])


def inferred_size(sizes: Sequence[Size], others: Sequence[Size]) -> Size:
    """What the ``-1`` of ``x.view(...)`` stands for: the element count of ``sizes`` divided
    by the product of the ``others`` in the target. None when it cannot be known (an unknown
    size) or does not divide (PyTorch raises, or the symbols do not decide)."""
    total, known = product_of(sizes), product_of(others)
    if total is None or known is None:
        return None
    q = total.divide(known)
    return size_of(q) if q is not None else None


def expand_sizes(sizes: Sequence[Size], targets: Sequence[Size]) -> tuple[Optional[Sizes], Optional[int]]:
    """``x.expand(*targets)``: ``-1`` keeps a dim, a size-1 dim grows to its target, new dims
    go in front. Returns ``(sizes, clash)``: the result (None when it cannot be known: an
    unknown target, fewer targets than dims, ``-1`` for a new dim) or, when PyTorch raises
    because a dim that is not 1 would have to grow, the index of that dim in ``x``."""
    lead = len(targets) - len(sizes)
    if lead < 0:
        return None, None
    out: list = []
    for j, t in enumerate(targets):
        if j < lead:
            if t is None or t == -1:
                return None, None
            out.append(t)
            continue
        d = sizes[j - lead]
        if t == -1:
            out.append(d)
        elif t is None:
            return None, None
        elif isinstance(d, int) and isinstance(t, int) and d != 1 and d != t:
            return None, j - lead
        else:
            out.append(t)  # the target, whenever torch accepts it
    return tuple(out), None


# ---------------------------------------------------------------------- basic indexing
NEW_AXIS = "new_axis"  # ``None`` in an index: a size-1 dim is inserted
TAKE = "take"  # an integer index: the dim goes away
CUT = "cut"  # a slice: the dim keeps its place, maybe with a new size


@dataclass(frozen=True)
class IndexStep:
    """One item of a basic index as an operation: ``kind`` on the dim at ``pos`` of the
    tensor as the steps before left it; ``item`` is the item's place in the index."""

    kind: str
    pos: int
    item: int


def index_steps(rank: Optional[int], items: Sequence[Any]) -> Optional[list[IndexStep]]:
    """``x[items]`` (basic indexing) as steps, ``Ellipsis`` spread over the dims the other
    items leave. An item is ``None`` (a new axis), ``Ellipsis``, a ``slice``, or anything else
    for an integer index (an int, or any other object for an int of unknown value). None when
    the index does not fit: more indices than dims, two ellipses, or an ellipsis that is not
    last while the rank is unknown."""
    consumed = sum(1 for it in items if it is not None and it is not Ellipsis)
    if rank is not None and consumed > rank:
        return None
    if sum(1 for it in items if it is Ellipsis) > 1:
        return None
    steps: list[IndexStep] = []
    pos = 0
    for k, it in enumerate(items):
        if it is Ellipsis:
            if k == len(items) - 1:
                break
            if rank is None:
                return None
            pos += rank - consumed
        elif it is None:
            steps.append(IndexStep(NEW_AXIS, pos, k))
            pos += 1
        elif isinstance(it, slice):
            steps.append(IndexStep(CUT, pos, k))
            pos += 1
        else:
            steps.append(IndexStep(TAKE, pos, k))
    return steps


def is_full_slice(s: slice) -> bool:
    return s.start in (None, 0) and s.stop is None and s.step in (None, 1)


def slice_size(size: Size, s: slice) -> Size:
    """The size a slice leaves of a dim: the dim itself for ``:``, the exact count for
    literal bounds on a known size; None otherwise (a bound that is not an int literal is
    unknown)."""
    if is_full_slice(s):
        return size
    bounds = (s.start, s.stop, s.step)
    if not isinstance(size, int) or any(b is not None and (not isinstance(b, int) or isinstance(b, bool))
                                        for b in bounds):
        return None
    if s.step is not None and s.step <= 0:
        return None  # torch rejects a step below 1
    return len(range(*s.indices(size)))


def index_sizes(sizes: Sequence[Size], items: Sequence[Any]) -> Optional[Sizes]:
    """The sizes of ``x[items]`` (see :func:`index_steps`); None when the index does not fit
    or an integer index is out of range for a known size (an IndexError)."""
    steps = index_steps(len(sizes), items)
    if steps is None:
        return None
    out = list(sizes)
    for step in steps:
        it = items[step.item]
        if step.kind == NEW_AXIS:
            out.insert(step.pos, 1)
        elif step.kind == TAKE:
            size = out[step.pos]
            if isinstance(it, int) and isinstance(size, int) and norm_dim(it, size, wrap_scalar=False) is None:
                return None
            del out[step.pos]
        else:
            out[step.pos] = slice_size(out[step.pos], it)
    return tuple(out)
