"""Reported positions are computed per top-level statement (positions.py); they must
equal libcst's whole-module PositionProvider for every node a rule could report."""
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata.position_provider import PositionProvider

from ptlint.rules import Config, lint_text
from ptlint.rules.engine import iter_children
from ptlint.rules.positions import UnitPositions

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for p in (ROOT / "examples").glob("*.py")) + sorted((ROOT / "tests" / "fixtures").glob("*.py"))

TRICKY = '''# header comment

import torch  # trailing

@decorator(1)
# between decorators
@other
def f(x):  # c
    """doc"""
    if x: return x.t().view(-1)
    return (x
            .transpose(0, 1)); y = 2


class A:

    # comment before method
    @property
    def p(self): return 1
x = 1; y = 2; z = torch.zeros(3)
\t
# footer comment
'''


def _all_statement_nodes(module):
    for stmt in module.body:
        stack = [stmt]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(iter_children(n))


@pytest.mark.parametrize("text", [TRICKY, *[p.read_text(encoding="utf-8") for p in SOURCES]],
                         ids=["tricky", *[p.name for p in SOURCES]])
def test_statement_positions_equal_whole_module_positions(text):
    module = cst.parse_module(text)
    full = PositionProvider()
    full._gen_impl(module)
    local = UnitPositions(module, text)
    assert local._statement_lines() is not None, "ast and libcst should agree on these statements"
    for node in _all_statement_nodes(module):
        assert local.get(node) == full._computed[node], type(node).__name__


def test_finding_position_after_decorators_semicolons_and_comments():
    src = TRICKY + "\nimport torch.nn as nn\nm = nn.Softmax()\n"
    (f,) = lint_text(src, "m.py", Config(select=("PT017",))).findings
    line = src.splitlines().index("m = nn.Softmax()") + 1
    assert (f.line, f.column, f.range.end.column) == (line, 4, 16)
