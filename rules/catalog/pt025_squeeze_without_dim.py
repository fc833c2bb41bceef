from typing import Optional

import libcst as cst

from ptlint.rules.astutil import get_arg, literal_value
from ptlint.rules.catalog._local import ClassInfo, Gated, LocalFacts, ScopeInfo, sequential_entries
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Replace, Rule

# Element-wise steps keep every dim of their input, batch included.
_KEEP_METHODS = frozenset("""
float double half bfloat16 long int to cpu cuda detach clone contiguous relu sigmoid tanh exp log abs neg
softmax log_softmax add sub mul div pow clamp clip sqrt round floor ceil type_as requires_grad_
""".split())
_KEEP_FUNCS = frozenset({f"torch.{n}" for n in "sigmoid tanh relu exp log abs softmax log_softmax clamp".split()}
                        | {f"torch.nn.functional.{n}" for n in
                           "relu sigmoid tanh gelu silu elu leaky_relu softmax log_softmax dropout".split()})


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
对带批量维的张量调用不带参数的 `squeeze()`（或 `torch.squeeze(x)`）：模型或网络层的输出、`forward` 的输入、从 `DataLoader` 取出的一批数据，以及由它们逐元素计算出来的张量。

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
`squeeze()` without arguments (or `torch.squeeze(x)`) on a tensor that carries a batch dim: the output of a model or layer, the input of `forward`, a batch taken from a `DataLoader`, and element-wise results of those.

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
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 1)\n    def forward(self, x):\n        return torch.sigmoid(self.fc(x)).squeeze()  # <-\n",
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def forward(self, x):\n        x = x.squeeze()  # <-\n        return x\n",
        "import torch\nfrom torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=32)\nfor xb, yb in loader:\n    y = torch.squeeze(yb)  # <-\n",
    )
    must_not_flag = (
        "import torch\nt = torch.rand(1, 3, 1, 4)\nprint(t.squeeze().shape)\n",
        "import torch.nn as nn\nmodel = nn.Linear(8, 1)\ndef step(x):\n    return model(x).squeeze(-1)\n",
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def forward(self, x):\n        return x.squeeze(dim=1)\n",
        "import torch\ndef helper(x):\n    return x.squeeze()\n",
        "import numpy as np\nimport torch\na = np.ones((1, 3))\nb = a.squeeze()\n",
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
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        cls, method = facts.enclosing_method(self.ctx.ancestors)
        origin = self._batch_origin(recv, facts, scope, cls, method, 0)
        if origin is None:
            return
        call = self.ctx.code_for(node)
        self.report(node, call=call if len(call) <= 40 else "x.squeeze()", fix=self._fix(node, origin, facts))

    # The expression that proves there is a batch dim: a layer constructor call, a
    # forward parameter, or a DataLoader; None when unknown.
    def _batch_origin(self, expr: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo,
                      cls: Optional[ClassInfo], method: Optional[cst.FunctionDef], depth: int
                      ) -> Optional[cst.CSTNode]:
        if depth > 6:
            return None
        if isinstance(expr, cst.Name):
            name = expr.value
            if method is not None and cls is not None and method.name.value == "forward" \
                    and facts.is_module_class(cls) and len(scope.params) > 1 and scope.params[1] == name \
                    and not facts.bound_before(method, name, self.ctx.ancestors):
                return method
            loader = facts.loader_batch(name, scope, self.ctx.ancestors)
            if loader is not None:
                return loader
            v = facts.value_of(name, scope)
            return self._batch_origin(v, facts, scope, cls, method, depth + 1) if v is not None else None
        if isinstance(expr, cst.Call):
            layer = facts.layer_call(expr.func, scope, cls)
            if layer is not None:
                kind = facts.layer_kind(layer) or ""
                if kind.rsplit(".", 1)[-1] in ("RNN", "LSTM", "GRU", "Flatten"):
                    return None
                return layer
            q = self.qualname(expr.func)
            if q in _KEEP_FUNCS and expr.args and expr.args[0].keyword is None:
                return self._batch_origin(expr.args[0].value, facts, scope, cls, method, depth + 1)
            if q is None and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _KEEP_METHODS:
                return self._batch_origin(expr.func.value, facts, scope, cls, method, depth + 1)
            return None
        if isinstance(expr, cst.BinaryOperation) and not isinstance(expr.operator, cst.MatrixMultiply):
            return (self._batch_origin(expr.left, facts, scope, cls, method, depth + 1)
                    or self._batch_origin(expr.right, facts, scope, cls, method, depth + 1))
        return None

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
