from __future__ import annotations

from ptlint.rules.findings import Finding, Severity

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36", Severity.HINT: "37"}


def location(f: Finding) -> str:
    """``path:line:col`` (1-based column); notebooks ``nb.ipynb:cell 3:2:5``."""
    cell = f"cell {f.cell}:" if f.cell is not None else ""
    return f"{f.path}:{cell}{f.line}:{f.column + 1}"


def render_text(run, *, lang: str = "zh", color: bool = False, show_fixes: bool = True, **_: object) -> str:
    out = []
    for f in run.findings:
        code = f"\033[1;{_COLORS[f.severity]}m{f.code}\033[0m" if color else f.code
        loc = f"\033[1m{location(f)}\033[0m" if color else location(f)
        mark = " [*]" if show_fixes and f.fix is not None else ""
        out.append(f"{loc}: {code} {f.message(lang)}{mark}")
        probe = f.extra.get("probe")
        if probe:
            out.append(f"    probe: {probe.get('verdict')} {probe.get('detail', '')}".rstrip())
    n = len(run.findings)
    fixable = sum(1 for f in run.findings if f.fix is not None)
    if lang == "en":
        summary = f"Found {n} problem{'s' if n != 1 else ''}"
        summary += f" ({fixable} fixable with --fix)" if fixable else ""
        summary += f" in {run.files_checked} file{'s' if run.files_checked != 1 else ''} checked ({run.elapsed:.2f}s)."
        if run.fixed:
            summary += f" Fixed {run.fixed}."
    else:
        summary = f"发现 {n} 个问题"
        summary += f"（其中 {fixable} 个可用 --fix 自动修复）" if fixable else ""
        summary += f"，检查了 {run.files_checked} 个文件（{run.elapsed:.2f} 秒）。"
        if run.fixed:
            summary += f"已修复 {run.fixed} 个。"
    out.append(summary)
    return "\n".join(out) + "\n"
