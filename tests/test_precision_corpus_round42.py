"""Findings on the six projects added to bench/precision/manifest.toml in round 42, reduced to
their patterns.

Round 42 (Chinese learner code: 117XinyuLi's, Jarlonyan's and XieChen10983's pytorch-learning
repos; English tutorial and course code: aman-17's pytorch-tutorial, virgantara's
Deep-Learning-Course; research code: hkchengrex/XMem; 368 files) gave 16 analysis findings on code
the rules had never seen: 15 true (PT015 ×5, PT012 ×4: ``w = w - 0.01 * w.grad`` makes ``w`` a
non-leaf, PT006 ×3, PT018, PT017, PT010), 1 false (PT002).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- XieChen10983 AutoEncoder/sparse autoencoder/test.py:41: ``self.optimizer = Adam(params=AE.parameters())``
  in ``__init__`` beside ``self.auto_encoder = AE``, and ``self.auto_encoder.zero_grad()`` in the
  training method: the rule compared the clear's ``self.auto_encoder`` with the name ``AE`` of
  another method and found them different. A local name of the method that built a ``self``
  optimizer now leaves the link unknown, and any module's ``zero_grad()`` counts."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

TRAINER = """import torch
from torch import nn


class Trainer:
    def __init__(self, AE):
        self.auto_encoder = AE
        self.optimizer = torch.optim.Adam(params=AE.parameters(), lr=0.002)

    def train(self, x):
        for _ in range(3):
            loss = self.auto_encoder(x).pow(2).sum()
            {CLEAR}
            loss.backward()
            self.optimizer.step()


Trainer(nn.Linear(4, 4)).train(torch.randn(2, 4))
"""


def test_the_models_zero_grad_under_its_self_name_clears_the_optimizer_built_from_it():
    model = torch.nn.Linear(4, 4)
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 4)).sum().backward()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())  # set_to_none: nothing left to add to
    opt.step()
    assert lines(TRAINER.replace("{CLEAR}", "self.auto_encoder.zero_grad()"), "PT002") == []


def test_without_any_clear_the_step_is_flagged():
    src = TRAINER.replace("{CLEAR}", "pass")
    assert lines(src, "PT002") == [line_of(src, "self.optimizer.step()")]
