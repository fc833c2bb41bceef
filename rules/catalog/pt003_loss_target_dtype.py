import dataclasses
from typing import Optional

import libcst as cst

from ptlint.rules.astutil import get_arg, has_star_args
from ptlint.rules.dtypes import FLOATING, INTEGRAL
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis, Kind, Value
from ptlint.rules.flow.chain import literal
from ptlint.rules.flow.creation import numpy_platform_int, platform_int_dtype
from ptlint.rules.flow.datasets import LOADER, TENSOR_DATASET
from ptlint.rules.flow.transfer import SOFT_PRODUCERS
from ptlint.rules.flow.values import shape_str
from ptlint.rules.probe_requests import LossRequest, ProbedRule, loss_request
from ptlint.rules.rule import Docs, FixSpec, InsertAfter, Message, Related, Replace, Rule

_FUNCTIONAL = {"torch.nn.functional.cross_entropy": ("F.cross_entropy", False),
               "torch.nn.functional.nll_loss": ("F.nll_loss", True)}
_CLASSES = {"torch.nn.CrossEntropyLoss": ("CrossEntropyLoss", False), "torch.nn.NLLLoss": ("NLLLoss", True)}
_OK = frozenset({"int64", "uint8"})
_BAD_INT = (INTEGRAL - _OK) | {"bool"}
# How a floating target can be made on purpose as a tensor of class indices
_EXPLICIT = frozenset({
    "torch.tensor", "torch.Tensor", "torch.FloatTensor", "torch.DoubleTensor", "torch.HalfTensor",
    "torch.BFloat16Tensor", "torch.cuda.FloatTensor", "torch.cuda.DoubleTensor", "torch.zeros", "torch.ones",
    "torch.empty", "torch.full", "torch.from_numpy", "torch.as_tensor", "torch.asarray", "torch.arange",
    ".float", ".double", ".half", ".bfloat16", ".to", ".type", ".type_as",
})
_CASTS = frozenset({".float", ".double", ".half", ".bfloat16", ".to", ".type", ".type_as"})
# Parameters after (input, target) / of the constructor, in order: positional arguments
# are handed to the runtime probe under these names.
_SIGNATURES = {
    "torch.nn.CrossEntropyLoss": ("weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing"),
    "torch.nn.NLLLoss": ("weight", "size_average", "ignore_index", "reduce", "reduction"),
    "torch.nn.functional.cross_entropy": ("weight", "size_average", "ignore_index", "reduce", "reduction",
                                          "label_smoothing"),
    "torch.nn.functional.nll_loss": ("weight", "size_average", "ignore_index", "reduce", "reduction"),
}
_NONE_DEFAULT = frozenset({"weight", "size_average", "reduce"})  # passing None is passing nothing
_DATA = frozenset({"torch.tensor", "torch.Tensor", "torch.FloatTensor", "torch.DoubleTensor", "torch.HalfTensor",
                   "torch.as_tensor"})

INT_MESSAGE = Message(
    zh="`{loss}` 的目标张量 dtype 是 {dtype}：类别索引必须是 int64（long），运行时会抛出 "
       "RuntimeError: expected target dtype to be Long or Byte",
    en="the target of `{loss}` has dtype {dtype}: class indices must be int64 (long); this raises "
       "RuntimeError: expected target dtype to be Long or Byte",
)
FLOAT_INDEX_MESSAGE = Message(
    zh="`{loss}` 的目标张量是浮点类型（{dtype}），看起来是类别索引：类别索引必须是 int64（long），运行时会抛出 "
       "RuntimeError: expected target dtype to be Long or Byte（浮点目标只有与输入形状相同、表示类别概率时才合法）",
    en="the target of `{loss}` is floating point ({dtype}) and looks like class indices: class indices must be "
       "int64 (long); this raises RuntimeError: expected target dtype to be Long or Byte (a floating target is "
       "only valid as class probabilities of the input's shape)",
)
PLATFORM_MESSAGE = Message(
    zh="`{loss}` 的目标张量是 NumPy 默认整数类型的数组（`{source}`）转来的：它在 Linux 和 macOS 上是 int64，"
       "但在 Windows 上、NumPy 2 之前是 int32，在那里会抛出 RuntimeError: expected target dtype to be Long or Byte, "
       "but got Int；请加上 `.long()`",
    en="the target of `{loss}` comes from an array of NumPy's default integer (`{source}`): int64 on Linux and macOS "
       "but int32 on Windows with NumPy < 2, where this raises RuntimeError: expected target dtype to be Long or "
       "Byte, but got Int; add `.long()`",
)
# Ways a NumPy array reaches a tensor with its dtype unchanged, and tensor methods that keep
# the dtype (``.to`` only with a device)
_FROM_NUMPY = frozenset({"torch.from_numpy", "torch.tensor", "torch.as_tensor", "torch.asarray"})
_KEEP_DTYPE_TENSOR = frozenset({"cuda", "cpu", "to", "view", "reshape", "squeeze", "unsqueeze", "flatten",
                                "contiguous", "clone", "detach", "pin_memory"})
_KEEP_DTYPE_ARRAY = frozenset({"reshape", "copy", "flatten", "ravel", "squeeze"})
_BUILTIN_RANGE = "range"
# A DataLoader batch or a dataset sample: the dtype of the dataset's tensor
_FROM_DATASET = frozenset({LOADER, TENSOR_DATASET})
NLL_MESSAGE = Message(
    zh="`{loss}` 的目标张量是浮点类型（{dtype}）：NLLLoss 只接受 int64（long）类别索引，运行时会抛出 RuntimeError",
    en="the target of `{loss}` is floating point ({dtype}): NLLLoss only takes int64 (long) class indices and "
       "raises RuntimeError",
)


class LossTargetDtype(ProbedRule, Rule):
    code = "PT003"
    # The runtime probe checks a finding by calling the loss itself (probe_requests.py).
    request_type = LossRequest
    probe_request = staticmethod(loss_request)
    name = "loss-target-dtype"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safeties = (FixSafety.SAFE, FixSafety.UNSAFE)  # chosen per finding
    message = Message(
        zh="`{loss}` 的目标张量是浮点类型（{dtype}），形状 {tshape} 与输入 {ishape} 不同，不能当作类别概率："
           "作为类别索引时必须是 int64（long），运行时会抛出 RuntimeError: expected target dtype to be Long or Byte",
        en="the target of `{loss}` is floating point ({dtype}) with shape {tshape}, not the input's {ishape}, so it "
           "cannot be class probabilities: class indices must be int64 (long); this raises RuntimeError: expected "
           "target dtype to be Long or Byte",
    )
    docs = Docs(
        zh="""## 它检查什么
`nn.CrossEntropyLoss`、`F.cross_entropy`、`nn.NLLLoss`、`F.nll_loss` 的目标张量（target）dtype 不对：int32、int16、int8、bool，或者被当作类别索引的浮点张量。损失对象通过任何别名调用都会被跟踪（`criterion = nn.CrossEntropyLoss()` …… `criterion(out, y)`）。目标的来源包括 `torch.Tensor([...])`、`torch.FloatTensor`、`torch.IntTensor`、不带整数 dtype 的 `torch.zeros/ones/empty/full(n)`、`torch.tensor([1., 0.])`、`torch.tensor(labels, dtype=torch.float32)`、`y.float()`/`.double()`/`.half()`/`.int()`、`y.to(torch.float32)`、`y.type(torch.FloatTensor)`，以及由已知 int32 或浮点数组得到的 `torch.from_numpy(a)`。

`for xb, yb in DataLoader(TensorDataset(X, y))`（包括 `enumerate(loader)`、`next(iter(loader))`，以及经过 `Subset` / `random_split` 的数据集）给出的批次与数据集里的张量 dtype 相同，同样会被检查；DataLoader 用了自定义的 `collate_fn` 时不会报告。

训练步骤写在同一文件的辅助函数里、损失函数和目标通过参数传进来时（`def train_step(model, criterion, x, y)`），会按每个调用处实际传入的值分别检查：问题报告在函数内部调用损失的那一行，传入错误目标的那一处调用和目标创建的位置作为相关位置一并给出（编辑器里可以直接跳过去）。辅助函数又是从另一个辅助函数里调用的（`train_epoch(model, criterion, batches)` 里调用 `train_step(...)`）时，同样按外层调用传入的值检查，最多跟进三层调用；相关位置从最内层的调用开始，依次列出外层的每一处调用。任何一层传入的值未知时都不会报告。这种情况不提供快速修复，因为要改的是调用处的目标，而不是函数本身。

## 为什么有问题
交叉熵的目标可以是**类别索引**，类型必须是 int64（long；当前版本也接受 uint8），形状比输入少一维，例如输入 `(N, C)`、目标 `(N,)`；也可以是**类别概率**（例如独热编码或 softmax 的结果），这时是浮点类型，形状与输入完全相同。两者都不是时，PyTorch 直接报错：

```
RuntimeError: expected target dtype to be Long or Byte, but got Float
```

int32 的类别索引同样会报错（`but got Int`）——`torch.IntTensor`、`np.int32` 数组经 `torch.from_numpy` 转来的标签都属于这种情况。`NLLLoss` 不支持概率目标，任何浮点目标都会报错。

形状与输入相同的浮点目标（例如 `(6, 8)` 输入配 `torch.randn(6, 8).softmax(dim=1)`）、来源不明的目标不会被报告。

**可移植性警告**：NumPy 的默认整数类型在 Linux 和 macOS 上是 int64，但在 Windows 上、NumPy 2 之前是 int32。`np.array(labels, dtype=int)`、`np.array([0, 2, 1])`、`np.repeat(range(n), k)`、`np.arange(n)`、`np.random.randint(...)`、`a.astype(int)` 这样的数组经 `torch.from_numpy` / `torch.tensor` 原样（dtype 不变）变成目标时，在 Linux 上能运行，在那样的 Windows 环境里会抛出 `expected target dtype to be Long or Byte, but got Int`。这种情况报告为警告而不是错误；`dtype=np.int64`、`np.intp` 和已经 `.long()` 的目标不会被报告。

## 示例
```python
criterion = nn.CrossEntropyLoss()
labels = torch.tensor([1., 0., 3.])     # 浮点的类别索引
loss = criterion(logits, labels)         # RuntimeError
```

## 如何修复
把类别索引转换成 int64：

```python
labels = torch.tensor([1, 0, 3])         # 整数字面量默认就是 int64
loss = criterion(logits, labels.long())
```

快速修复会在目标参数后面加上 `.long()`。当目标的值已知是整数（整数 dtype，或者字面量全是整数值）时这是安全修复；其余情况标为不安全，请确认这些值确实是类别编号。
""",
        en="""## What it finds
Targets of `nn.CrossEntropyLoss`, `F.cross_entropy`, `nn.NLLLoss` and `F.nll_loss` with the wrong dtype: int32, int16, int8, bool, or floating point used as class indices. Loss objects are followed through any alias (`criterion = nn.CrossEntropyLoss()` … `criterion(out, y)`). Targets built with `torch.Tensor([...])`, `torch.FloatTensor`, `torch.IntTensor`, `torch.zeros/ones/empty/full(n)` without an integer dtype, `torch.tensor([1., 0.])`, `torch.tensor(labels, dtype=torch.float32)`, `y.float()`/`.double()`/`.half()`/`.int()`, `y.to(torch.float32)`, `y.type(torch.FloatTensor)`, or `torch.from_numpy(a)` of an array known to be int32 or floating point.

Batches of `for xb, yb in DataLoader(TensorDataset(X, y))` (also through `enumerate(loader)`, `next(iter(loader))`, and datasets from `Subset` / `random_split`) have the dataset tensors' dtype and are checked the same way; a DataLoader with its own `collate_fn` is not reported.

When the training step is a helper in the same file that receives the criterion and the targets as parameters (`def train_step(model, criterion, x, y)`), it is checked with the values each call passes: the finding is placed on the loss call inside the helper, with the call that passed the wrong target and the place the target was made as related locations (an editor jumps to them). A helper called from another helper (`train_epoch(model, criterion, batches)` calling `train_step(...)`) is checked with the values of the outer call too, up to three calls deep; the related locations list the calls from the innermost outwards. A value unknown at any level is not reported. There is no quick fix then: what needs changing is the caller's target, not the helper.

## Why it is a problem
A cross-entropy target is either **class indices** — int64 (long; uint8 is also accepted by current PyTorch), one dim fewer than the input, e.g. input `(N, C)` and target `(N,)` — or **class probabilities** (one-hot or softmax output), floating point and exactly the input's shape. Anything else raises:

```
RuntimeError: expected target dtype to be Long or Byte, but got Float
```

int32 class indices raise too (`but got Int`) — labels from `torch.IntTensor` or from an `np.int32` array through `torch.from_numpy`. `NLLLoss` has no probability targets: every floating target raises.

Floating targets of the input's shape (a `(6, 8)` input with `torch.randn(6, 8).softmax(dim=1)`) and targets of unknown origin are not reported.

**Portability warning**: NumPy's default integer is int64 on Linux and macOS but int32 on Windows with NumPy < 2. An array such as `np.array(labels, dtype=int)`, `np.array([0, 2, 1])`, `np.repeat(range(n), k)`, `np.arange(n)`, `np.random.randint(...)` or `a.astype(int)` that becomes the target through `torch.from_numpy` / `torch.tensor` with its dtype unchanged runs on Linux and raises `expected target dtype to be Long or Byte, but got Int` there. It is reported as a warning, not an error; `dtype=np.int64`, `np.intp` and targets already converted with `.long()` are not reported.

## Example
```python
criterion = nn.CrossEntropyLoss()
labels = torch.tensor([1., 0., 3.])     # class indices as floats
loss = criterion(logits, labels)         # RuntimeError
```

## How to fix
Convert class indices to int64:

```python
labels = torch.tensor([1, 0, 3])         # integer literals are int64 already
loss = criterion(logits, labels.long())
```

The quick fix appends `.long()` to the target argument. It is safe when the values are known to be whole numbers (an integer dtype, or literal data that is all integral); otherwise it is marked unsafe — check that the values really are class numbers.
""",
    )
    must_flag = (
        "import torch\nimport torch.nn as nn\ncriterion = nn.CrossEntropyLoss()\nlogits = torch.randn(3, 5)\n"
        "labels = torch.Tensor([1, 0, 4])\nloss = criterion(logits, labels)  # <-\n",
        "import torch\nimport torch.nn.functional as F\ndef f(out):\n"
        "    return F.cross_entropy(out, torch.FloatTensor([0, 2]))  # <-\n",
        "import torch\nimport torch.nn as nn\ndef f(out):\n    crit = nn.CrossEntropyLoss()\n"
        "    a = crit(out, torch.DoubleTensor([1]))  # <-\n    b = crit(out, torch.IntTensor([1]))  # <-\n",
        "import torch\nimport torch.nn.functional as F\ndef f(out, n):\n"
        "    a = F.cross_entropy(out, torch.zeros(n))  # <-\n    b = F.cross_entropy(out, torch.ones(4))  # <-\n"
        "    c = F.cross_entropy(out, torch.empty(4))  # <-\n    d = F.cross_entropy(out, torch.full((4,), 1.0))  # <-\n",
        "import torch\nfrom torch.nn import CrossEntropyLoss as CE\nloss_fn = CE()\ndef f(out):\n"
        "    return loss_fn(out, torch.tensor([1., 0.]))  # <-\n",
        "import torch\nimport torch.nn.functional as F\ndef f(out, labels):\n"
        "    a = F.cross_entropy(out, torch.tensor(labels, dtype=torch.float32))  # <-\n"
        "    b = F.cross_entropy(out, torch.tensor(labels, dtype=torch.int32))  # <-\n",
        "import torch\nimport torch.nn.functional as F\ndef f(out, y):\n    a = F.cross_entropy(out, y.float())  # <-\n"
        "    b = F.cross_entropy(out, y.double())  # <-\n    c = F.cross_entropy(out, y.half())  # <-\n"
        "    d = F.cross_entropy(out, y.int())  # <-\n    e = F.cross_entropy(out, y.to(torch.float32))  # <-\n"
        "    g = F.cross_entropy(out, y.type(torch.FloatTensor))  # <-\n",
        "import numpy as np\nimport torch\nimport torch.nn as nn\ncriterion = nn.NLLLoss()\n"
        "a = np.array([1, 0, 2], dtype=np.int32)\ny = torch.from_numpy(a)\ndef f(logp):\n"
        "    return criterion(logp, y)  # <-\n",
        "import numpy as np\nimport torch\nimport torch.nn.functional as F\nb = np.array([1.0, 0.0])\n"
        "def f(out):\n    return F.cross_entropy(out, torch.from_numpy(b))  # <-\n",
        "import torch\nimport torch.nn as nn\nclass Model(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(8, 3)\n        self.criterion = nn.CrossEntropyLoss()\n"
        "    def step(self, x, y):\n        return self.criterion(self.fc(x), y.float())  # <-\n",
        "import torch\nimport torch.nn as nn\nout = torch.randn(6, 8)\ntarget = torch.randn(6)\n"
        "loss = nn.CrossEntropyLoss()(out, target)  # <-\n",
        "import torch\nimport torch.nn.functional as F\nlogp = torch.randn(6, 8).log_softmax(1)\n"
        "p = torch.randn(6, 8).softmax(dim=1)\nloss = F.nll_loss(logp, p)  # <-\n",
        "import torch\nimport torch.nn as nn\ny = torch.tensor([True, False])\nloss = nn.CrossEntropyLoss()(torch.randn(2, 3), y)  # <-\n",
        # NumPy's default integer: int32 on Windows with NumPy < 2 (a portability warning)
        "import numpy as np\nimport torch\nimport torch.nn as nn\ncriterion = nn.CrossEntropyLoss()\n"
        "labels = np.array([0, 2, 1], dtype=int)\ny = torch.from_numpy(labels)\n"
        "loss = criterion(torch.randn(3, 4), y)  # <-\n",
        "import numpy as np\nimport torch\nimport torch.nn.functional as F\nn, k = 5, 4\n"
        "y = torch.from_numpy(np.repeat(range(n), k)).to('cpu')\nloss = F.cross_entropy(torch.randn(20, 5), y)  # <-\n",
        "import numpy as np\nimport torch\nimport torch.nn as nn\ndef f(raw, logp):\n    ids = [int(r) for r in raw]\n"
        "    return nn.NLLLoss()(logp, torch.tensor(np.array(ids)))  # <-\n",
        # a DataLoader batch has the dataset tensor's dtype
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "ds = TensorDataset(torch.randn(64, 8), torch.randint(0, 3, (64,)).float())\nmodel = nn.Linear(8, 3)\n"
        "for xb, yb in DataLoader(ds, batch_size=32):\n    loss = nn.CrossEntropyLoss()(model(xb), yb)  # <-\n",
    )
    must_not_flag = (
        "import torch\nimport torch.nn as nn\ntarget = torch.tensor([1, 0, 3, 2, 5, 4])\ninput = torch.randn((6, 8))\n"
        "loss = nn.CrossEntropyLoss()\nprint(loss(input, target))\n",
        "import torch\nimport torch.nn as nn\ntarget = torch.randn(6, 8).softmax(dim=1)\ninput = torch.randn((6, 8))\n"
        "loss = nn.CrossEntropyLoss()\nprint(loss(input, target))\n",
        "import torch\nimport torch.nn.functional as F\ndef f(out, y):\n    a = F.cross_entropy(out, torch.randint(0, 5, (4,)))\n"
        "    b = F.cross_entropy(out, torch.LongTensor([1, 2]))\n    c = F.cross_entropy(out, y.long())\n"
        "    d = F.cross_entropy(out, torch.zeros(4, dtype=torch.long))\n"
        "    e = F.cross_entropy(out, torch.tensor([1, 2], dtype=torch.int64))\n"
        "    g = F.cross_entropy(out, torch.ones(4, dtype=torch.uint8))\n",
        "import torch\nimport torch.nn.functional as F\ndef f(out, y, n_classes):\n"
        "    soft = F.one_hot(y, n_classes).float()\n    return F.cross_entropy(out, soft)\n",
        "import torch\nimport torch.nn.functional as F\ndef f(out, y):\n    return F.cross_entropy(out, y)\n",
        "import torch\nimport torch.nn.functional as F\nlogits = torch.randn(4, 3)\n"
        "target = torch.zeros(4, 3)\ntarget[:, 0] = 1.0\nloss = F.cross_entropy(logits, target)\n",
        "import torch\nimport torch.nn as nn\ncriterion = nn.MSELoss()\ndef f(out, y):\n    return criterion(out, y.float())\n",
        "import torch\nimport torch.nn.functional as F\ndef f(out, probs):\n    return F.cross_entropy(out, probs.float())\n"
        "def g(out, batch):\n    return F.cross_entropy(out, batch['soft'].to(out.dtype))\n",
        # NumPy arrays whose dtype does not depend on the platform, or converted with .long()
        "import numpy as np\nimport torch\nimport torch.nn.functional as F\ndef f(out, raw, device):\n"
        "    a = F.cross_entropy(out, torch.from_numpy(np.array([0, 1])).long())\n"
        "    b = F.cross_entropy(out, torch.from_numpy(np.array(raw, dtype=np.int64)))\n"
        "    c = F.cross_entropy(out, torch.from_numpy(np.array([0, 1], dtype=np.intp)))\n"
        "    d = F.cross_entropy(out, torch.from_numpy(np.array(raw)))\n"
        "    e = F.cross_entropy(out, torch.tensor([0, 1]))\n"
        "    g = F.cross_entropy(out, torch.from_numpy(np.array([0, 1])).to(device))\n",
        # int64 labels through a DataLoader, soft labels of the input's shape, a collate_fn of its own
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "X = torch.randn(64, 8)\nmodel = nn.Linear(8, 3)\ncriterion = nn.CrossEntropyLoss()\n"
        "for xb, yb in DataLoader(TensorDataset(X, torch.randint(0, 3, (64,))), batch_size=32):\n"
        "    a = criterion(model(xb), yb)\n"
        "for xb, pb in DataLoader(TensorDataset(X, torch.rand(64, 3).softmax(1)), batch_size=32):\n"
        "    b = criterion(model(xb), pb)\n"
        "for xb, yb in DataLoader(TensorDataset(X, X[:, 0]), batch_size=32, collate_fn=collate):\n"
        "    c = criterion(model(xb), yb)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if has_star_args(node) or not node.args:
            return
        flow = self.ctx.analysis(FlowAnalysis).check()
        before = len(self.reports)
        self._check(node, flow)
        if len(self.reports) > before:
            return
        self._check_call_sites(node, flow)

    def _check_call_sites(self, node: cst.Call, flow: FlowAnalysis) -> None:
        """Inside a helper (``def train_step(model, criterion, ...)``): the same check once
        per call site, with the values that call passes. Reported once, at the helper's
        line, naming every call site that fails; call sites that pass something unknown
        or correct are not findings. No fix: ``.long()`` in the helper would change every
        caller, and the wrong dtype is made at the failing call site."""
        failing: list = []
        for site in flow.call_sites(node):
            before = len(self.reports)
            self._check(node, site)
            found = self.reports[before:]
            del self.reports[before:]
            if found:
                failing.append((site, found[0]))
        if not failing:
            return
        related: dict = {}  # (call, message) -> Related: a call shared by two chains is named once
        for site, _ in failing:
            for r in self.call_chain_related(site.chain, "这个目标", "this target"):
                related.setdefault((id(r.node), r.message_en), r)
        first = failing[0][1]
        self.reports.append(dataclasses.replace(first, fix=None, alt_fixes=(),
                                                related=tuple(related.values()) + tuple(first.related)))

    def _check(self, node: cst.Call, flow: FlowAnalysis) -> None:
        info = self._loss(node, flow)
        if info is None:
            return
        label, nll = info
        tgt = get_arg(node, 1, "target")
        inp = get_arg(node, 0, "input")
        if tgt is None:
            return
        t = flow.value_of(tgt.value)
        if t.kind is Kind.TENSOR and t.dtype is None:
            self._platform_target(tgt.value, flow, label)
            return
        if t.kind is not Kind.TENSOR or t.dtype in _OK:
            return
        i = flow.value_of(inp.value) if inp is not None else Value()
        related = self._related(t, tgt.value)
        extra = self._probe_facts(node, flow, t, i)
        if t.dtype in _BAD_INT:
            self.report(tgt.value, message=INT_MESSAGE, related=related, fix=self._fix(tgt.value, FixSafety.SAFE),
                        extra=extra, loss=label, dtype=t.dtype)
            return
        if t.dtype not in FLOATING:
            return
        # a batch of a dataset: its values are the dataset tensor's
        safety = self._safety(flow, t.dataset_tensor if _from_dataset(t) else t)
        if nll:
            self.report(tgt.value, message=NLL_MESSAGE, related=related, fix=self._fix(tgt.value, safety, t),
                        extra=extra, loss=label, dtype=t.dtype)
            return
        if not self._class_indices(flow, t, i):
            return
        if t.shape is None or i.shape is None:
            self.report(tgt.value, message=FLOAT_INDEX_MESSAGE, related=related, fix=self._fix(tgt.value, safety, t),
                        extra=extra, loss=label, dtype=t.dtype)
            return
        self.report(tgt.value, related=related, fix=self._fix(tgt.value, safety, t), extra=extra, loss=label,
                    dtype=t.dtype, tshape=shape_str(t.shape), ishape=shape_str(i.shape))

    # ------------------------------------------------------------------ NumPy's default integer
    def _platform_target(self, tgt: cst.BaseExpression, flow: FlowAnalysis, label: str) -> None:
        """A target of unknown dtype that is certainly an array of NumPy's default integer
        carried over unchanged (``torch.from_numpy(np.array(labels, dtype=int))``): fine on
        Linux, an error on Windows with NumPy < 2. A portability warning, not an error."""
        source = self._platform_source(tgt, flow, 0)
        if source is None:
            return
        code = self.ctx.code_for(source).strip()
        related = [] if source is tgt else [Related(source, "这个数组的 dtype 取决于平台", "this array's dtype depends on the platform")]
        self.report(tgt, message=PLATFORM_MESSAGE, severity=Severity.WARNING, related=related,
                    fix=self._fix(tgt, FixSafety.SAFE), loss=label, source=code if len(code) <= 50 else code[:47] + "...")

    def _platform_source(self, expr: cst.BaseExpression, flow: FlowAnalysis, depth: int) -> Optional[cst.CSTNode]:
        """The NumPy call whose default-integer array ``expr`` certainly is, dtype unchanged."""
        v = flow.value_of(expr)
        node = v.origin
        if depth > 8 or v.dtype is not None:
            return None
        if v.kind is Kind.UNKNOWN:
            # NumPy functions the flow does not model (``np.repeat``) give unknown values
            if not (isinstance(node, cst.Call) and (self.ctx.qualname(node.func) or "").startswith("numpy.")):
                return None
        elif v.kind not in (Kind.TENSOR, Kind.NDARRAY):
            return None
        if isinstance(node, cst.Subscript):
            return self._platform_source(node.value, flow, depth + 1)
        if _from_dataset(v) and v.dataset_tensor.origin is not None:  # type: ignore[union-attr]
            return self._platform_source(v.dataset_tensor.origin, flow, depth + 1)  # a batch keeps the labels' dtype
        if not isinstance(node, cst.Call) or has_star_args(node):
            return None
        q = self.ctx.qualname(node.func)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) and q is None else None
        if v.kind is Kind.TENSOR:
            if q in _FROM_NUMPY:
                data = [a.value for a in node.args if a.keyword is None]
                if get_arg(node, None, "dtype") is not None or not data \
                        or flow.value_of(data[0]).kind not in (Kind.NDARRAY, Kind.UNKNOWN):
                    return None
                return self._platform_source(data[0], flow, depth + 1)
            if method in _KEEP_DTYPE_TENSOR and (method != "to" or self._device_only(node, flow)):
                return self._platform_source(node.func.value, flow, depth + 1)  # type: ignore[attr-defined]
            return None
        if method == "astype":
            dt = get_arg(node, 0, "dtype")
            ok = dt is not None and platform_int_dtype(flow.value_of(dt.value), self.ctx.qualname(dt.value))
            return node if ok else None
        if method in _KEEP_DTYPE_ARRAY:
            return self._platform_source(node.func.value, flow, depth + 1)  # type: ignore[attr-defined]

        def qualname_of(e: cst.BaseExpression) -> Optional[str]:
            found = self.ctx.qualname(e)
            if found is None and isinstance(e, cst.Name) and e.value == _BUILTIN_RANGE \
                    and e.value not in self.ctx.imports.rebound and flow.value_of(e).kind is Kind.UNKNOWN:
                return "builtins.range"
            return found

        def platform_of(e: cst.BaseExpression) -> bool:
            return self._platform_source(e, flow, depth + 1) is not None

        return node if numpy_platform_int(q, node, flow.value_of, qualname_of, platform_of) else None

    @staticmethod
    def _device_only(call: cst.Call, flow: FlowAnalysis) -> bool:
        """``.to("cuda")`` / ``.to(device=d)`` / ``.to(device)`` with a known device: no dtype change."""
        for a in call.args:
            if a.keyword is not None and a.keyword.value == "non_blocking":
                continue
            if a.keyword is not None and a.keyword.value != "device":
                return False
            if flow.value_of(a.value).kind not in (Kind.DEVICE, Kind.STR):
                return False
        return bool(call.args)

    # ------------------------------------------------------------------ runtime probe facts
    def _probe_facts(self, node: cst.Call, flow: FlowAnalysis, t: Value, i: Value) -> dict:
        """What the runtime probe needs to call the loss itself (``runtime_probe/checks.py``):
        the loss and its literal keyword arguments, the input's and target's shapes and
        dtypes. A fact that is not known as a literal is left out (the probe then says
        "unverifiable"); nothing is guessed."""
        out: dict = {"target_dtype": t.dtype}
        loss = self._loss_facts(node, flow)
        if loss is not None:
            out["loss"], out["loss_kwargs"] = loss
        shapes = _probe_shapes(i.shape, t.shape)
        if shapes is not None and i.kind is Kind.TENSOR and i.dtype is not None:
            out["input_shape"], out["input_dtype"], out["target_shape"] = shapes[0], i.dtype, shapes[1]
        return out

    def _loss_facts(self, node: cst.Call, flow: FlowAnalysis) -> Optional[tuple]:
        """(qualified name, keyword arguments) of the loss this call computes, when every
        argument besides input and target is a literal."""
        q = self.ctx.qualname(node.func)
        if q in _FUNCTIONAL and flow.value_of(node.func).kind is Kind.UNKNOWN:
            args, skip = node.args, 2
        else:
            f = flow.value_of(node.func)
            ctor = f.origin
            if f.kind is not Kind.LOSS or f.spec not in _CLASSES or not isinstance(ctor, cst.Call) \
                    or self.ctx.qualname(ctor.func) != f.spec or len(node.args) != 2 \
                    or any(a.keyword is not None and a.keyword.value not in ("input", "target") for a in node.args):
                return None
            q, args, skip = f.spec, ctor.args, 0
        names = _SIGNATURES[q]
        kwargs: dict = {}
        positional = 0
        for a in args:
            if a.star:
                return None
            if a.keyword is None:
                positional += 1
                if positional <= skip:
                    continue
                if positional - skip > len(names):
                    return None
                name = names[positional - skip - 1]
            else:
                name = a.keyword.value
                if name in ("input", "target") and skip:
                    continue
                if name not in names:
                    return None
            v = flow.value_of(a.value)
            value = v.const if (v.kind is Kind.STR and isinstance(v.const, str)) else literal(v)
            if value is None and name in _NONE_DEFAULT:
                continue
            if not isinstance(value, (str, int, float, bool, type(None))):
                return None  # a tensor (weight=...), a name we cannot read, …
            kwargs[name] = value
        return q, kwargs

    def _loss(self, node: cst.Call, flow: FlowAnalysis) -> Optional[tuple]:
        f = flow.value_of(node.func)
        q = self.ctx.qualname(node.func)
        if q in _FUNCTIONAL and f.kind is Kind.UNKNOWN:  # not shadowed by a local definition
            return _FUNCTIONAL[q]
        if f.kind is Kind.LOSS and f.spec in _CLASSES:
            return _CLASSES[f.spec]
        return None

    @staticmethod
    def _class_indices(flow: FlowAnalysis, t: Value, i: Value) -> bool:
        """Whether a floating target can only be meant as class indices (so it raises)."""
        if t.shape is not None and i.shape is not None:
            if len(t.shape) != len(i.shape):
                return True
            return any(a.is_int and b.is_int and a.coef != b.coef for a, b in zip(t.shape, i.shape))
        if t.shape is not None:
            return len(t.shape) == 1  # (C,) probabilities only go with an unbatched (C,) input
        if t.provenance not in _EXPLICIT:
            return False
        if t.provenance in _CASTS and isinstance(t.origin, cst.Call) and isinstance(t.origin.func, cst.Attribute):
            src = flow.value_of(t.origin.func.value)
            if src.provenance in SOFT_PRODUCERS or (src.dtype in FLOATING) or (src.rank is not None and src.rank >= 2):
                return False  # probabilities being converted, or already floating data
            if any(w in (flow.ctx.code_for(t.origin.func.value).lower()) for w in ("prob", "soft", "onehot", "one_hot", "dist", "mix")):
                return False
        return True

    @staticmethod
    def _related(t: Value, expr: cst.CSTNode) -> list:
        if t.origin is None or t.origin is expr:
            return []
        if _from_dataset(t):
            made = t.dataset_tensor.origin  # type: ignore[union-attr]
            out = [Related(t.origin, "目标张量是这个 DataLoader 给出的批次", "the target is a batch of this DataLoader")
                   if t.provenance == LOADER else Related(t.origin, "目标张量是这个数据集的样本",
                                                          "the target is a sample of this dataset")]
            if made is not None:
                out.append(Related(made, "数据集的标签张量在这里创建", "the dataset's label tensor is created here"))
            return out
        return [Related(t.origin, "目标张量在这里创建", "the target is created here")]

    def _safety(self, flow: FlowAnalysis, t: Value) -> FixSafety:
        o = t.origin
        if not isinstance(o, cst.Call):
            return FixSafety.UNSAFE
        if t.provenance in _CASTS and isinstance(o.func, cst.Attribute):
            src = flow.value_of(o.func.value)
            return FixSafety.SAFE if (src.dtype in INTEGRAL or src.dtype == "bool") else FixSafety.UNSAFE
        if t.provenance in ("torch.zeros", "torch.ones"):
            return FixSafety.SAFE
        if t.provenance == "torch.full":
            fill = get_arg(o, 1, "fill_value")
            v = flow.value_of(fill.value) if fill is not None else Value()
            return FixSafety.SAFE if (isinstance(v.const, (int, float)) and float(v.const).is_integer()) else FixSafety.UNSAFE
        if t.provenance in _DATA:
            data = get_arg(o, 0, "data")
            if data is not None and _integral(flow.value_of(data.value)):
                return FixSafety.SAFE
        return FixSafety.UNSAFE

    def _fix(self, expr: cst.BaseExpression, safety: FixSafety, t: Optional[Value] = None) -> Optional[FixSpec]:
        if t is not None and t.provenance in SOFT_PRODUCERS:
            return None  # probabilities: .long() would not mean anything
        title = ("在目标后加上 .long()", "append .long() to the target")
        if isinstance(expr, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not expr.lpar:
            return FixSpec((InsertAfter(expr, ".long()"),), *title, safety)
        code = self.ctx.code_for(expr).strip()
        return FixSpec((Replace(expr, f"({code}).long()"),), *title, safety)


def _probe_shapes(a: Optional[tuple], b: Optional[tuple]) -> Optional[tuple]:
    """Input and target shapes as the probe takes them: literal ints, and a symbolic
    batch ("N") only where it is the same symbol in dim 0 of both (the probe picks a
    small size for it; two different symbols might be different sizes)."""
    if a is None or b is None:
        return None
    sym0 = a[0] if a else None
    out = []
    for shape in (a, b):
        dims: list = []
        for k, d in enumerate(shape):
            if d.is_int and d.coef >= 0:
                dims.append(d.coef)
            elif k == 0 and d.coef == 1 and len(d.syms) == 1 and d == sym0 and b and b[0] == sym0:
                dims.append("N")
            else:
                return None
        out.append(dims)
    return tuple(out)


def _from_dataset(t: Value) -> bool:
    """A DataLoader batch or a dataset sample (``datasets.py``) whose dataset tensor is known."""
    return t.provenance in _FROM_DATASET and t.dataset_tensor is not None


def _integral(v: Value) -> bool:
    if v.kind in (Kind.INT, Kind.BOOL):
        return True
    if v.kind is Kind.FLOAT:
        return isinstance(v.const, float) and v.const.is_integer()
    if v.kind in (Kind.LIST, Kind.TUPLE) and v.items is not None:
        return all(_integral(x) for x in v.items)
    return False
