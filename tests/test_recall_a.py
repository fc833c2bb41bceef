"""Recall on real bug patterns (issue 13), part A: PT002, PT003, PT011, PT012, PT014.

Each capability has cases the rule must flag and near misses it must leave alone; where
the claim can be checked on a CPU, torch itself confirms it (the flagged code raises, or
the gradient really is None) and the near miss really runs."""
import warnings

import pytest

from rulecheck import lint

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")


def run(src, **names):
    ns = dict(names)
    exec(compile(src, "t.py", "exec"), ns)
    return ns


# ---------------------------------------------------------------- PT012: copies of a leaf
PT012_DOUBLE = """import torch
w = torch.randn(3, requires_grad=True).double()
(w * 2).sum().backward()
g = w.grad
"""
PT012_TO_DTYPE = """import torch
w = torch.rand(2, 2, requires_grad=True)
w = w.to(torch.float64)
w.sum().backward()
g = w.grad
"""
PT012_TYPE = """import torch
w = torch.zeros(4, requires_grad=True).type(torch.DoubleTensor)
w.sum().backward()
g = w.grad
"""
PT012_CUDA = """import torch
w = torch.randn(3, requires_grad=True).cuda()
(w * 2).sum().backward()
g = w.grad
"""


@pytest.mark.parametrize("src", [PT012_DOUBLE, PT012_TO_DTYPE, PT012_TYPE])
def test_pt012_a_converted_copy_of_a_leaf_has_no_grad_and_torch_agrees(src):
    (f,) = lint(src, "PT012")
    assert f.line == 5 if src is PT012_TO_DTYPE else f.line == 4
    assert "not a leaf" in f.message_en and "retain_grad" in f.message_en
    assert f.related and f.related[0].range.start.line in (2, 3)  # the conversion call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about reading a non-leaf's .grad: that is the point
        ns = run(src)
    assert ns["w"].is_leaf is False and ns["g"] is None


def test_pt012_cuda_copy_made_on_the_creating_line():
    (f,) = lint(PT012_CUDA, "PT012")
    assert f.line == 4 and "`.cuda()`" in f.message_en
    if torch.cuda.is_available():  # on a GPU machine the claim itself is checked
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert run(PT012_CUDA)["g"] is None


@pytest.mark.parametrize("src", [
    # conversions that change nothing hand back the leaf itself
    "import torch\nw = torch.randn(3, requires_grad=True).float()\nw.sum().backward()\ng = w.grad\n",
    "import torch\nw = torch.randn(3, requires_grad=True).to('cpu')\nw.sum().backward()\ng = w.grad\n",
    "import torch\nw = torch.randn(3, requires_grad=True).type(torch.FloatTensor)\nw.sum().backward()\ng = w.grad\n",
    # converted first, then made the leaf
    "import torch\nw = torch.randn(3).double().requires_grad_()\nw.sum().backward()\ng = w.grad\n",
    "import torch\nw = torch.randn(3, requires_grad=True).double().detach().requires_grad_()\nw.sum().backward()\ng = w.grad\n",
    # converted while gradients are off: a leaf that does not require grad
    "import torch\nw = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n    v = w.double()\ng = v.grad\n",
])
def test_pt012_conversions_that_leave_a_leaf_are_not_reported(src):
    assert lint(src, "PT012") == []
    ns = run(src)
    assert ns["g"] is None or ns["g"].shape == (3,)
    if "no_grad" not in src:
        assert ns["w"].is_leaf and ns["g"] is not None


def test_pt012_device_not_known_stays_silent():
    src = ("import torch\ndevice = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
           "w = torch.randn(3, requires_grad=True).to(device)\nw.sum().backward()\ng = w.grad\n")
    assert lint(src, "PT012") == []  # on the CPU .to(device) is the leaf itself
    if not torch.cuda.is_available():
        assert run(src)["g"] is not None


# ---------------------------------------------------------------- PT014: NumPy functions of tensors
PT014_LOSSES = """import numpy as np
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(4, 1)
criterion = nn.MSELoss()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loader = [(torch.randn(8, 4), torch.randn(8, 1)) for _ in range(3)]
def train():
    for epoch in range(2):
        losses = []
        for x, y in loader:
            loss = criterion(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss)
        print(epoch, np.mean(losses))
"""


def test_pt014_numpy_mean_of_kept_losses_raises_and_is_reported():
    (f,) = lint(PT014_LOSSES, "PT014")
    assert f.line == 18 and "`losses`" in f.message_en and "`loss`" in f.message_en
    assert f.related[0].range.start.line == 17
    with pytest.raises(RuntimeError, match="requires grad"):
        run(PT014_LOSSES)["train"]()
    # keeping scalars is the fix the message names, and it runs
    run(PT014_LOSSES.replace("losses.append(loss)", "losses.append(loss.item())"))["train"]()
    assert lint(PT014_LOSSES.replace("losses.append(loss)", "losses.append(loss.item())"), "PT014") == []


@pytest.mark.parametrize("call, error", [
    ("np.exp(w)", RuntimeError), ("np.array(w)", RuntimeError), ("np.median(w)", RuntimeError),
    ("np.sum([w, w * 2])", RuntimeError), ("np.stack([w, w])", RuntimeError),
    ("np.mean(w)", TypeError), ("np.sum(w)", TypeError), ("np.max(w)", TypeError),
])
def test_pt014_numpy_functions_on_a_tensor_requiring_grad(call, error):
    src = f"import numpy as np\nimport torch\nw = torch.randn(3, requires_grad=True)\nr = {call}\n"
    (f,) = lint(src, "PT014")
    assert f.line == 4
    assert ("TypeError" if error is TypeError else "RuntimeError") in f.message_en
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(error):
            run(src)


def test_pt014_detach_fix_of_a_converting_function_runs():
    from ptlint.rules.fixes import fix_text

    src = "import numpy as np\nimport torch\nw = torch.randn(3, requires_grad=True)\nr = np.exp(w)\n"
    new, applied = fix_text(src, lint(src, "PT014"))
    assert applied and "np.exp(w.detach())" in new and lint(new, "PT014") == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2's note on Tensor.__array_wrap__
        ns = run(new)
    assert torch.allclose(torch.as_tensor(ns["r"]), torch.exp(ns["w"].detach()))


@pytest.mark.parametrize("src", [
    # losses computed without gradients
    "import numpy as np\nimport torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\ncriterion = nn.MSELoss()\n"
    "loader = [(torch.randn(2, 4), torch.randn(2, 1))]\ndef evaluate():\n    losses = []\n    with torch.no_grad():\n"
    "        for x, y in loader:\n            losses.append(criterion(model(x), y))\n    return np.mean(losses)\n",
    # detached tensors and plain arrays
    "import numpy as np\nimport torch\nw = torch.randn(3, requires_grad=True)\nr = (np.exp(w.detach()), np.sum([w.detach()]),"
    " np.mean(w.detach().numpy()))\n",
    # the list is rebuilt from scalars before NumPy reads it
    "import numpy as np\nimport torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\n"
    "loader = [(torch.randn(2, 4), torch.randn(2, 1))]\ndef train():\n    losses = []\n    for x, y in loader:\n"
    "        losses.append(((model(x) - y) ** 2).mean())\n    losses = [l.item() for l in losses]\n    return np.mean(losses)\n",
    # reset after the tensors went in
    "import numpy as np\nimport torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\n"
    "loader = [(torch.randn(2, 4), torch.randn(2, 1))]\ndef train():\n    losses = []\n    for x, y in loader:\n"
    "        losses.append(((model(x) - y) ** 2).mean())\n    losses = []\n    return np.mean(losses)\n",
])
def test_pt014_near_misses_run_and_are_not_reported(src):
    assert lint(src, "PT014") == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # np.mean([]) warns
        warnings.simplefilter("ignore", DeprecationWarning)
        ns = run(src)
        for name in ("evaluate", "train"):
            if name in ns:
                ns[name]()


def test_pt014_list_handed_to_an_unknown_helper_is_not_followed():
    src = ("import numpy as np\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\ncriterion = nn.MSELoss()\n"
           "def train(loader, helper):\n    losses = []\n    for x, y in loader:\n"
           "        losses.append(criterion(model(x), y))\n    helper(losses)\n    return np.mean(losses)\n")
    assert lint(src, "PT014") == []  # the helper may have replaced the tensors


# ---------------------------------------------------------------- PT003: NumPy's default integer
PT003_LABELS = """import numpy as np
import torch
import torch.nn as nn
criterion = nn.CrossEntropyLoss()
labels = np.array([0, 2, 1, 1], dtype=int)
y = torch.from_numpy(labels)
loss = criterion(torch.randn(4, 3), y)
"""
PT003_REPEAT = """import numpy as np
import torch
import torch.nn.functional as F
n, k = 5, 4
y = torch.from_numpy(np.repeat(range(n), k)).to("cpu")
loss = F.cross_entropy(torch.randn(n * k, n), y)
"""
PT003_LIST = """import numpy as np
import torch
import torch.nn as nn
raw = ["1", "0", "2"]
ids = [int(r) for r in raw]
target = torch.tensor(np.array(ids))
loss = nn.NLLLoss()(torch.randn(3, 3).log_softmax(1), target)
"""


# each case, and the same array as Windows with NumPy < 2 makes it (int32)
@pytest.mark.parametrize("src, line, windows", [
    (PT003_LABELS, 7, ("dtype=int)", "dtype=np.int32)")),
    (PT003_REPEAT, 6, ("np.repeat(range(n), k)", "np.repeat(range(n), k).astype(np.int32)")),
    (PT003_LIST, 7, ("np.array(ids)", "np.array(ids, dtype=np.int32)")),
])
def test_pt003_platform_integer_target_is_a_portability_warning(src, line, windows):
    from ptlint.rules.findings import Severity
    from ptlint.rules.fixes import fix_text

    (f,) = lint(src, "PT003")
    assert f.line == line and f.severity is Severity.WARNING
    assert "Windows" in f.message_en and "NumPy < 2" in f.message_en and ".long()" in f.message_en
    run(src)  # here (Linux, NumPy 2) the default integer is int64 and the loss runs
    # what Windows with NumPy < 2 makes of the same array: int32, which the loss rejects
    assert src.count(windows[0]) == 1
    with pytest.raises(RuntimeError, match="expected target dtype to be Long"):
        run(src.replace(*windows))
    new, applied = fix_text(src, [f])
    assert applied and ".long()" in new and lint(new, "PT003") == []
    run(new.replace(*windows))  # .long() makes it portable


@pytest.mark.parametrize("src", [
    # fixed-width or pointer-sized NumPy integers, and literal torch integers, are int64 everywhere
    "import numpy as np\nimport torch\nimport torch.nn.functional as F\n"
    "y = torch.from_numpy(np.array([0, 1], dtype=np.int64))\nloss = F.cross_entropy(torch.randn(2, 3), y)\n",
    "import numpy as np\nimport torch\nimport torch.nn.functional as F\n"
    "y = torch.from_numpy(np.array([0, 1], dtype=np.intp))\nloss = F.cross_entropy(torch.randn(2, 3), y)\n",
    "import numpy as np\nimport torch\nimport torch.nn.functional as F\n"
    "y = torch.from_numpy(np.array([0, 1])).long()\nloss = F.cross_entropy(torch.randn(2, 3), y)\n",
    "import numpy as np\nimport torch\nimport torch.nn.functional as F\n"
    "y = torch.tensor(np.array([0, 1]).tolist())\nloss = F.cross_entropy(torch.randn(2, 3), y)\n",
    # the dtype of the NumPy data is not known
    "import numpy as np\nimport torch\nimport torch.nn.functional as F\nraw = [0.0, 1.0]\n"
    "y = torch.from_numpy(np.array([0, 1]).astype(np.int64))\nloss = F.cross_entropy(torch.randn(2, 3), y)\n",
])
def test_pt003_portable_integer_targets_are_not_reported(src):
    assert lint(src, "PT003") == []
    run(src)


def test_pt003_dtype_rules_unchanged_by_the_platform_answer():
    # PT022 and PT003's error findings read the same values: NumPy's default integer is no dtype for them
    src = ("import numpy as np\nimport torch\nimport torch.nn as nn\nemb = nn.Embedding(10, 4)\n"
           "idx = torch.from_numpy(np.array([1, 2]))\nv = emb(idx)\n")
    assert lint(src, "PT022") == []
    run(src)


# ---------------------------------------------------------------- PT011: (N, 1) output against (N,) labels
PT011_LOADER = """import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 16)
        self.fc2 = nn.Linear(16, 1)
    def forward(self, x):
        x = torch.relu(self.fc1(x))
        return torch.sigmoid(self.fc2(x))
X = torch.randn(100, 10)
y = torch.randint(0, 2, (100,)).float()
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
model = Net()
criterion = nn.BCELoss()
for i, (xb, yb) in enumerate(loader):
    out = model(xb)
    loss = criterion(out, yb)
"""
PT011_SEQUENTIAL = """import torch
import torch.nn as nn
import torch.nn.functional as F
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 1), nn.Sigmoid())
x = torch.randn(32, 4)
y = torch.randint(0, 2, (32,)).float()
loss = F.binary_cross_entropy(model(x), y)
"""


@pytest.mark.parametrize("src, line, related", [(PT011_LOADER, 20, (9, 15)), (PT011_SEQUENTIAL, 7, (4,))])
def test_pt011_model_output_n_by_1_against_labels_n_raises(src, line, related):
    (f,) = lint(src, "PT011")
    assert f.line == line and "(N, 1)" in f.message_en and "(N,)" in f.message_en
    assert tuple(r.range.start.line for r in f.related) == related
    with pytest.raises(ValueError, match="different to the input size"):
        run(src)
    # the fix the message names: squeeze the output's last dim
    fixed = src.replace("criterion(out, yb)", "criterion(out.squeeze(-1), yb)").replace(
        "binary_cross_entropy(model(x), y)", "binary_cross_entropy(model(x).squeeze(-1), y)")
    assert lint(fixed, "PT011") == []
    run(fixed)


@pytest.mark.parametrize("change", [
    ("(100,)).float()", "(100, 1)).float()"),  # labels already (N, 1)
    ("    loss = criterion(out, yb)", "    yb = yb.unsqueeze(1)\n    loss = criterion(out, yb)"),  # reshaped first
    ("return torch.sigmoid(self.fc2(x))", "return torch.sigmoid(self.fc2(x)).view(-1)"),  # the model flattens
    ("batch_size=16, shuffle=True", "batch_size=16, collate_fn=lambda b: torch.utils.data.default_collate(b)"),
])
def test_pt011_matching_or_unknown_shapes_are_not_reported(change):
    src = PT011_LOADER.replace(*change)
    assert src != PT011_LOADER
    assert lint(src, "PT011") == []
    if "collate_fn" not in change[1]:
        run(src)  # these really run


# ---------------------------------------------------------------- PT002: zero_grad at the wrong loop level
PT002_BEFORE = """import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
loader = [(torch.randn(4, 3), torch.randn(4, 1)) for _ in range(3)]
def train(epochs):
    optimizer.zero_grad()
    for epoch in range(epochs):
        for x, y in loader:
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            optimizer.step()
"""


def test_pt002_zero_grad_once_before_the_loops_accumulates_and_is_reported():
    (f,) = lint(PT002_BEFORE, "PT002")
    assert f.line == 13
    ns = run(PT002_BEFORE)
    model, loader = ns["model"], ns["loader"]
    per_batch = []
    for x, y in loader:
        model.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        per_batch.append(model.weight.grad.clone())
    ns["optimizer"].param_groups[0]["lr"] = 0.0  # keep the weights: look at the gradients only
    ns["train"](1)
    # what each step used: after the last batch, the sum of every batch's gradient so far
    assert torch.allclose(model.weight.grad, sum(per_batch), atol=1e-6)
    assert not torch.allclose(model.weight.grad, per_batch[-1], atol=1e-6)


@pytest.mark.parametrize("src", [
    # cleared per epoch only, the steps run per batch
    PT002_BEFORE.replace("    optimizer.zero_grad()\n    for epoch in range(epochs):\n",
                         "    for epoch in range(epochs):\n        optimizer.zero_grad()\n"),
    # the step is in a helper of this file, the loop calls it
    "import torch\ndef step(model, optimizer, x, y):\n    loss = model(x, y)\n    loss.backward()\n    optimizer.step()\n"
    "def train(model, optimizer, loader):\n    optimizer.zero_grad()\n    for x, y in loader:\n"
    "        step(model, optimizer, x, y)\n",
    # module-level optimizer cleared before a function's loop
    "import torch\nmodel = torch.nn.Linear(3, 1)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    "optimizer.zero_grad()\ndef train(loader):\n    for x, y in loader:\n        ((model(x) - y) ** 2).mean().backward()\n"
    "        optimizer.step()\n",
])
def test_pt002_clear_outside_the_stepping_loop_is_reported(src):
    assert len(lint(src, "PT002")) == 1


@pytest.mark.parametrize("src", [
    # micro-batches accumulate inside one step: the clear is at the step's loop level
    "import torch\ndef train(model, optimizer, loader, chunks):\n    for batch in loader:\n        optimizer.zero_grad()\n"
    "        for part in batch.chunk(chunks):\n            model(part).sum().backward()\n        optimizer.step()\n",
    # one step per epoch after accumulating the whole epoch, cleared per epoch
    "import torch\ndef train(model, optimizer, loader, epochs):\n    for epoch in range(epochs):\n        optimizer.zero_grad()\n"
    "        for x in loader:\n            model(x).sum().backward()\n        optimizer.step()\n",
])
def test_pt002_clear_at_the_level_of_the_step_is_not_reported(src):
    assert lint(src, "PT002") == []


# ---------------------------------------------------------------- PT012: as the bug reports post it
# (pytorch/pytorch#13113, #8287, Maghoumi/pytorch-softdtw-cuda#25: the leaf is moved to the GPU
# by a later assignment, by .cuda(0) on the creating line, or by .to(torch.device("cuda")))
@pytest.mark.parametrize("src, line, method", [
    ("import torch\na = torch.tensor([1., 2., 3.], requires_grad=True)\na = a.cuda()\nb = a ** 2\n"
     "b.mean(0).backward()\nprint(a.grad)\n", 6, ".cuda()"),
    ("import torch\nimport torch.nn as nn\nx = torch.randn(2, 2, requires_grad=True).cuda(0)\n"
     "net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)).cuda(0)\nnet(x).sum().backward()\nprint('x:', x.grad)\n",
     6, ".cuda(0)"),
    ("import torch\ndevice = torch.device('cuda')\nx = torch.rand((8, 15, 5), requires_grad=True)\nx = x.to(device)\n"
     "(x ** 2).mean().backward()\nprint(x.grad)\n", 6, ".to(device)"),
])
def test_pt012_gpu_copies_as_posted(src, line, method):
    (f,) = lint(src, "PT012")
    assert f.line == line and f"`{method}`" in f.message_en
    if torch.cuda.is_available():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ns = run(src.replace("print(", "g = (").replace("'x:', ", ""))
        assert ns["g"] is None


def test_pt014_a_helper_without_backward_may_run_under_no_grad_and_is_not_reported():
    src = ("import numpy as np\nimport torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\ncriterion = nn.MSELoss()\n"
           "loader = [(torch.randn(2, 4), torch.randn(2, 1))]\ndef validate():\n    losses = []\n    for x, y in loader:\n"
           "        losses.append(criterion(model(x), y))\n    return np.mean(losses)\nwith torch.no_grad():\n"
           "    result = validate()\n")
    assert lint(src, "PT014") == []
    run(src)  # the caller turned gradients off: the tensors convert fine
