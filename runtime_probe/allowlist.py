"""What the probe may rebuild: the allow-list.

Every name that ends up in a snippet comes from these tables, never from the user's
file: a layer type, function or method that is not listed here makes the model
unverifiable. Parameter names are listed so that a keyword argument is only ever
emitted under a name PyTorch documents (``device``/``dtype`` are left out on purpose:
the probe chooses the device, and a dtype is not a literal)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallSpec:
    qualname: str
    params: tuple[str, ...]  # positional-or-keyword names, in order (for keyword checks)
    returns_tuple: bool = False


def _table(spec: str, prefix: str, **tuple_returning: bool) -> dict[str, CallSpec]:
    out: dict[str, CallSpec] = {}
    for line in spec.strip().splitlines():
        names, _, params = line.partition(":")
        for name in names.split():
            qual = prefix + name
            out[qual] = CallSpec(qual, tuple(params.split()), tuple_returning.get(name, False))
    return out


_CONV = "in_channels out_channels kernel_size stride padding dilation groups bias padding_mode"
_CONVT = "in_channels out_channels kernel_size stride padding output_padding groups bias dilation padding_mode"
_NORM = "num_features eps momentum affine track_running_stats bias"
_RNN = "input_size hidden_size num_layers nonlinearity bias batch_first dropout bidirectional"

# torch.nn layer constructors (Module classes) and their constructor parameters.
LAYERS = _table(f"""
Conv1d Conv2d Conv3d: {_CONV}
ConvTranspose1d ConvTranspose2d ConvTranspose3d: {_CONVT}
Linear: in_features out_features bias
Bilinear: in1_features in2_features out_features bias
Identity:
Flatten: start_dim end_dim
Unflatten: dim unflattened_size
MaxPool1d MaxPool2d MaxPool3d: kernel_size stride padding dilation return_indices ceil_mode
AvgPool1d: kernel_size stride padding ceil_mode count_include_pad
AvgPool2d AvgPool3d: kernel_size stride padding ceil_mode count_include_pad divisor_override
AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d: output_size
AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d: output_size return_indices
LPPool1d LPPool2d: norm_type kernel_size stride ceil_mode
BatchNorm1d BatchNorm2d BatchNorm3d InstanceNorm1d InstanceNorm2d InstanceNorm3d: {_NORM}
LayerNorm: normalized_shape eps elementwise_affine bias
RMSNorm: normalized_shape eps elementwise_affine
GroupNorm: num_groups num_channels eps affine bias
LocalResponseNorm: size alpha beta k
Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout: p inplace
RReLU: lower upper inplace
ReLU ReLU6 SELU SiLU Mish Hardswish Hardsigmoid: inplace
LeakyReLU: negative_slope inplace
ELU CELU: alpha inplace
GELU: approximate
Sigmoid Tanh Softsign Tanhshrink LogSigmoid Softmax2d:
Hardtanh: min_val max_val inplace
Softplus: beta threshold
Softshrink Hardshrink: lambd
Threshold: threshold value inplace
PReLU: num_parameters init
GLU Softmax LogSoftmax Softmin: dim
Embedding: num_embeddings embedding_dim padding_idx max_norm norm_type scale_grad_by_freq sparse
RNN GRU: {_RNN}
LSTM: {_RNN} proj_size
RNNCell: input_size hidden_size bias nonlinearity
LSTMCell GRUCell: input_size hidden_size bias
Upsample: size scale_factor mode align_corners recompute_scale_factor
UpsamplingNearest2d UpsamplingBilinear2d: size scale_factor
PixelShuffle: upscale_factor
PixelUnshuffle: downscale_factor
ChannelShuffle: groups
ZeroPad1d ZeroPad2d ZeroPad3d ReflectionPad1d ReflectionPad2d ReflectionPad3d: padding
ReplicationPad1d ReplicationPad2d ReplicationPad3d CircularPad1d CircularPad2d CircularPad3d: padding
ConstantPad1d ConstantPad2d ConstantPad3d: padding value
Fold: output_size kernel_size dilation padding stride
Unfold: kernel_size dilation padding stride
CosineSimilarity: dim eps
PairwiseDistance: p eps keepdim
CrossEntropyLoss: weight size_average ignore_index reduce reduction label_smoothing
NLLLoss: weight size_average ignore_index reduce reduction
MSELoss L1Loss SoftMarginLoss: size_average reduce reduction
BCELoss: weight size_average reduce reduction
BCEWithLogitsLoss: weight size_average reduce reduction pos_weight
SmoothL1Loss: size_average reduce reduction beta
HuberLoss: reduction delta
KLDivLoss: size_average reduce reduction log_target
MultiheadAttention: embed_dim num_heads dropout bias add_bias_kv add_zero_attn kdim vdim batch_first
TransformerEncoderLayer: d_model nhead dim_feedforward dropout activation layer_norm_eps batch_first norm_first bias
TransformerEncoder: encoder_layer num_layers norm enable_nested_tensor mask_check
""", "torch.nn.", RNN=True, LSTM=True, GRU=True, LSTMCell=True, MultiheadAttention=True)

# Layers whose result is a tuple only when a flag says so.
TUPLE_WHEN = {
    **{f"torch.nn.MaxPool{d}d": "return_indices" for d in (1, 2, 3)},
    **{f"torch.nn.AdaptiveMaxPool{d}d": "return_indices" for d in (1, 2, 3)},
}

_LOSS = "target size_average reduce reduction"
FUNCTIONS = _table(f"""
relu relu6 selu silu mish hardswish hardsigmoid: input inplace
leaky_relu: input negative_slope inplace
elu celu: input alpha inplace
gelu: input approximate
sigmoid tanh logsigmoid softsign tanhshrink: input
hardtanh: input min_val max_val inplace
softplus: input beta threshold
softmax log_softmax softmin: input dim _stacklevel
glu: input dim
dropout dropout1d dropout2d dropout3d alpha_dropout: input p training inplace
max_pool1d max_pool2d max_pool3d: input kernel_size stride padding dilation ceil_mode return_indices
avg_pool1d: input kernel_size stride padding ceil_mode count_include_pad
avg_pool2d avg_pool3d: input kernel_size stride padding ceil_mode count_include_pad divisor_override
adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d: input output_size
adaptive_max_pool1d adaptive_max_pool2d adaptive_max_pool3d: input output_size return_indices
interpolate: input size scale_factor mode align_corners recompute_scale_factor antialias
upsample: input size scale_factor mode align_corners
pad: input pad mode value
pixel_shuffle: input upscale_factor
pixel_unshuffle: input downscale_factor
normalize: input p dim eps
one_hot: tensor num_classes
linear: input weight bias
conv1d conv2d conv3d: input weight bias stride padding dilation groups
layer_norm: input normalized_shape weight bias eps
embedding: input weight padding_idx max_norm norm_type scale_grad_by_freq sparse
unfold: input kernel_size dilation padding stride
fold: input output_size kernel_size dilation padding stride
cosine_similarity: x1 x2 dim eps
cross_entropy: input {_LOSS} ignore_index label_smoothing
nll_loss: input {_LOSS} ignore_index
mse_loss l1_loss: input {_LOSS}
smooth_l1_loss: input {_LOSS} beta
huber_loss: input target reduction delta
binary_cross_entropy binary_cross_entropy_with_logits: input {_LOSS}
kl_div: input {_LOSS} log_target
""", "torch.nn.functional.")

FUNCTIONS.update(_table("""
rrelu: input lower upper training inplace
softshrink hardshrink: input lambd
threshold: input threshold value inplace
feature_alpha_dropout: input p training inplace
prelu: input weight
""", "torch.nn.functional."))

_UNARY = "relu sigmoid tanh exp log abs neg sqrt rsqrt square sin cos sign erf reciprocal floor ceil log1p expm1 " \
         "clone detach selu celu rrelu"
FUNCTIONS.update(_table(f"""
{_UNARY}: input
clamp clip: input min max
round: input decimals
nan_to_num: input nan posinf neginf
pow: input exponent
maximum minimum: input other
where: condition input other
flatten: input start_dim end_dim
cat concat concatenate stack hstack vstack: tensors dim
relu sigmoid tanh exp log abs sqrt neg clone detach: input
softmax log_softmax: input dim
transpose swapaxes: input dim0 dim1
permute: input dims
reshape: input shape
squeeze: input dim
unsqueeze: input dim
matmul mm bmm: input other
add sub mul div: input other alpha
sum mean amax amin prod std var logsumexp nansum nanmean all any: input dim keepdim
argmax argmin: input dim keepdim
max min: input dim keepdim
norm: input p dim keepdim
chunk: input chunks dim
split: tensor split_size_or_sections dim
narrow: input dim start length
movedim: input source destination
""", "torch.", chunk=True, split=True))

# Functions whose first argument is a sequence of tensors: the step's inputs go in a list.
SEQUENCE_FIRST = frozenset(f"torch.{n}" for n in ("cat", "concat", "concatenate", "stack", "hstack", "vstack"))

# Tensor methods, with the keyword names they accept.
METHODS: dict[str, CallSpec] = {
    name: CallSpec(name, tuple(params.split()), name in ("chunk", "split", "unbind"))
    for line in """
view reshape expand repeat permute: size
flatten: start_dim end_dim
unflatten: dim sizes
transpose swapaxes: dim0 dim1
t contiguous clone detach float double half bfloat16 long int bool short byte char cpu:
relu sigmoid tanh exp log abs sqrt rsqrt square sin cos sign erf reciprocal floor ceil log1p expm1 neg:
relu_ sigmoid_ tanh_ abs_ neg_ exp_ zero_ requires_grad_ retain_grad:
clamp clip clamp_: min max
round: decimals
pow: exponent
fill_: value
normal_: mean std
uniform_: from to
squeeze unsqueeze: dim
softmax log_softmax: dim
sum mean amax amin prod std var logsumexp nansum nanmean all any argmax argmin max min: dim keepdim
norm: p dim keepdim
matmul mm bmm type_as: other
add sub mul div add_ sub_ mul_ div_: other alpha
masked_fill masked_fill_: mask value
chunk: chunks dim
split: split_size dim
unbind: dim
narrow: dim start length
movedim: source destination
view_as reshape_as expand_as: other
""".strip().splitlines()
    for names, _, params in [line.partition(":")]
    for name in names.split()
}

# Methods that only move a tensor to a device: the probe already put everything on its
# device, so ``x.to(device)`` / ``x.cuda()`` are rebuilt as ``x`` (a dtype argument is kept).
DEVICE_METHODS = frozenset({"to", "cuda", "cpu"})
# torch dtypes an argument may name ({"dtype": "torch.int64"} in the contract).
TORCH_DTYPES = frozenset({"torch.float32", "torch.float64", "torch.float16", "torch.bfloat16", "torch.int64",
                          "torch.int32", "torch.int16", "torch.int8", "torch.uint8", "torch.bool"})
# Creation calls: rebuilt as a fresh tensor of the statically known shape and dtype.
CREATION = frozenset(f"torch.{n}" for n in (
    "randn", "rand", "zeros", "ones", "empty", "randint", "full", "tensor", "arange", "eye", "randperm", "linspace",
    "zeros_like", "ones_like", "randn_like", "rand_like", "empty_like", "full_like", "randint_like", "as_tensor",
    "FloatTensor", "LongTensor", "Tensor"))

# Python operators a "binary" step may use.
OPERATORS = {"+": "+", "-": "-", "*": "*", "/": "/", "//": "//", "@": "@", "%": "%", "**": "**"}
# Binary steps the engine records with a function name instead of an operator symbol.
OPERATOR_FUNCTIONS = {"max": "torch.maximum", "min": "torch.minimum"}

# The only strings a snippet may contain, by parameter name.
STRINGS: dict[str, frozenset[str]] = {
    "padding": frozenset({"same", "valid"}),
    "padding_mode": frozenset({"zeros", "reflect", "replicate", "circular"}),
    "nonlinearity": frozenset({"tanh", "relu"}),
    "mode": frozenset({"nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact",
                       "constant", "reflect", "replicate", "circular"}),
    "approximate": frozenset({"none", "tanh"}),
    "reduction": frozenset({"mean", "sum", "none"}),
    "activation": frozenset({"relu", "gelu"}),
}

def string_allowed(param: str | None, value: str) -> bool:
    """A string is emitted only for a parameter that takes one of a fixed set of words
    (``nn.Conv2d(3, 6, 3, padding="same")``), and only one of those words."""
    return param is not None and value in STRINGS.get(param, frozenset())


# Layers / functions whose first input holds class indices or token ids: the probe
# feeds them int64 zeros (always a valid index) instead of empty floats.
INDEX_INPUT = frozenset({"torch.nn.Embedding", "torch.nn.functional.embedding", "torch.nn.functional.one_hot"})
