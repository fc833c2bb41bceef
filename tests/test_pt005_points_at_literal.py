"""PT005 points at the number the fix edits (issue 13): when the wrong in_channels /
in_features / num_features of a layer is a parameter of its block's ``__init__`` passed
on unchanged, the number is where the block is built (``ConvBNReLU(32, 64)``, or the
default in the signature); the layer in the block, its call, the input and the upstream
layer are related locations. A parameter that is changed, a layer built in a loop or by a
factory keep the finding on the layer; a Linear fix on the block's number only when that
parameter feeds nothing else."""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.config import ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.findings import FixSafety
from ptlint.rules.fixes import apply_edits
from ptlint.rules.source import load_source

FIXTURE = Path(__file__).parent / "fixtures" / "project"


def lint(src: str):
    res = lint_text(src, "m.py", Config(select=("PT005",)))
    assert not res.rule_errors, res.rule_errors
    return res.findings


def at(src: str, f) -> str:
    """The text the finding's range covers."""
    lines = src.splitlines()
    r = f.range
    assert r.start.line == r.end.line
    return lines[r.start.line - 1][r.start.column:r.end.column]


def related(f) -> list[tuple[int, str]]:
    return [(r.range.start.line, r.message_en) for r in f.related]


def run_torch(src: str) -> None:
    pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(src, "<m>", "exec"), {})  # noqa: S102  (the test's own source)


CONV_BN_RELU = """import torch
import torch.nn as nn

class ConvBNReLU(nn.Sequential):
    def __init__(self, in_c, out_c, k=3):
        super().__init__(nn.Conv2d(in_c, out_c, k, padding=1), nn.BatchNorm2d(out_c), nn.ReLU())

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = ConvBNReLU(3, 16)
        self.b = ConvBNReLU({b})
    def forward(self, x):
        return self.b(self.a(x))

y = Net()(torch.randn(2, 3, 32, 32))
"""


# ---------------------------------------------------------------------- must flag
def test_sequential_block_points_at_the_literal_where_it_is_built():
    src = CONV_BN_RELU.format(b="32, 64")
    [f] = lint(src)
    assert (f.line, f.column, at(src, f)) == (12, 28, "32")
    assert "a.0 outputs (2, 16, 32, 32), with 16 channels, but b.0.in_channels = 32" in f.message_en
    # the Conv2d in the block (a Sequential runs it where it is written), the input, the upstream layer
    assert related(f) == [(6, "b.0 is defined here, called with (2, 16, 32, 32)"),
                          (16, "the input shape comes from here"), (6, "a.0 is defined here")]
    assert f.related[0].message_zh == "b.0 在这里定义，调用时输入是 (2, 16, 32, 32)"
    assert f.fix is None  # a convolution's channels: no quick fix, as for a literal in the layer
    # the number it points at is the one to change: with 16 there, torch runs it
    fixed = src.replace("ConvBNReLU(32, 64)", "ConvBNReLU(16, 64)")
    assert lint(fixed) == []
    run_torch(fixed)


def test_keyword_argument_at_the_construction():
    src = CONV_BN_RELU.format(b="out_c=64, in_c=32")
    [f] = lint(src)
    assert (f.line, at(src, f)) == (12, "32")
    assert src.splitlines()[11][f.column - 5:f.column] == "in_c="


def test_default_in_the_signature_is_the_number_to_change():
    src = """import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, in_c=32, out_c=64):
        super().__init__()
        self.conv = nn.Conv2d(in_c, out_c, 3, padding=1)
    def forward(self, x):
        return self.conv(x)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.block = Block()
    def forward(self, x):
        return self.block(self.stem(x))

y = Net()(torch.randn(2, 3, 32, 32))
"""
    [f] = lint(src)
    assert (f.line, at(src, f)) == (5, "32")
    assert src.splitlines()[4][f.column - 5:f.column] == "in_c="
    assert related(f) == [(7, "block.conv is defined here"), (9, "block.conv is called here with (2, 16, 32, 32)"),
                          (19, "the input shape comes from here"), (14, "stem is defined here")]


HEAD = """import torch
import torch.nn as nn

class Head(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)
    def forward(self, x):
        return self.fc(torch.flatten(x, 1))

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.pool = nn.MaxPool2d(2)
        self.head = Head({head})
    def forward(self, x):
        return self.head(self.pool(self.conv(x)))

out = Net()(torch.randn(2, 1, 28, 28))
"""


def test_linear_fix_edits_the_literal_where_the_block_is_built():
    src = HEAD.format(head="8 * 14 * 14, 10")  # written as if the 3x3 conv kept 28x28
    [f] = lint(src)
    assert (f.line, at(src, f)) == (16, "8 * 14 * 14")
    assert "pool outputs (2, 8, 13, 13) → flattened to 1352, but head.fc.in_features = 1568" in f.message_en
    assert related(f) == [(7, "head.fc is defined here"), (9, "head.fc is called here with (2, 1352)"),
                          (20, "the input shape comes from here"), (15, "pool is defined here")]
    assert f.fix is not None and f.fix.safety is FixSafety.SAFE
    assert [(e.range.start.line, e.new_text) for e in f.fix.edits] == [(16, "1352")]
    fixed = apply_edits(src, f.fix.edits)
    assert "self.head = Head(1352, 10)" in fixed
    assert lint(fixed) == []
    run_torch(fixed)  # the fixed model runs


def test_linear_fix_on_a_default_is_only_a_suggestion():
    src = HEAD.replace("def __init__(self, n_in, n_out)", "def __init__(self, n_in=1568, n_out=10)") \
        .format(head="")
    [f] = lint(src)
    assert (f.line, at(src, f)) == (5, "1568")
    # every construction that does not pass n_in uses the default: an unsafe fix
    assert f.fix is not None and f.fix.safety is FixSafety.UNSAFE
    fixed = apply_edits(src, f.fix.edits)
    assert "n_in=1352" in fixed and lint(fixed) == []
    run_torch(fixed)


def test_a_block_of_another_file_is_fixed_where_this_file_builds_it(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project)
    blocks = project / "models" / "blocks.py"
    blocks.write_text(blocks.read_text().replace("nn.Conv2d(c_in, c_out, kernel_size=KERNEL)",
                                                 "nn.Conv2d(c_in, c_out, kernel_size=KERNEL, padding=1)"))
    train = project / "train.py"
    findings = [f for f in lint_source(load_source(str(train)), ConfigLoader().for_path(train)).findings
                if f.code == "PT005"]
    [f] = findings
    # Classifier's mb.Head(8 * 6 * 6, 10) was written for unpadded blocks: the number is in train.py
    assert (f.line, at(train.read_text(), f)) == (26, "8 * 6 * 6")
    assert [(r.path and Path(r.path).relative_to(project).as_posix(), r.range.start.line, r.message_en)
            for r in f.related] == [
        ("models/blocks.py", 24, "head.fc is defined here"),
        ("models/blocks.py", 27, "head.fc is called here with (8, 512)"),
        (None, 29, "the other file's code runs from here"),
        (None, 37, "the input shape comes from here"),
        ("models/blocks.py", 15, "features.1.pool is defined here")]
    assert f.fix is not None and [(e.range.start.line, e.new_text) for e in f.fix.edits] == [(26, "512")]


# ---------------------------------------------------------------------- unchanged / no fix
@pytest.mark.parametrize("body", [
    # the parameter in an expression: the number is not the argument as written
    "        self.conv = nn.Conv2d(in_c * 2, out_c, 3, padding=1)\n",
    # reassigned before the layer is built
    "        in_c = in_c * 2\n        self.conv = nn.Conv2d(in_c, out_c, 3, padding=1)\n",
    # built in a loop: the same line builds layers from other values
    "        layers = []\n        for _ in range(1):\n            layers.append(nn.Conv2d(in_c, out_c, 3, padding=1))\n"
    "            in_c = out_c\n        self.conv = nn.Sequential(*layers)\n",
    # built by a factory function
    "        self.conv = make_conv(in_c, out_c)\n",
])
def test_a_changed_parameter_or_a_layer_built_elsewhere_keeps_todays_position(body):
    src = f"""import torch
import torch.nn as nn

def make_conv(a, b):
    return nn.Conv2d(a, b, 3, padding=1)

class Block(nn.Module):
    def __init__(self, in_c, out_c):
        super().__init__()
{body}    def forward(self, x):
        return self.conv(x)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.block = Block(16, 32)  # 8 channels come in: 16 (or 32 for in_c * 2) is wrong
    def forward(self, x):
        return self.block(self.stem(x))

y = Net()(torch.randn(2, 3, 32, 32))
"""
    [f] = lint(src)
    assert "in_channels" in f.message_en
    assert "Block(16, 32)" not in src.splitlines()[f.line - 1]  # not at the construction
    assert "with 8 channels" in f.message_en
    assert at(src, f).startswith(("nn.Conv2d(", "self.conv(")), at(src, f)


def test_a_block_built_in_a_loop_keeps_todays_position():
    src = """import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, in_c, out_c):
        super().__init__()
        self.conv = nn.Conv2d(in_c, out_c, 3, padding=1)
    def forward(self, x):
        return self.conv(x)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        blocks = []
        for _ in range(2):
            blocks.append(Block(16, 16))  # one call builds both blocks
        self.blocks = nn.Sequential(*blocks)
    def forward(self, x):
        return self.blocks(self.stem(x))

y = Net()(torch.randn(2, 3, 32, 32))
"""
    [f] = lint(src)
    assert "with 8 channels, but blocks.0.conv.in_channels = 16" in f.message_en
    assert f.line == 9 and at(src, f) == "self.conv(x)"


def test_a_value_from_a_variable_at_the_construction_keeps_todays_position():
    src = CONV_BN_RELU.format(b="width, 64").replace("        self.a = ConvBNReLU(3, 16)\n",
                                                      "        self.a = ConvBNReLU(3, 16)\n        width = 32\n")
    [f] = lint(src)
    assert f.line == 6 and at(src, f).startswith("nn.Conv2d(in_c, out_c")


def test_a_parameter_that_feeds_something_else_gets_no_fix():
    src = HEAD.replace("        self.fc = nn.Linear(n_in, n_out)\n",
                       "        self.fc = nn.Linear(n_in, n_out)\n        self.width = n_in\n").format(head="8 * 14 * 14, 10")
    [f] = lint(src)
    assert (f.line, at(src, f)) == (17, "8 * 14 * 14")  # still the number to look at
    assert f.fix is None  # changing it changes self.width too


def test_a_block_built_right_is_silent():
    assert lint(CONV_BN_RELU.format(b="16, 64")) == []
    assert lint(HEAD.format(head="8 * 13 * 13, 10")) == []
    run_torch(HEAD.format(head="8 * 13 * 13, 10"))
