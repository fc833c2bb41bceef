"""RNN / LSTM / GRU. The notes: input ``[seq_len, batch, input_size]``, output
``[seq_len, batch, hidden_size]``, h_n ``[num_layers, batch, hidden_size]``; with
``batch_first`` the first two swap, ``bidirectional`` doubles the output features and the
h_n layers, an unbatched 2-D input drops the batch dim, LSTM's ``proj_size`` shrinks
output and h_n (not c_n)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from .dims import Shape
from .layers import REQUIRED, Layer, Outcome, Problem, floating_like, input_shape, register, tensor
from .values import Seq, Value

_BASE = (("input_size", REQUIRED), ("hidden_size", REQUIRED), ("num_layers", 1))
_TAIL = (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False))
_FACTORY = (("device", None), ("dtype", None))
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


class RecurrentLayer(Layer):
    @classmethod
    def signature_for(cls, short: str, opts: dict[str, Any]) -> Sequence[tuple[str, Any]]:
        if short == "RNN":
            return _BASE + (("nonlinearity", "tanh"),) + _TAIL + _FACTORY
        if short == "LSTM":
            return _BASE + _TAIL + (("proj_size", 0),) + _FACTORY
        return _BASE + _TAIL + _FACTORY

    def setup(self) -> None:
        self.fin, self.hidden, self.layers = self.int_("input_size"), self.int_("hidden_size"), self.int_("num_layers")
        self.batch_first, self.bi = self.bool_("batch_first"), self.bool_("bidirectional")
        self.proj = self.int_("proj_size") if self.type_name == "LSTM" else 0
        self.bias = self.bool_("bias")

    @property
    def dirs(self) -> Optional[int]:
        return None if self.bi is None else (2 if self.bi else 1)

    @property
    def hout(self) -> Optional[int]:
        if self.proj is None or self.hidden is None:
            return None
        return self.proj if self.proj > 0 else self.hidden

    def params(self) -> Optional[int]:
        g = GATES[self.type_name]
        if None in (self.fin, self.hidden, self.layers, self.dirs, self.hout, self.bias):
            return None
        h, hout, total = self.hidden, self.hout, 0
        for layer in range(self.layers):  # type: ignore[arg-type]
            fin = self.fin if layer == 0 else self.dirs * hout  # type: ignore[operator]
            per = g * h * fin + g * h * hout + (2 * g * h if self.bias else 0)  # type: ignore[operator]
            if self.proj:
                per += hout * h  # type: ignore[operator]
            total += per * self.dirs  # type: ignore[operator]
        return total

    def apply(self, inputs: Sequence[Value]) -> Outcome:
        x = inputs[0] if inputs else None
        shape = input_shape(x) if x is not None else None
        d, hout = self.dirs, self.hout
        nl = self.layers
        if shape is not None and shape.exact and len(shape.dims) not in (2, 3):
            return Outcome(tensor(None), Problem(
                f"{self.label} ({self.type_name}) 只接受 2 维（无批量）或 3 维输入，这里是 {len(shape.dims)} 维",
                f"{self.label} ({self.type_name}) takes 2-D (unbatched) or 3-D input, this is {len(shape.dims)}-D"))
        last = shape.dim(-1) if shape is not None else None
        if self.fin is not None and isinstance(last, int) and last != self.fin:
            return Outcome(tensor(None), Problem(
                f"最后一维是 {last}，但 {self.attr_zh('input_size')} = {self.fin}",
                f"whose last dim is {last}, but {self.attr_en('input_size')} = {self.fin}", fix=("input_size", last)))
        feat = d * hout if d is not None and hout is not None else None
        fl = floating_like(x)
        stacked = d * nl if d is not None and nl is not None else None
        if shape is None or not shape.exact:
            out = tensor(Shape((feat,), False), dtype=fl)
            h = c = tensor(None, dtype=fl)
        elif len(shape.dims) == 2:
            out = tensor(Shape((shape.dims[0], feat)), dtype=fl)
            h = tensor(Shape((stacked, hout)), dtype=fl)
            c = tensor(Shape((stacked, self.hidden)), dtype=fl)
        else:
            if self.batch_first is None:
                out = tensor(Shape((None, None, feat)), dtype=fl)
                batch = None
            else:
                seq_len, batch = (shape.dims[1], shape.dims[0]) if self.batch_first else shape.dims[:2]
                out = tensor(Shape((batch, seq_len, feat) if self.batch_first else (seq_len, batch, feat)),
                             dtype=fl)
            h = tensor(Shape((stacked, batch, hout)), dtype=fl)
            c = tensor(Shape((stacked, batch, self.hidden)), dtype=fl)
        state: Value = Seq((h, c)) if self.type_name == "LSTM" else h
        return Outcome(Seq((out, state)))


register(RecurrentLayer, "RNN", "LSTM", "GRU")
