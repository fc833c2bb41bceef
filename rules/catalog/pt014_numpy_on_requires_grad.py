import libcst as cst

from ptlint.rules.bindings import LocalFacts
from ptlint.rules.gating import Gated
from ptlint.rules.grad_facts import GradFacts
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis, Kind
from ptlint.rules.rule import Docs, FixSpec, InsertAfter, Message, Related, Replace, Rule

# NumPy functions that turn a tensor argument (or a list of tensors) into an array with
# ``Tensor.__array__``, that is ``.numpy()``: checked with torch 2.13 / NumPy 2.4, each
# raises "Can't call numpy() on Tensor that requires grad".
_CONVERTING = frozenset(f"numpy.{n}" for n in """
array asarray asanyarray median average percentile quantile stack vstack hstack concatenate dot matmul
abs absolute exp log log2 log10 log1p sqrt square sin cos tanh isnan isinf isfinite floor ceil sign
linalg.norm
""".split())
# NumPy reductions that call the argument's own method when it has one: a single tensor gets
# ``t.mean(axis=None, dtype=None, out=None)``, which torch rejects (TypeError); a list of
# tensors is converted like above.
_FORWARDING = frozenset(f"numpy.{n}" for n in "sum mean max min amax amin std var prod any all".split())
# where a list that only collects tensors may also be read without touching its items
_HARMLESS_USES = frozenset({"len", "print"})

LIST_MESSAGE = Message(
    zh="`{func}` 会把 `{arg}` 里的每个张量用 `.numpy()` 转成数组，而其中的 `{item}` 需要梯度："
       "这里会抛出 RuntimeError: Can't call numpy() on Tensor that requires grad；"
       "请保存 `{item}.item()`（标量）或 `{item}.detach()`",
    en="`{func}` converts every tensor in `{arg}` with `.numpy()`, and `{item}` in it requires grad: this raises "
       "RuntimeError: Can't call numpy() on Tensor that requires grad; keep `{item}.item()` (a scalar) or "
       "`{item}.detach()` instead",
)
CONVERT_MESSAGE = Message(
    zh="`{func}` 会用 `.numpy()` 把 `{arg}` 转成数组，而 `{arg}` 需要梯度：这里会抛出 RuntimeError: "
       "Can't call numpy() on Tensor that requires grad；请传入 `{arg}.detach()`",
    en="`{func}` converts `{arg}` with `.numpy()`, and `{arg}` requires grad: this raises RuntimeError: Can't call "
       "numpy() on Tensor that requires grad; pass `{arg}.detach()`",
)
FORWARD_MESSAGE = Message(
    zh="`{func}` 收到张量 `{arg}` 时会调用它自己的 `.{method}(axis=..., out=...)`，PyTorch 不接受这些参数，"
       "这里会抛出 TypeError；请写 `{arg}.{method}()`，或先转成数组 `{arg}.detach().cpu().numpy()`",
    en="given the tensor `{arg}`, `{func}` calls its own `.{method}(axis=..., out=...)`, which PyTorch rejects: this "
       "raises TypeError; write `{arg}.{method}()`, or convert first with `{arg}.detach().cpu().numpy()`",
)


class NumpyOnRequiresGrad(Gated, Rule):
    code = "PT014"
    name = "numpy-on-requires-grad"
    needs = ('numpy',)  # ``.numpy()`` calls and the NumPy module's functions
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    message = Message(
        zh="`{recv}` 需要梯度（requires_grad=True）：直接调用 `.numpy()` 会抛出 RuntimeError，请写 `{recv}.detach().numpy()`",
        en="`{recv}` requires grad: calling `.numpy()` on it raises RuntimeError; write `{recv}.detach().numpy()`",
    )
    docs = Docs(
        zh="""## 它检查什么
对需要梯度的张量调用 `.numpy()`：用 `requires_grad=True` 创建的张量、模型参数，以及由它们计算出来的张量（例如 `loss`、`model(x)` 的输出），且不在 `torch.no_grad()` 之内。

NumPy 函数也会隐式调用 `.numpy()`：`np.exp(w)`、`np.array(w)`、`np.median(w)` 等会把需要梯度的张量转成数组；`np.sum([w, w * 2])`、`np.mean(losses)` 会转换列表里的每一个张量——最常见的是训练循环里 `losses.append(loss)` 保存了张量而不是 `loss.item()`，最后用 `np.mean(losses)` 求平均。`np.mean(w)`、`np.sum(w)` 这类归约直接收到一个张量时，NumPy 会调用张量自己的 `w.mean(axis=..., out=...)`，PyTorch 不接受这些参数，抛出 TypeError，同样会被报告。列表只在本作用域内用 `name = []` 创建、只用 `append` 填充、且没有传给其他函数时才会被跟踪；在函数里，只有这个函数自己调用了 `backward()` 时才认为列表里的张量需要梯度（评估用的辅助函数可能在调用方的 `torch.no_grad()` 里运行）。

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

NumPy functions call `.numpy()` implicitly too: `np.exp(w)`, `np.array(w)`, `np.median(w)` convert a tensor that requires grad, and `np.sum([w, w * 2])` or `np.mean(losses)` convert every tensor in the list — most often a training loop that keeps `losses.append(loss)` instead of `loss.item()` and averages with `np.mean(losses)`. Reductions such as `np.mean(w)` / `np.sum(w)` given one tensor call the tensor's own `w.mean(axis=..., out=...)`, which PyTorch rejects with TypeError; they are reported as well. A list is followed only when this scope creates it as `name = []`, fills it with `append` alone and hands it to no other function; inside a function, its tensors are taken to require grad only when that function runs `backward()` itself (an evaluation helper may run under its caller's `torch.no_grad()`).

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
        # NumPy functions convert their tensor arguments with .numpy()
        "import numpy as np\nimport torch\nw = torch.randn(3, requires_grad=True)\nprint(np.exp(w))  # <-\n"
        "total = np.sum([w, w * 2])  # <-\nm = np.mean(w)  # <-\n",
        # the losses of a training loop kept as tensors, averaged with NumPy
        "import numpy as np\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\ncriterion = nn.MSELoss()\n"
        "def train(loader, opt):\n    losses = []\n    for x, y in loader:\n        loss = criterion(model(x), y)\n"
        "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n        losses.append(loss)\n"
        "    return np.mean(losses)  # <-\n",
    )
    must_not_flag = (
        "import torch\nw = torch.randn(3, requires_grad=True)\narr = w.detach().numpy()\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n    arr = w.numpy()\n",
        "import torch\nt = torch.randn(3)\narr = t.numpy()\n",
        "import torch\ndef f(t):\n    return t.numpy()\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\narr = w.numpy(force=True)\n",
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\nwith torch.no_grad():\n    out = model(torch.randn(3, 4))\nprint(out.numpy())\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\n@torch.no_grad()\ndef show():\n    return w.numpy()\n",
        "import numpy as np\nimport torch\nw = torch.randn(3, requires_grad=True)\nprint(np.exp(w.detach()), np.sum([w.item()]))\n"
        "print(np.mean(torch.randn(3).numpy()))\n",
        # scalars kept with .item(); losses computed without gradients
        "import numpy as np\nimport torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\ncriterion = nn.MSELoss()\n"
        "def run(loader):\n    losses, evals = [], []\n    for x, y in loader:\n"
        "        losses.append(criterion(model(x), y).item())\n    with torch.no_grad():\n        for x, y in loader:\n"
        "            evals.append(criterion(model(x), y))\n    return np.mean(losses), np.mean(evals)\n",
        # the list is rebuilt or handed to a helper before NumPy sees it
        "import numpy as np\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\ncriterion = nn.MSELoss()\n"
        "def run(loader, helper):\n    losses = []\n    for x, y in loader:\n        losses.append(criterion(model(x), y))\n"
        "    helper(losses)\n    a = np.mean(losses)\n    losses = [l.item() for l in losses]\n    return a, np.mean(losses)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        q = self.qualname(node.func)
        if q in _CONVERTING or q in _FORWARDING:
            self._numpy_function(node, q)
            return
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

    # ------------------------------------------------------------------ NumPy functions of tensors
    def _numpy_function(self, node: cst.Call, q: str) -> None:
        if any(a.star for a in node.args):
            return
        pos = [a.value for a in node.args if a.keyword is None]
        if not pos:
            return
        label = "np." + q[len("numpy."):]
        flow = self.ctx.analysis(FlowAnalysis).check()
        grad = self.ctx.analysis(GradFacts)
        for arg in pos[:2] if q in ("numpy.dot", "numpy.matmul") else pos[:1]:
            v = flow.value_of(arg)
            if v.kind is Kind.TENSOR:
                if grad.requires_grad(arg) is not True or not self._bound_here(arg):
                    continue
                self._report_tensor(node, q, label, arg)
                return
            # a list's tensors are trusted to require grad only where the code trains itself
            trains = grad.trains_here(self.ctx.ancestors)
            item = grad.grad_item(arg, self.ctx.ancestors, self._harmless_read) if trains else None
            if item is not None:
                code = self.ctx.code_for(item)
                self.report(node, message=LIST_MESSAGE, func=label, arg=_short(self.ctx.code_for(arg)),
                            item=_short(code), related=[Related(item, "需要梯度的张量在这里放进列表",
                                                                "the tensor that requires grad goes in here")])
                return

    def _report_tensor(self, node: cst.Call, q: str, label: str, arg: cst.BaseExpression) -> None:
        code = _short(self.ctx.code_for(arg))
        if q in _FORWARDING:
            method = {"amax": "max", "amin": "min"}.get(q.rpartition(".")[2], q.rpartition(".")[2])
            self.report(node, message=FORWARD_MESSAGE, func=label, arg=code, method=method)
            return
        fix = None
        if isinstance(arg, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not arg.lpar:
            fix = FixSpec((InsertAfter(arg, ".detach()"),), "插入 .detach()", "insert .detach()", FixSafety.SAFE)
        self.report(node, message=CONVERT_MESSAGE, func=label, arg=code, fix=fix)

    def _harmless_read(self, call: cst.Call) -> bool:
        q = self.qualname(call.func)
        if q in _CONVERTING or q in _FORWARDING:
            return True
        return isinstance(call.func, cst.Name) and call.func.value in _HARMLESS_USES and q in (None, "builtins." + call.func.value)


def _short(code: str) -> str:
    return code if len(code) <= 40 else "x"
