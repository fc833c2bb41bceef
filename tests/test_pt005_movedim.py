"""``movedim``/``moveaxis`` (torch function and tensor method) move one dim; the shape
analysis follows them through the shared dim re-orderings (``rules/shape_arith.py``), so a
channels-last head is checked against the layer it feeds, and a right one stays silent."""
import pytest

from ptlint.rules import Config, lint_text

SRC = """import torch
from torch import nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear({features}, 10)

    def forward(self, x):
        return self.fc({moved})


out = Head()(torch.randn(2, 3, 8, 8))
"""
MOVES = ["torch.movedim(x, 1, -1)", "x.movedim(1, -1)", "torch.moveaxis(x, 1, 3)", "x.moveaxis(1, -1)"]


def pt005(src: str) -> list[int]:
    return [f.line for f in lint_text(src, "t.py", Config()).findings if f.code == "PT005"]


@pytest.mark.parametrize("moved", MOVES)
def test_channels_moved_last_fit_a_linear_over_channels(moved):
    # torch runs this: (2, 3, 8, 8) -> (2, 8, 8, 3) -> Linear(3, 10) -> (2, 8, 8, 10)
    assert pt005(SRC.format(features=3, moved=moved)) == []


@pytest.mark.parametrize("moved", MOVES)
def test_a_linear_over_the_width_after_moving_channels_last_is_reported(moved):
    # RuntimeError: mat1 and mat2 shapes cannot be multiplied (128x3 and 8x10)
    assert pt005(SRC.format(features=8, moved=moved)) == [11]
