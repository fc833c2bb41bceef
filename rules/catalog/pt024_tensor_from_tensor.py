import libcst as cst

from ptlint.rules.bindings import LocalFacts, ScopeInfo
from ptlint.rules.call_sites import CallSites
from ptlint.rules.gating import Gated
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule

_TO_KWARGS = ("dtype", "device")

PARAM_MESSAGE = Message(
    zh="`torch.tensor({arg})` 的参数 `{arg}` 在本文件的每个调用处传入的都是张量：PyTorch 会发出 UserWarning，建议写 `{arg}.detach().clone()`",
    en="`torch.tensor({arg})`: every call in this file passes a tensor as `{arg}`, so PyTorch emits a UserWarning; it recommends `{arg}.detach().clone()`",
)


class TensorFromTensor(Gated, Rule):
    code = "PT024"
    name = "tensor-from-tensor"
    needs = ('tensor(',)
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    message = Message(
        zh="`torch.tensor({arg})` 的参数已经是张量：PyTorch 会发出 UserWarning，建议写 `{arg}.detach().clone()`",
        en="`torch.tensor({arg})` is given a tensor: PyTorch emits a UserWarning and recommends `{arg}.detach().clone()`",
    )
    docs = Docs(
        zh="""## 它检查什么
把一个已经是张量的值再传给 `torch.tensor(...)`，例如 `torch.tensor(torch.randn(3))` 或 `y = x * 2; z = torch.tensor(y)`。

也包括经过 NumPy 通用函数（ufunc）得到的值：`np.exp(t)`、`np.add(t, 1)` 作用在张量上返回的仍是张量；以及辅助函数的参数——当本文件中该函数的每一个调用处传入的都是张量时（这种情况没有快速修复：其他文件可能传入列表）。

## 为什么有问题
`torch.tensor` 是用来**按内容**（列表、数字、NumPy 数组）创建张量的。参数本身就是张量时，它会复制一份数据并脱离计算图，同时发出警告：

`UserWarning: To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).`

这种写法意图不清：读代码的人分不清你是想要一份副本、想切断梯度，还是以为它会和原张量共享内存（它不会）。

## 示例
```python
x = torch.randn(3, requires_grad=True)
y = torch.tensor(x)          # 警告；y 是脱离计算图的副本
```

## 如何修复
把意图写清楚：

```python
y = x.detach().clone()       # 独立的副本，不参与梯度
y = x.detach()               # 不需要副本时：共享内存，只是脱离计算图
y = x.clone()                # 需要副本并保留计算图时
```

快速修复改写为 `x.detach().clone()`（带 `dtype`/`device` 时追加 `.to(...)`），结果与原来完全相同，只是不再警告（安全修复）。
""",
        en="""## What it finds
A value that is already a tensor passed to `torch.tensor(...)`, e.g. `torch.tensor(torch.randn(3))` or `y = x * 2; z = torch.tensor(y)`.

This includes values that went through a NumPy ufunc (`np.exp(t)`, `np.add(t, 1)` on a tensor give a tensor back), and a helper's parameter when every call of the helper in this file passes a tensor (no quick fix then: other files may pass lists).

## Why it is a problem
`torch.tensor` builds a tensor **from data** (lists, numbers, NumPy arrays). Given a tensor it copies the data and detaches it from the graph, and warns:

`UserWarning: To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).`

The intent is unclear: a copy? cutting the gradient? sharing memory (it does not share)?

## Example
```python
x = torch.randn(3, requires_grad=True)
y = torch.tensor(x)          # warning; y is a detached copy
```

## How to fix
Say what you mean:

```python
y = x.detach().clone()       # an independent copy outside the graph
y = x.detach()               # no copy needed: same memory, out of the graph
y = x.clone()                # a copy that stays in the graph
```

The quick fix rewrites to `x.detach().clone()` (adding `.to(...)` for `dtype`/`device`): the same result without the warning (safe).
""",
    )
    must_flag = (
        "import torch\nx = torch.randn(3)\ny = torch.tensor(x)  # <-\n",
        "import torch\ny = torch.tensor(torch.ones(2, 2), dtype=torch.float64)  # <-\n",
        "import torch as T\ndef f():\n    a = T.zeros(4)\n    b = a * 2 + 1\n    return T.tensor(b)  # <-\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nv = torch.tensor(w.T, requires_grad=True)  # <-\n",
        # a NumPy ufunc of a tensor gives a tensor back
        "import numpy as np\nimport torch\nlogits = torch.randn(4, 3)\nprobs = np.exp(logits) / 2\n"
        "t = torch.tensor(probs)  # <-\n",
        # every call of the helper passes a tensor
        "import torch\ndef to_tensor(x):\n    return torch.tensor(x, dtype=torch.float32)  # <-\n"
        "feats = to_tensor(torch.zeros(3))\nlabels = to_tensor(torch.arange(3) * 2)\n",
    )
    must_not_flag = (
        "import torch\ny = torch.tensor([1.0, 2.0])\n",
        "import torch\nimport numpy as np\na = np.ones(3)\nt = torch.tensor(a)\n",
        "import torch\ndef f(x):\n    return torch.tensor(x)\n",
        "import torch\nx = torch.randn(3)\nx = x.tolist()\ny = torch.tensor(x)\n",
        "import torch\nx = torch.randn(3)\ny = torch.tensor(x.item())\n",
        "import torch\nx = torch.randn(3)\ny = x.detach().clone()\n",
        # the helper also gets a list
        "import torch\ndef to_tensor(x):\n    return torch.tensor(x)\na = to_tensor(torch.zeros(3))\nb = to_tensor([1, 2])\n",
        # handed on as a callback: its arguments are not all seen
        "import torch\ndef to_tensor(x):\n    return torch.tensor(x)\na = to_tensor(torch.zeros(3))\nbs = list(map(to_tensor, rows))\n",
        "import numpy as np\nimport torch\na = np.exp(np.ones(3))\nt = torch.tensor(a)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if self.qualname(node.func) != "torch.tensor" or not node.args:
            return
        first = node.args[0]
        if first.keyword is not None or first.star or any(a.star for a in node.args):
            return
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        cls, _ = facts.enclosing_method(self.ctx.ancestors)
        arg = self.ctx.code_for(first.value)
        if facts.is_tensor_through_numpy(first.value, scope, cls):
            self.report(node, arg=arg if len(arg) <= 40 else "x", fix=self._fix(node, first.value))
            return
        sites = self._tensor_parameter(first.value, facts, scope)
        if sites:
            # no fix: callers in other files may pass lists, which ``.detach()`` would break
            self.report(node, message=PARAM_MESSAGE, arg=arg, related=[
                Related(site, "这里传入的是张量", "a tensor is passed here") for site in sites[:3]])

    def _tensor_parameter(self, expr: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo) -> list[cst.Call]:
        """The call sites, when ``expr`` is a parameter of a helper that every call in this
        file gives a tensor (and the helper is used nowhere else); else []."""
        fn = scope.node
        if not isinstance(expr, cst.Name) or not isinstance(fn, cst.FunctionDef):
            return []
        if expr.value in scope.assigns or facts.bound_before(fn, expr.value, self.ctx.ancestors):
            return []  # no longer what the caller passed
        passed = self.ctx.analysis(CallSites).arguments_for(fn, expr.value)
        if not passed or not all(facts.is_tensor_through_numpy(p.value, p.scope, p.cls) for p in passed):
            return []
        return [p.call for p in passed]

    def _fix(self, node: cst.Call, src: cst.BaseExpression) -> "FixSpec | None":
        kwargs = {}
        for a in node.args[1:]:
            if a.keyword is None:
                return None
            kwargs[a.keyword.value] = self.ctx.code_for(a.value)
        if set(kwargs) - {*_TO_KWARGS, "requires_grad"}:
            return None
        base = self.ctx.code_for(src)
        if not isinstance(src, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
            base = f"({base})"
        text = f"{base}.detach().clone()"
        to = [f"{k}={kwargs[k]}" for k in _TO_KWARGS if k in kwargs]
        if to:
            text += f".to({', '.join(to)})"
        if "requires_grad" in kwargs:
            text += f".requires_grad_({kwargs['requires_grad']})"
        return FixSpec((Replace(node, text),), "改为 .detach().clone()", "use .detach().clone()", FixSafety.SAFE)
