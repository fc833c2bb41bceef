"""The notes' MyModel and Sequential classifiers, trained with CrossEntropyLoss."""
import torch
import torch.nn as nn


class MyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(3, 4)
        self.linear2 = nn.Linear(4, 4)
        self.linear3 = nn.Linear(4, 2)
        nn.init.xavier_normal_(self.linear1.weight)
        nn.init.kaiming_normal_(self.linear2.weight)

    def forward(self, x):
        z1 = torch.tanh(self.linear1(x))
        z2 = torch.relu(self.linear2(z1))
        return torch.softmax(self.linear3(z2), dim=1)


model = nn.Sequential(
    nn.Linear(3, 4),
    nn.Tanh(),
    nn.Linear(4, 2),
    nn.Softmax(dim=1),
)

criterion = nn.CrossEntropyLoss()
x = torch.randn(8, 3)
y = torch.randint(0, 2, (8,))
for net in (MyModel(), model):
    loss = criterion(net(x), y)
    loss.backward()
