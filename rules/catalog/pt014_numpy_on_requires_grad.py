import libcst as cst

from ptlint.rules.bindings import LocalFacts
from ptlint.rules.gating import Gated
from ptlint.rules.grad_facts import GradFacts
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis
from ptlint.rules.rule import Docs, FixSpec, Message, Replace, Rule


class NumpyOnRequiresGrad(Gated, Rule):
    code = "PT014"
    name = "numpy-on-requires-grad"
    needs = ('.numpy(',)
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    message = Message(
        zh="`{recv}` 需要梯度（requires_grad=True）：直接调用 `.numpy()` 会抛出 RuntimeError，请写 `{recv}.detach().numpy()`",
        en="`{recv}` requires grad: calling `.numpy()` on it raises RuntimeError; write `{recv}.detach().numpy()`",
    )
    docs = Docs(
        zh="""## 它检查什么
对需要梯度的张量调用 `.numpy()`：用 `requires_grad=True` 创建的张量、模型参数，以及由它们计算出来的张量（例如 `loss`、`model(x)` 的输出），且不在 `torch.no_grad()` 之内。

## 为什么有问题
`.numpy()` 返回的数组与张量共享内存（笔记：Tensor 转 Ndarray 时二者“共享同一块地址空间”），NumPy 的运算不会被 autograd 记录。为了不让计算图悄悄失效，PyTorch 直接拒绝：

`RuntimeError: Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.`

## 示例
```python
w = torch.randn(3, requires_grad=True)
loss = (w * 2).sum()
print(loss.numpy())          # RuntimeError
```

## 如何修复
先用 `.detach()` 得到脱离计算图的张量（不复制数据），再转成数组：

```python
print(loss.detach().numpy())
value = loss.item()           # 只要一个标量时更简单
```

在 GPU 上还要先 `.cpu()`：`t.detach().cpu().numpy()`。快速修复会插入 `.detach()`（安全修复：原来的代码一定会报错）。
""",
        en="""## What it finds
`.numpy()` on a tensor that requires grad: one created with `requires_grad=True`, a model parameter, or anything computed from them (a `loss`, the output of `model(x)`), outside `torch.no_grad()`.

## Why it is a problem
The array `.numpy()` returns shares memory with the tensor (the notes: they "share the same address space"), and NumPy operations are not recorded by autograd. So that the graph cannot silently break, PyTorch refuses:

`RuntimeError: Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.`

## Example
```python
w = torch.randn(3, requires_grad=True)
loss = (w * 2).sum()
print(loss.numpy())          # RuntimeError
```

## How to fix
Detach first (no copy is made), then convert:

```python
print(loss.detach().numpy())
value = loss.item()           # simpler when you need one number
```

On a GPU add `.cpu()`: `t.detach().cpu().numpy()`. The quick fix inserts `.detach()` (safe: the original always raises).
""",
    )
    must_flag = (
        "import torch\nw = torch.randn(3, requires_grad=True)\narr = w.numpy()  # <-\n",
        "import torch\nx = torch.ones(2, requires_grad=True)\nloss = (x * 3).sum()\nprint(loss.numpy())  # <-\n",
        "import torch\nimport torch.nn as nn\nlin = nn.Linear(2, 2)\nw = lin.weight.numpy()  # <-\n",
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\nout = model(torch.randn(3, 4))\nprint(out.numpy())  # <-\n",
    )
    must_not_flag = (
        "import torch\nw = torch.randn(3, requires_grad=True)\narr = w.detach().numpy()\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n    arr = w.numpy()\n",
        "import torch\nt = torch.randn(3)\narr = t.numpy()\n",
        "import torch\ndef f(t):\n    return t.numpy()\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\narr = w.numpy(force=True)\n",
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\nwith torch.no_grad():\n    out = model(torch.randn(3, 4))\nprint(out.numpy())\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\n@torch.no_grad()\ndef show():\n    return w.numpy()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "numpy") or node.args:
            return
        recv = func.value
        if self.qualname(recv) is not None:
            return  # a module such as ``np``: not a tensor method
        if self.ctx.analysis(GradFacts).requires_grad(recv) is not True:
            return
        if self.ctx.analysis(FlowAnalysis).grad_enabled(recv) is not True:
            return
        if not self._bound_here(recv):
            return
        code = self.ctx.code_for(recv)
        fix = FixSpec((Replace(func, f"{code}.detach().numpy"),), "插入 .detach()", "insert .detach()", FixSafety.SAFE)
        self.report(node, recv=code if len(code) <= 40 else "x", fix=fix)

    def _bound_here(self, recv: cst.BaseExpression) -> bool:
        """Inside a function, only trust names the function binds itself: a global may be
        used from a caller that disabled gradients."""
        root = recv
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            root = root.value if not isinstance(root, cst.Call) else root.func
        if not isinstance(root, cst.Name):
            return True
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        if scope is facts.module_scope or root.value == "self":
            return True
        return scope.binds(root.value) and root.value not in scope.params
