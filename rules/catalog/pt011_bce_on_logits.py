import dataclasses
from typing import Optional

import libcst as cst

from ptlint.rules.astutil import get_arg, literal_value
from ptlint.rules.bindings import ClassInfo, LocalFacts, ScopeInfo, sequential_entries
from ptlint.rules.flow import FlowAnalysis, Kind
from ptlint.rules.flow.datasets import LOADER
from ptlint.rules.flow.transfer import NOT_DATA_WRITES
from ptlint.rules.gating import Gated
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Report, Rule

_BCE_LOSS = "torch.nn.BCELoss"
_BCE_FUNC = "torch.nn.functional.binary_cross_entropy"
_SIZED = {"torch.rand", "torch.randn", "torch.zeros", "torch.ones", "torch.empty"}

RANK_MESSAGE = Message(
    zh="`{loss}` 的输入是 {a}（模型最后一层 `nn.Linear` 的 out_features={k}），目标是 {b}（{src_zh}）："
       "二者形状不同，会抛出 ValueError: Using a target size ... that is different to the input size；"
       "请用 `{inp}.squeeze(-1)` 或 `{tgt}.unsqueeze(-1)` 让形状一致",
    en="`{loss}` gets an input of {a} (the model's last `nn.Linear` has out_features={k}) and a target of {b} "
       "({src_en}): the shapes differ, so this raises ValueError: Using a target size ... that is different to "
       "the input size; use `{inp}.squeeze(-1)` or `{tgt}.unsqueeze(-1)` to make them agree",
)
# layers and functions that keep their input's rank (a Linear changes only the last dim)
_RANK_KEEPING_LAYERS = frozenset(f"torch.nn.{n}" for n in """
Linear ReLU ReLU6 LeakyReLU PReLU ELU SELU GELU SiLU Mish Sigmoid Tanh Softplus Hardtanh Hardsigmoid Hardswish
Dropout AlphaDropout BatchNorm1d LayerNorm Identity
""".split())
_ELEMENTWISE_FUNCS = frozenset({f"torch.{n}" for n in "relu sigmoid tanh".split()} | {
    f"torch.nn.functional.{n}" for n in "relu relu6 leaky_relu elu selu gelu silu mish sigmoid tanh softplus "
                                         "hardtanh hardsigmoid hardswish dropout".split()})
_ELEMENTWISE_METHODS = frozenset({"relu", "sigmoid", "tanh"})

# what a failing call site passes to the helper, for its related location (zh, en)
_PASSED = {"logits": ("这个模型", "this model"), "shape": ("这些张量", "these tensors")}

SHAPE_MESSAGE = Message(
    zh="`{loss}` 的输入形状 {a} 与目标形状 {b} 不一致：会抛出 ValueError，二者的形状必须完全相同",
    en="`{loss}` input shape {a} differs from target shape {b}: PyTorch raises ValueError; the shapes must be identical",
)


def literal_shape(call: cst.BaseExpression, qualname) -> Optional[tuple]:
    """The shape of ``torch.rand(4, 1)`` / ``torch.zeros((4,))`` / ``torch.randint(0, 2, (4,))``."""
    if not isinstance(call, cst.Call) or any(a.star for a in call.args):
        return None
    q = qualname(call.func)
    pos = [a.value for a in call.args if a.keyword is None]
    if q in _SIZED:
        size = get_arg(call, None, "size")
        if size is not None:
            pos = [size.value]
        if len(pos) == 1 and isinstance(pos[0], (cst.Tuple, cst.List)):
            vals = literal_value(pos[0], None)
        else:
            vals = [literal_value(p, None) for p in pos]
    elif q == "torch.full":
        vals = literal_value(pos[0], None) if pos else None
    elif q == "torch.randint":
        size = get_arg(call, None, "size")
        node = size.value if size is not None else (pos[-1] if len(pos) in (2, 3) else None)
        vals = literal_value(node, None) if node is not None else None
    else:
        return None
    if not isinstance(vals, (list, tuple)) or not vals:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return None
    return tuple(vals)


class BceOnLogits(Gated, Rule):
    code = "PT011"
    name = "bce-on-logits"
    needs = ('BCELoss', 'binary_cross_entropy')
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    message = Message(
        zh="`{loss}` 的输入是{src_zh} 的原始输出，没有经过 sigmoid：BCELoss 要求输入是 [0, 1] 内的概率，超出范围会抛出 RuntimeError；请改用 `{fix_api}`",
        en="`{loss}` gets the raw output of {src_en}, not passed through a sigmoid: BCELoss needs probabilities in [0, 1] and raises RuntimeError outside; use `{fix_api}`",
    )
    docs = Docs(
        zh="""## 它检查什么
交给 `nn.BCELoss` / `F.binary_cross_entropy` 的输入不对：

1. `nn.BCELoss` / `F.binary_cross_entropy` 的输入直接是 `nn.Linear` 的输出，或是最后一层为 `nn.Linear` 的模型的输出——也就是没有经过 sigmoid 的 logits。
2. 输入与目标的形状已知且不同（例如 `(4, 1)` 与 `(4,)`）。包括最常见的情形：模型只由线性层和逐元素的激活组成、最后是 `sigmoid(Linear(..., 1))`，输出 `(N, 1)`；而 `DataLoader(TensorDataset(X, y))` 给出的标签是 `(N,)`（`for`、`enumerate`、`next(iter(loader))`、`tqdm(loader)` 都算，数据集也可以来自 `Subset` / `random_split`）。模型里有 `view`、`flatten`、`squeeze` 之类改变维数的操作，或 DataLoader 用了自定义的 `collate_fn` 时不会报告。

两者都会跟进同一文件里接收模型或损失函数作为参数的辅助函数（`def train_one(model, criterion, optimizer, x, y)`）：按每个调用处传入的模型和损失分别检查，问题报告在辅助函数里调用损失的那一行，并指出出错的调用处；传入未知对象或正确对象的调用处不会报告。辅助函数又是从另一个辅助函数里调用的（`train_epoch(model, criterion, optimizer, batches)` 里调用 `train_one(...)`）时，同样按外层调用传入的模型和损失检查，最多跟进三层调用，相关位置从最内层的调用开始依次列出外层的每一处调用；这种情况不提供快速修复。模型输出在送进损失之前被原地修改过（`out.sigmoid_()`）时不会报告。

## 为什么有问题
二元交叉熵 `-[y·log ŷ + (1−y)·log(1−ŷ)]` 要求 `ŷ` 是概率。`nn.BCELoss` 不会替你做 sigmoid：线性层的输出可以是任意实数，只要有一个元素不在 `[0, 1]` 内，就会抛出 `RuntimeError: all elements of input should be between 0 and 1`；即使碰巧都在范围内，算出来的也不是你想要的损失。

笔记强调：“input 和 target 维度一定要一样”。形状不同时 PyTorch 直接抛出 `ValueError: Using a target size (...) that is different to the input size (...)`——最常见的是模型输出 `(N, 1)`，而标签是 `(N,)`。

## 示例
```python
model = nn.Sequential(nn.Linear(10, 1))
loss_fn = nn.BCELoss()
loss = loss_fn(model(x), y)            # logits 直接进了 BCELoss
```

## 如何修复
让损失函数自己做 sigmoid，数值上也更稳定：

```python
loss_fn = nn.BCEWithLogitsLoss()
loss = loss_fn(model(x), y.float())
```

或者在模型末尾加上 `nn.Sigmoid()`。形状不一致时，用 `out.squeeze(-1)` 或 `y.unsqueeze(-1)` 让两者一致。快速修复会换成 `BCEWithLogitsLoss` / `F.binary_cross_entropy_with_logits`（不安全修复：如果同一个损失对象在别处接收的是概率，需要一并检查）。问题出在辅助函数的调用处时，只有当调用处的 `nn.BCELoss()` 没有在别处使用时才提供修复（改的是那个 `nn.BCELoss()`）；辅助函数里的 `F.binary_cross_entropy` 不提供修复，因为改动会影响所有调用者。
""",
        en="""## What it finds
Wrong input for `nn.BCELoss` / `F.binary_cross_entropy`:

1. `nn.BCELoss` / `F.binary_cross_entropy` fed the raw output of an `nn.Linear`, or of a model whose last layer is an `nn.Linear`: logits that never went through a sigmoid.
2. Input and target shapes that are known and differ (e.g. `(4, 1)` vs `(4,)`), including the most common case: a model made only of linear layers and elementwise activations that ends in `sigmoid(Linear(..., 1))` gives `(N, 1)` while `DataLoader(TensorDataset(X, y))` gives labels of `(N,)` (through `for`, `enumerate`, `next(iter(loader))` or `tqdm(loader)`, also of a `Subset` / `random_split` of the dataset). A model that changes the rank (`view`, `flatten`, `squeeze` …) or a DataLoader with its own `collate_fn` is not reported.

Both are followed into a helper of the same file that gets the model or the loss as a parameter (`def train_one(model, criterion, optimizer, x, y)`): it is checked once per call site with the model and loss that call passes, reported at the loss call in the helper, naming the failing call site; a call site passing something unknown or right is not reported. A helper called from another helper (`train_epoch(model, criterion, optimizer, batches)` calling `train_one(...)`) is checked with the model and loss of the outer call too, up to three calls deep, the related locations listing the calls from the innermost outwards; there is no quick fix then. A model output changed in place before the loss (`out.sigmoid_()`) is not reported.

## Why it is a problem
Binary cross-entropy `-[y·log ŷ + (1−y)·log(1−ŷ)]` needs `ŷ` to be a probability. `nn.BCELoss` does not apply a sigmoid: a linear layer's output is any real number, and as soon as one element falls outside `[0, 1]` it raises `RuntimeError: all elements of input should be between 0 and 1`; when they happen to fit, the loss is still not the one you meant.

The notes insist that input and target have the same shape. When they differ PyTorch raises `ValueError: Using a target size (...) that is different to the input size (...)` — most often a model output of `(N, 1)` against labels of `(N,)`.

## Example
```python
model = nn.Sequential(nn.Linear(10, 1))
loss_fn = nn.BCELoss()
loss = loss_fn(model(x), y)            # logits straight into BCELoss
```

## How to fix
Let the loss apply the sigmoid (numerically more stable too):

```python
loss_fn = nn.BCEWithLogitsLoss()
loss = loss_fn(model(x), y.float())
```

or end the model with `nn.Sigmoid()`. For mismatched shapes use `out.squeeze(-1)` or `y.unsqueeze(-1)`. The quick fix switches to `BCEWithLogitsLoss` / `F.binary_cross_entropy_with_logits` (unsafe: if the same loss object receives probabilities elsewhere, check those too). When the problem comes from a helper's call site, the fix (on the call site's `nn.BCELoss()`) is offered only when that loss object is used nowhere else; `F.binary_cross_entropy` inside a helper gets no fix, since the edit would change every caller.
""",
    )
    must_flag = (
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(10, 4), nn.ReLU(), nn.Linear(4, 1))\nloss_fn = nn.BCELoss()\n"
        "def step(x, y):\n    return loss_fn(model(x), y)  # <-\n",
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nclass Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 1)\n"
        "    def forward(self, x, y):\n        logits = self.fc(x)\n        return F.binary_cross_entropy(logits, y)  # <-\n",
        "import torch\nimport torch.nn as nn\nloss = nn.BCELoss()\ny_hat = torch.rand(4, 1)\nt = torch.randint(0, 2, (4,)).float()\n"
        "print(loss(y_hat, torch.rand(4)))  # <-\n",
        "import torch.nn as nn\nclass Clf(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.head = nn.Linear(16, 1)\n        self.crit = nn.BCELoss()\n    def forward(self, x):\n        return self.head(x)\n"
        "    def loss(self, x, y):\n        return self.crit(self(x), y)  # <-\nmodel = Clf()\ncrit = nn.BCELoss()\n"
        "def step(x, y):\n    return crit(model(x), y)  # <-\n",
        "import torch\nimport torch.nn.functional as F\np = torch.sigmoid(torch.randn(8, 1))\ny = torch.randint(0, 2, (8,)).float()\n"
        "loss = F.binary_cross_entropy(p, y)  # <-\n",
        # a model ending in sigmoid(Linear(..., 1)) gives (N, 1); DataLoader labels are (N,)
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(10, 16)\n"
        "        self.fc2 = nn.Linear(16, 1)\n    def forward(self, x):\n        x = torch.relu(self.fc1(x))\n"
        "        return torch.sigmoid(self.fc2(x))\nX = torch.randn(100, 10)\ny = torch.randint(0, 2, (100,)).float()\n"
        "loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)\nmodel = Net()\ncriterion = nn.BCELoss()\n"
        "for i, (xb, yb) in enumerate(loader):\n    out = model(xb)\n    loss = criterion(out, yb)  # <-\n",
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())\n"
        "x = torch.randn(32, 4)\ny = torch.randint(0, 2, (32,)).float()\nloss = F.binary_cross_entropy(model(x), y)  # <-\n",
        # a helper that gets the model and the loss from its call site
        "import torch\nimport torch.nn as nn\ndef train_one(model, criterion, x, y):\n    out = model(x)\n"
        "    return criterion(out, y)  # <-\ntrain_one(nn.Linear(10, 1), nn.BCELoss(), torch.randn(4, 10), torch.rand(4, 1))\n",
    )
    must_not_flag = (
        "import torch\nimport torch.nn as nn\nmodel = nn.Sequential(nn.Linear(10, 1), nn.Sigmoid())\nloss_fn = nn.BCELoss()\n"
        "def step(x, y):\n    return loss_fn(model(x), y)\n",
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(10, 1)\nloss_fn = nn.BCELoss()\n"
        "def step(x, y):\n    return loss_fn(torch.sigmoid(model(x)), y)\n",
        "import torch.nn as nn\nmodel = nn.Linear(10, 1)\nloss_fn = nn.BCEWithLogitsLoss()\ndef step(x, y):\n    return loss_fn(model(x), y)\n",
        "import torch\nimport torch.nn as nn\nloss = nn.BCELoss()\nprint(loss(torch.rand(4, 3), torch.rand(4, 3)))\n",
        "import torch.nn as nn\nloss_fn = nn.BCELoss()\ndef step(model, x, y):\n    return loss_fn(model(x), y)\n",
        # labels of shape (N, 1), a squeezed output, a reshaped label, a custom collate_fn
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "model = nn.Sequential(nn.Linear(10, 1), nn.Sigmoid())\ncriterion = nn.BCELoss()\nX = torch.randn(64, 10)\n"
        "y = torch.randint(0, 2, (64, 1)).float()\nfor xb, yb in DataLoader(TensorDataset(X, y), batch_size=8):\n"
        "    loss = criterion(model(xb), yb)\n",
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "model = nn.Sequential(nn.Linear(10, 1), nn.Sigmoid())\ncriterion = nn.BCELoss()\nX = torch.randn(64, 10)\n"
        "y = torch.randint(0, 2, (64,)).float()\nloader = DataLoader(TensorDataset(X, y), batch_size=8)\n"
        "for xb, yb in loader:\n    a = criterion(model(xb).squeeze(1), yb)\n    yb = yb.unsqueeze(1)\n"
        "    b = criterion(model(xb), yb)\nfor xb, yb in DataLoader(TensorDataset(X, y), batch_size=8, collate_fn=collate):\n"
        "    c = criterion(model(xb), yb)\n",
        # the model flattens or reshapes: its output rank is not its input's
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(10, 1)\n    def forward(self, x):\n        return torch.sigmoid(self.fc(x)).view(-1)\n"
        "model = Net()\nloss = nn.BCELoss()(model(torch.randn(8, 10)), torch.rand(8))\n",
        # a helper given a model that ends in a sigmoid, or a loss that applies it
        "import torch\nimport torch.nn as nn\ndef train_one(model, criterion, x, y):\n    return criterion(model(x), y)\n"
        "x, y = torch.randn(4, 10), torch.rand(4, 1)\ntrain_one(nn.Sequential(nn.Linear(10, 1), nn.Sigmoid()), nn.BCELoss(), x, y)\n"
        "train_one(nn.Linear(10, 1), nn.BCEWithLogitsLoss(), x, y)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        before = len(self.reports)
        self._check_here(node)
        if len(self.reports) == before:
            self._check_call_sites(node)

    def _check_here(self, node: cst.Call) -> None:
        """The loss, the model and the tensors as this file's own code makes them."""
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        cls, _ = facts.enclosing_method(self.ctx.ancestors)
        loss_api, ctor = self._bce(node, facts, scope, cls)
        if loss_api is None:
            return
        if any(a.star for a in node.args):
            return
        inp = get_arg(node, 0, "input")
        tgt = get_arg(node, 1, "target")
        if inp is None:
            return
        src = self._raw_logits(inp.value, facts, scope, cls)
        flow = self.ctx.analysis(FlowAnalysis)
        # ``out.sigmoid_()`` before the loss: no longer the layer's raw output (a file the flow
        # failed on keeps the finding this syntactic check makes without it)
        if src is not None and flow.error is None and self._written_in_place(inp.value, flow):
            src = None
        if src is not None:
            (src_zh, src_en), origin = src
            self.report(node, loss=loss_api, src_zh=src_zh, src_en=src_en,
                        fix_api="nn.BCEWithLogitsLoss" if ctor is not None else "F.binary_cross_entropy_with_logits",
                        fix=self._fix(node, ctor),
                        related=[Related(origin, "这一层的输出没有经过 sigmoid", "this layer's output has no sigmoid")])
            return
        if tgt is None:
            return
        a = literal_shape(facts.resolve(inp.value, scope), self.qualname) or self._flow_shape(inp.value)
        b = literal_shape(self._strip_cast(facts.resolve(tgt.value, scope)), self.qualname) or self._flow_shape(tgt.value)
        before = len(self.reports)
        call = facts.resolve(inp.value, scope)
        if isinstance(call, cst.Call) and not any(a.star for a in call.args):
            layer = facts.layer_call(call.func, scope, cls)
            if layer is not None:  # the (N, 1)-against-(N,) case says why and how to fix it
                self._rank_mismatch(node, loss_api, inp.value, call, layer, tgt.value, facts,
                                    self.ctx.analysis(FlowAnalysis).check())
        if len(self.reports) == before and a is not None and b is not None and a != b:
            self.report(node, message=SHAPE_MESSAGE, severity=Severity.ERROR, loss=loss_api,
                        a=_fmt(a), b=_fmt(b))

    # ------------------------------------------------------------------ through a helper's call sites
    def _check_call_sites(self, node: cst.Call) -> None:
        """Inside a helper (``def train_one(model, criterion, ...)``): the same checks once
        per call site, with the loss and the model that call passes (flow/call_sites.py).
        Reported once, at the loss call in the helper, naming every call site that fails;
        a call site passing something unknown or right is no finding."""
        if any(a.star for a in node.args):
            return
        inp = get_arg(node, 0, "input")
        tgt = get_arg(node, 1, "target")
        if inp is None:
            return
        flow = self.ctx.analysis(FlowAnalysis).check()
        failing: list = []
        for site in flow.call_sites(node):
            before = len(self.reports)
            loss = self._check_site(node, inp.value, tgt.value if tgt is not None else None, site)
            found = self.reports[before:]
            del self.reports[before:]
            if found:
                failing.append((site, found[0], loss))
        if not failing:
            return
        first: Report = failing[0][1]
        related: dict = {}  # (call, message) -> Related: a call shared by two chains is named once
        for site, _, (kind, _, _) in failing:
            for r in self.call_chain_related(site.chain, *_PASSED[kind]):
                related.setdefault((id(r.node), r.message_en), r)
        fix = self._site_fix(node, failing, flow)
        self.reports.append(dataclasses.replace(first, fix=fix, alt_fixes=(),
                                                related=tuple(related.values()) + tuple(first.related)))

    def _check_site(self, node: cst.Call, inp: cst.BaseExpression, tgt: Optional[cst.BaseExpression],
                    site) -> Optional[tuple]:
        """Report what this call site makes wrong; returns ("logits" | "shape", the loss
        value, its ``nn.BCELoss()`` constructor or None) when it reported."""
        facts = self.ctx.analysis(LocalFacts)
        f = site.value_of(node.func)
        if self.qualname(node.func) == _BCE_FUNC and f.kind is Kind.UNKNOWN:
            api, ctor = "F.binary_cross_entropy", None
        elif f.kind is Kind.LOSS and f.spec == _BCE_LOSS:
            o = f.origin
            api, ctor = "nn.BCELoss", (o if isinstance(o, cst.Call) and self.qualname(o.func) == _BCE_LOSS else None)
        else:
            return None
        v = site.value_of(inp)
        model = self._model_of(v, site, facts)
        if model is not None and not self._written_in_place(inp, site):
            found = self._layer_logits(model[1], facts, 0)
            if found is not None:
                (src_zh, src_en), origin = found
                related = [Related(origin, "这一层的输出没有经过 sigmoid", "this layer's output has no sigmoid")]
                if ctor is not None:
                    related.append(Related(ctor, "损失函数 `nn.BCELoss` 在这里创建", "the `nn.BCELoss` is created here"))
                self.report(node, loss=api, src_zh=src_zh, src_en=src_en,
                            fix_api="nn.BCEWithLogitsLoss" if f.kind is Kind.LOSS else "F.binary_cross_entropy_with_logits",
                            related=related)
                return "logits", f, ctor
        if tgt is None:
            return None
        a, b = self._flow_shape(inp, site), self._flow_shape(tgt, site)
        if model is not None:  # the (N, 1)-against-(N,) case says why and how to fix it
            before = len(self.reports)
            self._rank_mismatch(node, api, inp, model[0], model[1], tgt, facts, site)
            if len(self.reports) > before:
                return "shape", f, ctor
        if a is not None and b is not None and a != b:
            self.report(node, message=SHAPE_MESSAGE, severity=Severity.ERROR, loss=api, a=_fmt(a), b=_fmt(b))
            return "shape", f, ctor
        return None

    def _model_of(self, v, flow, facts: LocalFacts) -> Optional[tuple[cst.Call, cst.Call]]:
        """(the call, the model's constructor) when the flow says ``v`` is what calling a
        model of known constructor returned: ``model(x)`` with ``model`` a ``Net()`` /
        ``nn.Sequential(...)`` / ``nn.Linear(...)`` passed in by the call site."""
        call = v.origin
        if not isinstance(call, cst.Call) or any(a.star for a in call.args) or v.storage is None \
                or flow.value_of(call).storage != v.storage:
            return None
        m = flow.value_of(call.func)
        layer = m.origin
        if m.kind is not Kind.MODULE or not isinstance(layer, cst.Call):
            return None
        if self.qualname(layer.func) != m.spec:
            local = facts.local_module_class(layer.func)
            if local is None or local.node.name.value != m.spec:
                return None
        return call, layer

    @staticmethod
    def _written_in_place(expr: cst.BaseExpression, flow) -> bool:
        """Whether the tensor ``expr`` holds is written in place somewhere (``out.sigmoid_()``):
        then it may no longer be the layer's raw output."""
        for h in flow.holders(flow.value_of(expr)):
            if isinstance(h, cst.Call) and isinstance(h.func, cst.Attribute):
                name = h.func.attr.value
                if name.endswith("_") and not name.startswith("_") and name not in NOT_DATA_WRITES:
                    return True
        return False

    def _site_fix(self, node: cst.Call, failing: list, flow) -> Optional[FixSpec]:
        """``nn.BCEWithLogitsLoss`` at the call sites' constructors, only when every failing
        site feeds logits to an ``nn.BCELoss()`` that nothing else uses: not the loss call in
        the helper (it changes every caller), not a loss another site or statement reads
        (it may get probabilities there)."""
        if any(loss is None or loss[0] != "logits" or loss[2] is None for _, _, loss in failing):
            return None
        if any(len(site.chain) > 1 for site, _, _ in failing):
            return None  # the loss goes through another helper first, which may use it elsewhere too
        ctors = {id(loss[2]): (loss[1], loss[2]) for _, _, loss in failing}
        allowed = {id(node.func)}  # the criterion called in the helper
        for site, _, (_, value, _) in failing:
            fn = flow.value_of(site.call.func).func
            if isinstance(fn, cst.FunctionDef):  # the helper's parameters name it
                allowed |= {id(p.name) for p in (*fn.params.posonly_params, *fn.params.params,
                                                  *fn.params.kwonly_params)}
            allowed |= {id(a.value) for a in site.call.args if flow.value_of(a.value) == value}
        facts = self.ctx.analysis(LocalFacts)
        edits = []
        for value, ctor in ctors.values():
            if self.ctx.is_foreign(ctor) or not isinstance(ctor.func, cst.Attribute):
                return None
            bound = {id(t.target) for sb in facts.table.all_scopes() for b in sb.bindings
                     if b.value is ctor and isinstance(b.node, cst.Assign) for t in b.node.targets}
            if any(h is not ctor and id(h) not in allowed and id(h) not in bound for h in flow.holders(value)):
                return None  # read elsewhere: it may get probabilities there
            edits.append(Replace(ctor.func.attr, "BCEWithLogitsLoss"))
        return FixSpec(tuple(edits), "改用 nn.BCEWithLogitsLoss", "use nn.BCEWithLogitsLoss", FixSafety.UNSAFE)

    # ------------------------------------------------------------------ (N, 1) output, (N,) labels
    def _rank_mismatch(self, node: cst.Call, loss_api: str, inp: cst.BaseExpression, call: cst.Call,
                       layer: cst.Call, tgt: cst.BaseExpression, facts: LocalFacts, flow) -> None:
        """A model whose output keeps its input's rank (Linear / activation layers only, the
        last Linear giving ``k`` features) against a target of another rank: a model ending
        in ``sigmoid(Linear(..., 1))`` gives ``(N, 1)``, DataLoader labels are ``(N,)``.
        ``call`` is the model's call that made ``inp``, ``layer`` its constructor."""
        pos = [a.value for a in call.args if a.keyword is None]
        if len(pos) != 1 or len(call.args) != 1:
            return
        last = self._rank_keeping_model(layer, facts)
        if last is None:
            return
        in_rank = self._rank(pos[0], flow)
        target = self._strip_cast(tgt)
        t_rank = self._rank(target, flow)
        if in_rank is None or t_rank is None or in_rank[0] == t_rank[0] or in_rank[0] < 1:
            return
        k = _out_features(last)
        a = "(" + ", ".join(["N"] + ["?"] * (in_rank[0] - 2) + [str(k) if k is not None else "?"]) + ")" \
            if in_rank[0] >= 2 else f"({k if k is not None else '?'},)"
        b = "()" if t_rank[0] == 0 else "(" + ", ".join(["N"] + ["?"] * (t_rank[0] - 1)) + ("," if t_rank[0] == 1 else "") + ")"
        related = [Related(last, "模型最后的线性层", "the model's last linear layer")]
        if t_rank[1] is not None:
            related.append(Related(t_rank[1], "目标张量来自这里", "the target comes from here"))
        src_zh, src_en = ("DataLoader 的标签", "labels from the DataLoader") if t_rank[2] else ("目标张量", "the target tensor")
        self.report(node, message=RANK_MESSAGE, severity=Severity.ERROR, related=related, loss=loss_api, a=a, b=b,
                    k="?" if k is None else k, src_zh=src_zh, src_en=src_en, inp=_short(self.ctx.code_for(inp)),
                    tgt=_short(self.ctx.code_for(target)))

    @staticmethod
    def _rank(expr: cst.BaseExpression, flow) -> Optional[tuple]:
        """(rank, where it comes from, from a DataLoader) of a tensor of known shape; a
        DataLoader batch comes from the loader (``flow/datasets.py``)."""
        v = flow.value_of(expr)
        if v.kind is not Kind.TENSOR or v.shape is None:
            return None
        if v.provenance == LOADER:
            return len(v.shape), v.origin, True
        return len(v.shape), None, False

    def _rank_keeping_model(self, layer: cst.Call, facts: LocalFacts) -> Optional[cst.Call]:
        """The last ``nn.Linear`` of a model made only of rank-keeping layers and
        elementwise functions, applied one after another to its input; else None."""
        q = self.qualname(layer.func)
        if q == "torch.nn.Sequential":
            entries = sequential_entries(layer)
            if not entries or not all(isinstance(e, cst.Call) and self.qualname(e.func) in _RANK_KEEPING_LAYERS
                                      for e in entries):
                return None
            linears = [e for e in entries if self.qualname(e.func) == "torch.nn.Linear"]  # type: ignore[union-attr]
            return linears[-1] if linears else None  # type: ignore[return-value]
        local = facts.local_module_class(layer.func)
        if local is None:
            return None
        forward = local.methods.get("forward")
        if forward is None or not isinstance(forward.body, cst.IndentedBlock):
            return None
        params = forward.params
        if isinstance(params.star_arg, (cst.Param, cst.ParamStar)) or params.star_kwarg is not None \
                or params.kwonly_params or params.posonly_params or len(params.params) != 2:
            return None
        x = params.params[1].name.value
        last: list = []
        stmts = list(forward.body.body)
        for i, stmt in enumerate(stmts):
            if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
                return None
            small = stmt.body[0]
            if isinstance(small, cst.Return) and i == len(stmts) - 1 and small.value is not None:
                return last[-1] if self._chain(small.value, x, local, last) and last else None
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == x):
                return None
            if not self._chain(small.value, x, local, last):
                return None
        return None

    def _chain(self, expr: cst.BaseExpression, x: str, cls: ClassInfo, linears: list) -> bool:
        """``expr`` is rank-keeping layers / elementwise functions applied to ``x`` alone;
        the Linear layers met are appended to ``linears`` innermost first."""
        if isinstance(expr, cst.Name):
            return expr.value == x
        if not isinstance(expr, cst.Call) or any(a.star for a in expr.args):
            return False
        pos = [a.value for a in expr.args if a.keyword is None]
        func = expr.func
        if self.qualname(func) in _ELEMENTWISE_FUNCS:
            return len(pos) >= 1 and all(literal_value(p, _NOT_LITERAL) is not _NOT_LITERAL for p in pos[1:]) \
                and self._chain(pos[0], x, cls, linears)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            ctor = cls.self_single(func.attr.value)
            if not (isinstance(ctor, cst.Call) and self.qualname(ctor.func) in _RANK_KEEPING_LAYERS) \
                    or len(pos) != 1 or len(expr.args) != 1:
                return False
            if not self._chain(pos[0], x, cls, linears):
                return False
            if self.qualname(ctor.func) == "torch.nn.Linear":
                linears.append(ctor)
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in _ELEMENTWISE_METHODS and not expr.args:
            return self._chain(func.value, x, cls, linears)
        return False

    def _flow_shape(self, expr: cst.BaseExpression, flow=None) -> Optional[tuple]:
        """A shape the data-flow facts (of the file, or of one call site) know with every
        dim a literal integer."""
        v = (flow or self.ctx.analysis(FlowAnalysis).check()).value_of(expr)
        if v.kind is not Kind.TENSOR or v.shape is None or not all(d.is_int for d in v.shape):
            return None
        return tuple(d.coef for d in v.shape)

    def _strip_cast(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in ("float", "double", "half", "to") and self.qualname(expr.func.value) is None:
            expr = expr.func.value
        return expr

    def _bce(self, node: cst.Call, facts: LocalFacts, scope: ScopeInfo,
             cls: Optional[ClassInfo]) -> tuple[Optional[str], Optional[cst.Call]]:
        """(api shown in messages, the BCELoss constructor call or None for the functional form)."""
        q = self.qualname(node.func)
        if q == _BCE_FUNC:
            return "F.binary_cross_entropy", None
        func = node.func
        ctor: Optional[cst.BaseExpression] = None
        if isinstance(func, cst.Call):
            ctor = func
        elif isinstance(func, cst.Name):
            ctor = facts.value_of(func.value, scope)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self" \
                and cls is not None:
            ctor = cls.self_single(func.attr.value)
        if isinstance(ctor, cst.Call) and self.qualname(ctor.func) == _BCE_LOSS:
            return "nn.BCELoss", ctor
        return None, None

    def _raw_logits(self, expr: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo,
                    cls: Optional[ClassInfo], depth: int = 0) -> Optional[tuple[tuple[str, str], cst.CSTNode]]:
        """(description, layer constructor) when ``expr`` is certainly a Linear's raw output."""
        if depth > 4:
            return None
        expr = facts.resolve(expr, scope)
        if not isinstance(expr, cst.Call):
            return None
        # self(x) inside a model class: its forward
        if isinstance(expr.func, cst.Name) and expr.func.value == "self" and cls is not None:
            return self._forward_output(cls, facts, depth)
        layer = facts.layer_call(expr.func, scope, cls)
        if layer is None:
            return None
        return self._layer_logits(layer, facts, depth)

    def _layer_logits(self, layer: cst.Call, facts: LocalFacts,
                      depth: int) -> Optional[tuple[tuple[str, str], cst.CSTNode]]:
        """(description, layer constructor) when the model built by ``layer`` certainly
        returns a Linear's raw output."""
        q = self.qualname(layer.func)
        if q == "torch.nn.Linear":
            return (" `nn.Linear`", "`nn.Linear`"), layer  # zh: a space before code, none before Chinese
        if q == "torch.nn.Sequential":
            entries = sequential_entries(layer)
            if entries and isinstance(entries[-1], cst.Call) and self.qualname(entries[-1].func) == "torch.nn.Linear":
                return ("最后一层为 `nn.Linear` 的模型", "a model ending in `nn.Linear`"), entries[-1]
            return None
        local = facts.local_module_class(layer.func)
        if local is not None:
            return self._forward_output(local, facts, depth)
        return None

    def _forward_output(self, cls: ClassInfo, facts: LocalFacts, depth: int) -> Optional[tuple[tuple[str, str], cst.CSTNode]]:
        forward = cls.methods.get("forward")
        if forward is None or not isinstance(forward.body, cst.IndentedBlock):
            return None
        returns = [s for s in forward.body.body if isinstance(s, cst.SimpleStatementLine)
                   and isinstance(s.body[0], cst.Return)]
        if len(returns) != 1 or len(facts.returns_of(forward)) != 1:
            return None
        value = returns[0].body[0].value  # type: ignore[attr-defined]
        if value is None:
            return None
        inner = facts.scopes.get(forward)
        if inner is None:
            return None
        found = self._raw_logits(value, facts, inner, cls, depth + 1)
        if found is None:
            return None
        name = f"`{cls.node.name.value}`"
        return (f"模型 {name}", f"the model {name}"), found[1]

    def _fix(self, node: cst.Call, ctor: Optional[cst.Call]) -> Optional[FixSpec]:
        if ctor is None:
            if isinstance(node.func, cst.Attribute):
                return FixSpec((Replace(node.func.attr, "binary_cross_entropy_with_logits"),),
                               "改用 F.binary_cross_entropy_with_logits", "use F.binary_cross_entropy_with_logits",
                               FixSafety.UNSAFE)
            return None
        if isinstance(ctor.func, cst.Attribute):
            return FixSpec((Replace(ctor.func.attr, "BCEWithLogitsLoss"),), "改用 nn.BCEWithLogitsLoss",
                           "use nn.BCEWithLogitsLoss", FixSafety.UNSAFE)
        return None


_NOT_LITERAL = object()


def _short(code: str) -> str:
    return code if len(code) <= 30 else "x"


def _out_features(linear: cst.Call) -> Optional[int]:
    arg = get_arg(linear, 1, "out_features")
    v = literal_value(arg.value, None) if arg is not None else None
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
