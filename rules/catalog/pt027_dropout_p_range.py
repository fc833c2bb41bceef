import libcst as cst

from ptlint.rules.astutil import get_arg, literal_number
from ptlint.rules.findings import Severity
from ptlint.rules.rule import Docs, Message, Rule

_MODULES = {f"torch.nn.{n}" for n in (
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")}
_FUNCTIONAL = {f"torch.nn.functional.{n}" for n in (
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout")}
_TORCH = {"torch.dropout", "torch.alpha_dropout", "torch.feature_alpha_dropout", "torch.feature_dropout"}


class DropoutPRange(Rule):
    code = "PT027"
    name = "dropout-p-range"
    severity = Severity.ERROR
    message = Message(
        zh="dropout 概率 p={p} 不在 [0, 1] 之内：创建时就会抛出 ValueError",
        en="dropout probability p={p} is outside [0, 1]: PyTorch raises ValueError",
    )
    docs = Docs(
        zh="""## 它检查什么
`nn.Dropout(p)`（以及 `Dropout1d/2d/3d`、`AlphaDropout`）和 `F.dropout(x, p)` 中写成字面量、却不在 `[0, 1]` 区间内的 `p`。

## 为什么有问题
`p` 是每个元素被置零的概率，只能在 0 到 1 之间（两端都可以取到）。PyTorch 在构造层或调用函数时会检查它，越界就抛出 `ValueError: dropout probability has to be between 0 and 1`。常见原因是把百分数当成了概率（写成 `50` 而不是 `0.5`），或者把“保留概率”误当成了“丢弃概率”。

## 示例
```python
self.drop = nn.Dropout(50)        # 想要的是 50%
y = F.dropout(x, p=-0.1)
```

## 如何修复
写成 0 到 1 之间的丢弃概率：

```python
self.drop = nn.Dropout(0.5)
y = F.dropout(x, p=0.1, training=self.training)
```
""",
        en="""## What it finds
A literal `p` outside `[0, 1]` in `nn.Dropout(p)` (also `Dropout1d/2d/3d`, `AlphaDropout`) or `F.dropout(x, p)`.

## Why it is a problem
`p` is the probability of zeroing each element, so it must lie in `[0, 1]` (both ends allowed). PyTorch checks it when the layer is built or the function is called and raises `ValueError: dropout probability has to be between 0 and 1`. The usual cause is a percentage written as a probability (`50` instead of `0.5`) or a keep probability mistaken for a drop probability.

## Example
```python
self.drop = nn.Dropout(50)        # meant 50%
y = F.dropout(x, p=-0.1)
```

## How to fix
Write the drop probability as a number between 0 and 1:

```python
self.drop = nn.Dropout(0.5)
y = F.dropout(x, p=0.1, training=self.training)
```
""",
    )
    must_flag = (
        "import torch.nn as nn\ndrop = nn.Dropout(50)  # <-\n",
        "import torch.nn.functional as F\ndef f(x):\n    return F.dropout(x, p=-0.1)  # <-\n",
        "from torch import nn\nlayer = nn.Dropout2d(p=1.5)  # <-\n",
        "import torch\nimport torch.nn.functional as F\ny = F.dropout(torch.ones(3), 2.0, True)  # <-\n",
        "from torch.nn import Dropout as D\nd = D(-1)  # <-\n",
    )
    must_not_flag = (
        "import torch.nn as nn\ndrop = nn.Dropout(0.5)\n",
        "import torch.nn as nn\ndrop = nn.Dropout(1.0)\nkeep = nn.Dropout(p=0)\n",
        "import torch.nn.functional as F\ndef f(x, p):\n    return F.dropout(x, p)\n",
        "import torch\nclass Dropout:\n    def __init__(self, p):\n        self.p = p\nd = Dropout(50)\n",
        "import torch.nn as nn\nrate = 50\ndrop = nn.Dropout(rate / 100)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        q = self.qualname(node.func)
        if q in _MODULES:
            arg = get_arg(node, 0, "p")
        elif q in _FUNCTIONAL:
            arg = get_arg(node, 1, "p")
        elif q in _TORCH:
            arg = get_arg(node, 1, "p")
        else:
            return
        if arg is None:
            return
        p = literal_number(arg.value)
        if p is not None and not 0 <= p <= 1:
            self.report(arg.value, p=self.ctx.code_for(arg.value))
