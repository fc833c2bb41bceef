"""Layer specs: a constructor call's facts, and the transfer function that maps input
shapes to output shapes (or to the error PyTorch would raise).

Each family lives in its own module (``conv``, ``basic``, ``recurrent``) and registers
its classes here by their short name (``Conv2d``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import libcst as cst

from ..dtypes import SOME_FLOAT, is_floating
from .dims import Shape
from .values import MISSING, UNKNOWN, Const, DimV, Seq, TensorV, Value, py


@dataclass
class Problem:
    """What PyTorch would raise. ``zh``/``en`` complete the sentence that starts with
    where the tensor came from: "conv2 输出 (N, 16, 4, 4) → 展平得 256，但 <zh>"."""

    zh: str
    en: str
    # A structural fix the rule may offer: (parameter name, the value it should have).
    fix: Optional[tuple[str, int]] = None
    # True: the sentence stands alone (no "where the tensor came from" prefix).
    standalone: bool = False
    # The constructor parameter that is wrong (the finding points at its argument); ``fix``'s
    # parameter when not given. None: no single argument is wrong (a missing flatten).
    arg: Optional[str] = None
    symbolic: bool = False  # the mismatch is between size expressions (c // r vs c)


@dataclass
class DroppedDim:
    label_zh: str  # 行 / 列 / 帧 / 个元素
    label_en: str
    size: int
    formula: str  # (H + 2P − D·(K − 1) − 1) % S with numbers
    remainder: int
    lost: int  # real input positions never covered (remainder minus right padding)


@dataclass
class ArgSource:
    """Where the number of a layer's argument is written when the layer is built in a
    block's ``__init__`` from one of its parameters, used unchanged: the int literal
    given for that parameter at the block's construction (``ConvBNReLU(32, 64)``, or
    ``in_c=32`` there), else the parameter's default (``def __init__(self, in_c=32)``)."""

    node: cst.BaseExpression  # an int literal, or arithmetic on int literals
    param: str  # the block's parameter
    fn: cst.FunctionDef  # the block's __init__
    default: bool  # the literal is the default in the signature


@dataclass
class Outcome:
    out: Value
    problem: Optional[Problem] = None
    formula: Optional[str] = None
    dropped: list[DroppedDim] = field(default_factory=list)


class Layer:
    """A layer built from a constructor call; subclasses implement :meth:`apply`."""

    SIGNATURE: tuple[tuple[str, Any], ...] = ()  # (name, default); REQUIRED for none
    type_name: str = ""

    def __init__(self, type_name: str, qualname: str, node: Optional[cst.Call], p: dict[str, Value],
                 args_json: list, kwargs_json: dict, literal: bool, opts: Optional[dict[str, Any]] = None,
                 given: frozenset[str] = frozenset()) -> None:
        self.opts = opts or {}
        self.given = given  # the parameters the call writes out (the others have their defaults)
        self.type_name = type_name
        self.qualname = qualname
        self.node = node
        self.bound = p
        self.args_json = args_json
        self.kwargs_json = kwargs_json
        self.literal = literal
        self.name: Optional[str] = None
        # constructor parameter -> where its number is written, when not in this call
        self.sources: dict[str, ArgSource] = {}
        self.setup()

    # ---------------------------------------------------------------- helpers for subclasses
    def setup(self) -> None:
        """Read ``self.p`` into typed attributes (None where unknown)."""

    def int_(self, key: str) -> Optional[int]:
        v = self.bound.get(key, UNKNOWN)
        x = py(v, MISSING)
        if isinstance(x, bool) or not isinstance(x, int):
            return None
        return x

    def dim_(self, key: str) -> Any:
        """An int parameter as a dim: the int, a SymDim for a symbolic size, else None."""
        from .symbolic import SymDim, SymInt

        x = self.int_(key)
        if x is not None:
            return x
        v = self.bound.get(key)
        return SymDim(v.expr) if isinstance(v, SymInt) else None

    def sym_mismatch(self, got: Any, key: str) -> Optional[tuple[str, str]]:
        """(zh, en) condition when ``got`` (the input's size) differs from parameter ``key``
        for every value of the symbols (or all but one exception); None otherwise."""
        from .symbolic import SymDim, always_differs, as_expr

        want = self.dim_(key)
        if not isinstance(got, SymDim) and not isinstance(want, SymDim):
            return None
        a, b = as_expr(got), as_expr(want)
        if a is None or b is None:
            return None
        verdict = always_differs(a, b)
        if verdict is None:
            return None
        return verdict.zh(str(got), str(want)), verdict.en(str(got), str(want))

    def bool_(self, key: str) -> Optional[bool]:
        x = py(self.bound.get(key, UNKNOWN), MISSING)
        return x if isinstance(x, bool) else None

    def val(self, key: str) -> Any:
        """The Python value, or MISSING when not a constant."""
        return py(self.bound.get(key, UNKNOWN), MISSING)

    def tuple_(self, key: str, n: int) -> Optional[tuple[int, ...]]:
        return as_tuple(self.val(key), n)

    @classmethod
    def signature_for(cls, short: str, opts: dict[str, Any]) -> Sequence[tuple[str, Any]]:
        return cls.SIGNATURE

    @property
    def label(self) -> str:
        """How messages name the layer: ``conv1``, ``features.3``, or ``[3] Linear`` for an
        entry of a top-level Sequential."""
        if self.name is None:
            return self.type_name
        if self.name.isdigit():
            return f"[{self.name}] {self.type_name}"
        return self.name

    def attr_zh(self, a: str) -> str:
        return f"{self.name}.{a}" if self.name and not self.name.isdigit() else f"{self.label} 的 {a}"

    def attr_en(self, a: str) -> str:
        return f"{self.name}.{a}" if self.name and not self.name.isdigit() else f"{a} of {self.label}"

    def params(self) -> Optional[int]:
        return 0

    def construct_problem(self) -> Optional[Problem]:
        """An error raised by the constructor itself (e.g. groups divisibility)."""
        return None

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        raise NotImplementedError

    def apply_call(self, inputs: Sequence[Value], kwargs: dict[str, Value]) -> Outcome:
        """A call with keyword arguments (only those in ``tables.LAYER_CALL_KWARGS``)."""
        return self.apply(inputs)


REQUIRED = object()


def as_tuple(x: Any, n: int) -> Optional[tuple[int, ...]]:
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return (x,) * n
    if isinstance(x, (tuple, list)) and len(x) == n and all(isinstance(i, int) and not isinstance(i, bool) for i in x):
        return tuple(x)
    return None


def input_shape(v: Value) -> Optional[Shape]:
    return v.shape if isinstance(v, TensorV) else None


def floating_like(x: Optional[Value]) -> str:
    """The dtype of a parameterised layer's output: its parameters' dtype, which a floating
    input must share (torch raises otherwise), else a float of unknown width
    (``model.double()`` is not followed)."""
    dtype = getattr(x, "dtype", None)
    return dtype if is_floating(dtype) else SOME_FLOAT


def tensor(shape: Optional[Shape], like: Optional[Value] = None, dtype: Optional[str] = None) -> TensorV:
    if dtype is None and isinstance(like, TensorV):
        dtype = like.dtype
    return TensorV(shape, dtype)


# ---------------------------------------------------------------------- registry
LayerFactory = Callable[..., Layer]
REGISTRY: dict[str, tuple[type[Layer], dict[str, Any]]] = {}


def register(cls: type[Layer], *names: str, **options: Any) -> None:
    for n in names:
        REGISTRY[n] = (cls, options)


def layer_class_name(qualname: Optional[str]) -> Optional[str]:
    """``torch.nn.Conv2d`` / ``torch.nn.modules.conv.Conv2d`` → ``Conv2d`` when known."""
    if not qualname or not qualname.startswith("torch.nn."):
        return None
    head, _, short = qualname.rpartition(".")
    if head != "torch.nn" and not head.startswith("torch.nn.modules"):
        return None
    _ensure_loaded()
    return short if short in REGISTRY else None


_loaded = False


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        from . import attention, basic, conv, recurrent  # noqa: F401  (they register their families)

        _loaded = True


def json_arg(v: Value, src: str) -> Any:
    """A constructor / call argument as literal JSON, or {"unknown": source text}."""
    x = py(v, MISSING)
    if x is MISSING:
        if isinstance(v, DimV) and v.src is not None:
            return {"size_of": v.src[0], "dim": v.src[1]}
        return {"unknown": src}
    return _jsonable(x)


def _jsonable(x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return [_jsonable(i) for i in x]
    return x


def bind(signature: Sequence[tuple[str, Any]], args: Sequence[Value],
         kwargs: dict[str, Value]) -> Optional[dict[str, Value]]:
    """Arguments to parameters; None when the call does not fit the signature."""
    names = [n for n, _ in signature]
    if len(args) > len(names):
        return None
    out: dict[str, Value] = {}
    for n, v in zip(names, args):
        out[n] = v
    for k, v in kwargs.items():
        if k not in names or k in out:
            return None
        out[k] = v
    for n, default in signature:
        if n not in out:
            if default is REQUIRED:
                return None
            out[n] = Const(default) if not isinstance(default, tuple) else Seq(tuple(Const(d) for d in default))
    return out


def build_layer(short: str, qualname: str, node: Optional[cst.Call], args: Sequence[Value],
                kwargs: dict[str, Value], args_json: list, kwargs_json: dict) -> Optional[Layer]:
    """A Layer for a known class, or None when the call does not fit its signature."""
    _ensure_loaded()
    entry = REGISTRY.get(short)
    if entry is None:
        return None
    cls, options = entry
    signature = cls.signature_for(short, options)
    p = bind(signature, args, kwargs)
    if p is None:
        return None
    literal = all(not (isinstance(a, dict) and "unknown" in a) for a in [*args_json, *kwargs_json.values()])
    given = frozenset(name for name, _ in signature[:len(args)]) | frozenset(kwargs)
    return cls(short, qualname, node, p, args_json, kwargs_json, literal, options, given)


class OpaqueLayer(Layer):
    """A torch.nn module we do not model: its output shape is unknown."""

    @classmethod
    def signature_for(cls, short, opts):  # type: ignore[override]
        return ()

    def params(self) -> Optional[int]:
        return None

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        return Outcome(TensorV(None))
