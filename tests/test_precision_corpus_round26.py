"""Findings on the eight projects added to bench/precision/manifest.toml in round 26, reduced to
their patterns.

Round 26 (Chinese learner code: 小土堆's pytorch-tutorial scripts, 649453932's
Chinese-Text-Classification-Pytorch; English tutorial notebooks: bentrevett's
pytorch-image-classification, spro's practical-pytorch; research code: DINOv2, Whisper; library
slices: pytorch-toolbelt's losses, modules and inference, PyTorch-Ignite's metrics, handlers and
examples; 485 files, 78,731 lines) gave 14 analysis findings on code the rules had never seen:
13 true (PT017), 1 false (PT006).

True (each pattern kept as a must-flag test with its silent twin):
- practical-pytorch char-rnn-classification (model.py and the notebook's cell 14):
  ``self.softmax = nn.LogSoftmax()`` called in ``forward`` on the 2-D ``i2o`` output; the
  implicit dim is deprecated and torch 2.13 warns on every step.
- practical-pytorch conditional-char-rnn (model.py and cell 7): the same ``nn.LogSoftmax()``
  left as an attribute that ``forward`` never calls (the deprecated construct; counted true).
- practical-pytorch reinforce-gridworld (.py and cell 19): ``F.softmax(scores)`` on the 2-D
  ``x[:, :4]`` of the policy output.
- practical-pytorch seq2seq-translation/masked_cross_entropy.py:
  ``functional.log_softmax(logits_flat)`` on ``logits.view(-1, logits.size(-1))``: 2-D, so the
  message names dim 1.
- practical-pytorch seq2seq-translation-batched (.py and cell 39): ``F.softmax(attn_energies)``
  on the (B, S) energies; seq2seq-translation.ipynb cell 31: the same on the 1-D
  ``torch.zeros(seq_len)``; cells 28 and 33 and the batched notebook's cell 41:
  ``F.log_softmax(self.out(...))`` in the decoders (28 and 41: a Bahdanau decoder the notebooks
  never instantiate; counted true as the construct is the deprecated one).

False (fixed after this round was scored; the must-not-flag test below, with its must-flag twin):
- xiaotudui-pytorch-tutorial src/nn_maxpool.py: ``MaxPool2d(kernel_size=3, ceil_mode=False)``
  on CIFAR-10's 32x32 images. The output really is 10x10 and the last two rows and columns are
  not pooled, but the lesson writes ``ceil_mode=False`` out to show floor mode against
  ``ceil_mode=True`` (the fix the message suggests): an explicit ``ceil_mode=False`` is the
  author's stated choice, nothing is "silently" dropped. The default (no ``ceil_mode``) stays
  flagged. Now the pooling layers and functions know which arguments the call writes out
  (``Layer.given``) and PT006 reports only a floor that is the default."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines, lint


# --- PT017: nn.LogSoftmax() without dim, called in forward --------------------------------------

CHAR_RNN = """import torch
import torch.nn as nn

class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax({DIM})

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.softmax(self.i2o(combined))
        return output, hidden
"""


def test_log_softmax_module_without_dim_is_flagged():
    # torch 2.13: "Implicit dimension choice for log_softmax has been deprecated" on every call.
    src = CHAR_RNN.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "nn.LogSoftmax()")]


def test_log_softmax_module_with_dim_is_not_flagged():
    assert lines(CHAR_RNN.replace("{DIM}", "dim=1"), "PT017") == []


# --- PT017: functional.log_softmax on a flattened (N, C) view: the message names dim 1 ----------

MASKED_CE = """import torch
from torch.nn import functional

def masked_cross_entropy(logits, target):
    logits_flat = logits.view(-1, logits.size(-1))
    log_probs_flat = functional.log_softmax(logits_flat{DIM})
    return -torch.gather(log_probs_flat, dim=1, index=target.view(-1, 1)).mean()
"""


def test_log_softmax_on_a_flattened_view_without_dim_is_flagged_with_the_dim_torch_picks():
    src = MASKED_CE.replace("{DIM}", "")
    found = lint(src, "PT017")
    assert [f.line for f in found] == [line_of(src, "functional.log_softmax(")]
    assert "the input is 2-D, so PyTorch normalises along dim 1" in found[0].message_en


def test_log_softmax_on_a_flattened_view_with_dim_is_not_flagged():
    assert lines(MASKED_CE.replace("{DIM}", ", dim=1"), "PT017") == []


# --- PT017: F.softmax over attention energies without dim ----------------------------------------

ATTN = """import torch
import torch.nn.functional as F

def attend(hidden, encoder_outputs):
    seq_len = len(encoder_outputs)
    attn_energies = torch.zeros(seq_len)
    for i in range(seq_len):
        attn_energies[i] = hidden.dot(encoder_outputs[i])
    return F.softmax(attn_energies{DIM}).unsqueeze(0).unsqueeze(0)
"""


def test_softmax_over_attention_energies_without_dim_is_flagged():
    src = ATTN.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "F.softmax(")]


def test_softmax_over_attention_energies_with_dim_is_not_flagged():
    assert lines(ATTN.replace("{DIM}", ", dim=0"), "PT017") == []


# --- PT006 false positive: ceil_mode=False written out ------------------------------------------

POOL = """import torch
from torch import nn

class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.maxpool1 = nn.MaxPool2d({ARGS})

    def forward(self, input):
        output = self.maxpool1(input)
        return output

tudui = Tudui()
output = tudui(torch.randn(64, 3, 32, 32))
"""


def test_pooling_that_drops_rows_by_default_is_flagged():
    # (32 - 3) mod 3 = 2: torch 2.13 returns (64, 3, 10, 10); rows and columns 30-31 are never pooled.
    src = POOL.replace("{ARGS}", "kernel_size=3")
    assert lines(src, "PT006") == [line_of(src, "output = self.maxpool1(input)")]


@pytest.mark.parametrize("args", [
    "kernel_size=3, ceil_mode=False",
    "3, 3, 0, 1, False, False",  # positionally: kernel, stride, padding, dilation, return_indices, ceil_mode
])
def test_pooling_with_ceil_mode_false_written_out_is_not_flagged(args):
    assert lines(POOL.replace("{ARGS}", args), "PT006") == []


FUNCTIONAL_POOL = """import torch
import torch.nn.functional as F

x = torch.randn(64, 3, 32, 32)
y = F.max_pool2d(x, {ARGS})
"""


def test_functional_pooling_that_drops_rows_by_default_is_flagged():
    src = FUNCTIONAL_POOL.replace("{ARGS}", "3")
    assert lines(src, "PT006") == [line_of(src, "y = F.max_pool2d(")]


@pytest.mark.parametrize("args", ["3, ceil_mode=False", "3, 3, 0, 1, False"])  # F's 5th: ceil_mode
def test_functional_pooling_with_ceil_mode_false_written_out_is_not_flagged(args):
    assert lines(FUNCTIONAL_POOL.replace("{ARGS}", args), "PT006") == []


def test_pooling_with_ceil_mode_true_is_not_flagged():
    assert lines(POOL.replace("{ARGS}", "kernel_size=3, ceil_mode=True"), "PT006") == []
