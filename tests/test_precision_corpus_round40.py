"""Findings on the eight projects added to bench/precision/manifest.toml in round 40, reduced to
their patterns.

Round 40 (Chinese learner code: chenyan4's Kim-pytorch_learn, Travor278's
pytorch-learning-notes, carrieyin's pytorch-study; English course and book code: the DUDL course
notebooks, Lapan's Deep Reinforcement Learning Hands-On; research code: facebookresearch/demucs,
NVlabs/SPADE; library: a slice of coqui-ai/TTS; 551 files) gave 28 analysis findings on code the
rules had never seen: 26 true (PT006 ×11, PT017 ×6, PT012 ×3, PT005 ×2, PT002 ×2: the only clear
is ``w.grad.data.zero()``, a method that does not exist, PT004, PT026), 2 false (PT012).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- carrieyin simple_1/torch_2.py:9 and :12: ``print(y.grad)`` of a non-leaf *before* any
  ``backward()`` ran: every tensor's ``.grad`` is None there, the leaf's too, and
  ``retain_grad()`` would change nothing. PT012 now checks only reads after a backward (written
  before them in the same scope, or in the same loop)."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

DEMO = """import torch
x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
print("grad x:", x.grad)
y = x * 2
print("grad y:", y.grad)
out = y.mean()
out.backward()
print(x.grad)
print("after:", y.grad)
"""


def test_a_grad_read_before_any_backward_is_not_flagged_and_one_after_is():
    x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y.grad is None  # None before backward, like every tensor's
    y.mean().backward()
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y.grad is None  # and still None after: only this read is a mistake
    assert lines(DEMO, "PT012") == [line_of(DEMO, 'print("after:", y.grad)')]


def test_a_read_in_a_loop_whose_body_calls_backward_later_is_flagged():
    src = """import torch
w = torch.randn(3, requires_grad=True)
for step in range(3):
    z = w * 2
    print(z.grad)
    z.sum().backward()
"""
    # from the second iteration on, a backward ran before the read
    assert lines(src, "PT012") == [line_of(src, "print(z.grad)")]
