"""The one binding/scope table of a file: every place a name is bound, what kind of
binding it is, and the scope Python puts it in.

Scopes are the module, each function, class, ``lambda`` and comprehension. A binding is
an assignment (its value kept when the statement has a single plain-name target), an
annotated assignment with a value, an augmented assignment, an import (with the dotted
path it binds), a ``for`` / ``with`` / ``except`` / ``case`` target, ``del``, ``def`` and
``class`` names, parameters, ``:=`` targets (in the nearest scope that is not a
comprehension, as Python does) and comprehension targets (in the comprehension's own
scope). ``global`` / ``nonlocal`` declarations are recorded as bindings of their kind:
the name is bound from elsewhere. In a method, ``self.<attr>`` targets are recorded as
attribute bindings of the method's scope.

Analyses ask questions of the table instead of scanning targets themselves; what counts
for them is a choice of binding kinds (``ScopeBindings.names(kinds)``, ``count``), not a
scan of their own. Expressions are only searched when asked (``expressions=True``):
lambdas, comprehensions and ``:=`` live there, and skipping them makes a statement-level
table several times cheaper.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import libcst as cst

from ptlint.rules.astutil import iter_children, target_names
from ptlint.rules.names import dotted_name


class BindingKind(enum.Enum):
    ASSIGN = "assign"
    ANNOTATED = "annotated"
    AUGMENTED = "augmented"
    IMPORT = "import"
    LOOP = "loop"
    WITH = "with"
    EXCEPT = "except"
    DELETE = "delete"
    GLOBAL = "global"
    NONLOCAL = "nonlocal"
    FUNCTION = "function"
    CLASS = "class"
    PATTERN = "pattern"
    PARAMETER = "parameter"
    WALRUS = "walrus"
    COMPREHENSION = "comprehension"


DECLARATIONS = frozenset({BindingKind.GLOBAL, BindingKind.NONLOCAL})


@dataclass(slots=True)
class Binding:
    name: str
    kind: BindingKind
    node: cst.CSTNode  # the statement, target, parameter or expression that binds
    # ``name = value`` / ``name: T = value`` with one target that is the name itself
    value: Optional[cst.BaseExpression] = None
    imported: Optional[str] = None  # IMPORT: the dotted path bound (``torch.nn`` for ``import torch.nn as nn``)
    # bound in the body of an ``except`` handler of this scope (``except ImportError: torch =
    # None`` is the fallback of an import rather than another meaning of the name)
    in_handler: bool = False


@dataclass(slots=True)
class AttrBinding:
    """``self.<attr>`` bound in a method (``value`` as for ``Binding``)."""

    attr: str
    kind: BindingKind
    node: cst.CSTNode
    value: Optional[cst.BaseExpression] = None


@dataclass
class ScopeBindings:
    node: Optional[cst.CSTNode]  # None for ``scope_of_statements``
    kind: str  # "module", "function", "class", "lambda", "comprehension", "statements"
    parent: Optional["ScopeBindings"] = None
    bindings: list[Binding] = field(default_factory=list)  # in source order
    self_name: Optional[str] = None  # a method's instance parameter
    self_attrs: list[AttrBinding] = field(default_factory=list)
    children: list["ScopeBindings"] = field(default_factory=list)
    _by_name: dict[str, list[Binding]] = field(default_factory=dict, repr=False)

    handler_depth: int = field(default=0, repr=False)  # while building: inside an except body

    def add(self, binding: Binding) -> None:
        if self.handler_depth:
            binding.in_handler = True
        self.bindings.append(binding)
        self._by_name.setdefault(binding.name, []).append(binding)

    def of(self, name: str) -> list[Binding]:
        return self._by_name.get(name, [])

    def names(self, kinds: Optional[Iterable[BindingKind]] = None) -> set[str]:
        if kinds is None:
            return set(self._by_name)
        wanted = frozenset(kinds)
        return {b.name for b in self.bindings if b.kind in wanted}

    def count(self, name: str, kinds: Optional[Iterable[BindingKind]] = None) -> int:
        found = self.of(name)
        if kinds is None:
            return len(found)
        wanted = frozenset(kinds)
        return sum(1 for b in found if b.kind in wanted)

    @property
    def params(self) -> list[str]:
        return [b.name for b in self.bindings if b.kind is BindingKind.PARAMETER]

    def declared(self, kind: BindingKind) -> set[str]:
        return {b.name for b in self.bindings if b.kind is kind}

    def is_local(self, name: str) -> bool:
        """Bound in this scope and not declared ``global`` / ``nonlocal`` here."""
        found = self.of(name)
        return bool(found) and not any(b.kind in DECLARATIONS for b in found)

    def single_value(self, name: str) -> Optional[cst.BaseExpression]:
        """The value of the one binding of ``name`` here, when it is ``name = value``."""
        found = self.of(name)
        return found[0].value if len(found) == 1 else None

    def attr_bindings(self, attr: str) -> list[AttrBinding]:
        return [a for a in self.self_attrs if a.attr == attr]


class ScopeTable:
    """Every scope of a module and its bindings: ``ScopeTable(module)``."""

    def __init__(self, module: cst.Module, expressions: bool = True) -> None:
        self.expressions = expressions
        self.scopes: dict[cst.CSTNode, ScopeBindings] = {}
        self._at: Optional[dict[cst.CSTNode, list[Binding]]] = None
        self.module = ScopeBindings(module, "module")
        self.scopes[module] = self.module
        _Builder(self, expressions).suite(module.body, self.module)

    def scope(self, node: cst.CSTNode) -> Optional[ScopeBindings]:
        return self.scopes.get(node)

    def bindings_at(self, node: cst.CSTNode) -> list[Binding]:
        """The bindings ``node`` makes: a statement, ``with`` item, ``except`` handler,
        import alias, ``:=``, ``def`` / ``class``, ``case`` pattern, parameter …"""
        if self._at is None:
            self._at = {}
            for sb in self.scopes.values():
                for b in sb.bindings:
                    self._at.setdefault(b.node, []).append(b)
        return self._at.get(node, [])

    def all_scopes(self) -> list[ScopeBindings]:
        return list(self.scopes.values())

    def resolve(self, name: str, scope: ScopeBindings) -> Optional[ScopeBindings]:
        """The scope whose binding of ``name`` a use in ``scope`` sees (Python's rule:
        ``global`` goes to the module, ``nonlocal`` to an enclosing function, class bodies
        are not seen from the functions inside them); None when nothing here binds it."""
        declared = {b.kind for b in scope.of(name) if b.kind in DECLARATIONS}
        if BindingKind.GLOBAL in declared:
            return self.module if self.module.of(name) else None
        cur: Optional[ScopeBindings] = scope
        first = True
        skip_here = BindingKind.NONLOCAL in declared
        while cur is not None:
            usable = first or cur.kind != "class"
            if usable and not (first and skip_here) and cur.is_local(name):
                return cur
            if not first and cur.kind != "class" and BindingKind.GLOBAL in {b.kind for b in cur.of(name)}:
                return self.module if self.module.of(name) else None
            first = False
            cur = cur.parent
        return None

    def rebound_imports(self, scope: Optional[ScopeBindings] = None) -> set[str]:
        """Names an import binds that the same scope also binds some other way."""
        scope = scope or self.module
        imported = scope.names((BindingKind.IMPORT,))
        return {n for n in imported if any(b.kind is not BindingKind.IMPORT for b in scope.of(n))}


def scope_of_statements(stmts: Sequence[cst.CSTNode], self_name: Optional[str] = None,
                        expressions: bool = False) -> ScopeBindings:
    """The bindings of these statements as one scope (nested ``def`` / ``class`` count as
    bindings of their names; their bodies are not searched). With ``self_name``, the
    ``self_name.<attr>`` targets too."""
    sb = ScopeBindings(None, "statements", self_name=self_name)
    builder = _Builder(None, expressions)
    for stmt in stmts:
        builder.statement(stmt, sb)
    return sb


def self_param(fn: cst.FunctionDef) -> Optional[str]:
    """Name of a method's instance parameter (None for static/class methods)."""
    for d in fn.decorators:
        dec = d.decorator
        name = dec.value if isinstance(dec, cst.Name) else (dec.attr.value if isinstance(dec, cst.Attribute) else "")
        if name in ("staticmethod", "classmethod"):
            return None
    params = fn.params.posonly_params or fn.params.params
    return params[0].name.value if params else None


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


class _Builder:
    """Structural walk of statements (iterative over expressions: hostile nesting must
    not reach Python's recursion limit there)."""

    def __init__(self, table: Optional[ScopeTable], expressions: bool) -> None:
        self.table = table  # None: one scope only, nested bodies not searched
        self.expressions = expressions

    # ------------------------------------------------------------------ statements
    def suite(self, body: Sequence[cst.CSTNode], sb: ScopeBindings) -> None:
        for stmt in body:
            self.statement(stmt, sb)

    def block(self, block: cst.BaseSuite, sb: ScopeBindings) -> None:
        self.suite(block.body, sb)  # IndentedBlock: statements; SimpleStatementSuite: small ones

    def statement(self, stmt: cst.CSTNode, sb: ScopeBindings) -> None:
        # Dispatch on the exact type: libcst's classes are ABCs, and a chain of failing
        # isinstance checks costs more than the rest of the walk.
        handler = _STATEMENTS.get(type(stmt))
        if handler is not None:
            handler(self, stmt, sb)
        elif isinstance(stmt, cst.BaseSmallStatement):
            self.small(stmt, sb)

    def _line(self, stmt: cst.SimpleStatementLine, sb: ScopeBindings) -> None:
        for small in stmt.body:
            self.small(small, sb)

    def _if(self, stmt: cst.If, sb: ScopeBindings) -> None:
        self.expr(stmt.test, sb)
        self.block(stmt.body, sb)
        if isinstance(stmt.orelse, cst.If):
            self.statement(stmt.orelse, sb)
        elif stmt.orelse is not None:
            self.block(stmt.orelse.body, sb)

    def _while(self, stmt: cst.While, sb: ScopeBindings) -> None:
        self.expr(stmt.test, sb)
        self.block(stmt.body, sb)
        if stmt.orelse is not None:
            self.block(stmt.orelse.body, sb)

    def _for(self, stmt: cst.For, sb: ScopeBindings) -> None:
        self.expr(stmt.iter, sb)
        self.target(stmt.target, BindingKind.LOOP, stmt, None, sb)
        self.block(stmt.body, sb)
        if stmt.orelse is not None:
            self.block(stmt.orelse.body, sb)

    def _try(self, stmt: "cst.Try | cst.TryStar", sb: ScopeBindings) -> None:
        self.block(stmt.body, sb)
        for h in stmt.handlers:
            self.expr(h.type, sb)
            if h.name is not None and isinstance(h.name.name, cst.Name):
                sb.add(Binding(h.name.name.value, BindingKind.EXCEPT, h))
            sb.handler_depth += 1
            try:
                self.block(h.body, sb)
            finally:
                sb.handler_depth -= 1
        if stmt.orelse is not None:
            self.block(stmt.orelse.body, sb)
        if stmt.finalbody is not None:
            self.block(stmt.finalbody.body, sb)

    def _with(self, stmt: cst.With, sb: ScopeBindings) -> None:
        for item in stmt.items:
            self.expr(item.item, sb)
            if item.asname is not None:
                self.target(item.asname.name, BindingKind.WITH, item, None, sb)
        self.block(stmt.body, sb)

    def _match(self, stmt: cst.Match, sb: ScopeBindings) -> None:
        self.expr(stmt.subject, sb)
        for case in stmt.cases:
            for name, node in _pattern_names(case.pattern):
                sb.add(Binding(name, BindingKind.PATTERN, node))
            self.expr(case.guard, sb)
            self.block(case.body, sb)

    def small(self, small: cst.BaseSmallStatement, sb: ScopeBindings) -> None:
        handler = _SMALL_STATEMENTS.get(type(small))
        if handler is not None:
            handler(self, small, sb)
        else:  # expression statements, return, assert, raise …
            self.expr(small, sb)

    def _assign(self, small: cst.Assign, sb: ScopeBindings) -> None:
        single = len(small.targets) == 1
        self.expr(small.value, sb)
        for t in small.targets:
            self.target(t.target, BindingKind.ASSIGN, small, small.value if single else None, sb)

    def _ann_assign(self, small: cst.AnnAssign, sb: ScopeBindings) -> None:
        if small.value is not None:
            self.expr(small.value, sb)
            self.target(small.target, BindingKind.ANNOTATED, small, small.value, sb)

    def _aug_assign(self, small: cst.AugAssign, sb: ScopeBindings) -> None:
        self.expr(small.value, sb)
        self.target(small.target, BindingKind.AUGMENTED, small, None, sb)

    def _import(self, small: cst.Import, sb: ScopeBindings) -> None:
        for alias in small.names:
            full = dotted_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                sb.add(Binding(alias.asname.name.value, BindingKind.IMPORT, alias, imported=full))
            elif full:
                head = full.split(".")[0]
                sb.add(Binding(head, BindingKind.IMPORT, alias, imported=head))

    def _import_from(self, small: cst.ImportFrom, sb: ScopeBindings) -> None:
        if isinstance(small.names, cst.ImportStar):
            return
        module = (dotted_name(small.module) or "") if small.module is not None else ""
        prefix = "." * len(small.relative)
        for alias in small.names:
            name = alias.name.value if isinstance(alias.name, cst.Name) else None
            local = alias.asname.name.value if alias.asname is not None and isinstance(
                alias.asname.name, cst.Name) else name
            if local and name:
                full = prefix + (f"{module}.{name}" if module else name)
                sb.add(Binding(local, BindingKind.IMPORT, alias, imported=full))

    def _declaration(self, small: "cst.Global | cst.Nonlocal", sb: ScopeBindings) -> None:
        kind = BindingKind.GLOBAL if isinstance(small, cst.Global) else BindingKind.NONLOCAL
        for n in small.names:
            sb.add(Binding(n.name.value, kind, small))

    def _del(self, small: cst.Del, sb: ScopeBindings) -> None:
        self.target(small.target, BindingKind.DELETE, small, None, sb)

    def target(self, t: cst.BaseExpression, kind: BindingKind, node: cst.CSTNode,
               value: Optional[cst.BaseExpression], sb: ScopeBindings) -> None:
        if isinstance(t, cst.Name):
            sb.add(Binding(t.value, kind, node, value))
            return
        for name in target_names(t):
            sb.add(Binding(name, kind, node))
        if sb.self_name is not None:
            self.self_target(t, kind, node, value, sb)

    def self_target(self, t: cst.BaseExpression, kind: BindingKind, node: cst.CSTNode,
                    value: Optional[cst.BaseExpression], sb: ScopeBindings) -> None:
        stack: list[tuple[cst.BaseExpression, Optional[cst.BaseExpression]]] = [(t, value)]
        while stack:
            cur, val = stack.pop()
            if isinstance(cur, cst.Attribute) and isinstance(cur.value, cst.Name) and cur.value.value == sb.self_name:
                sb.self_attrs.append(AttrBinding(cur.attr.value, kind, node, val))
            elif isinstance(cur, (cst.Tuple, cst.List)):
                stack.extend((el.value, None) for el in reversed(cur.elements))
            elif isinstance(cur, cst.StarredElement):
                stack.append((cur.value, None))

    # ------------------------------------------------------------------ scopes
    def function(self, fn: cst.FunctionDef, sb: ScopeBindings) -> None:
        sb.add(Binding(fn.name.value, BindingKind.FUNCTION, fn))
        if self.table is None:
            return
        for dec in fn.decorators:
            self.expr(dec.decorator, sb)
        inner = ScopeBindings(fn, "function", sb)
        if sb.kind == "class":
            inner.self_name = self_param(fn)
        self._params(fn.params, inner, sb)
        self._open(inner, sb)
        if isinstance(fn.body, cst.IndentedBlock):
            self.suite(fn.body.body, inner)
        else:
            self.block(fn.body, inner)

    def klass(self, node: cst.ClassDef, sb: ScopeBindings) -> None:
        sb.add(Binding(node.name.value, BindingKind.CLASS, node))
        if self.table is None:
            return
        for dec in node.decorators:
            self.expr(dec.decorator, sb)
        for arg in (*node.bases, *node.keywords):
            self.expr(arg.value, sb)
        inner = ScopeBindings(node, "class", sb)
        self._open(inner, sb)
        self.block(node.body, inner)

    def _params(self, params: cst.Parameters, inner: ScopeBindings, outer: ScopeBindings) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                every.append(extra)
        for p in every:
            inner.add(Binding(p.name.value, BindingKind.PARAMETER, p))
            self.expr(p.default, outer)  # defaults run in the enclosing scope

    def _open(self, inner: ScopeBindings, outer: ScopeBindings) -> None:
        outer.children.append(inner)
        if self.table is not None:
            self.table.scopes[inner.node] = inner

    # ------------------------------------------------------------------ expressions
    def expr(self, e: Optional[cst.CSTNode], sb: ScopeBindings) -> None:
        if e is None or not self.expressions:
            return
        stack: list[tuple[cst.CSTNode, ScopeBindings]] = [(e, sb)]
        while stack:
            node, scope = stack.pop()
            if isinstance(node, cst.NamedExpr):
                home = scope
                while home.kind == "comprehension" and home.parent is not None:
                    home = home.parent
                self.target(node.target, BindingKind.WALRUS, node, node.value, home)
                stack.append((node.value, scope))
                continue
            if isinstance(node, cst.Lambda):
                inner = ScopeBindings(node, "lambda", scope)
                self._params(node.params, inner, scope)
                self._open(inner, scope)
                stack.append((node.body, inner))
                continue
            if isinstance(node, _COMPREHENSIONS):
                inner = ScopeBindings(node, "comprehension", scope)
                self._open(inner, scope)
                comp: Optional[cst.CompFor] = node.for_in
                while comp is not None:
                    self.target(comp.target, BindingKind.COMPREHENSION, comp, None, inner)
                    stack.append((comp.iter, inner))
                    stack.extend((cond.test, inner) for cond in comp.ifs)
                    comp = comp.inner_for_in
                parts = (node.key, node.value) if isinstance(node, cst.DictComp) else (node.elt,)
                stack.extend((p, inner) for p in parts)
                continue
            stack.extend((child, scope) for child in reversed(iter_children(node)))


_STATEMENTS = {
    cst.SimpleStatementLine: _Builder._line,
    cst.FunctionDef: _Builder.function,
    cst.ClassDef: _Builder.klass,
    cst.If: _Builder._if,
    cst.While: _Builder._while,
    cst.For: _Builder._for,
    cst.Try: _Builder._try,
    cst.TryStar: _Builder._try,
    cst.With: _Builder._with,
    cst.Match: _Builder._match,
}

_SMALL_STATEMENTS = {
    cst.Assign: _Builder._assign,
    cst.AnnAssign: _Builder._ann_assign,
    cst.AugAssign: _Builder._aug_assign,
    cst.Import: _Builder._import,
    cst.ImportFrom: _Builder._import_from,
    cst.Global: _Builder._declaration,
    cst.Nonlocal: _Builder._declaration,
    cst.Del: _Builder._del,
}


def _pattern_names(pattern: cst.CSTNode) -> list[tuple[str, cst.CSTNode]]:
    out = []
    stack = [pattern]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.MatchAs, cst.MatchStar)) and n.name is not None:
            out.append((n.name.value, n))
        elif isinstance(n, cst.MatchMapping) and n.rest is not None:
            out.append((n.rest.value, n))
        stack.extend(iter_children(n))
    return out
