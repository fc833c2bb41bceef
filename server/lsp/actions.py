"""Code actions: one quick fix per fixable finding, "disable PTxxx on this line"
(adds or extends ``# noqa: PTxxx``), and ``source.fixAll.ptlint`` (safe fixes only,
for fix-on-save)."""
from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Optional, Sequence

from lsprotocol import types

from ptlint.rules.findings import Finding, Fix, FixSafety

from . import diagnostics as diag_mod, snapview
from .apidocs import in_code
from .documents import IPYNB, NOTEBOOK, Doc
from .positions import LineIndex, overlaps, split_lines
from .worker import Snapshot

if TYPE_CHECKING:
    from .server import PtlintServer

FIX_ALL_KIND = "source.fixAll.ptlint"
SYNTAX_CODE = "PT000"

TITLES = {
    "zh": {"fix": "{code}：{title}", "unsafe": "（不安全：可能改变结果）", "noqa": "在本行禁用 {code}",
           "all": "ptlint：应用全部安全修复"},
    "en": {"fix": "{code}: {title}", "unsafe": " (unsafe: may change results)", "noqa": "Disable {code} on this line",
           "all": "ptlint: apply all safe fixes"},
}

_NOQA = re.compile(r"#\s*noqa(?:\s*:\s*(?P<codes>[A-Za-z]+[0-9]+(?:[,\s]+[A-Za-z]+[0-9]+)*))?", re.IGNORECASE)
_DISABLE = re.compile(r"#\s*ptlint:\s*disable\s*=\s*(?P<codes>[A-Za-z]+[0-9]*(?:[,\s]+[A-Za-z]+[0-9]*)*)",
                      re.IGNORECASE)


def _texts(lang: str) -> dict[str, str]:
    return TITLES["en" if lang == "en" else "zh"]


def fix_title(f: Finding, lang: str, fix: Optional[Fix] = None) -> str:
    fix = fix or f.fix
    t = _texts(lang)
    title = t["fix"].format(code=f.code, title=fix.title(lang))
    if fix.safety is FixSafety.UNSAFE:
        title += t["unsafe"]
    return title


# ---------------------------------------------------------------------- noqa
def noqa_edit(line: str, code: str) -> Optional[tuple[int, int, str]]:
    """(start, end, new text) in code points on ``line`` that suppresses ``code`` there;
    None when the line already suppresses it or cannot carry a comment."""
    for m in _NOQA.finditer(line):
        if not in_code(line, m.start()):
            continue
        codes = m.group("codes")
        if not codes:
            return None  # a bare ``# noqa`` already silences everything
        if code in {c.upper() for c in re.split(r"[,\s]+", codes) if c}:
            return None
        end = m.end("codes")
        return end, end, f", {code}"
    for m in _DISABLE.finditer(line):
        if not in_code(line, m.start()):
            continue
        codes = m.group("codes")
        if code in {c.upper() for c in re.split(r"[,\s]+", codes) if c}:
            return None
        end = m.end("codes")
        return end, end, f",{code}"
    stripped = line.rstrip()
    if stripped.endswith("\\") or _ends_in_string(line):
        return None  # a backslash continuation or an open string: a comment cannot go here
    return len(stripped), len(line), f"  # noqa: {code}"


def _ends_in_string(line: str) -> bool:
    quote: Optional[str] = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif c == "#":
            return False  # the rest is a comment
        elif c in "\"'":
            quote = c * 3 if line.startswith(c * 3, i) else c
            i += len(quote)
            continue
        i += 1
    return quote is not None


def noqa_text_edit(lines: LineIndex, f: Finding) -> Optional[types.TextEdit]:
    from ptlint.rules.findings import Position, Range

    for line_no in dict.fromkeys((f.range.start.line, f.range.end.line)):
        edit = noqa_edit(lines.line(line_no - 1), f.code)
        if edit is not None:
            start, end, text = edit
            rng = Range(Position(line_no, start), Position(line_no, end))
            return types.TextEdit(range=lines.range_to_client(rng), new_text=text)
    return None


# ---------------------------------------------------------------------- edits
def workspace_edit(server: "PtlintServer", edits: dict[str, list[types.TextEdit]]) -> types.WorkspaceEdit:
    caps = server.client_capabilities
    ws = caps.workspace if caps else None
    if ws and ws.workspace_edit and ws.workspace_edit.document_changes:
        changes = []
        for uri, text_edits in edits.items():
            doc = server.text_document(uri)
            changes.append(types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=doc.version if doc is not None else None),
                edits=text_edits))
        return types.WorkspaceEdit(document_changes=changes)
    return types.WorkspaceEdit(changes=edits)


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def whole_edit(old: str, new: str, encoding: str) -> types.TextEdit:
    """One edit turning ``old`` into ``new``, spanning only the lines that differ (so
    the cursor and folds elsewhere stay put)."""
    old_lines = re.split(r"(?<=\n)|(?<=\r)(?!\n)", old)
    new_lines = re.split(r"(?<=\n)|(?<=\r)(?!\n)", new)
    a = 0
    while a < min(len(old_lines), len(new_lines)) and old_lines[a] == new_lines[a]:
        a += 1
    b = 0
    while (b < min(len(old_lines), len(new_lines)) - a
           and old_lines[len(old_lines) - 1 - b] == new_lines[len(new_lines) - 1 - b]):
        b += 1
    start_off = sum(len(s) for s in old_lines[:a])
    end_off = sum(len(s) for s in old_lines[:len(old_lines) - b])
    text = "".join(new_lines[a:len(new_lines) - b])
    starts = _line_starts(old)
    lines = LineIndex(old, encoding)
    from ptlint.rules.findings import Position, Range

    def pos(off: int) -> Position:
        line = bisect.bisect_right(starts, off) - 1
        return Position(line + 1, off - starts[line])

    return types.TextEdit(range=lines.range_to_client(Range(pos(start_off), pos(end_off))), new_text=text)


def fix_all_edits(server: "PtlintServer", doc: Doc, snap: Snapshot) -> tuple[dict[str, list[types.TextEdit]], int]:
    """Safe fixes for the whole document (each notebook cell on its own)."""
    # Imported here: the fixer needs libcst (~0.7 s to import on a busy machine), which the
    # server's start-up and first diagnostics do not (the worker process parses).
    from ptlint.rules.fixes import fix_text, parses
    from ptlint.rules.source import mask_magics

    enc = server.position_encoding
    edits: dict[str, list[types.TextEdit]] = {}
    count = 0
    if doc.kind == IPYNB:
        return edits, 0  # positions are in cell coordinates, not in the JSON text
    if doc.kind == NOTEBOOK:
        targets = [(uri, i + 1) for i, uri in enumerate(snap.cells)]
    else:
        targets = [(doc.uri, None)]
    for uri, cell in targets:
        findings = [f for f in snap.findings if f.cell == cell]
        if not any(f.fix for f in findings):
            continue
        text = server.text_of(uri)
        new, chosen = fix_text(text, findings, unsafe=False)
        if not chosen or new == text:
            continue
        if not parses((mask_magics(new) or "") if cell is not None else new):
            continue  # never offer an edit that leaves the code unparsable
        edits[uri] = [whole_edit(text, new, enc)]
        count += len(chosen)
    return edits, count


def _wants(only: Optional[Sequence[str]], kind: str) -> bool:
    if not only:
        return True
    return any(kind == o or kind.startswith(o + ".") for o in only)


def _same(d: types.Diagnostic, f: Finding, rng: types.Range) -> bool:
    return d.code == f.code and d.range == rng


async def code_actions(server: "PtlintServer", params: types.CodeActionParams) -> Optional[list[types.CodeAction]]:
    uri = params.text_document.uri
    doc = server.doc_for(uri)
    if doc is None or server.scheduler is None:
        return None
    only = params.context.only
    # Quick fixes come from the last analysis, mapped onto the text on screen (never
    # waiting for the new one); fix-all rewrites the whole file, so only from a current one.
    fix_all_only = bool(only) and not _wants(only, types.CodeActionKind.QuickFix)
    view = snapview.view_of(server, doc, uri)
    if view is None or (fix_all_only and not view.current):
        await server.scheduler.current(doc, 5.0)
        view = snapview.view_of(server, doc, uri)
    if view is None:
        return None
    snap = view.snap
    lang = snap.lang
    t = _texts(lang)
    lines = view.lines
    cell = server.cell_index(doc, uri)
    actions: list[types.CodeAction] = []
    start = view.from_client(params.range.start)
    end = view.from_client(params.range.end)
    if _wants(only, types.CodeActionKind.QuickFix) and start is not None and end is not None:
        noqa_done: set[tuple[int, str]] = set()
        by_uri = None
        for f in snap.findings:
            if f.cell != cell or not overlaps(f.range, start, end):
                continue
            rng = view.range_to_client(f.range)
            if rng is None:
                continue  # edited since this analysis
            diag = next((d for d in params.context.diagnostics if _same(d, f, rng)), None)
            if diag is None:
                if by_uri is None:
                    by_uri = diag_mod.diagnostics_by_uri(server, doc, snap).get(uri, [])
                diag = next((d for d in by_uri if _same(d, f, rng)), None)
            diags = [diag] if diag is not None else None
            primary = [f.fix] if f.fix is not None else []
            for fix in (*primary, *f.alt_fixes):
                if not fix.edits:
                    continue
                ranges = [view.range_to_client(e.range) for e in fix.edits]
                if any(r is None for r in ranges):
                    continue
                text_edits = [types.TextEdit(range=r, new_text=e.new_text) for r, e in zip(ranges, fix.edits)]
                actions.append(types.CodeAction(
                    title=fix_title(f, lang, fix), kind=types.CodeActionKind.QuickFix, diagnostics=diags,
                    edit=workspace_edit(server, {uri: text_edits}),
                    is_preferred=fix is f.fix and fix.safety is FixSafety.SAFE))
            key = (f.range.start.line, f.code)
            if f.code != SYNTAX_CODE and key not in noqa_done:
                noqa_done.add(key)
                edit = noqa_text_edit(lines, f)
                mapped = view.forward_range(edit.range) if edit is not None else None
                if edit is not None and mapped is not None:
                    edit.range = mapped
                    actions.append(types.CodeAction(
                        title=t["noqa"].format(code=f.code), kind=types.CodeActionKind.QuickFix,
                        diagnostics=diags, edit=workspace_edit(server, {uri: [edit]})))
    if view.current and _wants(only, FIX_ALL_KIND) and (only or any(f.fix for f in snap.findings)):
        edits, count = fix_all_edits(server, doc, snap)
        if count:
            actions.append(types.CodeAction(title=t["all"], kind=FIX_ALL_KIND,
                                            edit=workspace_edit(server, edits)))
    return actions


def register(server: "PtlintServer") -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False))
    async def on_code_action(params: types.CodeActionParams):
        return await code_actions(server, params)


__all__ = ["FIX_ALL_KIND", "code_actions", "fix_all_edits", "noqa_edit", "split_lines", "whole_edit"]
