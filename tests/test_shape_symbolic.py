"""Symbolic channel arithmetic (issue 13): a block analysed on its own has symbolic sizes
(``SEBlock(channels, reduction)``); a mismatch is reported only when it holds for every value
the symbols can take, or all but one stated exception, with the condition in the message."""
from __future__ import annotations

from ptlint.rules import Config, lint_text
from ptlint.rules.shapes import shapes_report
from ptlint.rules.shapes.symbolic import always_differs, sym, combine


def pt005(src: str):
    return [f for f in lint_text(src, "se.py", Config(select=("PT005",))).findings]


SE = """import torch
import torch.nn as nn
import torch.nn.functional as F

class SEBlock(nn.Module):
    def __init__(self, channels, reduction={r}):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d({second}, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = F.relu(self.fc1(s))
        return x * torch.sigmoid(self.fc2(s))
"""


def test_se_block_with_the_wrong_second_conv_is_flagged_for_every_channel_count():
    fs = pt005(SE.format(r=16, second="channels, channels // reduction"))
    assert len(fs) == 1
    f = fs[0]
    assert (f.line, f.range.start.column) == (9, 29)  # under the in_channels of fc2
    assert "有 channels // 16 个通道，但 fc2.in_channels = channels（无论参数取什么值两者都不相等）" in f.message_zh
    assert "they differ for every value of the parameters" in f.message_en


def test_a_symbolic_reduction_states_its_exception():
    fs = pt005(SE.format(r="None", second="channels, channels").replace("reduction=None", "reduction"))
    assert len(fs) == 1
    assert "除非 reduction = 1，否则两者都不相等" in fs[0].message_zh
    assert "they differ unless reduction == 1" in fs[0].message_en


def test_the_right_se_block_is_silent_and_keeps_symbolic_shapes():
    src = SE.format(r=16, second="channels // reduction, channels")
    assert pt005(src) == []
    doc = shapes_report(src)
    fc2 = [s for s in doc["models"][0]["steps"] if s.get("layer") == "fc2"][0]
    assert fc2["output_tail"][0] == "channels"


def test_counts_that_can_match_are_not_claimed_to_differ():
    # c // r against 16: many (c, r) make it 16; c against 777: equal when c == 777
    can_match = SE.format(r="None", second="16, 8").replace("reduction=None", "reduction")
    assert pt005(can_match) == []
    const = SE.format(r=16, second="777, 8").replace("channels // reduction, 1)", "channels, 1)", 1)
    assert pt005(const) == []


def test_a_model_built_in_the_file_uses_the_real_numbers():
    src = SE.format(r=16, second="channels // reduction, channels") + "\nblk = SEBlock(64)\nblk(torch.randn(1, 64, 8, 8))\n"
    doc = shapes_report(src)
    fc1 = [s for s in doc["models"][0]["steps"] if s.get("layer") == "fc1"][0]
    assert fc1["output"] == [1, 4, 1, 1]


def test_linear_and_batchnorm_follow_symbols_too():
    src = """import torch.nn as nn

class Head(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden * 2)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.fc1(x))

class Stem(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(3, width * 2, 3)
        self.bn = nn.BatchNorm2d(width)

    def forward(self, x):
        return self.bn(self.conv(x))
"""
    fs = sorted(pt005(src), key=lambda f: f.line)
    assert [f.line for f in fs] == [7, 16]
    assert "in_features = hidden (they differ for every value of the parameters)" in fs[0].message_en
    assert "num_features = width" in fs[1].message_en


def test_decision_procedure():
    c, r = sym("c"), sym("r")
    assert always_differs(combine("//", c, 16).expr, c.expr).exception is None
    assert always_differs(combine("//", c, r).expr, c.expr).exception == ("r", 1)
    assert always_differs(combine("+", c, 1).expr, c.expr).exception is None
    assert always_differs(c.expr, 777) is None  # equal when c == 777: no claim
    assert always_differs(combine("*", c, 2).expr, combine("+", c, c).expr) is None
