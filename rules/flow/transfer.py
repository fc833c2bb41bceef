"""Tables of what PyTorch / NumPy operations do to the facts. Adding a name here
improves every rule that asks the flow analysis."""
from __future__ import annotations

import re

from .values import Kind, Value

# Re-layout views (handled one by one in the interpreter)
RELAYOUT_METHODS = frozenset({
    "t", "transpose", "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "narrow", "unfold",
    "expand", "expand_as", "view", "view_as", "reshape", "reshape_as", "flatten", "contiguous", "squeeze",
    "unsqueeze", "select", "unbind", "split", "chunk", "tensor_split", "detach", "clone",
})
RELAYOUT_ATTRS = frozenset({"T", "mT", "mH", "H", "data"})
# torch.<fn>(tensor, ...) spellings of the methods above
TORCH_FUNCTION_METHODS = frozenset({
    "transpose", "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "narrow", "t", "reshape", "flatten",
    "squeeze", "unsqueeze", "select", "unbind", "split", "chunk", "tensor_split", "detach", "clone",
})

# Pointwise ops: the result keeps the strides of a dense input (TensorIterator), shape and dtype
POINTWISE_METHODS = frozenset({
    "abs", "neg", "negative", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "rsqrt",
    "sigmoid", "tanh", "relu", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "sign", "sgn",
    "floor", "ceil", "round", "trunc", "frac", "reciprocal", "square", "pow", "clamp", "clip", "clamp_min",
    "clamp_max", "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "remainder",
    "fmod", "maximum", "minimum", "lerp", "erf", "erfinv", "logit", "nan_to_num", "where", "atan2",
    "hypot", "addcmul", "addcdiv", "flip", "conj", "positive", "deg2rad", "rad2deg", "signbit",
})
# Comparison-like pointwise ops: bool result
POINTWISE_BOOL = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "logical_not",
                            "logical_and", "logical_or", "logical_xor", "isclose"})
POINTWISE_FUNCTIONS = frozenset({
    "torch.nn.functional." + n for n in (
        "relu", "relu6", "gelu", "silu", "elu", "leaky_relu", "selu", "celu", "softplus", "mish", "hardswish",
        "hardsigmoid", "hardtanh", "sigmoid", "tanh", "dropout", "logsigmoid", "softsign", "tanhshrink",
        "threshold", "rrelu", "hardshrink", "softshrink")
} | {"torch." + n for n in POINTWISE_METHODS} | {"torch.special.expit", "torch.special.logit"})

SOFT_PRODUCERS = frozenset({
    "softmax", "log_softmax", "sigmoid", "one_hot", "normalize", "gumbel_softmax", "softmin",
})

# Results that are freshly allocated, row-major
CONTIGUOUS_RESULT_METHODS = frozenset({"matmul", "mm", "bmm", "new_zeros", "new_ones", "new_empty", "new_full",
                                       "new_tensor", "repeat", "tril", "triu", "contiguous"})
CONTIGUOUS_RESULT_FUNCTIONS = frozenset({"torch.matmul", "torch.mm", "torch.bmm", "torch.einsum"})

# ndarray methods that reduce (NumPy's own list; tensors' are shape_arith.REDUCTION_ARGS)
NDARRAY_REDUCTIONS = frozenset({"sum", "mean", "prod", "std", "var", "max", "min", "cumsum", "cumprod"})

# Tensor in-place methods whose "_" does not mean "writes the data"
NOT_DATA_WRITES = frozenset({"requires_grad_", "share_memory_", "retain_grad_", "pin_memory_", "rename_",
                             "refine_names_", "detach_"})
# In-place methods that change a tensor's metadata (shape/strides), not only its data
RELAYOUT_INPLACE = frozenset({"t_", "transpose_", "swapaxes_", "swapdims_", "unsqueeze_", "squeeze_", "resize_",
                              "resize_as_", "set_", "as_strided_"})
# ndarray methods that write in place
NDARRAY_INPLACE = frozenset({"fill", "sort", "put", "itemset", "partition", "resize", "setfield", "clip_"})
# numpy functions that write their first argument
# PaddlePaddle's zero_grad (``optimizer.clear_grad()``, ``clear_gradients()`` before 2.0): a
# paddle loop pasted beside torch code clears its gradients with these. torch has neither
# method, so taking them for a clearing only ever silences.
CLEARING_ALIASES = frozenset({"clear_grad", "clear_gradients"})
NUMPY_WRITE_FIRST = frozenset({"numpy.copyto", "numpy.random.shuffle", "numpy.fill_diagonal", "numpy.put",
                               "numpy.place", "numpy.putmask", "numpy.random.Generator.shuffle"})
# ndarray methods / functions returning views of the same memory
NDARRAY_VIEWS = frozenset({"T", "transpose", "view", "swapaxes", "squeeze", "reshape", "ravel", "real", "imag"})
NDARRAY_COPIES = frozenset({"copy", "astype", "flatten", "tolist", "tobytes", "round", "clip", "cumsum"})
# Metadata reads: using these does not read the data
METADATA_ATTRS = frozenset({"shape", "dtype", "device", "ndim", "is_leaf", "requires_grad", "grad_fn", "is_cuda",
                            "layout", "itemsize", "nbytes", "size", "names", "strides", "flags"})
METADATA_METHODS = frozenset({"size", "dim", "ndimension", "numel", "nelement", "is_contiguous", "element_size",
                              "stride", "data_ptr", "get_device", "is_floating_point", "type_as_str"})

LOSS_CLASSES = frozenset({"torch.nn.CrossEntropyLoss", "torch.nn.NLLLoss"})
GRAD_SCALERS = frozenset({"torch.cuda.amp.GradScaler", "torch.amp.GradScaler", "torch.GradScaler",
                          "torch.cpu.amp.GradScaler", "torch.amp.grad_scaler.GradScaler"})
# Python builtins that neither mutate their arguments nor return them
PURE_BUILTINS = frozenset({
    "print", "len", "isinstance", "issubclass", "str", "repr", "float", "int", "bool", "type", "id", "hash",
    "range", "enumerate", "zip", "sorted", "sum", "min", "max", "abs", "round", "format", "hasattr", "getattr",
    "tuple", "list", "set", "dict", "any", "all", "map", "filter", "reversed", "iter", "next", "divmod", "pow",
    "callable", "vars", "dir", "super", "open", "chr", "ord", "hex", "bin", "oct", "frozenset",
})

_OPT_TOKEN = re.compile(r"[A-Za-z]+")


def looks_like_optimizer(key: str | None) -> bool:
    """Names people give optimizers: opt, optim, optimizer, optimizer_G, opt_d, g_optimizer,
    self.optimizer_ …; not schedulers."""
    if not key:
        return False
    last = key.split(".")[-1].lower()
    if "sched" in last or last.startswith("lr") or "scaler" in last:
        return False
    if "optim" in last:
        return True
    words = [w for w in re.split(r"[^a-z]+", last) if w]
    return any(w in ("opt", "optg", "optd", "opts") for w in words)


def looks_like_scaler(key: str | None) -> bool:
    return bool(key) and "scaler" in key.split(".")[-1].lower()  # type: ignore[union-attr]


# Gradient-mode contexts and decorators, the one table of them: gradients are off inside
# these. ``set_grad_enabled`` switches by a value: grad_mode.py treats a file that calls it
# as one where gradients may be off anywhere.
NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                              "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode"})


def tensor_exponent(name: str, exponent: Value) -> bool:
    """``pow`` with a tensor exponent broadcasts the two (``(N, 1) ** (3,)`` is ``(N, 3)``, the
    polynomial features of PyTorch's own tutorial), in ``x.pow(p)`` and ``torch.pow(x, p)``
    alike; a number exponent keeps the shape, and ``pow_`` keeps its receiver."""
    return name == "pow" and exponent.kind is Kind.TENSOR
