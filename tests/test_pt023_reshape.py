"""PT023 on inputs reshaped with -1: ``x.view(B, -1, F)`` / ``x.reshape(x.size(0), -1, F)``
with dim 0 the batch of a DataLoader is batch-first; a ``-1`` that is 1 for certain
(``f.view(t, -1, c * h * w)``) is the seq-first batch of one and stays silent."""
import pytest

from rulecheck import fixed, lines

HEAD = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"


def module_with(forward: str, init: str = "        self.rnn = nn.LSTM(256, 64)\n", batch_size: int = 32) -> str:
    return (HEAD + "class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n" + init
            + "    def forward(self, x):\n" + forward + "        return out\nmodel = M()\n"
            + f"for xb, yb in DataLoader(ds, batch_size={batch_size}):\n    model(xb)\n")


FLAG = {
    "loop view with B = x.size(0)": (
        HEAD + "lstm = nn.LSTM(256, 128)\nfor xb, yb in DataLoader(ds, batch_size=8):\n"
        "    B = xb.size(0)\n    seq = xb.view(B, -1, 256)\n    out, _ = lstm(seq)\n", 8),
    "forward, x rebound after a Linear": (module_with(
        "        x = self.fc(x)\n        x = x.reshape(x.size(0), -1, 256)\n        out, _ = self.rnn(x)\n",
        init="        self.fc = nn.Linear(512, 1024)\n        self.rnn = nn.LSTM(256, 64)\n"), 12),
    "forward, B = x.shape[0]": (module_with(
        "        B = x.shape[0]\n        feats = self.fc(x)\n        out, _ = self.rnn(feats.view(B, -1, 256))\n",
        init="        self.fc = nn.Linear(512, 1024)\n        self.rnn = nn.LSTM(256, 64)\n"), 12),
    "batched conv map (rank known from size())": (module_with(
        "        f = self.cnn(x)\n        b, c, h, w = f.size()\n        out, _ = self.rnn(f.view(b, -1, 256))\n",
        init="        self.cnn = nn.Conv2d(1, 16, 3)\n        self.rnn = nn.LSTM(256, 64)\n"), 12),
    "loop variable rebound by the reshape": (
        HEAD + "rnn = nn.LSTM(28, 64)\nfor images, labels in DataLoader(mnist, batch_size=100):\n"
        "    images = images.reshape(images.size(0), -1, 28)\n    out, _ = rnn(images)\n", 7),
    "embedding of a batch reshaped": (
        HEAD + "emb = nn.Embedding(100, 32)\ngru = nn.GRU(64, 64)\nfor ids, y in DataLoader(ds, batch_size=4):\n"
        "    e = emb(ids)\n    out, h = gru(e.reshape(e.shape[0], -1, 64))\n", 8),
}

SILENT = {
    "batch_first=True": HEAD + "lstm = nn.LSTM(256, 128, batch_first=True)\n"
    "for xb, yb in DataLoader(ds, batch_size=8):\n    out, _ = lstm(xb.view(xb.size(0), -1, 256))\n",
    "turned seq-first after the view": HEAD + "lstm = nn.LSTM(256, 128)\nfor xb, yb in DataLoader(ds, batch_size=8):\n"
    "    out, _ = lstm(xb.view(xb.size(0), -1, 256).transpose(0, 1))\n",
    "a literal 1 in dim 1 (seq-first batch of one)": HEAD + "lstm = nn.LSTM(256, 128)\n"
    "for xb, yb in DataLoader(ds, batch_size=8):\n    out, _ = lstm(xb.view(xb.size(0), 1, -1))\n",
    "the -1 is 1 whatever the sizes": module_with(
        "        f = self.cnn(x)\n        t, c, h, w = f.size()\n        out, _ = self.rnn(f.view(t, -1, c * h * w))\n",
        init="        self.cnn = nn.Conv2d(3, 16, 3)\n        self.rnn = nn.GRU(16 * 62 * 62, 32)\n", batch_size=16),
    "own collate_fn: layout unknown": HEAD + "from torch.nn.utils.rnn import pad_sequence\nlstm = nn.LSTM(256, 128)\n"
    "for xb in DataLoader(ds, batch_size=8, collate_fn=lambda b: pad_sequence(b)):\n"
    "    out, _ = lstm(xb.view(xb.size(0), -1, 256))\n",
    "loop variable rebound by an unknown function first": HEAD + "rnn = nn.LSTM(28, 64)\n"
    "for x, y in DataLoader(mnist, batch_size=100):\n    x = unknown_prep(x)\n"
    "    out, _ = rnn(x.view(x.size(0), -1, 28))\n",
    "not a DataLoader batch": HEAD + "lstm = nn.LSTM(256, 128)\nx = torch.randn(10, 4, 256)\n"
    "out, _ = lstm(x.view(x.size(0), -1, 256))\n",
    "dim 0 is the batch's dim 1": HEAD + "lstm = nn.LSTM(256, 128)\nfor xb, yb in DataLoader(ds, batch_size=8):\n"
    "    out, _ = lstm(xb.view(xb.size(1), -1, 256))\n",
    "the -1 leads, the batch is dim 1": HEAD + "lstm = nn.LSTM(256, 128)\nfor xb, yb in DataLoader(ds, batch_size=8):\n"
    "    out, _ = lstm(xb.view(-1, xb.size(0), 256))\n",
    # an unbatched (C, H, W) input gives a conv map whose dim 0 is channels: rank unknown here
    "conv map of unknown rank": module_with(
        "        f = self.cnn(x)\n        out, _ = self.rnn(f.view(f.size(0), -1, 256))\n",
        init="        self.cnn = nn.Conv2d(1, 16, 3)\n        self.rnn = nn.LSTM(256, 64)\n"),
    "forward never fed from a DataLoader": HEAD + "class M(nn.Module):\n    def __init__(self):\n"
    "        super().__init__()\n        self.rnn = nn.LSTM(256, 64)\n    def forward(self, x):\n"
    "        out, _ = self.rnn(x.view(x.size(0), -1, 256))\n        return out\nmodel = M()\n"
    "model(torch.randn(5, 3, 256))\n",
}


@pytest.mark.parametrize("name", FLAG)
def test_reshaped_batch_first_input_is_reported(name):
    src, line = FLAG[name]
    assert lines(src, "PT023") == [line]


@pytest.mark.parametrize("name", SILENT)
def test_seq_first_or_unknown_layouts_stay_silent(name):
    assert lines(SILENT[name], "PT023") == []


def test_fix_sets_batch_first():
    src, _ = FLAG["forward, B = x.shape[0]"]
    assert "nn.LSTM(256, 64, batch_first=True)" in fixed(src, "PT023", unsafe=True)


def test_the_claims_hold_in_torch():
    """What the rule reports mixes samples (sample 0 changes sample 1's output) unless
    batch_first=True; what it lets pass as 'the -1 is 1' is the literal-1 layout."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    feats = torch.randn(8, 1024)
    changed = feats.clone()
    changed[0] += 1.0
    seq_first = torch.nn.LSTM(256, 128)
    batch_first = torch.nn.LSTM(256, 128, batch_first=True)
    batch_first.load_state_dict(seq_first.state_dict())
    with torch.no_grad():
        a, _ = seq_first(feats.view(feats.size(0), -1, 256))
        b, _ = seq_first(changed.view(changed.size(0), -1, 256))
        assert not torch.allclose(a[1], b[1])
        a, _ = batch_first(feats.view(feats.size(0), -1, 256))
        b, _ = batch_first(changed.view(changed.size(0), -1, 256))
        assert torch.allclose(a[1], b[1])
    f = torch.randn(5, 16, 6, 6)
    t, c, h, w = f.size()
    assert f.view(t, -1, c * h * w).shape == f.view(t, 1, -1).shape == (5, 1, 576)
