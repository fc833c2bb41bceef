"""Real bugs from the projects of rounds 44 and 46 (bench/precision/manifest.toml), kept as
must-flag tests beside the code that does the same thing right.

Round 44 (Chinese NLP/detection course code, model zoos, learner notebooks; 677 files) gave 6
analysis findings on code the rules had never seen, round 46 (Kaggle solutions, NLP learner and
model code; 384 files) 13: all true. Two of them, reduced:
- lopuhin/kaggle-jigsaw-2019 jigsaw/simple_lstm.py:83 (PT018): ``scheduler.step()`` at the top of
  each epoch, before the epoch's ``optimizer.step()`` calls: torch warns, and LambdaLR's first
  value is skipped, so the first epoch already trains at ``0.6 * lr``.
- udacity/DL_PyTorch "Part 8 - Transfer Learning" (PT002): a timing loop that calls
  ``backward()`` and ``step()`` with no ``zero_grad()``: each step adds every earlier batch's
  gradients."""
from __future__ import annotations

import warnings

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

EPOCHS = """import torch
from torch import nn

model = nn.Linear(4, 1)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.6 ** epoch)
for epoch in range(3):
    {BEFORE}
    for x, y in loader:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    {AFTER}
"""


def test_a_scheduler_stepped_before_the_epochs_optimizer_steps_is_flagged():
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.6 ** epoch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.step()
    assert any("lr_scheduler.step()" in str(w.message) for w in caught)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.6e-3)  # the first epoch's 1e-3 is skipped
    src = EPOCHS.replace("{BEFORE}", "scheduler.step()").replace("{AFTER}", "pass")
    assert lines(src, "PT018") == [line_of(src, "scheduler.step()")]


def test_the_scheduler_stepped_after_the_epoch_is_not():
    src = EPOCHS.replace("{BEFORE}", "pass").replace("{AFTER}", "scheduler.step()")
    assert lines(src, "PT018") == []


TIMING = """import time
import torch
from torch import nn

model = nn.Linear(4, 2)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
for ii, (inputs, labels) in enumerate(trainloader):
    start = time.time()
    {CLEAR}
    outputs = model(inputs)
    loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    if ii == 3:
        break
"""


def test_a_timing_loop_without_zero_grad_is_flagged():
    src = TIMING.replace("{CLEAR}", "pass")
    assert lines(src, "PT002") == [line_of(src, "optimizer.step()")]
    assert lines(TIMING.replace("{CLEAR}", "optimizer.zero_grad()"), "PT002") == []
