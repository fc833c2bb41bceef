"""A slice whose bound the analysis cannot evaluate leaves its dim unknown wherever it
stands, after an ellipsis too: ``x[..., :n]`` with ``n`` unknown is not the full last dim,
so a layer sized for ``n`` features is not reported (it was, as a shape mismatch)."""
import pytest

from ptlint.rules import Config, lint_text

SRC = """import torch
from torch import nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear({features}, 10)

    def forward(self, x, n):
        return self.fc(x{index})


out = Head()(torch.randn(2, 64), {n})
"""


def pt005(src: str) -> list[int]:
    return [f.line for f in lint_text(src, "t.py", Config()).findings if f.code == "PT005"]


@pytest.mark.parametrize("index", ["[..., :n]", "[:, :n]", "[..., n:]", "[:, ::n]"])
def test_a_slice_with_an_unknown_bound_leaves_its_dim_unknown(index):
    # torch runs this with n = 32 (or 2 for the step): the analysis cannot know n
    assert pt005(SRC.format(features=32, index=index, n="int(input())")) == []


@pytest.mark.parametrize("index", ["[..., :32]", "[:, :32]"])
def test_a_literal_slice_is_still_checked(index):
    # (2, 64)[..., :32] is (2, 32): Linear(16, 10) raises; reported at the layer's in_features
    assert pt005(SRC.format(features=16, index=index, n="0")) == [8]
