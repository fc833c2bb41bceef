"""``--format github``: GitHub Actions workflow commands, one annotation per finding:
``::error file=a.py,line=3,col=5,endLine=3,endColumn=9,title=PT017 softmax-without-dim::message``,
and one warning per part of a file that was not checked (rules/notices.py), so that a pull
request shows what ptlint could not look at: ``::warning file=big.py,title=ptlint: not checked::…``."""
from __future__ import annotations

import os
from pathlib import Path

from ptlint.rules.findings import Severity

from .text import note_lines

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.HINT: "notice"}


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def _path(path: str) -> str:
    """Annotations need paths relative to the repository root (the job's folder)."""
    if os.path.isabs(path):
        rel = os.path.relpath(path)
        if not rel.startswith(".."):
            return Path(rel).as_posix()
    return Path(path).as_posix()


def render(run, *, lang: str = "zh", **_: object) -> str:
    out = []
    for f in run.findings:
        message = f.message(lang)
        props = [f"file={_prop(_path(f.path))}"]
        if f.cell is None:
            props += [f"line={f.line}", f"col={f.column + 1}", f"endLine={f.range.end.line}",
                      f"endColumn={f.range.end.column + 1}"]
        else:
            # A line inside a cell is no line of the .ipynb file: name the place in the text.
            message = f"cell {f.cell}:{f.line}:{f.column + 1}: {message}"
        # An annotation sits in one file: causes in other files are named in its text.
        message = "\n".join([message, *note_lines(f, lang)])
        props.append(f"title={_prop(f'{f.code} {f.rule_name}')}")
        out.append(f"::{_LEVEL[f.severity]} {','.join(props)}::{_data(message)}")
    for res in getattr(run, "results", ()):
        for n in getattr(res, "notices", ()):
            props = [f"file={_prop(_path(n.path))}"]
            if n.line is not None and n.cell is None:  # a cell's line is no line of the .ipynb file
                props.append(f"line={n.line}")
            props.append(f"title={_prop(_NOT_CHECKED['en' if lang == 'en' else 'zh'])}")
            out.append(f"::warning {','.join(props)}::{_data(n.text(lang, path=False))}")
    return "".join(line + "\n" for line in out)


_NOT_CHECKED = {"zh": "ptlint：未检查", "en": "ptlint: not checked"}
