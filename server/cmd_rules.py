"""``ptlint rules`` and ``ptlint explain``."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

from ptlint.rules.config import ConfigError, ConfigLoader
from ptlint.rules.rule import all_rules, get_rule

from .cli import EXIT_ERROR, EXIT_OK


def fix_range(rule) -> str:
    """``safe``, ``unsafe``, ``safe/unsafe`` (decided per finding) or ``-`` (no fix)."""
    return "/".join(s.value for s in rule.safeties()) or "-"


def run_rules(args: argparse.Namespace) -> int:
    rules = all_rules()
    if args.format == "json":
        print(json.dumps([
            {"code": c, "name": r.name, "severity": r.severity.value,
             "fixable": bool(r.safeties()), "fix_safety": r.fix_safety.value if r.fix_safety else None,
             "fix_safeties": [s.value for s in r.safeties()]}
            for c, r in rules.items()], ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{'code':<7} {'name':<34} {'severity':<9} fix")
    for code, r in rules.items():
        print(f"{code:<7} {r.name:<34} {r.severity.value:<9} {fix_range(r)}")
    return EXIT_OK


def rule_page(code: str, lang: str) -> str:
    rule = get_rule(code)
    assert rule is not None
    title = f"# {rule.code} {rule.name}\n\n"
    meta = (f"严重程度：{rule.severity.value}" if lang == "zh" else f"Severity: {rule.severity.value}")
    safeties = [s.value for s in rule.safeties()]
    if safeties:
        zh = "或".join({"safe": "安全", "unsafe": "不安全"}[s] for s in safeties)
        vary_zh, vary_en = ("，视代码而定", ", depending on the code") if len(safeties) > 1 else ("", "")
        meta += (f" · 可自动修复（{zh}{vary_zh}）" if lang == "zh"
                 else f" · fixable ({' or '.join(safeties)}{vary_en})")
    return title + meta + "\n\n" + rule.docs.get(lang).strip() + "\n"


def run_explain(args: argparse.Namespace) -> int:
    try:
        lang = args.lang or ConfigLoader().for_path(os.getcwd()).lang
    except ConfigError as exc:
        print(f"ptlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    query = " ".join(args.query).strip()
    if re.fullmatch(r"(?i)pt\d{3}", query):
        if get_rule(query) is None:
            print(f"ptlint: error: no rule {query.upper()} (see `ptlint rules`)", file=sys.stderr)
            return EXIT_ERROR
        sys.stdout.write(rule_page(query.upper(), lang))
        return EXIT_OK
    try:
        from ptlint.rules.docs.search import format_results, search
    except ImportError:
        print(f"ptlint: error: {query!r} is not a rule code (e.g. PT001)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(format_results(search(query), lang))
    return EXIT_OK
