from typing import Optional

import libcst as cst

from ptlint.rules.astutil import get_arg, literal_value
from ptlint.rules.batch_origin import KEEP_DIMS_METHODS, BatchOrigins, fixed_rows
from ptlint.rules.bindings import LocalFacts, ScopeInfo, sequential_entries
from ptlint.rules.gating import Gated
from ptlint.rules.name_uses import Load, loads_after
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis
from ptlint.rules.rule import Docs, FixSpec, Message, Replace, Rule

# Uses of a squeezed tensor whose result depends on its rank (and so on a lost batch dim).
_RANK_METHODS = frozenset({"permute", "transpose", "size", "shape", "unbind", "split", "chunk", "t", "T"})
# Ops along a dim: given a literal dim >= 1, a squeezed batch of one shifts every axis down
# by one, so the op runs along another axis or raises IndexError. Method -> position of dim.
_DIM_METHODS = {"softmax": 0, "log_softmax": 0, "sum": 0, "mean": 0, "max": 0, "min": 0, "argmax": 0,
                "argmin": 0, "cumsum": 0}
_DIM_FUNCS = {"torch.nn.functional.softmax": 1, "torch.nn.functional.log_softmax": 1, "torch.softmax": 1,
              "torch.log_softmax": 1, "torch.sum": 1, "torch.mean": 1, "torch.argmax": 1,
              "torch.nn.functional.normalize": 2}
_F_LOSSES = frozenset({"cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits"})


# Attributes and methods that tell a tensor's rank (or its shape, whose length is the rank)
_RANK_PROBES = frozenset({"shape", "ndim", "dim", "ndimension", "size"})


def _rank_guard(use: Load) -> bool:
    """The squeezed name's rank or shape is tested by an ``if`` after the squeeze
    (``if len(x.shape) == 1:``, ``if x.dim() == 1:``): the code looks at what squeeze left."""
    return use.in_if_test and isinstance(use.parent, cst.Attribute) and use.parent.value is use.node \
        and use.parent.attr.value in _RANK_PROBES


def _flat(call: cst.Call) -> bool:
    """``y.view(-1)`` / ``y.reshape(-1)`` / ``y.flatten()``: 1-D whatever the batch size."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "flatten":
        return not call.args
    return len(call.args) == 1 and literal_value(call.args[0].value, None) == -1


def _dim_at_least_one(call: cst.Call, pos: int) -> bool:
    arg = get_arg(call, pos, "dim")
    v = literal_value(arg.value, None) if arg is not None else None
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


class SqueezeWithoutDim(Gated, Rule):
    code = "PT025"
    name = "squeeze-without-dim"
    needs = ('squeeze(',)
    severity = Severity.INFO
    fix_safety = FixSafety.UNSAFE
    message = Message(
        zh="`{call}` 没有指定 dim：会删除所有大小为 1 的维度，批量大小为 1 时连批量维也一起删掉",
        en="`{call}` without dim removes every size-1 dim, including the batch dim when the batch has size 1",
    )
    docs = Docs(
        zh="""## 它检查什么
对带批量维的张量调用不带参数的 `squeeze()`（或 `torch.squeeze(x)`）：模型或网络层的输出、`forward` 的输入、从 `DataLoader` 取出的一批数据，以及由它们逐元素计算出来的张量。第 0 维仍是批量维的结果也算在内：`torch.bmm` 的输出（两个操作数共用第 0 维）、池化后的特征（`F.adaptive_avg_pool2d(x, 1)`、`x.mean((2, 3))`），以及 `transpose(1, 2)`、`permute(0, …)`、`unsqueeze(1)` 之后的张量。只有当后面的用法会因为丢掉批量维而出错或改变结果时才报告：按批量索引或遍历（`out[0]`、`len(out)`、`for v in out`），依赖维数的操作（`permute()`、`transpose()`、`size(0)`，以及 `dim` 为 1 或更大的 `softmax`、`sum`、`F.normalize` 等——批量维没了，所有维度前移一位，运算落到另一维上或抛出 IndexError），或者在损失函数里与另一个没有同样 squeeze 的张量配对。两边都 squeeze 的损失（`loss_fct(logits.squeeze(), labels.squeeze())`）在批量为 1 时结果相同，直接返回的值后面怎么用也不知道，这些都不报告。行数由代码本身固定的张量（本文件的 `get_toy_data(1000)`、`torch.randn(64, 8)`），以及在损失函数里与这种固定行数的目标配对的输出，实际运行的批次都不会只有一个样本，也不报告。

## 为什么有问题
不指定 `dim` 时，`squeeze()` 会删除**所有**大小为 1 的维度（笔记：“当不指定 dim 参数时，删除所有大小为1的维度”）。平时批量大小大于 1，一切正常；一旦最后一个批次只剩 1 个样本，或者推理时只传入一个样本，批量维也会被删掉：`(1, 1)` 变成标量 `()`，`(1, 3, 1, 4)` 变成 `(3, 4)`。后面的损失函数、拼接或索引于是报错，或者悄悄按错误的形状广播。

## 示例
```python
out = model(x)          # (N, 1)
loss = criterion(out.squeeze(), y)   # N == 1 时 out.squeeze() 是标量
```

## 如何修复
写明要删除哪一维：

```python
loss = criterion(out.squeeze(-1), y)  # 只删最后一维，(N, 1) -> (N,)
```

当网络层是 `nn.Linear(..., 1)` 时，快速修复会改成 `squeeze(-1)`（不安全修复：批量大小为 1 时结果与原来不同——这正是要修复的行为）。
""",
        en="""## What it finds
`squeeze()` without arguments (or `torch.squeeze(x)`) on a tensor that carries a batch dim: the output of a model or layer, the input of `forward`, a batch taken from a `DataLoader`, and element-wise results of those. Results whose dim 0 is still the batch count too: `torch.bmm` outputs (both operands share dim 0), pooled features (`F.adaptive_avg_pool2d(x, 1)`, `x.mean((2, 3))`), and tensors after `transpose(1, 2)`, `permute(0, …)` or `unsqueeze(1)`. It reports only when what follows breaks or changes once the batch dim is gone: indexing or iterating by batch (`out[0]`, `len(out)`, `for v in out`), an op that needs the rank (`permute()`, `transpose()`, `size(0)`, and `softmax`, `sum`, `F.normalize`… along a literal `dim` of 1 or more: without the batch dim every axis shifts down by one, so the op runs along another axis or raises IndexError), or a loss that pairs it with a tensor not squeezed the same way. A loss of two tensors squeezed alike (`loss_fct(logits.squeeze(), labels.squeeze())`) is the same for a batch of one, and a returned value's use is unknown: neither is reported. Nor is a tensor whose row count the code fixes (the file's own `get_toy_data(1000)`, `torch.randn(64, 8)`), or an output paired in the loss with a target whose rows are fixed so: the batch that runs never has one sample.

## Why it is a problem
Without `dim`, `squeeze()` removes **every** dim of size 1. With batches larger than 1 all is well; when the last batch holds a single sample, or inference runs on one sample, the batch dim goes too: `(1, 1)` becomes a scalar `()`, `(1, 3, 1, 4)` becomes `(3, 4)`. The loss, a concatenation or an index then fails, or silently broadcasts the wrong shapes.

## Example
```python
out = model(x)          # (N, 1)
loss = criterion(out.squeeze(), y)   # a scalar when N == 1
```

## How to fix
Name the dim to remove:

```python
loss = criterion(out.squeeze(-1), y)  # only the last dim: (N, 1) -> (N,)
```

When the layer is an `nn.Linear(..., 1)` the quick fix writes `squeeze(-1)` (unsafe: for a batch of one the result differs from before — which is the behaviour being fixed).
""",
    )
    must_flag = (
        "import torch.nn as nn\nmodel = nn.Linear(8, 1)\ndef step(x, y, crit):\n    out = model(x)\n    return crit(out.squeeze(), y)  # <-\n",
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def forward(self, x):\n        x = x.squeeze()  # <-\n"
        "        return x.permute(2, 0, 1)\n",
        "import torch\nimport torch.nn.functional as F\nfrom torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=32)\n"
        "for xb, yb in loader:\n    y = torch.squeeze(yb)  # <-\n    loss = F.mse_loss(model(xb), y)\n",
        "import torch.nn as nn\nmodel = nn.Linear(8, 1)\ndef first(x):\n    p = model(x).squeeze()  # <-\n    return p[0]\n",
        # attention scores from bmm: (B, T, 1) -> (B, T), but (T,) for a batch of one
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nclass Attn(nn.Module):\n"
        "    def forward(self, hidden, encoder_outputs):\n"
        "        energy = torch.bmm(encoder_outputs, hidden.unsqueeze(2)).squeeze()  # <-\n"
        "        return F.softmax(energy, dim=1)\n",
        # pooled features
        "import torch.nn as nn\nimport torch.nn.functional as F\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.conv = nn.Conv2d(3, 16, 3)\n    def forward(self, x):\n"
        "        f = F.adaptive_avg_pool2d(self.conv(x), 1).squeeze()  # <-\n        return F.normalize(f, dim=1)\n",
    )
    must_not_flag = (
        "import torch\nt = torch.rand(1, 3, 1, 4)\nprint(t.squeeze().shape)\n",
        "import torch.nn as nn\nmodel = nn.Linear(8, 1)\ndef step(x):\n    return model(x).squeeze(-1)\n",
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def forward(self, x):\n        return x.squeeze(dim=1)\n",
        "import torch\ndef helper(x):\n    return x.squeeze()\n",
        "import numpy as np\nimport torch\na = np.ones((1, 3))\nb = a.squeeze()\n",
        # both sides squeezed alike: the regression head of *ForSequenceClassification
        # models gives the same loss for a batch of one
        "import torch.nn as nn\nclass Head(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 1)\n    def forward(self, x, labels):\n        logits = self.fc(x)\n"
        "        loss_fct = nn.MSELoss()\n        return loss_fct(logits.squeeze(), labels.squeeze())\n",
        # returned: what the caller does with it is unknown
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 1)\n    def forward(self, x):\n        return torch.sigmoid(self.fc(x)).squeeze()\n",
        # along the last dim: the same axis with or without the batch dim
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nclass Attn(nn.Module):\n"
        "    def forward(self, hidden, encoder_outputs):\n"
        "        energy = torch.bmm(encoder_outputs, hidden.unsqueeze(2)).squeeze()\n"
        "        return F.softmax(energy, dim=-1)\n",
        # operands of unknown origin
        "import torch\nimport torch.nn.functional as F\ndef scores(a, b):\n    e = torch.bmm(a, b).squeeze()\n"
        "    return F.softmax(e, dim=1)\n",
        # full-batch training on one tensor the file builds itself: its row count is fixed by
        # the code (200 here), never a loader's last batch of one
        "import torch\nimport torch.nn as nn\nx0 = torch.normal(torch.ones(100, 2), 1)\n"
        "x1 = torch.normal(-torch.ones(100, 2), 1)\ntrain_x = torch.cat((x0, x1), 0)\n"
        "train_y = torch.cat((torch.zeros(100), torch.ones(100)), 0)\nnet = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())\n"
        "loss_fn = nn.BCELoss()\nfor it in range(100):\n    y_pred = net(train_x)\n"
        "    loss = loss_fn(y_pred.squeeze(), train_y)\n",
        # rows fixed by the file's own data function: get_toy_data(1000) always gives 1000
        "import numpy as np\nimport torch\nimport torch.nn as nn\ndef get_toy_data(n):\n"
        "    return torch.tensor(np.random.normal(size=(n, 2)), dtype=torch.float32), torch.zeros(n)\n"
        "model = nn.Linear(2, 1)\nbce = nn.BCEWithLogitsLoss()\nfor epoch in range(5):\n"
        "    x, y = get_toy_data(1000)\n    loss = bce(model(x).squeeze(), y)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        recv: Optional[cst.BaseExpression] = None
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "squeeze" and not node.args:
            if self.qualname(node.func.value) is not None:
                return  # an imported name (np.squeeze()), not a tensor
            recv = node.func.value
        elif self.qualname(node.func) == "torch.squeeze" and len(node.args) == 1 and node.args[0].keyword is None \
                and not node.args[0].star:
            recv = node.args[0].value
        if recv is None:
            return
        origin = self.ctx.analysis(BatchOrigins).origin(recv, self.ctx.ancestors)
        if origin is None:
            return
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        if not self._next_use_needs_batch(node, facts, scope):
            return  # what follows is the same with or without the batch dim (or unknown): silent
        call = self.ctx.code_for(node)
        self.report(node, call=call if len(call) <= 40 else "x.squeeze()", fix=self._fix(node, origin, facts))

    # ---------------------------------------------------------------- what happens next
    def _next_use_needs_batch(self, node: cst.Call, facts: LocalFacts, scope: ScopeInfo) -> bool:
        """True when losing the batch dim changes what the squeezed value is used for:
        it is indexed or iterated by batch, put through an op that needs its rank, or paired
        in a loss with a tensor that was not squeezed the same way. Returning it, or a
        loss of two tensors both squeezed (``loss(logits.squeeze(), labels.squeeze())``),
        is the same for a batch of one."""
        anc = self.ctx.ancestors
        if len(anc) < 2:
            return False
        if self._use_needs_batch(node, anc[-2], anc[-3] if len(anc) >= 3 else None, facts, scope):
            return True
        parent = anc[-2]
        if not (isinstance(parent, cst.Assign) and parent.value is node and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name) and len(anc) >= 4):
            return False
        name = parent.targets[0].target.value
        uses = loads_after(anc[-4], anc[-3], name)
        if uses is None or any(_rank_guard(u) for u in uses):
            return False  # ``if len(x.shape) == 1: x = x.unsqueeze(0)``: the batch of one is handled
        return any(self._use_needs_batch(u.node, u.parent, u.grandparent, facts, scope) for u in uses)

    def _use_needs_batch(self, use: cst.CSTNode, parent: Optional[cst.CSTNode], grand: Optional[cst.CSTNode],
                         facts: LocalFacts, scope: ScopeInfo) -> bool:
        if isinstance(parent, cst.Subscript) and parent.value is use:
            return True  # out[i]: a 0-d tensor cannot be indexed, (C,) is indexed by class
        if isinstance(parent, cst.Attribute) and parent.value is use:
            if parent.attr.value in _DIM_METHODS and isinstance(grand, cst.Call) and grand.func is parent:
                return _dim_at_least_one(grand, _DIM_METHODS[parent.attr.value])
            return parent.attr.value in _RANK_METHODS
        if isinstance(parent, cst.For) and parent.iter is use:
            return True
        if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
            if isinstance(grand.func, cst.Name) and grand.func.value == "len":
                return True
            pos = _DIM_FUNCS.get(self.qualname(grand.func) or "")
            if pos is not None:
                return bool(grand.args) and grand.args[0] is parent and _dim_at_least_one(grand, pos)
            return self._asymmetric_loss(grand, parent, facts, scope)
        return False

    def _asymmetric_loss(self, call: cst.Call, arg: cst.Arg, facts: LocalFacts, scope: ScopeInfo) -> bool:
        if not self._is_loss(call.func, facts, scope):
            return False
        others = [a.value for a in call.args if a is not arg and (a.keyword is None or a.keyword.value in
                                                                     ("input", "target"))]
        flow = self.ctx.analysis(FlowAnalysis).check()
        if any(fixed_rows(flow.value_of(o)) for o in others):
            return False  # paired with a target of fixed rows (1000): a batch that runs is never one sample
        return any(not self._squeezed_alike(o, facts, scope) for o in others)

    def _is_loss(self, func: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo) -> bool:
        q = self.qualname(func)
        if q is not None:
            return q.startswith("torch.nn.functional.") and (q.endswith("_loss") or q.rsplit(".", 1)[-1] in _F_LOSSES)
        if isinstance(func, cst.Name):
            v = facts.value_of(func.value, scope)
            if isinstance(v, cst.Call):
                vq = self.qualname(v.func)
                if vq is not None:
                    return vq.startswith("torch.nn.") and vq.endswith("Loss")
            word = func.value
        elif isinstance(func, cst.Attribute):
            word = func.attr.value
        else:
            return False
        return any(w in word.lower() for w in ("loss", "crit"))

    def _squeezed_alike(self, expr: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo) -> bool:
        """Another argument that also lost its size-1 dims (or is no tensor at all)."""
        expr = facts.resolve(expr, scope)
        if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString, cst.UnaryOperation)):
            return True
        if isinstance(expr, cst.Call):
            f = expr.func
            if isinstance(f, cst.Attribute) and f.attr.value in ("squeeze", "view", "reshape", "flatten") \
                    and (f.attr.value != "squeeze" or not expr.args):
                return f.attr.value == "squeeze" or _flat(expr)
            if self.qualname(f) == "torch.squeeze" and len(expr.args) == 1:
                return True
            if isinstance(f, cst.Attribute) and f.attr.value in KEEP_DIMS_METHODS:
                return self._squeezed_alike(f.value, facts, scope)
        return False

    def _fix(self, node: cst.Call, origin: cst.CSTNode, facts: LocalFacts) -> Optional[FixSpec]:
        layer = origin
        if isinstance(layer, cst.Call) and self.qualname(layer.func) == "torch.nn.Sequential":
            entries = sequential_entries(layer)
            layer = entries[-1] if entries else None
        if not (isinstance(layer, cst.Call) and self.qualname(layer.func) == "torch.nn.Linear"):
            return None
        out = get_arg(layer, 1, "out_features")
        if out is None or literal_value(out.value, None) != 1:
            return None
        if isinstance(node.func, cst.Attribute):
            new = node.with_changes(args=[cst.Arg(cst.UnaryOperation(cst.Minus(), cst.Integer("1")))])
        else:
            new = node.with_changes(args=[node.args[0].with_changes(comma=cst.Comma(
                whitespace_after=cst.SimpleWhitespace(" "))), cst.Arg(cst.UnaryOperation(cst.Minus(), cst.Integer("1")))])
        return FixSpec((Replace(node, new),), "改为 squeeze(-1)", "use squeeze(-1)", FixSafety.UNSAFE)
