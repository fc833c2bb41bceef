"""Findings on the eight projects added to bench/precision/manifest.toml in round 31, reduced to
their patterns.

Round 31 (English course book: Godoy's Deep Learning with PyTorch Step-by-Step notebooks and
helpers; Chinese learner/competition code: lxztju's pytorch_classification; Chinese research
group code: Jindong Wang's transferlearning (code/ slice: DeepDA, DeepDG, deep/*, distance,
utils, notebooks); research code: Shangtong Zhang's DeepRL, kuangliu's torchcv, ZhaoJ9014's
face.evoLVe (PyTorch and PaddlePaddle variants); libraries: Lyken17's pytorch-OpCounter (thop),
a slice of pytorch/opacus (grad_sample, optimizers, layers, utils, privacy_engine, data_loader,
examples, tutorials); 462 files, 64,466 lines) gave 8 analysis findings on code the rules had
never seen: 6 true (PT017 x4, PT004, PT006), 2 false (PT002 x2).

True (each pattern kept as a must-flag test with its silent twin):
- face.evoLVe applications/align/get_nets.py (MTCNN PNet/RNet/ONet, 3 findings): ``a = F.softmax(a)``
  on the 4-D conv4_1 output and on the 2-D Linear outputs; opacus examples/tensor_parallelism_toy.py:
  ``F.softmax(x)`` after ``flatten(start_dim=1)`` (PT017; torch 2.13 warns "Implicit dimension choice
  for softmax has been deprecated"; dim 1 is picked, which is what the authors meant).
- PyTorchStepByStep Chapter01: ``dummy_tensor = torch.as_tensor(dummy_array); dummy_array[1] = 0``
  then ``dummy_tensor`` is shown (PT004; the book's deliberate demo, the saved output is
  tensor([1, 0, 3])).
- opacus examples/mnist.py SampleConvNet: ``Conv2d(16, 32, 4, 2)`` on the (N, 16, 13, 13) left by
  ``F.max_pool2d(x, 2, 1)``: output 5x5, row/column 12 never read (PT006; verified with torch 2.13:
  changing row and column 12 of the input leaves the output unchanged).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- face.evoLVe paddle/mult_gpu_training.py:213, :214: a PaddlePaddle training loop (``import paddle``,
  no torch import) that clears with ``OPTIMIZER.clear_grad()`` / ``OPTIMIZER_decay.clear_grad()``
  before ``loss.backward()`` and ``step()``. PT002 says nothing clears the gradients. Two decisions
  combine: the engine's relevance gate (rules/engine.py, ``"torch" in source.text``) lets the file in
  because a comment holds the URL https://pytorch.org/docs/stable/torchvision/... (paddle/train.py,
  the same loop without that comment, is not reported), and the loop-event pass
  (rules/flow/loop_events.py, ``LoopEventsMixin.loop_events``) only knows ``zero_grad`` as a clearing
  call, so paddle's ``clear_grad()`` (``clear_gradients()`` in older paddle) counts for nothing.
  Fixed in the flow: paddle's ``clear_grad()`` / ``clear_gradients()`` clear like ``zero_grad()``
  (rules/flow/transfer.py ``CLEARING_ALIASES``; torch has neither method, so it only silences)."""
from __future__ import annotations

from rulecheck import line_of, lines, lint


# --- PT002 (false): a PaddlePaddle loop that clears with clear_grad() ---------------------------

PADDLE_LOOP = """import paddle
import paddle.optimizer as optim
from paddle.vision import transforms

if __name__ == '__main__':
    train_transform = transforms.Compose([
        # refer to https://pytorch.org/docs/stable/torchvision/transforms.html for more augmentation
        transforms.ToTensor(),
    ])
    model = paddle.nn.Linear(4, 2)
    OPTIMIZER = optim.Momentum(parameters=model.parameters(), learning_rate=0.1, momentum=0.9)
    for epoch in range(10):
        for iters, data in enumerate(train_loader()):
            loss = ((model(data[0]) - data[1]) ** 2).mean()
            OPTIMIZER.clear_grad()
            loss.backward()
            OPTIMIZER.step()
"""


def test_paddle_loop_that_clears_with_clear_grad_is_not_flagged():
    assert lines(PADDLE_LOOP, "PT002") == []


def test_paddle_loop_without_a_torch_mention_is_not_flagged():
    # paddle/train.py: the same loop, no "torch" anywhere in the file: the engine leaves it out today
    src = PADDLE_LOOP.replace("https://pytorch.org/docs/stable/torchvision/transforms.html", "the docs")
    assert lines(src, "PT002") == []


TORCH_LOOP = """import torch
from torchvision import transforms

if __name__ == '__main__':
    train_transform = transforms.Compose([
        transforms.ToTensor(),
    ])
    model = torch.nn.Linear(4, 2)
    OPTIMIZER = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(10):
        for iters, data in enumerate(train_loader):
            loss = ((model(data[0]) - data[1]) ** 2).mean(){CLEAR}
            loss.backward()
            OPTIMIZER.step()
"""


def test_torch_loop_that_never_clears_is_flagged():
    src = TORCH_LOOP.replace("{CLEAR}", "")
    found = lint(src, "PT002")
    assert [f.line for f in found] == [line_of(src, "OPTIMIZER.step()")]
    assert found[0].message_en.startswith("`OPTIMIZER.step()` runs in a loop, but nothing clears")


def test_torch_loop_that_clears_with_zero_grad_is_not_flagged():
    src = TORCH_LOOP.replace("{CLEAR}", "\n            OPTIMIZER.zero_grad()")
    assert lines(src, "PT002") == []


# --- PT017: MTCNN's softmax without dim on the face-probability head ---------------------------

PNET = """import torch
import torch.nn as nn
import torch.nn.functional as F
from collections import OrderedDict


class PNet(nn.Module):
    def __init__(self):
        super(PNet, self).__init__()
        self.features = nn.Sequential(OrderedDict([
            ('conv1', nn.Conv2d(3, 10, 3, 1)),
            ('prelu1', nn.PReLU(10)),
            ('pool1', nn.MaxPool2d(2, 2, ceil_mode=True)),
            ('conv2', nn.Conv2d(10, 16, 3, 1)),
            ('prelu2', nn.PReLU(16)),
        ]))
        self.conv4_1 = nn.Conv2d(16, 2, 1, 1)
        self.conv4_2 = nn.Conv2d(16, 4, 1, 1)

    def forward(self, x):
        x = self.features(x)
        a = self.conv4_1(x)
        b = self.conv4_2(x)
        a = F.softmax(a{DIM})
        return b, a
"""


def test_softmax_without_dim_on_the_pnet_head_is_flagged():
    # torch 2.13 on (1, 2, 5, 5): "Implicit dimension choice for softmax has been deprecated"
    src = PNET.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "a = F.softmax(")]


def test_softmax_with_dim_on_the_pnet_head_is_not_flagged():
    src = PNET.replace("{DIM}", ", dim=1")
    assert lines(src, "PT017") == []


TP_TOY = """import torch.nn as nn
import torch.nn.functional as F


class SampleModule(nn.Module):
    def __init__(self):
        super(SampleModule, self).__init__()
        self.fc1 = nn.Linear(4, 32, bias=False)
        self.fc2 = nn.Linear(32, 4, bias=False)

    def forward(self, x):
        x = self.fc1(x)
        x = self.fc2(x).flatten(start_dim=1)
        x = F.softmax(x{DIM})
        return x
"""


def test_softmax_without_dim_after_flatten_is_flagged():
    src = TP_TOY.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "x = F.softmax(")]


def test_softmax_with_dim_after_flatten_is_not_flagged():
    src = TP_TOY.replace("{DIM}", ", dim=-1")
    assert lines(src, "PT017") == []


# --- PT004: the book's as_tensor shared-memory demo --------------------------------------------

AS_TENSOR = """import numpy as np
import torch

dummy_array = np.array([1, 2, 3])
dummy_tensor = torch.{MAKE}(dummy_array)
# Modifies the numpy array
dummy_array[1] = 0
# Tensor gets modified too...
print(dummy_tensor)
"""


def test_write_to_an_array_shared_with_as_tensor_is_flagged():
    # torch 2.13: dummy_tensor is tensor([1, 0, 3])
    src = AS_TENSOR.replace("{MAKE}", "as_tensor")
    assert lines(src, "PT004") == [line_of(src, "dummy_array[1] = 0")]


def test_write_to_an_array_copied_by_torch_tensor_is_not_flagged():
    src = AS_TENSOR.replace("{MAKE}", "tensor")
    assert lines(src, "PT004") == []


# --- PT006: opacus' MNIST SampleConvNet --------------------------------------------------------

SAMPLE_CONV_NET = """import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms


class SampleConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 8, 2, padding=3)
        self.conv2 = nn.Conv2d(16, 32, {K2}, 2)
        self.fc1 = nn.Linear(32 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        # x of shape [B, 1, 28, 28]
        x = F.relu(self.conv1(x))  # -> [B, 16, 14, 14]
        x = F.max_pool2d(x, 2, 1)  # -> [B, 16, 13, 13]
        x = F.relu(self.conv2(x))  # -> [B, 32, 5, 5]
        x = F.max_pool2d(x, 2, 1)  # -> [B, 32, 4, 4]
        x = x.view(-1, 32 * 4 * 4)  # -> [B, 512]
        x = F.relu(self.fc1(x))  # -> [B, 32]
        x = self.fc2(x)  # -> [B, 10]
        return x


train_loader = torch.utils.data.DataLoader(
    datasets.MNIST("../mnist", train=True, download=True, transform=transforms.ToTensor()),
    batch_size=256,
)
model = SampleConvNet()
for data, target in train_loader:
    output = model(data)
"""


def test_conv_that_skips_the_last_row_of_13x13_is_flagged():
    # torch 2.13: Conv2d(16, 32, 4, 2) on (1, 16, 13, 13) gives 5x5; row/column 12 do not change it
    src = SAMPLE_CONV_NET.replace("{K2}", "4")
    assert lines(src, "PT006") == [line_of(src, "x = F.relu(self.conv2(x))")]


def test_conv_that_covers_13x13_is_not_flagged():
    # kernel 5: (13 - 5) mod 2 = 0, output 5x5 as well, every row read
    src = SAMPLE_CONV_NET.replace("{K2}", "5")
    assert lines(src, "PT006") == []
