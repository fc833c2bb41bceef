"""A classification training loop with the optimizer and LR-scheduler calls in the
wrong places."""
import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset

data = TensorDataset(torch.randn(256, 20), torch.randint(0, 3, (256,)))
loader = DataLoader(data, batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 3))
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)

for epoch in range(100):
    for xb, yb in loader:
        optimizer.zero_grad()
        optimizer.step()  # before backward: the gradients were just cleared
        loss = criterion(model(xb), yb)
        loss.backward()
        scheduler.step()  # step_size=30 means epochs, this runs every batch
