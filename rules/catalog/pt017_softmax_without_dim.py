import libcst as cst

import re
from typing import Optional

from ptlint.rules.astutil import get_arg, has_star_args, literal_value, method_call
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis
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

# The call as the message shows it: as written, on one line, shortened past this length.
_SHOWN_MAX = 40

# When the input's rank is known, the message says which dim PyTorch picks
# (torch/nn/functional.py ``_get_softmax_dim``: 0 for 0-, 1- and 3-D input, else 1).
KNOWN_RANK_MESSAGE = Message(
    zh="`{api}` 没有指定 dim：隐式选择维度已被弃用；输入是 {ndim} 维，PyTorch 会沿第 {dim} 维归一化{hint_zh}",
    en="`{api}` without dim: the implicit dim is deprecated; the input is {ndim}-D, so PyTorch normalises along dim {dim}{hint_en}",
)
_HINTS = {  # (implicit dim is the last one?) -> what that means for the reader
    True: ("（即最后一维，写明 dim=-1 结果不变）", " (the last one: writing dim=-1 keeps the result)"),
    False: ("，而不是最后一维（类别通常在最后一维）：不报错，结果却可能是错的",
            ", not the last one (where the classes usually are): no error, possibly wrong numbers"),
}

MISSING_MESSAGE = Message(
    zh="`{api}` 缺少 dim 参数：调用时会直接抛出 TypeError",
    en="`{api}` is called without dim: it raises TypeError",
)


class SoftmaxWithoutDim(Rule):
    code = "PT017"
    name = "softmax-without-dim"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_safeties = (FixSafety.SAFE, FixSafety.UNSAFE)  # safe where the rank says dim=-1 is what PyTorch picks
    message = Message(
        zh="`{api}` 没有指定 dim：隐式选择维度已被弃用，PyTorch 会按输入的维数猜（0、1、3 维沿第 0 维，其余沿第 1 维）；这里不知道输入的维数，请写明类别所在的维度",
        en="`{api}` without dim: the implicit dim is deprecated and PyTorch guesses from the input's rank (dim 0 for 0-, 1- and 3-D input, else dim 1); the rank is not known here, so name the class dimension",
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

快速修复会补上 `dim=-1`。已知输入是 0、1、2 维时，这正是 PyTorch 原来隐式选择的维度，结果不变（安全修复）；其他情况下它可能与原来的选择不同（不安全修复，请确认这正是类别维）。
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

The quick fix adds `dim=-1`. When the input is known to be 0-, 1- or 2-D that is the dim PyTorch picked implicitly, so the result is unchanged (safe); otherwise it may differ from the old choice (unsafe: check that it is the class dimension).
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
        "import torch\nimport torch.nn.functional as F\nscores = torch.randn(8, 16, 32)\nw = F.softmax(scores)  # <-\n",
    )
    must_not_flag = (
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))\n",
        "import torch.nn.functional as F\ndef f(x):\n    return F.softmax(x, -1)\n",
        "import torch\ny = torch.softmax(torch.randn(2, 3), dim=1)\n",
        "import torch\ndef softmax(x):\n    return x\ny = softmax(torch.ones(2))\n",
        "import torch.nn.functional as F\nargs = (1,)\ndef f(x):\n    return F.softmax(x, *args)\n",
        "import torch\nfrom scipy.special import softmax\ny = softmax([1.0, 2.0])\n",
        # NumPy's keyword is an accepted alias of dim for the native functions (checked with torch 2.13).
        "import torch\nlogits = torch.randn(4, 10)\nprobas = torch.softmax(logits, axis=1)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if has_star_args(node) or any(a.star == "**" for a in node.args):
            return
        q = self.qualname(node.func)
        if q in _MODULES:
            self._check(node, get_arg(node, 0, "dim"), None)
        elif q in _FUNCTIONAL:
            inp = get_arg(node, 0, "input")
            self._check(node, get_arg(node, 1, "dim"), inp.value if inp is not None else None)
        elif q in _REQUIRED:
            # The native functions also take NumPy's spelling: torch.softmax(x, axis=1) works.
            if get_arg(node, 1, "dim") is None and get_arg(node, None, "axis") is None:
                self.report(node, message=MISSING_MESSAGE, severity=Severity.ERROR, api=self._shown(node),
                            fix=self._fix(node, FixSafety.UNSAFE))
        elif q is None:
            mc = method_call(node)
            if mc and mc[1] in _METHODS and not node.args and self._tensor_receiver(mc[0]):
                self.report(node, message=MISSING_MESSAGE, severity=Severity.ERROR, api=self._shown(node),
                            fix=self._fix(node, FixSafety.UNSAFE))

    def _tensor_receiver(self, recv: cst.BaseExpression) -> bool:
        # A bare method name is only a tensor's when the file imports torch and the receiver
        # is not a module we can name (numpy arrays have no .softmax, but other libraries do).
        return self.ctx.imports.mentions("torch") and self.qualname(recv) is None

    def _shown(self, node: cst.Call) -> str:
        """The call as written, on one line; long arguments shortened to ``…``."""
        text = re.sub(r"\s+", " ", self.ctx.code_for(node)).strip()
        text = re.sub(r",? \)", ")", re.sub(r"\( ", "(", text))  # a call spread over lines
        if len(text) <= _SHOWN_MAX:
            return text
        func = re.sub(r"\s+", "", self.ctx.code_for(node.func))
        first = re.sub(r"\s+", " ", self.ctx.code_for(node.args[0].value)) if node.args else ""
        room = max(_SHOWN_MAX - len(func) - 3, 1)
        inner = first if len(first) <= room and len(node.args) == 1 else (first[:room].rstrip() + "…")
        return f"{func}({inner})"

    def _rank(self, inp: Optional[cst.BaseExpression]) -> Optional[int]:
        if inp is None:
            return None
        v = self.ctx.analysis(FlowAnalysis).check().value_of(inp)
        return v.rank if v.is_tensor else None

    def _check(self, node: cst.Call, dim: "cst.Arg | None", inp: Optional[cst.BaseExpression]) -> None:
        if dim is not None and literal_value(dim.value, 0) is not None:
            return
        ndim = self._rank(inp)
        if ndim is None:
            self.report(node, api=self._shown(node), fix=None if dim is not None else self._fix(node, FixSafety.UNSAFE))
            return
        implicit = 0 if ndim in (0, 1, 3) else 1
        last = implicit == max(ndim - 1, 0)  # dim=-1 names the same dim (a 0-D input has only dim 0)
        hint_zh, hint_en = _HINTS[last]
        fix = None if dim is not None else self._fix(node, FixSafety.SAFE if last else FixSafety.UNSAFE)
        self.report(node, message=KNOWN_RANK_MESSAGE, api=self._shown(node), ndim=ndim, dim=implicit,
                    hint_zh=hint_zh, hint_en=hint_en, fix=fix)

    def _fix(self, node: cst.Call, safety: FixSafety) -> FixSpec:
        args = list(node.args)
        if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        dim = cst.Arg(cst.UnaryOperation(cst.Minus(), cst.Integer("1")), keyword=cst.Name("dim"),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        return FixSpec((Replace(node, node.with_changes(args=[*args, dim])),),
                       "补上 dim=-1", "add dim=-1", safety)
