"""Findings -> LSP diagnostics, honouring what the client said it supports
(related information, code descriptions, tags) and the negotiated column units."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Optional

from lsprotocol import types

from ptlint.rules.findings import Finding, Severity

from .documents import NOTEBOOK, Doc
from .positions import LineIndex
from .worker import Snapshot

if TYPE_CHECKING:
    from .server import PtlintServer

SOURCE = "ptlint"

SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}
TAGS = {"unnecessary": types.DiagnosticTag.Unnecessary, "deprecated": types.DiagnosticTag.Deprecated}

TIMED_OUT = {
    "zh": "ptlint：分析这个文件超过了 {seconds:g} 秒的时间上限，已停止，本文件没有做检查。"
          "可在终端运行 `ptlint check`，或调大 analysisTimeout 设置。",
    "en": "ptlint: analysing this file took longer than the {seconds:g} s limit and was stopped, "
          "so it was not checked; run `ptlint check` in a terminal or raise the analysisTimeout setting.",
}

BROKEN_NOTEBOOK = {"zh": "notebook 文件不是有效的 JSON，无法检查：{detail}",
                   "en": "the notebook is not valid JSON and cannot be checked: {detail}"}


class ClientSupport:
    """The diagnostic features the client declared."""

    def __init__(self, caps: Optional[types.ClientCapabilities]) -> None:
        pd = caps.text_document.publish_diagnostics if caps and caps.text_document else None
        pull = caps.text_document.diagnostic if caps and caps.text_document else None
        self.related = bool((pd and pd.related_information) or (pull and pull.related_information))
        self.code_description = bool((pd and pd.code_description_support)
                                     or (pull and getattr(pull, "code_description_support", None)))
        tag_support = (pd.tag_support if pd else None) or (getattr(pull, "tag_support", None) if pull else None)
        self.tags = set(tag_support.value_set) if tag_support and tag_support.value_set else set()
        self.data = bool((pd and pd.data_support) or (pull and getattr(pull, "data_support", None)))


def finding_tags(f: Finding) -> list[str]:
    """Tag names a finding carries: ``extra["tags"]`` or the rule's ``tags`` attribute."""
    tags = f.extra.get("tags") if isinstance(f.extra, dict) else None
    if tags is None:
        from ptlint.rules.rule import REGISTRY

        tags = getattr(REGISTRY.get(f.code), "tags", ())
    return [t for t in (tags or ()) if t in TAGS]


def docs_url(template: Optional[str], f: Finding, lang: str) -> Optional[str]:
    if not template:
        return None
    try:
        return template.format(code=f.code, name=f.rule_name, lang=lang, code_lower=f.code.lower())
    except (KeyError, IndexError, ValueError):
        return None


def finding_to_diagnostic(f: Finding, lines: LineIndex, lang: str, support: ClientSupport,
                          uri_for_cell, lines_for, url_template: Optional[str] = None) -> types.Diagnostic:
    diag = types.Diagnostic(
        range=lines.range_to_client(f.range),
        message=f.message(lang),
        severity=SEVERITY.get(f.severity, types.DiagnosticSeverity.Warning),
        code=f.code,
        source=SOURCE,
    )
    if support.related and f.related:
        related = []
        for r in f.related:
            uri = uri_for_cell(r.cell)
            if uri is None:
                continue
            related.append(types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri, range=lines_for(uri).range_to_client(r.range)),
                message=r.message(lang)))
        diag.related_information = related or None
    if support.code_description:
        url = docs_url(url_template, f, lang)
        if url:
            diag.code_description = types.CodeDescription(href=url)
    if support.tags:
        tags = [TAGS[t] for t in finding_tags(f) if TAGS[t] in support.tags]
        diag.tags = tags or None
    if support.data and f.fix is not None:
        diag.data = {"fixable": True, "safety": f.fix.safety.value}
    return diag


def diagnostics_by_uri(server: "PtlintServer", doc: Doc, snap: Snapshot) -> dict[str, list[types.Diagnostic]]:
    """Every target URI of the document (the file, or each code cell) -> its diagnostics."""
    settings = server.settings_for(doc.uri)
    support = server.diagnostic_support
    lang = snap.lang
    out: dict[str, list[types.Diagnostic]] = {}
    cache: dict[str, LineIndex] = {}

    def lines_for(uri: str) -> LineIndex:
        li = cache.get(uri)
        if li is None:
            li = LineIndex(server.text_of(uri), server.position_encoding)
            cache[uri] = li
        return li

    if doc.kind == NOTEBOOK:
        cells = snap.cells
        for uri in cells:
            out[uri] = []

        def uri_for_cell(cell: Optional[int]) -> Optional[str]:
            if cell is None or not 1 <= cell <= len(cells):
                return None
            return cells[cell - 1]
    else:
        out[doc.uri] = []

        def uri_for_cell(cell: Optional[int]) -> Optional[str]:
            return doc.uri if cell is None else None

    if snap.timed_out:
        # Silence here would read as "no problems": say what was not checked, at line 1
        # of the file (or of the notebook's first cell).
        target = snap.cells[0] if doc.kind == NOTEBOOK and snap.cells else doc.uri
        out.setdefault(target, []).append(types.Diagnostic(
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            message=TIMED_OUT[lang].format(seconds=snap.timed_out),
            severity=types.DiagnosticSeverity.Information, source=SOURCE))
        return out
    if snap.error and snap.error_range is not None:
        out.setdefault(doc.uri, []).append(types.Diagnostic(
            range=lines_for(doc.uri).range_to_client(snap.error_range),
            message=BROKEN_NOTEBOOK[lang].format(detail=snap.error.split("(", 1)[-1].rstrip(")")),
            severity=types.DiagnosticSeverity.Error, source=SOURCE))
        return out
    if snap.notices:
        # What the engine did not check (limits, unreadable cells) must not read as "no problems".
        target = snap.cells[0] if doc.kind == NOTEBOOK and snap.cells else doc.uri
        out.setdefault(target, []).extend(types.Diagnostic(
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            message=f"ptlint: {notice}", severity=types.DiagnosticSeverity.Information, source=SOURCE)
            for notice in snap.notices)
    for f in snap.findings:
        uri = uri_for_cell(f.cell)
        if uri is None:
            continue  # a finding we cannot place (e.g. cell coordinates in an .ipynb opened as JSON)
        out[uri].append(finding_to_diagnostic(f, lines_for(uri), lang, support, uri_for_cell, lines_for,
                                              settings.rule_docs_url))
    return out


def findings_at(snap: Snapshot, cell: Optional[int]) -> Iterable[Finding]:
    return (f for f in snap.findings if f.cell == cell)
