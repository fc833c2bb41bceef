"""Findings on the 27 projects of round 52 (bench/precision/manifest.toml), reduced to their
patterns.

Round 52 was sequence and NLP code with hand-written training loops: seq2seq and NMT
repositories, char-RNNs, NER/CRF taggers, the nlp-beginner homework of four students,
sgrvinod's tutorials, transformer implementations from scratch, few-shot and GAN code
(511 files). On code the rules had never seen it gave 20 analysis findings: 10 true
(PT017 ×6, PT025 ×3, PT020) and 10 false (PT002 ×6, PT025 ×3, PT010).

False, fixed after the round was scored (each must-not-flag test passes beside its
must-flag twin):
- DSKSD's NER notebook: ``self.softmax = nn.LogSoftmax(dim=1)`` and ``forward`` returns
  ``self.softmax(...)``, trained with ``CrossEntropyLoss``. PT010 took ``self.softmax(x)`` for
  the tensor method ``x.softmax()``. The layer's type now decides (log-probabilities fed to
  CrossEntropyLoss are what NLLLoss computes: nothing is applied twice).
- threelittlemonkeys' seq2seq (×6): ``forward`` begins with ``self.zero_grad()``, and the
  loop steps two optimizers over ``model.enc`` and ``model.dec``. The flow now takes the
  clears of a model class's ``forward`` into the caller's iteration, on the caller's module.
  In that repository the model class comes through ``from rnn_encoder_decoder import *``,
  which the project index does not resolve, so those six findings stay; the pattern within
  one file is silent.

False, not fixed:
- znxlwm's MNIST DCGAN (PT025 ×3): ``D(x_).squeeze()`` fed to ``BCELoss`` beside
  ``torch.ones(mini_batch)``. A batch of one would make it 0-d and fail. But the only loader is
  MNIST's 60,000 training images in batches of 128, so the last batch has 96 and no batch of
  one ever comes. Knowing that takes the dataset's length, which the rule does not model.
  The same lines over a user's ImageFolder (the CelebA script) are true."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

TAGGER = """import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.out = nn.Linear(8, 5)
        self.softmax = nn.{LAYER}(dim=1)

    def forward(self, x):
        return self.softmax(self.out(x))


criterion = nn.CrossEntropyLoss()
"""


def test_a_log_softmax_layer_named_softmax_before_cross_entropy_is_not_flagged():
    x, y = torch.randn(6, 8), torch.tensor([0, 1, 2, 3, 4, 0])
    logits = torch.nn.Linear(8, 5)(x)
    log_probs = torch.log_softmax(logits, dim=1)
    # log_softmax of log-probabilities changes nothing: the loss is NLLLoss's
    assert torch.allclose(torch.nn.CrossEntropyLoss()(log_probs, y), torch.nn.NLLLoss()(log_probs, y))
    assert lines(TAGGER.replace("{LAYER}", "LogSoftmax"), "PT010") == []


def test_a_softmax_layer_named_softmax_before_cross_entropy_is_flagged():
    src = TAGGER.replace("{LAYER}", "Softmax")
    assert lines(src, "PT010") == [line_of(src, "return self.softmax(")]


SEQ2SEQ = """import torch
import torch.nn as nn


class EncDec(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(4, 4)
        self.dec = nn.Linear(4, 1)

    def forward(self, x, y):
{CLEAR}
        return ((self.dec(self.enc(x)) - y) ** 2).mean()


def train(batches):
    model = EncDec()
    enc_optim = torch.optim.SGD(model.enc.parameters(), lr=0.1)
    dec_optim = torch.optim.SGD(model.dec.parameters(), lr=0.1)
    for x, y in batches:
        loss = model(x, y)
        loss.backward()
        enc_optim.step()
        dec_optim.step()
    return model
"""


def _grads_after_two_steps(src):
    ns: dict = {}
    exec(compile(src, "seq2seq.py", "exec"), ns)
    torch.manual_seed(0)
    x, y = torch.randn(3, 4), torch.randn(3, 1)
    model = ns["EncDec"]()
    grads = []
    for _ in range(2):
        model(x, y).backward()
        grads.append(model.enc.weight.grad.clone())
    return grads


def test_a_forward_that_clears_its_own_gradients_is_not_flagged():
    src = SEQ2SEQ.replace("{CLEAR}", "        self.zero_grad()")
    first, second = _grads_after_two_steps(src)
    assert torch.allclose(first, second)  # each backward starts from zero
    assert lines(src, "PT002") == []


def test_a_forward_that_does_not_clear_is_flagged():
    src = SEQ2SEQ.replace("{CLEAR}", "        pass")
    first, second = _grads_after_two_steps(src)
    assert torch.allclose(second, 2 * first)  # accumulated
    assert lines(src, "PT002") == [line_of(src, "enc_optim.step()"), line_of(src, "dec_optim.step()")]
