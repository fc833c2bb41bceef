"""Every rule's must-flag / must-not-flag examples, collected automatically (like
Fixit's VALID/INVALID): a new rule file is tested by adding it."""
import re

import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.rule import DOC_SECTIONS, EXPECT_MARKER, all_rules

RULES = all_rules()


def _cases(kind):
    for code, rule in RULES.items():
        for i, src in enumerate(getattr(rule, kind)):
            yield pytest.param(code, src, id=f"{code}-{kind}-{i}")


def _lint(code, src):
    # Notebook examples are JSON; everything else is Python source.
    nb = src.lstrip().startswith("{")
    return lint_text(src, "example.ipynb" if nb else "example.py", Config(select=(code,)), notebook=nb)


def _marked_lines(src):
    return sorted(i for i, line in enumerate(src.splitlines(), start=1) if EXPECT_MARKER in line)


@pytest.mark.parametrize("code,src", list(_cases("must_flag")))
def test_must_flag(code, src):
    res = _lint(code, src)
    assert not res.rule_errors, res.rule_errors
    got = sorted({f.line for f in res.findings if f.code == code})
    expected = _marked_lines(src)
    assert expected, "a must-flag example needs a line marked with '# <-'"
    assert got == expected, f"{code}: expected findings on lines {expected}, got {got}: {[f.message_en for f in res.findings]}"


@pytest.mark.parametrize("code,src", list(_cases("must_not_flag")))
def test_must_not_flag(code, src):
    res = _lint(code, src)
    assert not res.rule_errors, res.rule_errors
    assert [f for f in res.findings if f.code == code] == []


@pytest.mark.parametrize("code", list(RULES))
def test_rule_is_complete(code):
    rule = RULES[code]
    assert re.fullmatch(r"PT\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert len(rule.must_flag) >= 3 and len(rule.must_not_flag) >= 3
    for lang, sections in DOC_SECTIONS.items():
        text = rule.docs.get(lang)
        positions = [text.find(s) for s in sections]
        assert all(p >= 0 for p in positions), f"{code} {lang} docs lack a section: {sections}"
        assert positions == sorted(positions), f"{code} {lang} docs sections out of order"
    assert re.search(r"[\u4e00-\u9fff]", rule.message.zh) and re.search(r"[\u4e00-\u9fff]", rule.docs.zh)


def test_codes_and_names_unique():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))
    assert len(RULES) == len({r.code for r in RULES.values()})


def test_duplicate_code_is_rejected():
    from ptlint.rules.rule import Rule

    with pytest.raises(ValueError, match="PT017"):
        class Clash(Rule):  # noqa: F811
            code = "PT017"
            name = "clash"
