"""nn.MultiheadAttention, nn.TransformerEncoderLayer and nn.TransformerEncoder.

Attention keeps the query's shape (its last dim is ``embed_dim``) whatever the layout; the
layout (``batch_first``) only decides where the batch sits in the attention weights:
``(N, L, S)`` averaged over heads, ``(N, num_heads, L, S)`` otherwise, ``(L, S)`` for an
unbatched 2-D query. An encoder layer and a stack of them return their input's shape."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from .dims import Shape, fmt_shape
from .layers import REQUIRED, Layer, Outcome, Problem, floating_like, input_shape, register, tensor
from .values import MISSING, Const, LayerV, Seq, Value, py

_FACTORY = (("device", None), ("dtype", None))


def _ln_params(d: int, bias: bool) -> int:
    return 2 * d if bias else d


class MultiheadAttentionLayer(Layer):
    SIGNATURE = (("embed_dim", REQUIRED), ("num_heads", REQUIRED), ("dropout", 0.0), ("bias", True),
                 ("add_bias_kv", False), ("add_zero_attn", False), ("kdim", None), ("vdim", None),
                 ("batch_first", False)) + _FACTORY

    def setup(self) -> None:
        self.e, self.h = self.int_("embed_dim"), self.int_("num_heads")
        k, v = self.val("kdim"), self.val("vdim")
        self.kdim = self.e if k is None else (k if isinstance(k, int) and not isinstance(k, bool) else None)
        self.vdim = self.e if v is None else (v if isinstance(v, int) and not isinstance(v, bool) else None)
        self.batch_first = self.bool_("batch_first")

    def params(self) -> Optional[int]:
        e, kd, vd, bias, kv = self.e, self.kdim, self.vdim, self.bool_("bias"), self.bool_("add_bias_kv")
        if None in (e, kd, vd, bias, kv):
            return None
        total = e * e + e * kd + e * vd + e * e  # q, k, v projections and out_proj
        if bias:
            total += 3 * e + e
        if kv:
            total += 2 * e
        return total

    def construct_problem(self) -> Optional[Problem]:
        if self.e is not None and self.h and self.h > 0 and self.e % self.h:
            return Problem(
                f"{self.attr_zh('embed_dim')} = {self.e} 不能被 num_heads = {self.h} 整除，创建这一层时就会报错",
                f"{self.attr_en('embed_dim')} = {self.e} is not divisible by num_heads = {self.h}: the constructor "
                "fails", standalone=True)
        return None

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        return self.apply_call(inputs, {})

    def apply_call(self, inputs: Sequence[Value], kwargs: dict[str, Value]) -> Outcome:
        if len(inputs) != 3:
            return Outcome(tensor(None))
        q, k, v = (input_shape(x) for x in inputs)
        for shape, want, key, which in ((q, self.e, "embed_dim", ("query", "query")),
                                        (k, self.kdim, "kdim", ("key", "key")),
                                        (v, self.vdim, "vdim", ("value", "value"))):
            last = shape.dim(-1) if shape is not None else None
            if want is not None and isinstance(last, int) and last != want:
                return Outcome(tensor(None), Problem(
                    f"{which[0]} {fmt_shape(shape)} 的最后一维是 {last}，但 {self.label} (MultiheadAttention) 的 "
                    f"{key} = {want}",
                    f"the {which[1]} {fmt_shape(shape)} ends in {last}, but {key} of {self.label} "
                    f"(MultiheadAttention) = {want}", standalone=True))
        out_shape = None if q is None else Shape((*q.dims[:-1], self.e), q.exact) if q.dims else None
        out = tensor(out_shape, dtype=floating_like(inputs[0]))
        need = py(kwargs.get("need_weights", Const(True)), MISSING)
        if need is False:
            return Outcome(Seq((out, Const(None))))
        average = py(kwargs.get("average_attn_weights", Const(True)), MISSING)
        weights = tensor(self._weights(q, k, average) if need is True else None, dtype=floating_like(inputs[0]))
        return Outcome(Seq((out, weights)))

    def _weights(self, q: Optional[Shape], k: Optional[Shape], average: Any) -> Optional[Shape]:
        if q is None or k is None or not q.exact or not k.exact or not isinstance(average, bool):
            return None
        extra = self.bool_("add_bias_kv") is not False or self.bool_("add_zero_attn") is not False
        if len(q.dims) == 2 and len(k.dims) == 2:
            src = None if extra else k.dims[0]
            return Shape((q.dims[0], src)) if average else Shape((self.h, q.dims[0], src))
        if len(q.dims) != 3 or len(k.dims) != 3 or self.batch_first is None:
            return None
        if self.batch_first:
            n, tgt, src = q.dims[0], q.dims[1], k.dims[1]
        else:
            n, tgt, src = q.dims[1], q.dims[0], k.dims[0]
        if extra:
            src = None
        return Shape((n, tgt, src)) if average else Shape((n, self.h, tgt, src))


register(MultiheadAttentionLayer, "MultiheadAttention")


class EncoderLayer(Layer):
    SIGNATURE = (("d_model", REQUIRED), ("nhead", REQUIRED), ("dim_feedforward", 2048), ("dropout", 0.1),
                 ("activation", "relu"), ("layer_norm_eps", 1e-5), ("batch_first", False), ("norm_first", False),
                 ("bias", True)) + _FACTORY

    def setup(self) -> None:
        self.d, self.h, self.ff = self.int_("d_model"), self.int_("nhead"), self.int_("dim_feedforward")

    def params(self) -> Optional[int]:
        d, ff, bias = self.d, self.ff, self.bool_("bias")
        if None in (d, ff, bias):
            return None
        attn = 4 * d * d + (4 * d if bias else 0)
        mlp = 2 * d * ff + ((ff + d) if bias else 0)
        return attn + mlp + 2 * _ln_params(d, bool(bias))

    def construct_problem(self) -> Optional[Problem]:
        if self.d is not None and self.h and self.h > 0 and self.d % self.h:
            return Problem(
                f"{self.attr_zh('d_model')} = {self.d} 不能被 nhead = {self.h} 整除，创建这一层时就会报错",
                f"{self.attr_en('d_model')} = {self.d} is not divisible by nhead = {self.h}: the constructor fails",
                standalone=True)
        return None

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        if shape is None:
            return Outcome(tensor(Shape((self.d,), False), dtype=floating_like(x)))
        if shape.exact and len(shape.dims) not in (2, 3):
            return Outcome(tensor(None), Problem(
                f"{self.label} ({self.type_name}) 只接受 2 维（无批量）或 3 维输入，这里是 {len(shape.dims)} 维",
                f"{self.label} ({self.type_name}) takes 2-D (unbatched) or 3-D input, this is {len(shape.dims)}-D"))
        last = shape.dim(-1)
        if self.d is not None and isinstance(last, int) and last != self.d:
            return Outcome(tensor(None), Problem(
                f"最后一维是 {last}，但 {self.attr_zh('d_model')} = {self.d}",
                f"whose last dim is {last}, but {self.attr_en('d_model')} = {self.d}", arg="d_model"))
        return Outcome(tensor(shape, dtype=floating_like(x)))


register(EncoderLayer, "TransformerEncoderLayer")


class EncoderStack(Layer):
    """``nn.TransformerEncoder(layer, num_layers, norm)``: deep copies of one layer."""

    SIGNATURE = (("encoder_layer", REQUIRED), ("num_layers", REQUIRED), ("norm", None),
                 ("enable_nested_tensor", True), ("mask_check", True))

    def _inner(self) -> Optional[Layer]:
        v = self.bound.get("encoder_layer")
        return v.layer if isinstance(v, LayerV) and isinstance(v.layer, EncoderLayer) else None

    def _norm(self) -> Optional[Layer]:
        v = self.bound.get("norm")
        return v.layer if isinstance(v, LayerV) else None

    def params(self) -> Optional[int]:
        inner, n = self._inner(), self.int_("num_layers")
        norm = self.bound.get("norm")
        extra = 0 if isinstance(norm, Const) and norm.value is None else (
            self._norm().params() if self._norm() is not None else None)  # type: ignore[union-attr]
        if inner is None or n is None or extra is None or inner.params() is None:
            return None
        return inner.params() * n + extra  # type: ignore[operator]

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        inner = self._inner()
        if inner is None or self.int_("num_layers") is None:
            return Outcome(tensor(None))
        old_name = inner.name
        inner.name = f"{self.name}.layers.0" if self.name else None  # torch's name for the first copy
        try:
            out = inner.apply(inputs)
        finally:
            inner.name = old_name
        if out.problem is not None:
            out.problem.arg = None  # the wrong number is in another constructor call: point at this call
            return out
        norm = self._norm()
        if norm is not None:
            return norm.apply([out.out])
        return out


register(EncoderStack, "TransformerEncoder")
