"""Findings on the eleven projects of round 48 (bench/precision/manifest.toml), reduced to their
patterns.

Round 48 (learner code mixing numpy and torch: Han-Adam's DRL tutorial, DaoChaShao's basics,
immc-lab's Chinese tutorials; hand-written training loops: oscarknagg's few-shot, locuslab's
fast_adversarial, TRADES, learn2learn's examples, three WGAN/GAN collections, dragen1860's MAML;
347 files) gave 13 analysis findings on code the rules had never seen: 12 true (PT004 ×6, PT017 ×2,
PT015 ×2, PT006, PT005), 1 false (PT018). This round is not in bench/results/precision.md: it came
after the stop's whole-corpus run.

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- dragen1860/MAML-Pytorch backup/naive5_train.py:183: ``ReduceLROnPlateau`` stepped with the
  accuracy every 300 steps, before that step's ``optimizer.step()``. A metric-driven scheduler
  has no schedule whose first value could be skipped, and torch does not warn: rule 1 of PT018
  leaves it out."""
from __future__ import annotations

import warnings

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

LOOP = """import torch

model = torch.nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = {SCHEDULER}
for step in range(900):
    if step % 300 == 0:
        {STEP}
    loss = model(torch.randn(4, 2)).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


def test_a_plateau_scheduler_stepped_before_the_optimizer_is_not_flagged():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, "max", factor=0.5, patience=25)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.step(0.5)
    assert caught == [] and opt.param_groups[0]["lr"] == 0.1
    src = LOOP.replace("{SCHEDULER}", "torch.optim.lr_scheduler.ReduceLROnPlateau(opt, 'max', factor=0.5, patience=25)")
    assert lines(src.replace("{STEP}", "sched.step(evaluate(model))"), "PT018") == []


def test_a_scheduled_one_stepped_before_the_optimizer_is_flagged():
    src = LOOP.replace("{SCHEDULER}", "torch.optim.lr_scheduler.StepLR(opt, 30)").replace("{STEP}", "sched.step()")
    assert lines(src, "PT018") == [line_of(src, "sched.step()")]
