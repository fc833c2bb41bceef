import libcst as cst

from ptlint.rules.astutil import get_arg, has_star_args, literal_value, method_call
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Replace, Rule

# Constructors and functions whose implicit dim is deprecated (a warning, then a guess).
_MODULES = {"torch.nn.Softmax": "Softmax", "torch.nn.LogSoftmax": "LogSoftmax", "torch.nn.Softmin": "Softmin"}
_FUNCTIONAL = {
    "torch.nn.functional.softmax": "F.softmax",
    "torch.nn.functional.log_softmax": "F.log_softmax",
    "torch.nn.functional.softmin": "F.softmin",
}
# These have no default for dim at all: calling without it raises TypeError.
_REQUIRED = {"torch.softmax": "torch.softmax", "torch.log_softmax": "torch.log_softmax"}
_METHODS = {"softmax", "log_softmax"}

MISSING_MESSAGE = Message(
    zh="`{api}` 缺少 dim 参数：调用时会直接抛出 TypeError",
    en="`{api}` is called without dim: it raises TypeError",
)


class SoftmaxWithoutDim(Rule):
    code = "PT017"
    name = "softmax-without-dim"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    message = Message(
        zh="`{api}` 没有指定 dim：隐式选择维度已被弃用，3 维输入时会沿第 0 维（批量维）做归一化",
        en="`{api}` without dim: the implicit dim is deprecated and picks dim 0 (the batch) for 3-D input",
    )
    docs = Docs(
        zh="""## 它检查什么
没有写 `dim` 的 softmax 类调用：`nn.Softmax()`、`nn.LogSoftmax()`、`nn.Softmin()`、`F.softmax(x)`、`F.log_softmax(x)`，以及必须给出 dim 的 `torch.softmax(x)`、`x.softmax()`。

## 为什么有问题
softmax 要沿某一个维度把数值归一化成概率，沿哪一维完全由 `dim` 决定。不写 `dim` 时，`nn.Softmax` 和 `F.softmax` 会发出弃用警告并自己猜：输入是 0、1、3 维时取 `dim=0`，其余取 `dim=1`。对 `(batch, seq, class)` 这样的 3 维输出，它会沿批量维归一化——不报错，但结果完全不对。`torch.softmax` 和张量方法 `softmax` 没有默认值，不写 `dim` 直接抛 `TypeError`。

## 示例
```python
model = nn.Sequential(nn.Linear(4, 2), nn.Softmax())   # 沿哪一维？
probs = F.softmax(logits)
```

## 如何修复
明确写出类别所在的维度，通常是最后一维：

```python
model = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))
probs = F.softmax(logits, dim=-1)
```

快速修复会补上 `dim=-1`（不安全修复：3 维输入时与原来的隐式选择不同，请确认这正是类别维）。
""",
        en="""## What it finds
Softmax-style calls without `dim`: `nn.Softmax()`, `nn.LogSoftmax()`, `nn.Softmin()`, `F.softmax(x)`, `F.log_softmax(x)`, and `torch.softmax(x)` / `x.softmax()`, which require it.

## Why it is a problem
Softmax normalises along one dimension, and `dim` alone decides which. Without it, `nn.Softmax` and `F.softmax` emit a deprecation warning and guess: `dim=0` for 0-, 1- and 3-D input, `dim=1` otherwise. For a `(batch, seq, class)` output that normalises across the batch: no error, silently wrong numbers. `torch.softmax` and the tensor method have no default and raise `TypeError`.

## Example
```python
model = nn.Sequential(nn.Linear(4, 2), nn.Softmax())   # along which dim?
probs = F.softmax(logits)
```

## How to fix
Name the class dimension, usually the last one:

```python
model = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))
probs = F.softmax(logits, dim=-1)
```

The quick fix adds `dim=-1` (unsafe: for 3-D input it differs from the old implicit choice; check that it is the class dimension).
""",
    )
    must_flag = (
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 2), nn.Softmax())  # <-\n",
        "import torch.nn.functional as F\ndef f(x):\n    return F.softmax(x)  # <-\n",
        "import torch\nfrom torch.nn import functional as fn\ny = fn.log_softmax(torch.randn(2, 3))  # <-\n",
        "import torch as T\ny = T.softmax(T.randn(2, 3))  # <-\n",
        "from torch.nn import Softmax as SM\nlayer = SM()  # <-\n",
        "import torch\nx = torch.randn(2, 3)\np = x.softmax()  # <-\n",
        "import torch.nn as nn\nact = nn.Softmax(dim=None)  # <-\n",
    )
    must_not_flag = (
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))\n",
        "import torch.nn.functional as F\ndef f(x):\n    return F.softmax(x, -1)\n",
        "import torch\ny = torch.softmax(torch.randn(2, 3), dim=1)\n",
        "import torch\ndef softmax(x):\n    return x\ny = softmax(torch.ones(2))\n",
        "import torch.nn.functional as F\nargs = (1,)\ndef f(x):\n    return F.softmax(x, *args)\n",
        "import torch\nfrom scipy.special import softmax\ny = softmax([1.0, 2.0])\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if has_star_args(node) or any(a.star == "**" for a in node.args):
            return
        q = self.qualname(node.func)
        if q in _MODULES:
            self._check(node, get_arg(node, 0, "dim"), f"nn.{_MODULES[q]}()")
        elif q in _FUNCTIONAL:
            self._check(node, get_arg(node, 1, "dim"), f"{_FUNCTIONAL[q]}(x)")
        elif q in _REQUIRED:
            if get_arg(node, 1, "dim") is None:
                self.report(node, message=MISSING_MESSAGE, severity=Severity.ERROR, api=f"{_REQUIRED[q]}(x)",
                            fix=self._fix(node))
        elif q is None:
            mc = method_call(node)
            if mc and mc[1] in _METHODS and not node.args and self._tensor_receiver(mc[0]):
                self.report(node, message=MISSING_MESSAGE, severity=Severity.ERROR, api=f"x.{mc[1]}()",
                            fix=self._fix(node))

    def _tensor_receiver(self, recv: cst.BaseExpression) -> bool:
        # A bare method name is only a tensor's when the file imports torch and the receiver
        # is not a module we can name (numpy arrays have no .softmax, but other libraries do).
        return self.ctx.imports.mentions("torch") and self.qualname(recv) is None

    def _check(self, node: cst.Call, dim: "cst.Arg | None", api: str) -> None:
        if dim is not None and literal_value(dim.value, 0) is not None:
            return
        self.report(node, api=api, fix=None if dim is not None else self._fix(node))

    def _fix(self, node: cst.Call) -> FixSpec:
        args = list(node.args)
        if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        dim = cst.Arg(cst.UnaryOperation(cst.Minus(), cst.Integer("1")), keyword=cst.Name("dim"),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        return FixSpec((Replace(node, node.with_changes(args=[*args, dim])),),
                       "补上 dim=-1", "add dim=-1", FixSafety.UNSAFE)
