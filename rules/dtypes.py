"""The one dtype model of the analysis core: the canonical names, every spelling that
names one (``torch.long``, ``np.float32``, ``"f4"``, ``torch.LongTensor``, ``.half()``),
and the dtype rules both interpreters (``rules/flow`` and ``rules/shapes``) apply: type
promotion, true division, the functions that always give a floating result, reduction
accumulators and creation defaults.

A dtype is its canonical name as torch prints it without ``torch.`` (``"float32"``,
``"int64"``, ``"bool"`` …; NumPy arrays use the same names), or ``None`` when it is not
known. One more value, :data:`SOME_FLOAT`, says "a floating dtype of unknown width" (the
output of a layer whose parameters' dtype is not followed, ``torch.randn`` after
``torch.set_default_dtype``): enough for the rules that ask whether a tensor is floating,
never shown as an exact dtype. Every rule here answers ``None`` rather than guess.

Pure: no libcst, no torch (the static path never imports torch). ``tests/test_dtypes.py``
checks the rules against torch itself (``torch.result_type``, ``torch.promote_types``).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Iterable, Optional

# ---------------------------------------------------------------------- names
FLOATING = frozenset({"float16", "bfloat16", "float32", "float64"})
INTEGRAL = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})
COMPLEX = frozenset({"complex64", "complex128"})
EXACT = FLOATING | INTEGRAL | COMPLEX | {"bool"}
DEFAULT_FLOAT = "float32"  # torch's default dtype unless torch.set_default_dtype changes it
DEFAULT_INT = "int64"  # a Python int in a tensor (torch.tensor([1, 2]), torch.full(s, 1), 2 * x)
SOME_FLOAT = "floating"  # a floating dtype whose width is not known
INDEX_DTYPES = frozenset({"int64", "int32"})  # what Embedding / index_select accept as indices
# uint16/32/64 are "shell" dtypes: torch refuses to promote them with any other dtype but a float
_SHELL_UINTS = frozenset({"uint16", "uint32", "uint64"})
_WIDTH = {"bool": 1, "uint8": 8, "int8": 8, "int16": 16, "int32": 32, "int64": 64, "uint16": 16, "uint32": 32,
          "uint64": 64, "float16": 16, "bfloat16": 16, "float32": 32, "float64": 64, "complex64": 64,
          "complex128": 128}

# ---------------------------------------------------------------------- spellings
# ``torch.<name>`` dtype objects
TORCH_DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16",
    "int64": "int64", "long": "int64", "int32": "int32", "int": "int32", "int16": "int16",
    "short": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
    "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128", "cdouble": "complex128",
    "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
}
# ``numpy.<name>`` (None: NumPy's default integer, int64 or int32 by platform and version)
NUMPY_DTYPES = {
    "float32": "float32", "single": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "int64": "int64", "longlong": "int64", "int32": "int32",
    "intc": "int32", "int16": "int16", "short": "int16", "int8": "int8", "byte": "int8", "uint8": "uint8",
    "ubyte": "uint8", "bool_": "bool", "bool": "bool", "float_": "float64", "complex64": "complex64",
    "complex128": "complex128", "int_": None, "intp": None, "uint16": "uint16", "uint32": "uint32",
    "uint64": "uint64",
}
# dtype strings (``dtype="f4"``, ``.astype("float")``: NumPy's reading)
STRING_DTYPES = {
    "float32": "float32", "f4": "float32", "float64": "float64", "f8": "float64", "double": "float64",
    "float16": "float16", "f2": "float16", "int64": "int64", "i8": "int64", "int32": "int32", "i4": "int32",
    "int16": "int16", "int8": "int8", "uint8": "uint8", "u1": "uint8", "bool": "bool", "float": "float64",
    "bfloat16": "bfloat16",
}
# legacy typed constructors and the type objects of ``x.type(torch.LongTensor)``
TENSOR_TYPES = {
    "torch.Tensor": "float32", "torch.FloatTensor": "float32", "torch.DoubleTensor": "float64",
    "torch.HalfTensor": "float16", "torch.BFloat16Tensor": "bfloat16", "torch.LongTensor": "int64",
    "torch.IntTensor": "int32", "torch.ShortTensor": "int16", "torch.CharTensor": "int8",
    "torch.ByteTensor": "uint8", "torch.BoolTensor": "bool",
    "torch.cuda.FloatTensor": "float32", "torch.cuda.LongTensor": "int64", "torch.cuda.IntTensor": "int32",
    "torch.cuda.DoubleTensor": "float64", "torch.cuda.HalfTensor": "float16",
}
# tensor cast methods: ``x.float()`` -> float32 …
CAST_METHODS = {
    "float": "float32", "double": "float64", "half": "float16", "bfloat16": "bfloat16", "long": "int64",
    "int": "int32", "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool",
}


def dtype_from_qualname(q: Optional[str]) -> tuple[bool, Optional[str]]:
    """(is a dtype, canonical name) for ``torch.float32`` / ``numpy.int32`` qualified names."""
    if not q:
        return False, None
    mod, _, name = q.rpartition(".")
    if mod == "torch" and name in TORCH_DTYPES:
        return True, TORCH_DTYPES[name]
    if mod == "numpy" and name in NUMPY_DTYPES:
        return True, NUMPY_DTYPES[name]
    return False, None


# A file that calls one of these may change the default float (float64 …): its Python floats
# and float factories are then floating of unknown width.
DEFAULT_DTYPE_SETTERS = ("set_default_dtype", "set_default_tensor_type")


def file_default_float(text: str) -> Optional[str]:
    """The default float of a file's tensors: float32, or None when the file may change it."""
    return None if any(s in text for s in DEFAULT_DTYPE_SETTERS) else DEFAULT_FLOAT


# ---------------------------------------------------------------------- categories
def is_floating(dtype: Optional[str]) -> bool:
    """A floating dtype, exact or :data:`SOME_FLOAT` (not complex, as ``is_floating_point``)."""
    return dtype in FLOATING or dtype == SOME_FLOAT


def is_integral(dtype: Optional[str], include_bool: bool = False) -> bool:
    return dtype in INTEGRAL or (include_bool and dtype == "bool")


def exact(dtype: Optional[str]) -> Optional[str]:
    """The dtype when it is an exact name, else None (:data:`SOME_FLOAT` included)."""
    return dtype if dtype in EXACT else None


def category(dtype: Optional[str]) -> Optional[int]:
    """bool 0 < integral 1 < floating 2 < complex 3; None when unknown."""
    if dtype == "bool":
        return 0
    if dtype in INTEGRAL:
        return 1
    if is_floating(dtype):
        return 2
    if dtype in COMPLEX:
        return 3
    return None


def describe(dtype: str, zh: bool) -> str:
    """How a message names a dtype: the exact name, or "浮点" / "floating" for SOME_FLOAT."""
    if dtype == SOME_FLOAT:
        return "浮点" if zh else "floating"
    return dtype


# ---------------------------------------------------------------------- promotion
def promote_types(a: Optional[str], b: Optional[str]) -> Optional[str]:
    """``torch.promote_types(a, b)``; None when either is unknown or torch refuses."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca is None or cb is None:
        return None
    if (a in _SHELL_UINTS or b in _SHELL_UINTS) and 2 not in (ca, cb):
        return None  # "Promotion for uint16, uint32, uint64 types is not supported"
    if ca != cb:
        (hi, chi), (lo, clo) = sorted(((a, ca), (b, cb)), key=lambda p: -p[1])
        if chi in (1, 2):
            return hi  # the higher category's dtype: an int beats bool, any float beats ints
        if clo == 2:  # complex with a float: the complex type wide enough for both
            if hi == "complex128" or lo == "float64":
                return "complex128"
            return hi if lo != SOME_FLOAT else None
        return hi
    if SOME_FLOAT in (a, b):
        return "float64" if "float64" in (a, b) else SOME_FLOAT
    if ca == 1:
        signed = [d for d in (a, b) if d.startswith("int")]
        if len(signed) == 1:  # uint8 with a signed int: the signed int, at least int16
            return "int16" if signed[0] == "int8" else signed[0]
    if {a, b} == {"float16", "bfloat16"}:
        return "float32"
    return max(a, b, key=lambda d: _WIDTH[d])


def _to_complex(dtype: str) -> Optional[str]:
    return {"float32": "complex64", "float64": "complex128"}.get(dtype)


def _combine(higher: Optional[str], lower: Optional[str]) -> Optional[str]:
    """torch's ``combine_categories`` (TypeProperties.cpp): operands of a higher priority
    class (tensors with dims > zero-dim tensors > Python scalars) keep their dtype unless a
    lower class brings a higher category. "" stands for "no operand of this class"."""
    if higher == "":
        return lower
    if lower == "":
        return higher
    if higher in COMPLEX:
        return higher
    if higher is None or lower is None:
        return None  # an unknown dtype may bring a higher category (or lose to one)
    if lower in COMPLEX:
        if is_floating(higher):
            return _to_complex(higher)
        return lower
    if is_floating(higher):
        return higher
    if higher == "bool" or is_floating(lower):
        return promote_types(higher, lower)
    return higher


@dataclass(frozen=True)
class Operand:
    """One input of an arithmetic operation: a tensor / array of ``dtype`` (``zero_dim``:
    whether it is 0-dimensional, None when its rank is unknown), or a Python scalar
    (``scalar``: "int" | "float" | "bool")."""

    dtype: Optional[str] = None
    zero_dim: Optional[bool] = None
    scalar: Optional[str] = None


def tensor_operand(dtype: Optional[str], rank: Optional[int] = None) -> Operand:
    return Operand(dtype, None if rank is None else rank == 0)


def scalar_operand(kind: str) -> Operand:
    return Operand(scalar=kind)


def default_floating(default_float: Optional[str]) -> str:
    """The dtype of a Python float or a float factory: the file's default float, else
    :data:`SOME_FLOAT` (``torch.set_default_dtype`` only takes floating dtypes)."""
    return default_float or SOME_FLOAT


def _scalar_dtype(kind: str, default_float: Optional[str]) -> Optional[str]:
    if kind == "bool":
        return "bool"
    if kind == "int":
        return DEFAULT_INT
    if kind == "float":
        return default_floating(default_float)
    return None


def _result_type(ops: Iterable[tuple[Optional[str], str]]) -> Optional[str]:
    """ops: (dtype, class) with class "dim" | "zero" | "wrapped"."""
    state = {"dim": "", "zero": "", "wrapped": ""}
    for dt, cls in ops:
        cur = state[cls]
        if cur == "":
            state[cls] = dt
        elif cur is not None:
            state[cls] = promote_types(cur, dt)
    return _combine(state["dim"], _combine(state["zero"], state["wrapped"]))


def result_type(operands: Iterable[Operand], default_float: Optional[str] = DEFAULT_FLOAT) -> Optional[str]:
    """``torch.result_type`` of the operands. A tensor whose rank is unknown may be
    0-dimensional (a ``loss``, ``x.sum()``): the answer is given only when both readings
    agree. A Python float stands for the default dtype (``default_float``; None: set by
    ``torch.set_default_dtype``, so only "floating" is known)."""
    ops = list(operands)
    readings = []
    for o in ops:
        if o.scalar is not None:
            readings.append([(_scalar_dtype(o.scalar, default_float), "wrapped")])
        elif o.zero_dim is None:
            readings.append([(o.dtype, "dim"), (o.dtype, "zero")])
        else:
            readings.append([(o.dtype, "zero" if o.zero_dim else "dim")])
    answers = {_result_type(choice) for choice in product(*readings)}
    if len(answers) != 1:
        return None
    out = answers.pop()
    return None if out == "" else out


def true_divide(dtype: Optional[str], default_float: Optional[str] = DEFAULT_FLOAT) -> Optional[str]:
    """The dtype of ``a / b`` whose operands promote to ``dtype``: integers and bools divide
    into the default float."""
    if dtype == "bool" or dtype in INTEGRAL:
        return default_floating(default_float)
    return dtype


def binary_result(a: Operand, b: Operand, *, divide: bool = False,
                  default_float: Optional[str] = DEFAULT_FLOAT) -> Optional[str]:
    """The dtype of ``a <op> b`` for a tensor and a tensor or Python scalar (``divide``: ``/``)."""
    out = result_type((a, b), default_float)
    return true_divide(out, default_float) if divide else out


def concat_result(dtypes: Iterable[Optional[str]]) -> Optional[str]:
    """``torch.cat`` / ``torch.stack`` of tensors of these dtypes (all have dims: promote)."""
    out: Optional[str] = ""
    for dt in dtypes:
        out = dt if out == "" else promote_types(out, dt)
        if out is None:
            return None
    return out or None


# NumPy arrays: NEP 50 (NumPy 2) promotion for the cases the analysis meets; a Python
# float with an integer array gives float64, NumPy's default float.
def numpy_binary_result(a: Operand, b: Operand, *, divide: bool = False) -> Optional[str]:
    arrays = [o for o in (a, b) if o.scalar is None]
    scalars = [o for o in (a, b) if o.scalar is not None]
    if not arrays or any(o.dtype is None for o in arrays):
        return None
    if scalars:
        t, s = arrays[0].dtype, scalars[0].scalar
        if category(t) is None or category(t) == 3:
            return t if category(t) == 3 else None
        if (s == "float" or divide) and category(t) < 2:
            return "float64"
        if s == "int" and t == "bool":
            return "int64"
        return t
    x, y = arrays[0].dtype, arrays[1].dtype
    if x == y:
        return "float64" if divide and category(x) in (0, 1) else x
    out = promote_types(x, y)
    if out is None or out in _SHELL_UINTS and x != y:
        return None
    return "float64" if divide and category(out) in (0, 1) else out


# ---------------------------------------------------------------------- operations
# Functions and methods whose result is floating for an integer or bool input (the default
# float) and keep a floating input's dtype; softmax-like ones raise on integers instead.
FLOAT_RESULT = frozenset({
    "softmax", "log_softmax", "softmin", "sigmoid", "tanh", "exp", "log", "sqrt", "rsqrt", "sin", "cos",
    "erf", "log1p", "expm1", "reciprocal", "logsigmoid", "gelu", "silu", "softplus", "normalize", "mish",
    "elu", "selu", "celu",
})
# Reductions that accumulate integers and bools in int64
INT64_ACCUMULATE = frozenset({"sum", "prod", "cumsum", "cumprod", "nansum"})
# Results that are int64 indices whatever the input
INDEX_RESULT = frozenset({"argmax", "argmin", "argsort", "nonzero", "count_nonzero", "multinomial"})


def float_result(dtype: Optional[str], default_float: Optional[str] = DEFAULT_FLOAT) -> Optional[str]:
    """The dtype of a :data:`FLOAT_RESULT` function of a tensor of ``dtype``."""
    if dtype == "bool" or dtype in INTEGRAL:
        return default_floating(default_float)
    return dtype


def reduction_result(name: str, dtype: Optional[str]) -> Optional[str]:
    """The dtype of ``x.<name>()`` for a reduction or index result of a tensor of ``dtype``
    (``sum`` of ints: int64; ``argmax``: int64; ``all``/``any``: bool; else the input's)."""
    if name in INDEX_RESULT:
        return "int64"
    if name in ("all", "any"):
        return "uint8" if dtype == "uint8" else "bool"  # uint8 keeps its dtype (legacy masks)
    if name in INT64_ACCUMULATE and (dtype == "bool" or dtype in INTEGRAL):
        return "int64"
    return dtype


def python_kind(value: object) -> Optional[str]:
    """"int" | "float" | "bool" for a Python number, else None."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return None


def literal_dtype(kinds: Iterable[Optional[str]], default_float: Optional[str] = DEFAULT_FLOAT) -> Optional[str]:
    """The dtype torch gives a tensor of Python numbers of these kinds (``torch.tensor``,
    ``torch.full``'s fill value, ``torch.arange``'s bounds): any float -> the default float,
    else any int -> int64, all bools -> bool; an element of unknown kind -> None."""
    ks = set(kinds)
    if not ks or None in ks or not ks <= {"int", "float", "bool"}:
        return None
    if "float" in ks:
        return default_floating(default_float)
    if "int" in ks:
        return DEFAULT_INT
    return "bool"


def arange_dtype(kinds: Iterable[Optional[str]], default_float: Optional[str] = DEFAULT_FLOAT) -> Optional[str]:
    """``torch.arange(...)``: int64 when every bound is an int, the default float when one is
    a float, unknown when a bound is unknown (never a guess)."""
    ks = list(kinds)
    if "float" in ks:
        return default_floating(default_float)
    if ks and all(k == "int" for k in ks):
        return DEFAULT_INT
    return None


# creation functions whose result has the default float dtype unless ``dtype=`` says otherwise
FLOAT_FACTORIES = frozenset({"zeros", "ones", "empty", "rand", "randn", "linspace", "logspace", "eye"})
