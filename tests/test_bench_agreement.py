"""The interpreter-agreement harness (bench/bench_agreement.py) compares what flow and
shapes say about the same expression: a model fed a literal input is seen by both, and
both must give each layer call's and each reshaping's literal shape alike."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_agreement", ROOT / "bench" / "bench_agreement.py")
ba = importlib.util.module_from_spec(_spec)
sys.modules["bench_agreement"] = ba
_spec.loader.exec_module(ba)

SCRIPT = """import torch
x = torch.randn(2, 3, 8, 8)
y = x.permute(0, 2, 3, 1)
z = y.flatten(1)
w = z[:, :5]
v = x[None, ..., 0]
"""


def test_both_interpreters_are_compared_on_each_literal_shape(tmp_path):
    path = tmp_path / "t.py"
    path.write_text(SCRIPT, encoding="utf-8")
    compared, differ, alone = ba.compare_file(path)
    assert differ == []
    assert compared >= 4  # permute, flatten, the two subscripts (and the creation call)


def test_literal_shape_texts_are_read_exactly():
    assert ba.literal_shape("(2, 3)") == (2, 3)
    assert ba.literal_shape("(5,)") == (5,)
    assert ba.literal_shape("()") == ()
    assert ba.literal_shape("(N, 3)") is None and ba.literal_shape(None) is None


def test_flow_and_shapes_agree_on_the_bundled_examples_and_model_fixtures():
    # the corpus is not in CI; the examples and model fixtures are, and both interpreters run on them
    files = sorted([*ROOT.glob("examples/*.py"), *ROOT.glob("examples/*.ipynb"), *ROOT.glob("tests/fixtures/**/*.py")])
    compared, differ = 0, []
    for path in files:
        n, rows, _ = ba.compare_file(path)
        compared += n
        differ += [(path.name, *row) for row in rows]
    assert differ == []
    assert compared >= 100, compared  # 108 literal shapes on 63 files when written


COMMENTED_INPUT = """import torch.nn as nn

class Net(nn.Module):  # ptlint: input=(1, 1, 28, 28)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 5)
        self.fc = nn.Linear(4 * 20 * 20, 10)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))
"""


def test_a_layer_error_only_shapes_finds_is_listed_with_its_place(tmp_path):
    # the input comes from a comment, which only shapes reads: the gap the harness lists
    path = tmp_path / "t.py"
    path.write_text(COMMENTED_INPUT, encoding="utf-8")
    _, differ, alone = ba.compare_file(path)
    assert differ == []
    assert alone["errors_shapes_only"] == 1
    assert [(line, what) for line, _, what in alone["shapes_only_places"]] == [(7, "error")]
