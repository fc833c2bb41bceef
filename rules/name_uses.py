"""Where names are used: the loads of one name in the statements after a given one, until
a statement rebinds it (``loads_after``), and every mention of every name in a region
(``NameMentions``, see its docstring).

Contract: ``loads_after(block, stmt, name)`` is the list of ``Load`` (the ``Name`` node, its
parent and grandparent, and the statement of ``block`` it is in) of ``name`` in the
statements of ``block`` that follow ``stmt``, in source order, stopping after the first
statement that assigns it or makes it a ``for`` target; nested functions, classes and
lambdas are not entered (their reads happen at another time). An attribute's name
(``self.h``) and a keyword's (``f(h=1)``) are not loads of ``h``. None when ``stmt`` is not
a statement of ``block``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import libcst as cst

from ptlint.rules.astutil import walk


@dataclass(frozen=True)
class Load:
    node: cst.Name
    parent: Optional[cst.CSTNode]
    grandparent: Optional[cst.CSTNode]
    statement: Optional[cst.CSTNode] = None  # the statement of the block that holds it
    in_if_test: bool = False  # inside the test of an ``if`` (or ``elif``)


def loads_after(block: Union[cst.CSTNode, Sequence[cst.CSTNode]], stmt: cst.CSTNode,
                name: str) -> Optional[list[Load]]:
    """``block``: a module or an indented block, or its list of statements."""
    body = block.body if isinstance(block, (cst.Module, cst.IndentedBlock)) else (
        block if isinstance(block, (list, tuple)) else None)
    if not isinstance(body, (list, tuple)) or not any(s is stmt for s in body):
        return None
    body = list(body)
    uses = _NameUses(name)
    for later in body[body.index(stmt) + 1:]:
        uses.statement = later
        walk(later, uses)
        if uses.rebound:
            break
    return uses.found


class _NameUses(cst.CSTVisitor):
    """Loads of ``name`` (with parent and grandparent); notes when it is rebound."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.stack: list[cst.CSTNode] = []
        self.found: list[Load] = []
        self.rebound = False
        self.statement: Optional[cst.CSTNode] = None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(node, cst.Name) and node.value == self.name:
            par = self.stack[-1] if self.stack else None
            grand = self.stack[-2] if len(self.stack) >= 2 else None
            if isinstance(par, (cst.AssignTarget, cst.For)) and par.target is node:
                self.rebound = True
            elif not ((isinstance(par, cst.Attribute) and par.attr is node)
                      or (isinstance(par, cst.Arg) and par.keyword is node)):
                self.found.append(Load(node, par, grand, self.statement, self._in_if_test(node)))
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self.stack and self.stack[-1] is original_node:
            self.stack.pop()

    def _in_if_test(self, node: cst.CSTNode) -> bool:
        path = (*self.stack, node)
        return any(isinstance(s, cst.If) and path[i + 1] is s.test for i, s in enumerate(path[:-1]))


@dataclass(frozen=True)
class Mention:
    """One occurrence of a name (or of a dotted ``a.b`` whose base is a name) in a region."""

    node: cst.BaseExpression  # the ``Name``; for a dotted key (``self.tags``) the ``Attribute``
    parent: Optional[cst.CSTNode]
    grandparent: Optional[cst.CSTNode]
    line: Optional[cst.SimpleStatementLine]  # the simple statement holding it; None in a compound header
    assigned: bool  # the whole target of an ``=`` (``name = ...``, ``self.tags = ...``)


class NameMentions:
    """Every mention of every name in a region, by name, in source order: one walk per
    region however many names are asked about.

    Contract: ``ctx.analysis(NameMentions).within(region)`` is a dict ``key -> [Mention]``
    for the nodes under ``region`` (a module, function, class or any block), nested
    functions, classes and lambdas included. Keys are names (``buf``) and dotted names of
    one attribute on a name (``self.tags``). An attribute's own name (the ``h`` of
    ``self.h``) and a keyword's (``f(h=1)``) are not mentions of ``h``."""

    def __init__(self, ctx: object) -> None:
        self._by_region: dict[int, dict[str, list[Mention]]] = {}

    def within(self, region: cst.CSTNode) -> dict[str, list[Mention]]:
        found = self._by_region.get(id(region))
        if found is None:
            collector = _MentionCollector()
            walk(region, collector)
            found = self._by_region[id(region)] = collector.found
        return found

    def of(self, region: cst.CSTNode, key: str) -> list[Mention]:
        return self.within(region).get(key, [])


class _MentionCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[Mention]] = {}
        self.stack: list[cst.CSTNode] = []
        self.lines: list[cst.SimpleStatementLine] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Name):
            self._name(node)
        elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            self._add(f"{node.value.value}.{node.attr.value}", node)
        elif isinstance(node, cst.SimpleStatementLine):
            self.lines.append(node)
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        if isinstance(original_node, cst.SimpleStatementLine):
            self.lines.pop()

    def _name(self, node: cst.Name) -> None:
        parent = self.stack[-1] if self.stack else None
        if (isinstance(parent, cst.Attribute) and parent.attr is node) or (
                isinstance(parent, cst.Arg) and parent.keyword is node):
            return
        self._add(node.value, node)

    def _add(self, key: str, node: cst.BaseExpression) -> None:
        parent = self.stack[-1] if self.stack else None
        grand = self.stack[-2] if len(self.stack) >= 2 else None
        assigned = isinstance(parent, cst.AssignTarget) and parent.target is node
        self.found.setdefault(key, []).append(
            Mention(node, parent, grand, self.lines[-1] if self.lines else None, assigned))
