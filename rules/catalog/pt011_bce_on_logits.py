from typing import Optional

import libcst as cst

from ptlint.rules.astutil import get_arg, literal_value
from ptlint.rules.astutil import walk
from ptlint.rules.bindings import ClassInfo, LocalFacts, ScopeInfo, sequential_entries
from ptlint.rules.flow.datasets import LOADER
from ptlint.rules.gating import Gated
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule

_BCE_LOSS = "torch.nn.BCELoss"
_BCE_FUNC = "torch.nn.functional.binary_cross_entropy"
_SIZED = {"torch.rand", "torch.randn", "torch.zeros", "torch.ones", "torch.empty"}

RANK_MESSAGE = Message(
    zh="`{loss}` 的输入是 {a}（模型最后一层 `nn.Linear` 的 out_features={k}），目标是 {b}（{src_zh}）："
       "二者形状不同，会抛出 ValueError: Using a target size ... that is different to the input size；"
       "请用 `{inp}.squeeze(-1)` 或 `{tgt}.unsqueeze(-1)` 让形状一致",
    en="`{loss}` gets an input of {a} (the model's last `nn.Linear` has out_features={k}) and a target of {b} "
       "({src_en}): the shapes differ, so this raises ValueError: Using a target size ... that is different to "
       "the input size; use `{inp}.squeeze(-1)` or `{tgt}.unsqueeze(-1)` to make them agree",
)
# layers and functions that keep their input's rank (a Linear changes only the last dim)
_RANK_KEEPING_LAYERS = frozenset(f"torch.nn.{n}" for n in """
Linear ReLU ReLU6 LeakyReLU PReLU ELU SELU GELU SiLU Mish Sigmoid Tanh Softplus Hardtanh Hardsigmoid Hardswish
Dropout AlphaDropout BatchNorm1d LayerNorm Identity
""".split())
_ELEMENTWISE_FUNCS = frozenset({f"torch.{n}" for n in "relu sigmoid tanh".split()} | {
    f"torch.nn.functional.{n}" for n in "relu relu6 leaky_relu elu selu gelu silu mish sigmoid tanh softplus "
                                         "hardtanh hardsigmoid hardswish dropout".split()})
_ELEMENTWISE_METHODS = frozenset({"relu", "sigmoid", "tanh"})

SHAPE_MESSAGE = Message(
    zh="`{loss}` 的输入形状 {a} 与目标形状 {b} 不一致：会抛出 ValueError，二者的形状必须完全相同",
    en="`{loss}` input shape {a} differs from target shape {b}: PyTorch raises ValueError; the shapes must be identical",
)


def literal_shape(call: cst.BaseExpression, qualname) -> Optional[tuple]:
    """The shape of ``torch.rand(4, 1)`` / ``torch.zeros((4,))`` / ``torch.randint(0, 2, (4,))``."""
    if not isinstance(call, cst.Call) or any(a.star for a in call.args):
        return None
    q = qualname(call.func)
    pos = [a.value for a in call.args if a.keyword is None]
    if q in _SIZED:
        size = get_arg(call, None, "size")
        if size is not None:
            pos = [size.value]
        if len(pos) == 1 and isinstance(pos[0], (cst.Tuple, cst.List)):
            vals = literal_value(pos[0], None)
        else:
            vals = [literal_value(p, None) for p in pos]
    elif q == "torch.full":
        vals = literal_value(pos[0], None) if pos else None
    elif q == "torch.randint":
        size = get_arg(call, None, "size")
        node = size.value if size is not None else (pos[-1] if len(pos) in (2, 3) else None)
        vals = literal_value(node, None) if node is not None else None
    else:
        return None
    if not isinstance(vals, (list, tuple)) or not vals:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return None
    return tuple(vals)


class BceOnLogits(Gated, Rule):
    code = "PT011"
    name = "bce-on-logits"
    needs = ('BCELoss', 'binary_cross_entropy')
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    message = Message(
        zh="`{loss}` 的输入是{src_zh} 的原始输出，没有经过 sigmoid：BCELoss 要求输入是 [0, 1] 内的概率，超出范围会抛出 RuntimeError；请改用 `{fix_api}`",
        en="`{loss}` gets the raw output of {src_en}, not passed through a sigmoid: BCELoss needs probabilities in [0, 1] and raises RuntimeError outside; use `{fix_api}`",
    )
    docs = Docs(
        zh="""## 它检查什么
交给 `nn.BCELoss` / `F.binary_cross_entropy` 的输入不对：

1. `nn.BCELoss` / `F.binary_cross_entropy` 的输入直接是 `nn.Linear` 的输出，或是最后一层为 `nn.Linear` 的模型的输出——也就是没有经过 sigmoid 的 logits。
2. 输入与目标的形状已知且不同（例如 `(4, 1)` 与 `(4,)`）。包括最常见的情形：模型只由线性层和逐元素的激活组成、最后是 `sigmoid(Linear(..., 1))`，输出 `(N, 1)`；而 `DataLoader(TensorDataset(X, y))` 给出的标签是 `(N,)`（`for`、`enumerate`、`next(iter(loader))`、`tqdm(loader)` 都算，数据集也可以来自 `Subset` / `random_split`）。模型里有 `view`、`flatten`、`squeeze` 之类改变维数的操作，或 DataLoader 用了自定义的 `collate_fn` 时不会报告。

## 为什么有问题
二元交叉熵 `-[y·log ŷ + (1−y)·log(1−ŷ)]` 要求 `ŷ` 是概率。`nn.BCELoss` 不会替你做 sigmoid：线性层的输出可以是任意实数，只要有一个元素不在 `[0, 1]` 内，就会抛出 `RuntimeError: all elements of input should be between 0 and 1`；即使碰巧都在范围内，算出来的也不是你想要的损失。

笔记强调：“input 和 target 维度一定要一样”。形状不同时 PyTorch 直接抛出 `ValueError: Using a target size (...) that is different to the input size (...)`——最常见的是模型输出 `(N, 1)`，而标签是 `(N,)`。

## 示例
```python
model = nn.Sequential(nn.Linear(10, 1))
loss_fn = nn.BCELoss()
loss = loss_fn(model(x), y)            # logits 直接进了 BCELoss
```

## 如何修复
让损失函数自己做 sigmoid，数值上也更稳定：

```python
loss_fn = nn.BCEWithLogitsLoss()
loss = loss_fn(model(x), y.float())
```

或者在模型末尾加上 `nn.Sigmoid()`。形状不一致时，用 `out.squeeze(-1)` 或 `y.unsqueeze(-1)` 让两者一致。快速修复会换成 `BCEWithLogitsLoss` / `F.binary_cross_entropy_with_logits`（不安全修复：如果同一个损失对象在别处接收的是概率，需要一并检查）。
""",
        en="""## What it finds
Wrong input for `nn.BCELoss` / `F.binary_cross_entropy`:

1. `nn.BCELoss` / `F.binary_cross_entropy` fed the raw output of an `nn.Linear`, or of a model whose last layer is an `nn.Linear`: logits that never went through a sigmoid.
2. Input and target shapes that are known and differ (e.g. `(4, 1)` vs `(4,)`), including the most common case: a model made only of linear layers and elementwise activations that ends in `sigmoid(Linear(..., 1))` gives `(N, 1)` while `DataLoader(TensorDataset(X, y))` gives labels of `(N,)` (through `for`, `enumerate`, `next(iter(loader))` or `tqdm(loader)`, also of a `Subset` / `random_split` of the dataset). A model that changes the rank (`view`, `flatten`, `squeeze` …) or a DataLoader with its own `collate_fn` is not reported.

## Why it is a problem
Binary cross-entropy `-[y·log ŷ + (1−y)·log(1−ŷ)]` needs `ŷ` to be a probability. `nn.BCELoss` does not apply a sigmoid: a linear layer's output is any real number, and as soon as one element falls outside `[0, 1]` it raises `RuntimeError: all elements of input should be between 0 and 1`; when they happen to fit, the loss is still not the one you meant.

The notes insist that input and target have the same shape. When they differ PyTorch raises `ValueError: Using a target size (...) that is different to the input size (...)` — most often a model output of `(N, 1)` against labels of `(N,)`.

## Example
```python
model = nn.Sequential(nn.Linear(10, 1))
loss_fn = nn.BCELoss()
loss = loss_fn(model(x), y)            # logits straight into BCELoss
```

## How to fix
Let the loss apply the sigmoid (numerically more stable too):

```python
loss_fn = nn.BCEWithLogitsLoss()
loss = loss_fn(model(x), y.float())
```

or end the model with `nn.Sigmoid()`. For mismatched shapes use `out.squeeze(-1)` or `y.unsqueeze(-1)`. The quick fix switches to `BCEWithLogitsLoss` / `F.binary_cross_entropy_with_logits` (unsafe: if the same loss object receives probabilities elsewhere, check those too).
""",
    )
    must_flag = (
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(10, 4), nn.ReLU(), nn.Linear(4, 1))\nloss_fn = nn.BCELoss()\n"
        "def step(x, y):\n    return loss_fn(model(x), y)  # <-\n",
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nclass Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 1)\n"
        "    def forward(self, x, y):\n        logits = self.fc(x)\n        return F.binary_cross_entropy(logits, y)  # <-\n",
        "import torch\nimport torch.nn as nn\nloss = nn.BCELoss()\ny_hat = torch.rand(4, 1)\nt = torch.randint(0, 2, (4,)).float()\n"
        "print(loss(y_hat, torch.rand(4)))  # <-\n",
        "import torch.nn as nn\nclass Clf(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.head = nn.Linear(16, 1)\n        self.crit = nn.BCELoss()\n    def forward(self, x):\n        return self.head(x)\n"
        "    def loss(self, x, y):\n        return self.crit(self(x), y)  # <-\nmodel = Clf()\ncrit = nn.BCELoss()\n"
        "def step(x, y):\n    return crit(model(x), y)  # <-\n",
        "import torch\nimport torch.nn.functional as F\np = torch.sigmoid(torch.randn(8, 1))\ny = torch.randint(0, 2, (8,)).float()\n"
        "loss = F.binary_cross_entropy(p, y)  # <-\n",
        # a model ending in sigmoid(Linear(..., 1)) gives (N, 1); DataLoader labels are (N,)
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(10, 16)\n"
        "        self.fc2 = nn.Linear(16, 1)\n    def forward(self, x):\n        x = torch.relu(self.fc1(x))\n"
        "        return torch.sigmoid(self.fc2(x))\nX = torch.randn(100, 10)\ny = torch.randint(0, 2, (100,)).float()\n"
        "loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)\nmodel = Net()\ncriterion = nn.BCELoss()\n"
        "for i, (xb, yb) in enumerate(loader):\n    out = model(xb)\n    loss = criterion(out, yb)  # <-\n",
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())\n"
        "x = torch.randn(32, 4)\ny = torch.randint(0, 2, (32,)).float()\nloss = F.binary_cross_entropy(model(x), y)  # <-\n",
    )
    must_not_flag = (
        "import torch\nimport torch.nn as nn\nmodel = nn.Sequential(nn.Linear(10, 1), nn.Sigmoid())\nloss_fn = nn.BCELoss()\n"
        "def step(x, y):\n    return loss_fn(model(x), y)\n",
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(10, 1)\nloss_fn = nn.BCELoss()\n"
        "def step(x, y):\n    return loss_fn(torch.sigmoid(model(x)), y)\n",
        "import torch.nn as nn\nmodel = nn.Linear(10, 1)\nloss_fn = nn.BCEWithLogitsLoss()\ndef step(x, y):\n    return loss_fn(model(x), y)\n",
        "import torch\nimport torch.nn as nn\nloss = nn.BCELoss()\nprint(loss(torch.rand(4, 3), torch.rand(4, 3)))\n",
        "import torch.nn as nn\nloss_fn = nn.BCELoss()\ndef step(model, x, y):\n    return loss_fn(model(x), y)\n",
        # labels of shape (N, 1), a squeezed output, a reshaped label, a custom collate_fn
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "model = nn.Sequential(nn.Linear(10, 1), nn.Sigmoid())\ncriterion = nn.BCELoss()\nX = torch.randn(64, 10)\n"
        "y = torch.randint(0, 2, (64, 1)).float()\nfor xb, yb in DataLoader(TensorDataset(X, y), batch_size=8):\n"
        "    loss = criterion(model(xb), yb)\n",
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "model = nn.Sequential(nn.Linear(10, 1), nn.Sigmoid())\ncriterion = nn.BCELoss()\nX = torch.randn(64, 10)\n"
        "y = torch.randint(0, 2, (64,)).float()\nloader = DataLoader(TensorDataset(X, y), batch_size=8)\n"
        "for xb, yb in loader:\n    a = criterion(model(xb).squeeze(1), yb)\n    yb = yb.unsqueeze(1)\n"
        "    b = criterion(model(xb), yb)\nfor xb, yb in DataLoader(TensorDataset(X, y), batch_size=8, collate_fn=collate):\n"
        "    c = criterion(model(xb), yb)\n",
        # the model flattens or reshapes: its output rank is not its input's
        "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(10, 1)\n    def forward(self, x):\n        return torch.sigmoid(self.fc(x)).view(-1)\n"
        "model = Net()\nloss = nn.BCELoss()(model(torch.randn(8, 10)), torch.rand(8))\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        cls, _ = facts.enclosing_method(self.ctx.ancestors)
        loss_api, ctor = self._bce(node, facts, scope, cls)
        if loss_api is None:
            return
        if any(a.star for a in node.args):
            return
        inp = get_arg(node, 0, "input")
        tgt = get_arg(node, 1, "target")
        if inp is None:
            return
        src = self._raw_logits(inp.value, facts, scope, cls)
        if src is not None:
            (src_zh, src_en), origin = src
            self.report(node, loss=loss_api, src_zh=src_zh, src_en=src_en,
                        fix_api="nn.BCEWithLogitsLoss" if ctor is not None else "F.binary_cross_entropy_with_logits",
                        fix=self._fix(node, ctor),
                        related=[Related(origin, "这一层的输出没有经过 sigmoid", "this layer's output has no sigmoid")])
            return
        if tgt is None:
            return
        a = literal_shape(facts.resolve(inp.value, scope), self.qualname) or self._flow_shape(inp.value)
        b = literal_shape(self._strip_cast(facts.resolve(tgt.value, scope)), self.qualname) or self._flow_shape(tgt.value)
        if a is not None and b is not None and a != b:
            self.report(node, message=SHAPE_MESSAGE, severity=Severity.ERROR, loss=loss_api,
                        a=_fmt(a), b=_fmt(b))
            return
        self._rank_mismatch(node, loss_api, inp.value, tgt.value, facts, scope, cls)

    # ------------------------------------------------------------------ (N, 1) output, (N,) labels
    def _rank_mismatch(self, node: cst.Call, loss_api: str, inp: cst.BaseExpression, tgt: cst.BaseExpression,
                       facts: LocalFacts, scope: ScopeInfo, cls: Optional[ClassInfo]) -> None:
        """A model whose output keeps its input's rank (Linear / activation layers only, the
        last Linear giving ``k`` features) against a target of another rank: a model ending
        in ``sigmoid(Linear(..., 1))`` gives ``(N, 1)``, DataLoader labels are ``(N,)``."""
        call = facts.resolve(inp, scope)
        if not isinstance(call, cst.Call) or any(a.star for a in call.args):
            return
        pos = [a.value for a in call.args if a.keyword is None]
        if len(pos) != 1 or len(call.args) != 1:
            return
        layer = facts.layer_call(call.func, scope, cls)
        last = self._rank_keeping_model(layer, facts) if layer is not None else None
        if last is None:
            return
        in_rank = self._rank(pos[0], node)
        target = self._strip_cast(tgt)
        t_rank = self._rank(target, node)
        if in_rank is None or t_rank is None or in_rank[0] == t_rank[0] or in_rank[0] < 1:
            return
        k = _out_features(last)
        a = "(" + ", ".join(["N"] + ["?"] * (in_rank[0] - 2) + [str(k) if k is not None else "?"]) + ")" \
            if in_rank[0] >= 2 else f"({k if k is not None else '?'},)"
        b = "()" if t_rank[0] == 0 else "(" + ", ".join(["N"] + ["?"] * (t_rank[0] - 1)) + ("," if t_rank[0] == 1 else "") + ")"
        related = [Related(last, "模型最后的线性层", "the model's last linear layer")]
        if t_rank[1] is not None:
            related.append(Related(t_rank[1], "目标张量来自这里", "the target comes from here"))
        src_zh, src_en = ("DataLoader 的标签", "labels from the DataLoader") if t_rank[2] else ("目标张量", "the target tensor")
        self.report(node, message=RANK_MESSAGE, severity=Severity.ERROR, related=related, loss=loss_api, a=a, b=b,
                    k="?" if k is None else k, src_zh=src_zh, src_en=src_en, inp=_short(self.ctx.code_for(inp)),
                    tgt=_short(self.ctx.code_for(target)))

    def _rank(self, expr: cst.BaseExpression, at: cst.CSTNode) -> Optional[tuple]:
        """(rank, where it comes from, from a DataLoader) of a tensor of known shape; a
        DataLoader batch comes from the loader (``flow/datasets.py``)."""
        from ptlint.rules.flow import FlowAnalysis, Kind

        v = self.ctx.analysis(FlowAnalysis).check().value_of(expr)
        if v.kind is not Kind.TENSOR or v.shape is None:
            return None
        if v.provenance == LOADER:
            return len(v.shape), v.origin, True
        return len(v.shape), None, False

    def _rank_keeping_model(self, layer: cst.Call, facts: LocalFacts) -> Optional[cst.Call]:
        """The last ``nn.Linear`` of a model made only of rank-keeping layers and
        elementwise functions, applied one after another to its input; else None."""
        q = self.qualname(layer.func)
        if q == "torch.nn.Sequential":
            entries = sequential_entries(layer)
            if not entries or not all(isinstance(e, cst.Call) and self.qualname(e.func) in _RANK_KEEPING_LAYERS
                                      for e in entries):
                return None
            linears = [e for e in entries if self.qualname(e.func) == "torch.nn.Linear"]  # type: ignore[union-attr]
            return linears[-1] if linears else None  # type: ignore[return-value]
        local = facts.local_module_class(layer.func)
        if local is None:
            return None
        forward = local.methods.get("forward")
        if forward is None or not isinstance(forward.body, cst.IndentedBlock):
            return None
        params = forward.params
        if isinstance(params.star_arg, (cst.Param, cst.ParamStar)) or params.star_kwarg is not None \
                or params.kwonly_params or params.posonly_params or len(params.params) != 2:
            return None
        x = params.params[1].name.value
        last: list = []
        stmts = list(forward.body.body)
        for i, stmt in enumerate(stmts):
            if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
                return None
            small = stmt.body[0]
            if isinstance(small, cst.Return) and i == len(stmts) - 1 and small.value is not None:
                return last[-1] if self._chain(small.value, x, local, last) and last else None
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == x):
                return None
            if not self._chain(small.value, x, local, last):
                return None
        return None

    def _chain(self, expr: cst.BaseExpression, x: str, cls: ClassInfo, linears: list) -> bool:
        """``expr`` is rank-keeping layers / elementwise functions applied to ``x`` alone;
        the Linear layers met are appended to ``linears`` innermost first."""
        if isinstance(expr, cst.Name):
            return expr.value == x
        if not isinstance(expr, cst.Call) or any(a.star for a in expr.args):
            return False
        pos = [a.value for a in expr.args if a.keyword is None]
        func = expr.func
        if self.qualname(func) in _ELEMENTWISE_FUNCS:
            return len(pos) >= 1 and all(literal_value(p, _NOT_LITERAL) is not _NOT_LITERAL for p in pos[1:]) \
                and self._chain(pos[0], x, cls, linears)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            ctor = cls.self_single(func.attr.value)
            if not (isinstance(ctor, cst.Call) and self.qualname(ctor.func) in _RANK_KEEPING_LAYERS) \
                    or len(pos) != 1 or len(expr.args) != 1:
                return False
            if not self._chain(pos[0], x, cls, linears):
                return False
            if self.qualname(ctor.func) == "torch.nn.Linear":
                linears.append(ctor)
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in _ELEMENTWISE_METHODS and not expr.args:
            return self._chain(func.value, x, cls, linears)
        return False

    def _flow_shape(self, expr: cst.BaseExpression) -> Optional[tuple]:
        """A shape the data-flow facts know with every dim a literal integer."""
        from ptlint.rules.flow import FlowAnalysis, Kind

        v = self.ctx.analysis(FlowAnalysis).check().value_of(expr)
        if v.kind is not Kind.TENSOR or v.shape is None or not all(d.is_int for d in v.shape):
            return None
        return tuple(d.coef for d in v.shape)

    def _strip_cast(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in ("float", "double", "half", "to") and self.qualname(expr.func.value) is None:
            expr = expr.func.value
        return expr

    def _bce(self, node: cst.Call, facts: LocalFacts, scope: ScopeInfo,
             cls: Optional[ClassInfo]) -> tuple[Optional[str], Optional[cst.Call]]:
        """(api shown in messages, the BCELoss constructor call or None for the functional form)."""
        q = self.qualname(node.func)
        if q == _BCE_FUNC:
            return "F.binary_cross_entropy", None
        func = node.func
        ctor: Optional[cst.BaseExpression] = None
        if isinstance(func, cst.Call):
            ctor = func
        elif isinstance(func, cst.Name):
            ctor = facts.value_of(func.value, scope)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self" \
                and cls is not None:
            ctor = cls.self_single(func.attr.value)
        if isinstance(ctor, cst.Call) and self.qualname(ctor.func) == _BCE_LOSS:
            return "nn.BCELoss", ctor
        return None, None

    def _raw_logits(self, expr: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo,
                    cls: Optional[ClassInfo], depth: int = 0) -> Optional[tuple[tuple[str, str], cst.CSTNode]]:
        """(description, layer constructor) when ``expr`` is certainly a Linear's raw output."""
        if depth > 4:
            return None
        expr = facts.resolve(expr, scope)
        if not isinstance(expr, cst.Call):
            return None
        # self(x) inside a model class: its forward
        if isinstance(expr.func, cst.Name) and expr.func.value == "self" and cls is not None:
            return self._forward_output(cls, facts, depth)
        layer = facts.layer_call(expr.func, scope, cls)
        if layer is None:
            return None
        q = self.qualname(layer.func)
        if q == "torch.nn.Linear":
            return (" `nn.Linear`", "`nn.Linear`"), layer  # zh: a space before code, none before Chinese
        if q == "torch.nn.Sequential":
            entries = sequential_entries(layer)
            if entries and isinstance(entries[-1], cst.Call) and self.qualname(entries[-1].func) == "torch.nn.Linear":
                return ("最后一层为 `nn.Linear` 的模型", "a model ending in `nn.Linear`"), entries[-1]
            return None
        local = facts.local_module_class(layer.func)
        if local is not None:
            return self._forward_output(local, facts, depth)
        return None

    def _forward_output(self, cls: ClassInfo, facts: LocalFacts, depth: int) -> Optional[tuple[tuple[str, str], cst.CSTNode]]:
        forward = cls.methods.get("forward")
        if forward is None or not isinstance(forward.body, cst.IndentedBlock):
            return None
        returns = [s for s in forward.body.body if isinstance(s, cst.SimpleStatementLine)
                   and isinstance(s.body[0], cst.Return)]
        if len(returns) != 1 or _has_nested_return(forward):
            return None
        value = returns[0].body[0].value  # type: ignore[attr-defined]
        if value is None:
            return None
        inner = facts.scopes.get(forward)
        if inner is None:
            return None
        found = self._raw_logits(value, facts, inner, cls, depth + 1)
        if found is None:
            return None
        name = f"`{cls.node.name.value}`"
        return (f"模型 {name}", f"the model {name}"), found[1]

    def _fix(self, node: cst.Call, ctor: Optional[cst.Call]) -> Optional[FixSpec]:
        if ctor is None:
            if isinstance(node.func, cst.Attribute):
                return FixSpec((Replace(node.func.attr, "binary_cross_entropy_with_logits"),),
                               "改用 F.binary_cross_entropy_with_logits", "use F.binary_cross_entropy_with_logits",
                               FixSafety.UNSAFE)
            return None
        if isinstance(ctor.func, cst.Attribute):
            return FixSpec((Replace(ctor.func.attr, "BCEWithLogitsLoss"),), "改用 nn.BCEWithLogitsLoss",
                           "use nn.BCEWithLogitsLoss", FixSafety.UNSAFE)
        return None


_NOT_LITERAL = object()


def _short(code: str) -> str:
    return code if len(code) <= 30 else "x"


def _out_features(linear: cst.Call) -> Optional[int]:
    arg = get_arg(linear, 1, "out_features")
    v = literal_value(arg.value, None) if arg is not None else None
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class _ReturnCounter(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def visit_Return(self, node: cst.Return) -> None:
        self.count += 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _has_nested_return(fn: cst.FunctionDef) -> bool:
    c = _ReturnCounter()
    walk(fn.body, c)
    return c.count != 1
