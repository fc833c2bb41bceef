"""Findings on the eight projects added to bench/precision/manifest.toml in round 34, reduced to
their patterns.

Round 34 (Chinese learner code: datawhalechina's tiny-universe, jingyaogong's minimind; English
course material: udacity's deep-reinforcement-learning, yandexdataschool's nlp_course, NTU's
ML2022-Spring homework; research code: vwxyzjn's cleanrl, a slice of facebookresearch/SlowFast;
library: a slice of stable-baselines3; 409 files, 92,933 lines) gave 3 analysis findings on code
the rules had never seen: 2 true (PT005, PT003: ML2022-Spring's deliberate error demos), 1 false
(PT025).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- cleanrl ppo_trxl/ppo_trxl.py:249: ``x = x.squeeze()`` then ``if len(x.shape) == 1: x = x.unsqueeze(0)``.
  PT025 took the ``x.shape`` in the test for a use that needs the batch dim; the test is the
  code putting the batch of one back. A squeezed name whose rank or shape an ``if`` tests next
  (``len(x.shape)``, ``x.dim()``, ``x.ndim``) is now left alone."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

TRXL = """import torch.nn as nn


class Net(nn.Module):
    def forward(self, x):
        x = x.squeeze()
        {GUARD}
        return x[0]
"""


@pytest.mark.parametrize("test", ["len(x.shape) == 1", "x.dim() == 1", "x.ndim == 1"])
def test_a_squeeze_whose_rank_is_tested_next_is_not_flagged(test):
    for n in (1, 3):  # the guard gives (N, D) for every batch size
        x = torch.randn(n, 1, 4).squeeze()
        if len(x.shape) == 1:
            x = x.unsqueeze(0)
        assert tuple(x.shape) == (n, 4)
    src = TRXL.replace("{GUARD}", f"if {test}:\n            x = x.unsqueeze(0)")
    assert lines(src, "PT025") == []


def test_the_same_squeeze_indexed_by_batch_without_the_guard_is_flagged():
    src = TRXL.replace("{GUARD}", "pass")
    assert lines(src, "PT025") == [line_of(src, "x = x.squeeze()")]
