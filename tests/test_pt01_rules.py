"""PT010–PT019: the behaviour each rule claims is checked against torch itself, and every
fix is applied and run."""
import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.fixes import fix_text

torch = pytest.importorskip("torch")


def lint(src, code):
    res = lint_text(src, "t.py", Config(select=(code,)))
    assert not res.rule_errors, res.rule_errors
    return res.findings


def fixed(src, code, unsafe=False):
    new, applied = fix_text(src, lint(src, code), unsafe=unsafe)
    assert applied, f"{code}: no fix applied"
    assert not lint(new, code), f"{code} still reported after its fix:\n{new}"
    return new


# ---------------------------------------------------------------- PT010
PT010_SEQ = """import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(3, 2),
    nn.Softmax(dim=1)
)
loss_fn = nn.CrossEntropyLoss()
x = torch.randn(4, 3)
y = torch.tensor([0, 1, 1, 0])
loss = loss_fn(model(x), y)
"""


def test_pt010_loss_has_a_floor_with_softmax_and_fix_returns_logits():
    (f,) = lint(PT010_SEQ, "PT010")
    assert f.line == 6 and f.related[0].range.start.line == 8
    # the docs' claim: a perfect prediction cannot bring the loss below ~0.31 for 2 classes
    perfect = torch.tensor([[1.0, 0.0]])
    assert abs(torch.nn.functional.cross_entropy(perfect, torch.tensor([0])).item() - 0.3133) < 1e-3
    new = fixed(PT010_SEQ, "PT010", unsafe=True)
    assert "nn.Softmax" not in new
    ns = {}
    exec(new, ns)
    assert len(ns["model"]) == 1 and ns["model"](ns["x"]).sum(dim=1).allclose(torch.ones(4)) is False


def test_pt010_forward_fix_returns_the_softmax_input():
    src = ("import torch\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n"
           "        super().__init__()\n        self.fc = nn.Linear(3, 2)\n    def forward(self, x):\n"
           "        return torch.softmax(self.fc(x), dim=1)\nloss = nn.CrossEntropyLoss()\n")
    new = fixed(src, "PT010", unsafe=True)
    assert "        return self.fc(x)\n" in new


def test_pt010_fix_is_not_safe():
    (f,) = lint(PT010_SEQ, "PT010")
    assert f.fix.safety.value == "unsafe"
    assert fix_text(PT010_SEQ, [f], unsafe=False)[1] == []


def test_pt010_log_softmax_then_cross_entropy_is_fine():
    # log_softmax is idempotent, so CrossEntropyLoss on log-probabilities equals CE on logits:
    # the reason the rule leaves LogSoftmax alone.
    x = torch.randn(5, 4)
    y = torch.randint(0, 4, (5,))
    F = torch.nn.functional
    assert torch.allclose(F.cross_entropy(F.log_softmax(x, 1), y), F.cross_entropy(x, y))
    assert not torch.allclose(F.cross_entropy(F.softmax(x, 1), y), F.cross_entropy(x, y))


# ---------------------------------------------------------------- PT011
PT011_SRC = """import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(4, 1)
with torch.no_grad():
    model.weight.fill_(3.0)
loss_fn = nn.BCELoss()
x = torch.ones(2, 4)
y = torch.ones(2, 1)
loss = loss_fn(model(x), y)
"""


def test_pt011_bce_on_linear_output_raises_and_fix_runs():
    (f,) = lint(PT011_SRC, "PT011")
    assert f.line == 10 and f.severity.value == "error"
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        exec(PT011_SRC, {})
    new = fixed(PT011_SRC, "PT011", unsafe=True)
    assert "nn.BCEWithLogitsLoss()" in new
    ns = {}
    exec(new, ns)
    assert ns["loss"].item() >= 0


def test_pt011_functional_fix():
    src = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nfc = nn.Linear(4, 1)\n"
           "def step(x, y):\n    return F.binary_cross_entropy(fc(x), y)\n")
    assert "F.binary_cross_entropy_with_logits(fc(x), y)" in fixed(src, "PT011", unsafe=True)


def test_pt011_shape_mismatch_really_raises():
    src = "import torch\nimport torch.nn as nn\nloss = nn.BCELoss()\nv = loss(torch.rand(4, 1), torch.rand(4))\n"
    (f,) = lint(src, "PT011")
    assert "(4, 1)" in f.message_en and "(4,)" in f.message_en
    with pytest.raises(ValueError, match="same size"):
        exec(src, {})


# ---------------------------------------------------------------- PT016
@pytest.mark.parametrize("ctor,data", [
    ("FloatTensor", "[1, 2, 3]"), ("LongTensor", "[1.7, -2.2]"), ("IntTensor", "[[1, 2], [3, 4]]"),
    ("DoubleTensor", "[0.5]"), ("ByteTensor", "[255, 0]"), ("BoolTensor", "[2, 0]"), ("Tensor", "[1, 2]"),
    ("HalfTensor", "[i / 3 for i in range(4)]"), ("Tensor", "[]"),
])
def test_pt016_fix_builds_the_identical_tensor(ctor, data):
    src = f"import torch\nx = torch.{ctor}({data})\n"
    (f,) = lint(src, "PT016")
    new = fixed(src, "PT016")
    assert "torch.tensor(" in new
    old_ns, new_ns = {}, {}
    exec(src, old_ns)
    exec(new, new_ns)
    assert old_ns["x"].dtype == new_ns["x"].dtype
    assert torch.equal(old_ns["x"], new_ns["x"])


def test_pt016_tuple_is_data_not_a_shape():
    src = "import torch\nx = torch.Tensor((3, 4))\n"
    (f,) = lint(src, "PT016")
    assert f.fix is None and "torch.empty(3, 4)" in f.message_en
    ns = {}
    exec(src, ns)
    assert ns["x"].shape == (2,) and ns["x"].tolist() == [3.0, 4.0]


def test_pt016_no_fix_when_default_dtype_changes():
    src = "import torch\ntorch.set_default_dtype(torch.float64)\nx = torch.Tensor([1, 2])\n"
    (f,) = lint(src, "PT016")
    assert f.fix is None
    ns = {}
    try:
        exec(src, ns)
        assert ns["x"].dtype == torch.float64  # why the fix would be wrong here
    finally:
        torch.set_default_dtype(torch.float32)


def test_pt016_alias_and_from_import():
    src = "import torch as T\nfrom torch import LongTensor\na = T.FloatTensor([1])\nb = LongTensor([2])\n"
    new = fixed(src, "PT016")
    assert "T.tensor([1], dtype=T.float32)" in new and "T.tensor([2], dtype=T.long)" in new
