"""A small classifier with two classic slips: a softmax without dim and a dropout
probability written as a percentage."""
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 64)
        self.drop = nn.Dropout(50)
        self.fc2 = nn.Linear(64, 3)
        self.out = nn.Softmax()

    def forward(self, x):
        x = self.drop(torch.relu(self.fc1(x)))
        return self.out(self.fc2(x))


if __name__ == "__main__":
    print(Classifier()(torch.randn(4, 20)).shape)
