"""Findings on the eight projects added to bench/precision/manifest.toml in round 25, reduced to
their patterns.

Round 25 (Chinese blog and course code: bubbliiiing yolov7-pytorch, Datawhale self-llm; English
course and book notebooks: NYU DLSP21, Deep Learning with PyTorch's dlwpt-code; research code:
stylegan2-ada-pytorch, BLIP; library slices: torchmetrics' functional API, kornia's filters,
geometry, losses and enhance) gave three analysis findings on code the rules had never seen, all
in dlwpt-code's chapter 7/8 notebooks: one true, two false (one pattern).

True (kept as a must-flag test with its silent twin):
- p1ch7/2_birds_airplanes.ipynb: the book's convolutional ``nn.Sequential`` with no flatten
  before ``nn.Linear(8 * 8 * 8, 32)``, called on a CIFAR image (PT005; torch 2.13 raises
  "mat1 and mat2 shapes cannot be multiplied (64x8 and 512x32)").

False, fixed after this round was scored (the must-not-flag test below, with its must-flag twin):
- p1ch7/2_birds_airplanes.ipynb and p1ch7/p1ch6.ipynb: ``model = nn.Sequential(..., nn.Softmax(dim=1))``
  is run once to show probabilities; ``model`` is rebound before the model that is trained with
  ``nn.CrossEntropyLoss`` (which has no softmax) is built (PT010: the rule reports a softmax
  Sequential bound to a name whenever the file has a cross-entropy call outside a class, without
  asking whether that binding reaches the loss). Now a softmax Sequential whose name the same scope
  binds again is reported only when an output of that very binding is given to a cross-entropy
  call (the flow facts resolve which binding reaches it)."""
from __future__ import annotations

from rulecheck import line_of, lines


# --- PT005: a conv stack fed straight into Linear without a flatten ---------------------------

NO_FLATTEN = """import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=3, padding=1),
    nn.Tanh(),
    nn.MaxPool2d(2),
    nn.Conv2d(16, 8, kernel_size=3, padding=1),
    nn.Tanh(),
    nn.MaxPool2d(2),
{FLATTEN}    nn.Linear(8 * 8 * 8, 32),
    nn.Tanh(),
    nn.Linear(32, 2))
model(torch.randn(1, 3, 32, 32))
"""


def test_linear_after_pooling_without_a_flatten_is_flagged():
    # The pool gives (1, 8, 8, 8); Linear acts on the last dim (8) and wants 512.
    src = NO_FLATTEN.replace("{FLATTEN}", "")
    assert lines(src, "PT005") == [line_of(src, "nn.Linear(8 * 8 * 8, 32)")]


def test_linear_after_pooling_and_a_flatten_is_not_flagged():
    # With nn.Flatten() the Linear sees (1, 512): torch 2.13 returns a (1, 2) output.
    assert lines(NO_FLATTEN.replace("{FLATTEN}", "    nn.Flatten(),\n"), "PT005") == []


# --- PT010 false positive: the softmax model's name is rebound before the CE training --------

SOFTMAX_DEMO = """import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))
out = model(torch.randn(1, 4))
{REBIND}loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
for x, y in loader:
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_the_softmax_model_trained_with_cross_entropy_is_flagged():
    src = SOFTMAX_DEMO.replace("{REBIND}", "")
    assert lines(src, "PT010") == [line_of(src, "nn.Softmax(dim=1)")]


def test_a_softmax_model_only_run_for_a_demo_then_replaced_is_not_flagged():
    src = SOFTMAX_DEMO.replace("{REBIND}", "\nmodel = nn.Sequential(nn.Linear(4, 2))\n")
    assert lines(src, "PT010") == []
