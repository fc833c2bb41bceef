import libcst as cst

from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis
from ptlint.rules.probe_requests import ViewRequest, ProbedRule, view_request
from ptlint.rules.rule import Docs, FixSpec, InsertBefore, Message, Related, Replace, Rule

# What made the tensor non-contiguous, for the message and the related location.
_OPS = {
    "transpose": ("transpose()", "转置发生在这里", "the transpose happens here"),
    "swapaxes": ("swapaxes()", "转置发生在这里", "the transpose happens here"),
    "swapdims": ("swapdims()", "转置发生在这里", "the transpose happens here"),
    "t": (".t()", "转置发生在这里", "the transpose happens here"),
    "T": (".T", "转置发生在这里", "the transpose happens here"),
    "mT": (".mT", "转置发生在这里", "the transpose happens here"),
    "mH": (".mH", "转置发生在这里", "the transpose happens here"),
    "permute": ("permute()", "维度重排发生在这里", "the permute happens here"),
    "movedim": ("movedim()", "维度移动发生在这里", "the movedim happens here"),
    "moveaxis": ("moveaxis()", "维度移动发生在这里", "the moveaxis happens here"),
    "slice": ("切片", "切片在这里产生了不连续的视图", "the slice makes a non-contiguous view here"),
    "select": ("索引", "索引在这里产生了不连续的视图", "the indexing makes a non-contiguous view here"),
    "narrow": ("narrow()", "narrow() 在这里产生了不连续的视图", "narrow() makes a non-contiguous view here"),
    "expand": ("expand()", "expand() 在这里产生了步幅为 0 的视图", "expand() makes a stride-0 view here"),
    "unfold": ("unfold()", "unfold() 在这里产生了重叠的视图", "unfold() makes an overlapping view here"),
    "split": ("split()", "沿非首维切分在这里发生", "the split along a non-leading dim happens here"),
    "chunk": ("chunk()", "沿非首维切分在这里发生", "the chunk along a non-leading dim happens here"),
    "tensor_split": ("tensor_split()", "沿非首维切分在这里发生", "the split along a non-leading dim happens here"),
}


class ViewOnNoncontiguous(ProbedRule, Rule):
    code = "PT001"
    # The runtime probe checks a finding by replaying its view chain (probe_requests.py).
    request_type = ViewRequest
    probe_request = staticmethod(view_request)
    name = "view-on-noncontiguous"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    message = Message(
        zh="`.view()` 会抛出 RuntimeError：张量经过 {op_zh} 后内存不连续，而这里请求的形状要合并内存中不相邻的维度"
           "（view size is not compatible with input tensor's size and stride）",
        en="`.view()` raises RuntimeError here: after {op_en} the tensor is not contiguous and the requested shape "
           "merges dims that are not adjacent in memory (view size is not compatible with input tensor's size and "
           "stride)",
    )
    docs = Docs(
        zh="""## 它检查什么
在内存不连续的张量上调用 `.view(...)`，且请求的形状需要合并在内存里并不相邻的维度——这种调用一定会失败。不连续来自 `transpose()`、`permute()`、`.t()`、`.T`、`.mT`、`swapaxes()`、`movedim()`，沿非首维的切片、`narrow()`、`split()`/`chunk()`，以及 `expand()`、`unfold()`。这种状态会沿着变量、`self.` 属性和不改变步幅的运算传下去：逐元素运算（`x.t() * 2`，甚至 `x.t() + y`）、`.float()`/`.to(dtype)` 等类型转换、默认的 `.clone()`（`preserve_format` 会保留原来的步幅）。

## 为什么有问题
`view` 不复制数据，只是换一种方式解读同一块内存，所以要求被合并的维度在内存里首尾相接。转置之后，逻辑上相邻的两维在内存里并不相邻，`view` 无法表示，只能报错：

```
RuntimeError: view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.
```

形状已知、且请求的形状并不合并被交换的维度时（例如 `(3, 4)` 的 `x` 执行 `x.t().view(4, 3)`，或只在末尾加一个大小为 1 的维度），`view` 可以成功，本规则不会报告。

## 示例
```python
scores = q @ k.transpose(-2, -1)
out = (scores.softmax(-1) @ v).transpose(1, 2)   # (B, N, H, D)，已不连续
out = out.view(B, N, H * D)                      # RuntimeError
```

## 如何修复
先用 `.contiguous()` 复制成连续内存再 `view`，或者直接用 `.reshape(...)`（能 view 时返回视图，不能时自动复制）：

```python
out = out.contiguous().view(B, N, H * D)
out = out.reshape(B, N, H * D)
```

快速修复会在 `.view` 前插入 `.contiguous()`；另一个快速修复把 `.view` 换成 `.reshape`。两者都是安全修复：原来的代码运行时必然报错。
""",
        en="""## What it finds
`.view(...)` on a non-contiguous tensor where the requested shape merges dims that are not adjacent in memory — a call that always fails. Non-contiguity comes from `transpose()`, `permute()`, `.t()`, `.T`, `.mT`, `swapaxes()`, `movedim()`, slicing or `narrow()`/`split()`/`chunk()` along a non-leading dim, `expand()` and `unfold()`. It is followed through variables, `self.` attributes and ops that keep the strides: pointwise arithmetic (`x.t() * 2`, even `x.t() + y`), dtype conversions (`.float()`, `.to(dtype)`) and the default `.clone()` (`preserve_format` keeps the strides).

## Why it is a problem
`view` never copies: it reinterprets the same memory, so the dims it merges must follow each other in memory. After a transpose, dims that are neighbours logically are not neighbours in memory; `view` cannot express that and raises:

```
RuntimeError: view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.
```

When the shape is known and the requested view keeps the swapped dims apart (`x.t().view(4, 3)` for a `(3, 4)` `x`, or only adds a trailing size-1 dim), `view` works and nothing is reported.

## Example
```python
scores = q @ k.transpose(-2, -1)
out = (scores.softmax(-1) @ v).transpose(1, 2)   # (B, N, H, D), non-contiguous
out = out.view(B, N, H * D)                      # RuntimeError
```

## How to fix
Make the memory contiguous first, or use `.reshape(...)`, which views when it can and copies when it must:

```python
out = out.contiguous().view(B, N, H * D)
out = out.reshape(B, N, H * D)
```

The quick fix inserts `.contiguous()` before `.view`; a second quick fix replaces `.view` with `.reshape`. Both are safe: the original code always raises.
""",
    )
    must_flag = (
        "import torch\nx = torch.randn(3, 4)\ny = x.transpose(0, 1).view(-1)  # <-\n",
        "import torch\ndef f(x, b):\n    return x.permute(0, 2, 1).view(b, -1)  # <-\n",
        "import torch\ndef f(x):\n    return x.t().view(-1)  # <-\n",
        "import torch\ndef f(x):\n    return x.T.view(-1)  # <-\n",
        "import torch\ndef f(x):\n    return x.mT.view(-1)  # <-\n",
        "import torch\ndef f(x):\n    return x.mH.view(-1)  # <-\n",
        "import torch\ndef f(x):\n    return torch.transpose(x, 0, 1).view(-1)  # <-\n",
        "import torch\ndef f(x):\n    a = x.swapaxes(0, 1).view(-1)  # <-\n    b = x.swapdims(0, 1).view(-1)  # <-\n"
        "    c = x.movedim(0, 2).view(-1)  # <-\n",
        "import torch\nx = torch.randn(3, 4)\ny = x.narrow(1, 0, 2).view(-1)  # <-\n",
        "import torch\nx = torch.randn(2, 3, 4)\ny = x.permute(0, 2, 1).view(2, -1)  # <-\n",
        "import torch\nx = torch.randn(3, 5)\ny = x[:, ::2].view(-1)  # <-\n",
        "import torch\nx = torch.arange(10.0)\ny = x.unfold(0, 3, 1).view(-1)  # <-\n",
        "import torch\nx = torch.randn(3, 1)\ny = x.expand(3, 4).view(-1)  # <-\n",
        "import torch\nx = torch.randn(3, 4)\ny = x.permute(1, 0)\nprint(y.shape)\nz = y.view(-1)  # <-\n",
        "import torch\nimport torch.nn as nn\nclass Attn(nn.Module):\n    def forward(self, x):\n"
        "        B, N, C = x.shape\n        self.h = x.transpose(1, 2)\n        return self.h.view(B, -1)  # <-\n",
        "import torch\nx = torch.randn(3, 4)\ny = x.t() * 2\nz = y.view(-1)  # <-\n",
        "import torch\nx = torch.randn(3, 4)\nc = torch.randn(4, 3)\nz = (x.t() + c).view(-1)  # <-\n",
        "import torch\nx = torch.randn(3, 4)\na = x.t().float().view(-1)  # <-\nb = x.t().double().view(-1)  # <-\n"
        "c = x.t().to(torch.float64).view(-1)  # <-\n",
        "import torch\nx = torch.randn(3, 4)\ny = x.t().clone().view(-1)  # <-\n",
        "import torch\nx = torch.randn(3, 4)\na, b = torch.split(x, 2, dim=1)\nc = a.view(-1)  # <-\n"
        "d = x.chunk(2, dim=-1)[0].view(-1)  # <-\n",
        "import torch\ndef f(q):\n    B, H, N, D = q.shape\n    out = q.transpose(1, 2)\n"
        "    if out.requires_grad:\n        print('grad')\n    return out.view(B, N, H * D)  # <-\n",
    )
    must_not_flag = (
        "import torch\nx = torch.randn(3, 4)\na = x.t().contiguous().view(-1)\nb = x.t().reshape(-1)\nc = x.t().flatten()\n",
        "import torch\nx = torch.randn(3, 4)\ny = x.transpose(0, 1).contiguous()\nz = y.view(-1)\n",
        "import torch\nx = torch.randn(3, 4)\nx.transpose(0, 1)\nz = x.view(-1)\n",
        "import torch\nx = torch.randn(3, 4)\ny = x.t()\ny = y.contiguous()\nz = y.view(-1)\n",
        "import torch\nx = torch.randn(3, 4)\ny = x.t()\ny = torch.zeros(4, 3)\nz = y.view(-1)\n",
        "import torch\nx = torch.randn(3, 4)\nh = x.t().view(torch.float16)\n",
        "import torch\nx = torch.randn(3, 4)\ny = x.t().clone(memory_format=torch.contiguous_format).view(-1)\n",
        "import torch\nx = torch.randn(3, 4)\na = x.t().view(4, 3)\nb = x.t().view(4, 3, 1)\n",
        "import torch\ndef f(x):\n    B, N, C = x.shape\n    return x.transpose(1, 2).view(B, C, 4, N // 4)\n",
        "import torch\nx = torch.randn(3, 4)\ny = x[:, ::2].view(-1)\nz = x.chunk(2)[0].view(-1)\nw = x[1:].view(-1)\n",
        "import torch\ndef f(x, flag):\n    y = x.t() if flag else x\n    return y.view(-1)\n",
        "import torch\ndef f(x):\n    y = torch.randn(4, 3) + x.t()\n    return y\nz = f(torch.randn(3, 4)).view(-1)\n",
        "import numpy as np\na = np.zeros((3, 4))\nb = a.T.view(np.float32)\n",
        "import torch\ndef f(x):\n    return x.view(-1)\n",
        # ViT position-embedding resize: on (1, C, H, W) the merged H, W stay adjacent and
        # the size-1 batch dim never blocks (the literal 1 says the code knows it is 1)
        "import torch\ndef f(x):\n    return x.permute(0, 2, 3, 1).view(1, -1, x.shape[1])\n",
        # what squeeze() leaves may still be size 1: (1, 1, T) -> (1, T) -> (T, 1) views fine
        "import torch\ndef f(h):\n    return h.squeeze(0).transpose(1, 0).view(-1)\n",
        # an even number of transposes is contiguous again
        "import torch\nx = torch.randn(2, 3)\ny = x.t().t().t().t().view(-1)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "view" and node.args):
            return
        flow = self.ctx.analysis(FlowAnalysis).check()
        lay = flow.view_error(node)
        if lay is None:
            return
        op, rel_zh, rel_en = _OPS.get(lay.reason, ("", "张量在这里变得不连续", "the tensor becomes non-contiguous here"))
        words = {"切片": ("切片", "slicing"), "索引": ("索引", "indexing"), "": ("之前的操作", "an earlier op")}
        op_zh, op_en = words.get(op, (f"`{op}`", f"`{op}`"))
        related = [Related(lay.origin, rel_zh, rel_en)] if lay.origin is not None else []
        fix = FixSpec((InsertBefore(func.attr, "contiguous()."),),
                      "在 .view() 前插入 .contiguous()", "insert .contiguous() before .view()", FixSafety.SAFE)
        # The runtime probe replays these facts (shape, dtype, the ops up to this view)
        # when every one of them is a literal; otherwise they are left out.
        extra = dict(flow.probe_chain(node) or {})
        alt = FixSpec((Replace(func.attr, "reshape"),), "把 .view 改成 .reshape", "replace .view with .reshape",
                      FixSafety.SAFE)
        self.report(node, fix=fix, alt_fixes=[alt], related=related, extra=extra, op_zh=op_zh, op_en=op_en)
