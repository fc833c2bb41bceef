"""PT006 conv-drops-remainder: only when real input rows / columns are left out, with
the numbers that show it; never for remainders that fall in the padding, for strides
larger than the window, with ceil_mode, or when the size is unknown."""
from __future__ import annotations

from pathlib import Path

import pytest

from ptlint.rules import Config, lint_text

ROOT = Path(__file__).resolve().parent.parent


def lint(src: str):
    res = lint_text(src, "m.py", Config(select=("PT006",)))
    assert not res.rule_errors
    return res.findings


def layer(ctor: str, inp: str) -> str:
    return f"import torch\nimport torch.nn as nn\nlayer = {ctor}\nout = layer(torch.randn{inp})\n"


def covered_rows(ctor: str, size: int) -> set[int]:
    """Which input rows some window touches, measured with torch: run the layer on an
    input whose row r is one-hot and see whether the output changes."""
    torch = pytest.importorskip("torch")
    import torch.nn as nn  # noqa: F401

    m = eval(ctor, {"nn": torch.nn})  # noqa: S307  (the test's own constructor text)
    if hasattr(m, "weight") and m.weight is not None:
        with torch.no_grad():
            m.weight.fill_(1.0)
            if m.bias is not None:
                m.bias.zero_()
    base = m(torch.zeros(1, 1, size, size))
    rows = set()
    for r in range(size):
        x = torch.zeros(1, 1, size, size)
        x[0, 0, r, :] = 1.0
        if not torch.equal(m(x), base):
            rows.add(r)
    return rows


@pytest.mark.parametrize("ctor,size,lost", [
    ("nn.Conv2d(1, 1, 3, stride=2)", 28, 1),
    ("nn.MaxPool2d(2)", 7, 1),
    ("nn.Conv2d(1, 1, 3, stride=3)", 10, 1),
    ("nn.AvgPool2d(3, stride=3)", 11, 2),
    ("nn.Conv2d(1, 1, 3, stride=3, padding=1)", 12, 1),
])
def test_flagged_exactly_when_torch_leaves_rows_out(ctor, size, lost):
    findings = lint(layer(ctor, f"(1, 1, {size}, {size})"))
    assert len(findings) == 1
    f = findings[0]
    assert f.line == 4 and f.severity.value == "info"
    assert f"最后 {lost} 行和最后 {lost} 列" in f.message_zh
    assert covered_rows(ctor, size) == set(range(size - lost))  # the last `lost` rows are never read


@pytest.mark.parametrize("ctor,size", [
    ("nn.Conv2d(1, 1, 5)", 32),  # stride 1 never drops
    ("nn.Conv2d(1, 1, 7, 2, 3)", 224),  # remainder 1 lies in the 3 rows of padding
    ("nn.MaxPool2d(3, 2, 1)", 112),
    ("nn.MaxPool2d(2, ceil_mode=True)", 7),  # ceil_mode keeps the partial window
    ("nn.Conv2d(1, 1, 1, stride=2)", 32),  # stride > window: skipping is the design
    ("nn.Conv2d(1, 1, 3, stride=2, padding=1)", 28),
    ("nn.Conv2d(1, 1, 3, stride=3, padding=1)", 11),  # the remainder is right padding only
])
def test_not_flagged_when_every_real_row_is_covered_or_by_design(ctor, size):
    assert lint(layer(ctor, f"(1, 1, {size}, {size})")) == []
    if "stride=2)" not in ctor:  # a 1×1 stride-2 conv skips every other row by design
        assert covered_rows(ctor, size) == set(range(size))


def test_message_has_the_numbers_and_names_the_layer_in_a_model():
    src = (ROOT / "examples" / "conv_drops_remainder.py").read_text(encoding="utf-8")
    [f] = lint(src)
    assert f.line == 19
    assert f.message_zh == ("down1 的输入是 (1, 1, 28, 28)：(28 + 2×0 − 1×(3 − 1) − 1) mod 2 = 1，"
                            "最后 1 行和最后 1 列没有被卷积核覆盖，会被悄悄丢掉")
    assert "(28 + 2×0 − 1×(3 − 1) − 1) mod 2 = 1" in f.message_en
    assert [r.range.start.line for r in f.related] == [13]


def test_one_dim_only_and_1d_convolutions():
    [f] = lint(layer("nn.Conv2d(1, 1, 3, stride=2)", "(1, 1, 9, 8)"))
    assert "最后 1 列" in f.message_zh and "行" not in f.message_zh.split("：")[1].split("，")[1]
    [f] = lint(layer("nn.Conv1d(4, 8, kernel_size=4, stride=3)", "(2, 4, 11)"))
    assert "最后 1 个位置" in f.message_zh


def test_silent_when_the_size_is_unknown():
    src = "import torch.nn as nn\nconv = nn.Conv2d(3, 8, 3, stride=2)\ndef f(x):\n    return conv(x)\n"
    assert lint(src) == []


def test_example_file_is_reported_by_the_cli(run_cli):
    proc = run_cli("check", "--no-cache", "--select", "PT006", str(ROOT / "examples" / "conv_drops_remainder.py"))
    assert proc.returncode == 1, proc.stderr
    assert "PT006" in proc.stdout


HELPER = """import torch
import torch.nn as nn


def comp_conv2d(conv2d, X):
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])


X = torch.rand(size=({SIZE}, {SIZE}))
conv2d = nn.Conv2d(1, 1, kernel_size=3, stride={STRIDE})
comp_conv2d(conv2d, X).shape
"""


@pytest.mark.parametrize("size, stride", [(8, 3), (10, 3), (9, 3), (7, 2), (8, 2)])
def test_a_layer_handed_to_a_helper_is_checked_with_the_input_of_that_call(size, stride):
    # d2l's padding-and-stride lesson: the layer and the input both reach the conv through
    # comp_conv2d's parameters; the shape trace never sees them meet, the flow's pass does
    ctor = f"nn.Conv2d(1, 1, 3, stride={stride})"
    lost = size - 1 - max(covered_rows(ctor, size))
    src = HELPER.replace("{SIZE}", str(size)).replace("{STRIDE}", str(stride))
    found = lint(src)
    assert [f.line for f in found] == ([7] if lost else [])
    if lost:
        assert found[0].message_en.endswith(
            f"the last {lost} row(s) and the last {lost} column(s) of the input are never covered by the kernel "
            "and are silently ignored")
        assert f"gets (1, 1, {size}, {size})" in found[0].message_en
        assert [r.message_en for r in found[0].related] == ["Conv2d is defined here",
                                                            "the input shape comes from this call"]
        assert [r.range.start.line + 1 for r in found[0].related] == [13, 14]


def test_a_model_run_inside_a_function_is_checked_with_that_input():
    # the Cifar10 ResNet18 of a Chinese course: a stride-3 stem on 32x32 skips the last 2 rows
    src = """import torch
import torch.nn as nn


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=3, padding=0)

    def forward(self, x):
        return torch.relu(self.conv1(x))


def main():
    model = ResNet18()
    out = model(torch.randn(2, 3, 32, 32))
    print(out.shape)
"""
    lost = 32 - 1 - max(covered_rows("nn.Conv2d(1, 1, 3, stride=3)", 32))
    assert lost == 2
    found = lint(src)
    assert [f.line for f in found] == [11]
    assert found[0].message_en.startswith("conv1 gets (2, 3, 32, 32)")
    assert "the last 2 row(s) and the last 2 column(s)" in found[0].message_en
