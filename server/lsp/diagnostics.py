"""Findings -> LSP diagnostics, honouring what the client said it supports
(related information, code descriptions, tags) and the negotiated column units.

The mapping builds the diagnostics' JSON (LSP's own field names) and imports no
lsprotocol: the start-up path (server/lsp/bootstrap.py) publishes the first diagnostics
with it before lsprotocol is loaded; the pygls path structures the same JSON into
lsprotocol's types (:func:`diagnostics_by_uri`)."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from ptlint.rules.findings import Finding, Range, Severity

from .documents import NOTEBOOK, Doc
from .positions import LineIndex
from .worker import Snapshot

if TYPE_CHECKING:
    from lsprotocol import types

    from .server import PtlintServer

SOURCE = "ptlint"

# LSP's DiagnosticSeverity and DiagnosticTag numbers.
ERROR, WARNING, INFORMATION, HINT = 1, 2, 3, 4
SEVERITY = {Severity.ERROR: ERROR, Severity.WARNING: WARNING, Severity.INFO: INFORMATION, Severity.HINT: HINT}
TAGS = {"unnecessary": 1, "deprecated": 2}

TIMED_OUT = {
    "zh": "ptlint：分析这个文件超过了 {seconds:g} 秒的时间上限，已停止，本文件没有做检查。"
          "可在终端运行 `ptlint check`，或调大 analysisTimeout 设置。",
    "en": "ptlint: analysing this file took longer than the {seconds:g} s limit and was stopped, "
          "so it was not checked; run `ptlint check` in a terminal or raise the analysisTimeout setting.",
}

BROKEN_NOTEBOOK = {"zh": "notebook 文件不是有效的 JSON，无法检查：{detail}",
                   "en": "the notebook is not valid JSON and cannot be checked: {detail}"}

DiagnosticJson = dict[str, Any]


class ClientSupport:
    """The diagnostic features the client declared, read from its capabilities: lsprotocol's
    ``ClientCapabilities`` (the pygls path) or their JSON (the start-up path)."""

    def __init__(self, caps: Any = None) -> None:
        if caps is not None and not isinstance(caps, dict):
            caps = _converter().unstructure(caps)
        text_document = _section(caps, "textDocument")
        push, pull = _section(text_document, "publishDiagnostics"), _section(text_document, "diagnostic")
        self.related = bool(push.get("relatedInformation") or pull.get("relatedInformation"))
        self.code_description = bool(push.get("codeDescriptionSupport") or pull.get("codeDescriptionSupport"))
        tag_support = _section(push, "tagSupport") or _section(pull, "tagSupport")
        self.tags = set(tag_support.get("valueSet") or ())
        self.data = bool(push.get("dataSupport") or pull.get("dataSupport"))


def _section(caps: Any, key: str) -> dict:
    value = caps.get(key) if isinstance(caps, dict) else None
    return value if isinstance(value, dict) else {}


@functools.lru_cache(maxsize=1)
def _converter():
    from pygls.protocol import default_converter

    return default_converter()


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


def range_json(lines: LineIndex, rng: Range) -> dict:
    (sl, sc), (el, ec) = lines.client_span(rng)
    return {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}}


_ORIGIN = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}


def note_json(message: str, severity: int, rng: Optional[dict] = None) -> DiagnosticJson:
    """A diagnostic of ours that is not a finding (what was not checked), at line 1 unless placed."""
    return {"range": rng or _ORIGIN, "message": message, "severity": severity, "source": SOURCE}


def finding_json(f: Finding, lines: LineIndex, lang: str, support: ClientSupport,
                 uri_for_cell: Callable[[Optional[int]], Optional[str]], lines_for: Callable[[str], LineIndex],
                 url_template: Optional[str] = None) -> DiagnosticJson:
    """One finding as an LSP ``Diagnostic`` (JSON), with only what the client supports."""
    diag: DiagnosticJson = {"range": range_json(lines, f.range), "message": f.message(lang),
                            "severity": SEVERITY.get(f.severity, WARNING), "code": f.code, "source": SOURCE}
    if support.related and f.related:
        related = []
        for r in f.related:
            if r.path is not None:  # another project file (models/blocks.py): its URI, its lines
                from .related_files import related_json

                info = related_json(r, lang, lines_for, range_json, lines)
                if info is not None:
                    related.append(info)
                continue
            uri = uri_for_cell(r.cell)
            if uri is None:
                continue
            related.append({"location": {"uri": uri, "range": range_json(lines_for(uri), r.range)},
                            "message": r.message(lang)})
        if related:
            diag["relatedInformation"] = related
    if support.code_description:
        url = docs_url(url_template, f, lang)
        if url:
            diag["codeDescription"] = {"href": url}
    if support.tags:
        tags = [TAGS[t] for t in finding_tags(f) if TAGS[t] in support.tags]
        if tags:
            diag["tags"] = tags
    if support.data and f.fix is not None:
        diag["data"] = {"fixable": True, "safety": f.fix.safety.value}
    return diag


def finding_to_diagnostic(f: Finding, lines: LineIndex, lang: str, support: ClientSupport,
                          uri_for_cell, lines_for, url_template: Optional[str] = None) -> "types.Diagnostic":
    return structured(finding_json(f, lines, lang, support, uri_for_cell, lines_for, url_template))


def structured(diag: DiagnosticJson) -> "types.Diagnostic":
    from lsprotocol import types

    return _converter().structure(diag, types.Diagnostic)


def snapshot_json(snap: Snapshot, doc_uri: str, kind: str, support: ClientSupport, url_template: Optional[str],
                  lines_for: Callable[[str], LineIndex]) -> dict[str, list[DiagnosticJson]]:
    """Every target URI of a document (the file, or each code cell) -> its diagnostics (JSON)."""
    lang = snap.lang
    out: dict[str, list[DiagnosticJson]] = {}
    if kind == NOTEBOOK:
        cells = snap.cells
        for uri in cells:
            out[uri] = []

        def uri_for_cell(cell: Optional[int]) -> Optional[str]:
            if cell is None or not 1 <= cell <= len(cells):
                return None
            return cells[cell - 1]
    else:
        out[doc_uri] = []

        def uri_for_cell(cell: Optional[int]) -> Optional[str]:
            return doc_uri if cell is None else None

    # What was not checked goes at line 1 of the file (or of the notebook's first cell).
    first = snap.cells[0] if kind == NOTEBOOK and snap.cells else doc_uri
    if snap.timed_out:
        # Silence here would read as "no problems": say what was not checked.
        out.setdefault(first, []).append(note_json(TIMED_OUT[lang].format(seconds=snap.timed_out), INFORMATION))
        return out
    if snap.error and snap.error_range is not None:
        detail = snap.error.split("(", 1)[-1].rstrip(")")
        out.setdefault(doc_uri, []).append(note_json(BROKEN_NOTEBOOK[lang].format(detail=detail), ERROR,
                                                     range_json(lines_for(doc_uri), snap.error_range)))
        return out
    # What the engine did not check (limits, unreadable cells) must not read as "no problems":
    # at line 1 of its cell (or of the file), in the user's language, naming the place.
    for notice in snap.notices:
        where = uri_for_cell(notice.cell) or first
        out.setdefault(where, []).append(note_json(f"ptlint: {notice.text(lang, path=False)}", INFORMATION))
    for f in snap.findings:
        uri = uri_for_cell(f.cell)
        if uri is None:
            continue  # a finding we cannot place (e.g. cell coordinates in an .ipynb opened as JSON)
        out[uri].append(finding_json(f, lines_for(uri), lang, support, uri_for_cell, lines_for, url_template))
    return out


def diagnostics_by_uri(server: "PtlintServer", doc: Doc, snap: Snapshot) -> dict[str, list["types.Diagnostic"]]:
    """Every target URI of the document (the file, or each code cell) -> its diagnostics."""
    cache: dict[str, LineIndex] = {}

    def lines_for(uri: str) -> LineIndex:
        li = cache.get(uri)
        if li is None:
            li = LineIndex(server.text_of(uri), server.position_encoding)
            cache[uri] = li
        return li

    by_uri = snapshot_json(snap, doc.uri, doc.kind, server.diagnostic_support,
                           server.settings_for(doc.uri).rule_docs_url, lines_for)
    return {uri: [structured(d) for d in diags] for uri, diags in by_uri.items()}


def findings_at(snap: Snapshot, cell: Optional[int]) -> Iterable[Finding]:
    return (f for f in snap.findings if f.cell == cell)
