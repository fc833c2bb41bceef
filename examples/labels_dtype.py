"""Class labels for cross-entropy: int64 class indices, or probabilities of the input's shape.

`ptlint check examples/labels_dtype.py` reports PT003 where the target cannot work.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

criterion = nn.CrossEntropyLoss()
logits = torch.randn(6, 8)                      # 6 samples, 8 classes

# class indices typed as floats
labels = torch.tensor([1., 0., 3., 2., 5., 4.])
loss = criterion(logits, labels)  # PT003

# labels read with numpy as int32 (a common default when loading CSVs or on Windows)
raw = np.array([1, 0, 3, 2, 5, 4], dtype=np.int32)
targets = torch.from_numpy(raw)
loss = F.cross_entropy(logits, targets)  # PT003


class Classifier(nn.Module):
    def __init__(self, n_in: int, n_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(n_in, n_classes)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    def training_step(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # "BCE habits": converting labels to float before the loss
        return self.loss_fn(self.fc(x), y.float())  # PT003


# All fine: int64 indices, and probability targets of the input's shape.
good = torch.tensor([1, 0, 3, 2, 5, 4])
loss = criterion(logits, good)
probs = torch.randn(6, 8).softmax(dim=1)
loss = criterion(logits, probs)
soft = F.one_hot(good, num_classes=8).float() * 0.9 + 0.1 / 8
loss = criterion(logits, soft)
