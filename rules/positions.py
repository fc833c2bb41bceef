"""Positions of nodes, computed only for what is reported.

libcst knows no positions; its PositionProvider regenerates the code of the whole
module to find them, which costs about as much as parsing again. Here a unit's
top-level statements are anchored to their first line with CPython's parser (``ast``,
several times faster than libcst), and only the top-level statements that hold a
reported node are regenerated to place it. If the two parsers ever disagree on the
statements, the whole-module provider is used instead: slower, never wrong."""
from __future__ import annotations

import ast
import sys
import warnings
from contextlib import contextmanager
from typing import Any, Optional

import libcst as cst
from libcst.metadata.position_provider import PositionProvider, PositionProvidingCodegenState

from .astutil import iter_children
from .limits import MAX_EXPRESSION_DEPTH


class UnitPositions:
    def __init__(self, module: cst.Module, text: str, top_of: Optional[dict[int, cst.CSTNode]] = None) -> None:
        self.module = module
        self.text = text
        self.top_of = top_of or {}
        self._index = {id(stmt): i for i, stmt in enumerate(module.body)}
        self.ranges: dict[cst.CSTNode, Any] = {}  # node -> libcst CodeRange
        self._owner: Optional[dict[int, int]] = None  # id(node) -> index of its top-level statement
        self._starts: Optional[list[int]] = None
        self._done: set[int] = set()
        self._whole = False

    def get(self, node: cst.CSTNode) -> Any:
        r = self.ranges.get(node)
        if r is not None or self._whole:
            return r
        top = self.top_of.get(id(node))
        if top is not None:
            index = self._index.get(id(top))  # None: the node belongs to another notebook cell
        else:
            index = self._owners().get(id(node))  # a node the traversal did not record
        if index is None or index in self._done:
            return None  # not a node of this unit
        starts = self._statement_lines()
        if starts is None:
            self._generate_whole()
        else:
            self._generate(index, starts[index])
        return self.ranges.get(node)

    # ------------------------------------------------------------------ internals
    def _owners(self) -> dict[int, int]:
        if self._owner is None:
            owner: dict[int, int] = {}
            for i, stmt in enumerate(self.module.body):
                stack = [stmt]
                while stack:
                    n = stack.pop()
                    owner[id(n)] = i
                    stack.extend(iter_children(n))
            self._owner = owner
        return self._owner

    def _statement_lines(self) -> Optional[list[int]]:
        """Line on which the generated code of each top-level statement begins (its
        leading comment/blank lines included), or None when ast and libcst disagree."""
        if self._starts is None:
            self._starts = _anchor(self.module, self.text) or []
        return self._starts or None

    def _generate(self, index: int, first_line: int) -> None:
        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=provider,
        )
        state.line = first_line
        state.column = 0
        with _recursion_room():
            self.module.body[index]._codegen(state)
        self.ranges.update(provider._computed)
        self._done.add(index)

    def _generate_whole(self) -> None:
        provider = PositionProvider()
        with _recursion_room():
            provider._gen_impl(self.module)
        self.ranges = provider._computed
        self._whole = True


@contextmanager
def _recursion_room():
    """libcst generates code recursively, a few frames per nesting level; the engine lets
    through units nested up to MAX_EXPRESSION_DEPTH, so their positions must fit too
    (a 400-link `.t()` chain needs about 2,400 frames)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, _CODEGEN_FRAMES))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


_CODEGEN_FRAMES = 8 * MAX_EXPRESSION_DEPTH + 1000


def _leading_count(stmt: cst.CSTNode) -> int:
    n = len(getattr(stmt, "leading_lines", ()))
    decorators = getattr(stmt, "decorators", ())
    if decorators:
        n += len(decorators[0].leading_lines)
    return n


def _anchor(module: cst.Module, text: str) -> Optional[list[int]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    body = tree.body
    k = 0
    starts: list[int] = []
    for stmt in module.body:
        if k >= len(body):
            return None
        node = body[k]
        if isinstance(stmt, cst.SimpleStatementLine):
            line = node.lineno
            k += len(stmt.body)
        else:
            line = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
            k += 1
        starts.append(line - _leading_count(stmt))
    return starts if k == len(body) else None
