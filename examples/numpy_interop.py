"""Memory shared between numpy and torch: `.numpy()` and `torch.from_numpy()` do not copy.

`ptlint check examples/numpy_interop.py` reports PT004 at in-place writes that change
the other side when it is read again.
"""
import numpy as np
import torch

# Normalising a batch "on the numpy side" also normalises the tensor it came from.
batch = torch.rand(4, 3, 8, 8)
pixels = batch.numpy()
pixels -= pixels.mean()  # PT004
print("tensor mean after numpy edit:", batch.mean().item())

# Loading data once and augmenting in place: the tensor made from it changes too.
features = np.random.rand(100, 16)
dataset = torch.from_numpy(features)
np.random.shuffle(features)  # PT004
first = dataset[0]

# Copies where sharing is not wanted: nothing to report.
scores = torch.randn(10)
hist = scores.numpy().copy()
hist[hist < 0] = 0
print(scores.min())

weights = np.ones(5)
w = torch.tensor(weights)        # torch.tensor copies
weights[0] = 0.0
print(w)
