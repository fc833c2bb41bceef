"""Findings on the nine projects added to bench/precision/manifest.toml in round 43, reduced to
their patterns.

Round 43 (Chinese learner code: Joonie04's and tiddster's Dive-into-DL scripts, lizhuofan-curry's
刘二大人 homework; English course and book code: falloutdurham's beginners-pytorch-deep-learning,
ankur6ue's deep-learning-course, btholath's deep-learning-with-pytorch; research code: cszn/KAIR,
yanx27's Pointnet_Pointnet2_pytorch, ajbrock/BigGAN-PyTorch; 561 files) gave 37 analysis findings
on code the rules had never seen: 34 true (PT005 ×10, among them d2l's ``PositionWiseFFN``
arguments swapped in four chapters; PT006 ×9, PT017 ×7, PT024 ×6, PT018, PT020), 3 false (PT004).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- Pointnet_Pointnet2_pytorch train_partseg.py:187, :188 and train_semseg.py:184:
  ``for points, ... in loader: points = points.data.numpy(); points[:, :, 0:3] = f(...)``. The
  loop's next batch, bound to the same target, was taken for the buffer the array shares, so
  the next iteration's ``points.data`` read "saw" the write. A loop target bound again is a new
  buffer: writes pending on the last one are forgotten.

A true finding with a wrong fix (found in review): tiddster "5. CNN/LeNet.py" flattens with
``feature.view(img.shape[0], 1)`` before ``Linear(256, …)``; the safe fix set ``in_features`` to
1, which is only the view's own literal. A count copied from a reshape target, not computed from
the layers, now gets no fix."""
from __future__ import annotations

import pytest

from rulecheck import fixed, line_of, lines, lint

torch = pytest.importorskip("torch")

AUGMENT = """import torch


def train(loader, model, optimizer):
    for points, label in loader:
        optimizer.zero_grad()
        {TAKE}
        points[:, :, 0:3] = scale(points[:, :, 0:3])
        {AFTER}
        loss = model(torch.Tensor(points)).sum()
        loss.backward()
        optimizer.step()
"""


def test_a_batch_rebound_to_its_numpy_array_and_written_is_not_read_again():
    batches = [torch.zeros(2, 5, 3), torch.zeros(2, 5, 3)]
    seen = []
    for points in batches:
        seen.append(points.sum().item())  # the next batch: a buffer of its own
        points = points.data.numpy()
        points[:, :, 0:3] = 1.0
    assert seen == [0.0, 0.0]
    src = AUGMENT.replace("{TAKE}", "points = points.data.numpy()").replace("{AFTER}", "pass")
    assert lines(src, "PT004") == []


def test_the_batch_read_after_its_array_is_written_is_flagged():
    src = AUGMENT.replace("{TAKE}", "arr = points.numpy()").replace(
        "points[:, :, 0:3] = scale(points[:, :, 0:3])", "arr[:, :, 0:3] = scale(arr[:, :, 0:3])").replace(
        "{AFTER}", "print(points.sum())")
    assert lines(src, "PT004") == [line_of(src, "arr[:, :, 0:3] = scale(arr[:, :, 0:3])")]


LENET_VIEW = """import torch
from torch import nn


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
                                  nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2))
        self.fc = nn.Sequential(nn.Linear(16 * 4 * 4, 120), nn.Sigmoid(), nn.Linear(120, 10))

    def forward(self, img):
        feature = self.conv(img)
        return self.fc(feature.view({TARGET}))
"""


def test_a_feature_count_copied_from_the_views_own_target_gets_no_in_features_fix():
    # tiddster Dive-Into-DL "5. CNN/LeNet.py": feature.view(img.shape[0], 1). The finding is true,
    # but in_features = 1 fixes nothing: the view of 16·4·4 elements per sample into 1 fails first.
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 25))
    with pytest.raises(RuntimeError):
        model(torch.zeros(2, 1, 28, 28)).view(2, 1)
    findings = lint(LENET_VIEW.replace("{TARGET}", "img.shape[0], 1"), "PT005")
    assert [f.line for f in findings] == [10] and findings[0].fix is None


def test_a_count_the_layers_compute_still_gets_the_fix():
    src = LENET_VIEW.replace("{TARGET}", "img.shape[0], -1").replace("16 * 4 * 4", "16 * 5 * 5") + \
        "\nLeNet()(torch.randn(2, 1, 28, 28))\n"
    findings = lint(src, "PT005")
    assert [f.line for f in findings] == [10] and findings[0].fix is not None
    assert fixed(src, "PT005").count("nn.Linear(256, 120)") == 1
