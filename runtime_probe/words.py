"""The probe's verdict words, one table for every front end (CLI text, JSON/SARIF
records, the language server), so that a run speaks one language throughout."""
from __future__ import annotations

from typing import Any

VERDICT_WORDS = {
    "zh": {"confirmed": "已由 PyTorch 证实", "refuted": "被 PyTorch 推翻（ptlint 缺陷，请报告）",
           "unverifiable": "无法验证", "failed": "探针失败"},
    "en": {"confirmed": "confirmed by PyTorch", "refuted": "refuted by PyTorch (a ptlint bug, please report it)",
           "unverifiable": "unverifiable", "failed": "probe failed"},
}


def verdict_line(rec: dict[str, Any], lang: str) -> str:
    """``探针（cpu，torch 2.3）：已由 PyTorch 证实：…`` / ``probe (cpu, torch 2.3): confirmed by PyTorch: …``"""
    en = lang == "en"
    words = VERDICT_WORDS["en" if en else "zh"]
    head = words.get(rec.get("verdict", ""), str(rec.get("verdict", "")))
    parts = [x for x in (rec.get("device"), f"torch {rec['torch']}" if rec.get("torch") else "") if x]
    detail = (rec.get("detail_en") if en else rec.get("detail_zh")) or rec.get("detail", "")
    detail = " ".join(str(detail).split())
    if rec.get("verdict") == "failed":  # "probe: probe failed" would say it twice
        return head + ((": " if en else "：") + detail if detail else "")
    if en:
        where = f" ({', '.join(parts)})" if parts else ""
        return f"probe{where}: {head}" + (f": {detail}" if detail else "")
    where = "（" + "，".join(parts) + "）" if parts else ""
    return f"探针{where}：{head}" + (f"：{detail}" if detail else "")
