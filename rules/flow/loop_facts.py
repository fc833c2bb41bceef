"""What a loop iterates and which of its events run in its first iteration.

Questions the order rules ask about a :class:`LoopBlock` besides its events, answered once
here from the loop statement and the flow's values (rules do not read the loop's syntax):

- :func:`iterates_batches`: one iteration per batch of a ``DataLoader`` (the loop goes over
  the loader itself, or through ``enumerate`` / a ``tqdm`` progress bar around it);
- :func:`skipped_in_first_iteration`: an event under ``if epoch > warm:`` (``>=``, ``!=``;
  ``warm < epoch``) in ``for epoch in range(start, …)`` whose test fails for ``start``, or
  whose bound is not a literal (``args.warm``: taken to exclude the start, as its name says);
- :func:`is_body_statement`: a call that is a statement of the loop body by itself, not
  under an ``if``, a ``with`` or a nested loop.
"""
from __future__ import annotations

from typing import Callable, Iterator, Optional

import libcst as cst

from ..astutil import literal_value
from .events import Block, Branch, Event, LoopBlock, walk
from .values import Kind, Value

# Calls that iterate what they wrap and keep one item per item of it.
ITER_WRAPPERS = frozenset({"enumerate", "tqdm", "tqdm.tqdm", "tqdm.auto.tqdm", "tqdm.notebook.tqdm"})


def iteration_events(block: Block) -> Iterator[Event]:
    """The events of one iteration of the loop itself (branches and inlined helpers
    included), not those of loops nested in it."""
    return walk(block, into_loops=False)


def iterates_batches(loop: LoopBlock, value_of: Callable[[cst.CSTNode], Value],
                     qualname: Callable[[cst.BaseExpression], Optional[str]]) -> bool:
    """The loop takes one ``DataLoader`` batch per iteration, as the flow evaluated its
    iterable (through up to three ``enumerate`` / ``tqdm`` wrappers)."""
    if not isinstance(loop.node, cst.For):
        return False
    it: cst.BaseExpression = loop.node.iter
    for _ in range(3):
        if isinstance(it, cst.Call) and it.args and (
                (isinstance(it.func, cst.Name) and it.func.value in ITER_WRAPPERS) or qualname(it.func) in ITER_WRAPPERS):
            it = it.args[0].value
    return value_of(it).kind is Kind.LOADER


def is_body_statement(loop: LoopBlock, call: cst.CSTNode) -> bool:
    """``call`` is an expression statement of the loop body by itself (``sched.step()`` on
    its own line, not under an ``if`` / ``with``, not part of a larger expression)."""
    body = loop.node.body.body if isinstance(loop.node.body, cst.IndentedBlock) else ()
    return any(isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
               and isinstance(stmt.body[0], cst.Expr) and stmt.body[0].value is call for stmt in body)


# ``var OP bound`` -> does the first value ``start`` pass it
_FIRST_PASSES = {
    cst.GreaterThan: lambda start, bound: start > bound,
    cst.GreaterThanEqual: lambda start, bound: start >= bound,
    cst.NotEqual: lambda start, bound: start != bound,
}
# the same comparison written the other way round: ``bound < var``
_MIRRORED = {cst.LessThan: cst.GreaterThan, cst.LessThanEqual: cst.GreaterThanEqual, cst.NotEqual: cst.NotEqual}


def skipped_in_first_iteration(loop: LoopBlock, ev: Event) -> bool:
    """``ev`` sits under an ``if`` on the loop counter that fails for the counter's first
    value: ``for epoch in range(start, …)`` with ``if epoch > warm:`` where ``start <= warm``
    or ``warm`` is not a literal. False whenever that is not certain (a ``while`` loop, a
    ``range`` with unknown start, a test the table does not know)."""
    start = _counter_start(loop)
    if start is None:
        return False
    var, first = start
    for test in _guards(loop.body, ev):
        passes = _first_passes(test, var, first)
        if passes is not None and not passes:
            return True
    return False


def _counter_start(loop: LoopBlock) -> Optional[tuple[str, int]]:
    """``for i in range(a, …)`` with literal ``a`` (or ``range(n)``): ("i", a)."""
    node = loop.node
    if not (isinstance(node, cst.For) and isinstance(node.target, cst.Name) and isinstance(node.iter, cst.Call)
            and isinstance(node.iter.func, cst.Name) and node.iter.func.value == "range"):
        return None
    pos = [a for a in node.iter.args if a.keyword is None and not a.star]
    if len(pos) != len(node.iter.args) or not pos:
        return None
    start = literal_value(pos[0].value, None) if len(pos) >= 2 else 0
    if isinstance(start, bool) or not isinstance(start, int):
        return None
    return node.target.value, start


def _guards(block: Block, ev: Event) -> list:
    """The tests of the ``if`` statements whose body (not ``else``) holds ``ev``, outermost first."""
    for item in block:
        if isinstance(item, Branch) and item.arms:
            if any(e is ev for e in walk(item.arms[0])):
                test = item.node.test if isinstance(item.node, cst.If) else None
                return ([test] if test is not None else []) + _guards(item.arms[0], ev)
            for arm in item.arms[1:]:
                if any(e is ev for e in walk(arm)):
                    return _guards(arm, ev)
    return []


def _first_passes(test: cst.BaseExpression, var: str, start: int) -> Optional[bool]:
    """Whether ``test`` holds for ``var == start``: None when it is not a comparison of ``var``
    the table knows; True/False when the bound is a literal; False (lenient: an unknown bound
    such as ``args.warm`` is taken to exclude the start) otherwise."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    op, left, right = type(target.operator), test.left, target.comparator
    if isinstance(right, cst.Name) and right.value == var and op in _MIRRORED:
        op, left, right = _MIRRORED[op], right, left
    if not (isinstance(left, cst.Name) and left.value == var) or op not in _FIRST_PASSES:
        return None
    bound = literal_value(right, None)
    if isinstance(bound, bool) or not isinstance(bound, int):
        return False
    return _FIRST_PASSES[op](start, bound)
