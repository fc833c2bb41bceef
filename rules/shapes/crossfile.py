"""Model classes (and helper functions, literal constants) the analysed file imports from
other files of its project: ``class Net(nn.Module)`` in train.py built from ``_Block``
of models/blocks.py gets its shapes and its PT005 findings.

The other file's class is adopted by the file context (``FileContext.adopt``): inside it,
names resolve through that file's own imports and module-level names, never the
importing file's, and nothing is reported at its nodes (that file's own analysis does).
Base classes follow the same way: ``class Net(_Block)`` here, or ``class ResBlock(_Block)``
in models/blocks.py with ``_Block`` from models/base.py, inherit that class's ``__init__``
layers and ``forward`` as an in-file base would. A name the project index cannot resolve
for certain stays unknown, and a class with an unknown base is no model."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

import libcst as cst

from ..names import dotted_name
from ..project import EXTERNAL
from .models import BaseResolver, FileIndex, ModelClass
from .state import FunctionV
from .values import UNKNOWN, ClassRef, Const, Value

if TYPE_CHECKING:
    from ..project import ProjectIndex, ProjectModule, Symbol
    from .analysis import ShapeAnalysis

CONSTANT_TYPES = (int, float, str, bool, type(None))


@dataclass(frozen=True)
class _ModuleView:
    """What :class:`FileIndex` reads of a file context, for another project file."""

    module: cst.Module
    qualname: Callable[[cst.BaseExpression], Optional[str]]


class CrossFileModels:
    def __init__(self, analysis: "ShapeAnalysis") -> None:
        self.ctx = analysis.ctx
        self.project: Optional["ProjectIndex"] = getattr(self.ctx, "project", None)
        self.foreign: dict = getattr(self.ctx, "foreign", {})
        self._indexes: dict[int, FileIndex] = {}
        self._here: Optional["ProjectModule"] = None
        self._relative: Optional[bool] = None
        self._building: set[int] = set()  # files whose index is being made: an import cycle

    def _home(self) -> "ProjectModule":
        if self._here is None:
            assert self.project is not None
            self._here = self.project.view(self.ctx.path, self.ctx.module)
        return self._here

    # ------------------------------------------------------------------ lookups
    def foreign_name(self, e: cst.Name) -> Optional[Value]:
        """A name inside another project file's adopted code, resolved in that file's
        module namespace; None when the node is this file's own."""
        owner = self.foreign.get(id(e)) if self.foreign else None
        if owner is None or self.project is None:
            return None
        return self._value(self.project.lookup(owner, e.value))

    def imported_name(self, e: cst.Name) -> Value:
        """A name of this file that nothing here binds: a project import, or unknown."""
        if self.project is None or e.value in self.ctx.imports.rebound:
            return UNKNOWN
        full = self.ctx.imports.aliases.get(e.value)
        if full is not None and _external(full):
            return UNKNOWN
        if full is None and not self._relative_imports():
            return UNKNOWN  # bound by no import at all: a builtin or a typo
        return self._value(self.project.lookup(self._home(), e.value))

    def _relative_imports(self) -> bool:
        if self._relative is None:
            self._relative = any(isinstance(small, cst.ImportFrom) and small.relative
                                 for stmt in self.ctx.module.body if isinstance(stmt, cst.SimpleStatementLine)
                                 for small in stmt.body)
        return self._relative

    def callee(self, func: cst.BaseExpression, qualname: Optional[str]) -> Optional[Value]:
        """``_Block`` / ``mb._Block`` / ``models.blocks._Block`` called, when it is a class
        or function of another project file; None otherwise (the caller goes on)."""
        if self.project is None or (qualname is not None and _external(qualname)):
            return None
        dotted = dotted_name(func)
        if dotted is None:
            return None
        parts = dotted.split(".")
        owner = self.foreign.get(id(func)) if self.foreign else None
        if owner is None and parts[0] in self.ctx.imports.rebound:
            return None
        sym = self.project.lookup_chain(owner if owner is not None else self._home(), parts)
        if sym is None or sym.kind not in ("class", "function"):
            return None
        value = self._value(sym)
        return None if value is UNKNOWN else value

    # ------------------------------------------------------------------ values
    def _value(self, sym: Optional["Symbol"]) -> Value:
        if sym is None:
            return UNKNOWN
        if sym.kind == "constant":
            return Const(sym.value) if isinstance(sym.value, CONSTANT_TYPES) else UNKNOWN
        if sym.kind == "function" and isinstance(sym.node, cst.FunctionDef):
            self.ctx.adopt(sym.node, sym.module)
            return FunctionV(sym.node)
        if sym.kind == "class":
            mc = self._model_class(sym)
            return ClassRef(mc) if mc is not None else UNKNOWN
        return UNKNOWN

    def _model_class(self, sym: "Symbol") -> Optional[ModelClass]:
        pm = sym.module
        index = self._indexes.get(id(pm))
        if index is None:
            if id(pm) in self._building:
                return None  # models/a.py's base comes from b.py, whose base comes from a.py
            self._building.add(id(pm))
            try:
                index = FileIndex(_ModuleView(pm.module, pm.imports.qualname),  # type: ignore[arg-type]
                                  self.base_resolver(pm))
            finally:
                self._building.discard(id(pm))
            self._indexes[id(pm)] = index
        mc = index.models.get(sym.name)
        if mc is None or mc.node is not sym.node:
            return None
        own = set(map(id, index.models.values()))
        stack = [mc]
        while stack:  # the class and its in-file bases: their methods run too
            cls = stack.pop()
            self.ctx.adopt(cls.node, pm)
            # a base from a third file was adopted as that file's when it was resolved
            stack.extend(b for b in cls.bases if id(b) in own)
        return mc

    # ------------------------------------------------------------------ base classes
    def base_resolver(self, pm: Optional["ProjectModule"]) -> Optional[BaseResolver]:
        """What a base class expression of ``pm`` (None: the analysed file) names, when it
        is a model class of another project file."""
        if self.project is None:
            return None

        def resolve(base: cst.BaseExpression) -> Optional[ModelClass]:
            dotted = dotted_name(base)
            if dotted is None:
                return None  # class Net(make_base()): a computed base
            parts = dotted.split(".")
            if pm is None:
                qualname = self.ctx.imports.qualname(base)
                if parts[0] in self.ctx.imports.rebound or (qualname is not None and _external(qualname)):
                    return None
                if qualname is None and not self._relative_imports():
                    return None  # bound by no import here: a builtin or a typo
            else:
                qualname = pm.imports.qualname(base)
                if qualname is not None and _external(qualname):
                    return None
            assert self.project is not None
            sym = self.project.lookup_chain(pm if pm is not None else self._home(), parts)
            if sym is None or sym.kind != "class" or sym.module is (pm if pm is not None else self._home()):
                return None
            return self._model_class(sym)

        return resolve


def _external(qualname: str) -> bool:
    return qualname.split(".", 1)[0] in EXTERNAL
