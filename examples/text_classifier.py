"""An LSTM text classifier over padded token ids from a DataLoader."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

VOCAB, EMB, HIDDEN, CLASSES = 5000, 128, 256, 4


class TextClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMB)
        self.lstm = nn.LSTM(EMB, HIDDEN)  # expects (seq_len, batch, EMB)
        self.fc = nn.Linear(HIDDEN, CLASSES)

    def forward(self, ids):
        emb = self.embedding(ids)
        out, (h, c) = self.lstm(emb)  # gets (batch, seq_len, EMB) from the DataLoader
        return self.fc(h[-1])


ids = torch.randint(0, VOCAB, (512, 40))
labels = torch.randint(0, CLASSES, (512,))
loader = DataLoader(TensorDataset(ids, labels), batch_size=64, shuffle=True)
model = TextClassifier()
optimizer = torch.optim.Adam(model.parameters())
criterion = nn.CrossEntropyLoss()

for xb, yb in loader:
    optimizer.zero_grad()
    loss = criterion(model(xb), yb)
    loss.backward()
    optimizer.step()

# a quick look at a few word vectors, with the ids stored the old way: as floats
lookup = nn.Embedding(VOCAB, EMB)
probe_ids = torch.Tensor([[1, 2, 3, 4]])
print(lookup(probe_ids).shape)
