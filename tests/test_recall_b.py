"""Recall of PT018, PT020, PT022–PT025 on the bug patterns of issue 13, each written from
real posted code: the rule flags the pattern, stays silent on its correct twin, and the
behaviour the finding claims is checked against torch / Python themselves."""
import os
import subprocess
import sys
import warnings

import pytest

from rulecheck import lint, lines

torch = pytest.importorskip("torch")


def run(src, **env):
    return subprocess.run([sys.executable, "-c", src], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


# ---------------------------------------------------------------- PT022
STACKED_EMBEDDINGS = """import torch
import torch.nn as nn
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_emb = nn.Embedding(100, 16)
        self.pos_emb = nn.Embedding(100, 16)
    def forward(self, x):
        e = self.word_emb(x)
        return e + self.pos_emb(e)
"""


def test_pt022_an_embedding_fed_another_embeddings_output_raises():
    found = lint(STACKED_EMBEDDINGS, "PT022")
    assert [f.line for f in found] == [10]
    assert "self.word_emb" in found[0].message_en and found[0].fix is None
    assert {r.range.start.line for r in found[0].related} == {6, 9}
    ns = {}
    exec(STACKED_EMBEDDINGS, ns)
    with pytest.raises(RuntimeError, match="Long, Int"):
        ns["Encoder"]()(torch.tensor([[1, 2, 3]]))


def test_pt022_the_ids_of_the_first_embedding_are_fine():
    ok = STACKED_EMBEDDINGS.replace("self.pos_emb(e)", "self.pos_emb(x)")
    assert lines(ok, "PT022") == []
    ns = {}
    exec(ok, ns)
    assert ns["Encoder"]()(torch.tensor([[1, 2, 3]])).shape == (1, 3, 16)


# ---------------------------------------------------------------- PT024
UFUNC = """import numpy as np
import torch
logits = torch.randn(4, 3)
probs = np.exp(logits) / np.exp(logits).sum()
t = torch.tensor(probs)
"""


def _copy_warnings(src):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(src, {})
    return [w for w in caught if "copy construct from a tensor" in str(w.message)]


def test_pt024_a_numpy_ufunc_of_a_tensor_is_a_tensor_and_the_fix_silences_torch():
    from ptlint.rules.fixes import fix_text

    assert lines(UFUNC, "PT024") == [5]
    assert _copy_warnings(UFUNC)
    new, applied = fix_text(UFUNC, lint(UFUNC, "PT024"))
    assert applied and "t = probs.detach().clone()" in new
    assert not _copy_warnings(new) and lines(new, "PT024") == []


def test_pt024_a_ufunc_of_an_array_is_an_array():
    src = UFUNC.replace("torch.randn(4, 3)", "np.random.randn(4, 3)")
    assert lines(src, "PT024") == []
    assert not _copy_warnings(src)


HELPER = """import torch
def to_tensor(x):
    return torch.tensor(x, dtype=torch.float32)
feats = to_tensor(torch.zeros(3))
more = to_tensor(torch.ones(2) + 1)
"""


def test_pt024_a_helper_every_caller_gives_a_tensor_warns_at_each_call():
    found = lint(HELPER, "PT024")
    assert [f.line for f in found] == [3] and found[0].fix is None
    assert [r.range.start.line for r in found[0].related] == [4, 5]
    assert len(_copy_warnings(HELPER)) == 2


@pytest.mark.parametrize("extra", [
    "rows = to_tensor([1.0, 2.0])\n",            # one caller passes data
    "fn = to_tensor\n",                         # used as a value: callers unseen
    "def other():\n    return to_tensor(data)\n",  # an argument of unknown type
])
def test_pt024_a_helper_is_silent_unless_every_call_is_known(extra):
    assert lines(HELPER + extra, "PT024") == []


# ---------------------------------------------------------------- PT020
# posted pattern: special tokens around a set, then numbered
SPECIALS = """import torch
words = "the cat sat on the mat with a hat and a bat".split()
vocab = ['<pad>'] + list(set(words)) + ['<unk>']
word2idx = {w: i for i, w in enumerate(vocab)}
print(word2idx["cat"], word2idx["mat"], word2idx["bat"])
"""
# a vocabulary class numbers what it is handed
VOCAB_CLASS = """import torch
class Vocab:
    def __init__(self, tokens):
        self.itos = tokens
        self.stoi = {t: i for i, t in enumerate(tokens)}
words = "the cat sat on the mat with a hat and a bat".split()
vocab = Vocab(list(set(words)))
print(vocab.stoi["cat"], vocab.stoi["mat"], vocab.stoi["bat"])
"""


# posted pattern: a character table from a generator over the samples
CHARS = """import torch
data = ["hello world", "midnight", "calculation", "path", "short circuit"]
char_set = ['<pad>'] + list(set(char for seq in data for char in seq))
char2idx = {char: idx for idx, char in enumerate(char_set)}
print(char2idx["h"], char2idx["m"], char2idx["c"])
"""


def _ids_per_run(src):
    plain = src.replace("import torch\n", "")  # the vocabulary code itself needs no torch
    return {run(plain, PYTHONHASHSEED=str(seed)).stdout for seed in range(6)}


@pytest.mark.parametrize("src,line", [(SPECIALS, 3), (VOCAB_CLASS, 7), (CHARS, 3)])
def test_pt020_set_order_reaches_the_ids_and_the_fix_pins_them(src, line):
    from ptlint.rules.fixes import fix_text

    found = lint(src, "PT020")
    assert [f.line for f in found] == [line]
    assert len(_ids_per_run(src)) > 1, "set order did not vary: the premise would be false"
    new, applied = fix_text(src, found)
    assert applied and "sorted(set(" in new and lines(new, "PT020") == []
    assert len(_ids_per_run(new)) == 1


def test_pt020_a_bare_set_handed_to_the_numbering_class_has_no_fix():
    src = VOCAB_CLASS.replace("Vocab(list(set(words)))", "Vocab(set(words))")
    found = lint(src, "PT020")
    assert [f.line for f in found] == [7] and found[0].fix is None
    assert [r.range.start.line for r in found[0].related] == [5]


def test_pt020_a_set_ordered_name_later_handed_to_the_class():
    src = VOCAB_CLASS.replace("vocab = Vocab(list(set(words)))", "uniq = list(set(words))\nvocab = Vocab(uniq)")
    found = lint(src, "PT020")
    assert [f.line for f in found] == [7] and [r.range.start.line for r in found[0].related] == [8]


@pytest.mark.parametrize("change", [
    ("        self.itos = tokens\n", "        tokens = sorted(tokens)\n"),   # sorted first
    ("{t: i for i, t in enumerate(tokens)}", "set(tokens)"),               # never numbered
    ("class Vocab:", "class Vocab(Base):"),                                # a base may do anything
])
def test_pt020_callees_that_do_not_number_the_set_order_are_silent(change):
    assert lines(VOCAB_CLASS.replace(*change), "PT020") == []


# ---------------------------------------------------------------- PT025
ATTENTION = """import torch
import torch.nn as nn
import torch.nn.functional as F
class Attn(nn.Module):
    def forward(self, hidden, encoder_outputs):
        energy = torch.bmm(encoder_outputs, hidden.unsqueeze(2)).squeeze()
        return F.softmax(energy, dim=1)
"""
POOLED = """import torch
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3)
    def forward(self, x):
        f = F.adaptive_avg_pool2d(self.conv(x), 1).squeeze()
        return F.normalize(f, dim=1)
"""


def _forward(src, cls, *inputs):
    ns = {}
    exec(src, ns)
    return ns[cls]()(*inputs)


def test_pt025_bmm_scores_lose_the_batch_dim_for_a_batch_of_one():
    assert lines(ATTENTION, "PT025") == [6]
    assert _forward(ATTENTION, "Attn", torch.randn(4, 8), torch.randn(4, 5, 8)).shape == (4, 5)
    with pytest.raises(IndexError, match="Dimension out of range"):
        _forward(ATTENTION, "Attn", torch.randn(1, 8), torch.randn(1, 5, 8))
    fixed = ATTENTION.replace(".squeeze()", ".squeeze(2)")
    assert lines(fixed, "PT025") == []
    assert _forward(fixed, "Attn", torch.randn(1, 8), torch.randn(1, 5, 8)).shape == (1, 5)


def test_pt025_pooled_features_of_a_batch_of_one_normalize_along_the_wrong_axis():
    assert lines(POOLED, "PT025") == [9]
    assert _forward(POOLED, "Net", torch.randn(2, 3, 8, 8)).shape == (2, 16)
    with pytest.raises(IndexError, match="Dimension out of range"):
        _forward(POOLED, "Net", torch.randn(1, 3, 8, 8))


@pytest.mark.parametrize("change", [
    ("dim=1", "dim=-1"),                                      # the last axis either way
    ("encoder_outputs, hidden.unsqueeze(2)", "a, b"),          # operands of unknown origin
    ("energy = torch.bmm", "energy = torch.matmul"),           # matmul may contract over dim 0
])
def test_pt025_dim_uses_that_do_not_depend_on_the_batch_dim_are_silent(change):
    assert lines(ATTENTION.replace(*change), "PT025") == []


# ---------------------------------------------------------------- PT023
CRNN = """import torch
import torch.nn as nn
from torch.utils.data import DataLoader
class CRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.rnn = nn.LSTM(4 * 4, 8)
    def forward(self, x):
        conv = self.cnn(x)
        b, c, h, w = conv.size()
        conv = conv.view(b, c * h, w)
        conv = conv.permute(0, 2, 1)
        out, _ = self.rnn(conv)
        return out
def train(ds):
    model = CRNN()
    for images, labels in DataLoader(ds, batch_size=32):
        preds = model(images)
"""


def _cross_talk(src, batch_dim=0):
    """Whether sample 1's output changes when only sample 0's input does."""
    ns = {}
    exec(src, ns)
    torch.manual_seed(0)
    model = ns["CRNN"]()
    x = torch.randn(3, 1, 8, 12)
    y = x.clone()
    y[0] += 1.0
    with torch.no_grad():
        return not torch.allclose(model(x).select(batch_dim, 1), model(y).select(batch_dim, 1))


def test_pt023_conv_features_permuted_batch_first_mix_the_samples():
    found = lint(CRNN, "PT023")
    assert [f.line for f in found] == [14]
    assert _cross_talk(CRNN), "the seq-first LSTM should recur across the batch"
    from ptlint.rules.fixes import fix_text

    new, applied = fix_text(CRNN, found, unsafe=True)
    assert applied and "nn.LSTM(4 * 4, 8, batch_first=True)" in new
    assert lines(new, "PT023") == [] and not _cross_talk(new)


def test_pt023_the_crnn_layout_width_batch_features_is_right():
    ok = CRNN.replace("conv.permute(0, 2, 1)", "conv.permute(2, 0, 1)")
    assert lines(ok, "PT023") == []
    assert not _cross_talk(ok, batch_dim=1)


@pytest.mark.parametrize("change", [
    ("conv = self.cnn(x)", "conv = self.cnn(x.flip(0))"),              # the conv input is not the batch
    ("preds = model(images)", "preds = model(images[0])"),            # no batch reaches forward
    ("nn.MaxPool2d(2))", "nn.MaxPool2d(2), nn.Flatten())"),          # a layer that changes the layout
])
def test_pt023_conv_features_not_known_to_be_batch_first_are_silent(change):
    assert lines(CRNN.replace(*change), "PT023") == []


# ---------------------------------------------------------------- PT018
# transformers' own get_linear_schedule_with_warmup (a LambdaLR), so the check needs torch only
HF_STUB = """from torch.optim.lr_scheduler import LambdaLR
def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
    def lr_lambda(step):
        if step < num_warmup_steps:
            return float(step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - step) / float(max(1, num_training_steps - num_warmup_steps)))
    return LambdaLR(optimizer, lr_lambda, last_epoch)
"""
HF_LOOP = """import warnings
import torch
from transformers import get_linear_schedule_with_warmup
warnings.simplefilter("always")
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=2, num_training_steps=10)
used = []
for batch in [torch.randn(4, 2)] * 3:
    loss = model(batch).sum()
    loss.backward()
    scheduler.step()
    used.append(optimizer.param_groups[0]["lr"])
    optimizer.step()
    optimizer.zero_grad()
print(used)
"""


def _run_with_stub(tmp_path, src):
    (tmp_path / "transformers").mkdir(exist_ok=True)
    (tmp_path / "transformers" / "__init__.py").write_text(HF_STUB)
    return run(src, PYTHONPATH=str(tmp_path))


def test_pt018_a_transformers_schedule_stepped_first_warns_and_skips_its_first_rate(tmp_path):
    found = lint(HF_LOOP, "PT018")
    assert [f.line for f in found] == [12]
    assert [r.range.start.line for r in found[0].related] == [14]
    out = _run_with_stub(tmp_path, HF_LOOP)
    assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in out.stderr
    assert out.stdout.strip() == "[0.5, 1.0, 0.875]"  # the warmup's 0.0 is never used
    fixed = HF_LOOP.replace("    scheduler.step()\n    used.append(optimizer.param_groups[0][\"lr\"])\n    optimizer.step()\n",
                            "    used.append(optimizer.param_groups[0][\"lr\"])\n    optimizer.step()\n    scheduler.step()\n")
    assert fixed != HF_LOOP and lines(fixed, "PT018") == []
    out = _run_with_stub(tmp_path, fixed)
    assert "Detected call" not in out.stderr and out.stdout.strip() == "[0.0, 0.5, 1.0]"


@pytest.mark.parametrize("change", [
    ("from transformers import get_linear_schedule_with_warmup", "from mylib import get_linear_schedule_with_warmup"),
    ("scheduler = get_linear_schedule_with_warmup(", "scheduler = make_schedule("),
    ("    scheduler.step()\n", "    if loss.item() > 0:\n        scheduler.step()\n"),  # not a straight line
])
def test_pt018_schedules_not_known_to_be_lambdalr_or_not_straight_line_are_silent(change):
    assert lines(HF_LOOP.replace(*change), "PT018") == []
