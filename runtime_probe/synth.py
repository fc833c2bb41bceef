"""Snippet synthesis: turn one model of the shape contract (v1) into a small Python
program for the worker.

Safety rests here. Nothing from the user's file is copied into the program as code:
callable names come from ``allowlist`` tables (emitted as *our* strings, after a
membership check), numbers are re-printed with ``repr`` after an exact type check,
strings only from the fixed word sets, variables are ``v<int>``/``L[<int>]``. Any
value that is not one of these — a name, a call, an attribute, a lambda, a
comprehension, ``{"unknown": …}``, a type outside the allow-list — raises
``Unverifiable`` and the model is not run at all."""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ptlint.rules.dtypes import DEFAULT_FLOAT, SOME_FLOAT
from .errors import BilingualError
from .allowlist import (CREATION, DEVICE_METHODS, FUNCTIONS, INDEX_INPUT, LAYERS, METHODS, OPERATOR_FUNCTIONS,
                        OPERATORS, SEQUENCE_FIRST, STRINGS, TORCH_DTYPES, CallSpec, string_allowed)

MAX_INT = 2 ** 53
MAX_SEQ = 32
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,80}\Z")
DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")


class Unverifiable(BilingualError):
    """The model cannot be rebuilt from literals; ``zh``/``en`` say why."""

    kind = ""


class InputUnknown(Unverifiable):
    """No input shape: a sub-block is often only ever called by a bigger model."""

    kind = "input-unknown"


@dataclass(frozen=True)
class Snippet:
    code: str
    key: str  # sha256 of the code: the cache key
    layer_names: tuple[str, ...] = ()
    step_ids: tuple[int, ...] = ()
    input_shape: Optional[tuple[int, ...]] = None
    bindings: dict[str, int] = field(default_factory=dict)  # symbol -> size the probe used ("N" -> 2)
    # Steps after a predicted error that could not be rebuilt: PyTorch never gets there
    # when the prediction holds, so they are shown as not run instead of failing the model.
    unbuilt: tuple[int, ...] = ()


def make_snippet(code: str, **kw: Any) -> Snippet:
    return Snippet(code, hashlib.sha256(code.encode("utf-8")).hexdigest(), **kw)


def _show(value: Any) -> str:
    """A short, printable description of a rejected value (text for the reader, never code)."""
    if isinstance(value, dict) and "unknown" in value:
        text = str(value["unknown"])
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _name(name: Any) -> str:
    """A model or layer name for a message (text only)."""
    return " ".join(name.split())[:60] if isinstance(name, str) and name.strip() else _show(name)


def safe_label(name: Any) -> Optional[str]:
    """A layer name fit for a comment in the snippet, or None."""
    return name if isinstance(name, str) and _NAME_RE.match(name) else None


# ---------------------------------------------------------------------- literals
def literal(value: Any, param: Optional[str], where: str, depth: int = 0) -> str:
    """Python source for a literal JSON value, or Unverifiable."""
    t = type(value)
    if value is None:
        return "None"
    if t is bool:
        return "True" if value else "False"
    if t is int:
        if abs(value) >= MAX_INT:
            raise _bad(where, value)
        return repr(int(value))
    if t is float:
        if not math.isfinite(value):
            raise _bad(where, value)
        return repr(float(value))
    if t is str:
        if depth == 0 and string_allowed(param, value):
            word = next(w for w in sorted(STRINGS[param]) if w == value)  # type: ignore[index]
            return repr(word)
        raise _bad(where, value)
    if t in (list, tuple) and depth < 2 and len(value) <= MAX_SEQ:
        items = [literal(v, None, where, depth + 1) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    raise _bad(where, value)


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# Parameters that take a tensor: an unknown value there is a tensor the engine lost.
TENSOR_PARAMS = frozenset({"input", "tensors", "tensor", "x1", "x2", "other", "target", "condition"})


def _unknown_text(value: Any) -> Optional[str]:
    if isinstance(value, dict) and set(value) == {"unknown"} and isinstance(value["unknown"], str):
        return value["unknown"]
    return None


def _lost(where: str, value: Any) -> Unverifiable:
    v = _show(value)
    if not _IDENT.match(_unknown_text(value) or ""):
        return Unverifiable(f"{where}：静态分析不知道 `{v}` 返回什么（一个静态分析不认识的调用），探针无法重建这一步",
                            f"{where}: the static analysis does not know what `{v}` returns (a call it does not "
                            f"model); the probe cannot rebuild it")
    return Unverifiable(f"{where}：静态分析不知道 `{v}` 的形状（它来自一个静态分析不认识的调用），探针无法重建这一步",
                        f"{where}: the static analysis lost track of `{v}` before this step (it comes from a call "
                        f"the analysis does not model); the probe cannot rebuild it")


def _bad(where: str, value: Any) -> Unverifiable:
    v = _show(value)
    return Unverifiable(f"{where} 的参数 `{v}` 不是字面量（数字、元组、布尔值或固定的字符串），探针不会重建它",
                        f"{where}: the argument `{v}` is not a literal (number, tuple, bool or a fixed word); "
                        f"the probe does not rebuild it")


def _kwargs(spec: CallSpec, kwargs: Any, where: str, arg: "ArgEmitter") -> list[str]:
    if not isinstance(kwargs, dict):
        raise _bad(where, kwargs)
    out = []
    for name, value in kwargs.items():
        if name not in spec.params:
            n = _show(name)
            raise Unverifiable(f"{where} 的关键字参数 `{n}` 不在允许列表中", f"{where}: keyword `{n}` is not on the allow-list")
        pname = spec.params[spec.params.index(name)]  # our own string, not the contract's
        out.append(f"{pname}={arg(value, pname, where)}")
    return out


def _positional(spec: CallSpec, args: Any, offset: int, where: str, arg: "ArgEmitter") -> list[str]:
    if not isinstance(args, list):
        raise _bad(where, args)
    out = []
    for i, value in enumerate(args):
        j = offset + i
        param = spec.params[j] if j < len(spec.params) else None
        if param in TENSOR_PARAMS and _unknown_text(value) is not None:
            raise _lost(where, value)
        out.append(arg(value, param, where))
    return out


class ArgEmitter:
    """Step arguments: literals, ``{"size_of": id, "dim": k}`` (a size read off an earlier
    step), ``{"step": id}`` (an earlier step's tensor, possibly inside a list, as in
    ``torch.cat([a, b], 1)``) and ``{"dtype": "torch.int64"}``."""

    def __init__(self, defined: set[int]) -> None:
        self.defined = defined

    def __call__(self, value: Any, param: Optional[str], where: str, depth: int = 0) -> str:
        if isinstance(value, dict):
            keys = set(value)
            if keys == {"size_of", "dim"} and type(value["size_of"]) is int and type(value["dim"]) is int \
                    and value["size_of"] in self.defined and abs(value["dim"]) < 64:
                return f"v{value['size_of']}.size({value['dim']})"
            if keys == {"step"} and type(value["step"]) is int and value["step"] in self.defined:
                return f"v{value['step']}"
            if keys == {"dtype"} and value["dtype"] in TORCH_DTYPES:
                return next(d for d in sorted(TORCH_DTYPES) if d == value["dtype"])  # our own string
            if _IDENT.match(_unknown_text(value) or "-"):
                raise _lost(where, value)  # a bare variable in a step: a tensor lost earlier, not a "non-literal"
            raise _bad(where, value)
        if isinstance(value, list) and _has_step(value) and depth < 2 and len(value) <= MAX_SEQ:
            return "[" + ", ".join(self(v, None, where, depth + 1) for v in value) + "]"
        return literal(value, param, where)


def _has_step(value: Any) -> bool:
    if isinstance(value, dict):
        return "step" in value
    return isinstance(value, list) and any(_has_step(v) for v in value)


def _device_like(value: Any) -> bool:
    """``x.to(device)`` / ``.to("cuda")``: an argument that can only name a device. Read as
    text, never evaluated."""
    if isinstance(value, dict) and set(value) == {"unknown"} and isinstance(value["unknown"], str):
        return bool(_DEVICE_SRC.fullmatch(value["unknown"].strip()))
    return isinstance(value, str) and bool(_DEVICE_STR.fullmatch(value))


_DEVICE_SRC = re.compile(r"([A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_]*device")
_DEVICE_STR = re.compile(r"cpu|cuda(:\d+)?|mps")


# ---------------------------------------------------------------------- models
def _input_shape(model: dict, batch: int) -> tuple[tuple[int, ...], dict[str, int]]:
    inp = model.get("input")
    name = model.get("name")
    if not isinstance(inp, dict) or not isinstance(inp.get("shape"), list) or not inp["shape"]:
        raise InputUnknown(f"不知道模型 `{_name(name)}` 的输入形状：在类或 Sequential 那一行写 `# ptlint: input=(N, C, H, W)`，"
                           f"或用 --input 给出",
                           f"the input shape of `{_name(name)}` is unknown: add `# ptlint: input=(N, C, H, W)` on the "
                           f"class or Sequential line, or pass --input")
    dims: list[int] = []
    bindings: dict[str, int] = {}
    for k, d in enumerate(inp["shape"]):
        if type(d) is int and 0 <= d < MAX_INT:
            dims.append(d)
        elif k == 0 and isinstance(d, str) and d:
            bindings[d] = batch
            dims.append(batch)
        else:
            raise Unverifiable(f"模型 `{_name(name)}` 输入的第 {k} 维未知（{_show(d)}）；用 --input 给出具体形状",
                               f"dim {k} of the input of `{_name(name)}` is not known ({_show(d)}); pass --input")
    return tuple(dims), bindings


# The shape report's dtypes (rules/dtypes.py's names) -> the kind of tensor ``rt.input`` makes:
# "floating" (a float of unknown width) and the legacy "float" make a default-dtype tensor.
_FAMILY = {"float": "float", SOME_FLOAT: "float", **{d: d for d in DTYPES}}


def _input_kind(model: dict, input_id: int, layers: dict[str, dict]) -> str:
    dtype = (model.get("input") or {}).get("dtype")
    if dtype in _FAMILY and _FAMILY[dtype] not in ("float", DEFAULT_FLOAT):
        return _FAMILY[dtype]  # the default float may still be an Embedding's index input below
    for step in model.get("steps", []):
        if input_id not in (step.get("inputs") or []):
            continue
        if step.get("op") == "layer" and (layers.get(step.get("layer")) or {}).get("type") in INDEX_INPUT:
            return "index"
        if step.get("op") == "call" and step.get("fn") in INDEX_INPUT:
            return "index"
    return "float"


class _Forward:
    """Emits ``forward(rt, L)`` one step at a time."""

    def __init__(self, model: dict, index: dict[str, int], layers: dict[str, dict], batch: int) -> None:
        self.model = model
        self.name = model.get("name")
        self.index = index
        self.layers = layers
        self.batch = batch
        self.defined: set[int] = set()
        self.arg = ArgEmitter(self.defined)
        self.lines = ["def forward(rt, L):"]
        self.shape: Optional[tuple[int, ...]] = None
        self.bindings: dict[str, int] = {}
        self.step_ids: list[int] = []
        self.returned = False
        self.last_layer: Optional[str] = None

    def fail(self, zh: str, en: str) -> Unverifiable:
        return Unverifiable(zh, en)

    def concrete(self, shape: Any, where: str) -> tuple[int, ...]:
        """A static shape with its symbols replaced by the sizes the probe chose."""
        if not isinstance(shape, list):
            raise self.fail(f"{where} 的形状未知", f"{where}: the shape is not known")
        out = []
        for d in shape:
            if type(d) is int and 0 <= d < MAX_INT:
                out.append(d)
            elif isinstance(d, str) and d in self.bindings:
                out.append(self.bindings[d])
            else:
                raise self.fail(f"{where} 的形状含未知的维（{_show(d)}）", f"{where}: the shape has an unknown dim ({_show(d)})")
        return tuple(out)

    def step(self, step: dict) -> None:
        sid = step.get("id")
        op = step.get("op")
        if type(sid) is not int or sid < 0 or sid in self.defined:
            raise self.fail(f"模型 `{_name(self.name)}` 的步骤编号无效", f"`{_name(self.name)}`: invalid step id {_show(sid)}")
        inputs = step.get("inputs", [])
        if not isinstance(inputs, list) or not all(type(j) is int and j in self.defined for j in inputs):
            raise self.fail(f"模型 `{_name(self.name)}` 第 {sid} 步引用了未知的输入",
                            f"`{_name(self.name)}`: step {sid} uses an unknown input")
        ins = [f"v{j}" for j in inputs]
        where = _step_label(step)
        emit = getattr(self, "op_" + op, None) if isinstance(op, str) and op.isidentifier() else None
        if emit is None:
            raise self.fail(f"{where}：静态分析没能跟踪这一步（{_show(op)}），探针无法重建",
                            f"{where}: the static analysis could not follow this step ({_show(op)}); the probe cannot rebuild it")
        expr = emit(step, sid, ins, where)
        if expr is None:  # the output step
            return
        self.lines += [f"    rt.at({sid})", f"    v{sid} = {expr}", f"    rt.out({sid}, v{sid})"]
        self.defined.add(sid)
        self.step_ids.append(sid)

    # ------------------------------------------------------------------ ops
    def op_input(self, step: dict, sid: int, ins: list[str], where: str) -> str:
        self.shape, self.bindings = _input_shape(self.model, self.batch)
        kind = _input_kind(self.model, sid, self.layers)
        return f"rt.input({literal(list(self.shape), None, where)}, {_kind_literal(kind)})"

    def op_output(self, step: dict, sid: int, ins: list[str], where: str) -> None:
        if not ins:
            raise self.fail(f"模型 `{_name(self.name)}` 的输出未知", f"`{_name(self.name)}`: the output is unknown")
        self.lines.append(f"    return {ins[0] if len(ins) == 1 else '(' + ', '.join(ins) + ')'}")
        self.returned = True
        return None

    def op_layer(self, step: dict, sid: int, ins: list[str], where: str) -> str:
        lname = self._layer_name(step.get("layer"), sid, where)
        if not ins and not step.get("inputs_in_args") and not step.get("args"):
            # The engine lost the tensor passed here (an unmodelled call before it): a
            # layer is never called without one, so do not rebuild `L[i]()`.
            raise self.fail(f"{where}{_at_zh(step)}：静态分析没有跟踪到传给它的张量，探针无法重建这次调用",
                            f"{where}{_at_en(step)}: the static analysis lost track of the tensor passed to it; "
                            f"the probe cannot rebuild this call")
        if step.get("kwargs"):
            raise self.fail(f"{where} 调用层时带了关键字参数，探针不支持",
                            f"{where}: the layer is called with keyword arguments, which the probe does not support")
        if step.get("inputs_in_args"):
            parts = [self.arg(v, None, where) for v in _list(step.get("args"), where)]
        elif step.get("args"):
            raise self.fail(f"{where} 调用层时带了额外参数，探针不支持",
                            f"{where}: the layer is called with extra arguments, which the probe does not support")
        else:
            parts = ins
        return f"L[{self.index[lname]}]({', '.join(parts)})"

    def _layer_name(self, lname: Any, sid: int, where: str) -> str:
        """The layer list's name for a layer step. A module passed into a block's
        constructor (ResNet's ``downsample``) may be named relative to that block
        (``downsample.0``): resolve it against the enclosing block of the layer called
        just before (``layer1.0.conv1`` -> ``layer1.0.downsample.0``)."""
        if isinstance(lname, str) and lname in self.index:
            self.last_layer = lname
            return lname
        if not isinstance(lname, str) or not safe_label(lname):
            raise self.fail(f"模型 `{_name(self.name)}` 第 {sid} 步没有给出层名", f"`{_name(self.name)}`: step {sid} names no layer")
        parts = (self.last_layer or "").split(".")
        for k in range(len(parts) - 1, 0, -1):
            candidate = ".".join(parts[:k]) + "." + lname
            if candidate in self.index:
                self.last_layer = candidate
                return candidate
        tails = [n for n in self.index if n.endswith("." + lname)]
        if len(tails) == 1:
            self.last_layer = tails[0]
            return tails[0]
        raise self.fail(f"{where}：形状报告的层列表里没有名为 `{lname}` 的层（第 {sid} 步），探针无法确定调用的是哪一层",
                        f"{where}: the shape report's layer list has no layer named `{lname}` (step {sid}); the probe "
                        f"cannot tell which layer is called")

    def op_call(self, step: dict, sid: int, ins: list[str], where: str) -> str:
        fn = step.get("fn")
        if isinstance(fn, str) and fn in CREATION:
            # torch.zeros(x.size(0), 10, device=...) and friends: a fresh tensor of the known shape.
            dtype = step.get("dtype") or "float"
            kind = _FAMILY.get(dtype) if isinstance(dtype, str) else None
            if kind is None:
                raise self.fail(f"{where} 创建的张量 dtype 未知", f"{where}: the dtype of the created tensor is not known")
            shape = self.concrete(step.get("output"), where)
            return f"rt.input({literal(list(shape), None, where)}, {_kind_literal(kind)})"
        spec = FUNCTIONS.get(fn) if isinstance(fn, str) else None
        if spec is None:
            raise self.fail(f"{where}：函数 `{_show(fn)}` 不在探针的允许列表中",
                            f"{where}: function `{_show(fn)}` is not on the probe's allow-list")
        if step.get("inputs_in_args"):
            parts = _positional(spec, _list(step.get("args"), where), 0, where, self.arg)
        else:
            first = [f"[{', '.join(ins)}]"] if spec.qualname in SEQUENCE_FIRST else ins
            parts = first + _positional(spec, step.get("args", []), len(first), where, self.arg)
        parts += _kwargs(spec, step.get("kwargs", {}), where, self.arg)
        return f"{spec.qualname}({', '.join(parts)})"

    def op_method(self, step: dict, sid: int, ins: list[str], where: str) -> str:
        m = step.get("method")
        args = _list(step.get("args", []), where)
        if step.get("inputs_in_args"):
            if not args or not isinstance(args[0], dict) or set(args[0]) != {"step"}:
                raise self.fail(f"{where}：无法确定调用方法的张量", f"{where}: the tensor the method is called on is not known")
            receiver, args, rest = self.arg(args[0], None, where), args[1:], []
        else:
            if not ins:
                raise self.fail(f"{where}：无法确定调用方法的张量", f"{where}: the tensor the method is called on is not known")
            receiver, rest = ins[0], ins[1:]
        if isinstance(m, str) and m in DEVICE_METHODS:
            return self._device_method(receiver, m, args, step.get("kwargs", {}), where)
        spec = METHODS.get(m) if isinstance(m, str) else None
        if spec is None:
            raise self.fail(f"{where}：张量方法 `{_show(m)}` 不在探针的允许列表中",
                            f"{where}: tensor method `{_show(m)}` is not on the probe's allow-list")
        parts = rest + _positional(spec, args, len(rest), where, self.arg)
        parts += _kwargs(spec, step.get("kwargs", {}), where, self.arg)
        return f"{receiver}.{spec.qualname}({', '.join(parts)})"

    def _device_method(self, receiver: str, m: str, args: list, kwargs: Any, where: str) -> str:
        dtype: Optional[str] = None
        if not isinstance(kwargs, dict):
            raise _bad(where, kwargs)
        values = list(args) + [v for k, v in kwargs.items() if k in ("device", "dtype")]
        if any(k not in ("device", "dtype", "non_blocking", "copy") for k in kwargs) or \
                any(type(kwargs.get(k, False)) is not bool for k in ("non_blocking", "copy")):
            raise _bad(where, kwargs)
        for v in values:
            if isinstance(v, dict) and set(v) == {"dtype"} and v["dtype"] in TORCH_DTYPES and m == "to":
                dtype = self.arg(v, None, where)
            elif not (_device_like(v) or (m == "cuda" and type(v) is int)):
                raise _bad(where, v)
        return f"{receiver}.to({dtype})" if dtype else receiver

    def op_binary(self, step: dict, sid: int, ins: list[str], where: str) -> str:
        sym = step.get("operator")
        operands = step.get("operands")
        if isinstance(operands, list) and len(operands) == 2:
            a, b = (self.arg(v, None, where) for v in operands)
        elif len(ins) == 2 and not step.get("args"):
            a, b = ins
        elif len(ins) == 1 and isinstance(step.get("args"), list) and len(step["args"]) == 1 \
                and type(step["args"][0]) in (int, float):
            a, b = ins[0], literal(step["args"][0], None, where)
        else:
            raise self.fail(f"{where}：无法重建这个运算", f"{where}: cannot rebuild this operation")
        if isinstance(sym, str) and sym in OPERATORS:
            return f"{a} {OPERATORS[sym]} {b}"
        if isinstance(sym, str) and sym in OPERATOR_FUNCTIONS:
            return f"{OPERATOR_FUNCTIONS[sym]}({a}, {b})"
        raise self.fail(f"{where}：运算符 `{_show(sym)}` 不受支持", f"{where}: operator `{_show(sym)}` is not supported")

    def op_item(self, step: dict, sid: int, ins: list[str], where: str) -> str:
        """One tensor out of a tuple-returning step: ``out, (h, c) = self.lstm(x)``."""
        if len(ins) != 1:
            raise self.fail(f"{where}：无法重建这个取元素操作", f"{where}: cannot rebuild this item access")
        return ins[0] + _index_path(step.get("index"), where)

    def op_getitem(self, step: dict, sid: int, ins: list[str], where: str) -> str:
        """``x[:, -1]``, ``x[0]``, ``x[..., None]``."""
        if len(ins) != 1:
            raise self.fail(f"{where}：无法重建这个索引", f"{where}: cannot rebuild this indexing")
        return f"{ins[0]}[{_subscript(step.get('index'), where)}]"


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise _bad(where, value)
    return value


def synthesize(model: dict, batch: int = 2) -> Snippet:
    """The snippet for one model of a shape report, or Unverifiable."""
    name = model.get("name")
    if not isinstance(model.get("steps"), list) or not isinstance(model.get("layers"), list):
        raise Unverifiable(f"模型 `{_name(name)}` 的形状记录不完整", f"the shape facts of `{_name(name)}` are incomplete")

    # --- layers: every one must be rebuildable from literals
    build = ["def build(rt):"]
    index: dict[str, int] = {}
    layers_by_name: dict[str, dict] = {}
    names: list[str] = []
    for i, layer in enumerate(model["layers"]):
        if not isinstance(layer, dict):
            raise Unverifiable(f"模型 `{_name(name)}` 的层记录无效", f"`{_name(name)}`: invalid layer record")
        lname = layer.get("name")
        label = safe_label(lname) or f"#{i}"
        where = f"`{label}`"
        qual = layer.get("type")
        spec = LAYERS.get(qual) if isinstance(qual, str) else None
        if spec is None:
            raise Unverifiable(f"层 {where} 的类型 `{_show(qual)}` 不在探针的允许列表中",
                               f"layer {where}: type `{_show(qual)}` is not on the probe's allow-list")
        args = layer.get("args", [])
        if not isinstance(args, list) or len(args) > len(spec.params):
            raise _bad(where, args)
        parts = _positional(spec, args, 0, where, literal)  # an {"unknown": source} argument is named here
        parts += _kwargs(spec, layer.get("kwargs", {}), where, literal)
        if layer.get("literal") is False:
            raise Unverifiable(f"层 {where} 的构造参数不全是字面量，探针不会重建它",
                               f"layer {where}: its constructor arguments are not all literals; the probe does not rebuild it")
        build.append(f"    rt.layer({i})" + (f"  # {label}" if safe_label(lname) else ""))
        build.append(f"    m{i} = {spec.qualname}({', '.join(parts)})")
        if isinstance(lname, str):
            index[lname] = i
            layers_by_name[lname] = layer
        names.append(lname if isinstance(lname, str) else f"#{i}")
    build.append("    return [" + ", ".join(f"m{i}" for i in range(len(model["layers"]))) + "]")

    # --- steps: the forward composition
    fwd = _Forward(model, index, layers_by_name, batch)
    predicted = {e.get("step") for e in model.get("errors") or [] if isinstance(e, dict) and e.get("step") is not None}
    unbuilt: list[int] = []
    for k, step in enumerate(model["steps"]):
        if not isinstance(step, dict):
            raise Unverifiable(f"模型 `{_name(name)}` 的步骤记录无效", f"`{_name(name)}`: invalid step record")
        try:
            fwd.step(step)
        except Unverifiable:
            if not predicted & fwd.defined:
                raise
            # After a predicted error the engine's later facts are guesses (`out.size(0)` of
            # a tensor it could not compute): run up to here; the rest is "not run".
            unbuilt = [s.get("id") for s in model["steps"][k:] if isinstance(s, dict) and type(s.get("id")) is int
                       and s.get("op") != "output"]
            fwd.lines.append("    return None")
            fwd.returned = True
            break
        if fwd.returned:
            break
    if not fwd.returned:
        fwd.lines.append("    return None")
    if fwd.shape is None:
        _input_shape(model, batch)  # raises with the right message when the input is unknown
        raise Unverifiable(f"模型 `{_name(name)}` 没有输入步骤", f"`{_name(name)}`: there is no input step")

    label = safe_label(name)
    head = [f"# ptlint probe snippet{' for ' + label if label else ''}: generated from literal facts only",
            "import torch", "import torch.nn.functional", ""]
    code = "\n".join(head + build + [""] + fwd.lines) + "\n"
    return make_snippet(code, layer_names=tuple(names), step_ids=tuple(fwd.step_ids), input_shape=fwd.shape,
                        bindings=fwd.bindings, unbuilt=tuple(unbuilt))


def _index_path(path: Any, where: str) -> str:
    if not isinstance(path, list) or not 1 <= len(path) <= 4 or not all(type(i) is int and abs(i) < 64 for i in path):
        raise _bad(where, path)
    return "".join(f"[{i}]" for i in path)


def _subscript(index: Any, where: str) -> str:
    """Basic indexing only: ints, None, Ellipsis and slices of ints / None."""
    items = index if isinstance(index, list) else [index]
    if not 1 <= len(items) <= 8:
        raise _bad(where, index)
    out = []
    for it in items:
        if it is None:
            out.append("None")
        elif type(it) is int and abs(it) < MAX_INT:
            out.append(repr(it))
        elif it == "..." or (isinstance(it, dict) and it.get("ellipsis") is True and len(it) == 1):
            out.append("...")
        elif isinstance(it, dict) and set(it) == {"slice"} and isinstance(it["slice"], list) and len(it["slice"]) == 3 \
                and all(x is None or (type(x) is int and abs(x) < MAX_INT) for x in it["slice"]):
            start, stop, step = ("" if x is None else repr(x) for x in it["slice"])
            out.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        else:
            raise _bad(where, it)
    return ", ".join(out)


def _kind_literal(kind: str) -> str:
    # Only our own words reach the snippet.
    for word in ("float", "index") + DTYPES:
        if word == kind:
            return repr(word)
    raise Unverifiable("未知的输入类型", "unknown input kind")


def _line_of(step: dict) -> Optional[int]:
    try:
        line = step["range"]["start"]["line"]
    except (KeyError, TypeError):
        return None
    return line if type(line) is int else None


def _at_zh(step: dict) -> str:
    line = _line_of(step)
    return f"（第 {line} 行）" if line is not None else ""


def _at_en(step: dict) -> str:
    line = _line_of(step)
    return f" (line {line})" if line is not None else ""


def _step_label(step: dict) -> str:
    op = step.get("op")
    if op == "layer" and safe_label(step.get("layer")):
        return f"`{step['layer']}`"
    if op == "call" and isinstance(step.get("fn"), str) and safe_label(step["fn"]):
        return f"`{step['fn'].rsplit('.', 1)[-1]}(...)`"
    if op == "method" and safe_label(step.get("method")):
        return f"`.{step['method']}(...)`"
    return f"step {step.get('id')}"
