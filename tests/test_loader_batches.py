"""DataLoader batches as flow facts (``rules/flow/datasets.py``), and the rules that read them:
PT003 (class-index targets from a loader) and PT011 (DataLoader labels against a model's output).
Every fact claimed here is checked against what real torch does with the same code."""
import sys

import numpy as np
import pytest
import torch

from rulecheck import fixed, lint
from test_flow_core import analyse, find
from ptlint.rules.flow import Kind


def run(src):
    ns: dict = {}
    exec(compile(src, "t.py", "exec"), ns)
    return ns


def facts(src, *names):
    flow, mod = analyse(src)
    return [flow.value_of(find(mod, n)) for n in names]


def torch_dtype(t):
    return str(t.dtype).replace("torch.", "")


def trailing(shape):
    """The dims after the batch dim, as ints (None where the flow has a symbol)."""
    return tuple(d.coef if d.is_int else None for d in shape[1:])


# ---------------------------------------------------------------- batches: dtype, shape, device
LOOPS = {
    "for": "for xb, yb in {loader}:\n    a, b = xb, yb\n",
    "enumerate": "for i, (xb, yb) in enumerate({loader}):\n    a, b = xb, yb\n",
    "next_iter": "a, b = next(iter({loader}))\n",
    "indexed": "for batch in {loader}:\n    a, b = batch[0], batch[1]\n",
}
HEADER = ("import numpy as np\nimport torch\nfrom torch.utils.data import DataLoader as DL, TensorDataset, Subset, "
          "random_split\nimport torch.utils.data as tud\nX = torch.randn(10, 3, 4)\n"
          "y = torch.arange(10, dtype=torch.int32)\n")
LOADERS = {
    "alias": "DL(TensorDataset(X, y), batch_size=4, shuffle=True)",
    "module": "tud.DataLoader(dataset=tud.TensorDataset(X, y), batch_size=3, drop_last=True)",
    "positional": "DL(TensorDataset(X, y), 4, True)",
    "subset": "DL(Subset(TensorDataset(X, y), [1, 2, 5]), batch_size=2)",
    "split": "DL(random_split(TensorDataset(X, y), [7, 3])[0], batch_size=2)",
    "sampler": "DL(TensorDataset(X, y), batch_size=2, sampler=tud.SequentialSampler(range(10)), num_workers=0)",
}


@pytest.mark.parametrize("loop", list(LOOPS))
@pytest.mark.parametrize("loader", list(LOADERS))
def test_batches_have_the_dataset_tensors_dtype_and_trailing_shape(loop, loader):
    src = HEADER + LOOPS[loop].format(loader=LOADERS[loader])
    a, b = facts(src, "a", "b")
    ns = run(src)
    for v, t in ((a, ns["a"]), (b, ns["b"])):
        assert v.kind is Kind.TENSOR and v.dtype == torch_dtype(t)
        assert v.shape is not None and len(v.shape) == t.dim()
        assert trailing(v.shape) == tuple(t.shape[1:])
        assert not v.shape[0].is_int  # the last batch may be shorter: never a literal
        assert t.is_contiguous() and v.layout is not None and v.layout.contiguous
    assert a.shape[0] == b.shape[0]  # one batch: the same size in every tensor


def test_batch_size_none_gives_samples():
    src = HEADER + "for xb, yb in DL(TensorDataset(X, y), batch_size=None):\n    a, b = xb, yb\n"
    a, b = facts(src, "a", "b")
    ns = run(src)
    assert (a.dtype, tuple(d.coef for d in a.shape)) == (torch_dtype(ns["a"]), tuple(ns["a"].shape)) == ("float32", (3, 4))
    assert (b.dtype, b.shape) == (torch_dtype(ns["b"]), ()) == ("int32", ())


def test_a_batch_size_we_cannot_read_keeps_the_dtype_only():
    src = HEADER + "def f(bs):\n    for xb, yb in DL(TensorDataset(X, y), bs):\n        a = yb\n    return a\n"
    (a,) = facts(src, "a")
    assert a.dtype == "int32" and a.shape is None  # batch_size=None would drop the batch dim
    ns = run(src)
    assert torch_dtype(ns["f"](4)) == torch_dtype(ns["f"](None)) == "int32"


@pytest.mark.parametrize("tail", [
    "loader = DL(TensorDataset(X, y), batch_size=2, collate_fn=lambda b: b)\n",  # a collate_fn of its own
    "loader = DL(TensorDataset(X, y), batch_size=2)\nloader.collate_fn = lambda b: b\n",  # set afterwards
    "class Pairs(tud.Dataset):\n    def __len__(self):\n        return 10\n    def __getitem__(self, i):\n"
    "        return X[i].double(), y[i]\nloader = DL(Pairs(), batch_size=2)\n",  # not a TensorDataset
    "kw = {'batch_size': 2}\nloader = DL(TensorDataset(X, y), **kw)\n",
    "loader = DL(TensorDataset(X, y), batch_size=2, collate_fn=tud.default_collate)\n",  # a function we do not read
])
def test_unknown_loaders_stay_unknown(tail):
    src = HEADER + tail + "for batch in loader:\n    a = batch[0]\n"
    (a,) = facts(src, "a")
    assert a.kind is not Kind.TENSOR and a.dtype is None and a.shape is None
    run(src)


def test_a_tensor_of_unknown_dtype_stays_unknown_and_others_are_kept():
    src = ("import torch\nfrom torch.utils.data import DataLoader, TensorDataset\n"
           "def f(X, labels):\n    for xb, yb in DataLoader(TensorDataset(X, labels.float()), batch_size=2):\n"
           "        a, b = xb, yb\n    return a, b\n")
    a, b = facts(src, "a", "b")
    assert a.dtype is None and b.dtype == "float32"
    ra, rb = run(src)["f"](torch.randn(4, 2).double(), torch.arange(4))
    assert torch_dtype(rb) == "float32"


# ---------------------------------------------------------------- PT003 through a DataLoader
PT003_FLOAT = """import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
X = np.random.randn(64, 8).astype(np.float32)
y_float = np.random.randint(0, 3, 64).astype(np.float32)
ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y_float))
model = nn.Linear(8, 3)
for xb, yb in DataLoader(ds, batch_size=32):
    loss = nn.CrossEntropyLoss()(model(xb), yb)
"""


def test_pt003_float_class_indices_from_a_loader():
    (f,) = lint(PT003_FLOAT, "PT003")
    assert (f.line, f.severity.value) == (10, "error") and "floating point (float32)" in f.message_en
    # the loader, then where the labels were made
    assert [r.range.start.line for r in f.related] == [9, 7]
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        run(PT003_FLOAT)
    new = fixed(PT003_FLOAT, "PT003", unsafe=True)  # unsafe: float labels need not be whole numbers
    assert "nn.CrossEntropyLoss()(model(xb), yb.long())" in new
    run(new)


def test_pt003_int32_class_indices_from_a_split_loader():
    src = PT003_FLOAT.replace("astype(np.float32)\nds", "astype(np.int32)\nds").replace(
        "DataLoader(ds, batch_size=32)", "DataLoader(torch.utils.data.random_split(ds, [48, 16])[0], batch_size=16)")
    (f,) = lint(src, "PT003")
    assert f.line == 10 and "dtype int32" in f.message_en
    with pytest.raises(RuntimeError, match="but got Int"):
        run(src)
    run(fixed(src, "PT003"))  # safe: int32 values are whole numbers


PT003_PLATFORM = """import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
labels = np.array([i % 3 for i in range(12)], dtype=int)
ds = TensorDataset(torch.randn(12, 4), torch.from_numpy(labels))
model = nn.Linear(4, 3)
criterion = nn.CrossEntropyLoss()
for epoch in range(2):
    for xb, yb in DataLoader(ds, batch_size=4, shuffle=True):
        loss = criterion(model(xb), yb.to("cpu"))
"""


def test_pt003_numpy_default_int_labels_through_a_loader_warn():
    (f,) = lint(PT003_PLATFORM, "PT003")
    assert (f.line, f.severity.value) == (11, "warning") and "np.array([i % 3" in f.message_en
    assert [r.range.start.line for r in f.related] == [5]
    run(PT003_PLATFORM)  # int64 here (Linux) …
    windows = PT003_PLATFORM.replace("dtype=int)", "dtype=np.int32)")  # … what NumPy < 2 gives on Windows
    with pytest.raises(RuntimeError, match="but got Int"):
        run(windows)
    assert 'yb.to("cpu").long()' in fixed(PT003_PLATFORM, "PT003")


@pytest.mark.parametrize("change", [
    ("astype(np.float32)\nds", "astype(np.int64)\nds"),  # int64 labels
    ("model(xb), yb)", "model(xb), yb.long())"),  # converted at the loss
    ("torch.from_numpy(y_float))", "torch.nn.functional.one_hot(torch.from_numpy(y_float).long(), 3).float())"),
    ("batch_size=32)", "batch_size=32, collate_fn=lambda b: [torch.stack(c) for c in zip(*b)])"),
])
def test_pt003_loader_targets_that_are_fine_or_unknown(change):
    src = PT003_FLOAT.replace(*change)
    assert src != PT003_FLOAT
    assert lint(src, "PT003") == []
    if "collate_fn" not in change[1]:
        run(src)


def test_pt003_platform_int_labels_with_a_fixed_dtype_are_not_reported():
    for dtype in ("np.int64", "np.intp"):
        src = PT003_PLATFORM.replace("dtype=int)", f"dtype={dtype})")
        assert lint(src, "PT003") == []
        run(src)


# ---------------------------------------------------------------- PT011 reads the loader's labels from flow
PT011_NEXT = """import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
X, y = torch.randn(40, 5), torch.randint(0, 2, (40,)).float()
train, val = torch.utils.data.random_split(TensorDataset(X, y), [30, 10])
xb, yb = next(iter(DataLoader(val, batch_size=8)))
loss = nn.BCELoss()(model(xb), yb)
"""


def test_pt011_labels_from_next_iter_of_a_split_loader():
    (f,) = lint(PT011_NEXT, "PT011")
    assert f.line == 8 and "(N, 1)" in f.message_en and "(N,)" in f.message_en
    assert "labels from the DataLoader" in f.message_en
    assert [r.range.start.line for r in f.related] == [4, 7]
    with pytest.raises(ValueError, match="different to the input size"):
        run(PT011_NEXT)
    good = PT011_NEXT.replace("(40,)).float()", "(40, 1)).float()")
    assert lint(good, "PT011") == []
    run(good)


# ---------------------------------------------------------------- a tqdm progress bar gives the loader's batches
@pytest.mark.parametrize("loop", [
    "pbar = tqdm(loader)\nfor xb, yb in pbar:\n    pbar.set_postfix(n=1)\n    loss = criterion(model(xb), yb)\n",
    "for i, (xb, yb) in tqdm(enumerate(loader), total=len(loader)):\n    loss = criterion(model(xb), yb)\n",
    "for i, (xb, yb) in enumerate(tqdm(loader, desc='train')):\n    loss = criterion(model(xb), yb)\n",
])
def test_pt003_through_a_progress_bar(loop):
    src = ("import torch\nimport torch.nn as nn\nfrom tqdm.auto import tqdm\nfrom torch.utils.data import DataLoader, TensorDataset\n"
           "ds = TensorDataset(torch.randn(8, 4), torch.tensor([0., 1., 2., 1., 0., 2., 1., 0.]))\n"
           "loader = DataLoader(ds, batch_size=4)\nmodel = nn.Linear(4, 3)\ncriterion = nn.CrossEntropyLoss()\n" + loop)
    (f,) = lint(src, "PT003")
    assert "floating point (float32)" in f.message_en
    assert fixed(src, "PT003").count("yb.long()") == 1  # safe: the labels are whole numbers
    assert lint(src.replace("from tqdm.auto import tqdm", "from mylib import tqdm"), "PT003") == []  # not tqdm


def test_tqdm_yields_the_loaders_batches():
    """What the flow claims for ``tqdm(loader)``, against real tqdm where it is installed."""
    pytest.importorskip("tqdm")
    src = HEADER + "from tqdm.auto import tqdm\nfor i, (xb, yb) in tqdm(enumerate(DL(TensorDataset(X, y), 4))):\n    b = yb\n"
    (b,) = facts(src, "b")
    t = run(src)["b"]
    assert b.dtype == torch_dtype(t) == "int32" and trailing(b.shape) == tuple(t.shape[1:]) == ()


DEVICE_SRC = ("import torch\nfrom torch.utils.data import DataLoader, TensorDataset\n"
              "X = torch.randn(10, 3, device={dev!r})\nY = torch.randint(0, 2, (10,)).to({dev!r})\n"
              "for xb, yb in DataLoader(TensorDataset(X, Y), batch_size=4):\n    a, b = xb, yb\n")


@pytest.mark.parametrize("dev", ["cpu", "cuda"])
def test_batches_stay_on_the_dataset_tensors_device(dev):
    a, b = facts(DEVICE_SRC.format(dev=dev), "a", "b")
    assert a.device == b.device == dev


@pytest.mark.parametrize("dev", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"))])
def test_torch_keeps_the_batches_on_the_dataset_tensors_device(dev):
    ns = run(DEVICE_SRC.format(dev=dev))
    assert ns["a"].device.type == ns["b"].device.type == dev
