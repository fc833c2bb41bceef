"""Model discovery: ``nn.Module`` subclasses defined in the file (with base classes of the
file or, through a resolver, of other project files), their instances (the ``self.*``
attributes their ``__init__`` assigns), and the module-level constants constructor
arguments may refer to."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional

import libcst as cst

from .values import UNKNOWN, Const, ContainerV, InstanceV, LayerV, Value

if TYPE_CHECKING:
    from ..engine import FileContext

MODULE_BASES = ("torch.nn.Module", "torch.nn.modules.module.Module")
# ``class ConvBNReLU(nn.Sequential)``: a model whose forward is its entries in order.
SEQUENTIAL_BASES = ("torch.nn.Sequential", "torch.nn.modules.container.Sequential")


@dataclass(eq=False)
class ModelClass:
    name: str
    node: cst.ClassDef
    bases: list["ModelClass"] = field(default_factory=list)  # model bases (this file's or another's), in order
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    sequential_base: bool = False  # a direct subclass of nn.Sequential

    @property
    def is_sequential(self) -> bool:
        return self.sequential_base or any(b.is_sequential for b in self.bases)

    def find(self, method: str) -> Optional[tuple["ModelClass", cst.FunctionDef]]:
        """Method lookup along the known MRO (depth-first is enough for single bases)."""
        if method in self.methods:
            return self, self.methods[method]
        for b in self.bases:
            hit = b.find(method)
            if hit is not None:
                return hit
        return None

    def next_after(self, owner: "ModelClass", method: str) -> Optional[tuple["ModelClass", cst.FunctionDef]]:
        """``super().<method>`` called from ``owner``'s method."""
        for b in owner.bases:
            hit = b.find(method)
            if hit is not None:
                return hit
        return None


class Instance:
    """One instantiation of a model class: the attributes ``__init__`` assigned.

    A construction may be deferred (:meth:`defer`): script code builds many models of other
    project files that nothing here ever runs with a known input (``model = UNet(3, 2)`` fed
    loader batches), and running each ``__init__`` was most of what reading other files
    cost. A deferred instance runs its ``__init__`` the first time anything asks what it
    holds (its attributes, whether it is complete)."""

    def __init__(self, cls: ModelClass, attrs: Optional[dict[str, Value]] = None, node: Optional[cst.Call] = None,
                 complete: bool = True, args: Optional[tuple[list, dict]] = None,
                 seq: Optional[ContainerV] = None) -> None:
        self.cls = cls
        self._attrs: dict[str, Value] = attrs if attrs is not None else {}
        self.node = node  # the constructor call, when there is one
        self._complete = complete  # False: __init__ did something we could not follow
        self.args = args  # the constructor arguments (abstract values)
        # An nn.Sequential subclass: its entries (super().__init__(*mods), add_module, self.x = mod).
        self.seq = seq
        self._pending: Optional[Callable[[], None]] = None

    def defer(self, construct: Callable[[], None]) -> None:
        self._pending = construct

    def _build(self) -> None:
        construct, self._pending = self._pending, None
        if construct is not None:
            construct()

    @property
    def attrs(self) -> dict[str, Value]:
        if self._pending is not None:
            self._build()
        return self._attrs

    @attrs.setter
    def attrs(self, value: dict[str, Value]) -> None:
        self._attrs = value

    @property
    def complete(self) -> bool:
        if self._pending is not None:
            self._build()
        return self._complete

    @complete.setter
    def complete(self, value: bool) -> None:
        self._complete = value


def walk_layers(root: Value, prefix: str = "", seen: Optional[set[int]] = None):
    """(qualified name, layer) for every layer reachable from a model, in definition order."""
    if seen is None:
        seen = set()
    if isinstance(root, LayerV):
        if id(root.layer) not in seen:
            seen.add(id(root.layer))
            yield prefix, root.layer
        return
    if isinstance(root, ContainerV):
        if id(root) in seen:
            return
        seen.add(id(root))
        for key, v in root.entries:
            yield from walk_layers(v, f"{prefix}.{key}" if prefix else key, seen)
        return
    if isinstance(root, InstanceV):
        inst = root.instance
        if id(inst) in seen:
            return
        seen.add(id(inst))
        if inst.seq is not None:
            seen.add(id(inst.seq))
            for key, v in inst.seq.entries:
                yield from walk_layers(v, f"{prefix}.{key}" if prefix else key, seen)
        for key, v in inst.attrs.items():
            yield from walk_layers(v, f"{prefix}.{key}" if prefix else key, seen)


# A base class that is neither torch's nor defined in the file (``class Net(_Block)`` with
# ``_Block`` imported from another project file): its model class, or None when unknown.
BaseResolver = Callable[[cst.BaseExpression], Optional[ModelClass]]


class FileIndex:
    """The classes, functions and constants of one file."""

    def __init__(self, ctx: "FileContext", resolve_base: Optional[BaseResolver] = None) -> None:
        self.ctx = ctx
        self.resolve_base = resolve_base
        self.classdefs: dict[str, cst.ClassDef] = {}
        self.functions: dict[str, cst.FunctionDef] = {}
        self.models: dict[str, ModelClass] = {}
        self.constants: dict[str, Value] = {}
        self._resolved: dict[int, Optional[ModelClass]] = {}
        self._collect(ctx.module.body)
        self._find_models()

    def _collect(self, body) -> None:
        for stmt in body:
            if isinstance(stmt, cst.ClassDef):
                self.classdefs.setdefault(stmt.name.value, stmt)
            elif isinstance(stmt, cst.FunctionDef):
                self.functions.setdefault(stmt.name.value, stmt)
            elif isinstance(stmt, cst.If):
                self._collect(stmt.body.body)
                if isinstance(stmt.orelse, cst.Else):
                    self._collect(stmt.orelse.body.body)
            elif isinstance(stmt, cst.Try):
                self._collect(stmt.body.body)

    def _find_models(self) -> None:
        changed = True
        while changed:
            changed = False
            for name, node in self.classdefs.items():
                if name in self.models:
                    continue
                bases: list[ModelClass] = []
                is_model = seq_base = False
                for arg in node.bases:
                    if arg.keyword is not None:
                        continue
                    q = self.ctx.qualname(arg.value)
                    if q in MODULE_BASES:
                        is_model = True
                    elif q in SEQUENTIAL_BASES:
                        is_model = seq_base = True
                    elif isinstance(arg.value, cst.Name) and arg.value.value in self.models:
                        bases.append(self.models[arg.value.value])
                        is_model = True
                    elif (imported := self._imported_base(arg.value)) is not None:
                        bases.append(imported)
                        is_model = True
                if is_model:
                    methods = {s.name.value: s for s in node.body.body if isinstance(s, cst.FunctionDef)}
                    self.models[name] = ModelClass(name, node, bases, methods, seq_base)
                    changed = True

    def _imported_base(self, base: cst.BaseExpression) -> Optional[ModelClass]:
        """A base from another file; a name this file defines as a class is never one
        (it is an in-file base, or not a model yet on this pass)."""
        if self.resolve_base is None or (isinstance(base, cst.Name) and base.value in self.classdefs):
            return None
        key = id(base)
        if key not in self._resolved:
            self._resolved[key] = self.resolve_base(base)
        return self._resolved[key]

    def set_constant(self, name: str, value: Value) -> None:
        if name in self.constants and not (isinstance(value, Const) and isinstance(self.constants[name], Const)
                                           and self.constants[name].value == value.value):
            self.constants[name] = UNKNOWN  # assigned twice: not a constant
        else:
            self.constants[name] = value
