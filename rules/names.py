"""Import/alias resolution shared by every rule: turn ``T.nn.CrossEntropyLoss`` or
``CE`` into ``torch.nn.CrossEntropyLoss`` whatever the import spelling."""
from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from .astutil import target_names

# Public aliases PyTorch itself defines: one canonical spelling per callable so rules
# match a single name.
CANONICAL = {
    "torch.nn.modules.loss.CrossEntropyLoss": "torch.nn.CrossEntropyLoss",
    "torch.nn.modules.loss.NLLLoss": "torch.nn.NLLLoss",
    "torch.special.softmax": "torch.softmax",
    "torch.nn.functional.softmax": "torch.nn.functional.softmax",
    "torch.Tensor.softmax": "torch.softmax",
}


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _module_name(node: Union[cst.Attribute, cst.Name, None]) -> str:
    return dotted_name(node) if node is not None else ""  # type: ignore[return-value]


class ImportTable:
    """Local name -> qualified name, filled from Import/ImportFrom statements."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.modules: set[str] = set()  # top-level modules imported anywhere
        # Local names also bound to something that is not that import (``nn = Evil()``,
        # ``import os as nn``, ``class Conv2d``, ``def relu``, a loop or ``with`` target, ``del``):
        # which one a use sees depends on the path, so they resolve to nothing (silence).
        self.rebound: set[str] = set()
        self._bound_to: dict[str, str] = {}
        # Name nodes inside a function that binds an imported name locally (a parameter,
        # ``t = [...]`` in a helper): they mean the local, while the module's uses keep the import.
        self._shadowed: set[int] = set()

    def _bind(self, local: str, full: str) -> None:
        prev = self._bound_to.setdefault(local, full)
        if prev != full:
            self.rebound.add(local)
        self.aliases[local] = full

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            self.modules.add(full.split(".")[0])
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, full)
            else:
                top = full.split(".")[0]
                self._bind(top, top)

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        mod = _module_name(node.module)
        self.modules.add(mod.split(".")[0])
        if isinstance(node.names, cst.ImportStar):
            if mod in ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "numpy"):
                self.aliases.setdefault("*" + mod, mod)
            return
        for alias in node.names:
            name = _module_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self._bind(local, f"{mod}.{name}")

    def scan_statements(self, body) -> None:
        """Shallow pre-scan of module-level statements (including those nested in
        if/try blocks) so functions defined above an import still resolve; and of every
        statement for names that are bound some other way too (``rebound``)."""
        self._scan_imports(body)
        self.rebound |= other_bindings(body)
        self._shadow_function_locals(body)

    def _shadow_function_locals(self, body) -> None:
        imported = set(self.aliases)
        for fn in _functions(body):
            local = function_locals(fn) & imported if imported else None
            if local:
                self._shadowed.update(id(n) for n in _names_in(fn) if n.value in local)

    def _scan_imports(self, body) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        self.add_import(small)
                    elif isinstance(small, cst.ImportFrom):
                        self.add_import_from(small)
            elif isinstance(stmt, (cst.If, cst.Try)):
                self._scan_imports(stmt.body.body)
                if isinstance(stmt, cst.Try):
                    for h in stmt.handlers:
                        self._scan_imports(h.body.body)
                elif stmt.orelse is not None:
                    orelse = stmt.orelse
                    self._scan_imports(orelse.body.body if isinstance(orelse, cst.Else) else [orelse])

    def resolve(self, dotted: str) -> Optional[str]:
        head, _, rest = dotted.partition(".")
        if head in self.rebound:
            return None
        full = self.aliases.get(head)
        if full is None:
            for star in ("torch", "torch.nn", "torch.nn.functional", "torch.optim"):
                if ("*" + star) in self.aliases and head[:1].isalpha():
                    # ``from torch.nn import *`` then ``Conv2d``: only trust names that start
                    # upper-case (classes) or are functional names; unknown otherwise.
                    if star == "torch.nn" and head[:1].isupper():
                        full = f"{star}.{head}"
                    break
            if full is None:
                return None
        q = f"{full}.{rest}" if rest else full
        return CANONICAL.get(q, q)

    def qualname(self, node: cst.BaseExpression) -> Optional[str]:
        d = dotted_name(node)
        if d is None:
            return None
        head = node
        while isinstance(head, cst.Attribute):
            head = head.value
        return None if id(head) in self._shadowed else self.resolve(d)

    def mentions(self, module: str) -> bool:
        return module in self.modules


def other_bindings(body) -> set:
    """Names bound anywhere in these statements (nested blocks, functions and classes
    included) other than by an import: assignments, ``def``/``class`` names, loop and
    ``with`` targets, ``del``. Except handlers are left out: ``except ImportError: torch
    = None`` is the fallback of an import, not a different meaning of the name."""
    out: set = set()
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        out.update(target_names(t.target))
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    if not isinstance(small, cst.AnnAssign) or small.value is not None:
                        out.update(target_names(small.target))
                elif isinstance(small, cst.Del):
                    out.update(target_names(small.target))
            continue
        if isinstance(stmt, cst.FunctionDef):
            # a function's own bindings are its locals (function_locals); only the names it
            # declares ``global`` can rebind the module's
            out.add(stmt.name.value)
            out |= _declared(stmt)
            continue
        if isinstance(stmt, cst.ClassDef):
            out.add(stmt.name.value)
        elif isinstance(stmt, cst.For):
            out.update(target_names(stmt.target))
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                if item.asname is not None:
                    out.update(target_names(item.asname.name))
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            stack.extend(stmt.body.body)
            for part in (stmt.orelse, stmt.finalbody):
                if part is not None:
                    stack.extend(part.body.body)
            continue
        inner = getattr(stmt, "body", None)
        if isinstance(inner, cst.IndentedBlock):
            stack.extend(inner.body)
        elif isinstance(inner, cst.SimpleStatementSuite):
            stack.append(cst.SimpleStatementLine(body=inner.body))
        orelse = getattr(stmt, "orelse", None)
        if isinstance(orelse, cst.If):
            stack.append(orelse)
        elif orelse is not None and isinstance(getattr(orelse, "body", None), cst.IndentedBlock):
            stack.extend(orelse.body.body)
        if isinstance(stmt, cst.Match):
            for case in stmt.cases:
                if isinstance(case.body, cst.IndentedBlock):
                    stack.extend(case.body.body)
    return out


def _statements(body):
    """Every statement in these statements' blocks, nested functions and classes included
    (statements only: no walk through expressions, which is most of a tree)."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        blocks = []
        inner = getattr(stmt, "body", None)
        if isinstance(inner, cst.IndentedBlock):
            blocks.append(inner.body)
        for part in (getattr(stmt, "orelse", None), getattr(stmt, "finalbody", None)):
            if isinstance(part, cst.If):
                blocks.append([part])
            elif part is not None and isinstance(getattr(part, "body", None), cst.IndentedBlock):
                blocks.append(part.body.body)
        for handler in getattr(stmt, "handlers", ()):
            if isinstance(handler.body, cst.IndentedBlock):
                blocks.append(handler.body.body)
        for case in getattr(stmt, "cases", ()):
            if isinstance(case.body, cst.IndentedBlock):
                blocks.append(case.body.body)
        for block in reversed(blocks):
            stack.extend(reversed(block))


def _function_body(fn: cst.FunctionDef) -> list:
    return list(fn.body.body) if isinstance(fn.body, cst.IndentedBlock) else [cst.SimpleStatementLine(body=fn.body.body)]


def _declared(fn: cst.FunctionDef, kinds: tuple = (cst.Global,)) -> set:
    """Names a ``global`` (or, with ``kinds``, ``nonlocal``) statement anywhere in ``fn`` declares."""
    found: set = set()
    for stmt in _statements(_function_body(fn)):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, kinds):
                    found.update(n.name.value for n in small.names)
    return found


def function_locals(fn: cst.FunctionDef) -> set:
    """The names local to ``fn`` (Python's rule: bound anywhere in its body, parameters
    included, unless declared ``global``/``nonlocal``)."""
    p = fn.params
    params = [*p.posonly_params, *p.params, *p.kwonly_params]
    names = {a.name.value for a in params}
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    names |= other_bindings(_function_body(fn))
    return names - _declared(fn, (cst.Global, cst.Nonlocal)) if names else names


def _functions(body) -> list:
    """Every function definition in these statements, nested ones included."""
    return [s for s in _statements(body) if isinstance(s, cst.FunctionDef)]


def _names_in(node: cst.CSTNode) -> list:
    out: list = []

    class _Find(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.append(n)

    from .astutil import walk

    walk(node, _Find())
    return out
