"""False positives and lost findings seen on the precision corpus (bench/precision, issue 12),
each reduced to the real pattern: a must-not-flag reproduction, with a must-flag twin where
the same machinery should still find the bug."""
from __future__ import annotations

from ptlint.rules import Config, lint_text


def found(src: str, code: str) -> list[int]:
    res = lint_text(src, "t.py", Config(select=(code,)))
    assert not res.rule_errors, res.rule_errors
    return [f.range.start.line for f in res.findings]


# ------------------------------------------------- PT005: a dataset only iterated for labels
# deeplearning-models' Lightning notebooks: a ToTensor MNIST is built at module level to count
# the labels; the model is trained on the DataModule's Resize((32, 32)) data. LeNet5 expects
# 32x32, so "MNIST is 28x28" is not the model's input.
LENET = """import torch
from torch import nn
from torchvision import datasets, transforms
from torch.utils.data import DataLoader

class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.MaxPool2d(2),
                                      nn.Conv2d(6, 16, 5), nn.Tanh(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), start_dim=1))

train_dataset = datasets.MNIST(root='data', train=True, transform=transforms.ToTensor())
train_loader = DataLoader(train_dataset, batch_size=256)
all_train_labels = []
for images, labels in train_loader:
    all_train_labels.append(labels)
"""
DATAMODULE = """
class DataModule:
    def prepare_data(self):
        datasets.MNIST(root='data', download=True)
        self.resize_transform = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])

    def setup(self, stage=None):
        self.train = datasets.MNIST(root='data', train=True, transform=self.resize_transform)
"""
BUILD = "model = LeNet5()\n"
# the model given the module-level loader's batches: the flow's evidence that MNIST is its input
FED = BUILD + "for images, labels in train_loader:\n    model(images)\n"


def test_a_dataset_built_again_with_a_resize_is_not_the_model_input():
    assert found(LENET + DATAMODULE + BUILD, "PT005") == []
    # handed the ToTensor loader's 28x28 batches, the model really fails: the flow follows them
    # and reports at the classifier's call (the trace, unsure which dataset, gives no input)
    assert found(LENET + DATAMODULE + FED, "PT005") == [14]


def test_a_resize_held_in_an_unrun_helper_also_makes_the_dataset_ambiguous():
    helper = ("\ndef loaders():\n"
              "    return datasets.MNIST('data', transform=transforms.Compose([transforms.Resize(32), "
              "transforms.ToTensor()]))\n")
    assert found(LENET + helper + BUILD, "PT005") == []


def test_the_only_dataset_still_gives_the_input_shape():
    # the same LeNet5 given the MNIST batches: 28x28 really is its input
    assert found(LENET + FED, "PT005") == [11]
    assert found(LENET + BUILD, "PT005") == []  # built beside the dataset, never fed: no evidence


def test_a_second_dataset_with_a_size_keeping_transform_keeps_the_finding():
    helper = ("\nnorm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1,), (0.3,))])\n"
              "def test_set():\n    return datasets.MNIST('data', train=False, transform=norm)\n")
    assert found(LENET + helper + FED, "PT005") == [11]


# ----------------------------------------------- PT015: a helper's local does not hide the import
# pytorch-book chapter 5: ``import torch as t`` and, in an unrelated helper, ``t = [...][-1]``.
# The helper's ``t`` is its own local; the module's ``t.empty`` is still torch.empty.
HELPER_LOCAL = """import torch as t

def predict(score, threshold):
    t = [score.index(x) for x in score if x > threshold][-1]
    return t

x_cpu = t.empty(2, device='cpu')
print(x_cpu, x_cpu.is_cuda)
"""


def test_a_function_local_of_the_same_name_does_not_hide_the_import():
    assert found(HELPER_LOCAL, "PT015") == [8]


def test_a_global_declaration_does_rebind_the_import():
    src = HELPER_LOCAL.replace("    t = [", "    global t\n    t = [")
    assert found(src, "PT015") == []


def test_inside_the_function_the_local_shadows_the_import():
    # there ``t`` is a list (or a parameter), not torch: nothing of torch's may be assumed
    src = ("import torch as t\nimport torch.nn as nn\n\n"
           "def f(nn):\n    x = t.empty(3)\n    return nn.CrossEntropyLoss()(x, t.zeros(3))\n\n"
           "def g(score):\n    t = score\n    y = t.empty(3)\n    print(y)\n")
    assert found(src, "PT015") == []
    assert found(src.replace("def f(nn):", "def f(m):"), "PT015") == [6]


# ------------------------------------ PT004: a twin made after the write, in a loop's next pass
# ssd.pytorch eval.py: per class, ``boxes = dets[:, 1:]`` is scaled in place, then
# ``scores = dets[:, 0].cpu().numpy()`` is made from the written memory. The loop's next pass
# rebinds ``dets`` to a new tensor: no twin of the old one sees the writes.
SSD_EVAL = """import numpy as np
import torch

def evaluate(net, x, w, h, all_boxes, i):
    detections = net(x).data
    for j in range(1, detections.size(1)):
        dets = detections[0, j, :]
        mask = dets[:, 0].gt(0.).expand(5, dets.size(0)).t()
        dets = torch.masked_select(dets, mask).view(-1, 5)
        if dets.size(0) == 0:
            continue
        boxes = dets[:, 1:]
        boxes[:, 0] *= w
        scores = dets[:, 0].cpu().numpy()
        cls_dets = np.hstack((boxes.cpu().numpy(), scores[:, np.newaxis]))
        all_boxes[j][i] = cls_dets
"""


def test_a_twin_made_after_the_write_is_not_changed_by_it():
    assert found(SSD_EVAL, "PT004") == []


def test_a_twin_made_before_the_write_still_sees_it():
    src = ("import numpy as np\nimport torch\nt = torch.zeros(4)\na = t.numpy()\nt.add_(1)\n"
           "b = t.numpy()\nprint(a)\n")
    assert found(src, "PT004") == [5]
