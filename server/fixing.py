"""``--fix`` / ``--diff``: apply fixes to files without ever corrupting one.

Writes are atomic (temp file in the same folder + rename) and keep the encoding, BOM
and line endings; a file whose fixed text would not parse is left byte-identical; a
notebook is only rewritten when its JSON layout can be reproduced exactly, so the diff
touches the fixed cells and nothing else."""
from __future__ import annotations

import difflib
import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Optional

from ptlint.rules.config import Config
from ptlint.rules.fsutil import write_user_file
from ptlint.rules.source import SourceError, SourceFile, load_source, mask_magics, source_from_bytes

MAX_ROUNDS = 5  # fixes that overlap are applied in later rounds, after a fresh analysis


@dataclass
class FixOutcome:
    path: str
    old: str
    new: Optional[str]  # None: nothing to write
    count: int
    skipped: Optional[str] = None  # why a file with fixes was left alone


def atomic_write(path: str, data: bytes) -> None:
    """Through a symlink to its target, keeping hard links (see fsutil.write_user_file)."""
    write_user_file(path, data)


def encode(source: SourceFile, text: str) -> bytes:
    data = text.encode(source.encoding)
    return (b"\xef\xbb\xbf" + data) if source.bom else data


def _keep_newlines(old: str, new: str) -> str:
    """A CRLF file stays CRLF even where a fix inserted a bare newline."""
    if "\r\n" in old and not re.search(r"(?<!\r)\n", old):
        return re.sub(r"(?<!\r)\n", "\r\n", new)
    return new


def _parses(text: str) -> bool:
    from ptlint.rules.fixes import parses

    return parses(text)


def _fixable(findings, unsafe: bool) -> list:
    from ptlint.rules.fixes import select_fixes

    return select_fixes(findings, unsafe)


# ---------------------------------------------------------------------- python files
def _fix_python(source: SourceFile, config: Config, findings, unsafe: bool) -> tuple[str, int, Optional[str]]:
    from ptlint.rules.engine import lint_source
    from ptlint.rules.fixes import fix_text
    from ptlint.rules.source import source_from_text

    original = text = source.units[0].text
    if source.newline == "\r":
        # Edits count lines by "\n"; a CR-only file (valid Python) is fixed as LF text
        # and written back with CR. Python reads every CR as a newline, strings included.
        lf = source_from_text(original.replace("\r", "\n"), source.path)
        lf.encoding, lf.bom = source.encoding, source.bom
        lf_findings = lint_source(lf, config).findings
        fixed, count, why = _fix_python(lf, config, lf_findings, unsafe)
        return (fixed.replace("\n", "\r") if count else original), count, why
    count = 0
    for _ in range(MAX_ROUNDS):
        new, chosen = fix_text(text, findings, unsafe)
        if not chosen or new == text:
            break
        new = _keep_newlines(original, new)
        if not _parses(new):
            if count == 0:
                return original, 0, "the fixed code would not parse; file left unchanged"
            break  # keep the rounds that did parse
        text, count = new, count + len(chosen)
        findings = lint_source(source_from_text(text, source.path), config).findings
        if not _fixable(findings, unsafe):
            break
    return text, count, None


# ---------------------------------------------------------------------- notebooks
def _notebook_layout(raw_text: str, nb: Any) -> Optional[dict[str, Any]]:
    """The json.dumps arguments that reproduce the notebook's text exactly, if any."""
    for indent in (1, 2, 4, None):
        for ensure_ascii in (False, True):
            for sort_keys in (False, True):
                body = json.dumps(nb, indent=indent, ensure_ascii=ensure_ascii, sort_keys=sort_keys)
                for tail in ("\n", ""):
                    if body + tail == raw_text:
                        return {"indent": indent, "ensure_ascii": ensure_ascii, "sort_keys": sort_keys, "tail": tail}
    return None


def _fix_notebook(source: SourceFile, config: Config, findings, unsafe: bool) -> tuple[str, int, Optional[str]]:
    from ptlint.rules.fixes import fix_text

    raw_text = source.raw.decode("utf-8-sig")
    layout = _notebook_layout(raw_text, source.notebook)
    if layout is None:
        return raw_text, 0, "cannot reproduce this notebook's JSON layout exactly; not rewritten"
    nb = json.loads(raw_text)
    count = 0
    for unit in source.units:
        cell_findings = [f for f in findings if f.cell == unit.cell]
        if not _fixable(cell_findings, unsafe):
            continue
        new, chosen = fix_text(unit.real_text, cell_findings, unsafe)
        if not chosen or new == unit.real_text:
            continue
        masked = mask_magics(new)
        if masked is None or not _parses(masked):
            continue
        cell = nb["cells"][unit.cell - 1]
        cell["source"] = new.splitlines(keepends=True) if isinstance(cell.get("source"), list) else new
        count += len(chosen)
    if not count:
        return raw_text, 0, "the fixed cells would not parse; notebook left unchanged"
    tail = layout.pop("tail")
    return json.dumps(nb, **layout) + tail, count, None


def fix_source(source: SourceFile, config: Config, findings, unsafe: bool) -> FixOutcome:
    """The fixed text of one file (python or notebook) and how many fixes it took."""
    if source.is_notebook:
        old = source.raw.decode("utf-8-sig")
        new, count, why = _fix_notebook(source, config, findings, unsafe)
    else:
        old = source.units[0].text
        new, count, why = _fix_python(source, config, findings, unsafe)
    if count == 0 or new == old:
        return FixOutcome(source.path, old, None, 0, why)
    return FixOutcome(source.path, old, new, count)


def apply_fixes(run, loader, *, write: bool, unsafe: bool, diff: bool, lang: str, skip=()) -> int:
    """Fix every file of the run that has applicable fixes. Returns how many fixes were
    (or, with ``diff``, would be) applied. Fixed files are analysed again and their
    remaining findings replace the old ones in ``run``."""
    from ptlint.rules.engine import lint_source

    total = 0
    for i, res in enumerate(run.results):
        if any(res is r for r in skip) or res.path == "<stdin>" or not _fixable(res.findings, unsafe):
            continue
        cfg = loader.for_path(res.path)
        source = res.source
        findings = res.findings
        try:
            current = open(res.path, "rb").read()
        except OSError as exc:
            run.errors.append(f"{res.path}: 无法读取，没有修复（{exc.strerror or exc}）" if lang == "zh"
                              else f"{res.path}: cannot read for fixing ({exc.strerror or exc})")
            continue
        if source is None or source.raw != current:
            # Answered from the cache, or changed since: analyse what is on disk now.
            try:
                source = source_from_bytes(current, res.path, notebook=res.path.endswith(".ipynb"))
            except SourceError as exc:
                run.errors.append(exc.text(lang))
                continue
            findings = lint_source(source, cfg).findings
        outcome = fix_source(source, cfg, findings, unsafe)
        if outcome.skipped:
            run.errors.append(f"{res.path}: {outcome.skipped}")
        if outcome.new is None:
            continue
        try:
            data = encode(source, outcome.new)
        except UnicodeEncodeError:
            run.errors.append(f"{res.path}: the fixed text cannot be written in {source.encoding}; file left unchanged")
            continue
        total += outcome.count
        if diff:
            sys.stdout.writelines(_diff(outcome.old, outcome.new, res.path))
            continue
        if write:
            atomic_write(res.path, data)
            run.fixed += outcome.count
            run.results[i] = lint_source(load_source(res.path), cfg)
    if write and not diff:
        run.findings = [f for r in run.results for f in r.findings]
    return total


def _diff(old: str, new: str, path: str) -> list[str]:
    a, b = (path, path) if os.path.isabs(path) else (f"a/{path}", f"b/{path}")
    lines = list(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=a, tofile=b))
    return [ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in lines]


def fix_stdin_text(source: SourceFile, config: Config, findings, unsafe: bool) -> tuple[str, int]:
    """For ``ptlint check --fix -``: the fixed text (the input when nothing applies)."""
    outcome = fix_source(source, config, findings, unsafe)
    return (outcome.new if outcome.new is not None else outcome.old), outcome.count
