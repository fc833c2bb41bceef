"""Small abstract values and the execution frame of the shape interpreter (see
``interp.py``); kept apart so the statement and call halves can share them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import libcst as cst

from .values import MISSING, ClassRef, Const, ContainerV, InstanceV, LayerV, SelfRef, Seq, TensorV, Value, py

if TYPE_CHECKING:
    from .layers import ArgSource
    from .models import Instance, ModelClass


class Budget(Exception):
    """The file is too big or too convoluted to follow: give up quietly."""


class DType(str):
    """A torch dtype object (``torch.long``, ``x.dtype``): its name in the one dtype model
    (``rules/dtypes.py``), exact or ``SOME_FLOAT``."""


@dataclass(eq=False)
class MethodV(Value):
    inst: Instance
    owner: ModelClass
    fn: cst.FunctionDef


@dataclass(eq=False)
class SuperV(Value):
    inst: Instance
    owner: ModelClass


@dataclass(eq=False)
class FunctionV(Value):
    fn: cst.FunctionDef


@dataclass(eq=False)
class TransformV(Value):
    keeps_size: bool
    makes_tensor: bool


@dataclass(eq=False)
class ODictV(Value):
    pairs: list[tuple[str, Value]]


@dataclass(eq=False)
class DictV(Value):
    """A dict with constant keys (``CFGS = {"A": [...]}``, a function's ``**kwargs``)."""

    items: dict[Any, Value]


@dataclass(eq=False)
class LayerClassV(Value):
    """A torch.nn layer class not yet called (``norm_layer = nn.BatchNorm2d``)."""

    short: str
    qualname: str


@dataclass
class Frame:
    env: dict[str, Value]
    mode: str  # init | forward | script
    inst: Optional[Instance] = None
    owner: Optional[ModelClass] = None
    returns: list[Value] = field(default_factory=list)
    # An ``__init__`` run for an instance construction: its parameters bound from an int
    # literal (at the call or as the default), name -> (the value bound, where it is
    # written); and the interpreter's loop depth when the function started.
    sources: dict[str, tuple[Value, "ArgSource"]] = field(default_factory=dict)
    loops: int = 0
    # The module's own frame: elsewhere (a function, a method) every name a statement assigns
    # is a local, so one we did not follow is unknown there even before it was ever bound
    # (``for x, y in loader:`` must not leave the module's ``x`` visible).
    module: bool = False


# Elementwise functions: the output has the (broadcast) input's shape.


def truth(v: Value) -> Optional[bool]:
    if isinstance(v, Const):
        try:
            return bool(v.value)
        except Exception:
            return None
    if isinstance(v, (LayerV, ContainerV, InstanceV, SelfRef, ClassRef, TensorV)) and not isinstance(v, TensorV):
        return True
    if isinstance(v, Seq):
        return bool(v.items)
    return None


def _num(v: Value) -> Any:
    x = py(v, MISSING)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return x
