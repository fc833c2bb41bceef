"""The names the shape interpreter knows: elementwise functions and methods, reductions,
tensor creation, functional pooling, summaries, in-place methods, limits. Casts and every
other dtype fact are the one dtype model's (``rules/dtypes.py``)."""
from __future__ import annotations

ELEMENTWISE_FN = {
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh", "softplus",
    "softsign", "hardtanh", "hardswish", "hardsigmoid", "logsigmoid", "softmax", "log_softmax", "softmin",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "normalize",
    "exp", "log", "abs", "neg", "sqrt", "rsqrt", "square", "sin", "cos", "clamp", "clip", "sign", "erf",
    "tanhshrink", "softshrink", "hardshrink", "threshold", "rrelu", "prelu", "clone", "detach", "contiguous",
    "reciprocal", "floor", "ceil", "round", "log1p", "expm1", "swish", "nan_to_num",
}
ELEMENTWISE_METHODS = ELEMENTWISE_FN | {
    "relu_", "sigmoid_", "tanh_", "clamp_", "abs_", "neg_", "exp_", "mul_", "add_", "sub_", "div_", "pow",
    "cpu", "cuda", "requires_grad_", "retain_grad", "float", "double", "half", "bfloat16", "long", "int", "bool",
    "short", "byte", "char", "to", "type_as", "zero_", "fill_", "normal_", "uniform_", "masked_fill", "masked_fill_",
    "pin_memory", "sigmoid", "numpy",
}
BINARY_FN = {"add": "+", "sub": "-", "subtract": "-", "mul": "*", "multiply": "*", "div": "/", "divide": "/",
             "true_divide": "/", "pow": "**", "maximum": "max", "minimum": "min", "where": None}
CREATION = {"randn", "rand", "zeros", "ones", "empty", "randint", "full", "tensor", "arange", "eye", "randperm",
            "linspace", "zeros_like", "ones_like", "randn_like", "rand_like", "empty_like", "full_like",
            "randint_like", "as_tensor", "FloatTensor", "LongTensor", "Tensor"}
# Functional pooling: (layer class, parameter order after the input).
F_POOL = {}
for _n in (1, 2, 3):
    F_POOL[f"max_pool{_n}d"] = (f"MaxPool{_n}d", ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                                  "return_indices"))
    F_POOL[f"avg_pool{_n}d"] = (f"AvgPool{_n}d", ("kernel_size", "stride", "padding", "ceil_mode",
                                                  "count_include_pad") + (("divisor_override",) if _n > 1 else ()))
    F_POOL[f"adaptive_avg_pool{_n}d"] = (f"AdaptiveAvgPool{_n}d", ("output_size",))
    F_POOL[f"adaptive_max_pool{_n}d"] = (f"AdaptiveMaxPool{_n}d", ("output_size", "return_indices"))
SUMMARIES = {"torchsummary.summary", "torchsummary.torchsummary.summary", "torchinfo.summary",
             "torchinfo.torchinfo.summary"}
MODEL_CHAIN = {"to", "cuda", "cpu", "eval", "train", "float", "double", "half", "requires_grad_", "apply",
               "share_memory", "bfloat16"}
SHAPE_METHODS = {"view", "reshape", "flatten", "squeeze", "unsqueeze", "permute", "transpose", "t", "unflatten",
                 "contiguous", "view_as", "reshape_as", "expand", "repeat"}
MAX_UNROLL = 64
MAX_NESTED_UNROLL = 256  # nested unrolled loops multiply; beyond this a loop is not unrolled
MAX_DEPTH = 12
SCRIPT_CALL_DEPTH = 3  # nested calls of module-level functions followed from script code

OPERATORS = {"Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//", "Modulo": "%",
             "Power": "**", "MatrixMultiply": "@"}
_ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
          "//": lambda a, b: a // b, "%": lambda a, b: a % b,
          "**": lambda a, b: a ** b if abs(b) < 64 else (_ for _ in ()).throw(OverflowError())}
MATH_FUNCTIONS = {"sqrt", "ceil", "floor", "log", "log2", "log10", "exp", "pow", "gcd", "isqrt", "prod", "trunc"}
# In-place tensor methods that keep the shape; any other ``x.<name>_()`` may change it.
SAME_SHAPE_INPLACE = {
    "add_", "sub_", "mul_", "div_", "pow_", "sqrt_", "exp_", "log_", "abs_", "neg_", "relu_", "sigmoid_", "tanh_",
    "clamp_", "clip_", "fill_", "zero_", "normal_", "uniform_", "random_", "bernoulli_", "exponential_", "copy_",
    "masked_fill_", "masked_scatter_", "requires_grad_", "floor_", "ceil_", "round_", "sign_", "reciprocal_",
    "addcmul_", "addcdiv_", "lerp_", "detach_", "share_memory_", "clamp_min_", "clamp_max_", "fill_diagonal_",
    "index_fill_", "scatter_", "scatter_add_", "index_add_", "index_copy_", "put_", "map_", "apply_",
    "log_softmax_", "softmax_", "cauchy_", "geometric_", "log_normal_", "erf_", "sin_", "cos_", "square_",
}
# Positional arguments a layer call may have that the transfer functions understand.
LAYER_ARITY = {"RNN": 2, "LSTM": 2, "GRU": 2, "Bilinear": 2, "MultiheadAttention": 3,
               "TransformerEncoderLayer": 2, "TransformerEncoder": 2}
# Keyword arguments of a layer call that the transfer functions understand (masks keep shapes).
LAYER_CALL_KWARGS = {
    "MultiheadAttention": ("key_padding_mask", "need_weights", "attn_mask", "average_attn_weights", "is_causal"),
    "TransformerEncoderLayer": ("src_mask", "src_key_padding_mask", "is_causal"),
    "TransformerEncoder": ("mask", "src_key_padding_mask", "is_causal"),
}
MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "add", "setdefault"}
