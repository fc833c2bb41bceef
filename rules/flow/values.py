"""What the flow analysis knows about one value: its kind, dtype, shape, memory layout,
storage alias group and where it came from.

Values are immutable. ``None`` in a field always means "not known"; :func:`join` keeps a
fact only when both sides agree, which is how branches and loop iterations merge.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Callable, Optional

import libcst as cst

from ..dtypes import COMPLEX, FLOATING, INTEGRAL, is_floating  # noqa: F401 - the one dtype model; re-exported
from ..size_product import Product, size_of


class Kind(str, Enum):
    UNKNOWN = "unknown"
    TENSOR = "tensor"
    NDARRAY = "ndarray"
    MODULE = "module"  # an nn.Module instance (layer or model)
    LOSS = "loss"  # an nn.*Loss instance; spec holds the class
    OPTIMIZER = "optimizer"  # torch.optim.* instance; params_of holds what it optimises
    SCHEDULER = "scheduler"  # torch.optim.lr_scheduler.* instance, or a transformers schedule (schedulers.py)
    GRAD_SCALER = "grad_scaler"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STR = "str"
    NONE = "none"
    TUPLE = "tuple"
    LIST = "list"
    SIZE = "size"  # a tensor's .shape / .size(): items are INT values
    DTYPE = "dtype"  # a torch or numpy dtype object; const holds its canonical name
    DEVICE = "device"
    FUNCTION = "function"  # a function defined in this file; func holds the FunctionDef
    CLASS = "class"  # a class defined in this file
    OBJECT = "object"  # ``self`` inside a method of a class of this file
    DATASET = "dataset"  # a torch.utils.data dataset (datasets.py); elem holds one sample when known
    LOADER = "loader"  # a DataLoader; elem holds one batch when known

    @property
    def is_array(self) -> bool:
        return self in (Kind.TENSOR, Kind.NDARRAY)


NUMBERS = (Kind.INT, Kind.FLOAT, Kind.BOOL)  # Python numbers


def number_kind(v: "Value") -> Optional[str]:
    """"int" | "float" | "bool" for a Python number (``rules/dtypes.py``'s scalar kinds), else None."""
    return v.kind.value if v.kind in NUMBERS else None


# ---------------------------------------------------------------------- symbolic sizes
# A flow shape is a tuple of ``Product`` (rules/size_product.py), known in every dim or not
# at all. Flow's symbols are ``(anchor, i)`` keys and two different products are taken for
# different sizes above 1: that is what makes the layout checks decidable.


def sizes_of(shape: tuple) -> tuple:
    """A shape as ``shape_arith`` sizes: literal sizes as ints, a lone symbol as its key, a
    product of symbols as itself (equal sizes are equal)."""
    return tuple(size_of(d) for d in shape)


def shape_of_sizes(sizes: Optional[tuple]) -> Optional[tuple]:
    """``shape_arith`` sizes back as a shape of Products; None when one is unknown (a flow
    shape is known in every dim or not at all)."""
    if sizes is None or any(s is None for s in sizes):
        return None
    return tuple(product_of_size(s) for s in sizes)


def product_of_size(size: Any) -> Product:
    """One known ``shape_arith`` size as a flow dim."""
    if isinstance(size, Product):
        return size
    return Product.of(size) if isinstance(size, int) else Product.sym(size)


def resized(shape: Optional[tuple], sizes_fn: Callable[..., Optional[tuple]], *args: Any) -> Optional[tuple]:
    """A flow shape through one of ``shape_arith``'s dim re-orderings (``permute_sizes``,
    ``drop_dim`` …); None when the shape is unknown or the dims asked for do not exist."""
    if shape is None:
        return None
    return shape_of_sizes(sizes_fn(sizes_of(shape), *args))


def shape_str(shape: Optional[tuple]) -> str:
    if shape is None:
        return "?"
    inner = ", ".join(str(d.coef) if d.is_int else "?" for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


# ---------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Layout:
    """Memory layout of a tensor.

    ``contiguous`` True: row-major dense (what ``.contiguous()`` returns).
    Otherwise the layout is "strided": ``dims`` lists (size, stride) per dimension, both
    :class:`Product` (or None when unknown), relative to a row-major base; when the rank is
    unknown ``dims`` is None and ``min_breaks`` is a lower bound on the number of places
    where neighbouring dims cannot be merged by ``.view``. ``origin`` is the operation that
    made the tensor non-contiguous (transpose, permute, slicing…), ``reason`` its kind.
    """

    contiguous: bool
    dims: Optional[tuple] = None  # tuple[(Product|None, Product|None), ...]
    dense: Optional[bool] = None  # non-overlapping and dense (a permutation of a contiguous block)
    min_breaks: int = 0
    origin: Optional[cst.CSTNode] = field(default=None, repr=False)
    reason: str = ""

    @property
    def rank(self) -> Optional[int]:
        return None if self.dims is None else len(self.dims)


CONTIGUOUS = Layout(True, dense=True)


# ---------------------------------------------------------------------- chains
@dataclass(frozen=True)
class Chain:
    """How a tensor is rebuilt from literals for the runtime probe (``chain.py``): a fresh
    row-major tensor of ``shape`` (literal ints) and ``dtype``, then ``links`` in order —
    ``("method", name, args, kwargs)`` or ``("attr", name)`` with literal arguments.
    ``end`` is the node that produced the value the chain describes."""

    shape: tuple
    dtype: str
    links: tuple = ()
    end: Optional[cst.CSTNode] = field(default=None, repr=False)


# ---------------------------------------------------------------------- values
@dataclass(frozen=True)
class Value:
    kind: Kind = Kind.UNKNOWN
    # tensors / arrays
    dtype: Optional[str] = None  # canonical name: "int64", "float32", "bool", … (numpy and torch alike)
    shape: Optional[tuple] = None  # tuple[Product, ...] when the rank is known
    layout: Optional[Layout] = None  # tensors only; None: unknown
    storage: Optional[Any] = None  # alias group: views, .numpy(), from_numpy share it
    device: Optional[str] = None  # "cpu" | "cuda" | "mps" | None
    requires_grad: Optional[bool] = None
    is_leaf: Optional[bool] = None
    initialized: Optional[bool] = None  # False for torch.empty / torch.Tensor(3, 4)
    bridge: Optional[cst.CSTNode] = field(default=None, repr=False)  # the .numpy()/from_numpy()/as_tensor() call that made this alias
    anchor: Optional[Any] = None  # names the dims of a tensor whose shape is unknown: Product.sym((anchor, i))
    # provenance
    origin: Optional[cst.CSTNode] = field(default=None, repr=False)  # the node that produced this value
    provenance: Optional[str] = None  # qualified name or ".method" of the producing operation
    # python objects
    const: Any = None  # literal int/float/str/bool value, dtype name for DTYPE, device for DEVICE
    sym: Optional[Product] = None  # INT values: the size they stand for (from x.shape, x.size(i), literals)
    items: Optional[tuple] = None  # TUPLE / LIST / SIZE elements (Values)
    elem: Optional["Value"] = None  # what iterating / unpacking gives when items are unknown
    spec: Optional[str] = None  # MODULE/LOSS/OPTIMIZER/SCHEDULER: qualified name of the constructor
    params_of: Optional[str] = None  # OPTIMIZER: key of the module whose parameters it holds
    # OPTIMIZER over several modules' parameters (``itertools.chain(G.parameters(), D.parameters())``): their keys
    params_parts: Optional[tuple] = None
    owner: Optional[str] = None  # a parameter tensor from ``for p in m.parameters()``: key of m
    func: Optional[cst.CSTNode] = field(default=None, repr=False)  # FUNCTION: FunctionDef; CLASS / OBJECT: ClassDef
    chain: Optional[Chain] = field(default=None, repr=False)  # TENSOR: how to rebuild it from literals (chain.chain_of)
    # TENSOR: a sample or DataLoader batch of a dataset: the dataset's tensor it comes from
    dataset_tensor: Optional["Value"] = field(default=None, repr=False)

    # -- convenience -------------------------------------------------------------------
    @property
    def rank(self) -> Optional[int]:
        return None if self.shape is None else len(self.shape)

    @property
    def is_tensor(self) -> bool:
        return self.kind is Kind.TENSOR

    @property
    def is_known(self) -> bool:
        return self.kind is not Kind.UNKNOWN

    def dim(self, i: int) -> Optional[Product]:
        """Size of dim ``i`` (negative allowed) as a Product, or None."""
        if self.shape is not None:
            if -len(self.shape) <= i < len(self.shape):
                return self.shape[i]
            return None
        if self.anchor is not None and i >= 0:
            return Product.sym((self.anchor, i))
        return None

    def evolve(self, **changes: Any) -> "Value":
        """``dataclasses.replace`` without re-running ``__init__`` over every field: the
        interpreter evolves values on almost every step (measured: 11 µs a call with
        ``replace``, the largest single cost of the flow's own code after the parse)."""
        if not _FIELD_NAMES.issuperset(changes):
            raise TypeError(f"Value has no field {sorted(set(changes) - _FIELD_NAMES)}")
        new = object.__new__(Value)
        fields_of = new.__dict__
        fields_of.update(self.__dict__)
        fields_of.update(changes)
        return new


_FIELD_NAMES = frozenset(f.name for f in fields(Value))
UNKNOWN = Value()
# What a name holds after its statement could not be interpreted, or an expression nested
# deeper than we follow: not a tensor we know anything about (methods on it give unknowns).
OPAQUE = Value(Kind.UNKNOWN, provenance="?opaque")


def const_value(v: Any, node: Optional[cst.CSTNode] = None) -> Value:
    if v is None:
        return Value(Kind.NONE, origin=node)
    if isinstance(v, bool):
        return Value(Kind.BOOL, const=v, origin=node)
    if isinstance(v, int):
        return Value(Kind.INT, const=v, sym=Product.of(v), origin=node)
    if isinstance(v, float):
        return Value(Kind.FLOAT, const=v, origin=node)
    if isinstance(v, str):
        return Value(Kind.STR, const=v, origin=node)
    return Value(origin=node)


def _join_items(a: Optional[tuple], b: Optional[tuple]) -> Optional[tuple]:
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(join(x, y) for x, y in zip(a, b))


def join(a: Optional[Value], b: Optional[Value]) -> Value:
    """Least upper bound: a fact survives only if both sides agree. ``None`` is bottom
    (a path that never produced the value)."""
    if a is None:
        return b if b is not None else UNKNOWN
    if b is None or a is b or a == b:
        return a
    if a.kind is not b.kind:
        return UNKNOWN
    return Value(
        kind=a.kind,
        dtype=a.dtype if a.dtype == b.dtype else None,
        shape=a.shape if a.shape == b.shape else None,
        layout=a.layout if a.layout == b.layout else None,
        storage=a.storage if a.storage == b.storage else None,
        device=a.device if a.device == b.device else None,
        requires_grad=a.requires_grad if a.requires_grad == b.requires_grad else None,
        is_leaf=a.is_leaf if a.is_leaf == b.is_leaf else None,
        initialized=a.initialized if a.initialized == b.initialized else None,
        bridge=a.bridge if a.bridge is b.bridge else None,
        anchor=a.anchor if a.anchor == b.anchor else None,
        origin=a.origin if a.origin is b.origin else None,
        provenance=a.provenance if a.provenance == b.provenance else None,
        const=a.const if (type(a.const) is type(b.const) and a.const == b.const) else None,
        sym=a.sym if a.sym == b.sym else None,
        items=_join_items(a.items, b.items),
        elem=join(a.elem, b.elem) if (a.elem is not None and b.elem is not None) else None,
        spec=a.spec if a.spec == b.spec else None,
        params_of=a.params_of if a.params_of == b.params_of else None,
        params_parts=a.params_parts if a.params_parts == b.params_parts else None,
        owner=a.owner if a.owner == b.owner else None,
        func=a.func if a.func is b.func else None,
        chain=a.chain if a.chain == b.chain else None,
        dataset_tensor=a.dataset_tensor if a.dataset_tensor == b.dataset_tensor else None,
    )
