"""Findings on the eight projects added to bench/precision/manifest.toml in round 29, reduced to
their patterns.

Round 29 (Chinese learner code: LianHaiMiao's pytorch-lesson-zh lessons, each as a notebook and a
py/ script copy; Charmve's 《计算机视觉实战演练》 notebooks and L0CV helper package; English course
and book code: Raschka's STAT 453 SS21 notebooks, Packt's Modern Computer Vision with PyTorch;
research code: locuslab's TCN, sthalles' SimCLR; model zoos: osmr's pytorchcv models (every file
ends in a ``_test()`` that builds the nets and runs a dummy input), weiaicunzai's pytorch-cifar100;
584 files, 147,369 lines) gave 17 analysis findings on code the rules had never seen: 15 true
(PT017 x10, PT006 x3, PT005, PT020), 2 false (PT002, PT018).

True (each pattern kept as a must-flag test with its silent twin):
- pytorch-lesson-zh NLP/attention (notebook and script): ``F.softmax(self.attn(...))`` without dim
  on the (1, seq_len, 1) attention scores. For 3-D input the implicit dim is 0, of size 1, so every
  weight is exactly 1.0 (torch 2.13) and the context is the plain sum of the encoder outputs: a
  real bug, not only the deprecation (PT017).
- pytorch-lesson-zh decoders: ``self.softmax = nn.LogSoftmax()`` applied to ``self.out(output[0])``;
  FCN's ``F.log_softmax(out)`` in its training loop; the char-RNN sampler's ``F.softmax(out)``
  (PT017; dim 1 is picked, torch warns).
- Modern CV with PyTorch Cats_Vs_Dogs: ``Conv2d(k=3) -> ReLU -> BatchNorm2d -> MaxPool2d(2)``
  blocks on 224x224 reach 109x109 before a pool (PT006).
- pytorchcv squeezenet: the init block's ``Conv2d(3, 96, k=7, s=2)`` on the ``_test()`` input of
  224x224 never covers row/column 223 (PT006).
- pytorchcv propainter: ``_test()`` passes a (4, 5, 2, 240, 432) tensor as ``masked_frames``, which
  forward views as ``(batch * time, 3, H, W)`` (PT005; torch 2.13: "shape '[20, 3, 240, 432]' is
  invalid for input of size 4147200". The corpus call also lacks three of forward's arguments).
- L0CV utils: d2l's ``idx_to_char = list(set(corpus_chars))`` (PT020).

False (fixed after this round was scored; the must-not-flag tests below, each with its must-flag twin):
- computer-vision-in-action L0CV/utils.py: d2l's MXNet ``train_and_predict_rnn`` (``with
  autograd.record():``, ``nd.concat``, ``gloss``, ``l.asscalar()``) pasted into a torch utils file
  that never imports ``autograd``, ``nd`` or ``gloss``. PT002 reports the hand-written ``sgd()``'s
  ``param[:] = param - lr * param.grad / batch_size`` as accumulating, but MXNet's backward writes
  the gradients (grad_req='write'), and under torch the loop cannot run at all. It is reported the
  same with ``from mxnet import autograd, nd`` next to ``import torch`` (a file without any torch
  import is not checked at all).
- pytorch-cifar100 train.py: ``if epoch > args.warm: train_scheduler.step(epoch)`` opens each epoch
  before ``train(epoch)``. Epochs count from 1 and warm is 1, so the first scheduler step comes
  after a whole epoch of ``optimizer.step()``: torch 2.13 gives no order warning and, without the
  epoch argument, exactly the schedule of stepping at the end of each epoch. PT018 did not see
  that the scheduler step is conditional on the epoch counter.
Now a loop with MXNet's ``autograd.record()`` (``autograd`` not torch's) is not PT002's, and a
scheduler step under ``if epoch > bound:`` (``>=``, ``!=``, mirrored) that fails for the range's
first value, or whose bound is not known, is not PT018's."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines, lint


# --- PT017: softmax without dim over (1, seq_len, 1) attention scores: dim 0, all ones ------------

ATTN_DECODER = """import torch
import torch.nn as nn
import torch.nn.functional as F

class AttentionDecoder(nn.Module):
    def __init__(self, hidden_size, output_size, max_length=10):
        super(AttentionDecoder, self).__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attn = nn.Sequential(
            nn.Linear(hidden_size * 2, max_length),
            nn.Tanh(),
            nn.Linear(max_length, 1)
        )
        self.attn_combine = nn.Linear(hidden_size * 2, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax({LOGDIM})

    def forward(self, x, hidden, encoder_outputs):
        cur_input_data = self.embedding(x).view(1, 1, -1)
        cur_seq_len = encoder_outputs.size()[1]
        hidden_broadcast = hidden.expand(1, cur_seq_len, self.hidden_size)
        encoder_outputs_and_hiddens = torch.cat((encoder_outputs, hidden_broadcast), dim=2)
        attn_weights = F.softmax(
            self.attn(encoder_outputs_and_hiddens){DIM})  # size: 1 * seq_len * 1
        decoder_context = torch.bmm(attn_weights.view(1, 1, -1), encoder_outputs)
        input_and_context = torch.cat((cur_input_data, decoder_context), dim=2)
        concat_input = self.attn_combine(input_and_context)
        output, hidden = self.gru(concat_input, hidden)
        output = self.softmax(self.out(output[0]))
        return output, hidden, attn_weights
"""


def test_softmax_without_dim_over_attention_scores_is_flagged():
    # torch 2.13 on (1, 7, 1) scores: all seven weights are 1.0 (dim 0 has size 1), plus the
    # deprecation warning; the LogSoftmax() on the (1, output_size) output warns too.
    src = ATTN_DECODER.replace("{DIM}", "").replace("{LOGDIM}", "")
    assert lines(src, "PT017") == [line_of(src, "self.softmax = nn.LogSoftmax("),
                                   line_of(src, "attn_weights = F.softmax(")]


def test_softmax_with_dim_over_attention_scores_is_not_flagged():
    src = ATTN_DECODER.replace("{DIM}", ", dim=1").replace("{LOGDIM}", "dim=1")
    assert lines(src, "PT017") == []


# --- PT017: log_softmax without dim on a segmentation net's scores, in the training loop --------

FCN_LOOP = """import torch.nn.functional as F

def train_test(model, trainloader, criterion, optimizer, num_epoches):
    for epoch in range(num_epoches):
        for batch_idx, data in enumerate(trainloader, 1):
            im, label = data
            out = model(im)
            out = F.log_softmax(out{DIM})
            minibatch_loss = criterion(out, label)
            optimizer.zero_grad()
            minibatch_loss.backward()
            optimizer.step()
"""


def test_log_softmax_without_dim_in_a_training_loop_is_flagged():
    src = FCN_LOOP.replace("{DIM}", "")
    found = lint(src, "PT017")
    assert [f.line for f in found] == [line_of(src, "F.log_softmax(out")]
    assert "the rank is not known here" in found[0].message_en


def test_log_softmax_with_dim_in_a_training_loop_is_not_flagged():
    assert lines(FCN_LOOP.replace("{DIM}", ", dim=1"), "PT017") == []


# --- PT006: conv/BN/pool blocks on 224x224 reach an odd size before MaxPool2d(2) ----------------

CATS_DOGS = """import torch.nn as nn
from torchsummary import summary

def conv_layer(ni, no, kernel_size, stride=1):
    return nn.Sequential(
        nn.Conv2d(ni, no, kernel_size, stride),
        nn.ReLU(),
        nn.BatchNorm2d(no),
        nn.MaxPool2d(2{CEIL})
    )

def get_model():
    model = nn.Sequential(
        conv_layer(3, 64, 3),
        conv_layer(64, 512, 3),
        nn.Flatten(),
    )
    return model

model = get_model()
summary(model, input_size=(3, 224, 224))
"""


def test_pool_on_an_odd_size_after_conv_blocks_is_flagged():
    # 224 -> conv 222 -> pool 111 -> conv 109 -> pool 54: row/column 108 is never read.
    src = CATS_DOGS.replace("{CEIL}", "")
    found = lint(src, "PT006")
    assert [f.line for f in found] == [line_of(src, "nn.MaxPool2d(2")]
    assert "109" in found[0].message_en


def test_pool_with_ceil_mode_after_conv_blocks_is_not_flagged():
    assert lines(CATS_DOGS.replace("{CEIL}", ", ceil_mode=True"), "PT006") == []


# --- PT006: a zoo model's stride-2 7x7 stem on the _test() input ---------------------------------

STEM_TEST = """import torch
import torch.nn as nn

class InitBlock(nn.Module):
    def __init__(self, in_channels, out_channels):
        super(InitBlock, self).__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=7, stride=2)
        self.activ = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.conv(x)
        x = self.activ(x)
        return x

class SqueezeNetStem(nn.Module):
    def __init__(self, in_channels=3, init_block_channels=96):
        super(SqueezeNetStem, self).__init__()
        self.init_block = InitBlock(in_channels, init_block_channels)

    def forward(self, x):
        return self.init_block(x)

def _test():
    net = SqueezeNetStem()
    x = torch.randn(1, 3, {SIZE}, {SIZE})
    y = net(x)
    assert (tuple(y.size())[:2] == (1, 96))
"""


def test_stride_two_stem_that_skips_the_last_row_is_flagged():
    # torch 2.13: (1, 96, 109, 109); the windows reach 2 * 108 + 6 = 222, so 223 is never covered.
    src = STEM_TEST.replace("{SIZE}", "224")
    assert lines(src, "PT006") == [line_of(src, "x = self.conv(x)")]


def test_stride_two_stem_that_covers_every_row_is_not_flagged():
    assert lines(STEM_TEST.replace("{SIZE}", "227"), "PT006") == []


# --- PT005: a test input with 2 channels where forward views 3 ----------------------------------

VIEW_TEST = """import torch
import torch.nn as nn

class Inpainter(nn.Module):
    def __init__(self):
        super(Inpainter, self).__init__()
        self.encoder = nn.Conv2d(4, 8, kernel_size=3, padding=1)

    def forward(self, masked_frames, masks_in):
        batch, time, _, orig_height, orig_width = masked_frames.size()
        enc_feat = self.encoder(torch.cat([
            masked_frames.view(batch * time, 3, orig_height, orig_width),
            masks_in.view(batch * time, 1, orig_height, orig_width)], dim=1))
        return enc_feat

def _test():
    net = Inpainter()
    x1 = torch.randn(4, 5, {CH}, 240, 432)
    x2 = torch.randn(4, 5, 1, 240, 432)
    y = net(x1, x2)
"""


def test_view_of_a_test_input_with_too_few_channels_is_flagged():
    # torch 2.13: "shape '[20, 3, 240, 432]' is invalid for input of size 4147200".
    src = VIEW_TEST.replace("{CH}", "2")
    found = lint(src, "PT005")
    assert [f.line for f in found] == [line_of(src, "masked_frames.view(batch * time, 3")]
    assert "4147200" in found[0].message_en


def test_view_of_a_test_input_with_the_right_channels_is_not_flagged():
    assert lines(VIEW_TEST.replace("{CH}", "3"), "PT005") == []


# --- PT020: d2l's character vocabulary from set() -------------------------------------------------

VOCAB = """import torch


def load_data_time_machine():
    with open('../data/timemachine.txt') as f:
        corpus_chars = f.read()
    corpus_chars = corpus_chars.replace('\\n', ' ').replace('\\r', ' ').lower()
    corpus_chars = corpus_chars[0:10000]
    idx_to_char = list({SET}(corpus_chars))
    char_to_idx = dict([(char, i) for i, char in enumerate(idx_to_char)])
    return char_to_idx, idx_to_char
"""


def test_vocabulary_in_set_order_is_flagged():
    src = VOCAB.replace("{SET}", "set")
    assert lines(src, "PT020") == [line_of(src, "idx_to_char = list(")]


def test_vocabulary_in_sorted_order_is_not_flagged():
    assert lines(VOCAB.replace("list({SET}(corpus_chars))", "sorted(set(corpus_chars))"), "PT020") == []


# --- PT002 false positive: d2l's MXNet RNN loop pasted into a torch file --------------------------

MXNET_LOOP = """{IMPORTS}

def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def train(net, params, data_iter, lr, batch_size):
    loss = gloss.SoftmaxCrossEntropyLoss()
    for X, y in data_iter:
        with autograd.record():
            l = loss(net(X, params), y).sum()
        l.backward()
        sgd(params, lr, batch_size)
        print(l.asscalar())
"""


@pytest.mark.parametrize("imports", [
    "import torch",  # the corpus file: autograd, nd and gloss are never imported
    "import torch\nfrom mxnet import autograd, nd\nfrom mxnet.gluon import loss as gloss",
])
def test_mxnet_loop_in_a_torch_file_is_not_flagged(imports):
    # MXNet's backward() writes the gradients (grad_req='write'); under torch this loop cannot
    # run (autograd.record, gloss and asscalar do not exist).
    src = MXNET_LOOP.replace("{IMPORTS}", imports)
    assert lines(src, "PT002") == []


def test_torch_loop_with_a_hand_written_sgd_that_never_clears_is_flagged():
    # The torch version of the loop: every backward() adds to param.grad, nothing clears it.
    src = (MXNET_LOOP.replace("{IMPORTS}", "import torch")
           .replace("    loss = gloss.SoftmaxCrossEntropyLoss()\n", "    loss = torch.nn.CrossEntropyLoss()\n")
           .replace("        with autograd.record():\n            l = ", "        l = ")
           .replace("l.asscalar()", "l.item()"))
    assert lines(src, "PT002") == [line_of(src, "param[:] = param - lr * param.grad")]


# --- PT018 false positive: the scheduler steps only from the second epoch on ----------------------

CIFAR_TRAIN = """import torch
import torch.nn as nn
import torch.optim as optim

net = nn.Linear(4, 2)
optimizer = optim.SGD(net.parameters(), lr=0.1)
train_scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[60, 120, 160], gamma=0.2)
warm = 1


def train(epoch):
    for x, y in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()


for epoch in range(1, 200 + 1):
{BODY}
    train(epoch)
"""
GUARDED = "    if epoch > warm:\n        train_scheduler.step({ARG})"


@pytest.mark.parametrize("arg", ["epoch", ""])
def test_scheduler_step_guarded_to_later_epochs_is_not_flagged(arg):
    # torch 2.13 (MultiStepLR, epochs from 1, warm = 1): no "Detected call of lr_scheduler.step()
    # before optimizer.step()" warning; with step() the rates equal stepping at each epoch's end.
    src = CIFAR_TRAIN.replace("{BODY}", GUARDED.replace("{ARG}", arg))
    assert lines(src, "PT018") == []


def test_unguarded_scheduler_step_before_the_first_epoch_is_flagged():
    # Without the guard the first call precedes every optimizer.step(): torch 2.13 warns.
    src = CIFAR_TRAIN.replace("{BODY}", "    train_scheduler.step(epoch)")
    assert lines(src, "PT018") == [line_of(src, "train_scheduler.step(epoch)")]


@pytest.mark.parametrize("guard", ["if epoch >= 2:", "if 1 < epoch:", "if epoch != 1:", "if epoch > args.warm:"])
def test_other_guards_that_skip_the_first_epoch_are_not_flagged(guard):
    src = CIFAR_TRAIN.replace("{BODY}", f"    {guard}\n        train_scheduler.step()")
    assert lines(src, "PT018") == []


@pytest.mark.parametrize("guard", ["if epoch > 0:", "if epoch >= 1:", "if epoch % 2 == 1:"])
def test_guards_that_let_the_first_epoch_through_are_still_flagged(guard):
    # range(1, ...): each of these holds for epoch == 1, so the first call precedes every optimizer.step()
    src = CIFAR_TRAIN.replace("{BODY}", f"    {guard}\n        train_scheduler.step()")
    assert lines(src, "PT018") == [line_of(src, "train_scheduler.step()")]

