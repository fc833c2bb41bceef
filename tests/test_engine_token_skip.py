"""The traversal leaves whitespace, comma, bracket and operator subtrees out (two thirds
of a file's nodes) only while no rule asks for those node types: a rule that does is
called for each one, and a finding placed on such a node has its exact place."""
from typing import Callable

import libcst as cst
import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.findings import Severity
from ptlint.rules.rule import REGISTRY, Docs, Message, Rule, all_rules

SOURCE = "import torch\nx = torch.zeros(2, 3)  # a comment\ny = (x + 1, x * 2)\n"


def reporting_rule(code: str, node_type: str, target: Callable[[cst.CSTNode], cst.CSTNode]) -> type:
    """A rule that reports ``target(node)`` for every visited node of ``node_type``."""

    def visit(self, node):
        found = target(node)
        if found is not None:
            self.report(found)

    return type(f"Test{code}", (Rule,), {
        "code": code, "name": f"test-{code.lower()}", "severity": Severity.WARNING,
        "message": Message(zh="测试", en="test"), "docs": Docs(zh="", en=""), "mentions": ("torch",),
        f"visit_{node_type}": visit,
    })


@pytest.fixture
def temporary_rules():
    """Rules defined during the test (defining a Rule subclass registers it) are dropped after."""
    all_rules()
    before = set(REGISTRY)
    yield
    for code in set(REGISTRY) - before:
        del REGISTRY[code]


def places(code: str) -> list[tuple[int, int, int]]:
    found = lint_text(SOURCE, "t.py", Config()).findings
    return sorted((f.range.start.line, f.range.start.column, f.range.end.column) for f in found if f.code == code)


def test_a_rule_on_token_nodes_sees_each_one_at_its_place(temporary_rules):
    reporting_rule("PT991", "Comma", lambda node: node)
    reporting_rule("PT992", "Comment", lambda node: node)
    assert places("PT991") == [(2, 17, 18), (3, 10, 11)]  # 1-based lines, 0-based columns
    assert places("PT992") == [(2, 23, 34)]  # a comment inside the whitespace after a statement


def test_a_finding_on_a_node_the_traversal_skipped_is_placed_exactly(temporary_rules):
    # no rule asks for commas here: the traversal skips them, the rule reaches one through its call
    reporting_rule("PT990", "Call", lambda call: call.args[0].comma if len(call.args) > 1 else None)
    assert places("PT990") == [(2, 17, 18)]


def test_without_such_a_rule_findings_are_unchanged():
    found = lint_text("import torch\nx = torch.randn(4, 3)\ny = x.t().view(-1)\n", "t.py", Config()).findings
    assert [(f.code, f.range.start.line) for f in found if f.code == "PT001"] == [("PT001", 3)]
