"""``--fix`` / ``--diff``: apply fixes to files without ever corrupting one.

Writes are atomic (temp file in the same folder + rename), keep encoding, BOM and line
endings, and are skipped when the fixed text would not parse."""
from __future__ import annotations

import difflib
import json
import os
import sys
import tempfile
from typing import Optional

from ptlint.rules.engine import LintResult, lint_source
from ptlint.rules.fixes import fix_text, parses
from ptlint.rules.source import SourceFile


def atomic_write(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ptlint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _encode(source: SourceFile, text: str) -> bytes:
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if source.bom else data


def fixed_source_text(res: LintResult, unsafe: bool) -> tuple[Optional[str], int]:
    """New full text of the file (None when nothing changes) and the number of fixes."""
    source = res.source
    assert source is not None
    if source.is_notebook:
        return _fixed_notebook(res, unsafe)
    text = source.units[0].text
    new, chosen = fix_text(text, res.findings, unsafe)
    if not chosen or new == text or not parses(new):
        return None, 0
    return new, len(chosen)


def _fixed_notebook(res: LintResult, unsafe: bool) -> tuple[Optional[str], int]:
    source = res.source
    nb = json.loads(json.dumps(source.notebook))
    count = 0
    for unit in source.units:
        cell_findings = [f for f in res.findings if f.cell == unit.cell]
        new, chosen = fix_text(unit.real_text, cell_findings, unsafe)
        if not chosen or new == unit.real_text:
            continue
        from ptlint.rules.source import mask_magics

        if not parses(mask_magics(new) or ""):
            continue
        cell = nb["cells"][unit.cell - 1]
        cell["source"] = new.splitlines(keepends=True) if isinstance(cell.get("source"), list) else new
        count += len(chosen)
    if not count:
        return None, 0
    indent = 1 if '\n "' in source.raw.decode("utf-8", "replace")[:200] else 2
    return json.dumps(nb, ensure_ascii=False, indent=indent) + "\n", count


def apply_fixes(run, *, write: bool, unsafe: bool, diff: bool, lang: str) -> None:
    for i, res in enumerate(run.results):
        if res.source is None or not any(f.fix for f in res.findings) or res.path == "<stdin>":
            continue
        new, count = fixed_source_text(res, unsafe)
        if new is None:
            continue
        source = res.source
        old = source.raw.decode("utf-8-sig")
        if diff:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"a/{res.path}", tofile=f"b/{res.path}"))
            continue
        if write:
            atomic_write(res.path, _encode(source, new))
            run.fixed += count
            # Report what is left after fixing, like ruff does.
            from ptlint.rules.source import load_source

            again = lint_source(load_source(res.path), _config_of(res))
            run.findings = [f for f in run.findings if f.path != res.path] + again.findings
            run.results[i] = again


def _config_of(res: LintResult):
    from ptlint.rules.config import ConfigLoader

    return ConfigLoader().for_path(res.path)
