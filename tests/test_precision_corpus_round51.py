"""Findings on the 31 projects of round 51 (bench/precision/manifest.toml), reduced to their
patterns.

Round 51 was autograd-heavy code: adversarial attacks and defences (advertorch, auto-attack,
MadryLab's robustness, rwightman's NIPS 2017 entries), neural style transfer and DeepDream,
physics-informed networks (PINNacle and two tutorials), RL (spinningup, TD3, PPO), fastai's
course-v3 part 2, PyTorch Korea's tutorials and Chinese, Korean and English learner code
(840 files). On code the rules had never seen it gave 53 analysis findings: 51 true (PT017 ×14,
PT004 ×12, PT020 ×7, PT015 ×5, PT005 ×3, PT018 ×3, PT006 ×2, PT002 ×2, PT012, PT013, PT026) and
2 false (PT005).

False, fixed after the round was scored (the must-not-flag test passes beside its must-flag
twin):
- PyTorch Korea's ``polynomial_nn.py`` and ``polynomial_optim.py``: ``xx = x.unsqueeze(-1).pow(p)``
  with ``p = torch.tensor([1, 2, 3])`` gives the ``(2000, 3)`` features of ``Linear(3, 1)``. The
  flow kept the receiver's shape for ``pow`` whatever the exponent. A tensor exponent now
  broadcasts, as in ``torch.pow`` and ``**``; a number keeps the shape."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

POLYNOMIAL = """import torch

x = torch.linspace(-3.14, 3.14, 2000)
p = torch.tensor([1, 2, 3])
xx = {FEATURES}
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
y_pred = model(xx)
"""


def _run(src):
    ns: dict = {}
    exec(compile(src, "polynomial.py", "exec"), ns)
    return ns["y_pred"]


@pytest.mark.parametrize("features", ["x.unsqueeze(-1).pow(p)", "torch.pow(x.unsqueeze(-1), p)", "x.unsqueeze(-1) ** p"])
def test_a_tensor_exponent_broadcasts(features):
    src = POLYNOMIAL.replace("{FEATURES}", features)
    assert _run(src).shape == (2000,)
    assert lines(src, "PT005") == []


def test_a_number_exponent_keeps_the_shape():
    src = POLYNOMIAL.replace("{FEATURES}", "x.unsqueeze(-1).pow(2)")
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        _run(src)
    assert lines(src, "PT005") == [line_of(src, "y_pred = model(xx)")]
