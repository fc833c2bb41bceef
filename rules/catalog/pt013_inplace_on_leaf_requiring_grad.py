from typing import Optional

import libcst as cst

from ptlint.rules.bindings import LocalFacts
from ptlint.rules.gating import Gated
from ptlint.rules.grad_facts import may_freeze_parameters
from ptlint.rules.findings import Severity
from ptlint.rules.flow import FlowAnalysis, Kind
from ptlint.rules.flow.transfer import NOT_DATA_WRITES, RELAYOUT_INPLACE
from ptlint.rules.rule import Docs, Message, Rule


class InplaceOnLeafRequiringGrad(Gated, Rule):
    code = "PT013"
    name = "inplace-on-leaf-requiring-grad"
    needs = ('requires_grad', 'parameters(', '.weight', '.bias', 'Parameter')
    severity = Severity.ERROR
    message = Message(
        zh="`{target}` 是需要梯度的叶子张量：在 `torch.no_grad()` 之外对它做原地操作（{op}）会抛出 RuntimeError",
        en="`{target}` is a leaf tensor that requires grad: the in-place operation ({op}) outside `torch.no_grad()` raises RuntimeError",
    )
    docs = Docs(
        zh="""## 它检查什么
对“需要梯度的叶子节点”做原地操作：用 `requires_grad=True` 创建的张量或模型参数，被带下划线的方法（`w.add_(...)`、`w.zero_()`、`w.fill_(...)`）、增强赋值（`w -= lr * w.grad`）或下标赋值（`w[0] = 0`）直接修改，而这段代码不在 `torch.no_grad()` 之内。

## 为什么有问题
叶子节点是用户直接创建的张量（笔记：“用户创建的张量”是叶子节点），反向传播要把梯度累积到它的 `.grad` 上。如果在记录计算图的同时原地改写它，autograd 无法再正确求导，所以 PyTorch 直接拒绝：

`RuntimeError: a leaf Variable that requires grad is being used in an in-place operation.`

最常见的场景是手写梯度下降：`w -= lr * w.grad`。

## 示例
```python
w = torch.randn(3, requires_grad=True)
loss = (w ** 2).sum()
loss.backward()
w -= 0.1 * w.grad          # RuntimeError
```

## 如何修复
参数更新不应被记录进计算图，把它放进 `torch.no_grad()`：

```python
with torch.no_grad():
    w -= 0.1 * w.grad
w.grad.zero_()
```

初始化参数时用 `nn.init.*`（它们内部已经关闭了梯度）或对 `.data` 操作（笔记中的 `m.bias.data.fill_(0.01)`）。
""",
        en="""## What it finds
An in-place operation on a leaf tensor that requires grad — a tensor created with `requires_grad=True` or a model parameter — through an underscore method (`w.add_(...)`, `w.zero_()`, `w.fill_(...)`), an augmented assignment (`w -= lr * w.grad`) or an item assignment (`w[0] = 0`), outside `torch.no_grad()`.

## Why it is a problem
A leaf is a tensor the user created (the notes: "user-created tensors" are leaves); backward accumulates gradients into its `.grad`. Rewriting it in place while the graph is being recorded would make the gradients wrong, so PyTorch refuses:

`RuntimeError: a leaf Variable that requires grad is being used in an in-place operation.`

The classic case is hand-written gradient descent: `w -= lr * w.grad`.

## Example
```python
w = torch.randn(3, requires_grad=True)
loss = (w ** 2).sum()
loss.backward()
w -= 0.1 * w.grad          # RuntimeError
```

## How to fix
Parameter updates must not be recorded: put them under `torch.no_grad()`:

```python
with torch.no_grad():
    w -= 0.1 * w.grad
w.grad.zero_()
```

To initialise parameters use `nn.init.*` (they disable gradients themselves) or work on `.data` (the notes' `m.bias.data.fill_(0.01)`).
""",
    )
    must_flag = (
        "import torch\nw = torch.randn(3, requires_grad=True)\nw.add_(1)  # <-\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nloss = (w ** 2).sum()\nloss.backward()\nw -= 0.1 * w.grad  # <-\n",
        "import torch\nb = torch.zeros(4, requires_grad=True)\nb[0] = 1.0  # <-\n",
        "import torch.nn as nn\nlin = nn.Linear(2, 2)\nlin.weight.fill_(0.5)  # <-\n",
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(3, 1)\nfor p in model.parameters():\n    p.mul_(0.9)  # <-\n",
    )
    must_not_flag = (
        "import torch\nw = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n    w -= 0.1 * w.grad\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nw.grad.zero_()\nw.data.add_(1)\n",
        "import torch.nn as nn\nlin = nn.Linear(2, 2)\nnn.init.zeros_(lin.weight)\nlin.bias.data.fill_(0.01)\n",
        "import torch\nx = torch.randn(3)\nx.add_(1)\nx[0] = 2\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\n@torch.no_grad()\ndef update():\n    w.sub_(0.1)\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\ny = w * 2\ny.add_(1)\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nw.requires_grad_(False)\nw.add_(1)\n",
        "import torch\nclass EMA:\n    def __init__(self, model):\n        self.module = model\n"
        "    def apply_update_(self, model, decay):\n        for ema_p, p in zip(self.module.parameters(), model.parameters()):\n"
        "            ema_p.lerp_(p, 1 - decay)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        name = func.attr.value
        if not name.endswith("_") or name.startswith("_") or name in NOT_DATA_WRITES or name in RELAYOUT_INPLACE:
            return
        if self.qualname(func.value) is not None:
            return  # torch.nn.init.zeros_(...) and other module functions
        self._check(node, func.value, f"`.{name}()`")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        op = self.ctx.code_for(node.operator).strip()
        self._check(node, node.target, f"`{op}`")

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        target = node.target
        if isinstance(target, cst.Subscript):
            self._check(target, target.value, "下标赋值 / item assignment")

    def _check(self, report_at: cst.CSTNode, target: cst.BaseExpression, op: str) -> None:
        flow = self.ctx.analysis(FlowAnalysis).check()
        v = flow.value_of(target)
        if v.kind is not Kind.TENSOR or v.requires_grad is not True or v.is_leaf is not True:
            return
        if flow.grad_enabled(target) is not True or not self._bound_here(target):
            return
        if not (v.provenance or "").startswith("torch."):
            # a module's parameter, not a tensor made here with requires_grad=True: it may
            # have been frozen, and a function may be called under no_grad (an EMA update,
            # an optimizer's step); only plain top-level code is certain
            facts = self.ctx.analysis(LocalFacts)
            if facts.scope_info(self.ctx.ancestors) is not facts.module_scope or may_freeze_parameters(self.ctx.source.text):
                return
        code = self.ctx.code_for(target)
        self.report(report_at, target=code if len(code) <= 40 else "w", op=op)

    def _bound_here(self, expr: cst.BaseExpression) -> bool:
        root: Optional[cst.BaseExpression] = expr
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        if not isinstance(root, cst.Name):
            return False
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        if scope is facts.module_scope:
            return True
        return scope.binds(root.value) and root.value not in scope.params
