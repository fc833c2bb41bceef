"""The study notes' own code blocks, extracted into ``tests/fixtures/notes_*.py``, run
through the whole catalog: exactly the findings marked ``# expect: PTxxx`` come out,
and nothing else. The notes are the source of our rules, so this is both a recall check
(their known slips: softmax + CrossEntropyLoss, ``list(set(words))``, printing
uninitialised tensors, numpy memory sharing) and a precision check (everything else in
them is fine and must stay quiet)."""
import re
from pathlib import Path

import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.rule import all_rules

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("notes_*.py"))
EXPECT = re.compile(r"#\s*expect:\s*((?:PT\d{3}[,\s]*)+)$")
# Rules written by other issues: asserted when they are in the catalog.
OTHERS = {"PT001", "PT002", "PT003", "PT004", "PT005", "PT006"}


def expected_findings(text: str) -> set[tuple[int, str]]:
    out = set()
    for n, line in enumerate(text.splitlines(), start=1):
        m = EXPECT.search(line)
        if m:
            out.update((n, code) for code in re.findall(r"PT\d{3}", m.group(1)))
    return out


def test_fixtures_exist():
    names = {p.stem for p in FIXTURES}
    assert {"notes_creation", "notes_numpy", "notes_autograd", "notes_model", "notes_nlp", "notes_optim"} <= names


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_notes_fixture_findings(path):
    text = path.read_text(encoding="utf-8")
    res = lint_text(text, str(path), Config())
    assert not res.rule_errors, res.rule_errors
    rules = set(all_rules())
    expected = {(line, code) for line, code in expected_findings(text) if code in rules or code not in OTHERS}
    got = {(f.line, f.code) for f in res.findings}
    detail = {(f.line, f.code): f.message_en for f in res.findings}
    assert got == expected, (
        f"unexpected: {sorted((k, detail[k]) for k in got - expected)}; missing: {sorted(expected - got)}")


def test_fixtures_cover_the_known_slips():
    """The issue's list of what the notes get wrong is all marked somewhere."""
    marked = set()
    for path in FIXTURES:
        marked |= {code for _, code in expected_findings(path.read_text(encoding="utf-8"))}
    assert {"PT010", "PT020", "PT015", "PT004"} <= marked


def test_model_fixture_reports_softmax_with_related_loss():
    path = next(p for p in FIXTURES if p.stem == "notes_model")
    res = lint_text(path.read_text(encoding="utf-8"), str(path), Config(select=("PT010",)))
    assert len(res.findings) == 2
    for f in res.findings:
        assert f.related and "交叉熵" in f.related[0].message_zh
        assert f.fix is not None and f.fix.safety.value == "unsafe"
