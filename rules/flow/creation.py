"""Tensors and arrays made by creation calls: dtype, literal shape, device, requires_grad.

Public on purpose: ``creation_value`` / ``creation_shape`` are what the shape engine reuses
for ``torch.randn(6, 8)``-style inputs. Both take ``value_of``, a function from an argument
expression to its :class:`Value` (the flow analysis's, or :func:`literal_value_of` for
callers without flow facts).

Defaults verified with torch 2.x / numpy: ``torch.tensor([1, 2])`` int64,
``torch.tensor([1., 2.])`` float32 (the default dtype), ``torch.Tensor(...)`` float32,
``torch.full((3,), 1)`` int64, ``torch.arange(5)`` int64, ``torch.randint`` int64,
``np.zeros(3)`` float64, ``np.array([1., 2.])`` float64; ``np.array([1, 2])`` is int64 on
Linux but int32 on Windows with NumPy < 2, so it is left unknown.
"""
from __future__ import annotations

from typing import Callable, Optional

import libcst as cst

from ..astutil import get_arg, has_star_args, literal_value
from ..dtypes import DEFAULT_INT, FLOAT_FACTORIES, STRING_DTYPES, TENSOR_TYPES, arange_dtype, exact, literal_dtype
from ..dtypes import dtype_from_qualname  # noqa: F401 - scopes.py reads it from here
from ..shape_arith import arange_bounds
from ..size_product import Product
from .values import CONTIGUOUS, Kind, Value, const_value, number_kind

ValueOf = Callable[[cst.BaseExpression], Value]

# The spellings (torch / numpy / string dtypes, legacy typed constructors) are the shared
# dtype model's; ``scopes.py`` reads TYPE_OBJECTS and dtype_from_qualname from here.
TYPE_OBJECTS = TENSOR_TYPES  # tensor type objects used with .type(...)

_SIZE_FACTORIES = FLOAT_FACTORIES - {"linspace", "logspace", "eye"}
_LIKE = {"zeros_like", "ones_like", "empty_like", "rand_like", "randn_like", "full_like", "randint_like"}


def dtype_arg(value: Value, numpy: bool = False) -> tuple[bool, Optional[str]]:
    """Interpret a value given as ``dtype=``: (given, canonical dtype or None if unknown)."""
    if value.kind is Kind.NONE:
        return False, None
    if value.kind is Kind.DTYPE:
        return True, value.const
    if value.kind is Kind.STR and isinstance(value.const, str):
        return True, STRING_DTYPES.get(value.const)
    if value.kind is Kind.CLASS and value.spec in ("builtins.int", "builtins.float", "builtins.bool"):
        name = value.spec.rpartition(".")[2]
        if name == "float":
            return True, "float64"
        if name == "bool":
            return True, "bool"
        return True, (None if numpy else "int64")
    return True, None


def size_of(value: Value) -> Optional[tuple]:
    """A value used as a size: an int, or a tuple/list/torch.Size of ints."""
    if value.kind is Kind.INT:
        return (value.sym,) if value.sym is not None else None
    if value.kind in (Kind.TUPLE, Kind.LIST, Kind.SIZE) and value.items is not None:
        out = []
        for it in value.items:
            if it.kind is not Kind.INT or it.sym is None:
                return None
            out.append(it.sym)
        return tuple(out)
    return None


def sizes_from_args(call: cst.Call, start: int, value_of: ValueOf, kw: str = "size") -> Optional[tuple]:
    """Sizes passed as ``f(3, 4)``, ``f((3, 4))``, ``f([3, 4])``, ``f(x.shape)``, ``f(*x.shape)``
    (the one sequence unpacked: torch takes the sizes either way) or ``size=``."""
    if has_star_args(call):
        rest = [a for a in call.args if a.keyword is None][start:]
        if len(rest) == 1 and rest[0].star == "*" and not any(a.star == "**" for a in call.args):
            return size_of(value_of(rest[0].value))
        return None
    pos = [a for a in call.args if a.keyword is None][start:]
    named = get_arg(call, None, kw)
    if named is not None:
        return size_of(value_of(named.value))
    if not pos:
        return None
    if len(pos) == 1:
        return size_of(value_of(pos[0].value))
    out = []
    for a in pos:
        v = value_of(a.value)
        if v.kind is not Kind.INT or v.sym is None:
            return None
        out.append(v.sym)
    return tuple(out)


def data_facts(value: Value) -> tuple[Optional[tuple], Optional[str]]:
    """(shape, python element kind: "int" | "float" | "bool") of nested literal data."""
    if value.kind in (Kind.INT, Kind.FLOAT, Kind.BOOL):
        return (), value.kind.value
    if value.kind in (Kind.LIST, Kind.TUPLE) and value.items is not None:
        if not value.items:
            return (Product(0),), "float"
        shapes, kinds = set(), set()
        for it in value.items:
            s, k = data_facts(it)
            if s is None or k is None:
                return None, None
            shapes.add(s)
            kinds.add(k)
        if len(shapes) != 1:
            return None, None
        kind = "float" if "float" in kinds else ("int" if "int" in kinds else "bool")
        if "bool" in kinds and len(kinds) > 1:
            kind = "float" if "float" in kinds else "int"
        return (Product.of(len(value.items)),) + shapes.pop(), kind
    return None, None


def _kwarg(call: cst.Call, name: str, value_of: ValueOf) -> Optional[Value]:
    a = get_arg(call, None, name)
    return value_of(a.value) if a is not None else None


def _device(call: cst.Call, value_of: ValueOf) -> Optional[str]:
    v = _kwarg(call, "device", value_of)
    if v is None:
        return "cpu"
    return device_of(v)


def device_of(v: Value) -> Optional[str]:
    if v.kind is Kind.DEVICE:
        return v.const
    if v.kind is Kind.STR and isinstance(v.const, str):
        return v.const.split(":")[0] or None
    return None


def _grad(call: cst.Call, value_of: ValueOf) -> Optional[bool]:
    v = _kwarg(call, "requires_grad", value_of)
    if v is None:
        return False
    return v.const if v.kind is Kind.BOOL else None


def _tensor(dtype, shape, call, value_of, *, initialized=True, provenance="") -> Value:
    rg = _grad(call, value_of)
    return Value(Kind.TENSOR, dtype=dtype, shape=shape, layout=CONTIGUOUS, device=_device(call, value_of),
                 requires_grad=rg, is_leaf=True, initialized=initialized, provenance=provenance, origin=call)


def _explicit_dtype(call: cst.Call, value_of: ValueOf, numpy: bool = False) -> tuple[bool, Optional[str]]:
    v = _kwarg(call, "dtype", value_of)
    if v is None:
        return False, None
    return dtype_arg(v, numpy)


def creation_shape(qualname: Optional[str], call: cst.Call, value_of: ValueOf) -> Optional[tuple]:
    """Literal shape of a creation call (``torch.randn(6, 8)`` -> (6, 8)), else None."""
    v = creation_value(qualname, call, value_of, "float32")
    return v.shape if v is not None else None


def creation_value(qualname: Optional[str], call: cst.Call, value_of: ValueOf,
                   default_float: Optional[str] = "float32") -> Optional[Value]:
    """The tensor / ndarray a creation call returns, or None if ``qualname`` is not one.
    Storage and aliasing (``from_numpy``, ``as_tensor``) are the interpreter's business."""
    if not qualname:
        return None
    if qualname in TENSOR_TYPES:
        dt = TENSOR_TYPES[qualname]
        if qualname == "torch.Tensor" and default_float != "float32":
            dt = None
        args = [a for a in call.args if a.keyword is None]
        if has_star_args(call):
            return Value(Kind.TENSOR, dtype=dt, layout=CONTIGUOUS, provenance=qualname, origin=call)
        if not args:
            return _tensor(dt, (Product(0),), call, value_of, provenance=qualname)
        first = value_of(args[0].value)
        if first.kind is Kind.INT or (len(args) == 1 and first.kind is Kind.SIZE):
            return _tensor(dt, sizes_from_args(call, 0, value_of), call, value_of, initialized=False,
                           provenance=qualname)
        if first.kind in (Kind.LIST, Kind.TUPLE):
            shape, _ = data_facts(first)
            return _tensor(dt, shape, call, value_of, provenance=qualname)
        return Value(Kind.TENSOR, dtype=dt, layout=CONTIGUOUS, provenance=qualname, origin=call)
    mod, _, fn = qualname.rpartition(".")
    if mod == "torch":
        return _torch_creation(fn, qualname, call, value_of, default_float)
    if mod in ("numpy", "numpy.random"):
        return _numpy_creation(mod, fn, qualname, call, value_of)
    return None


def _torch_creation(fn, q, call, value_of, default_float) -> Optional[Value]:
    given, dt = _explicit_dtype(call, value_of)
    if fn == "tensor":
        data = get_arg(call, 0, "data")
        if data is None:
            return None
        dv = value_of(data.value)
        shape, elem = data_facts(dv)
        if dv.kind is Kind.NDARRAY or dv.kind is Kind.TENSOR:
            shape = dv.shape  # a copy of the array: its shape whatever dtype it is cast to
            if not given:
                dt = dv.dtype
        elif not given and elem is not None:
            dt = exact(literal_dtype([elem], default_float))
        return _tensor(dt, shape, call, value_of, provenance=q)
    if fn in _SIZE_FACTORIES:
        if not given:
            dt = default_float
        return _tensor(dt, sizes_from_args(call, 0, value_of), call, value_of,
                       initialized=(fn != "empty"), provenance=q)
    if fn == "full":
        shape_arg = get_arg(call, 0, "size")
        shape = size_of(value_of(shape_arg.value)) if shape_arg is not None else None
        if not given:
            fill = get_arg(call, 1, "fill_value")
            fv = value_of(fill.value) if fill is not None else None
            dt = exact(literal_dtype([number_kind(fv)], default_float)) if fv is not None else None
        return _tensor(dt, shape, call, value_of, provenance=q)
    if fn == "randint":
        pos = [a for a in call.args if a.keyword is None]
        shape = None
        size_kw = get_arg(call, None, "size")
        if size_kw is not None:
            shape = size_of(value_of(size_kw.value))
        elif pos and not has_star_args(call):
            shape = size_of(value_of(pos[-1].value)) if len(pos) >= 2 else None
        return _tensor(dt if given else DEFAULT_INT, shape, call, value_of, provenance=q)
    if fn == "randperm":
        n = get_arg(call, 0, "n")
        shape = size_of(value_of(n.value)) if n is not None else None
        return _tensor(dt if given else DEFAULT_INT, shape, call, value_of, provenance=q)
    if fn == "arange":
        bounds = arange_bounds([value_of(a.value) for a in call.args if a.keyword is None],
                               {a.keyword.value: value_of(a.value) for a in call.args if a.keyword is not None})
        vals = bounds if bounds is not None else []
        if not given:
            dt = exact(arange_dtype([number_kind(v) for v in vals], default_float)) if vals else None
        shape = None
        nums = [v.const for v in vals]
        if vals and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in nums) and len(nums) <= 3:
            start, end, step = (0, nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], nums[2] if len(nums) == 3 else 1)
            if step:
                import math
                shape = (Product.of(max(math.ceil((end - start) / step), 0)),)
        return _tensor(dt, shape, call, value_of, provenance=q)
    if fn in ("linspace", "logspace"):
        steps = get_arg(call, 2, "steps")
        shape = size_of(value_of(steps.value)) if steps is not None else None
        return _tensor(dt if given else default_float, shape, call, value_of, provenance=q)
    if fn == "eye":
        n = get_arg(call, 0, "n")
        m = get_arg(call, 1, "m")
        nv = value_of(n.value) if n is not None else None
        mv = value_of(m.value) if m is not None else nv
        shape = (nv.sym, mv.sym) if (nv and mv and nv.sym is not None and mv.sym is not None) else None
        return _tensor(dt if given else default_float, shape, call, value_of, provenance=q)
    if fn in _LIKE:
        src = get_arg(call, 0, "input")
        sv = value_of(src.value) if src is not None else Value()
        if not given:
            dt = sv.dtype if sv.kind is Kind.TENSOR else None
        out = _tensor(dt, sv.shape, call, value_of, initialized=(fn != "empty_like"), provenance=q)
        dev = _kwarg(call, "device", value_of)
        return out.evolve(device=sv.device if dev is None else device_of(dev), layout=None)
    return None


def _numpy_creation(mod, fn, q, call, value_of) -> Optional[Value]:
    given, dt = _explicit_dtype(call, value_of, numpy=True)

    def arr(dtype, shape):
        return Value(Kind.NDARRAY, dtype=dtype, shape=shape, device="cpu", provenance=q, origin=call,
                     initialized=(fn != "empty"))

    if mod == "numpy.random":
        if fn in ("rand", "randn"):
            return arr("float64", sizes_from_args(call, 0, value_of))
        if fn in ("random", "random_sample", "uniform", "normal"):
            s = get_arg(call, 0 if fn in ("random", "random_sample") else 2, "size")
            return arr("float64", size_of(value_of(s.value)) if s is not None else None)
        if fn == "randint":
            s = get_arg(call, 2, "size")
            return arr(dt if given else None, size_of(value_of(s.value)) if s is not None else None)
        return None
    if fn in ("zeros", "ones", "empty"):
        s = get_arg(call, 0, "shape")
        return arr(dt if given else "float64", size_of(value_of(s.value)) if s is not None else None)
    if fn == "full":
        s = get_arg(call, 0, "shape")
        if not given:
            fill = get_arg(call, 1, "fill_value")
            fv = value_of(fill.value) if fill is not None else None
            dt = {Kind.FLOAT: "float64", Kind.BOOL: "bool"}.get(fv.kind) if fv is not None else None
        return arr(dt, size_of(value_of(s.value)) if s is not None else None)
    if fn in ("array", "asarray", "ascontiguousarray"):
        d = get_arg(call, 0, "object" if fn == "array" else "a")
        if d is None:
            return None
        dv = value_of(d.value)
        shape, elem = data_facts(dv)
        if dv.kind in (Kind.NDARRAY, Kind.TENSOR):
            shape = dv.shape
            if not given:
                dt = dv.dtype
        elif not given:
            dt = {"float": "float64", "bool": "bool"}.get(elem or "")  # ints: platform dependent
        return arr(dt, shape)
    if fn == "arange":
        vals = [value_of(a.value) for a in call.args if a.keyword is None]
        if not given:
            dt = "float64" if any(v.kind is Kind.FLOAT for v in vals) else None
        return arr(dt, None)
    if fn in ("eye", "identity"):
        return arr(dt if given else "float64", None)
    if fn in ("linspace",):
        return arr(dt if given else "float64", None)
    return None


def literal_value_of(expr: cst.BaseExpression) -> Value:
    """A minimal ``value_of`` for callers without flow facts: literals only."""
    if isinstance(expr, (cst.Tuple, cst.List)):
        items = []
        for el in expr.elements:
            if isinstance(el, cst.StarredElement):
                return Value()
            items.append(literal_value_of(el.value))
        return Value(Kind.TUPLE if isinstance(expr, cst.Tuple) else Kind.LIST, items=tuple(items))
    v = literal_value(expr, _MISSING)
    if v is _MISSING:
        return Value()
    return const_value(v, expr)


_MISSING = object()


# ---------------------------------------------------------------------- NumPy's default integer
# ``np.array([1, 2])``, ``np.arange(5)``, ``dtype=int`` …: NumPy's default integer (C
# ``long`` before NumPy 2) is int64 on Linux and macOS but int32 on Windows with NumPy < 2.
# The flow values keep dtype None for these (the dtype rules stay as they are); this is a
# separate, positive answer for the rules that care about portability (PT003).
_PLATFORM_INT_NAMES = frozenset({"builtins.int", "numpy.int_"})
_PLATFORM_INT_STRINGS = frozenset({"int", "int_"})
_INT32_MAX = 2 ** 31 - 1
# NumPy functions whose result has the dtype of their first argument
_KEEPS_DTYPE = frozenset({"numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.repeat", "numpy.tile",
                          "numpy.concatenate", "numpy.squeeze", "numpy.reshape", "numpy.copy"})
_TAKES_DTYPE = frozenset({"numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.zeros", "numpy.ones",
                          "numpy.empty", "numpy.full", "numpy.arange", "numpy.random.randint"})


def platform_int_dtype(value: Value, qualname: Optional[str]) -> bool:
    """Whether a ``dtype=`` argument (value and qualified name of its expression) names
    NumPy's default integer: ``int``, ``np.int_``, ``"int"``. ``np.intp`` is pointer-sized
    (int64 on 64-bit Windows too), so it is not one."""
    if value.kind is Kind.CLASS and value.spec == "builtins.int":
        return True
    if value.kind is Kind.STR and value.const in _PLATFORM_INT_STRINGS:
        return True
    return qualname in _PLATFORM_INT_NAMES


def _small_ints(value: Value) -> bool:
    """A list / tuple (nested) whose elements are all ints that fit in int32: literal ones,
    or ``elem`` ints of unknown value (class labels are small)."""
    if value.kind is Kind.INT:
        return value.const is None or (isinstance(value.const, int) and abs(value.const) <= _INT32_MAX)
    if value.kind in (Kind.LIST, Kind.TUPLE):
        if value.items is not None:
            return bool(value.items) and all(_small_ints(v) for v in value.items)
        return value.elem is not None and _small_ints(value.elem)
    return False


def numpy_platform_int(qualname: Optional[str], call: cst.Call, value_of: ValueOf,
                       qualname_of: Callable[[cst.BaseExpression], Optional[str]],
                       platform_of: Callable[[cst.BaseExpression], bool]) -> bool:
    """Whether the NumPy call ``qualname(...)`` certainly returns an array of NumPy's
    default integer. ``platform_of(expr)`` answers the same for an array argument whose
    dtype the result keeps (``np.repeat(labels, k)``); ``qualname_of`` resolves a
    ``dtype=`` expression (``np.int_``)."""
    if has_star_args(call):
        return False
    dt = get_arg(call, None, "dtype")
    if dt is not None:
        return qualname in _TAKES_DTYPE and platform_int_dtype(value_of(dt.value), qualname_of(dt.value))
    pos = [a.value for a in call.args if a.keyword is None]
    if qualname == "numpy.random.randint":
        return True  # its default dtype is ``int``
    if qualname == "numpy.arange":
        return bool(pos) and all(value_of(p).kind is Kind.INT for p in pos)
    if qualname not in _KEEPS_DTYPE or not pos:
        return False
    first = pos[0]
    v = value_of(first)
    if v.kind is Kind.NDARRAY:
        return platform_of(first)
    if isinstance(first, cst.Call) and qualname_of(first.func) == "builtins.range":
        return qualname in ("numpy.array", "numpy.asarray", "numpy.repeat", "numpy.tile")
    return qualname != "numpy.concatenate" and _small_ints(v)
