"""Text for people: the side-by-side table of ``ptlint probe`` and short summaries
used by the CLI and the language server."""
from __future__ import annotations

import unicodedata
from typing import Any, Optional

from .compare import AGREE, CONFIRMED, ERROR, FAILED, MISMATCH, NOT_RUN, OK, RAISES, UNVERIFIABLE, ModelProbe, StepResult
from .probe import FileProbe

_T = {
    "zh": {
        "model": "模型", "step": "步骤", "line": "行", "static": "静态分析", "runtime": "PyTorch 实际",
        "device": "设备", "input": "输入", "raises": "报错", "not_run": "未运行",
        "agree": "一致", "mismatch": "不一致（ptlint 缺陷）", "confirmed": "已证实", "refuted": "被推翻（ptlint 缺陷）",
        "unexpected": "PyTorch 报错，静态分析未预料", "params": "参数量", "cached": "（结果来自缓存）",
        "building": "构建层时", "parts": "子模块随本模型一起验证（输入形状由本模型决定）：", "no_models": "这个文件里没有找到模型（nn.Module 子类或 nn.Sequential）。",
    },
    "en": {
        "model": "model", "step": "step", "line": "line", "static": "static", "runtime": "PyTorch",
        "device": "device", "input": "input", "raises": "raises", "not_run": "not run",
        "agree": "agree", "mismatch": "MISMATCH (ptlint bug)", "confirmed": "confirmed", "refuted": "REFUTED (ptlint bug)",
        "unexpected": "PyTorch raised; not predicted", "params": "params", "cached": " (cached result)",
        "building": "building a layer", "parts": "sub-blocks verified as part of this model (it fixes their input): ", "no_models": "No model (nn.Module subclass or nn.Sequential) was found in this file.",
    },
}
# One sentence per model status.
_STATUS = {
    "zh": {
        OK: "静态分析与 PyTorch 完全一致。", CONFIRMED: "PyTorch 证实了静态分析报告的形状错误。", "confirmed_any": "PyTorch 证实了静态分析报告的错误。",
        MISMATCH: "静态分析与 PyTorch 不一致：这是 ptlint 的缺陷，请附上本输出报告。",
        RAISES: "PyTorch 运行时报错，而静态分析在这一步不知道形状。",
        UNVERIFIABLE: "无法验证：", FAILED: "探针失败：",
    },
    "en": {
        OK: "The static analysis and PyTorch agree.", CONFIRMED: "PyTorch confirms the shape errors ptlint reported.",
        "confirmed_any": "PyTorch confirms the errors ptlint reported.",
        MISMATCH: "The static analysis and PyTorch disagree: this is a ptlint bug; please report it with this output.",
        RAISES: "PyTorch raised at a step where the static analysis did not know the shape.",
        UNVERIFIABLE: "Unverifiable: ", FAILED: "Probe failed: ",
    },
}


def fmt_dim(d: Any) -> str:
    return "?" if d is None else str(d)


def fmt_shape(shape: Any) -> str:
    if isinstance(shape, dict) and isinstance(shape.get("tail"), list):
        return "(…, " + ", ".join(fmt_dim(d) for d in shape["tail"]) + ")"
    if not isinstance(shape, list):
        return "?"
    dims = [fmt_dim(d) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else "(" + ", ".join(dims) + ")"


def fmt_shapes(shapes: Optional[list]) -> str:
    if shapes is None:
        return "?"
    return ", ".join(fmt_shape(s) for s in shapes) if shapes else "()"


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, n: int) -> str:
    return s + " " * max(n - width(s), 0)


def _line(rng: Optional[dict]) -> str:
    try:
        line = str(rng["start"]["line"])  # type: ignore[index]
    except (KeyError, TypeError):
        return ""
    return f"c{rng['cell']}:{line}" if rng.get("cell") is not None else line  # type: ignore[union-attr]


def _cells(step: StepResult, t: dict[str, str]) -> tuple[str, str, str]:
    said = f"{step.predicted_code} {t['raises']}" if step.predicted_code else t["raises"]
    static = said if step.predicted else fmt_shapes(step.static)
    if step.status == ERROR:
        err = step.error or {}
        runtime = f"{err.get('type', 'Error')} ↓"  # the message follows the table
        mark = t["confirmed"] if step.predicted else (
            t["mismatch"] if step.static and any(s is not None for s in step.static) else t["unexpected"])
    elif step.status == NOT_RUN:
        runtime, mark = t["not_run"], ""
    else:
        runtime = fmt_shapes(step.actual)
        mark = {AGREE: t["agree"], MISMATCH: t["refuted"] if step.predicted else t["mismatch"]}.get(step.status, "")
    return static, runtime.splitlines()[0] if runtime else "", mark


def render_model(p: ModelProbe, lang: str = "zh", color: bool = False) -> list[str]:
    t = _T["en" if lang == "en" else "zh"]
    st = _STATUS["en" if lang == "en" else "zh"]
    red, green, bold, end = ("\033[31m", "\033[32m", "\033[1m", "\033[0m") if color else ("", "", "", "")
    head = f"{bold}{t['model']} {p.name}{end}"
    if p.status in (UNVERIFIABLE, FAILED):
        return [head, f"  {st[p.status]}{p.reason(lang)}"]
    facts = [f"{t['device']} {p.device}", f"torch {p.torch}"]
    if p.input:
        facts.append(f"{t['input']} {fmt_shape(p.input)}")
    out = [f"{head}  ({', '.join(facts)}){t['cached'] if p.cached else ''}"]
    rows = [(t["line"], t["step"], t["static"], t["runtime"], "")]
    for s in p.steps:
        rows.append((_line(s.range), s.label, *_cells(s, t)))
    widths = [max(width(r[i]) for r in rows) for i in range(4)]
    widths[3] = min(widths[3], 60)
    for k, r in enumerate(rows):
        runtime = r[3] if width(r[3]) <= 60 or k == 0 else r[3][:57] + "..."
        text = "  " + "  ".join(pad(c, w) for c, w in zip((r[0], r[1], r[2], runtime), widths)) + ("  " + r[4] if r[4] else "")
        bad = r[4] in (t["mismatch"], t["refuted"], t["unexpected"])
        good = r[4] in (t["confirmed"],)
        out.append(f"{red}{text.rstrip()}{end}" if bad and color else f"{green}{text.rstrip()}{end}" if good and color else text.rstrip())
    err = p.runtime_error
    if err and err.get("phase") == "forward":
        out.append(f"  PyTorch: {err.get('type')}: {err.get('message')}")
    elif err and err.get("phase") == "build":
        out.append(f"  PyTorch ({t['building']}): {err.get('type')}: {err.get('message')}")
    for layer in p.param_mismatches:
        out.append(f"{red}  {t['params']} {layer.name}: {t['static']} {layer.static_params}, "
                   f"{t['runtime']} {layer.actual_params}  {t['mismatch']}{end}")
    total_static = [l.static_params for l in p.layers]
    total_actual = [l.actual_params for l in p.layers]
    if p.layers and None not in total_actual:
        sep, comma = ("：", "，") if lang != "en" else (": ", ", ")
        line = f"  {t['params']}{sep}{t['runtime']} {sum(total_actual):,}"  # type: ignore[arg-type]
        if None not in total_static:
            line += f"{comma}{t['static']} {sum(total_static):,}"  # type: ignore[arg-type]
        out.append(line)
    if p.parts:
        names = "、".join(f"`{n}`" for n in p.parts) if lang != "en" else ", ".join(f"`{n}`" for n in p.parts)
        out.append(f"  {t['parts']}{names}")
    verdict = st[p.status]
    if p.status == CONFIRMED and any(v.prediction for v in p.errors if v.verdict == CONFIRMED):
        verdict = st["confirmed_any"]  # a view on a non-contiguous tensor is not a shape error
    out.append(f"  {red if p.status == MISMATCH else ''}{verdict}{end if p.status == MISMATCH else ''}")
    return out


def render_file(fp: FileProbe, lang: str = "zh", color: bool = False, show_snippet: bool = False) -> str:
    t = _T["en" if lang == "en" else "zh"]
    if fp.torch_missing:
        return fp.failed(lang) + "\n"
    out: list[str] = []
    if fp.failed_en and not fp.models:
        out.append(_STATUS["en" if lang == "en" else "zh"][FAILED] + fp.failed(lang))
    if not fp.models and not fp.failed_en:
        out.append(t["no_models"])
    for p in fp.models:
        if out:
            out.append("")
        out.extend(render_model(p, lang, color))
        if show_snippet and p.snippet:
            out.append("")
            out.extend("    " + l for l in p.snippet.rstrip().splitlines())
    return "\n".join(out) + "\n"


def verdict_summary(p: ModelProbe, lang: str = "zh") -> str:
    """One line for an editor notification / code lens title."""
    st = _STATUS["en" if lang == "en" else "zh"]
    if p.status in (UNVERIFIABLE, FAILED):
        return f"{p.name}: {st[p.status]}{p.reason(lang)}"
    return f"{p.name} ({p.device}, torch {p.torch}): {st[p.status]}"


__all__ = ["render_file", "render_model", "verdict_summary", "fmt_shape", "fmt_shapes"]
