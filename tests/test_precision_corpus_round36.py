"""Findings on the eight projects added to bench/precision/manifest.toml in round 36, reduced to
their patterns.

Round 36 (Chinese learner code: lansinuote's Simple_Reinforcement_Learning, TommyZihao's
Train_Custom_Dataset; English course material: Packt's Mastering-PyTorch, the Coursera GAN
specialization; research code: xingyizhou's CenterNet, graphdeeplearning's benchmarking-gnns;
libraries: pytorch-metric-learning, thuml's Time-Series-Library; 609 files) gave 11 analysis
findings on code the rules had never seen: 9 true (PT006 ×6: Conv2d(k=4, s=2) discriminators
on 28×28 MNIST, PT005: a GoogLeNet block given 192 channels where it expects 256, PT017 ×2),
2 false (PT005).

False (fixed after the round was scored; each must-not-flag test passes beside its must-flag twin):
- Coursera C1W3_WGAN_GP: the generator, called only with ``torch.randn(len(real), z_dim)``
  noise inside the MNIST loop, was given the dataset's (N, 1, 28, 28) images as its input by
  the shape trace, so its ``noise.view(len(noise), z_dim, 1, 1)`` looked wrong. A model the
  file calls with a tensor of another rank (known to the trace, or to the flow, which knows
  the batch ``len(real)`` counts) no longer takes the dataset as its input.
- Coursera C3W2B: ``torch.cat([x, y], axis=1)`` in a ``forward``: the flow joined along dim 0
  (``axis`` is torch's alias of ``dim`` for its native functions), so the conv after it looked
  given 5 channels instead of 10."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

GAN = """import torch
from torch import nn
from torchvision import transforms
from torchvision.datasets import MNIST
from torch.utils.data import DataLoader


class Generator(nn.Module):
    def __init__(self, z_dim=10):
        super().__init__()
        self.z_dim = z_dim
        self.gen = nn.ConvTranspose2d(z_dim, 1, 28)

    def forward(self, noise):
        x = noise.view(len(noise), self.z_dim, 1, 1)
        return self.gen(x)


dataloader = DataLoader(MNIST('.', transform=transforms.ToTensor()), batch_size=128)
gen = Generator(64)
for real, _ in dataloader:
    fake = gen({FED})
"""


def test_a_generator_fed_noise_does_not_take_the_datasets_images():
    noise = torch.randn(5, 64)
    assert tuple(noise.view(len(noise), 64, 1, 1).shape) == (5, 64, 1, 1)
    assert lines(GAN.replace("{FED}", "torch.randn(len(real), 64)"), "PT005") == []


def test_the_same_model_fed_the_images_is_flagged():
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        torch.zeros(5, 1, 28, 28).view(5, 64, 1, 1)
    src = GAN.replace("{FED}", "real")
    assert lines(src, "PT005") == [line_of(src, "x = noise.view(len(noise), self.z_dim, 1, 1)")]


CAT = """import torch
from torch import nn


class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d({IN}, 8, kernel_size=1)

    def forward(self, x, y):
        return self.conv(torch.cat([x, y], axis=1))


D()(torch.randn(1, 5, 32, 32), torch.randn(1, 5, 32, 32))
"""


def test_cat_along_axis_1_gives_the_conv_both_inputs_channels():
    x = torch.randn(1, 5, 32, 32)
    assert tuple(torch.nn.Conv2d(10, 8, 1)(torch.cat([x, x], axis=1)).shape) == (1, 8, 32, 32)
    assert lines(CAT.replace("{IN}", "10"), "PT005") == []


def test_a_conv_expecting_other_channels_after_the_cat_is_flagged():
    src = CAT.replace("{IN}", "5")
    assert lines(src, "PT005") == [line_of(src, "return self.conv(torch.cat([x, y], axis=1))")]
