"""Findings on the eight projects added to bench/precision/manifest.toml in round 23, reduced to
their patterns.

Round 23 gave nine analysis findings on code the rules had never seen: seven true, two false.

True (each kept as a must-flag test with its silent twin):
- datawhalechina/thorough-pytorch, chapter 2 basics notebook: ``torch.FloatTensor(2, 3)`` and
  ``torch.IntTensor(2)`` printed before any write (PT015; the notebook's comment calls this
  random initialisation — it is uninitialised memory); ``torch.from_numpy(g)`` then
  ``g[0,0] = 100`` then ``print(i)`` (PT004); ``print(y.grad.data)`` for the non-leaf
  ``y = x1 + 2*x2`` (PT012).
- hunkim/PyTorchZeroToAll: ``F.log_softmax(x)`` / ``F.softmax(attn_scores)`` without ``dim``
  (PT017).

False, both fixed after this round was scored (the must-not-flag tests below, each with its
must-flag twin):
- datawhalechina/leedl-tutorial HW10: a module whose ``forward`` returns softmax is built and
  ``.eval()``-ed but its output never reaches the file's ``CrossEntropyLoss`` (PT010: a class
  the file builds whose instances are never run is no longer taken for the trained model).
- huggingface/pytorch-image-models train.py: gradient accumulation that clears after every
  step, with the optimizer handed to a loss scaler in the other arm (PT002: a clear that is only
  supposed, the optimizer handed to a function we cannot see, is no evidence that the arms of an
  if/else differ, and a clear in the other arm of the step's own if/else does not excuse it)."""
from __future__ import annotations

from rulecheck import line_of, lines


# --- PT015: legacy sized constructors allocate uninitialised memory -------------------------

LEGACY_SIZED = """import torch

d = torch.FloatTensor(2, 3)
{WRITE}print(d)
"""


def test_printing_a_sized_legacy_constructor_before_any_write_is_flagged():
    src = LEGACY_SIZED.replace("{WRITE}", "")
    assert lines(src, "PT015") == [line_of(src, "print(d)")]


def test_printing_a_sized_legacy_constructor_after_filling_it_is_not_flagged():
    assert lines(LEGACY_SIZED.replace("{WRITE}", "d.fill_(0.0)\n"), "PT015") == []


def test_a_legacy_constructor_from_data_is_initialised():
    # torch.IntTensor([1, 2, 3, 4]) copies the list: nothing uninitialised is printed.
    assert lines("import torch\nf = torch.IntTensor([1, 2, 3, 4])\nprint(f)\n", "PT015") == []


# --- PT004: from_numpy shares memory with the array ----------------------------------------

SHARED = """import numpy as np
import torch

g = np.array([[1, 2, 3], [4, 5, 6]])
i = {MAKE}(g)
g[0, 0] = 100
print(i)
"""


def test_write_to_an_array_shared_with_a_from_numpy_tensor_printed_next_is_flagged():
    src = SHARED.replace("{MAKE}", "torch.from_numpy")
    assert lines(src, "PT004") == [line_of(src, "g[0, 0] = 100")]


def test_write_to_an_array_copied_by_torch_tensor_is_not_flagged():
    # torch.tensor(ndarray) copies: i keeps 1 (verified with torch 2.13).
    assert lines(SHARED.replace("{MAKE}", "torch.tensor"), "PT004") == []


# --- PT012: .grad of a non-leaf is always None ---------------------------------------------

NON_LEAF = """import torch

x1 = torch.tensor(1.0, requires_grad=True)
x2 = torch.tensor(2.0, requires_grad=True)
y = x1 + 2 * x2
y.backward()
print({READ}.grad.data)
"""


def test_reading_grad_of_a_computed_tensor_is_flagged():
    src = NON_LEAF.replace("{READ}", "y")
    assert lines(src, "PT012") == [line_of(src, "print(y.grad.data)")]


def test_reading_grad_of_a_leaf_is_not_flagged():
    assert lines(NON_LEAF.replace("{READ}", "x1"), "PT012") == []


# --- PT017: softmax without dim --------------------------------------------------------------

CNN_HEAD = """import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(320, 10)

    def forward(self, x):
        x = self.fc(x.view(x.size(0), -1))
        return F.log_softmax(x{DIM})
"""


def test_log_softmax_without_dim_in_forward_is_flagged():
    src = CNN_HEAD.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "return F.log_softmax(x)")]


def test_log_softmax_with_dim_in_forward_is_not_flagged():
    assert lines(CNN_HEAD.replace("{DIM}", ", dim=1"), "PT017") == []


ATTENTION = """import torch
import torch.nn.functional as F


def attention_weights(scores_of, seq_len):
    attn_scores = torch.zeros(seq_len)
    for i in range(seq_len):
        attn_scores[i] = scores_of(i)
    return F.softmax(attn_scores{DIM}).view(1, 1, -1)
"""


def test_softmax_of_one_dimensional_scores_without_dim_is_flagged():
    src = ATTENTION.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "return F.softmax(")]


def test_softmax_of_one_dimensional_scores_with_dim_is_not_flagged():
    assert lines(ATTENTION.replace("{DIM}", ", dim=0"), "PT017") == []


# --- PT010 false positive: a softmax module whose output never reaches the loss -------------

ENSEMBLE = """import torch
import torch.nn as nn


class Ensemble(nn.Module):
    def __init__(self, models):
        super().__init__()
        self.models = nn.ModuleList(models)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        res = self.models[0](x)
        for m in self.models[1:]:
            res += m(x)
        return self.softmax(res)


model = nn.Linear(4, 3)
loss_fn = nn.CrossEntropyLoss()
x, y = torch.randn(2, 4), torch.tensor([0, 2])
loss = loss_fn(model(x), y)
ensemble = Ensemble([nn.Linear(4, 3), nn.Linear(4, 3)])
ensemble.eval()
"""


def test_softmax_ensemble_fed_to_cross_entropy_is_flagged():
    src = ENSEMBLE + "ensemble_loss = loss_fn(ensemble(x), y)\n"
    assert lines(src, "PT010") == [line_of(src, "return self.softmax(res)")]


def test_softmax_ensemble_that_is_never_called_is_not_flagged():
    assert lines(ENSEMBLE, "PT010") == []


# --- PT002 false positive: accumulation with a loss scaler in the other arm ----------------

ACCUMULATE = """import torch


def train(model, optimizer, loader, loss_scaler, accum_steps):
    for i, (x, y) in enumerate(loader):
        need_update = (i + 1) % accum_steps == 0
        loss = model(x, y) / accum_steps
        if loss_scaler is not None:
            loss_scaler(loss, optimizer, need_update=need_update)
        else:
            loss.backward()
            if need_update:
                optimizer.step()
{CLEAR}"""

CLEAR_AFTER_UPDATE = """        if not need_update:
            continue
        optimizer.zero_grad()
"""


def test_accumulation_loop_that_never_clears_is_flagged():
    src = ACCUMULATE.replace("{CLEAR}", "")
    assert lines(src, "PT002") == [line_of(src, "optimizer.step()")]


def test_accumulation_loop_without_scaler_arm_that_clears_after_each_update_is_not_flagged():
    src = ACCUMULATE.replace("{CLEAR}", CLEAR_AFTER_UPDATE)
    no_scaler = src.replace("""        if loss_scaler is not None:
            loss_scaler(loss, optimizer, need_update=need_update)
        else:
            loss.backward()
            if need_update:
                optimizer.step()
""", """        loss.backward()
        if need_update:
            optimizer.step()
""")
    assert no_scaler != src
    assert lines(no_scaler, "PT002") == []


def test_accumulation_loop_with_scaler_arm_that_clears_after_each_update_is_not_flagged():
    assert lines(ACCUMULATE.replace("{CLEAR}", CLEAR_AFTER_UPDATE), "PT002") == []
