"""``--format json``: a stable list of findings."""
from __future__ import annotations

import json

from .text import applicable


def render(run, *, lang: str = "zh", unsafe: bool = False, **_: object) -> str:
    """Each item has code, rule, message (in ``lang``), message_zh, message_en, path,
    cell (notebooks, 1-based), range (1-based lines, 0-based columns), severity,
    related locations, fix (edits + safety) and whether --fix would apply it."""
    items = []
    for f in run.findings:
        d = f.to_dict()
        d["message"] = f.message(lang)
        d["fixable"] = f.fix is not None
        d["fix_applicable"] = applicable(f, unsafe)
        items.append(d)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


render_json = render
