"""A binary classifier whose training loop mixes up logits and probabilities."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(16, 32)
        self.out = nn.Linear(32, 1)
        nn.init.xavier_uniform_(self.hidden.weight)  # followed by ReLU below
        nn.init.kaiming_normal_(self.out.weight)  # followed by a sigmoid below

    def forward(self, x):
        h = torch.relu(self.hidden(x))
        return torch.sigmoid(self.out(h))


class LogitModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc(x)


data = TensorDataset(torch.randn(100, 16), torch.randint(0, 2, (100,)).float())
loader = DataLoader(data, batch_size=32)
model = LogitModel()
criterion = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for xb, yb in loader:
    optimizer.zero_grad()
    out = model(xb)
    loss = criterion(out, yb.unsqueeze(1))  # raw logits into BCELoss
    loss.backward()
    optimizer.step()
    preds = out.squeeze()  # a batch of one loses its batch dim
    for p in preds:  # and iterating a 0-d tensor raises TypeError
        print(p.item())
