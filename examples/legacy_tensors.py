"""Tensor creation habits from older tutorials."""
import torch

scores = torch.FloatTensor([0.1, 0.7, 0.2])  # legacy constructor
labels = torch.LongTensor([0, 2, 1])
shape = torch.Tensor((3, 4))  # data [3., 4.], not a 3x4 tensor

weights = torch.randn(3, requires_grad=True)
snapshot = torch.tensor(weights)  # copies a tensor through torch.tensor: warns

print(scores, labels, shape, snapshot)
