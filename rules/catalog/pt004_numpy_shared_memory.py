import libcst as cst

from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis, Kind, key_of
from ptlint.rules.rule import Docs, FixSpec, InsertAfter, Message, Related, Rule


class NumpySharedMemory(Rule):
    code = "PT004"
    name = "numpy-shared-memory"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    # Sharing needs torch on one side: a numpy-only file is never parsed for it.
    mentions = ("torch",)
    message = Message(
        zh="`{w}` 与 `{r}` 共享内存：这里对 `{w}` 的原地写入会同时改掉 `{r}`，而 `{r}` 随后又被读取（{where_zh}）",
        en="`{w}` and `{r}` share memory: this in-place write to `{w}` also changes `{r}`, which is read "
           "afterwards ({where_en})",
    )
    docs = Docs(
        zh="""## 它检查什么
通过 `t.numpy()`、`torch.from_numpy(a)`、`torch.as_tensor(a)`（dtype 和设备都相同时）、`np.asarray(t)` 建立的共享内存：对其中一方（或它的切片、`view`、`.detach()`、`.cpu()` 得到的别名）做了原地写入，随后又读取了另一方。原地写入包括下标赋值（`a[0] = 5`、`t[...] = ...`）、增量赋值（`a += 1`、`t *= 2`）、原地方法（`a.fill()`、`a.sort()`、`t.add_()`、`t.mul_()`、`t.zero_()`、`t.copy_()`、`t.clamp_()`、`t.normal_()` 等）以及 `np.copyto(a, ...)`、`np.add(a, 1, out=a)`、`np.random.shuffle(a)`。直接对建立共享的那次调用本身写入时不报告，例如 `np.random.shuffle(x.numpy())`（用 numpy 原地打乱张量的行）、`torch.from_numpy(a).add_(1)`、`t.numpy()[:, 0] = 0`：写入的内存除了另一方之外没有别的名字，改动另一方正是这样写的目的。

## 为什么有问题
`Tensor.numpy()` 返回的 ndarray 与原张量共用同一块内存，`torch.from_numpy()` 也一样：之后修改数组，张量也会变，反之亦然。笔记里的例子：

```python
tensor = torch.randn(3, 3)
arr = tensor.numpy()
arr[0, :] = -1.0      # tensor 的第 0 行也变成了 -1
```

这种修改不会报错，结果却悄悄变了，很难排查。`.cpu()` 作用在 CPU 张量上时返回的是同一个张量，所以 `t.cpu().numpy()` 在 CPU 上同样共享内存。

以下写法不会报告：`t.numpy().copy()`、`np.array(t)`、`torch.tensor(a)`、`t.clone().numpy()`、`torch.from_numpy(a.copy())`、`a = a + 1`（重新绑定，没有写入）、写入之后再也没有读取另一方、通过 numpy 视图填充 `torch.empty` 创建的未初始化缓冲区（这正是共享的用途），以及会复制数据的转换（`.to('cuda')`、对 float64 数组得到的张量调用 `.float()`）。

## 示例
```python
arr = np.array([[j * 1.0 for j in range(5)] for i in range(3)])
tensor = torch.from_numpy(arr)
arr[:, 0] = 666.666   # 同时改掉了 tensor
print(tensor)
```

## 如何修复
需要独立副本时在建立共享处复制一份：`tensor.numpy().copy()`、`tensor.clone().numpy()`、`torch.tensor(arr)` 或 `torch.from_numpy(arr.copy())`。确实想共享时，可在这一行加 `# noqa: PT004` 说明意图。

快速修复会在建立共享的调用后加上 `.copy()`（得到 ndarray 时）或 `.clone()`（得到张量时）。这是不安全修复：它改变了程序的含义，之后一方的修改不再反映到另一方。
""",
        en="""## What it finds
Memory shared through `t.numpy()`, `torch.from_numpy(a)`, `torch.as_tensor(a)` (same dtype and device) or `np.asarray(t)`: an in-place write to one side (or to an alias of it made by slicing, `view`, `.detach()`, `.cpu()`) followed by a read of the other side. In-place writes are subscript assignment (`a[0] = 5`, `t[...] = ...`), augmented assignment (`a += 1`, `t *= 2`), in-place methods (`a.fill()`, `a.sort()`, `t.add_()`, `t.mul_()`, `t.zero_()`, `t.copy_()`, `t.clamp_()`, `t.normal_()`, …) and `np.copyto(a, ...)`, `np.add(a, 1, out=a)`, `np.random.shuffle(a)`. A write through the crossing call itself is not reported, e.g. `np.random.shuffle(x.numpy())` (shuffling a tensor's rows in place with numpy), `torch.from_numpy(a).add_(1)`, `t.numpy()[:, 0] = 0`: the memory written has no other name than the other side, so changing that side is the point.

## Why it is a problem
The ndarray from `Tensor.numpy()` uses the tensor's memory, and so does the tensor from `torch.from_numpy()`: changing the array changes the tensor and vice versa.

```python
tensor = torch.randn(3, 3)
arr = tensor.numpy()
arr[0, :] = -1.0      # row 0 of tensor is now -1 too
```

Nothing raises; results just change silently. `.cpu()` of a CPU tensor returns the same tensor, so `t.cpu().numpy()` shares memory on the CPU as well.

Not reported: `t.numpy().copy()`, `np.array(t)`, `torch.tensor(a)`, `t.clone().numpy()`, `torch.from_numpy(a.copy())`, `a = a + 1` (a rebinding, no write), a write after which the other side is never read, filling an uninitialised `torch.empty` buffer through its numpy view (the point of sharing), and conversions that copy (`.to('cuda')`, `.float()` of a tensor made from a float64 array).

## Example
```python
arr = np.array([[j * 1.0 for j in range(5)] for i in range(3)])
tensor = torch.from_numpy(arr)
arr[:, 0] = 666.666   # changes tensor too
print(tensor)
```

## How to fix
Copy where the sharing starts when you need independent data: `tensor.numpy().copy()`, `tensor.clone().numpy()`, `torch.tensor(arr)` or `torch.from_numpy(arr.copy())`. If the sharing is intended, say so with `# noqa: PT004` on the line.

The quick fix appends `.copy()` (for an ndarray) or `.clone()` (for a tensor) to the call that starts the sharing. It is unsafe: it changes what the program does, since changes no longer flow from one side to the other.
""",
    )
    must_flag = (
        # the notes' first snippet
        "import numpy as np\nimport torch\ntensor = torch.randn(3, 3)\narr = tensor.numpy()\nprint(tensor)\n"
        "arr[0, :] = -1.0  # <-\nprint(arr)\nprint(tensor)\n",
        # the notes' second snippet
        "import numpy as np\nimport torch\narr = np.array([[j * 1.0 for j in range(5)] for i in range(3)])\n"
        "tensor = torch.from_numpy(arr)\ntensor_t = torch.tensor(arr)\narr[:, 0] = 666.666  # <-\n"
        "print(tensor_t)\nprint(tensor)\n",
        "import numpy as np\nimport torch\na = np.ones(3)\nt = torch.from_numpy(a)\nt *= 2  # <-\nprint(a.sum())\n",
        "import numpy as np\nimport torch\nt = torch.ones(3)\na = t.detach().numpy()\na += 1  # <-\nloss = t.sum()\n",
        "import numpy as np\nimport torch\nt = torch.ones(3)\na = t.cpu().numpy()\na.fill(0)  # <-\nprint(t)\n",
        "import numpy as np\nimport torch\na = np.arange(5.0)\nt = torch.as_tensor(a)\nnp.random.shuffle(a)  # <-\n"
        "print(t)\n",
        "import numpy as np\nimport torch\na = np.zeros(4)\nt = torch.from_numpy(a)\nnp.copyto(a, 7.0)  # <-\n"
        "np.add(a, 1, out=a)  # <-\nprint(t)\n",
        "import numpy as np\nimport torch\na = np.zeros(4)\nt = torch.from_numpy(a)\nv = t[1:]\nv.add_(1)  # <-\n"
        "w = t.view(2, 2)\nw.clamp_(0, 1)  # <-\nprint(a)\n",
        "import numpy as np\nimport torch\ndef f():\n    t = torch.zeros(2, 3)\n    a = t.numpy()\n"
        "    row = a[0]\n    row[:] = 5  # <-\n    return t\n",
    )
    must_not_flag = (
        "import numpy as np\nimport torch\ntensor = torch.randn(2, 3)\narr = tensor.numpy().copy()\nprint(tensor)\n"
        "arr[0, 0] = 0\nprint(tensor)\n",
        "import numpy as np\nimport torch\narr = np.array([[j * 1.0 for j in range(5)] for i in range(3)])\n"
        "tensor = torch.from_numpy(arr.copy())\narr[:, 0] = 666.666\nprint(tensor)\n",
        "import numpy as np\nimport torch\nt = torch.ones(3)\na = np.array(t)\na[0] = 5\nb = t.clone().numpy()\nb[0] = 5\n"
        "print(t)\n",
        "import numpy as np\nimport torch\na = np.ones(3)\nt = torch.tensor(a)\na[0] = 5\nprint(t)\n",
        "import numpy as np\nimport torch\nt = torch.ones(3)\na = t.numpy()\na = a + 1\nprint(t)\n",
        "import numpy as np\nimport torch\nt = torch.ones(3)\na = t.numpy()\nprint(t)\na[0] = 5\nprint(a)\n",
        "import numpy as np\nimport torch\na = np.ones(3)\nt = torch.from_numpy(a).to('cuda')\na[0] = 5\nprint(t)\n",
        "import numpy as np\nimport torch\na = np.ones(3)\nt = torch.from_numpy(a).float()\na[0] = 5\nprint(t)\n",
        "import numpy as np\nimport torch\nt = torch.ones(3)\na = t.numpy()\na[0] = 5  # noqa: PT004\nprint(t)\n",
        # .cpu() of a CUDA tensor copies (checked on an H100): nothing is shared
        "import numpy as np\nimport torch\nt = torch.ones(3, device='cuda')\na = t.cpu().numpy()\na[0] = 5\nprint(t)\n",
        # filling an uninitialised buffer through its numpy view is the point of the sharing
        "import numpy as np\nimport torch\nbuf = torch.empty(3)\na = buf.numpy()\na[:] = np.arange(3)\nprint(buf)\n",
        # a write through the crossing call itself: changing the other side is what it is for
        "import numpy as np\nimport torch\nx = torch.randn(10, 3)\nnp.random.shuffle(x.numpy())\nprint(x)\n",
    )

    def finish(self) -> None:
        flow = self.ctx.analysis(FlowAnalysis).check()
        done: set = set()
        for h in flow.hazards:
            w = h.write
            if id(w.node) in done:
                continue
            done.add(id(w.node))
            wname = w.key or self._short(w.node)
            rname = key_of(h.read) or self._short(h.read)
            bridge = flow.bridge_of(w.group)
            related = []
            fix = None
            if bridge is not None:
                related.append(Related(bridge, "共享视图在这里创建", "the shared view is created here"))
                fix = self._fix(flow, bridge)
            related.append(Related(h.read, f"随后在这里读取了 `{rname}`", f"`{rname}` is read here afterwards"))
            cell, rng = self.ctx.locate(h.read)  # in a notebook the line alone does not say where
            line = rng.start.line
            where = (f"第 {cell} 个单元格第 {line} 行", f"cell {cell}, line {line}") if cell is not None \
                else (f"第 {line} 行", f"line {line}")
            self.report(w.node, related=related, fix=fix, w=wname, r=rname, where_zh=where[0], where_en=where[1])

    def _short(self, node: cst.CSTNode) -> str:
        code = self.ctx.code_for(node).strip().splitlines()[0]
        return code if len(code) <= 30 else code[:27] + "..."

    @staticmethod
    def _fix(flow: FlowAnalysis, bridge: cst.CSTNode) -> FixSpec:
        made = flow.value_of(bridge)
        if made.kind is Kind.NDARRAY:
            return FixSpec((InsertAfter(bridge, ".copy()"),), "在共享处复制一份：加上 .copy()",
                           "copy where the sharing starts: append .copy()", FixSafety.UNSAFE)
        return FixSpec((InsertAfter(bridge, ".clone()"),), "在共享处复制一份：加上 .clone()",
                       "copy where the sharing starts: append .clone()", FixSafety.UNSAFE)
