"""What the shape interpreter knows about an expression's value."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Optional

import libcst as cst

from ..dtypes import DEFAULT_FLOAT
from .dims import Dim, Shape

if TYPE_CHECKING:
    from .layers import Layer
    from .models import Instance, ModelClass


class Value:
    """Base of every abstract value."""


class _Unknown(Value):
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True, eq=False)
class Const(Value):
    """A Python constant: int, float, bool, str, None (tuples are :class:`Seq`)."""

    value: Any


@dataclass(frozen=True, eq=False)
class DimV(Value):
    """An integer that is a tensor's size: ``x.size(0)``, ``x.shape[1]``.
    ``src`` = (step id, dim index) when it is exactly one dim of a recorded step."""

    dim: Dim
    src: Optional[tuple[int, int]] = None


@dataclass(frozen=True, eq=False)
class ShapeV(Value):
    """``x.shape`` / ``x.size()``."""

    shape: Optional[Shape]
    step: Optional[int] = None


@dataclass(frozen=True, eq=False)
class Note:
    """A shape-changing call whose result was thrown away (``x.view(-1, 400)`` as a
    statement): the tensor still has its old shape, and messages say why."""

    node: cst.CSTNode
    zh: str  # how to name the call, e.g. "x.view(-1, 400)"
    en: str


@dataclass(frozen=True, eq=False)
class TensorV(Value):
    shape: Optional[Shape]
    dtype: Optional[str] = None  # rules/dtypes.py's name: "float32", "int64" … or SOME_FLOAT; None: unknown
    step: Optional[int] = None  # the step of the forward graph that produced it
    literal: bool = False  # made by a literal creation call (torch.randn(1, 3, 32, 32))
    ref: Optional[tuple[int, tuple[int, ...]]] = None  # (step, path) for an element of a tuple result
    note: Optional[Note] = None
    sample: str = ""  # one sample of this dataset ("datasets.MNIST": ``ds[0][0]``): no batch dimension

    def but(self, **kw: Any) -> "TensorV":
        return replace(self, **kw)


@dataclass(frozen=True, eq=False)
class DatasetV(Value):
    """A torchvision dataset built in this file: indexing or iterating it gives one
    ``(image, label)`` sample, the image ``sample`` shaped (C, H, W) when its transform is
    known to keep the size (else of unknown shape, still one sample, not a batch)."""

    sample: Optional[Shape]
    node: cst.CSTNode
    name: str  # "datasets.MNIST"
    dtype: str = DEFAULT_FLOAT  # ToTensor gives the default float

    def item(self) -> "Seq":
        return Seq((TensorV(self.sample, dtype=self.dtype if self.sample is not None else None, sample=self.name),
                    UNKNOWN))


@dataclass(frozen=True, eq=False)
class Seq(Value):
    """A tuple or list of values (also a layer or function returning several tensors)."""

    items: tuple[Value, ...]
    is_list: bool = False
    step: Optional[int] = None  # the step whose outputs these are
    path: tuple[int, ...] = ()  # where inside that step's outputs


@dataclass(frozen=True, eq=False)
class LayerV(Value):
    layer: "Layer"


@dataclass(eq=False)
class ContainerV(Value):
    """``nn.Sequential`` / ``nn.ModuleList``: ordered (key, value) entries."""

    kind: str  # "sequential" | "list"
    entries: list[tuple[str, Value]]
    node: Optional[cst.CSTNode] = None
    name: Optional[str] = None


@dataclass(frozen=True, eq=False)
class InstanceV(Value):
    instance: "Instance"


@dataclass(frozen=True, eq=False)
class ClassRef(Value):
    """A model class defined in the file, not yet called."""

    model: "ModelClass"


@dataclass(frozen=True, eq=False)
class SelfRef(Value):
    instance: "Instance"


@dataclass(frozen=True, eq=False)
class FuncRef(Value):
    """A qualified torch callable, or a method bound to ``self``."""

    qualname: str


def is_tensor(v: Value) -> bool:
    return isinstance(v, TensorV)


def as_int(v: Value) -> Optional[int]:
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return v.value
    if isinstance(v, DimV) and isinstance(v.dim, int):
        return v.dim
    return None


def py(v: Value, default: Any = None) -> Any:
    """Python value of a constant (tuples of constants included); ``default`` otherwise."""
    if isinstance(v, Const):
        return v.value
    if isinstance(v, DimV) and isinstance(v.dim, int):
        return v.dim
    if isinstance(v, Seq):
        out = []
        for it in v.items:
            x = py(it, _MISSING)
            if x is _MISSING:
                return default
            out.append(x)
        return list(out) if v.is_list else tuple(out)
    return default


_MISSING = object()
MISSING = _MISSING


def same_value(a: Value, b: Value) -> bool:
    if a is b:
        return True
    if isinstance(a, Const) and isinstance(b, Const):
        return type(a.value) is type(b.value) and a.value == b.value
    if isinstance(a, TensorV) and isinstance(b, TensorV):
        return a.shape == b.shape and a.dtype == b.dtype and a.step == b.step
    if isinstance(a, DimV) and isinstance(b, DimV):
        return a.dim == b.dim and a.src == b.src
    if isinstance(a, Seq) and isinstance(b, Seq):
        return len(a.items) == len(b.items) and all(same_value(x, y) for x, y in zip(a.items, b.items))
    return False


def join(a: Value, b: Value) -> Value:
    """What is known whichever of two paths ran."""
    if same_value(a, b):
        return a
    if isinstance(a, TensorV) and isinstance(b, TensorV):
        shape = a.shape if a.shape == b.shape else None
        # A dataset sample on either path: maybe no batch dimension (never taken for a batch).
        return TensorV(shape, a.dtype if a.dtype == b.dtype else None, sample=a.sample or b.sample)
    return UNKNOWN
