"""Findings on the fifteen projects added to bench/precision/manifest.toml in round 45, reduced to
their patterns.

Round 45 (students' own homework: lordleeber's ML2022-Spring, huangchuanhong's Hung-yi Lee
homework, Sam-Armstrong's and Abhisekgit1994's PyTorch-Practice; applied projects: HiLab's SSL4MIS,
sweetice's deep-RL collection, qiuqiangkong's audioset_tagging_cnn, meijieru's crnn.pytorch,
ywk991112's pytorch-chatbot, AIStream-Peelout's flow-forecast; Chinese learners' notebooks:
codelieche, DrDavidS, isKage, yidag, niuruiyu; 574 files) gave 38 analysis findings on code the
rules had never seen: 36 true (PT010 ×17, PT017 ×7, PT015 ×6, PT004 ×3, PT018, PT024, PT002), 2
false (PT004).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- yidag/pytorch 4_logic.ipynb and 5_multi_classify.ipynb: ``np.random.shuffle(x.numpy())`` shuffles
  the rows of ``x`` in place through numpy, on purpose, and the next cells read the shuffled
  ``x``. A write through the crossing call itself has no other handle than the other side: it is
  not reported (nor are ``torch.from_numpy(a).add_(1)`` and ``t.numpy()[:, 0] = 0``)."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

SHUFFLE = """import numpy as np
import torch

x = torch.cat((torch.randn(10, 2), torch.arange(10.0).unsqueeze(1)), dim=1)
{SHUFFLE}
y = torch.tensor(x.numpy()[:, 2]).type(torch.LongTensor)
"""


def test_shuffling_a_tensors_rows_through_its_numpy_view_is_not_flagged():
    x = torch.arange(10.0).unsqueeze(1).repeat(1, 2)
    np.random.seed(0)
    np.random.shuffle(x.numpy())
    assert sorted(x[:, 0].tolist()) == list(range(10)) and x[:, 0].tolist() != list(range(10))  # x itself moved
    assert lines(SHUFFLE.replace("{SHUFFLE}", "np.random.shuffle(x.numpy())  # 洗牌"), "PT004") == []
    for write in ("torch.from_numpy(a).add_(1)\nprint(a)", "x.numpy()[:, 0] = 0\nprint(x)"):
        src = SHUFFLE.replace("{SHUFFLE}", "a = np.zeros(3)\n" + write)
        assert lines(src, "PT004") == [], write


def test_shuffling_a_named_array_that_shares_the_tensor_is_flagged():
    src = SHUFFLE.replace("{SHUFFLE}", "rows = x.numpy()\nnp.random.shuffle(rows)")
    assert lines(src, "PT004") == [line_of(src, "np.random.shuffle(rows)")]
