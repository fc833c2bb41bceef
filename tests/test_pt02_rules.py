"""PT020–PT026: the behaviour each rule claims is checked against torch / jieba / Python
themselves, and every fix is applied and run."""
import os
import subprocess
import sys
import warnings

import pytest

from rulecheck import lint, fixed

torch = pytest.importorskip("torch")


def run(src, **env):
    return subprocess.run([sys.executable, "-c", src], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


# ---------------------------------------------------------------- PT020
VOCAB = """import torch
words = "the cat sat on the mat with a hat and a bat".split()
id2word = list(set(words))
word2id = {w: i for i, w in enumerate(id2word)}
print(word2id["cat"], word2id["mat"], word2id["bat"])
"""


def test_pt020_ids_really_change_between_runs_and_the_fix_pins_them():
    assert [f.line for f in lint(VOCAB, "PT020")] == [3]
    plain = VOCAB.replace("import torch\n", "")  # the vocabulary code itself needs no torch
    before = {run(plain, PYTHONHASHSEED=str(s)).stdout for s in range(6)}
    assert len(before) > 1, "set order did not vary: the rule's premise would be false"
    new = fixed(VOCAB, "PT020")
    assert "id2word = sorted(set(words))" in new
    after = {run(new.replace("import torch\n", ""), PYTHONHASHSEED=str(s)).stdout for s in range(6)}
    assert len(after) == 1


def test_pt020_enumerate_fix_wraps_the_set():
    src = "import torch\ndef build(tokens):\n    return {w: i for i, w in enumerate(set(tokens))}\n"
    assert "enumerate(sorted(set(tokens)))" in fixed(src, "PT020")


def test_pt020_related_location_points_at_numbering():
    f = lint(VOCAB, "PT020")[0]
    assert f.related and f.related[0].range.start.line == 4


# ---------------------------------------------------------------- PT021
JIEBA_TWICE = """import jieba
seg = jieba.cut("我爱自然语言处理")
print("/".join(seg))
words = [w for w in seg]
print(len(words))
"""


def test_pt021_second_pass_is_really_empty_and_lcut_fixes_it():
    pytest.importorskip("jieba")
    assert [f.line for f in lint(JIEBA_TWICE, "PT021")] == [4]
    out = run(JIEBA_TWICE).stdout.splitlines()
    assert out[-1] == "0"
    new = fixed(JIEBA_TWICE, "PT021")
    assert "jieba.lcut(" in new
    assert int(run(new).stdout.splitlines()[-1]) > 0


def test_pt021_len_and_index_raise_typeerror():
    pytest.importorskip("jieba")
    for src in ("import jieba\ng = jieba.cut('我爱北京')\nlen(g)\n", "import jieba\ng = jieba.cut('我爱北京')\ng[0]\n"):
        assert lint(src, "PT021")
        proc = run(src)
        assert "TypeError" in proc.stderr
        assert run(fixed(src, "PT021")).returncode == 0


def test_pt021_cut_for_search_fix_name():
    src = "import jieba\nw = jieba.cut_for_search(t)\nprint(len(w))\n"
    assert "jieba.lcut_for_search(t)" in fixed(src, "PT021")


# ---------------------------------------------------------------- PT024
def test_pt024_torch_warns_and_fix_is_equivalent_without_warning():
    src = "import torch\nx = torch.arange(6.0).reshape(2, 3)\ny = torch.tensor(x, dtype=torch.float64)\n"
    (f,) = lint(src, "PT024")
    assert "detach().clone()" in f.message_en
    ns_old, ns_new = {}, {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(src, ns_old)
    assert any("detach().clone()" in str(w.message) for w in caught)
    new = fixed(src, "PT024")
    assert "x.detach().clone().to(dtype=torch.float64)" in new
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(new, ns_new)
    assert torch.equal(ns_old["y"], ns_new["y"]) and ns_old["y"].dtype == ns_new["y"].dtype


def test_pt024_requires_grad_kwarg_is_kept():
    src = "import torch\nw = torch.randn(3)\nv = torch.tensor(w, requires_grad=True)\n"
    new = fixed(src, "PT024")
    ns = {}
    exec(new, ns)
    assert ns["v"].requires_grad and ns["v"].is_leaf


# ---------------------------------------------------------------- PT025
SQUEEZE = """import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(8, 1)
def first_score(x):
    out = model(x).squeeze()
    return out[0]
def works(x):
    try:
        first_score(x)
        return True
    except IndexError:
        return False
shapes = (works(torch.randn(4, 8)), works(torch.randn(1, 8)))
"""


def shapes(src):
    ns = {}
    exec(src, ns)
    return ns["shapes"]


def test_pt025_batch_of_one_loses_its_dim_and_fix_keeps_it():
    (f,) = lint(SQUEEZE, "PT025")
    assert f.line == 6 and f.severity.value == "info"
    assert shapes(SQUEEZE) == (True, False)  # a batch of one: out is 0-d and out[0] raises
    new = fixed(SQUEEZE, "PT025", unsafe=True)
    assert "model(x).squeeze(-1)" in new
    assert shapes(new) == (True, True)


def test_pt025_no_fix_when_the_dim_is_unknown():
    src = ("import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def forward(self, x):\n"
           "        x = x.squeeze()\n        return x.permute(2, 0, 1)\n")
    (f,) = lint(src, "PT025")
    assert f.fix is None


SYMMETRIC = """import torch
import torch.nn as nn
torch.manual_seed(0)
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 1)
    def forward(self, x, labels):
        logits = self.fc(x)
        loss_fct = nn.MSELoss()
        return loss_fct(logits.squeeze(), labels.squeeze())
head = Head()
def same(n):
    x, y = torch.randn(n, 8), torch.randn(n, 1)
    return torch.allclose(head(x, y), nn.MSELoss()(head.fc(x).view(-1), y.view(-1)))
result = (same(4), same(1))
"""


def test_pt025_symmetric_squeezes_are_not_reported():
    # issue 12: the regression head of most *ForSequenceClassification models
    ns = {}
    exec(SYMMETRIC, ns)
    assert ns["result"] == (True, True)  # the same loss for a batch of one
    assert lint(SYMMETRIC, "PT025") == []
    asym = SYMMETRIC.replace("labels.squeeze())", "labels)")
    assert [f.line for f in lint(asym, "PT025")] == [11]


@pytest.mark.parametrize("use", ["return out", "return out + 1", "return torch.sigmoid(out)", "print(out)"])
def test_pt025_silent_when_what_follows_does_not_need_the_batch(use):
    src = ("import torch\nimport torch.nn as nn\nmodel = nn.Linear(8, 1)\ndef f(x):\n"
           f"    out = model(x).squeeze()\n    {use}\n")
    assert lint(src, "PT025") == []


# ---------------------------------------------------------------- PT026
def test_pt026_names_the_activation_and_points_at_it():
    src = ("import torch\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n"
           "        super().__init__()\n        self.fc = nn.Linear(4, 4)\n        nn.init.kaiming_normal_(self.fc.weight)\n"
           "    def forward(self, x):\n        return torch.sigmoid(self.fc(x))\n")
    (f,) = lint(src, "PT026")
    assert f.line == 7 and "torch.sigmoid" in f.message_en
    assert f.related[0].range.start.line == 9


def test_pt026_default_gains_match_the_docs():
    # The docs say Kaiming defaults to leaky_relu with a=0 (gain √2) and Xavier uses gain 1.
    import inspect

    sig = inspect.signature(torch.nn.init.kaiming_normal_)
    assert sig.parameters["nonlinearity"].default == "leaky_relu" and sig.parameters["a"].default == 0
    assert abs(torch.nn.init.calculate_gain("leaky_relu", 0) - 2 ** 0.5) < 1e-6
    assert inspect.signature(torch.nn.init.xavier_normal_).parameters["gain"].default == 1.0


# ---------------------------------------------------------------- PT022
@pytest.mark.parametrize("make,dtype", [
    ("torch.Tensor([1, 2])", "float32"), ("torch.tensor([1, 2], dtype=torch.uint8)", "uint8"),
    ("torch.tensor([1, 2], dtype=torch.int16)", "int16"), ("torch.tensor([True, False])", "bool"),
])
def test_pt022_bad_index_dtypes_raise_and_long_fixes(make, dtype):
    src = f"import torch\nimport torch.nn as nn\nemb = nn.Embedding(5, 2)\nids = {make}\nv = emb(ids)\n"
    (f,) = lint(src, "PT022")
    assert dtype in f.message_en
    with pytest.raises(RuntimeError, match="Long, Int"):
        exec(src, {})
    new = fixed(src, "PT022")
    # a legacy constructor used only here is created as long at once (the same edit as PT016's)
    composed = make.startswith("torch.Tensor(")
    assert ("ids = torch.tensor([1, 2], dtype=torch.long)\nv = emb(ids)" if composed else "emb(ids.long())") in new
    ns = {}
    exec(new, ns)
    assert ns["v"].shape == (2, 2)


def test_pt022_int32_is_accepted():
    emb = torch.nn.Embedding(5, 2)
    assert emb(torch.tensor([1, 2], dtype=torch.int32)).shape == (2, 2)
    assert not lint("import torch\nimport torch.nn as nn\nemb = nn.Embedding(5, 2)\n"
                    "v = emb(torch.tensor([1], dtype=torch.int32))\n", "PT022")


# ---------------------------------------------------------------- PT023
PT023_SRC = """import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(0)
ds = TensorDataset(torch.randint(0, 50, (6, 7)))
loader = DataLoader(ds, batch_size=3)
embed = nn.Embedding(50, 4)
rnn = nn.GRU(4, 5)
for (ids,) in loader:
    out, h = rnn(embed(ids))
shapes = (tuple(ids.shape), tuple(out.shape), tuple(h.shape))
"""


def test_pt023_seq_first_rnn_silently_accepts_batch_first_data():
    (f,) = lint(PT023_SRC, "PT023")
    assert f.line == 10 and {r.range.start.line for r in f.related} == {6, 8}
    ns = {}
    exec(PT023_SRC, ns)
    # no error: the GRU took the batch of 3 as 3 time steps of a batch of 7 sequences
    assert ns["shapes"] == ((3, 7), (3, 7, 5), (1, 7, 5))
    new = fixed(PT023_SRC, "PT023", unsafe=True)
    assert "nn.GRU(4, 5, batch_first=True)" in new
    ns = {}
    exec(new, ns)
    assert ns["shapes"] == ((3, 7), (3, 7, 5), (1, 3, 5))  # h_n now has one state per sample


def test_pt025_squeeze_of_a_batchless_buffer_used_in_matmul_is_silent():
    # fp_queue: deeplearning-models gnn-basic-edge-1 (self.coord has no batch dim)
    src = ("import torch\nfrom torch import nn\nclass G(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
           "        self.coord = torch.randn(784, 784, 4)\n"
           "        self.fc = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))\n"
           "    def forward(self, x):\n        A = self.fc(self.coord).squeeze()\n        return x @ A\n")
    assert lint(src, "PT025") == []
