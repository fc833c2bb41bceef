"""Findings on the eight projects added to bench/precision/manifest.toml in round 32, reduced to
their patterns.

Round 32 (Chinese learner material: aespresso's a_journey_into_math_of_ml; an English university
course: Jeff Heaton's T81-558 app_deep_learning, PyTorch edition; research code: HobbitLong's
SupContrast, AntixK's PyTorch-VAE, ikostrikov's pytorch-a2c-ppo-acktr-gail, Shawn1993's
cnn-text-classification-pytorch; libraries: skorch, a slice of huggingface/accelerate; 424 files,
109,271 lines) gave 6 analysis findings on code the rules had never seen, all true: PT017 x3
(PyTorch-VAE gamma_vae.py's ``nn.Sequential(nn.Linear(...), nn.Softmax())`` heads, an unused
``torch.nn.Softmax()`` in accelerate's test script), PT010 x2 (T81-558 class 8.2 and 8.5: a
``Sequential`` ending in ``nn.Softmax(dim=1)`` trained with ``nn.CrossEntropyLoss``), PT003 x1
(T81-558 class 11.2: the course's own demo of float class targets, which raises). No false
positive, so nothing was changed in the rules; the patterns are kept as must-flag tests with their
silent twins."""
from __future__ import annotations

from rulecheck import line_of, lines

# --- PT010: T81-558 class 8.5 (Kaggle iris), softmax output trained with cross-entropy ---------

IRIS = """import torch
import torch.nn as nn

x_train = torch.tensor(x_train, dtype=torch.float32)
y_train = torch.tensor(y_train, dtype=torch.float32)

model = nn.Sequential(
    nn.Linear(x.shape[1], 50),
    nn.ReLU(),
    nn.Linear(50, 25),
    nn.Linear(25, y.shape[1]),{SOFTMAX}
)

optimizer = torch.optim.Adam(model.parameters())
loss_fn = nn.CrossEntropyLoss()

for epoch in range(1000):
    model.train()
    optimizer.zero_grad()
    y_pred = model(x_train)
    loss = loss_fn(y_pred, torch.argmax(y_train, 1))
    loss.backward()
    optimizer.step()
"""


def test_softmax_sequential_trained_with_cross_entropy_is_flagged():
    # CrossEntropyLoss applies log_softmax itself: the softmax squashes the logits and the
    # gradients (the helper measured mean |grad| 0.022 against 0.131 without it)
    src = IRIS.replace("{SOFTMAX}", "\n    nn.Softmax(dim=1)")
    assert lines(src, "PT010") == [line_of(src, "nn.Softmax(dim=1)")]


def test_logits_sequential_trained_with_cross_entropy_is_not_flagged():
    assert lines(IRIS.replace("{SOFTMAX}", ""), "PT010") == []


# --- PT003: T81-558 class 11.2 (critical errors), float class indices -------------------------

TARGETS = """import torch
import torch.nn as nn

logits = torch.randn(6, 3)
loss_fn = nn.CrossEntropyLoss()
targets = torch.tensor([0, 2, 1, 1, 0, 2], dtype=torch.{DTYPE})
loss = loss_fn(logits, targets)
"""


def test_float_class_indices_are_flagged():
    # torch 2.13: RuntimeError: expected target dtype to be Long or Byte, but got Float
    src = TARGETS.replace("{DTYPE}", "float")
    assert lines(src, "PT003") == [line_of(src, "loss = loss_fn(logits, targets)")]


def test_long_class_indices_are_not_flagged():
    assert lines(TARGETS.replace("{DTYPE}", "long"), "PT003") == []


# --- PT017: PyTorch-VAE gamma_vae.py, a Softmax head built without dim ------------------------

GAMMA_VAE = """import torch
from torch import nn


class GammaVAE(nn.Module):
    def __init__(self, hidden_dims, latent_dim):
        super().__init__()
        self.fc_mu = nn.Sequential(nn.Linear(hidden_dims[-1] * 4, latent_dim), nn.Softmax({DIM}))

    def encode(self, input):
        result = torch.flatten(input, start_dim=1)
        return self.fc_mu(result)
"""


def test_softmax_head_without_dim_is_flagged():
    src = GAMMA_VAE.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "nn.Softmax()")]


def test_softmax_head_with_dim_is_not_flagged():
    assert lines(GAMMA_VAE.replace("{DIM}", "dim=1"), "PT017") == []
