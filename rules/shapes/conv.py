"""Convolutions, transposed convolutions, pooling, adaptive pooling and upsampling: the
output-size formula from the notes, ``OH = ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1``, and the
checks PyTorch makes before it computes anything."""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from .dims import Dim, Shape, fmt_num
from .layers import (
    REQUIRED, DroppedDim, Layer, Outcome, Problem, as_tuple, input_shape, register, tensor,
)
from .values import MISSING, Seq, Value

LETTERS = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
DROP_LABELS = {1: (("个位置", "position(s)"),), 2: (("行", "row(s)"), ("列", "column(s)")),
               3: (("帧", "frame(s)"), ("行", "row(s)"), ("列", "column(s)"))}


def _n(v: int) -> str:
    return fmt_num(v)


def conv_formula(letter: str, h: int, k: int, s: int, p: int, d: int, out: int, ceil: bool = False) -> str:
    lo, hi = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    return (f"O{letter} = {lo}({_n(h)} + 2×{_n(p)} − {_n(d)}×({_n(k)} − 1) − 1) / {_n(s)}{hi} + 1 = {_n(out)}")


def transposed_formula(letter: str, h: int, k: int, s: int, p: int, d: int, op: int, out: int) -> str:
    return (f"O{letter} = ({_n(h)} − 1)×{_n(s)} − 2×{_n(p)} + {_n(d)}×({_n(k)} − 1) + {_n(op)} + 1 = {_n(out)}")


def join_formulas(parts: list[tuple[str, tuple]]) -> Optional[str]:
    """One formula when every spatial dim has the same numbers ("OW 同理" is implied)."""
    if not parts:
        return None
    if all(key == parts[0][1] for _, key in parts):
        return parts[0][0]
    return "; ".join(f for f, _ in parts)


def pool_out(h: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """ATen's pooling_output_shape."""
    num = h + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1  # floor division, as div_rtn
    if ceil and (out - 1) * s >= h + p:
        out -= 1  # the last window would start in the right padding
    return out


def dropped(n: int, idx: int, h: int, k: int, s: int, p: int, d: int) -> Optional[DroppedDim]:
    """PT006: the last positions of the input that no window covers (right padding aside).
    Only when windows touch or overlap: with a stride larger than the (dilated) window the
    layer skips positions everywhere by design (a 1×1 stride-2 shortcut), not just at the end."""
    if s > d * (k - 1) + 1:
        return None
    r = (h + 2 * p - d * (k - 1) - 1) % s
    lost = r - p
    if r == 0 or lost <= 0:
        return None
    zh, en = DROP_LABELS[n][idx]
    text = f"({_n(h)} + 2×{_n(p)} − {_n(d)}×({_n(k)} − 1) − 1) mod {_n(s)} = {_n(r)}"
    return DroppedDim(zh, en, h, text, r, lost)


def _rank_problem(layer: Layer, ranks: tuple[int, int], shape: Shape) -> Problem:
    a, b = ranks
    return Problem(
        f"{layer.label} ({layer.type_name}) 只接受 {a} 维（无批量）或 {b} 维（带批量）输入，这里是 {len(shape.dims)} 维",
        f"{layer.label} ({layer.type_name}) takes {a}-D (unbatched) or {b}-D (batched) input, this is {len(shape.dims)}-D",
    )


def _spatial(shape: Shape, n: int) -> list[Dim]:
    return [shape.dim(-n + i) for i in range(n)]


def _lead(shape: Shape, n: int) -> tuple[Dim, ...]:
    """Everything in front of the last ``n`` dims (for an inexact shape: what is known)."""
    return shape.dims[:-n] if len(shape.dims) >= n else ()


# ---------------------------------------------------------------------- convolution
_CONV_SIG = (("in_channels", REQUIRED), ("out_channels", REQUIRED), ("kernel_size", REQUIRED), ("stride", 1),
             ("padding", 0), ("dilation", 1), ("groups", 1), ("bias", True), ("padding_mode", "zeros"),
             ("device", None), ("dtype", None))
_CONVT_SIG = (("in_channels", REQUIRED), ("out_channels", REQUIRED), ("kernel_size", REQUIRED), ("stride", 1),
              ("padding", 0), ("output_padding", 0), ("groups", 1), ("bias", True), ("dilation", 1),
              ("padding_mode", "zeros"), ("device", None), ("dtype", None))


class ConvLayer(Layer):
    @classmethod
    def signature_for(cls, short: str, opts: dict[str, Any]) -> Sequence[tuple[str, Any]]:
        return _CONVT_SIG if opts["transposed"] else _CONV_SIG

    def setup(self) -> None:
        n = self.n = self.opts["n"]
        self.transposed = self.opts["transposed"]
        self.cin, self.cout, self.groups = self.int_("in_channels"), self.int_("out_channels"), self.int_("groups")
        self.k, self.s, self.d = self.tuple_("kernel_size", n), self.tuple_("stride", n), self.tuple_("dilation", n)
        pad = self.val("padding")
        self.pad: Any = pad if isinstance(pad, str) else as_tuple(pad, n)
        if self.pad == "valid":
            self.pad = (0,) * n
        self.op = self.tuple_("output_padding", n) if self.transposed else (0,) * n
        self.bias = self.bool_("bias")
        mode = self.val("padding_mode")
        self.mode = mode if isinstance(mode, str) else None

    def params(self) -> Optional[int]:
        if None in (self.cin, self.cout, self.groups, self.k, self.bias) or not self.groups:
            return None
        per = math.prod(self.k)
        w = self.cin * (self.cout // self.groups) * per if self.transposed else self.cout * (self.cin // self.groups) * per
        return w + (self.cout if self.bias else 0)

    def construct_problem(self) -> Optional[Problem]:
        g = self.groups
        for what, c in (("in_channels", self.cin), ("out_channels", self.cout)):
            if g and g > 0 and c is not None and c % g:
                return Problem(
                    f"{self.attr_zh(what)} = {c} 不能被 groups = {g} 整除，创建这一层时就会抛出 ValueError",
                    f"{self.attr_en(what)} = {c} is not divisible by groups = {g}: the constructor raises ValueError",
                    standalone=True)
        if self.pad == "same" and not self.transposed and self.s is not None and any(s != 1 for s in self.s):
            return Problem(
                f"{self.label} 用了 padding='same' 又设置了 stride = {self.s[0] if len(set(self.s)) == 1 else self.s}："
                "带步幅的卷积不支持 'same'，创建时就会抛出 ValueError",
                f"{self.label} combines padding='same' with stride {self.s}: strided convolutions do not support "
                "'same', the constructor raises ValueError", standalone=True)
        return None

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        n = self.n
        if shape is None:
            return Outcome(tensor(Shape((self.dim_("out_channels"), *([None] * n)), False), x))
        if shape.exact and len(shape.dims) not in (n + 1, n + 2):
            return Outcome(tensor(None, x), _rank_problem(self, (n + 1, n + 2), shape))
        c = shape.dim(-(n + 1))
        if self.cin is not None and isinstance(c, int) and c != self.cin:
            return Outcome(tensor(None, x), Problem(
                f"有 {c} 个通道，但 {self.attr_zh('in_channels')} = {self.cin}",
                f"with {c} channels, but {self.attr_en('in_channels')} = {self.cin}", arg="in_channels"))
        cond = self.sym_mismatch(c, "in_channels")
        if cond is not None:
            want = self.dim_("in_channels")
            return Outcome(tensor(None, x), Problem(
                f"有 {c} 个通道，但 {self.attr_zh('in_channels')} = {want}（{cond[0]}）",
                f"with {c} channels, but {self.attr_en('in_channels')} = {want} ({cond[1]})", arg="in_channels",
                symbolic=True))
        spatial = _spatial(shape, n)
        outs: list[Dim] = []
        parts: list[tuple[str, tuple]] = []
        drops: list[DroppedDim] = []
        known = self.k is not None and self.s is not None and self.d is not None and self.pad is not None
        for i, h in enumerate(spatial):
            letter = LETTERS[n][i]
            if not known or not isinstance(h, int):
                outs.append(None)
                continue
            k, s, d = self.k[i], self.s[i], self.d[i]
            if min(k, s, d) <= 0:
                outs.append(None)
                continue
            if self.transposed:
                if self.op is None or not isinstance(self.pad, tuple):
                    outs.append(None)
                    continue
                p, op = self.pad[i], self.op[i]
                if op >= s and op >= d:
                    return Outcome(tensor(None, x), Problem(
                        f"{self.attr_zh('output_padding')} = {op} 必须小于 stride（{s}）或 dilation（{d}）之一",
                        f"{self.attr_en('output_padding')} = {op} must be smaller than either stride ({s}) or "
                        f"dilation ({d})"))
                out = (h - 1) * s - 2 * p + d * (k - 1) + op + 1
                f = transposed_formula(letter, h, k, s, p, d, op, out)
                if out < 1:
                    return Outcome(tensor(None, x), Problem(
                        f"{self.label} 算出的输出尺寸小于 1：{f}",
                        f"{self.label} computes an output size below 1: {f}"))
                parts.append((f, (h, k, s, p, d, op)))
                outs.append(out)
                continue
            if self.pad == "same":
                if s != 1:
                    outs.append(None)
                    continue
                outs.append(h)
                parts.append((f"O{letter} = {h}（padding='same'）", (h,)))
                continue
            if not isinstance(self.pad, tuple):
                outs.append(None)  # an invalid padding string: reported by construct_problem
                continue
            p = self.pad[i]
            if self.mode not in (None, "zeros", "replicate", "circular") and p >= h and p > 0:
                if self.mode == "reflect":
                    return Outcome(tensor(None, x), Problem(
                        f"padding_mode='reflect' 要求 padding（{p}）小于输入尺寸 {h}",
                        f"padding_mode='reflect' needs padding ({p}) smaller than the input size {h}"))
                outs.append(None)
                continue
            if self.mode is None and p > 0:
                outs.append(None)
                continue
            eff = d * (k - 1) + 1
            out = (h + 2 * p - eff) // s + 1
            f = conv_formula(letter, h, k, s, p, d, out)
            if h + 2 * p < eff:
                ks = "×".join(str(d_ * (k_ - 1) + 1) for k_, d_ in zip(self.k, self.d))
                dil = "（含膨胀）" if any(d_ > 1 for d_ in self.d) else ""
                dil_en = " (dilated)" if any(d_ > 1 for d_ in self.d) else ""
                return Outcome(tensor(None, x), Problem(
                    f"{self.label} 的卷积核{dil} {ks} 比填充后的输入还大，输出尺寸小于 1：{f}",
                    f"{self.label}'s kernel{dil_en} {ks} is larger than the padded input, the output size is below 1: {f}"))
            parts.append((f, (h, k, s, p, d)))
            outs.append(out)
            drop = dropped(n, i, h, k, s, p, d)
            if drop is not None:
                drops.append(drop)
        lead = _lead(shape, n + 1)
        out_shape = Shape((*lead, self.dim_("out_channels"), *outs), shape.exact)
        return Outcome(tensor(out_shape, x), None, join_formulas(parts), drops)


for _n_ in (1, 2, 3):
    register(ConvLayer, f"Conv{_n_}d", n=_n_, transposed=False)
    register(ConvLayer, f"ConvTranspose{_n_}d", n=_n_, transposed=True)


# ---------------------------------------------------------------------- pooling
_MAXPOOL_SIG = (("kernel_size", REQUIRED), ("stride", None), ("padding", 0), ("dilation", 1),
                ("return_indices", False), ("ceil_mode", False))
_AVGPOOL1_SIG = (("kernel_size", REQUIRED), ("stride", None), ("padding", 0), ("ceil_mode", False),
                 ("count_include_pad", True))
_AVGPOOL_SIG = _AVGPOOL1_SIG + (("divisor_override", None),)


class PoolLayer(Layer):
    @classmethod
    def signature_for(cls, short: str, opts: dict[str, Any]) -> Sequence[tuple[str, Any]]:
        if opts["kind"] == "max":
            return _MAXPOOL_SIG
        return _AVGPOOL1_SIG if opts["n"] == 1 else _AVGPOOL_SIG

    def setup(self) -> None:
        n = self.n = self.opts["n"]
        self.kind = self.opts["kind"]
        self.k = self.tuple_("kernel_size", n)
        stride = self.val("stride")
        self.s = self.k if stride is None or stride == () or stride == [] else as_tuple(stride, n)
        self.p = self.tuple_("padding", n)
        self.d = self.tuple_("dilation", n) if self.kind == "max" else (1,) * n
        self.ceil = self.bool_("ceil_mode")
        self.indices = self.bool_("return_indices") if self.kind == "max" else False

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        n = self.n
        if shape is None:
            return self._result(x, None)
        if shape.exact and len(shape.dims) not in (n + 1, n + 2):
            return Outcome(tensor(None, x), _rank_problem(self, (n + 1, n + 2), shape))
        known = None not in (self.k, self.s, self.p, self.d, self.ceil)
        outs: list[Dim] = []
        parts: list[tuple[str, tuple]] = []
        drops: list[DroppedDim] = []
        if known and min(*self.k, *self.s, *self.d) > 0:
            for i in range(n):
                if self.p[i] > self.k[i] // 2:
                    return Outcome(tensor(None, x), Problem(
                        f"{self.attr_zh('padding')} = {self.p[i]} 超过了池化窗口 {self.k[i]} 的一半",
                        f"{self.attr_en('padding')} = {self.p[i]} is more than half the pooling window {self.k[i]}"))
        for i, h in enumerate(_spatial(shape, n)):
            if not known or not isinstance(h, int) or min(*self.k, *self.s, *self.d) <= 0:
                outs.append(None)
                continue
            k, s, p, d = self.k[i], self.s[i], self.p[i], self.d[i]
            out = pool_out(h, k, s, p, d, bool(self.ceil))
            f = conv_formula(LETTERS[n][i], h, k, s, p, d, out, bool(self.ceil))
            if out < 1:
                return Outcome(tensor(None, x), Problem(
                    f"{self.label} 的池化窗口比（填充后的）输入还大，输出尺寸小于 1：{f}",
                    f"{self.label}'s pooling window is larger than the (padded) input, the output size is below 1: {f}"))
            parts.append((f, (h, k, s, p, d)))
            outs.append(out)
            # ``ceil_mode=False`` written out says the floor is meant (a lesson contrasting it
            # with ``ceil_mode=True``): only the default one can drop rows unnoticed
            if not self.ceil and "ceil_mode" not in self.given:
                drop = dropped(n, i, h, k, s, p, d)
                if drop is not None:
                    drops.append(drop)
        out_shape = Shape((*_lead(shape, n), *outs), shape.exact)
        return self._result(x, out_shape, join_formulas(parts), drops)

    def _result(self, x: Any, shape: Optional[Shape], formula: Optional[str] = None,
                drops: Optional[list[DroppedDim]] = None) -> Outcome:
        out: Value = tensor(shape, x)
        if self.indices is not False:
            out = Seq((out, tensor(shape, dtype="int64"))) if self.indices else tensor(None)
        return Outcome(out, None, formula, drops or [])


for _n_ in (1, 2, 3):
    register(PoolLayer, f"MaxPool{_n_}d", n=_n_, kind="max")
    register(PoolLayer, f"AvgPool{_n_}d", n=_n_, kind="avg")


# ---------------------------------------------------------------------- adaptive pooling
class AdaptivePoolLayer(Layer):
    @classmethod
    def signature_for(cls, short: str, opts: dict[str, Any]) -> Sequence[tuple[str, Any]]:
        if opts["kind"] == "max":
            return (("output_size", REQUIRED), ("return_indices", False))
        return (("output_size", REQUIRED),)

    def setup(self) -> None:
        n = self.n = self.opts["n"]
        size = self.val("output_size")
        self.size: Optional[tuple] = None
        if isinstance(size, int) and not isinstance(size, bool) or size is None:
            self.size = (size,) * n
        elif isinstance(size, (tuple, list)) and len(size) == n and all(
                s is None or isinstance(s, int) and not isinstance(s, bool) for s in size):
            self.size = tuple(size)
        self.indices = self.bool_("return_indices") if self.opts["kind"] == "max" else False

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        n = self.n
        out_shape: Optional[Shape] = None
        if shape is not None:
            if shape.exact and len(shape.dims) not in (n + 1, n + 2):
                return Outcome(tensor(None, x), _rank_problem(self, (n + 1, n + 2), shape))
            outs = [None] * n if self.size is None else [
                h if s is None else s for s, h in zip(self.size, _spatial(shape, n))]
            out_shape = Shape((*_lead(shape, n), *outs), shape.exact)
        elif self.size is not None and None not in self.size:
            out_shape = Shape(tuple(self.size), False)
        out: Value = tensor(out_shape, x)
        if self.indices is not False:
            out = Seq((out, tensor(out_shape, dtype="int64"))) if self.indices else tensor(None)
        return Outcome(out)


for _n_ in (1, 2, 3):
    register(AdaptivePoolLayer, f"AdaptiveAvgPool{_n_}d", n=_n_, kind="avg")
    register(AdaptivePoolLayer, f"AdaptiveMaxPool{_n_}d", n=_n_, kind="max")


# ---------------------------------------------------------------------- upsampling
_MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def upsample(layer_label: str, x: Optional[Value], size: Any, scale: Any, mode: Any) -> Outcome:
    """nn.Upsample and F.interpolate."""
    shape = input_shape(x) if x is not None else None
    if shape is None or not shape.exact or size is MISSING or scale is MISSING:
        return Outcome(tensor(None, x))
    r = len(shape.dims)
    if r not in (3, 4, 5):
        return Outcome(tensor(None, x), Problem(
            f"{layer_label} 只接受 3、4、5 维输入（带批量和通道），这里是 {r} 维",
            f"{layer_label} takes 3-, 4- or 5-D input (batch and channels first), this is {r}-D"))
    if isinstance(mode, str) and mode in _MODE_RANK and _MODE_RANK[mode] != r:
        return Outcome(tensor(None, x), Problem(
            f"mode='{mode}' 需要 {_MODE_RANK[mode]} 维输入，这里是 {r} 维",
            f"mode='{mode}' needs {_MODE_RANK[mode]}-D input, this is {r}-D"))
    n = r - 2
    spatial = list(shape.dims[2:])
    if size is not None and scale is not None:
        return Outcome(tensor(None, x), Problem(
            "size 和 scale_factor 只能给一个", "only one of size and scale_factor may be given"))
    if size is None and scale is None:
        return Outcome(tensor(None, x), Problem(
            "size 和 scale_factor 必须给一个", "either size or scale_factor must be given"))
    outs: list[Dim]
    if size is not None:
        t = as_tuple(size, n)
        if t is None:
            return Outcome(tensor(None, x))
        outs = list(t)
        formula = None
    else:
        if isinstance(scale, (int, float)) and not isinstance(scale, bool):
            scales = (float(scale),) * n
        elif isinstance(scale, (tuple, list)) and len(scale) == n and all(
                isinstance(s, (int, float)) and not isinstance(s, bool) for s in scale):
            scales = tuple(float(s) for s in scale)
        else:
            return Outcome(tensor(None, x))
        outs = [math.floor(h * s) if isinstance(h, int) else None for h, s in zip(spatial, scales)]
        parts = [(f"O{LETTERS[n][i]} = ⌊{h} × {fmt_num(s)}⌋ = {o}", (h, s))
                 for i, (h, s, o) in enumerate(zip(spatial, scales, outs)) if o is not None]
        formula = join_formulas(parts)
    return Outcome(tensor(Shape((*shape.dims[:2], *outs)), x), None, formula)


class UpsampleLayer(Layer):
    @classmethod
    def signature_for(cls, short: str, opts: dict[str, Any]) -> Sequence[tuple[str, Any]]:
        if short == "Upsample":
            return (("size", None), ("scale_factor", None), ("mode", "nearest"), ("align_corners", None),
                    ("recompute_scale_factor", None))
        return (("size", None), ("scale_factor", None))

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        mode = {"UpsamplingNearest2d": "nearest", "UpsamplingBilinear2d": "bilinear"}.get(
            self.type_name, self.val("mode"))
        return upsample(self.label, inputs[0] if inputs else None, self.val("size"), self.val("scale_factor"), mode)


register(UpsampleLayer, "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d")
