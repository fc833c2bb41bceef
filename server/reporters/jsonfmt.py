from __future__ import annotations

import json


def render_json(run, *, lang: str = "zh", **_: object) -> str:
    """A stable list of findings; each has code, rule, message (in ``lang``), both
    messages, path, cell, 1-based line and 0-based column ranges, severity, fix."""
    items = []
    for f in run.findings:
        d = f.to_dict()
        d["message"] = f.message(lang)
        d["fixable"] = f.fix is not None
        items.append(d)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
