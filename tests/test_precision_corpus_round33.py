"""Findings on the eight projects added to bench/precision/manifest.toml in round 33, reduced to
their patterns.

Round 33 (Chinese learner notebooks and book code: lyhue1991's eat_pytorch_in_20_days,
xiaobaoonline's pytorch-in-action; English textbook and tutorial notebooks: d2l-ai's
d2l-pytorch-colab, ritchieng's deep-learning-wizard; research code: zhanghang1989's
PyTorch-Encoding, SeanNaren's deepspeech.pytorch; libraries: jettify's pytorch-optimizer, a slice
of cornellius-gp/gpytorch; 595 files, 80,134 lines) gave 23 analysis findings on code the rules
had never seen: 22 true (PT018 x10, PT017 x4, PT004 x2, PT006 x2, PT012 x2, PT015, PT026), 1 false
(PT005).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- d2l-pytorch-colab chapter_linear-classification/softmax-regression-scratch.ipynb, cell 8:
  ``partition = X_exp.sum(1, keepdims=True); return X_exp / partition`` on ``torch.rand((2, 5))``.
  PT005 says (2, 5) / (2,) cannot broadcast. PyTorch's argument parser binds numpy's spellings
  ``keepdims`` / ``axis`` to ``keepdim`` / ``dim`` for its native functions and methods, so the sum
  is (2, 1); both interpreters read only ``keepdim`` / ``dim``. With ``axis=`` the reduction was
  taken over every dim, a 0-d result, and ``X.sum(axis=1).view(2, 1)`` was a second false "view
  needs 2 elements". Fixed in the shared size rules (rules/shape_arith.py ``torch_keyword``,
  read by rules/flow/args.py ``Args.native_names`` and rules/shapes/tensor_calls.py); ``Tensor.norm``,
  written in Python, takes neither spelling and keeps its own names.

Missed (seen by the round, fixed): eat_pytorch_in_20_days 2-3 reads ``loss.grad`` of a non-leaf in
one cell, and a later cell calls ``retain_grad()`` on a new ``loss``; PT012 took the name for the
tensor and said nothing for the whole notebook. A ``retain_grad()`` now excuses the reads of the
tensor it was called on (flow values; the same name bound to a tensor made elsewhere does not).

True (kept as must-flag tests with their silent twins): deep-learning-wizard's learning-rate
lessons step ``StepLR`` at the top of every epoch, before any ``optimizer.step()`` (PT018: torch
2.13 warns "Detected call of `lr_scheduler.step()` before `optimizer.step()`" and the first rate
is skipped)."""
from __future__ import annotations

import pytest

from flowcheck import value_of
from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

# --- PT005 (false): numpy's keepdims= / axis= spellings ---------------------------------------

SOFTMAX = """import torch

def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1{KEEP})
    return X_exp / partition

X = torch.rand((2, 5))
X_prob = softmax(X)
"""


def test_keepdims_spelled_the_numpy_way_is_not_flagged():
    assert tuple(torch.rand(2, 5).sum(1, keepdims=True).shape) == (2, 1)
    assert lines(SOFTMAX.replace("{KEEP}", ", keepdims=True"), "PT005") == []


def test_the_sum_without_keepdim_is_flagged():
    with pytest.raises(RuntimeError, match="must match the size"):
        torch.rand(2, 5) / torch.rand(2, 5).sum(1)
    src = SOFTMAX.replace("{KEEP}", "")
    assert lines(src, "PT005") == [line_of(src, "return X_exp / partition")]


@pytest.mark.parametrize("call", [
    "torch.sum(X, 1, keepdims=True)", "X.mean(1, keepdims=True)", "X.amax(axis=1, keepdims=True)",
    "X.logsumexp(axis=-1, keepdims=True)",
])
def test_other_reductions_with_numpy_spellings_are_not_flagged(call):
    src = f"import torch\nX = torch.rand((2, 5))\nY = X / {call}\n"
    assert lines(src, "PT005") == []


def test_axis_reduces_one_dim_not_all():
    assert tuple(torch.rand(2, 5).sum(axis=1).view(2, 1).shape) == (2, 1)
    src = "import torch\nX = torch.rand((2, 5))\nY = X.sum(axis=1).view(2, 1)\n"
    assert lines(src, "PT005") == []
    assert tuple(d.coef for d in value_of(src, "X.sum(axis=1)").shape) == (2,)
    wrong = "import torch\nX = torch.rand((2, 5))\nY = X.sum(axis=1).view(5, 1)\n"
    assert lines(wrong, "PT005") == [3]


def test_flow_reads_keepdims_like_torch():
    src = "import torch\nX = torch.rand((2, 5))\nP = X.sum(1, keepdims=True)\n"
    assert tuple(d.coef for d in value_of(src, "X.sum(1, keepdims=True)").shape) == \
        tuple(torch.rand(2, 5).sum(1, keepdims=True).shape)


# --- PT018 (true): deep-learning-wizard's StepLR stepped before the epoch's training ---------

WIZARD = """import torch
import torch.nn as nn
from torch.optim.lr_scheduler import StepLR

model = nn.Linear(784, 10)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
scheduler = StepLR(optimizer, step_size=1, gamma=0.1)

for epoch in range(num_epochs):{BEFORE}
    for i, (images, labels) in enumerate(train_loader):
        images = images.view(-1, 28*28).requires_grad_()
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step(){AFTER}
"""


def test_scheduler_stepped_before_the_epoch_is_flagged():
    src = WIZARD.replace("{BEFORE}", "\n    # Decay Learning Rate\n    scheduler.step()").replace("{AFTER}", "")
    assert lines(src, "PT018") == [line_of(src, "scheduler.step()")]


def test_scheduler_stepped_after_the_epoch_is_not_flagged():
    src = WIZARD.replace("{BEFORE}", "").replace("{AFTER}", "\n    scheduler.step()")
    assert lines(src, "PT018") == []


# --- PT012 (missed, seen by the round): a later cell's retain_grad() on another ``loss`` ----------

def _notebook(*cells):
    import json

    return json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
                                  "execution_count": None} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


GRAPH_CELL = "import torch\nx = torch.ones(2, requires_grad=True)\nloss = (x * 2).sum()\nloss.backward()\nprint(loss.grad)\n"
RETAIN_CELL = "loss = (x * 3).sum()\nloss.retain_grad()\nloss.backward()\nprint(loss.grad)\n"


def _pt012(text):
    from ptlint.rules import Config, lint_text

    res = lint_text(text, "t.ipynb", Config(select=("PT012",)), notebook=True)
    assert not res.rule_errors
    return [(f.cell, f.line) for f in res.findings]


def test_retain_grad_on_another_tensor_of_the_same_name_does_not_excuse_a_read():
    # eat_pytorch_in_20_days 2-3: cell 25 reads loss.grad (None, with a warning in torch 2.13);
    # a later cell retains the gradient of a new ``loss``
    x = torch.ones(2, requires_grad=True)
    loss = (x * 2).sum()
    loss.backward()
    with pytest.warns(UserWarning, match="non-leaf Tensor"):
        assert loss.grad is None
    assert _pt012(_notebook(GRAPH_CELL, RETAIN_CELL)) == [(1, 5)]


def test_retain_grad_on_the_tensor_itself_excuses_its_read():
    assert _pt012(_notebook(GRAPH_CELL.replace("loss.backward()", "loss.retain_grad()\nloss.backward()"),
                            RETAIN_CELL)) == []
