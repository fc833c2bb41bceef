"""PT023 when the ``-1`` of a reshape is in dim 0: ``xb.view(-1, 28, 28)`` of a DataLoader
batch ``(B, 1, 28, 28)`` is ``(B, 28, 28)``, still batch-first (the flow resolves the -1 to
exactly the batch's dim 0); an RNN built without ``batch_first=True`` then reads the batch
as time. Any other value of the -1 (``2 * B``, unknown) stays silent."""
import pytest

from rulecheck import lines

HEAD = ("import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "ds = TensorDataset(torch.randn(100, 1, 28, 28), torch.randint(0, 10, (100,)))\n")


def loop(rnn: str, body: str) -> str:
    return HEAD + f"rnn = {rnn}\nfor xb, yb in DataLoader(ds, batch_size=8):\n" + body


FLAG = {
    "view(-1, 28, 28) of the batch": (loop("nn.LSTM(28, 64)", "    seq = xb.view(-1, 28, 28)\n    out, _ = rnn(seq)\n"), 8),
    "reshape(-1, 28, 28) inline into a GRU": (loop("nn.GRU(28, 32)", "    out, h = rnn(xb.reshape(-1, 28, 28))\n"), 7),
    "view(-1, 784, 1)": (loop("nn.RNN(1, 16)", "    out, h = rnn(xb.view(-1, 784, 1))\n"), 7),
}

SILENT = {
    "batch_first=True": loop("nn.LSTM(28, 64, batch_first=True)", "    out, _ = rnn(xb.view(-1, 28, 28))\n"),
    "permuted to seq-first after the view": loop(
        "nn.LSTM(28, 64)", "    out, _ = rnn(xb.view(-1, 28, 28).permute(1, 0, 2))\n"),
    "the -1 is twice the batch, not the batch": loop("nn.LSTM(14, 64)", "    out, _ = rnn(xb.view(-1, 28, 14))\n"),
    "the -1 is time, the batch is given in dim 1": loop(
        "nn.LSTM(28, 64)", "    out, _ = rnn(xb.view(-1, xb.size(0), 28))\n"),
    "a dataset of unknown shape": HEAD.replace("torch.randn(100, 1, 28, 28)", "load_images()")
    + "rnn = nn.LSTM(28, 64)\nfor xb, yb in DataLoader(ds, batch_size=8):\n    out, _ = rnn(xb.view(-1, 28, 28))\n",
}


@pytest.mark.parametrize("name", FLAG)
def test_a_leading_minus_one_that_is_the_batch_is_reported(name):
    src, line = FLAG[name]
    assert lines(src, "PT023") == [line]


@pytest.mark.parametrize("name", SILENT)
def test_other_leading_minus_ones_stay_silent(name):
    assert lines(SILENT[name], "PT023") == []


def test_the_claim_holds_in_torch():
    """view(-1, 28, 28) keeps the batch in dim 0, and a seq-first LSTM then mixes samples:
    changing sample 1 changes sample 2's output; with batch_first=True it does not."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    xb = torch.randn(8, 1, 28, 28)
    seq = xb.view(-1, 28, 28)
    assert seq.shape == (8, 28, 28)
    changed = seq.clone()
    changed[1] += 1.0
    seq_first = torch.nn.LSTM(28, 64)
    assert not torch.allclose(seq_first(seq)[0][2], seq_first(changed)[0][2])
    batch_first = torch.nn.LSTM(28, 64, batch_first=True)
    assert torch.allclose(batch_first(seq)[0][2], batch_first(changed)[0][2])
