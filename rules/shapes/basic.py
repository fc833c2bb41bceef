"""Linear and Bilinear, Flatten/Unflatten, Identity, Dropout and the activations
(shape-preserving), BatchNorm/GroupNorm/LayerNorm and Embedding."""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from ..dtypes import INDEX_DTYPES, SOME_FLOAT, describe, is_floating
from .dims import Shape, fmt_shape
from .layers import REQUIRED, Layer, Outcome, Problem, input_shape, register, tensor
from .ops import flatten, unflatten
from .values import Value

_FACTORY = (("device", None), ("dtype", None))


class LinearLayer(Layer):
    SIGNATURE = (("in_features", REQUIRED), ("out_features", REQUIRED), ("bias", True)) + _FACTORY

    def setup(self) -> None:
        self.fin, self.fout, self.bias = self.int_("in_features"), self.int_("out_features"), self.bool_("bias")

    def params(self) -> Optional[int]:
        if None in (self.fin, self.fout, self.bias):
            return None
        return self.fin * self.fout + (self.fout if self.bias else 0)

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        if shape is None:
            return Outcome(tensor(Shape((self.dim_("out_features"),), False), x))
        if shape.exact and not shape.dims:
            return Outcome(tensor(None, x), Problem(
                f"{self.label} (Linear) 不接受 0 维张量", f"{self.label} (Linear) does not take a 0-D tensor"))
        last = shape.dim(-1)
        if self.fin is not None and isinstance(last, int) and last != self.fin:
            if shape.exact and len(shape.dims) > 2:
                return Outcome(tensor(None, x), Problem(
                    f"Linear 只作用在最后一维（{last}）上，但 {self.attr_zh('in_features')} = {self.fin}"
                    "（是不是忘了先展平？）",
                    f"Linear acts on the last dim ({last}), but {self.attr_en('in_features')} = {self.fin} "
                    "(a missing flatten?)"))
            return Outcome(tensor(None, x), Problem(
                f"但 {self.attr_zh('in_features')} = {self.fin}",
                f"but {self.attr_en('in_features')} = {self.fin}", fix=("in_features", last)))
        cond = self.sym_mismatch(last, "in_features")
        if cond is not None:
            want = self.dim_("in_features")
            return Outcome(tensor(None, x), Problem(
                f"但 {self.attr_zh('in_features')} = {want}（{cond[0]}）",
                f"but {self.attr_en('in_features')} = {want} ({cond[1]})", arg="in_features", symbolic=True))
        lead = shape.dims[:-1] if shape.dims else ()
        return Outcome(tensor(Shape((*lead, self.dim_("out_features")), shape.exact), x))


register(LinearLayer, "Linear")


class BilinearLayer(Layer):
    SIGNATURE = (("in1_features", REQUIRED), ("in2_features", REQUIRED), ("out_features", REQUIRED),
                 ("bias", True)) + _FACTORY

    def params(self) -> Optional[int]:
        a, b, c, bias = self.int_("in1_features"), self.int_("in2_features"), self.int_("out_features"), self.bool_("bias")
        if None in (a, b, c, bias):
            return None
        return c * a * b + (c if bias else 0)

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        out_f = self.int_("out_features")
        if len(inputs) != 2:
            return Outcome(tensor(None))
        for i, key in ((0, "in1_features"), (1, "in2_features")):
            s = input_shape(inputs[i])
            want = self.int_(key)
            last = s.dim(-1) if s is not None else None
            if want is not None and isinstance(last, int) and last != want:
                which = ("第一个", "first") if i == 0 else ("第二个", "second")
                return Outcome(tensor(None), Problem(
                    f"{which[0]}输入 {fmt_shape(s)} 的最后一维是 {last}，但 {self.attr_zh(key)} = {want}",
                    f"the {which[1]} input {fmt_shape(s)} ends in {last}, but {self.attr_en(key)} = {want}",
                    standalone=True))
        s0 = input_shape(inputs[0])
        if s0 is None:
            return Outcome(tensor(Shape((out_f,), False), inputs[0]))
        return Outcome(tensor(Shape((*s0.dims[:-1], out_f), s0.exact), inputs[0]))


register(BilinearLayer, "Bilinear")


class FlattenLayer(Layer):
    SIGNATURE = (("start_dim", 1), ("end_dim", -1))

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        start, end = self.int_("start_dim"), self.int_("end_dim")
        if start is None or end is None:
            return Outcome(tensor(None, x))
        shape, problem = flatten(input_shape(x) if x is not None else None, start, end, f"{self.label} (Flatten)")
        return Outcome(tensor(shape, x), problem)


register(FlattenLayer, "Flatten")


class UnflattenLayer(Layer):
    SIGNATURE = (("dim", REQUIRED), ("unflattened_size", REQUIRED))

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        dim, sizes = self.int_("dim"), self.val("unflattened_size")
        if dim is None or not isinstance(sizes, (tuple, list)) or not all(isinstance(s, int) for s in sizes):
            return Outcome(tensor(None, x))
        shape, problem = unflatten(input_shape(x) if x is not None else None, dim, sizes)
        return Outcome(tensor(shape, x), problem)


register(UnflattenLayer, "Unflatten")


class SameShapeLayer(Layer):
    """Identity, Dropout and the activations: the output has the input's shape."""

    @classmethod
    def signature_for(cls, short: str, opts: dict[str, Any]) -> Sequence[tuple[str, Any]]:
        return opts.get("sig", ())

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        return Outcome(tensor(input_shape(x) if x is not None else None, x))


_P_INPLACE = (("p", 0.5), ("inplace", False))
_INPLACE = (("inplace", False),)
_DIM = (("dim", None),)
SAME_SHAPE: dict[str, tuple] = {
    "Identity": (), "Dropout": _P_INPLACE, "Dropout1d": _P_INPLACE, "Dropout2d": _P_INPLACE,
    "Dropout3d": _P_INPLACE, "AlphaDropout": _P_INPLACE, "FeatureAlphaDropout": _P_INPLACE,
    "ReLU": _INPLACE, "ReLU6": _INPLACE, "SELU": _INPLACE, "SiLU": _INPLACE, "Mish": _INPLACE,
    "Hardsigmoid": _INPLACE, "Hardswish": _INPLACE, "Sigmoid": (), "Tanh": (), "LogSigmoid": (),
    "Softsign": (), "Tanhshrink": (),
    "LeakyReLU": (("negative_slope", 0.01), ("inplace", False)),
    "ELU": (("alpha", 1.0), ("inplace", False)), "CELU": (("alpha", 1.0), ("inplace", False)),
    "GELU": (("approximate", "none"),),
    "Softplus": (("beta", 1.0), ("threshold", 20.0)),
    "Softmax": _DIM, "LogSoftmax": _DIM, "Softmin": _DIM,
    "Hardtanh": (("min_val", -1.0), ("max_val", 1.0), ("inplace", False), ("min_value", None), ("max_value", None)),
    "Hardshrink": (("lambd", 0.5),), "Softshrink": (("lambd", 0.5),),
    "Threshold": (("threshold", REQUIRED), ("value", REQUIRED), ("inplace", False)),
    "RReLU": (("lower", 1.0 / 8), ("upper", 1.0 / 3), ("inplace", False)),
}
for _name, _sig in SAME_SHAPE.items():
    register(SameShapeLayer, _name, sig=_sig)


class PReLULayer(Layer):
    SIGNATURE = (("num_parameters", 1), ("init", 0.25)) + _FACTORY

    def params(self) -> Optional[int]:
        return self.int_("num_parameters")

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        k = self.int_("num_parameters")
        if shape is not None and shape.exact and k is not None and k != 1 and shape.dims:
            c = shape.dims[1] if len(shape.dims) >= 2 else shape.dims[0]
            if isinstance(c, int) and c != k:
                return Outcome(tensor(None, x), Problem(
                    f"有 {c} 个通道，但 {self.attr_zh('num_parameters')} = {k}",
                    f"with {c} channels, but {self.attr_en('num_parameters')} = {k}"))
        return Outcome(tensor(shape, x))


register(PReLULayer, "PReLU")


# ---------------------------------------------------------------------- normalisation
_BN_SIG = (("num_features", REQUIRED), ("eps", 1e-5), ("momentum", 0.1), ("affine", True),
           ("track_running_stats", True)) + _FACTORY + (("bias", True),)
_BN_RANKS = {1: (2, 3), 2: (4,), 3: (5,)}
_BN_FORM = {1: "(N, C) 或 (N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


class BatchNormLayer(Layer):
    SIGNATURE = _BN_SIG

    def setup(self) -> None:
        self.n = self.opts["n"]
        self.c = self.int_("num_features")

    def params(self) -> Optional[int]:
        affine, bias = self.bool_("affine"), self.bool_("bias")
        if self.c is None or affine is None or bias is None:
            return None
        return (self.c + (self.c if bias else 0)) if affine else 0

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        if shape is None:
            return Outcome(tensor(None, x))
        ranks = _BN_RANKS[self.n]
        if shape.exact and len(shape.dims) not in ranks:
            return Outcome(tensor(None, x), Problem(
                f"{self.label} ({self.type_name}) 需要 {_BN_FORM[self.n]} 形状的输入，这里是 {len(shape.dims)} 维",
                f"{self.label} ({self.type_name}) needs input shaped {_BN_FORM[self.n]}, this is {len(shape.dims)}-D"))
        if shape.exact:
            c = shape.dims[1]
        elif self.n > 1:
            c = shape.dim(-(self.n + 1))
        else:
            c = None  # (N, C) or (N, C, L): the channel's place depends on the rank
        checks = self.bool_("affine") is not False or self.bool_("track_running_stats") is not False
        if checks and self.c is not None and isinstance(c, int) and c != self.c:
            return Outcome(tensor(None, x), Problem(
                f"有 {c} 个通道，但 {self.attr_zh('num_features')} = {self.c}",
                f"with {c} channels, but {self.attr_en('num_features')} = {self.c}", fix=("num_features", c)))
        cond = self.sym_mismatch(c, "num_features") if checks else None
        if cond is not None:
            want = self.dim_("num_features")
            return Outcome(tensor(None, x), Problem(
                f"有 {c} 个通道，但 {self.attr_zh('num_features')} = {want}（{cond[0]}）",
                f"with {c} channels, but {self.attr_en('num_features')} = {want} ({cond[1]})", arg="num_features",
                symbolic=True))
        return Outcome(tensor(shape, x))


for _n_ in (1, 2, 3):
    register(BatchNormLayer, f"BatchNorm{_n_}d", n=_n_)


class GroupNormLayer(Layer):
    SIGNATURE = (("num_groups", REQUIRED), ("num_channels", REQUIRED), ("eps", 1e-5), ("affine", True)) + _FACTORY + (
        ("bias", True),)

    def params(self) -> Optional[int]:
        c, affine, bias = self.int_("num_channels"), self.bool_("affine"), self.bool_("bias")
        if c is None or affine is None or bias is None:
            return None
        return (c + (c if bias else 0)) if affine else 0

    def construct_problem(self) -> Optional[Problem]:
        g, c = self.int_("num_groups"), self.int_("num_channels")
        if g and c is not None and g > 0 and c % g:
            return Problem(
                f"{self.attr_zh('num_channels')} = {c} 不能被 num_groups = {g} 整除，创建这一层时就会抛出 ValueError",
                f"{self.attr_en('num_channels')} = {c} is not divisible by num_groups = {g}: the constructor raises "
                "ValueError", standalone=True)
        return None

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        g, want = self.int_("num_groups"), self.int_("num_channels")
        if shape is None or not shape.exact:
            return Outcome(tensor(shape, x))
        if len(shape.dims) < 2:
            return Outcome(tensor(None, x), Problem(
                f"{self.label} (GroupNorm) 需要至少 2 维的输入 (N, C, …)，这里是 {len(shape.dims)} 维",
                f"{self.label} (GroupNorm) needs at least 2-D input (N, C, …), this is {len(shape.dims)}-D"))
        c = shape.dims[1]
        if isinstance(c, int) and g:
            if c % g:
                return Outcome(tensor(None, x), Problem(
                    f"有 {c} 个通道，不能被 {self.attr_zh('num_groups')} = {g} 整除",
                    f"with {c} channels, not divisible by {self.attr_en('num_groups')} = {g}"))
            if want is not None and c != want and self.bool_("affine") is True:
                return Outcome(tensor(None, x), Problem(
                    f"有 {c} 个通道，但 {self.attr_zh('num_channels')} = {want}",
                    f"with {c} channels, but {self.attr_en('num_channels')} = {want}", arg="num_channels"))
        return Outcome(tensor(shape, x))


register(GroupNormLayer, "GroupNorm")


class LayerNormLayer(Layer):
    @classmethod
    def signature_for(cls, short: str, opts: dict[str, Any]) -> Sequence[tuple[str, Any]]:
        if short == "RMSNorm":
            return (("normalized_shape", REQUIRED), ("eps", None), ("elementwise_affine", True)) + _FACTORY
        return (("normalized_shape", REQUIRED), ("eps", 1e-5), ("elementwise_affine", True), ("bias", True)) + _FACTORY

    def setup(self) -> None:
        ns = self.val("normalized_shape")
        if isinstance(ns, int) and not isinstance(ns, bool):
            ns = (ns,)
        self.ns = tuple(ns) if isinstance(ns, (tuple, list)) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in ns) else None

    def params(self) -> Optional[int]:
        affine = self.bool_("elementwise_affine")
        bias = self.bool_("bias") if self.type_name == "LayerNorm" else False
        if self.ns is None or affine is None or bias is None:
            return None
        n = math.prod(self.ns)
        return (n + (n if bias else 0)) if affine else 0

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        if shape is None or self.ns is None:
            return Outcome(tensor(shape, x))
        k = len(self.ns)
        if len(shape.dims) < k and shape.exact:
            got: tuple = shape.dims
        elif len(shape.dims) >= k:
            got = shape.dims[-k:]
        else:
            return Outcome(tensor(shape, x))
        if len(got) != k or any(isinstance(a, int) and a != b for a, b in zip(got, self.ns)):
            ns_text = fmt_shape(Shape(self.ns))
            return Outcome(tensor(None, x), Problem(
                f"最后 {k} 维是 {fmt_shape(Shape(tuple(got)))}，但 {self.attr_zh('normalized_shape')} = {ns_text}",
                f"whose last {k} dim(s) are {fmt_shape(Shape(tuple(got)))}, but "
                f"{self.attr_en('normalized_shape')} = {ns_text}"))
        return Outcome(tensor(shape, x))


register(LayerNormLayer, "LayerNorm", "RMSNorm")


# ---------------------------------------------------------------------- embedding


class EmbeddingLayer(Layer):
    SIGNATURE = (("num_embeddings", REQUIRED), ("embedding_dim", REQUIRED), ("padding_idx", None),
                 ("max_norm", None), ("norm_type", 2.0), ("scale_grad_by_freq", False), ("sparse", False),
                 ("_weight", None), ("_freeze", False)) + _FACTORY

    def params(self) -> Optional[int]:
        a, b = self.int_("num_embeddings"), self.int_("embedding_dim")
        return a * b if a is not None and b is not None else None

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        dtype = getattr(x, "dtype", None)
        if dtype is not None and dtype not in INDEX_DTYPES:
            # "浮点（float32）张量", "int8 张量"; a float of unknown width: "浮点张量"
            zh = (f"浮点（{dtype}）" if dtype != SOME_FLOAT else "浮点") if is_floating(dtype) else f" {dtype} "
            en = describe(dtype, zh=False)
            return Outcome(tensor(None), Problem(
                f"是{zh}张量，但 {self.label} (Embedding) 的输入必须是整数索引（int64 或 int32），"
                "请先用 .long() 转换",
                f"a {en} tensor, but {self.label} (Embedding) takes integer indices (int64 or int32); "
                "convert with .long()"))
        dim = self.int_("embedding_dim")
        # the table's dtype: float32 unless the model is cast (not followed) or dtype= is given
        out_dtype = SOME_FLOAT
        if shape is None:
            return Outcome(tensor(Shape((dim,), False), dtype=out_dtype))
        return Outcome(tensor(Shape((*shape.dims, dim), shape.exact), dtype=out_dtype))


register(EmbeddingLayer, "Embedding")
