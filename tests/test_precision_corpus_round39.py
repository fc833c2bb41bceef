"""Findings on the eight projects added to bench/precision/manifest.toml in round 39, reduced to
their patterns.

Round 39 (Chinese learner code: hdhcy's pytorch_learning, datawhalechina's base-nlp, the code of
Liu Er's 《PyTorch深度学习实践》; English course material: the IBM/Coursera deep neural networks
labs, Stanford CS231n solutions; research code: hendrycks' outlier-exposure, facebookresearch/XLM;
library: torchattacks; 414 files) gave 21 analysis findings on code the rules had never seen:
20 true (PT018 ×12: outlier-exposure steps its scheduler before the optimizer every batch,
PT015 ×5, PT004 ×2, PT012), 1 false (PT002).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- torchattacks attacks/jsma.py:86: ``jacobian[i] = var_image.grad.view(-1).clone()`` in a loop
  was taken for a hand-written update of ``jacobian`` from its gradient (PT002 said
  "`jacobian` is updated from `jacobian.grad`"). An assignment into a subscript is an update only
  when it reads the gradient of the tensor it writes (``w.data[i] = w.data[i] - lr * w.grad[i]``),
  as ``-=`` and ``sub_`` already were."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

JACOBIAN = """import torch


def jacobian_rows(model, image):
    x = image.clone().detach()
    x.requires_grad = True
    out = model(x)
    jac = torch.zeros(out.shape[1], x.numel())
    for i in range(out.shape[1]):
        {CLEAR}
        out[0][i].backward(retain_graph=True)
        jac[i] = x.grad.view(-1).clone()
    return jac
"""


def test_storing_another_tensors_gradient_row_by_row_is_no_update():
    model = torch.nn.Linear(3, 2)
    x = torch.randn(1, 3, requires_grad=True)
    out = model(x)
    rows = []
    for i in range(2):
        if x.grad is not None:
            x.grad.zero_()
        out[0][i].backward(retain_graph=True)
        rows.append(x.grad.view(-1).clone())
    assert torch.allclose(torch.stack(rows), model.weight)  # each row is d out[i] / d x
    assert lines(JACOBIAN.replace("{CLEAR}", "if x.grad is not None:\n            x.grad.zero_()"), "PT002") == []


def test_a_subscript_update_from_its_own_gradient_without_a_clear_is_flagged():
    src = """import torch
w = torch.zeros(3, requires_grad=True)
for x in data:
    (x @ w).sum().backward()
    with torch.no_grad():
        w.data[:] = w.data[:] - 0.1 * w.grad[:]
"""
    assert lines(src, "PT002") == [line_of(src, "w.data[:] = w.data[:] - 0.1 * w.grad[:]")]
