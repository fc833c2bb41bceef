"""``path:line:col: PT001 消息 [*]`` lines and a one-line summary."""
from __future__ import annotations

from ptlint.rules.findings import Finding, FixSafety, RelatedLocation, Severity

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36", Severity.HINT: "37"}


def location(f: Finding) -> str:
    """``path:line:col`` (1-based column); notebooks ``nb.ipynb:cell 3:2:5``."""
    cell = f"cell {f.cell}:" if f.cell is not None else ""
    return f"{f.path}:{cell}{f.line}:{f.column + 1}"


NOTE = {"zh": "相关位置：", "en": "note: "}


def elsewhere(f: Finding) -> list[RelatedLocation]:
    """Related places in other files (the layer class in models/blocks.py that a finding
    of train.py comes from): one line per finding lists the finding's own file only, so
    these get lines of their own; places in the same file are named in the message."""
    return [r for r in f.related if r.path is not None and r.path != f.path]


def note_lines(f: Finding, lang: str) -> list[str]:
    """``models/blocks.py:15:21: note: block2.pool is defined here``."""
    label = NOTE["en" if lang == "en" else "zh"]
    return [f"{r.path}:{r.range.start.line}:{r.range.start.column + 1}: {label}{r.message(lang)}"
            for r in elsewhere(f)]


def applicable(f: Finding, unsafe: bool) -> bool:
    """Whether ``--fix`` (with ``--unsafe-fixes`` when ``unsafe``) would apply its fix."""
    return f.fix is not None and (unsafe or f.fix.safety is FixSafety.SAFE)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(run, lang: str, unsafe: bool) -> str:
    n = len(run.findings)
    fixable = sum(1 for f in run.findings if applicable(f, unsafe))
    hidden = sum(1 for f in run.findings if f.fix is not None and not applicable(f, unsafe))
    files, secs = run.files_checked, run.elapsed
    if lang == "en":
        if n:
            s = f"Found {_plural(n, 'problem')} in {_plural(files, 'file')} checked ({secs:.2f}s)."
        else:
            s = f"All checks passed: {_plural(files, 'file')} checked ({secs:.2f}s)."
        if fixable:
            s += f" [*] {fixable} fixable with --fix."
        if hidden:
            s += f" {hidden} more fixable with --fix --unsafe-fixes."
        if run.fixed:
            s += f" Fixed {_plural(run.fixed, 'problem')}."
        return s
    if n:
        s = f"发现 {n} 个问题，检查了 {files} 个文件（{secs:.2f} 秒）。"
    else:
        s = f"没有发现问题，检查了 {files} 个文件（{secs:.2f} 秒）。"
    if fixable:
        s += f"其中 {fixable} 个标有 [*]，可用 --fix 自动修复。"
    if hidden:
        s += f"另有 {hidden} 个可用 --fix --unsafe-fixes 修复（不安全修复，请先确认）。"
    if run.fixed:
        s += f"已修复 {run.fixed} 个问题。"
    return s


def render(run, *, lang: str = "zh", color: bool = False, unsafe: bool = False, **_: object) -> str:
    out = []
    for f in run.findings:
        code = f"\033[1;{_COLORS[f.severity]}m{f.code}\033[0m" if color else f.code
        loc = f"\033[1m{location(f)}\033[0m" if color else location(f)
        mark = ""
        if applicable(f, unsafe):
            mark = " \033[36m[*]\033[0m" if color else " [*]"
        out.append(f"{loc}: {code} {f.message(lang)}{mark}")
        probe = f.extra.get("probe") if isinstance(f.extra, dict) else None
        if probe:
            # the probe's own line, in the run's language (older records: verdict word + detail)
            text = probe.get("text") or f"probe: {probe.get('verdict')} {probe.get('detail', '')}".rstrip()
            out.append(f"    {text}")
        out.extend(note_lines(f, lang))  # after the probe's line, which reads as part of the finding's
    line = summary(run, lang, unsafe)
    out.append(f"\033[1m{line}\033[0m" if color else line)
    return "\n".join(out) + "\n"


render_text = render  # the name the skeleton exported
