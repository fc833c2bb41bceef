"""A small encoder for 28×28 images whose first convolution silently ignores the last
row and column of every image: (28 + 2×0 − 1×(3 − 1) − 1) mod 2 = 1.

`ptlint check --select PT006 examples/conv_drops_remainder.py` points at it (PT006,
info); `padding=1` makes every pixel count."""
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.down1 = nn.Conv2d(1, 16, kernel_size=3, stride=2)
        self.down2 = nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 8)

    def forward(self, x):
        x = torch.relu(self.down1(x))
        x = torch.relu(self.down2(x))
        return self.fc(torch.flatten(self.pool(x), 1))


if __name__ == "__main__":
    print(Encoder()(torch.randn(1, 1, 28, 28)).shape)
