"""Training loops: where gradients quietly pile up.

`ptlint check examples/train_loop.py` reports PT002 at the `step()` calls whose
optimizer's gradients are never cleared in the same iteration.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 4))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
data = TensorDataset(torch.randn(256, 20), torch.randint(0, 4, (256,)))
loader = DataLoader(data, batch_size=32, shuffle=True)


def train(epochs: int) -> None:
    optimizer.zero_grad()                       # once, before training: not enough
    for epoch in range(epochs):
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()  # PT002
        print(f"epoch {epoch}: loss {loss.item():.3f}")


def train_accumulating(epochs: int, accum: int = 4) -> None:
    """Gradient accumulation done right: clear and step under the same condition."""
    for epoch in range(epochs):
        for i, (x, y) in enumerate(loader):
            loss = criterion(model(x), y) / accum
            loss.backward()
            if (i + 1) % accum == 0:
                optimizer.step()
                optimizer.zero_grad()


# A tiny GAN: the generator's optimizer is cleared, the discriminator's never is.
G = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 20))
D = nn.Sequential(nn.Linear(20, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4)
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4)


def train_gan(steps: int) -> None:
    for step in range(steps):
        real = torch.randn(32, 20)
        fake = G(torch.randn(32, 8))
        d_loss = F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean()
        d_loss.backward()
        opt_d.step()  # PT002: opt_d.zero_grad() is missing
        opt_g.zero_grad()
        g_loss = F.softplus(-D(fake)).mean()
        g_loss.backward()
        opt_g.step()


if __name__ == "__main__":
    train(2)
    train_gan(10)
