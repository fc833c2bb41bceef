"""Findings on the eight projects added to bench/precision/manifest.toml in round 27, reduced to
their patterns.

Round 27 (Chinese learner code: boyu-ai's Hands-on-RL notebooks (动手学强化学习), 649453932's
Bert-Chinese-Text-Classification-Pytorch; English course and book notebooks: dataflowr's
Deep Learning Do It Yourself notebooks, the PyTorch chapters 12-19 of Raschka's Machine Learning
with PyTorch and Scikit-Learn; research code: StarGAN, Swin Transformer; library slices: Captum's
attribution, influence, metrics, robustness and concept code with its tutorials,
sentence-transformers' losses, modules, utilities, evaluators and training examples; 432 files,
105,769 lines) gave 6 analysis findings on code the rules had never seen: 6 true, 0 false.

True (each pattern kept as a must-flag test with its silent twin):
- dataflowr Module2/02a_basics.ipynb cell 6: ``x = torch.empty(3,5)`` then ``print(x)`` (PT015;
  the markdown above says "uninitialized": a deliberate demo, but what is printed is leftover
  memory).
- dataflowr Module2/02a_basics.ipynb cells 41-43: ``b = torch.from_numpy(a)``, then ``a[2] = 0``
  and ``print(b)`` in the next cell, then ``b[3] = 5`` and ``print(a)`` (PT004, two findings; the
  shared-memory demo, and each write does show up in the twin).
- dataflowr HW4/Federated Poisoning.ipynb cell 11: ``F.softmax(model(x.reshape(1, -1, 28, 28)))``
  without dim on a model's (1, 10) logits (PT017; the model is a parameter, so the rank is not
  known; torch 2.13 picks dim 1 and warns on every call).
- dataflowr Module15/15b_dropout_mnist.ipynb cell 20: ``scheduler_dropout.step()`` at the top of
  each epoch, before ``train_classif_epoch(..., optimizer_dropout, ...)``, which calls
  ``optimizer.step()`` per batch (PT018; torch 2.13 warns "Detected call of lr_scheduler.step()
  before optimizer.step()" and StepLR(8) decays after 7 epochs instead of 8).
- captum tutorials/Titanic_Basic_Interpret.ipynb cell 13: ``TitanicSimpleNNModel.forward`` ends
  in ``nn.Softmax(dim=1)`` and the tutorial's training branch (``USE_PRETRAINED_MODEL = False``)
  feeds that output to ``nn.CrossEntropyLoss`` (PT010; the loss of a confidently right sample
  cannot go below about 0.31 and its gradient is scaled down by the second softmax).

False: none this round, so there is no xfail here."""
from __future__ import annotations

from ptlint.rules import Config, lint_text
from rulecheck import line_of, lines, lint
from test_notebook import notebook


def _nb_findings(code, *cells):
    res = lint_text(notebook(*cells), "t.ipynb", Config(select=(code,)), notebook=True)
    assert not res.rule_errors, res.rule_errors
    return [(f.cell, f.line) for f in res.findings]


# --- PT015: torch.empty printed before anything is written into it -------------------------------

EMPTY = """import torch
x = torch.{CTOR}(3, 5)
print(x.dtype)
print(x)
"""


def test_printing_an_uninitialised_empty_tensor_is_flagged():
    # torch 2.13 prints whatever the allocator left there (e.g. 3.6835e-29, 3.0917e-41).
    src = EMPTY.replace("{CTOR}", "empty")
    assert lines(src, "PT015") == [line_of(src, "print(x)")]


def test_printing_a_zeros_tensor_is_not_flagged():
    assert lines(EMPTY.replace("{CTOR}", "zeros"), "PT015") == []


# --- PT004: from_numpy's shared memory, written on one side and read on the other, across cells ---

SHARED_CELLS = ("import torch\nimport numpy as np",
                "a = np.ones(5)\nb = torch.{MAKE}(a)\nprint(b)",
                "a[2] = 0\nprint(b)",
                "b[3] = 5\nprint(a)")


def test_writes_through_from_numpy_shared_memory_are_flagged_in_both_directions():
    # torch 2.13: b becomes [1, 1, 0, 1, 1] after a[2] = 0, and a becomes [1, 1, 0, 5, 1] after b[3] = 5.
    cells = [c.replace("{MAKE}", "from_numpy") for c in SHARED_CELLS]
    assert _nb_findings("PT004", *cells) == [(3, 1), (4, 1)]


def test_writes_after_a_torch_tensor_copy_are_not_flagged():
    cells = [c.replace("{MAKE}", "tensor") for c in SHARED_CELLS]
    assert _nb_findings("PT004", *cells) == []


# --- PT017: F.softmax over a model's output without dim, the model a parameter --------------------

FED_TEST = """import torch
import torch.nn.functional as F

def test(model, special_sample, trainset):
    outputs = F.softmax(model(trainset[special_sample][0].reshape(1, -1, 28, 28)){DIM})
    topv, topi = outputs.topk(3)
    return outputs[0, 7]
"""


def test_softmax_over_an_unknown_models_output_without_dim_is_flagged():
    # torch 2.13 on (1, 10) logits: "Implicit dimension choice for softmax has been deprecated", dim 1.
    src = FED_TEST.replace("{DIM}", "")
    found = lint(src, "PT017")
    assert [f.line for f in found] == [line_of(src, "F.softmax(")]
    assert "the rank is not known here" in found[0].message_en


def test_softmax_over_an_unknown_models_output_with_dim_is_not_flagged():
    assert lines(FED_TEST.replace("{DIM}", ", dim=1"), "PT017") == []


# --- PT018: scheduler.step() before a per-epoch helper that steps the optimizer -------------------

DROPOUT = """import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler

def train_classif_epoch(train_loader, model, loss_fn, optimizer):
    model.train()
    for data, target in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(data), target)
        loss.backward()
        optimizer.step()

def run(train_loader, num_epochs):
    model_dropout = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    optimizer_dropout = optim.Adam(model_dropout.parameters(), lr=1e-2)
    scheduler_dropout = lr_scheduler.StepLR(optimizer_dropout, 8, gamma=0.1, last_epoch=-1)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
{BODY}
"""
SCHED_FIRST = ("        scheduler_dropout.step()\n"
               "        train_classif_epoch(train_loader, model_dropout, loss_fn, optimizer_dropout)")
SCHED_AFTER = ("        train_classif_epoch(train_loader, model_dropout, loss_fn, optimizer_dropout)\n"
               "        scheduler_dropout.step()")


def test_scheduler_step_before_the_epochs_training_helper_is_flagged():
    # torch 2.13 warns "Detected call of `lr_scheduler.step()` before `optimizer.step()`", and the
    # learning rate drops after 7 epochs instead of 8.
    src = DROPOUT.replace("{BODY}", SCHED_FIRST)
    assert lines(src, "PT018") == [line_of(src, "scheduler_dropout.step()")]


def test_scheduler_step_after_the_epochs_training_helper_is_not_flagged():
    assert lines(DROPOUT.replace("{BODY}", SCHED_AFTER), "PT018") == []


# --- PT010: a forward ending in nn.Softmax, trained with CrossEntropyLoss in one branch -----------

TITANIC = """import torch
import torch.nn as nn

class TitanicSimpleNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(12, 12)
        self.sigmoid1 = nn.Sigmoid()
        self.linear2 = nn.Linear(12, 8)
        self.sigmoid2 = nn.Sigmoid()
        self.linear3 = nn.Linear(8, 2)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        lin1_out = self.linear1(x)
        sigmoid_out1 = self.sigmoid1(lin1_out)
        sigmoid_out2 = self.sigmoid2(self.linear2(sigmoid_out1))
        return {RET}

net = TitanicSimpleNNModel()
USE_PRETRAINED_MODEL = True
input_tensor = torch.randn(623, 12)
label_tensor = torch.randint(0, 2, (623,))
if USE_PRETRAINED_MODEL:
    net.load_state_dict(torch.load('models/titanic_model.pt'))
else:
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.1)
    for epoch in range(200):
        output = net(input_tensor)
        loss = criterion(output, label_tensor)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


def test_softmax_output_trained_with_cross_entropy_is_flagged():
    # torch 2.13: cross_entropy(softmax([[4, -4]]), [0]) is 0.313, on the logits it is 0.0003.
    src = TITANIC.replace("{RET}", "self.softmax(self.linear3(sigmoid_out2))")
    assert lines(src, "PT010") == [line_of(src, "return self.softmax(")]


def test_logits_trained_with_cross_entropy_are_not_flagged():
    assert lines(TITANIC.replace("{RET}", "self.linear3(sigmoid_out2)"), "PT010") == []
