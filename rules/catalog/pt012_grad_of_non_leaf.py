import libcst as cst

from ptlint.rules.gating import Gated
from ptlint.rules.grad_facts import GradFacts
from ptlint.rules.findings import Severity
from ptlint.rules.flow import key_of
from ptlint.rules.rule import Docs, Message, Rule


class GradOfNonLeaf(Gated, Rule):
    code = "PT012"
    name = "grad-of-non-leaf"
    needs = ('.grad',)
    severity = Severity.WARNING
    message = Message(
        zh="`{name}` 是由其他张量计算出来的非叶子节点：反向传播后它的 `.grad` 仍然是 None；需要它的梯度请在 backward 之前调用 `{name}.retain_grad()`",
        en="`{name}` is computed from other tensors (a non-leaf): its `.grad` stays None after backward; call `{name}.retain_grad()` before backward to keep it",
    )
    docs = Docs(
        zh="""## 它检查什么
读取非叶子节点的 `.grad`：这个张量是由需要梯度的张量计算出来的（`z = x * w + b`、`loss = criterion(out, y)`、`h = model(x)`），而代码中没有对它调用 `retain_grad()`。

## 为什么有问题
反向传播只把梯度保存在**叶子节点**（用户直接创建、`requires_grad=True` 的张量，以及模型参数）上。笔记中写道：“非叶子节点的梯度在反向传播之后会被释放掉（除非设置 retain_grad）”。所以 `z.grad` 永远是 `None`，PyTorch 还会发出警告：

`UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward().`

拿 `None` 去做运算或打印，很容易误以为梯度是 0 或者没有计算。

## 示例
```python
x = torch.tensor([[1.0]])
w = torch.randn(1, 1, requires_grad=True)
z = x * w
z.sum().backward()
print(z.grad)        # None
```

## 如何修复
需要中间结果的梯度时，在 `backward()` 之前调用 `retain_grad()`：

```python
z = x * w
z.retain_grad()
z.sum().backward()
print(z.grad)        # tensor([[1.]])
```

只关心参数的梯度时，读取叶子节点的 `.grad`（这里是 `w.grad`）。
""",
        en="""## What it finds
Reading `.grad` of a non-leaf tensor — one computed from tensors that require grad (`z = x * w + b`, `loss = criterion(out, y)`, `h = model(x)`) — when the code never calls `retain_grad()` on it.

## Why it is a problem
Backward keeps gradients only on **leaf** tensors (created by the user with `requires_grad=True`, and model parameters). The notes: "the gradients of non-leaf nodes are freed after backward (unless retain_grad is set)". So `z.grad` is always `None`, and PyTorch warns:

`UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward().`

Computing with or printing that `None` easily passes for "the gradient is zero" or "not computed".

## Example
```python
x = torch.tensor([[1.0]])
w = torch.randn(1, 1, requires_grad=True)
z = x * w
z.sum().backward()
print(z.grad)        # None
```

## How to fix
To get an intermediate result's gradient, call `retain_grad()` before `backward()`:

```python
z = x * w
z.retain_grad()
z.sum().backward()
print(z.grad)        # tensor([[1.]])
```

If you only need the parameters' gradients, read them from the leaves (`w.grad` here).
""",
    )
    must_flag = (
        "import torch\nx = torch.tensor([[1.0]])\nw = torch.randn(1, 1, requires_grad=True)\nz = x * w\nz.sum().backward()\nprint(z.grad)  # <-\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nloss = (w ** 2).sum()\nloss.backward()\ng = loss.grad  # <-\n",
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 2)\nout = model(torch.randn(1, 4))\nout.sum().backward()\nprint(out.grad)  # <-\n",
    )
    must_not_flag = (
        "import torch\nw = torch.randn(3, requires_grad=True)\nloss = (w ** 2).sum()\nloss.backward()\nprint(w.grad)\n",
        "import torch\nx = torch.ones(2)\nw = torch.randn(2, requires_grad=True)\nz = x * w\nz.retain_grad()\nz.sum().backward()\nprint(z.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nz = w * 2\nz.grad = None\n",
        "import torch\ndef show(t):\n    print(t.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nz = w * 2\nif z.grad is None:\n    print('no grad')\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n    z = w * 2\nprint(z.grad)\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.retained: set[tuple[int, str]] = set()
        self.reads: list[tuple[int, str, cst.Attribute]] = []

    def _scope_id(self) -> int:
        for a in reversed(self.ctx.ancestors):
            if isinstance(a, cst.FunctionDef):
                return id(a)
        return id(self.ctx.module)

    def visit_Call(self, node: cst.Call) -> None:
        f = node.func
        if isinstance(f, cst.Attribute) and f.attr.value == "retain_grad":
            k = key_of(f.value)
            if k:
                self.retained.add((self._scope_id(), k))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "grad":
            return
        anc = self.ctx.ancestors
        parent = anc[-2] if len(anc) >= 2 else None
        if isinstance(parent, (cst.AssignTarget, cst.Del)) or (isinstance(parent, cst.AugAssign) and parent.target is node):
            return
        if isinstance(parent, cst.Comparison) and any(
                isinstance(c.operator, (cst.Is, cst.IsNot)) for c in parent.comparisons):
            return  # ``z.grad is None``: the code already expects None
        k = key_of(node.value)
        if not k:
            return
        grad = self.ctx.analysis(GradFacts)
        if not grad.non_leaf(node.value):
            return
        self.reads.append((self._scope_id(), k, node))

    def finish(self) -> None:
        for scope, k, node in self.reads:
            if (scope, k) in self.retained:
                continue
            self.report(node, name=k)
