"""Hover and inlay facts come from the one core's two readers (issue 12): the shape trace of
a model's forward pass (formulas, inlay hints), and the flow's literal tensor shapes
everywhere else, e.g. script code that crosses numpy and torch, which the trace does not
follow. Where both know a place the trace's fact (with its formula) is the one shown."""
from ptlint.rules.api import analyse

SCRIPT = """import torch
import numpy as np
import torch.nn as nn

arr = np.zeros((3, 5), dtype=np.float32)
t = torch.from_numpy(arr).unsqueeze(0)
n = torch.randn(4, 4).numpy()
u = torch.as_tensor(n).t()
conv = nn.Conv2d(1, 6, 5)
out = conv(torch.randn(1, 1, 32, 32))
v = torch.randn(unknown_size, 3)
"""


def facts(src=SCRIPT):
    return {(f.range.start.line, f.code): f for f in analyse(src, path="t.py").shape_facts}


def test_flow_shapes_across_numpy_and_torch():
    got = facts()
    assert got[(6, "t")].text == "(1, 3, 5)"
    assert got[(6, "torch.from_numpy(arr)")].dims == (3, 5)
    assert got[(8, "torch.as_tensor(n).t()")].text == "(4, 4)"


def test_the_trace_keeps_its_formula_where_both_know():
    got = facts()
    layer = got[(10, "conv(torch.randn(1, 1, 32, 32))")]
    assert layer.text == "(1, 6, 28, 28)"
    assert layer.formula and "28" in layer.formula
    ranges = [(f.cell, f.range) for f in analyse(SCRIPT, path="t.py").shape_facts]
    assert len(ranges) == len(set(ranges))  # one fact per place


def test_unknown_sizes_give_no_fact():
    assert not [f for f in facts().values() if f.range.start.line == 11]


def test_facts_are_in_source_order():
    lines = [(f.range.start.line, f.range.start.column) for f in analyse(SCRIPT, path="t.py").shape_facts]
    assert lines == sorted(lines)
