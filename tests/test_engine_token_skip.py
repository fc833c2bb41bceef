"""The traversal leaves whitespace, comma, bracket and operator subtrees out (two thirds
of a file's nodes) only while no rule asks for those node types: a rule that does is
called for each one, and a finding placed on such a node has its exact place."""
import libcst as cst
import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.findings import Severity
from ptlint.rules.rule import REGISTRY, Docs, Message, Rule, all_rules

SOURCE = "import torch\nx = torch.zeros(2, 3)  # a comment\ny = (x + 1, x * 2)\n"


@pytest.fixture
def token_rules():
    all_rules()
    before = set(REGISTRY)

    class FlagsCommas(Rule):
        code = "PT991"
        name = "test-flags-commas"
        severity = Severity.WARNING
        message = Message(zh="逗号", en="comma")
        docs = Docs(zh="", en="")
        mentions = ("torch",)

        def visit_Comma(self, node: cst.Comma) -> None:
            self.report(node)

    class FlagsComments(Rule):
        code = "PT992"
        name = "test-flags-comments"
        severity = Severity.WARNING
        message = Message(zh="注释", en="comment")
        docs = Docs(zh="", en="")
        mentions = ("torch",)

        def visit_Comment(self, node: cst.Comment) -> None:
            self.report(node)

    yield
    for code in set(REGISTRY) - before:
        del REGISTRY[code]


@pytest.fixture
def call_rule():
    all_rules()
    before = set(REGISTRY)

    class FlagsFirstArgumentsComma(Rule):
        code = "PT990"
        name = "test-flags-first-arguments-comma"
        severity = Severity.WARNING
        message = Message(zh="第一个参数后的逗号", en="comma after the first argument")
        docs = Docs(zh="", en="")
        mentions = ("torch",)

        def visit_Call(self, node: cst.Call) -> None:
            if len(node.args) > 1:
                self.report(node.args[0].comma)  # a node the traversal itself did not visit

    yield
    for code in set(REGISTRY) - before:
        del REGISTRY[code]


def test_a_rule_on_token_nodes_sees_each_one_at_its_place(token_rules):
    found = lint_text(SOURCE, "t.py", Config()).findings
    commas = sorted((f.range.start.line, f.range.start.column) for f in found if f.code == "PT991")
    comments = [(f.range.start.line, f.range.start.column) for f in found if f.code == "PT992"]
    assert commas == [(2, 17), (3, 10)]  # 1-based lines, 0-based columns, as the CLI prints them
    assert comments == [(2, 23)]


def test_a_finding_on_a_node_the_traversal_skipped_is_placed_exactly(call_rule):
    found = lint_text(SOURCE, "t.py", Config()).findings
    reached = [(f.range.start.line, f.range.start.column, f.range.end.column) for f in found if f.code == "PT990"]
    assert reached == [(2, 17, 18)]


def test_without_such_a_rule_findings_are_unchanged():
    found = lint_text("import torch\nx = torch.randn(4, 3)\ny = x.t().view(-1)\n", "t.py", Config()).findings
    assert [(f.code, f.range.start.line) for f in found if f.code == "PT001"] == [("PT001", 3)]
