"""Findings on the eight projects added to bench/precision/manifest.toml in round 28, reduced to
their patterns.

Round 28 (Chinese learner code: chenyuntc's pytorch-best-practice, the 猫狗分类 chapter of
《深度学习框架PyTorch：入门与实践》; Jack Cui's Pytorch-Seg lessons from Jack-Cherish/Deep-Learning;
English course and tutorial code: Yandex SDA's Practical_DL notebooks, jcjohnson's
pytorch-examples; research code: MoCo v3, znxlwm's pytorch-generative-model-collections;
application and library slice: bubbliiiing's unet-pytorch, loralib and LoRA's GPT-2 NLG example;
157 files, 21,620 lines) gave 9 analysis findings on code the rules had never seen: 8 true
(PT017 x6, PT005, PT018), 1 false (PT002).

True (each pattern kept as a must-flag test with its silent twin):
- Practical_DL week03 how_to_shoot_yourself_in_the_foot_with_cnn.ipynb cell 2, a network broken
  on purpose for the students to find the faults: ``MaxPool2d`` after a 16-channel conv, then
  ``Conv2d(in_channels=6, ...)`` (PT005; torch 2.13 raises "expected input[1, 16, 4, 4] to have 6
  channels, but got 16 channels instead"), and two ``nn.Softmax()`` without dim (PT017).
- Practical_DL simple_1d_gan_pytorch.ipynb cell 6: ``F.softmax(disc(...))`` without dim on the
  (N, 2) logits of the discriminator, three times in the plotting code (PT017).
- pytorch-best-practice main.py: ``t.nn.functional.softmax(score)`` without dim on the model's
  (N, 2) scores, with ``import torch as t`` (PT017).
- Pytorch-Seg lesson-4 train.py: ``scheduler.step()`` at the top of each epoch, before
  ``train(...)`` whose batch loop steps the optimizer (PT018; torch 2.13 warns "Detected call of
  `lr_scheduler.step()` before `optimizer.step()`" and StepLR(20) decays one epoch early).

False (fixed after this round was scored; the must-not-flag tests below, with their must-flag twins):
- generative-model-collections infoGAN.py: ``info_optimizer = Adam(itertools.chain(G.parameters(),
  D.parameters()))`` is stepped after ``info_loss.backward()`` with no ``info_optimizer.zero_grad()``,
  but its parameters are exactly G's and D's, and ``D_optimizer.zero_grad()`` and
  ``G_optimizer.zero_grad()`` clear them in every iteration: nothing accumulates across iterations,
  so "each step uses the sum of all past gradients" is false. PT002 counts a clear of another
  optimizer only when it is the same optimizer (same name or same origin); it does not see that the
  other optimizers' parameters together cover the stepped one's. Now an optimizer over several
  models (``itertools.chain(...)``, ``list(...) + list(...)`` of ``.parameters()``) is cleared
  when each of its models is: by ``G.zero_grad()``, or by an optimizer holding that model."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines, lint


# --- PT005: in_channels after a pooling layer keep the pre-pooling count wrong ----------------------

FOOT_CNN = """import torch.nn as nn

class Flatten(nn.Module):
    def forward(self, input):
        return input.view(input.size(0), -1)

# assuming input shape [batch, 3, 32, 32]
cnn = nn.Sequential(
    nn.Conv2d(in_channels=3, out_channels=512, kernel_size=(3,3)),
    nn.Conv2d(in_channels=512, out_channels=128, kernel_size=(3,3)),
    nn.Conv2d(in_channels=128, out_channels=16, kernel_size=(3,3)),
    nn.ReLU(),
    nn.MaxPool2d((6,6)),
    nn.Conv2d(in_channels={IN}, out_channels=32, kernel_size=(3,3)),
)
"""


def test_conv_whose_in_channels_miss_the_pooled_channels_is_flagged():
    # torch 2.13 on (1, 3, 32, 32): "expected input[1, 16, 4, 4] to have 6 channels, but got 16".
    src = FOOT_CNN.replace("{IN}", "6")
    found = lint(src, "PT005")
    assert [f.line for f in found] == [line_of(src, "nn.Conv2d(in_channels=6,")]
    assert "16" in found[0].message_en


def test_conv_whose_in_channels_match_the_pooled_channels_is_not_flagged():
    assert lines(FOOT_CNN.replace("{IN}", "16"), "PT005") == []


# --- PT017: nn.Softmax() without dim between layers of a Sequential -------------------------------

SOFTMAX_SEQ = """import torch.nn as nn

head = nn.Sequential(
    nn.Linear(64, 256),
    nn.Softmax({DIM}),
    nn.Linear(256, 10),
)
"""


def test_softmax_module_without_dim_in_a_sequential_is_flagged():
    src = SOFTMAX_SEQ.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "nn.Softmax()")]


def test_softmax_module_with_dim_in_a_sequential_is_not_flagged():
    assert lines(SOFTMAX_SEQ.replace("{DIM}", "dim=1"), "PT017") == []


# --- PT017: F.softmax over a discriminator's two logits, in plotting code -------------------------

GAN_PLOT = """import torch, torch.nn as nn
import torch.nn.functional as F
import matplotlib.pyplot as plt

def sample_real_data(batch_size):
    return torch.randn(batch_size, 1) * 1.5 + 5

disc = nn.Sequential(nn.Linear(1, 64), nn.ELU(), nn.Linear(64, 2))
plt.hist(F.softmax(disc(sample_real_data(100)){DIM})[:, 1].data.numpy(), range=[0, 1])
"""


def test_softmax_over_discriminator_logits_without_dim_is_flagged():
    # torch 2.13: "Implicit dimension choice for softmax has been deprecated"; it picks dim 1 here.
    src = GAN_PLOT.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "plt.hist(F.softmax(")]


def test_softmax_over_discriminator_logits_with_dim_is_not_flagged():
    assert lines(GAN_PLOT.replace("{DIM}", ", dim=1"), "PT017") == []


# --- PT017: softmax through an ``import torch as t`` alias, on a model's scores -------------------

DOGCAT_TEST = """import torch as t
from torch.utils.data import DataLoader

def test(model, test_dataloader):
    results = []
    for ii, (data, path) in enumerate(test_dataloader):
        score = model(data)
        probability = t.nn.functional.softmax(score{DIM})[:, 0].data.tolist()
        results += list(zip(path, probability))
    return results
"""


def test_softmax_through_a_torch_alias_without_dim_is_flagged():
    src = DOGCAT_TEST.replace("{DIM}", "")
    found = lint(src, "PT017")
    assert [f.line for f in found] == [line_of(src, "t.nn.functional.softmax(")]
    assert "the rank is not known here" in found[0].message_en


def test_softmax_through_a_torch_alias_with_dim_is_not_flagged():
    assert lines(DOGCAT_TEST.replace("{DIM}", ", dim=1"), "PT017") == []


# --- PT018: scheduler.step() at the top of the epoch, before the training function ----------------

SEG_TRAIN = """import torch
import torch.nn as nn
import torch.optim as optim

def train(train_loader, model, criterion, optimizer, epoch):
    model.train()
    for i, (input, target) in enumerate(train_loader):
        output = model(input)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

if __name__ == "__main__":
    model = nn.Linear(2048, 214)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.0001, weight_decay=0.001)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.1)
    for epoch in range(80):
{BODY}
"""
STEP_FIRST = ("        scheduler.step()\n"
              "        train(train_loader, model, criterion, optimizer, epoch)")
STEP_AFTER = ("        train(train_loader, model, criterion, optimizer, epoch)\n"
              "        scheduler.step()")


def test_scheduler_step_before_the_epochs_train_function_is_flagged():
    # torch 2.13 warns, and lr drops to 1e-5 for the 20th epoch instead of the 21st.
    src = SEG_TRAIN.replace("{BODY}", STEP_FIRST)
    assert lines(src, "PT018") == [line_of(src, "scheduler.step()")]


def test_scheduler_step_after_the_epochs_train_function_is_not_flagged():
    assert lines(SEG_TRAIN.replace("{BODY}", STEP_AFTER), "PT018") == []


# --- PT002 false positive: an optimizer over G and D, both cleared by their own optimizers --------

INFOGAN = """import itertools
import torch
import torch.nn as nn
import torch.optim as optim

G = nn.Linear(3, 4)
D = nn.Linear(4, 1)
G_optimizer = optim.Adam(G.parameters())
D_optimizer = optim.Adam(D.parameters())
info_optimizer = optim.Adam(itertools.chain(G.parameters(), D.parameters()))

for x_, z_ in loader:
{CLEAR_D}
    D_loss = D(x_).mean() + D(G(z_)).mean()
    D_loss.backward(retain_graph=True)
    D_optimizer.step()

    G_optimizer.zero_grad()
    G_ = G(z_)
    G_loss = -D(G_).mean()
    G_loss.backward(retain_graph=True)
    G_optimizer.step()

    info_loss = (G_ ** 2).mean()
    info_loss.backward()
    info_optimizer.step()
"""


@pytest.mark.parametrize("clear_d, params", [
    ("    D_optimizer.zero_grad()", "itertools.chain(G.parameters(), D.parameters())"),
    ("    D.zero_grad()", "itertools.chain(G.parameters(), D.parameters())"),
    ("    D_optimizer.zero_grad()", "list(G.parameters()) + list(D.parameters())"),
])
def test_optimizer_over_parameters_that_other_optimizers_clear_is_not_flagged(clear_d, params):
    # torch 2.13: after D_optimizer.zero_grad() and G_optimizer.zero_grad() every G and D grad is
    # None in every iteration, so info_optimizer never steps on an earlier iteration's gradients.
    src = INFOGAN.replace("{CLEAR_D}", clear_d)
    src = src.replace("itertools.chain(G.parameters(), D.parameters())", params)
    assert lines(src, "PT002") == []


@pytest.mark.parametrize("params", ["itertools.chain(G.parameters(), D.parameters())",
                                    "list(G.parameters()) + list(D.parameters())"])
def test_optimizer_over_two_models_only_one_of_which_is_cleared_is_flagged(params):
    # G.zero_grad() alone leaves D's gradients piling up in info_optimizer's parameters
    src = INFOGAN.replace("{CLEAR_D}", "    pass").replace("    G_optimizer.zero_grad()", "    G.zero_grad()")
    src = src.replace("itertools.chain(G.parameters(), D.parameters())", params)
    assert line_of(src, "info_optimizer.step()") in lines(src, "PT002")


def test_optimizer_over_parameters_one_of_which_is_never_cleared_is_flagged():
    # Without D_optimizer.zero_grad(), D's gradients pile up across iterations: both steps that
    # use them (D_optimizer's and info_optimizer's) are reported.
    src = INFOGAN.replace("{CLEAR_D}", "    pass")
    found = lines(src, "PT002")
    assert line_of(src, "info_optimizer.step()") in found
    assert line_of(src, "D_optimizer.step()") in found
