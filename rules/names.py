"""Import/alias resolution shared by every rule: turn ``T.nn.CrossEntropyLoss`` or
``CE`` into ``torch.nn.CrossEntropyLoss`` whatever the import spelling."""
from __future__ import annotations

from typing import Optional, Union

import libcst as cst


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
    # ``type(...) is``: libcst's node classes are ABCs, and an isinstance that fails goes
    # through ABCMeta.__instancecheck__ (6x slower); this runs for most expressions.
    if type(node) is cst.Name:
        return node.value  # type: ignore[attr-defined]
    parts = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
    if type(node) is not cst.Name:
        return None
    parts.append(node.value)  # type: ignore[attr-defined]
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
        from .scope_table import ScopeTable

        self._scan_imports(body)
        table = ScopeTable(cst.Module(body=list(body)), expressions=False)
        self.rebound |= _rebinding_names(table.module)
        self._shadow_function_locals(table)

    def _shadow_function_locals(self, table) -> None:
        imported = set(self.aliases)
        if not imported:
            return
        for scope in table.all_scopes():
            if scope.kind != "function":
                continue
            local = _locals_of(scope) & imported
            if local:
                self._shadowed.update(id(n) for n in _names_in(scope.node) if n.value in local)

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
        while type(head) is cst.Attribute:
            head = head.value  # type: ignore[attr-defined]
        return None if id(head) in self._shadowed else self.resolve(d)

    def mentions(self, module: str) -> bool:
        return module in self.modules


def other_bindings(body) -> set:
    """Names bound anywhere in these statements (nested blocks, functions and classes
    included) other than by an import: assignments, ``def``/``class`` names, loop and
    ``with`` targets, ``del``. Except handlers are left out: ``except ImportError: torch
    = None`` is the fallback of an import, not a different meaning of the name. A query on
    the binding table (rules/scope_table.py)."""
    from .scope_table import ScopeTable

    return _rebinding_names(ScopeTable(cst.Module(body=list(body)), expressions=False).module)


def _rebinding_names(scope) -> set:
    """``other_bindings`` of one scope: its rebinding kinds outside except handlers, the
    class bodies inside it, and the names its functions declare ``global`` (a function's
    own bindings are its locals: only those can rebind the module's)."""
    from .scope_table import BindingKind

    rebinding = (BindingKind.ASSIGN, BindingKind.ANNOTATED, BindingKind.AUGMENTED, BindingKind.DELETE,
                 BindingKind.FUNCTION, BindingKind.CLASS, BindingKind.LOOP, BindingKind.WITH)
    out: set = set()
    fallback_defs = set()
    for b in scope.bindings:
        if b.in_handler:
            fallback_defs.add(b.node)
        elif b.kind in rebinding:
            out.add(b.name)
    for child in scope.children:
        if child.node in fallback_defs:
            continue
        if child.kind == "class":
            out |= _rebinding_names(child)
        elif child.kind == "function":
            out |= _declared(child, global_only=True)
    return out


def _declared(scope, global_only: bool = False) -> set:
    """Names a ``global`` (or, unless ``global_only``, ``nonlocal``) statement anywhere in
    the scope or the scopes inside it declares."""
    from .scope_table import BindingKind

    kinds = (BindingKind.GLOBAL,) if global_only else (BindingKind.GLOBAL, BindingKind.NONLOCAL)
    found = scope.names(kinds)
    for child in scope.children:
        found |= _declared(child, global_only)
    return found


def _locals_of(scope) -> set:
    names = set(scope.params) | _rebinding_names(scope)
    return names - _declared(scope) if names else names


def function_locals(fn: cst.FunctionDef) -> set:
    """The names local to ``fn`` (Python's rule: bound anywhere in its body, parameters
    included, unless declared ``global``/``nonlocal``; imports and except fallbacks aside,
    as in ``other_bindings``)."""
    from .scope_table import ScopeTable

    table = ScopeTable(cst.Module(body=[fn]), expressions=False)
    return _locals_of(table.scope(fn))


def _names_in(node: cst.CSTNode) -> list:
    out: list = []

    class _Find(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.append(n)

    from .astutil import walk

    walk(node, _Find())
    return out
