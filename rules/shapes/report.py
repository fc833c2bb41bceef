"""The ``ptlint shapes`` document (JSON, contract version 1 — see docs/shapes.md) and
its torchsummary-style text table."""
from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any, Optional

import libcst as cst

from .analysis import ModelEntry, ShapeAnalysis
from .dims import Shape, fmt_shape, shape_json
from .trace import Step
from .values import Seq, TensorV, Value

if TYPE_CHECKING:
    from ..engine import FileContext

VERSION = 1
EXECUTABLE_OPS = {"input", "layer", "call", "method", "binary", "getitem", "item", "output"}


def analyse_text(source_text: str, path: str = "<stdin>", *, input_shape: Optional[Shape] = None,
                 notebook: bool = False) -> tuple[Optional["FileContext"], Optional[ShapeAnalysis]]:
    """Parse once and build the shape analysis (None, None when the text cannot be parsed
    or never mentions torch)."""
    from ..config import Config
    from ..source import source_from_text

    source = source_from_text(source_text, path, notebook=notebook)
    return analyse_source(source, Config(), input_shape=input_shape)


def analyse_source(source, config, *, input_shape: Optional[Shape] = None):
    from ..engine import lint_source

    result = lint_source(source, config, rules=[], keep_context=True)
    ctx = result.context
    if ctx is None:
        return None, None
    if input_shape is None:
        return ctx, ctx.analysis(ShapeAnalysis)
    return ctx, ShapeAnalysis(ctx, input_shape=input_shape)


def shapes_report(source_text: str, path: str = "<stdin>", *, input_shape: Any = None,
                  model: Optional[str] = None, notebook: bool = False) -> dict[str, Any]:
    """The JSON document for a source text. ``input_shape``: a Shape or a sequence of dims."""
    shape = input_shape if isinstance(input_shape, Shape) or input_shape is None else Shape(tuple(input_shape))
    ctx, analysis = analyse_text(source_text, path, input_shape=shape, notebook=notebook)
    return build_report(analysis, path, model=model)


def build_report(analysis: Optional[ShapeAnalysis], path: str, *, model: Optional[str] = None) -> dict[str, Any]:
    models = []
    if analysis is not None:
        models = [model_json(analysis, m) for m in analysis.models if model is None or m.name == model]
        models.sort(key=lambda m: ((m["range"] or {}).get("cell") or 0,
                                   (m["range"] or {}).get("start", {}).get("line", 0)))
    return {"version": VERSION, "path": path, "models": models}


# ---------------------------------------------------------------------- JSON pieces
def range_json(a: ShapeAnalysis, node: Optional[cst.CSTNode]) -> Optional[dict[str, Any]]:
    if node is None:
        return None
    try:
        cell, rng = a.ctx.locate(node)
    except KeyError:
        return None
    d = rng.to_dict()
    if cell is not None:
        d["cell"] = cell
    return d


def placed(a: ShapeAnalysis, node: Optional[cst.CSTNode], **fields: Any) -> dict[str, Any]:
    """An error or note with its ``range`` in this file, or, for code of another project
    file (the pool layer of a block class in models/blocks.py), ``range`` null and
    ``elsewhere`` naming that file: consumers that place ranges in this file skip it."""
    rng = range_json(a, node)
    fields["range"] = rng
    if rng is None and node is not None:
        where = a.ctx.locate_foreign(node)
        if where is not None:
            fields["elsewhere"] = {"path": where[0], **where[1].to_dict()}
    return fields


def value_shapes(v: Value) -> Any:
    """Nested list of shapes mirroring a tuple result (LSTM: [out, [h_n, c_n]])."""
    if isinstance(v, TensorV):
        return shape_json(v.shape)
    if isinstance(v, Seq):
        return [value_shapes(i) for i in v.items]
    return None


def first_tensor(v: Value) -> Optional[TensorV]:
    if isinstance(v, TensorV):
        return v
    if isinstance(v, Seq) and v.items:
        return first_tensor(v.items[0])
    return None


def _known(v: Value) -> bool:
    if isinstance(v, TensorV):
        return v.shape is not None and v.shape.fully_known
    if isinstance(v, Seq):
        return bool(v.items) and all(_known(i) for i in v.items)
    return False


def _has_unknown(x: Any) -> bool:
    if isinstance(x, dict):
        return "unknown" in x or any(_has_unknown(v) for v in x.values())
    if isinstance(x, list):
        return any(_has_unknown(v) for v in x)
    return False


def step_json(a: ShapeAnalysis, s: Step, names: Optional[dict[int, str]] = None) -> dict[str, Any]:
    d: dict[str, Any] = {"id": s.id, "op": s.op}
    if s.op == "layer" and s.layer is not None:
        d["layer"] = (names or {}).get(id(s.layer), s.layer.name)
    d["inputs"] = list(s.inputs)
    for key in ("fn", "method", "operator", "operands", "index", "args", "kwargs", "inputs_in_args", "attr", "kind"):
        if key in s.fields:
            d[key] = s.fields[key]
    if s.op == "getitem" and "index" not in d:
        d["index"] = []
    t = first_tensor(s.output)
    d["output"] = shape_json(t.shape) if t is not None else None
    if t is not None and t.shape is not None and not t.shape.exact:
        d["output_tail"] = list(t.shape.dims)  # rank unknown: the trailing dims that are known
    if isinstance(s.output, Seq):
        d["outputs"] = value_shapes(s.output)
    if s.node is not None:
        d["range"] = range_json(a, s.node)
    if s.op == "layer" and s.layer is not None:
        d["params"] = s.layer.params()
    if s.formula:
        d["formula"] = s.formula
    if t is not None and t.dtype is not None:
        d["dtype"] = t.dtype
    return d


def model_json(a: ShapeAnalysis, m: ModelEntry) -> dict[str, Any]:
    t = m.trace
    steps = t.steps if t is not None else []
    errors = []
    if t is not None:
        for e in t.problems:
            errors.append(placed(a, e.node, step=e.step, code="PT005", message_zh=e.zh, message_en=e.en))
    for e in a.errors:
        if e.kind == "construct" and any(layer.node is e.node for _, layer in m.layers):
            errors.append(placed(a, e.node, step=None, code="PT005", message_zh=e.zh, message_en=e.en))
    drops = []
    if t is not None:
        for d in t.drops:
            drops.append(placed(a, d.node, code="PT006", message_zh=d.zh, message_en=d.en))
    complete = not m.gave_up and bool(steps) and all(_known(s.output) for s in steps if s.op != "output")
    executable = (not m.gave_up and bool(steps) and all(s.op in EXECUTABLE_OPS for s in steps)
                  and not any(_has_unknown(s.fields.get(k)) for s in steps
                              for k in ("args", "kwargs", "operands", "index"))
                  and all(layer.literal for _, layer in m.layers if any(s.layer is layer for s in steps)))
    info = m.input
    params = [layer.params() for _, layer in m.layers]
    return {
        "name": m.name,
        "kind": m.kind,
        "range": range_json(a, m.node),
        "input": None if info is None else {
            "shape": list(info.shape.dims), "source": info.source, "range": range_json(a, info.node),
            **({"dtype": info.dtype} if info.dtype else {})},
        "layers": [{
            "name": name, "type": layer.qualname, "args": layer.args_json, "kwargs": layer.kwargs_json,
            "literal": layer.literal, "range": range_json(a, layer.node), "params": layer.params(),
        } for name, layer in m.layers],
        "steps": [step_json(a, s, m.layer_names) for s in steps],
        "complete": complete,
        "executable": executable,
        "params": None if any(p is None for p in params) else sum(params),  # type: ignore[arg-type]
        "errors": errors,
        "notes": drops,
    }


# ---------------------------------------------------------------------- text table
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _row_name(step: dict[str, Any], types: dict[str, str]) -> str:
    op = step["op"]
    if op == "layer":
        return f"{step.get('layer')} ({types.get(step.get('layer') or '', '?')})"
    if op == "call":
        fn = step.get("fn", "?")
        return fn.replace("torch.nn.functional.", "F.")
    if op == "method":
        return f".{step.get('method')}()"
    if op == "binary":
        return f"{step.get('operator')}"
    if op == "getitem":
        return "[…]"
    if op == "item":
        return "[" + ", ".join(str(i) for i in step.get("index", [])) + "]"
    return "?"


def _shape_text(step: dict[str, Any]) -> str:
    if step.get("outputs") is not None:
        return _nested_text(step["outputs"])
    if step.get("output") is not None:
        return fmt_shape(Shape(tuple(step["output"])))
    if step.get("output_tail") is not None:
        return fmt_shape(Shape(tuple(step["output_tail"]), False))
    return "?"


def _nested_text(x: Any, top: bool = True) -> str:
    """``outputs`` mirrors a tuple result: its top level is always the tuple."""
    if x is None:
        return "?"
    if not top and all(not isinstance(i, list) for i in x):
        return fmt_shape(Shape(tuple(x)))
    return "(" + ", ".join(_nested_text(i, False) for i in x) + ")"


def _line(rng: Optional[dict[str, Any]]) -> str:
    """``12``, or ``3:12`` (cell 3, line 12) in a notebook."""
    if not rng:
        return ""
    line = rng.get("start", {}).get("line", "")
    return f"{rng['cell']}:{line}" if rng.get("cell") is not None else str(line)


def _at(rng: Optional[dict[str, Any]], zh: bool) -> str:
    if not rng:
        return ""
    line = rng.get("start", {}).get("line", "?")
    if rng.get("cell") is not None:
        return f"第 {rng['cell']} 个单元格第 {line} 行" if zh else f"cell {rng['cell']}, line {line}"
    return f"第 {line} 行" if zh else f"line {line}"


def _place(e: dict[str, Any], zh: bool) -> str:
    """Where an error or note is: ``第 14 行``, or ``models/blocks.py 第 15 行`` in another file."""
    there = e.get("elsewhere")
    if not e.get("range") and there:
        return f"{there['path']} {_at(there, zh)}" if zh else f"{there['path']}, {_at(there, zh)}"
    return _at(e.get("range"), zh) or "?"


def format_text(doc: dict[str, Any], lang: str = "zh") -> str:
    zh = lang != "en"
    out: list[str] = []
    if not doc["models"]:
        out.append("没有找到模型（nn.Module 子类或 nn.Sequential）" if zh else
                   "no models found (nn.Module subclasses or nn.Sequential)")
        return "\n".join(out) + "\n"
    for m in doc["models"]:
        head = f"{m['name']}  ({m['kind']}, {_at(m.get('range'), zh)})"
        info = m["input"]
        if info is None:
            head += "  · " + ("输入形状未知：只检查通道 / 特征数是否一致" if zh else
                              "input shape unknown: only channel / feature counts are checked")
        else:
            src = {"comment": "注释", "call": "调用", "summary": "summary", "dataset": "数据集", "cli": "--input"}
            where = src.get(info["source"], info["source"]) if zh else info["source"]
            at = _at(info.get("range"), zh)
            at_text = (f"，{at}" if zh else f", {at}") if at else ""
            head += f"  · {'输入' if zh else 'input'} {fmt_shape(Shape(tuple(info['shape'])))}" \
                    f"（{where}{at_text}）" if zh else \
                f"  · input {fmt_shape(Shape(tuple(info['shape'])))} ({where}{at_text})"
        out.append(head)
        types = {la["name"]: la["type"].rsplit(".", 1)[-1] for la in m["layers"]}
        rows = []
        for s in m["steps"]:
            if s["op"] in ("input", "output", "unknown"):
                continue
            rline = _line(s.get("range"))
            params = s.get("params")
            rows.append((_row_name(s, types), str(rline), _shape_text(s),
                         f"{params:,}" if isinstance(params, int) else ("?" if s["op"] == "layer" else ""),
                         s.get("formula") or ""))
        headers = ("层" if zh else "Layer", "行" if zh else "Line", "输出形状" if zh else "Output shape",
                   "参数量" if zh else "Params", "公式" if zh else "Formula")
        widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers[:4])]
        fmt_row = lambda r: "  " + "  ".join(  # noqa: E731
            [_pad(r[0], widths[0]), _pad(r[1], widths[1], True), _pad(r[2], widths[2]), _pad(r[3], widths[3], True),
             r[4]]).rstrip()
        body = [fmt_row(r) for r in rows]
        out.append(fmt_row(headers))
        out.append("  " + "-" * max(_width(line) - 2 for line in [fmt_row(headers), *body]))
        out.extend(body)
        total = m.get("params")
        out.append("  " + ("参数总量：" if zh else "Total params: ") + (f"{total:,}" if isinstance(total, int) else "?"))
        for mark, key in (("✗", "errors"), ("ℹ", "notes")):
            for e in m.get(key, []):
                at = _place(e, zh)
                out.append(f"  {mark} {e['code']} {at}：{e['message_zh']}" if zh else
                           f"  {mark} {e['code']} {at}: {e['message_en']}")
        if not m["complete"] and not m["errors"]:
            out.append("  " + ("（有的形状无法静态确定，显示为 ?）" if zh else "(some shapes cannot be known statically: shown as ?)"))
        out.append("")
    return "\n".join(out)
