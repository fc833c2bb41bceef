"""Symbolic channel arithmetic: a constructor parameter nobody gives a value (``SE(c, r=16)``
analysed on its own) is a symbol, and ``c // r``, ``c * 4``, ``c + g`` stay expressions.

A channel count that is an expression is a :class:`SymDim` — a ``str`` (so every shape
function treats it as an opaque symbol) that also carries its expression. A mismatch
between two channel counts is reported only when it holds for every value the symbols can
take (positive sizes), or for all but one stated exception (``r = 1``). The check enumerates
a grid of values that contains every constant of both expressions and its neighbours, so a
count that can match (``c`` against ``777``) is never claimed to differ."""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Optional, Union

from .values import Value

Expr = Union[tuple, int]  # ("sym", name) | (op, a, b) | int

_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "//": lambda a, b: a // b if b > 0 else None}
_PREC = {"+": 1, "-": 1, "*": 2, "//": 2}
_GRID = (1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256, 512, 1024)
MAX_SYMBOLS = 2


@dataclass(frozen=True, eq=False)
class SymInt(Value):
    """An integer known only as an expression of constructor parameters."""

    expr: Expr

    @property
    def text(self) -> str:
        return expr_text(self.expr)


class SymDim(str):
    """A dim whose size is an expression (``"c // 16"``)."""

    expr: Expr

    def __new__(cls, expr: Expr) -> "SymDim":
        s = super().__new__(cls, expr_text(expr))
        s.expr = expr
        return s


def sym(name: str) -> SymInt:
    return SymInt(("sym", name))


def combine(op: str, a: Union[SymInt, int], b: Union[SymInt, int]) -> Optional[SymInt]:
    if op not in _OPS:
        return None
    ea = a.expr if isinstance(a, SymInt) else a
    eb = b.expr if isinstance(b, SymInt) else b
    if op in ("*", "//") and eb == 1:
        return SymInt(ea)
    if op == "*" and ea == 1:
        return SymInt(eb)
    if op in ("+", "-") and eb == 0:
        return SymInt(ea)
    return SymInt((op, ea, eb))


def expr_text(e: Expr, parent: int = 0) -> str:
    if isinstance(e, int):
        return str(e)
    if e[0] == "sym":
        return e[1]
    op, a, b = e
    p = _PREC[op]
    text = f"{expr_text(a, p)} {op} {expr_text(b, p + 1)}"
    return f"({text})" if p < parent else text


def _symbols(e: Expr, out: set) -> None:
    if isinstance(e, tuple):
        if e[0] == "sym":
            out.add(e[1])
        else:
            _symbols(e[1], out)
            _symbols(e[2], out)


def _constants(e: Expr, out: set) -> None:
    if isinstance(e, int):
        out.add(e)
    elif e[0] != "sym":
        _constants(e[1], out)
        _constants(e[2], out)


def evaluate(e: Expr, env: dict[str, int]) -> Optional[int]:
    if isinstance(e, int):
        return e
    if e[0] == "sym":
        return env[e[1]]
    a, b = evaluate(e[1], env), evaluate(e[2], env)
    if a is None or b is None:
        return None
    return _OPS[e[0]](a, b)


def as_expr(d: object) -> Optional[Expr]:
    if isinstance(d, SymDim):
        return d.expr
    if isinstance(d, int) and not isinstance(d, bool):
        return d
    return None


@dataclass(frozen=True)
class Verdict:
    exception: Optional[tuple[str, int]] = None  # (symbol, value) where they may be equal

    def zh(self, got: str, want: str) -> str:
        if self.exception is None:
            return "无论参数取什么值两者都不相等"
        s, v = self.exception
        return f"除非 {s} = {v}，否则两者都不相等"

    def en(self, got: str, want: str) -> str:
        if self.exception is None:
            return "they differ for every value of the parameters"
        s, v = self.exception
        return f"they differ unless {s} == {v}"


@functools.lru_cache(maxsize=512)  # the same block analysed again asks the same question
def always_differs(got: Expr, want: Expr) -> Optional[Verdict]:
    """Does ``got != want`` hold for every positive assignment of the symbols (both sides
    positive)? A Verdict (possibly with one exception ``symbol = value``), or None."""
    names: set = set()
    _symbols(got, names)
    _symbols(want, names)
    if not names or len(names) > MAX_SYMBOLS:
        return None
    consts: set = set()
    _constants(got, consts)
    _constants(want, consts)
    grid = set(_GRID)
    for k in consts:
        grid.update(x for x in (k - 1, k, k + 1, 2 * k) if x > 0)
    for a, b in itertools.product(consts, repeat=2):
        if a > 0 and b > 0:
            grid.update((a * b, a * b + b - 1))
    values = sorted(grid)
    order = sorted(names)
    equal_at: list[dict[str, int]] = []
    valid = 0
    for combo in itertools.product(values, repeat=len(order)):
        env = dict(zip(order, combo))
        g, w = evaluate(got, env), evaluate(want, env)
        if g is None or w is None or g < 1 or w < 1:
            continue
        valid += 1
        if g == w:
            equal_at.append(env)
            if len(equal_at) > 4 * len(values):
                return None
    if not valid:
        return None
    if not equal_at:
        return Verdict()
    for s in order:
        vals = {env[s] for env in equal_at}
        if len(vals) == 1 and vals <= {0, 1}:  # a degenerate factor (r = 1), not "unless c = 777"
            return Verdict((s, vals.pop()))
    return None
