"""Findings on the ten projects of round 47 (bench/precision/manifest.toml), reduced to their
patterns.

Round 47 (learners' own projects: s-chh's PyTorch-GAN-Variants, goyalnik's 100-PyTorch-Projects,
gordicaleksa's pytorch-GANs, F0R-L00P's Deep-Learning-PyTorch; Chinese learners' computer-vision
code: Lornatang's pytorch-project, WuJie1010's and hexiang10's facial-expression recognition,
Jackksonns's examples, huzibo-yyds's and Pretty-M's notes; 325 files) gave 6 analysis findings on
code the rules had never seen: 5 true (PT006 ×3, PT017, PT026), 1 false (PT002).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- gordicaleksa/pytorch-GANs playground.py:62: ``for logit in logits: logit_tensor =
  torch.tensor(float(logit), requires_grad=True); ...; loss.backward(); logit_tensor.data -= lr *
  logit_tensor.grad.data``. Every iteration updates a new leaf once; its gradient starts empty.
  A hand-updated leaf made anew at the top of the loop body is not reported."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

PLAYGROUND = """import torch

lr = 0.1
{MADE_BEFORE}
for logit in [-10.0, 0.0, 10.0]:
    {MADE_IN_LOOP}
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logit_tensor, torch.tensor(1.0))
    loss.backward()
    logit_tensor.data -= lr * logit_tensor.grad.data
"""


def test_a_new_leaf_each_iteration_updated_once_is_not_flagged():
    grads = []
    for logit in (-10.0, 0.0):
        t = torch.tensor(logit, requires_grad=True)
        torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(1.0)).backward()
        grads.append(t.grad.item())
    assert grads[1] == pytest.approx(-0.5)  # the second tensor's own gradient: nothing carried over
    src = PLAYGROUND.replace("{MADE_BEFORE}", "").replace(
        "{MADE_IN_LOOP}", "logit_tensor = torch.tensor(float(logit), requires_grad=True)")
    assert lines(src, "PT002") == []


def test_one_leaf_made_before_the_loop_and_updated_every_iteration_is_flagged():
    src = PLAYGROUND.replace("{MADE_BEFORE}", "logit_tensor = torch.tensor(0.0, requires_grad=True)").replace(
        "{MADE_IN_LOOP}", "pass")
    assert lines(src, "PT002") == [line_of(src, "logit_tensor.data -= lr * logit_tensor.grad.data")]
