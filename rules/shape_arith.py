"""Shape arithmetic shared by both interpreters: broadcasting and the matrix products.

Contract
--------
Pure functions over sequences of *sizes*. A size is an ``int`` (a known size), ``None``
(unknown), or any other hashable value standing for a symbolic size: two equal symbols are
the same size; a symbol may stand for any size, 1 included, so it never clashes with
anything. ``rules/shapes`` passes its ``Dim`` (int, str symbol or None) as they are;
``rules/flow`` converts its ``Mono`` sizes first (``flow.values.sizes_of``).

Each function returns ``(sizes, mismatch)``: ``sizes`` is the result (None when it cannot be
known) and ``mismatch`` says why PyTorch raises — then ``sizes`` is None. Callers word the
messages; nothing here knows about Values, CST nodes or languages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Optional, Sequence

Size = Optional[Hashable]
Sizes = tuple  # tuple[Size, ...]

RANK = "rank"  # an operand has a rank the operation does not take
INNER = "inner"  # the sizes that are multiplied together differ
BATCH = "batch"  # the batch sizes differ (bmm) or do not broadcast (matmul)


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
