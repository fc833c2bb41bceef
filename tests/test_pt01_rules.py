"""PT010–PT019: the behaviour each rule claims is checked against torch itself, and every
fix is applied and run."""
import pytest

from rulecheck import lint, fixed
from ptlint.rules.fixes import fix_text

torch = pytest.importorskip("torch")


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
    assert len(ns["model"]) == 1
    assert not torch.allclose(ns["model"](ns["x"]).sum(dim=1), torch.ones(4))  # logits now, not probabilities


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


def run_warnings(src):
    import warnings

    ns = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(src, ns)
    return ns, [str(w.message) for w in caught]


# ---------------------------------------------------------------- PT012
def test_pt012_non_leaf_grad_is_none_and_torch_warns():
    src = ("import torch\nx = torch.tensor([[1.0]])\nw = torch.randn(1, 1, requires_grad=True)\nz = x * w\n"
           "z.sum().backward()\ng = z.grad\n")
    (f,) = lint(src, "PT012")
    assert f.line == 6 and "retain_grad" in f.message_en
    ns, warned = run_warnings(src)
    assert ns["g"] is None and any("not a leaf" in m for m in warned)
    fixed_src = src.replace("z = x * w\n", "z = x * w\nz.retain_grad()\n")
    assert not lint(fixed_src, "PT012")
    ns, _ = run_warnings(fixed_src)
    assert ns["g"] is not None


# ---------------------------------------------------------------- PT013
@pytest.mark.parametrize("op", ["w.add_(1)", "w -= 0.1", "w[0] = 1.0", "w.zero_()"])
def test_pt013_inplace_on_leaf_raises_and_no_grad_fixes_it(op):
    src = f"import torch\nw = torch.randn(3, requires_grad=True)\n{op}\n"
    (f,) = lint(src, "PT013")
    assert f.line == 3
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        exec(src, {})
    guarded = f"import torch\nw = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n    {op}\n"
    assert not lint(guarded, "PT013")
    exec(guarded, {})


def test_pt013_parameters_count_as_leaves():
    src = "import torch.nn as nn\nlin = nn.Linear(2, 2)\nlin.weight.fill_(0.5)\n"
    assert lint(src, "PT013")
    with pytest.raises(RuntimeError):
        exec(src, {})


# ---------------------------------------------------------------- PT014
def test_pt014_numpy_raises_and_the_safe_fix_detaches():
    src = "import torch\nx = torch.ones(2, requires_grad=True)\nloss = (x * 3).sum()\narr = loss.numpy()\n"
    (f,) = lint(src, "PT014")
    assert f.fix.safety.value == "safe"
    with pytest.raises(RuntimeError, match="requires grad"):
        exec(src, {})
    new = fixed(src, "PT014")
    assert "loss.detach().numpy()" in new
    ns = {}
    exec(new, ns)
    assert float(ns["arr"]) == 6.0


def test_pt014_no_grad_really_allows_numpy():
    # why the rule stays silent under torch.no_grad()
    w = torch.randn(3, requires_grad=True)
    with torch.no_grad():
        assert w.numpy().shape == (3,)


# ---------------------------------------------------------------- PT015
def test_pt015_reports_reads_before_writes_with_creation_related():
    src = "import torch\nbuf = torch.empty(3, 4)\nprint(buf.shape)\ntotal = buf.sum()\n"
    (f,) = lint(src, "PT015")
    assert f.line == 4 and f.related[0].range.start.line == 2
    assert "torch.empty" in f.message_en


def test_pt015_typed_constructors_by_size_are_uninitialised():
    # The notes' IntTensor(10) / LongTensor(10) / HalfTensor(3, 4) are sizes, not data.
    for ctor, shape in (("IntTensor(10)", (10,)), ("LongTensor(10)", (10,)), ("HalfTensor(3, 4)", (3, 4))):
        t = eval(f"torch.{ctor}")
        assert tuple(t.shape) == shape
        assert lint(f"import torch\nt = torch.{ctor}\nprint(t)\n", "PT015")


# ---------------------------------------------------------------- PT018
def test_pt018_pytorch_warns_when_scheduler_steps_first():
    src = ("import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
           "sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1)\nfor epoch in range(2):\n    sched.step()\n"
           "    opt.zero_grad()\n    model(torch.randn(4, 2)).sum().backward()\n    opt.step()\n")
    (f,) = lint(src, "PT018")
    assert f.line == 6 and f.related[0].range.start.line == 9
    _, warned = run_warnings(src)
    assert any("before `optimizer.step()`" in m for m in warned)


def test_pt018_per_batch_steps_decay_per_batch():
    src = ("import torch\nfrom torch.utils.data import DataLoader, TensorDataset\nmodel = torch.nn.Linear(2, 1)\n"
           "opt = torch.optim.SGD(model.parameters(), lr=1.0)\nsched = torch.optim.lr_scheduler.StepLR(opt, step_size=2)\n"
           "loader = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=2)\nfor epoch in range(1):\n"
           "    for (xb,) in loader:\n        opt.zero_grad()\n        model(xb).sum().backward()\n        opt.step()\n"
           "        sched.step()\nlr = opt.param_groups[0]['lr']\n")
    (f,) = lint(src, "PT018")
    assert f.line == 12 and "StepLR" in f.message_en
    ns, _ = run_warnings(src)
    assert ns["lr"] < 1.0  # decayed within one epoch


# ---------------------------------------------------------------- PT019
def test_pt019_step_after_zero_grad_changes_nothing():
    src = ("import torch\ntorch.manual_seed(0)\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.5)\n"
           "w0 = model.weight.detach().clone()\nfor _ in range(3):\n    opt.zero_grad()\n    opt.step()\n"
           "    loss = model(torch.randn(4, 2)).pow(2).mean()\n    loss.backward()\n")
    (f,) = lint(src, "PT019")
    assert f.line == 8 and f.related[0].range.start.line == 10
    ns, _ = run_warnings(src)
    assert torch.equal(ns["w0"], ns["model"].weight.detach())  # the model never moved


ERNIE = """import torch
from torch import nn
from torch.nn import CrossEntropyLoss


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.classifier = nn.Linear(8, 3)

    def forward(self, x, labels=None):
        logits = self.classifier(x)
        if labels is not None:
            return CrossEntropyLoss()(logits, labels)
        return logits


class STSB(nn.Module):
    def __init__(self):
        super().__init__()
        self.classifier = nn.Linear(8, 2)
        self.m = torch.nn.LogSoftmax(-1)
        self.mm = torch.nn.Softmax(-1)

    def forward(self, x, labels=None):
        logits = self.classifier(x)
        probs = self.m(logits)
        if labels is not None:
            return torch.mean(-torch.sum(labels * probs, -1))
        else:
            return self.mm(logits)
"""


def test_pt010_a_loss_of_another_model_class_and_an_inference_only_softmax_are_silent():
    # fp_queue: ernie-thu knowledge_bert/modeling.py (BertForSTSB next to BertForSequenceClassification)
    assert lint(ERNIE, "PT010") == []
    # the same softmax-returning model trained with a cross-entropy outside any class is reported
    single = ("import torch\nfrom torch import nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.fc = nn.Linear(8, 2)\n    def forward(self, x):\n        return torch.softmax(self.fc(x), dim=1)\n"
              "crit = nn.CrossEntropyLoss()\n")
    assert [f.line for f in lint(single, "PT010")] == [8]


def test_pt013_uses_the_shared_frozen_parameters_decision():
    # issue 12: one "parameters may be frozen" decision; a file with a freeze helper makes
    # a layer's parameters not known to require grad for both rules
    src = ("import torch\nimport torch.nn as nn\nmodel = nn.Linear(3, 1)\nfreeze(model)\n"
           "for p in model.parameters():\n    p.add_(1)\n")
    assert lint(src, "PT013") == []
    assert [f.line for f in lint(src.replace("freeze(model)\n", ""), "PT013")] == [5]
