"""Findings on the eight projects added to bench/precision/manifest.toml in round 38, reduced to
their patterns.

Round 38 (Chinese learner code: ZZy979's pytorch-tutorial, percent4's PyTorch_Learning,
alexchungio's Pytorch-Learning-Advance; English course material: UIUC CS547 (share020/dl), a
Sharif deep-learning course's homework; research code: facebookresearch/DrQA,
taesungp/contrastive-unpaired-translation; application: JaidedAI/EasyOCR; 498 files) gave 19
analysis findings on code the rules had never seen: 14 true (PT004 ×5, PT006 ×3, PT003 ×2,
PT001, PT002, PT010, PT015), 5 false (PT004 ×3, PT005 ×2).

False (fixed after the round was scored; each must-not-flag test passes beside its must-flag twin):
- UIUC mp6 train.py:302-303, EasyOCR recognition.py:119 (PT004): in a loop,
  ``samples = gen(z)`` then ``samples = samples.cpu().numpy()`` then ``samples += 1``: the
  flow named the tensor of every iteration after the call that made it, so the next
  iteration's ``.numpy()`` read of the new tensor looked like a read of the memory the last
  iteration wrote. A node that runs again now makes new memory: what was pending on the old
  buffer is forgotten.
- alexchungio Grammar/classification.ipynb, dropout.ipynb (PT005): ``def evaluate(loader, net):
  for x, y in loader: net(x)`` beside a module-level demo ``x = torch.rand(2, 5)``: the shape
  trace, not following the loop, left the loop's ``x`` unbound in the function and read the
  module's ``x``. In a function every name a statement assigns is a local.

Missed, found after the fix (PT010, percent4's models): ``x = self.softmax(x); return x`` with
``self.softmax = nn.Softmax(dim=1)``; PT010 read only a returned name assigned once. It now asks
the flow which call made the returned value."""
from __future__ import annotations

import numpy as np
import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

REBIND = """import torch

gen = torch.nn.Linear(4, 4)
for epoch in range(2):
    with torch.no_grad():
        samples = gen(torch.randn(3, 4))
        {SHARE}
        samples += 1.0
    print(samples.mean())
"""


def test_a_name_rebound_to_a_fresh_tensors_array_each_iteration_is_not_flagged():
    src = REBIND.replace("{SHARE}", "samples = samples.data.cpu().numpy()")
    assert lines(src, "PT004") == []


def test_a_tensor_kept_beside_its_array_across_the_write_is_flagged():
    t = torch.zeros(3)
    a = t.numpy()
    a += 1.0
    assert t.tolist() == [1.0, 1.0, 1.0]  # the write shows through the tensor
    src = REBIND.replace("{SHARE}", "array = samples.numpy()").replace("samples += 1.0", "array += 1.0")
    assert lines(src, "PT004") == [line_of(src, "array += 1.0")]


SHADOW = """import torch
import torch.utils.data as data

x = torch.rand((2, 5))
print(x.softmax(dim=1))


def net(x):
    return x.view(-1, 784)


def evaluate(loader):
    for x, y in loader:
        net(x)


evaluate(data.DataLoader(data.TensorDataset(torch.rand(8, 1, 28, 28), torch.zeros(8)), batch_size=4))
"""


def test_a_loop_target_in_a_function_is_not_the_modules_name():
    assert tuple(torch.rand(4, 1, 28, 28).view(-1, 784).shape) == (4, 784)
    assert lines(SHADOW, "PT005") == []


def test_the_modules_tensor_given_to_the_function_is_flagged():
    with pytest.raises(RuntimeError, match="invalid for input of size 10"):
        torch.rand(2, 5).view(-1, 784)
    src = SHADOW + "net(x)\n"
    assert lines(src, "PT005") == [line_of(src, "return x.view(-1, 784)")]


SOFTMAX_LAYER = """import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.fc(x)
        {LAST}
        return x


model = Net()
criterion = nn.CrossEntropyLoss()
x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
loss = criterion(model(x), y)
"""


def test_a_softmax_layer_on_the_returned_name_is_flagged():
    src = SOFTMAX_LAYER.replace("{LAST}", "x = self.softmax(x)")
    assert lines(src, "PT010") == [line_of(src, "x = self.softmax(x)")]


def test_a_softmax_applied_only_when_not_training_is_not_flagged():
    src = SOFTMAX_LAYER.replace("{LAST}", "if not self.training:\n            x = self.softmax(x)")
    assert lines(src, "PT010") == []


def test_numpy_array_of_a_fresh_tensor_is_its_own_memory_each_time():
    arrays = [torch.zeros(2).numpy() for _ in range(2)]
    arrays[0] += 1
    assert np.array_equal(arrays[1], np.zeros(2))
