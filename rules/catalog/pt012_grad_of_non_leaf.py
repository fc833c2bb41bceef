from typing import Optional

import libcst as cst

from ptlint.rules.gating import Gated
from ptlint.rules.grad_facts import GradFacts
from ptlint.rules.findings import Severity
from ptlint.rules.flow import FlowAnalysis, Kind, key_of
from ptlint.rules.flow.values import FLOATING
from ptlint.rules.rule import Docs, Message, Related, Rule

# Conversions that hand back a copy when they change the dtype or the device, and the very
# same tensor when they change nothing (``.float()`` of a float32 tensor, ``.to("cpu")`` on
# the CPU): only a change the flow facts know for sure makes the copy.
_CONVERSIONS = frozenset({"to", "type", "double", "float", "half", "bfloat16", "cuda", "cpu"})

COPY_MESSAGE = Message(
    zh="`{name}` 是叶子张量经 `{method}` 得到的副本，不是叶子节点：反向传播后 `{name}.grad` 仍然是 None，"
       "梯度只会留在转换之前的那个张量上；需要它的梯度请在 backward 之前调用 `{name}.retain_grad()`，"
       "或者让转换后的张量成为叶子节点：`{name} = {name}.detach().requires_grad_()`",
    en="`{name}` is the copy `{method}` makes of a leaf tensor, so it is not a leaf: after backward `{name}.grad` "
       "stays None and the gradient goes to the tensor before the conversion; call `{name}.retain_grad()` before "
       "backward, or make the converted tensor the leaf: `{name} = {name}.detach().requires_grad_()`",
)


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

叶子张量经 `.cuda()`、`.to(...)`、`.type(...)`、`.double()` 等转换得到的副本也是非叶子节点，包括在创建叶子的同一行里转换的写法（`w = torch.randn(3, requires_grad=True).cuda()`，之后读取 `w.grad`）。只有确定发生了复制（设备或 dtype 确实改变）时才报告：转换前后没有变化时（float32 张量的 `.float()`、CPU 上的 `.to("cpu")`）返回的就是原来的叶子张量；设备未知的 `.to(device)` 不报告。

只检查在某次 `backward()` 之后（同一作用域中写在它前面，或在同一个循环里）读取的 `.grad`：还没有做过反向传播时，所有张量（叶子也一样）的 `.grad` 都是 `None`，这样的打印只是在演示这一点，`retain_grad()` 也改变不了什么。

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

A copy that `.cuda()`, `.to(...)`, `.type(...)` or `.double()` makes of a leaf is a non-leaf too, also when it is made on the line that creates the leaf (`w = torch.randn(3, requires_grad=True).cuda()`, then `w.grad`). Only certain copies are reported (the device or dtype really changes): a conversion that changes nothing (`.float()` of a float32 tensor, `.to("cpu")` on the CPU) returns the leaf itself, and `.to(device)` with an unknown device is not reported.

Only reads that come after a `backward()` are checked (one written before them in the same scope, or in the same loop): before any backward every tensor's `.grad` is `None`, leaves included, so such a print only shows that, and `retain_grad()` would change nothing.

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
        # a copy made on the line that creates the leaf
        "import torch\nw = torch.randn(3, requires_grad=True).cuda()\n(w * 2).sum().backward()\nprint(w.grad)  # <-\n",
        "import torch\nw = torch.randn(3, requires_grad=True).double()\n(w * 2).sum().backward()\nprint(w.grad)  # <-\n",
        "import torch\nw = torch.rand(2, 2, requires_grad=True)\nw = w.to(torch.float64)\nw.sum().backward()\n"
        "g = w.grad  # <-\n",
        "import torch\nw = torch.zeros(4, requires_grad=True).type(torch.DoubleTensor)\nw.sum().backward()\n"
        "print(w.grad)  # <-\n",
    )
    must_not_flag = (
        "import torch\nw = torch.randn(3, requires_grad=True)\nloss = (w ** 2).sum()\nloss.backward()\nprint(w.grad)\n",
        "import torch\nx = torch.ones(2)\nw = torch.randn(2, requires_grad=True)\nz = x * w\nz.retain_grad()\nz.sum().backward()\nprint(z.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nz = w * 2\nz.grad = None\n",
        "import torch\ndef show(t):\n    print(t.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nz = w * 2\nif z.grad is None:\n    print('no grad')\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n    z = w * 2\nprint(z.grad)\n",
        # conversions that change nothing return the leaf itself
        "import torch\nw = torch.randn(3, requires_grad=True).float()\nw.sum().backward()\nprint(w.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True).to('cpu')\nw.sum().backward()\nprint(w.grad)\n",
        # the device is not known: on the CPU .to(device) is the same tensor
        "import torch\ndevice = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
        "w = torch.randn(3, requires_grad=True).to(device)\nw.sum().backward()\nprint(w.grad)\n",
        # converted first, then made a leaf
        "import torch\nw = torch.randn(3).cuda().requires_grad_()\nw.sum().backward()\nprint(w.grad)\n",
        "import torch\nw = torch.randn(3, device='cuda', requires_grad=True)\nw.sum().backward()\nprint(w.grad)\n",
        # read before any backward ran: every .grad is None there, leaf or not
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\nprint(y.grad)\ny.sum().backward()\nprint(x.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True).double().detach().requires_grad_()\nprint(w.grad)\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # (scope, name) -> where each retained tensor was made (None: not known), so that a
        # notebook's later ``loss.retain_grad()`` on another ``loss`` does not excuse this one
        self.retained: dict[tuple[int, str], list[Optional[cst.CSTNode]]] = {}
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
                made = self.ctx.analysis(FlowAnalysis).check().value_of(f.value).origin
                self.retained.setdefault((self._scope_id(), k), []).append(made)

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
        if grad.non_leaf(node.value):
            self.reads.append((self._scope_id(), k, node, None))
            return
        copy = self._leaf_copy(node.value)
        if copy is not None:
            self.reads.append((self._scope_id(), k, node, copy))

    def _leaf_copy(self, expr: cst.BaseExpression) -> Optional[cst.Call]:
        """The conversion call (``.cuda()``, ``.double()``, ``.to(torch.float64)``…) whose
        result ``expr`` certainly is, when that call copied a floating leaf that requires
        grad: the copy requires grad and is not a leaf."""
        flow = self.ctx.analysis(FlowAnalysis).check()
        v = flow.value_of(expr)
        call = v.origin
        if v.kind is not Kind.TENSOR or v.requires_grad is not True or not isinstance(call, cst.Call):
            return None
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _CONVERSIONS:
            return None
        src = flow.value_of(func.value)
        if src.kind is not Kind.TENSOR or src.is_leaf is not True or src.requires_grad is not True \
                or src.dtype not in FLOATING or v.dtype not in FLOATING:
            return None
        if flow.grad_enabled(call) is not True:
            return None  # a conversion while gradients are (maybe) off gives a leaf that does not require grad
        method = func.attr.value
        if method == "cuda":
            return call if src.device == "cpu" else None  # on a GPU tensor .cuda() is the tensor itself
        if method == "cpu":
            return call if src.device == "cuda" else None
        # the flow gives a conversion a storage of its own only when it knows it copies
        fresh = v.storage is not None and v.storage == ("n", id(call)) and v.storage != src.storage
        return call if fresh else None

    def finish(self) -> None:
        flow = self.ctx.analysis(FlowAnalysis).check()
        for scope, k, node, copy in self.reads:
            if flow.backward_before(node) is not True:
                continue  # read before any backward ran: every .grad is None there, leaf or not
            made = flow.value_of(node.value).origin
            if any(r is None or made is None or r is made for r in self.retained.get((scope, k), ())):
                continue
            if copy is None:
                self.report(node, name=k)
                continue
            args = ", ".join(self.ctx.code_for(a).strip().rstrip(",") for a in copy.args)
            method = f".{copy.func.attr.value}({args if len(args) <= 30 else '...'})"  # type: ignore[attr-defined]
            self.report(node, message=COPY_MESSAGE, name=k, method=method,
                        related=[Related(copy, "副本在这里生成", "the copy is made here")])
