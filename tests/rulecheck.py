"""Helpers the per-rule behaviour tests share: lint one snippet with one rule, and apply
its fix (checking that the fix removes the finding)."""
from ptlint.rules import Config, lint_text
from ptlint.rules.fixes import fix_text


def lint(src, code):
    res = lint_text(src, "t.py", Config(select=(code,)))
    assert not res.rule_errors, res.rule_errors
    return res.findings


def lines(src, code):
    return [f.line for f in lint(src, code)]


def fixed(src, code, unsafe=False):
    new, applied = fix_text(src, lint(src, code), unsafe=unsafe)
    assert applied, f"{code}: no fix applied"
    assert not lint(new, code), f"{code} still reported after its fix:\n{new}"
    return new


def line_of(src, text):
    """The 1-based line of ``src`` that contains ``text`` (the first one)."""
    return next(i for i, line in enumerate(src.splitlines(), 1) if text in line)
