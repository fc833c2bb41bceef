"""Hover: a diagnostic's rule docs (the concrete message first), the shape a layer
call produces (with the formula and its numbers), and torch API docs — in Chinese
unless the settings say English."""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Optional

from lsprotocol import types

from ptlint.rules.findings import Finding, FixSafety, Range

from . import apidocs, snapview
from .positions import LineIndex, contains
from .shapes import ShapeFact, format_shape

if TYPE_CHECKING:
    from .server import PtlintServer

log = logging.getLogger("ptlint.lsp")

WAIT_S = 2.0  # with no analysis to map from (the first one), a hover waits this long for it

TEXT = {
    "zh": {"related": "相关位置", "line": "第 {line} 行", "cell": "第 {cell} 个单元格", "fix": "可用快速修复",
           "unsafe": "不安全修复：可能改变程序结果，请确认后再用", "no_docs": "（这条规则还没有文档）"},
    "en": {"related": "Related", "line": "line {line}", "cell": "cell {cell}", "fix": "Quick fix available",
           "unsafe": "unsafe fix: it may change what the program computes; review it", "no_docs": "(no docs for this rule yet)"},
}
_HEADING = re.compile(r"^## ", re.MULTILINE)


def rule_markdown(f: Finding, lang: str, cell_of=None) -> str:
    """One finding's hover: the concrete message as the title, then the rule's docs."""
    from ptlint.rules.rule import get_rule

    t = TEXT["en" if lang == "en" else "zh"]
    title = f"**{f.code} {f.rule_name} · {f.message(lang)}**"
    rule = get_rule(f.code)
    body = rule.docs.get(lang).strip() if rule is not None and getattr(rule, "docs", None) else t["no_docs"]
    parts = [title, _HEADING.sub("#### ", body)]
    extra = []
    for r in f.related:
        where = t["line"].format(line=r.range.start.line)
        if r.path is not None:  # a line of another project file: name the file
            from .related_files import shown_path

            where = f"{shown_path(r, f)} {where}" if lang != "en" else f"{shown_path(r, f)}, {where}"
        elif r.cell is not None and r.cell != f.cell:
            where = t["cell"].format(cell=r.cell) + ("，" if lang != "en" else ", ") + where
        extra.append(f"- {t['related']}：{where}：{r.message(lang)}" if lang != "en"
                     else f"- {t['related']}: {where}: {r.message(lang)}")
    if f.fix is not None:
        note = f"（{t['unsafe']}）" if lang != "en" else f" ({t['unsafe']})"
        safety = note if f.fix.safety is FixSafety.UNSAFE else ""
        sep = "：" if lang != "en" else ": "
        extra.append(f"- {t['fix']}{sep}{f.fix.title(lang)}{safety}")
    if extra:
        parts.append("\n".join(extra))
    return "\n\n".join(parts)


def shape_markdown(fact: ShapeFact, label: str) -> str:
    title = f"**{label} → {format_shape(fact.shape)}**"
    return f"{title}\n\n{fact.formula}" if fact.formula else title


def _label(lines: LineIndex, rng: Range, fallback: Optional[str]) -> str:
    if rng.start.line == rng.end.line:
        text = lines.line(rng.start.line - 1)[rng.start.column:rng.end.column].strip()
        if text and len(text) <= 80:
            return text
    return fallback or "…"


def _plain(markdown: str) -> str:
    return markdown.replace("**", "").replace("`", "")


async def hover(server: "PtlintServer", params: types.HoverParams) -> Optional[types.Hover]:
    uri = params.text_document.uri
    doc = server.doc_for(uri)
    if doc is None or server.scheduler is None:
        return None
    lines = snapview.line_index(server.text_of(uri), server.position_encoding)
    pos = lines.from_client(params.position)
    view = snapview.view_of(server, doc, uri)
    if view is None:  # no analysis that maps onto this text yet: wait for it (briefly)
        await server.scheduler.current(doc, WAIT_S)
        view = snapview.view_of(server, doc, uri)
    snap = view.snap if view is not None else None
    lang = snap.lang if snap is not None else server.lang_for(uri)
    cell = server.cell_index(doc, uri) if view is not None else None
    old_pos = view.from_client(params.position) if view is not None else None
    parts: list[str] = []
    hover_range: Optional[types.Range] = None
    if old_pos is not None:
        for f in snap.findings:
            if f.cell == cell and contains(f.range, old_pos):
                rng = view.range_to_client(f.range)
                if rng is None:
                    continue  # edited since: its docs may no longer apply
                parts.append(rule_markdown(f, lang))
                hover_range = hover_range or rng
        facts = view.shapes_at(cell, old_pos)
        if facts:
            # The innermost call under the cursor: ``self.pool(F.relu(self.conv1(x)))``.
            fact = min(facts, key=lambda s: (s.range.end.line - s.range.start.line,
                                             s.range.end.column - s.range.start.column))
            rng = view.range_to_client(fact.range)
            if rng is not None:
                parts.append(shape_markdown(fact, _label(view.lines, fact.range, fact.label)))
                hover_range = hover_range or rng
    try:
        api = _api_part(lines, pos, doc, snap, lang)
    except Exception:  # the docs module is someone else's: its bug must not cost the rule hover
        log.exception("API hover failed")
        api = None
    if api is not None:
        text, rng = api
        parts.append(text)
        hover_range = hover_range or lines.range_to_client(rng)
    if not parts:
        return None
    value = "\n\n---\n\n".join(parts)
    kind = types.MarkupKind.Markdown if _supports_markdown(server) else types.MarkupKind.PlainText
    if kind == types.MarkupKind.PlainText:
        value = _plain(value)
    return types.Hover(contents=types.MarkupContent(kind=kind, value=value),
                       range=hover_range)


def _api_part(lines: LineIndex, pos, doc, snap, lang: str):
    imports = snap.imports if snap is not None and snap.imports is not None else doc.last_imports
    if imports is None or not apidocs.available():
        return None
    line = lines.line(pos.line - 1)
    token = apidocs.token_at(line, pos.column)
    api_doc = None
    if token is not None:
        api_doc = apidocs.resolve_doc(token, imports)
        start, end = token.start, token.end
    elif pos.column < len(line) and line[pos.column] == "@" and line[:pos.column].strip() \
            and apidocs.in_code(line, pos.column):
        api_doc = apidocs.matmul_doc(imports)  # ``a @ b``; a line starting with @ is a decorator
        start, end = pos.column, pos.column + 1
    if api_doc is None:
        return None
    from ptlint.rules.findings import Position

    return apidocs.markdown(api_doc, lang), Range(Position(pos.line, start), Position(pos.line, end))


def _supports_markdown(server: "PtlintServer") -> bool:
    caps = server.client_capabilities
    hover_caps = caps.text_document.hover if caps and caps.text_document else None
    formats = hover_caps.content_format if hover_caps else None
    return not formats or types.MarkupKind.Markdown in formats


def register(server: "PtlintServer") -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(params: types.HoverParams) -> Optional[types.Hover]:
        return await hover(server, params)
