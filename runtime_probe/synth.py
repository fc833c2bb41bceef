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

from .allowlist import (FUNCTIONS, INDEX_INPUT, LAYERS, METHODS, OPERATORS, SEQUENCE_FIRST, STRINGS, CallSpec,
                        string_allowed)

MAX_INT = 2 ** 53
MAX_SEQ = 32
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,80}\Z")
DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")


class Unverifiable(Exception):
    """The model cannot be rebuilt from literals; ``zh``/``en`` say why."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Snippet:
    code: str
    key: str  # sha256 of the code: the cache key
    layer_names: tuple[str, ...] = ()
    step_ids: tuple[int, ...] = ()
    input_shape: Optional[tuple[int, ...]] = None
    bindings: dict[str, int] = field(default_factory=dict)  # symbol -> size the probe used ("N" -> 2)


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
        out.append(arg(value, param, where))
    return out


class ArgEmitter:
    """Step arguments: literals, or ``{"size_of": id, "dim": k}`` read off an earlier step."""

    def __init__(self, defined: set[int]) -> None:
        self.defined = defined

    def __call__(self, value: Any, param: Optional[str], where: str) -> str:
        if isinstance(value, dict):
            if set(value) == {"size_of", "dim"} and type(value["size_of"]) is int and type(value["dim"]) is int \
                    and value["size_of"] in self.defined and abs(value["dim"]) < 64:
                return f"v{value['size_of']}.size({value['dim']})"
            raise _bad(where, value)
        return literal(value, param, where)


def layer_literal(value: Any, param: Optional[str], where: str) -> str:
    return literal(value, param, where)


# ---------------------------------------------------------------------- models
def _input_shape(model: dict, batch: int) -> tuple[tuple[int, ...], dict[str, int]]:
    inp = model.get("input")
    name = model.get("name")
    if not isinstance(inp, dict) or not isinstance(inp.get("shape"), list) or not inp["shape"]:
        raise Unverifiable(f"不知道模型 `{name}` 的输入形状：在 forward 上方写 `# x: (N, C, H, W)` 注释，或用 --input 给出",
                           f"the input shape of `{name}` is unknown: add a `# x: (N, C, H, W)` comment or pass --input")
    dims: list[int] = []
    bindings: dict[str, int] = {}
    for k, d in enumerate(inp["shape"]):
        if type(d) is int and 0 <= d < MAX_INT:
            dims.append(d)
        elif k == 0 and isinstance(d, str) and d:
            bindings[d] = batch
            dims.append(batch)
        else:
            raise Unverifiable(f"模型 `{name}` 输入的第 {k} 维未知（{_show(d)}）；用 --input 给出具体形状",
                               f"dim {k} of the input of `{name}` is not known ({_show(d)}); pass --input")
    return tuple(dims), bindings


def _input_kind(model: dict, input_id: int, layers: dict[str, dict]) -> str:
    dtype = (model.get("input") or {}).get("dtype")
    if dtype in DTYPES:
        return dtype
    for step in model.get("steps", []):
        if input_id not in (step.get("inputs") or []):
            continue
        if step.get("op") == "layer" and (layers.get(step.get("layer")) or {}).get("type") in INDEX_INPUT:
            return "index"
        if step.get("op") == "call" and step.get("fn") in INDEX_INPUT:
            return "index"
    return "float"


def synthesize(model: dict, batch: int = 2) -> Snippet:
    """The snippet for one model of a shape report, or Unverifiable."""
    name = model.get("name")
    if not isinstance(model.get("steps"), list) or not isinstance(model.get("layers"), list):
        raise Unverifiable(f"模型 `{name}` 的形状记录不完整", f"the shape facts of `{name}` are incomplete")

    # --- layers: every one must be rebuildable from literals
    build = ["def build(rt):"]
    index: dict[str, int] = {}
    layers_by_name: dict[str, dict] = {}
    names: list[str] = []
    for i, layer in enumerate(model["layers"]):
        lname = layer.get("name")
        label = safe_label(lname) or f"#{i}"
        where = f"`{label}`"
        qual = layer.get("type")
        spec = LAYERS.get(qual) if isinstance(qual, str) else None
        if spec is None:
            raise Unverifiable(f"层 {where} 的类型 `{_show(qual)}` 不在探针的允许列表中",
                               f"layer {where}: type `{_show(qual)}` is not on the probe's allow-list")
        if layer.get("literal") is False:
            raise Unverifiable(f"层 {where} 的构造参数不全是字面量，探针不会重建它",
                               f"layer {where}: its constructor arguments are not all literals; the probe does not rebuild it")
        args = layer.get("args", [])
        if not isinstance(args, list) or len(args) > len(spec.params):
            raise _bad(where, args)
        parts = _positional(spec, args, 0, where, lambda v, p, w: layer_literal(v, p, w))
        parts += _kwargs(spec, layer.get("kwargs", {}), where, lambda v, p, w: layer_literal(v, p, w))  # type: ignore[arg-type]
        build.append(f"    rt.layer({i})" + (f"  # {label}" if safe_label(lname) else ""))
        build.append(f"    m{i} = {spec.qualname}({', '.join(parts)})")
        if isinstance(lname, str):
            index[lname] = i
            layers_by_name[lname] = layer
        names.append(lname if isinstance(lname, str) else f"#{i}")
    build.append("    return [" + ", ".join(f"m{i}" for i in range(len(model["layers"]))) + "]")

    # --- steps: the forward composition
    fwd = ["def forward(rt, L):"]
    defined: set[int] = set()
    arg = ArgEmitter(defined)
    shape: Optional[tuple[int, ...]] = None
    bindings: dict[str, int] = {}
    step_ids: list[int] = []
    returned = False
    for step in model["steps"]:
        sid = step.get("id")
        op = step.get("op")
        if type(sid) is not int or sid < 0 or sid in defined:
            raise Unverifiable(f"模型 `{name}` 的步骤编号无效", f"`{name}`: invalid step id {_show(sid)}")
        inputs = step.get("inputs", [])
        if not isinstance(inputs, list) or not all(type(j) is int and j in defined for j in inputs):
            raise Unverifiable(f"模型 `{name}` 第 {sid} 步引用了未知的输入", f"`{name}`: step {sid} uses an unknown input")
        ins = [f"v{j}" for j in inputs]
        where = _step_label(step)
        if op == "input":
            shape, bindings = _input_shape(model, batch)
            expr = f"rt.input({literal(list(shape), None, where)}, {_kind_literal(_input_kind(model, sid, layers_by_name))})"
        elif op == "layer":
            lname = step.get("layer")
            if not isinstance(lname, str) or lname not in index:
                raise Unverifiable(f"模型 `{name}` 第 {sid} 步调用的层未知", f"`{name}`: step {sid} calls an unknown layer")
            if step.get("args") or step.get("kwargs"):
                raise Unverifiable(f"{where} 调用层时带了额外参数，探针不支持",
                                   f"{where}: the layer is called with extra arguments, which the probe does not support")
            expr = f"L[{index[lname]}]({', '.join(ins)})"
        elif op == "call":
            spec = FUNCTIONS.get(step.get("fn")) if isinstance(step.get("fn"), str) else None
            if spec is None:
                raise Unverifiable(f"{where}：函数 `{_show(step.get('fn'))}` 不在探针的允许列表中",
                                   f"{where}: function `{_show(step.get('fn'))}` is not on the probe's allow-list")
            first = [f"[{', '.join(ins)}]"] if spec.qualname in SEQUENCE_FIRST else ins
            parts = first + _positional(spec, step.get("args", []), len(first), where, arg)
            parts += _kwargs(spec, step.get("kwargs", {}), where, arg)
            expr = f"{spec.qualname}({', '.join(parts)})"
        elif op == "method":
            spec = METHODS.get(step.get("method")) if isinstance(step.get("method"), str) else None
            if spec is None or not ins:
                raise Unverifiable(f"{where}：张量方法 `{_show(step.get('method'))}` 不在探针的允许列表中",
                                   f"{where}: tensor method `{_show(step.get('method'))}` is not on the probe's allow-list")
            rest = ins[1:]
            parts = rest + _positional(spec, step.get("args", []), len(rest), where, arg)
            parts += _kwargs(spec, step.get("kwargs", {}), where, arg)
            expr = f"{ins[0]}.{spec.qualname}({', '.join(parts)})"
        elif op == "binary":
            opr = OPERATORS.get(step.get("operator")) if isinstance(step.get("operator"), str) else None
            args = step.get("args", [])
            if opr is None:
                raise Unverifiable(f"{where}：运算符 `{_show(step.get('operator'))}` 不受支持",
                                   f"{where}: operator `{_show(step.get('operator'))}` is not supported")
            if len(ins) == 2 and not args:
                expr = f"{ins[0]} {opr} {ins[1]}"
            elif len(ins) == 1 and isinstance(args, list) and len(args) == 1 and type(args[0]) in (int, float):
                expr = f"{ins[0]} {opr} {literal(args[0], None, where)}"
            else:
                raise Unverifiable(f"{where}：无法重建这个运算", f"{where}: cannot rebuild this operation")
        elif op == "item":  # one tensor out of a tuple-returning step: out, (h, c) = lstm(x)
            if len(ins) != 1:
                raise Unverifiable(f"{where}：无法重建这个取元素操作", f"{where}: cannot rebuild this item access")
            expr = ins[0] + _index_path(step.get("index"), where)
        elif op == "getitem":  # x[:, -1], x[0], x[..., None]
            if len(ins) != 1:
                raise Unverifiable(f"{where}：无法重建这个索引", f"{where}: cannot rebuild this indexing")
            expr = f"{ins[0]}[{_subscript(step.get('index'), where)}]"
        elif op == "output":
            if not ins:
                raise Unverifiable(f"模型 `{name}` 的输出未知", f"`{name}`: the output is unknown")
            fwd.append(f"    return {ins[0] if len(ins) == 1 else '(' + ', '.join(ins) + ')'}")
            returned = True
            break
        else:
            raise Unverifiable(f"{where}：探针不支持这种操作（{_show(op)}）",
                               f"{where}: the probe does not support this operation ({_show(op)})")
        fwd += [f"    rt.at({sid})", f"    v{sid} = {expr}", f"    rt.out({sid}, v{sid})"]
        defined.add(sid)
        step_ids.append(sid)
    if not returned:
        fwd.append("    return None")
    if shape is None:
        _input_shape(model, batch)  # raises with the right message when the input is unknown
        raise Unverifiable(f"模型 `{name}` 没有输入步骤", f"`{name}`: there is no input step")

    label = safe_label(name)
    head = [f"# ptlint probe snippet{' for ' + label if label else ''}: generated from literal facts only",
            "import torch", "import torch.nn.functional", ""]
    code = "\n".join(head + build + [""] + fwd) + "\n"
    return make_snippet(code, layer_names=tuple(names), step_ids=tuple(step_ids), input_shape=shape,
                        bindings=bindings)


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


def _step_label(step: dict) -> str:
    op = step.get("op")
    if op == "layer" and safe_label(step.get("layer")):
        return f"`{step['layer']}`"
    if op == "call" and isinstance(step.get("fn"), str) and safe_label(step["fn"]):
        return f"`{step['fn'].rsplit('.', 1)[-1]}(...)`"
    if op == "method" and safe_label(step.get("method")):
        return f"`.{step['method']}(...)`"
    return f"step {step.get('id')}"
