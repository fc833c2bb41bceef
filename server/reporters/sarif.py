"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other viewers.

One run; ``tool.driver.rules`` lists every rule with its docs as help text (markdown
and plain); results point at files relative to the working folder (``%SRCROOT%``),
with 1-based lines and columns counted in Unicode code points. Fixes are included for
Python files. A finding in a notebook cell names the cell in its message and in
``properties.cell`` (its line is a line of the cell, not of the .ipynb file). Parts of files that were not
checked (limits, unreadable notebook cells) are the invocation's tool notifications."""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from ptlint import __version__
from ptlint.rules.findings import Finding, Range, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/ptlint/"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.HINT: "note"}


def _first_sentence(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    for stop in ("。", ". "):
        if stop in line:
            return line.split(stop, 1)[0] + stop.strip()
    return line


def _what(docs: str) -> str:
    body = docs.strip()
    if body.startswith("## "):
        body = body.split("\n", 1)[1] if "\n" in body else ""
    return body.split("\n## ", 1)[0].strip()


def _rule_descriptor(rule, lang: str) -> dict:
    docs = rule.docs.get(lang)
    what = _what(docs) or rule.name
    desc = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _first_sentence(what)},
        "fullDescription": {"text": what},
        "help": {"text": docs.strip(), "markdown": docs.strip()},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["pytorch", "correctness"], "precision": "high"},
    }
    if rule.fix_safety is not None:
        desc["properties"]["fixSafety"] = rule.fix_safety.value
        # the range when it depends on the code (e.g. PT005: safe or unsafe by the input's source)
        desc["properties"]["fixSafeties"] = [s.value for s in rule.safeties()]
    return desc


def _uri(path: str) -> tuple[str, bool]:
    """(uri, relative): relative to the working folder when the file lies inside it."""
    p = Path(os.path.abspath(path))
    try:
        rel = p.relative_to(os.getcwd()).as_posix()
        return quote(rel, safe="/"), True
    except ValueError:
        return p.as_uri(), False


def _region(r: Range) -> dict:
    return {"startLine": r.start.line, "startColumn": r.start.column + 1,
            "endLine": r.end.line, "endColumn": r.end.column + 1}


def _artifact(path: str) -> dict:
    uri, rel = _uri(path)
    loc = {"uri": uri}
    if rel:
        loc["uriBaseId"] = "%SRCROOT%"
    return loc


def _related(i: int, rel, path: str, lang: str) -> dict:
    """A related place, in the finding's file or another project file (``rel.path``); in
    a notebook its line is a cell's line, so the cell is named too."""
    message = rel.message(lang)
    loc = {"id": i, "message": {"text": message},
           "physicalLocation": {"artifactLocation": _artifact(rel.path_or(path)), "region": _region(rel.range)}}
    if rel.cell is not None:
        loc["message"]["text"] = f"cell {rel.cell}:{rel.range.start.line}:{rel.range.start.column + 1}: {message}"
        loc["properties"] = {"cell": rel.cell}
    return loc


def _result(f: Finding, index: dict[str, int], lang: str) -> dict:
    message = f.message(lang)
    if f.cell is not None:
        message = f"cell {f.cell}:{f.line}:{f.column + 1}: {message}"
    res: dict = {
        "ruleId": f.code,
        "level": _LEVEL[f.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(f.path), "region": _region(f.range)}}],
    }
    if f.code in index:
        res["ruleIndex"] = index[f.code]
    if f.related:
        res["relatedLocations"] = [_related(i, rel, f.path, lang) for i, rel in enumerate(f.related)]
    if f.cell is not None:
        res["properties"] = {"cell": f.cell}
    elif f.fix is not None:
        res["fixes"] = [{
            "description": {"text": f.fix.title(lang)},
            "artifactChanges": [{
                "artifactLocation": _artifact(f.path),
                "replacements": [{"deletedRegion": _region(e.range), "insertedContent": {"text": e.new_text}}
                                 for e in f.fix.edits],
            }],
        }]
        res.setdefault("properties", {})["fixSafety"] = f.fix.safety.value
    probe = f.extra.get("probe")
    if probe:
        # The runtime probe's verdict (confirmed / refuted / unverifiable, device, torch).
        res.setdefault("properties", {})["probe"] = probe
    return res


def _notification(n, lang: str) -> dict:
    """A part of a file that was not checked (rules/notices.py), as a tool notification:
    not a result (it is about ptlint's reach, not the code), but shown by viewers."""
    loc: dict = {"physicalLocation": {"artifactLocation": _artifact(n.path)}}
    if n.line is not None and n.cell is None:  # a cell's line is no line of the .ipynb file
        loc["physicalLocation"]["region"] = {"startLine": n.line}
    note = {"level": "warning", "message": {"text": n.text(lang, path=False)}, "descriptor": {"id": n.kind},
            "locations": [loc]}
    if n.cell is not None:
        note["properties"] = {"cell": n.cell}
    return note


def build(run, *, lang: str = "zh") -> dict:
    from ptlint.rules.rule import all_rules

    rules = list(all_rules().values())
    index = {r.code: i for i, r in enumerate(rules)}
    cwd = Path(os.getcwd()).as_uri().rstrip("/") + "/"
    notices = [n for res in getattr(run, "results", ()) for n in getattr(res, "notices", ())]
    # Only when something was left unchecked: a clean run's document stays as it was.
    invocations = {"invocations": [{"executionSuccessful": True, "toolExecutionNotifications": [
        _notification(n, lang) for n in notices]}]} if notices else {}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ptlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(r, lang) for r in rules],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": cwd}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, index, lang) for f in run.findings],
            **invocations,
        }],
    }


def render(run, *, lang: str = "zh", **_: object) -> str:
    return json.dumps(build(run, lang=lang), ensure_ascii=False, indent=2) + "\n"
