"""Structural walks over statements (cheap: libcst's visitor machinery costs far more):
the statements of a suite, whether a loop body jumps, and what a statement may assign
(its bindings come from the binding table, rules/scope_table.py)."""
from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from ..astutil import iter_children
from ..scope_table import scope_of_statements
from .tables import MUTATORS


def _head(e: cst.BaseExpression) -> Optional[str]:
    while type(e) is cst.Attribute:  # not isinstance: see names.dotted_name
        e = e.value  # type: ignore[attr-defined]
    return e.value if type(e) is cst.Name else None  # type: ignore[attr-defined]


def suite(body: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    """The statements of an indented block or of a one-line suite (``if c: x = 1``); the
    small statements keep their identity, so positions and hovers still find them."""
    if isinstance(body, cst.IndentedBlock):
        return body.body
    return [cst.SimpleStatementLine(body=body.body)]  # type: ignore[attr-defined]


def _has_jump(body: cst.BaseSuite) -> bool:
    """Does a loop body contain break / continue / return (nested defs aside)?"""

    def stmts(items) -> bool:
        return any(stmt(st) for st in items)

    def stmt(st) -> bool:
        if isinstance(st, cst.SimpleStatementLine):
            return any(isinstance(x, (cst.Break, cst.Continue, cst.Return)) for x in st.body)
        if isinstance(st, (cst.FunctionDef, cst.ClassDef)):
            return False
        return stmts(_sub_bodies(st))

    return stmts(body.body) if isinstance(body, cst.IndentedBlock) else stmt(cst.SimpleStatementLine(body=body.body))


def _sub_bodies(st: cst.BaseStatement) -> list[cst.BaseStatement]:
    """The statements nested directly in a compound statement (all its branches)."""
    out: list[cst.BaseStatement] = []

    def add(body) -> None:
        if body is not None:
            out.extend(suite(body))

    if isinstance(st, cst.If):
        add(st.body)
        if isinstance(st.orelse, cst.If):
            out.append(st.orelse)
        elif st.orelse is not None:
            add(st.orelse.body)
    elif isinstance(st, (cst.For, cst.While)):
        add(st.body)
        if st.orelse is not None:
            add(st.orelse.body)
    elif isinstance(st, cst.With):
        add(st.body)
    elif isinstance(st, (cst.Try, cst.TryStar)):
        add(st.body)
        for h in st.handlers:
            add(h.body)
        if st.orelse is not None:
            add(st.orelse.body)
        if st.finalbody is not None:
            add(st.finalbody.body)
    elif isinstance(st, cst.Match):
        for case in st.cases:
            add(case.body)
    return out


def assigned_names(node: cst.CSTNode) -> tuple[set[str], set[str]]:
    """Names and ``self.<attr>`` a statement may assign: its bindings, nested blocks
    included (the binding table's answer), and the names it may change in place
    (``x.append(…)``, ``x[i] = …``) or bind with a top-level ``:=``."""
    bound = scope_of_statements([node], self_name="self")
    names = bound.names()
    attrs = {a.attr for a in bound.self_attrs}
    _mutated(node, names)
    return names, attrs


def _mutated(node: cst.CSTNode, names: set[str]) -> None:
    """Add the names a statement may change without binding them (a structural walk:
    libcst's visitor machinery costs far more)."""

    def target(t: cst.BaseExpression) -> None:
        stack = [t]
        while stack:
            cur = stack.pop()
            if isinstance(cur, (cst.Tuple, cst.List)):
                stack.extend(el.value for el in cur.elements)
            elif isinstance(cur, cst.StarredElement):
                stack.append(cur.value)
            elif isinstance(cur, cst.Subscript) and isinstance(cur.value, cst.Name):
                names.add(cur.value.value)

    def expr(e: Optional[cst.BaseExpression]) -> None:
        if isinstance(e, cst.Call):
            f = e.func
            if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.attr.value in MUTATORS:
                names.add(f.value.value)
        elif isinstance(e, cst.NamedExpr) and isinstance(e.target, cst.Name):
            names.add(e.target.value)

    def small(x: cst.BaseSmallStatement) -> None:
        if isinstance(x, cst.Assign):
            for t in x.targets:
                target(t.target)
            expr(x.value)
        elif isinstance(x, (cst.AugAssign, cst.AnnAssign, cst.Del)):
            target(x.target)
        elif isinstance(x, cst.Expr):
            expr(x.value)

    def stmt(st: cst.CSTNode) -> None:
        if isinstance(st, cst.SimpleStatementLine):
            for x in st.body:
                small(x)
        elif isinstance(st, cst.BaseSmallStatement):
            small(st)
        elif not isinstance(st, (cst.FunctionDef, cst.ClassDef)):
            if isinstance(st, cst.If):
                expr(st.test)
            for sub in _sub_bodies(st):  # type: ignore[arg-type]
                stmt(sub)

    stmt(node)


def name_uses(node: cst.CSTNode, name: str) -> int:
    """How many times ``name`` is written in ``node`` as a name (not as an attribute or a
    keyword); only asked when a fix is about to be offered, so a plain walk is fine."""
    n = 0
    todo = [node]
    while todo:
        x = todo.pop()
        if isinstance(x, cst.Name):
            n += x.value == name
            continue
        if isinstance(x, cst.Attribute):
            todo.append(x.value)
            continue
        if isinstance(x, cst.Arg):
            todo.append(x.value)
            continue
        todo.extend(iter_children(x))
    return n
