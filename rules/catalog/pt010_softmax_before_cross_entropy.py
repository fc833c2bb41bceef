from typing import Optional

import libcst as cst

from ptlint.rules.bindings import ClassInfo, LocalFacts, sequential_entries
from ptlint.rules.gating import Gated
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis, Kind
from ptlint.rules.name_uses import Mention, NameMentions
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule

_SOFTMAX_FUNCS = {"torch.softmax", "torch.nn.functional.softmax"}
_SOFTMAX_LAYER = "torch.nn.Softmax"
_CE = {"torch.nn.CrossEntropyLoss", "torch.nn.functional.cross_entropy"}
# Methods of a module that return it (or nothing) without running it: a model whose
# instances only ever see these is built but never produces an output.
_HOUSEKEEPING = frozenset({"eval", "train", "to", "cuda", "cpu", "half", "float", "double", "bfloat16",
                           "requires_grad_", "zero_grad", "load_state_dict", "share_memory", "apply"})


class SoftmaxBeforeCrossEntropy(Gated, Rule):
    code = "PT010"
    name = "softmax-before-cross-entropy"
    needs = ('CrossEntropyLoss', 'cross_entropy')
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    message = Message(
        zh="模型输出先经过了 softmax，又用 `{loss}` 训练：交叉熵内部已经做了 log-softmax，这样等于做了两次 softmax，梯度会变得很小",
        en="the model output goes through softmax and is trained with `{loss}`, which already applies log-softmax: softmax is applied twice and gradients shrink",
    )
    docs = Docs(
        zh="""## 它检查什么
模型的输出经过了 softmax——`nn.Sequential` 的最后一层是 `nn.Softmax`，或 `forward` 返回 `torch.softmax(...)` / `F.softmax(...)`——而同一个文件里用 `nn.CrossEntropyLoss` 或 `F.cross_entropy` 训练。笔记中的 `MyModel`（`return torch.softmax(self.linear3(z2), dim=1)`）和 `Sequential` 示例（最后一层 `nn.Softmax(dim=1)`）都是这样写的。

作为另一个模型一部分的类不算：在别的模型的 `__init__` 里创建的（`self.attn = Attention()`），或者实例被传给别的模型构造函数的（`Decoder(dim, attention)`，seq2seq 教程常见的写法）；以 softmax 结尾、被传给别的模型构造函数的 `nn.Sequential` 也一样（`Combiner(backbone, attention)`）。这类模块里的 softmax 通常是注意力权重，不是最终送进损失函数的输出。

确定不会进入损失函数的模型也不报告：文件里创建了这个类、但它的实例从没被调用过（只调用了 `.eval()`、`.to(device)` 之类）；或者一个带 softmax 的 `nn.Sequential` 只用来演示输出概率，随后同一个变量名被重新赋值为真正训练的模型，而交叉熵拿到的不是它的输出。

## 为什么有问题
`CrossEntropyLoss` 期望的输入是**未归一化的 logits**：它内部先做 `log_softmax`，再取目标类别的负对数（笔记：“自动做了Softmax”）。如果模型已经输出了概率，损失其实是在对概率再做一次 softmax：

- 输入被压在 `[0, 1]` 之间，再做一次 softmax 后各类别的概率差距很小：即使预测完全正确，损失也降不到 0（两类时最低约 0.31，十类时约 1.46）；
- 梯度要多乘一次 softmax 的导数，变得更小，训练明显变慢。

不会报错，只是模型“学不动”。

## 示例
```python
model = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))
loss_fn = nn.CrossEntropyLoss()
loss = loss_fn(model(x), y)        # 对概率又做了一次 softmax
```

## 如何修复
训练时让模型输出 logits，去掉最后的 softmax；需要概率时在推理阶段再算：

```python
model = nn.Sequential(nn.Linear(4, 2))
loss = loss_fn(model(x), y)
probs = torch.softmax(model(x), dim=1)   # 推理时
```

快速修复会删掉最后的 softmax（不安全修复：推理代码如果依赖模型直接输出概率，需要自己补上 softmax）。如果确实想输出对数概率，用 `nn.LogSoftmax` 配合 `nn.NLLLoss`。
""",
        en="""## What it finds
A model whose output goes through softmax — an `nn.Sequential` ending in `nn.Softmax`, or a `forward` returning `torch.softmax(...)` / `F.softmax(...)` — trained with `nn.CrossEntropyLoss` or `F.cross_entropy` in the same file. The notes' `MyModel` (`return torch.softmax(self.linear3(z2), dim=1)`) and `Sequential` example (ending in `nn.Softmax(dim=1)`) do exactly this.

A class that is a part of another model is left alone: one built in another model's `__init__` (`self.attn = Attention()`), or one whose instance is passed to another model's constructor (`Decoder(dim, attention)`, as seq2seq tutorials do); so is a softmax `nn.Sequential` passed to another model's constructor (`Combiner(backbone, attention)`). Its softmax is usually attention weights, not the output the loss receives.

A model whose output surely never reaches the loss is left alone too: a class the file builds whose instances are never run (only `.eval()`, `.to(device)` and the like are called on them), or a softmax `nn.Sequential` used to show probabilities whose name is then bound to the model that is trained, when the cross-entropy call gets none of its outputs.

## Why it is a problem
`CrossEntropyLoss` expects **unnormalised logits**: it applies `log_softmax` itself, then takes the negative log of the target class. If the model already outputs probabilities, the loss softmaxes probabilities:

- the inputs are squeezed into `[0, 1]`, so after the second softmax the classes differ little: even a perfect prediction cannot bring the loss to 0 (about 0.31 at best with two classes, 1.46 with ten);
- gradients pass through the softmax derivative once more and shrink, so training is slow.

Nothing raises; the model just does not learn well.

## Example
```python
model = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))
loss_fn = nn.CrossEntropyLoss()
loss = loss_fn(model(x), y)        # softmax applied to probabilities
```

## How to fix
Let the model return logits for training; compute probabilities at inference:

```python
model = nn.Sequential(nn.Linear(4, 2))
loss = loss_fn(model(x), y)
probs = torch.softmax(model(x), dim=1)   # at inference
```

The quick fix removes the final softmax (unsafe: inference code that relied on probabilities from the model needs its own softmax). To output log-probabilities on purpose, use `nn.LogSoftmax` with `nn.NLLLoss`.
""",
    )
    must_flag = (
        "import torch.nn as nn\nmodel = nn.Sequential(\n    nn.Linear(3, 4),\n    nn.Softmax(dim=1)  # <-\n)\nloss = nn.CrossEntropyLoss()\n",
        "import torch\nimport torch.nn as nn\nclass MyModel(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.linear3 = nn.Linear(4, 2)\n    def forward(self, x):\n"
        "        return torch.softmax(self.linear3(x), dim=1)  # <-\ncriterion = nn.CrossEntropyLoss()\n",
        "import torch.nn as nn\nimport torch.nn.functional as F\nclass Net(nn.Module):\n    def forward(self, x):\n"
        "        out = F.softmax(self.fc(x), dim=-1)  # <-\n        return out\n"
        "def train(net, x, y):\n    return F.cross_entropy(net(x), y)\n",
        "from torch import nn\nhead = nn.Sequential(nn.Linear(8, 3), nn.Softmax(1))  # <-\nce = nn.CrossEntropyLoss(reduction='sum')\n",
        # the softmax layer applied to a name forward then returns
        "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 3)\n        self.softmax = nn.Softmax(dim=1)\n    def forward(self, x):\n"
        "        x = self.fc(x)\n        x = self.softmax(x)  # <-\n        return x\ncriterion = nn.CrossEntropyLoss()\n",
    )
    must_not_flag = (
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=1))\nloss = nn.NLLLoss()\n",
        # a layer named softmax that is a LogSoftmax: CrossEntropyLoss of log-probabilities is NLLLoss
        "import torch.nn as nn\nclass Tagger(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.out = nn.Linear(8, 5)\n        self.softmax = nn.LogSoftmax(dim=1)\n    def forward(self, x):\n"
        "        return self.softmax(self.out(x))\ncriterion = nn.CrossEntropyLoss()\n",
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(3, 4), nn.LogSoftmax(dim=1))\nloss = nn.CrossEntropyLoss()\n",
        "import torch\nimport torch.nn as nn\nclass MyModel(nn.Module):\n    def forward(self, x):\n"
        "        return self.fc(x)\ncriterion = nn.CrossEntropyLoss()\nprobs = torch.softmax(MyModel()(x), dim=1)\n",
        "import torch\nimport torch.nn as nn\nclass Attention(nn.Module):\n    def forward(self, q, k):\n"
        "        return torch.softmax(q @ k.T, dim=-1)\nclass Model(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.attn = Attention()\n        self.fc = nn.Linear(4, 2)\n"
        "    def forward(self, x):\n        return self.fc(self.attn(x, x) @ x)\nloss = nn.CrossEntropyLoss()\n",
        "import torch.nn as nn\nclass Gate(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.w = nn.Sequential(nn.Linear(4, 4), nn.Softmax(dim=1))\n    def forward(self, x):\n"
        "        return x * self.w(x)\nloss = nn.CrossEntropyLoss()\n",
        "import torch\nimport torch.nn as nn\nclass Attention(nn.Module):\n    def forward(self, h, enc):\n"
        "        return torch.softmax(h @ enc.T, dim=1)\nclass Decoder(nn.Module):\n"
        "    def __init__(self, attention):\n        super().__init__()\n        self.attention = attention\n"
        "        self.fc_out = nn.Linear(4, 10)\n    def forward(self, h, enc):\n"
        "        return self.fc_out(self.attention(h, enc) @ enc)\nattention = Attention()\n"
        "decoder = Decoder(attention)\ncriterion = nn.CrossEntropyLoss()\n",
        # a softmax Sequential handed to a model's constructor: attention weights, not the output
        "import torch.nn as nn\nclass Combiner(nn.Module):\n    def __init__(self, features, score):\n"
        "        super().__init__()\n        self.features, self.score = features, score\n    def forward(self, x):\n"
        "        h = self.features(x)\n        return (h * self.score(h)).sum(1)\n"
        "backbone = nn.Sequential(nn.Linear(784, 64), nn.ReLU())\n"
        "attention = nn.Sequential(nn.Linear(64, 1), nn.Softmax(dim=1))\n"
        "model = nn.Sequential(Combiner(backbone, attention), nn.Linear(64, 10))\nloss = nn.CrossEntropyLoss()\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.candidates: list[tuple[cst.CSTNode, Optional[FixSpec], Optional[cst.ClassDef]]] = []
        # softmax Sequentials bound to a name the same scope binds again (a demo model replaced
        # before training): the Softmax entry -> the Sequential call; reported only when an
        # output of that very binding reaches a cross-entropy loss
        self.rebound: dict[int, cst.Call] = {}
        self.ce_inputs: list[cst.BaseExpression] = []  # what every cross-entropy call is given
        # every cross-entropy call with the model class it sits in (None: outside any)
        self.ces: list[tuple[cst.CSTNode, str, Optional[cst.ClassDef]]] = []
        # module classes of this file whose instances are handed to another module class's
        # constructor (``Decoder(8, attention)``): a part of that model, not a model trained alone
        self.injected: set[cst.ClassDef] = set()
        # softmax Sequentials handed to a module class's constructor the same way
        # (``Combiner(backbone, attention)``: attention weights): the Softmax entry -> its Sequential
        self.sequential_of: dict[int, cst.Call] = {}
        self.injected_sequentials: set[cst.Call] = set()
        # every construction of a module class of this file: (the class, the expression that
        # holds the instance: the call, or ``Cls(...).to(dev)`` around it, and its parent)
        self.built: list[tuple[cst.ClassDef, cst.BaseExpression, Optional[cst.CSTNode]]] = []

    def _enclosing_class(self) -> Optional[cst.ClassDef]:
        for a in reversed(self.ctx.ancestors):
            if isinstance(a, cst.ClassDef):
                return a
        return None

    def visit_Call(self, node: cst.Call) -> None:
        q = self.qualname(node.func)
        self._note_ce_input(node, q)
        if q in _CE:
            self.ces.append((node, "nn.CrossEntropyLoss" if q.endswith("Loss") else "F.cross_entropy",  # type: ignore[union-attr]
                             self._enclosing_class()))
            return
        if q == "torch.nn.Sequential":
            self._check_sequential(node)
            return
        self._note_injected(node)

    def _note_ce_input(self, node: cst.Call, q: Optional[str]) -> None:
        if not node.args or node.args[0].keyword is not None or node.args[0].star:
            return
        if q == "torch.nn.functional.cross_entropy":
            self.ce_inputs.append(node.args[0].value)
        elif q is None and isinstance(node.func, (cst.Name, cst.Attribute)):
            fv = self.ctx.analysis(FlowAnalysis).check().value_of(node.func)
            if fv.kind is Kind.LOSS and fv.spec == "torch.nn.CrossEntropyLoss":
                self.ce_inputs.append(node.args[0].value)

    def _reaches_ce(self, seq: cst.Call) -> bool:
        """An output of the module built by ``seq`` is given to a cross-entropy call."""
        flow = self.ctx.analysis(FlowAnalysis).check()
        for given in self.ce_inputs:
            made = flow.value_of(given).origin
            if isinstance(made, cst.Call) and flow.value_of(made.func).origin is seq:
                return True
        return False

    def _note_injected(self, node: cst.Call) -> None:
        facts = self.ctx.analysis(LocalFacts)
        built = facts.local_module_class(node.func)
        if built is None:
            return
        self._note_built(built.node, node)
        flow = None
        for arg in node.args:
            value = arg.value
            if isinstance(value, cst.Name):
                # the binding that reaches this call (a notebook may rebind the name later)
                flow = flow or self.ctx.analysis(FlowAnalysis).check()
                origin = flow.value_of(value).origin
                value = origin if isinstance(origin, cst.Call) else value
            part = facts.local_module_class(value.func) if isinstance(value, cst.Call) else None
            if part is not None:
                self.injected.add(part.node)
            elif isinstance(value, cst.Call) and self.qualname(value.func) == "torch.nn.Sequential":
                self.injected_sequentials.add(value)

    def _note_built(self, cls: cst.ClassDef, call: cst.Call) -> None:
        anc = self.ctx.ancestors
        holder: cst.BaseExpression = call
        i = len(anc) - 2  # anc[-1] is the call itself
        # ``Net().to(device).eval()``: those calls return the same module
        while i >= 2 and isinstance(anc[i], cst.Attribute) and anc[i].value is holder \
                and anc[i].attr.value in _HOUSEKEEPING and isinstance(anc[i - 1], cst.Call) and anc[i - 1].func is anc[i]:
            holder = anc[i - 1]
            i -= 2
        self.built.append((cls, holder, anc[i] if i >= 0 else None))

    def _never_run(self, cls: cst.ClassDef) -> bool:
        """The file builds the class, and each instance is bound to a name whose every other
        mention only calls a housekeeping method on it as a statement (``ens.eval()``): no
        output of it can reach a loss. False when the class is never built here (a library
        module trained elsewhere) or any instance may be called, passed, stored or returned."""
        builds = [(holder, parent) for c, holder, parent in self.built if c is cls]
        if not builds:
            return False
        mentions = self.ctx.analysis(NameMentions)
        for holder, parent in builds:
            if not (isinstance(parent, cst.Assign) and parent.value is holder and len(parent.targets) == 1
                    and isinstance(parent.targets[0].target, cst.Name)):
                return False
            for m in mentions.of(self.ctx.module, parent.targets[0].target.value):
                if m.assigned or _housekeeping_statement(m):
                    continue
                return False
        return True

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None:
            return
        facts = self.ctx.analysis(LocalFacts)
        cls, method = facts.enclosing_method(self.ctx.ancestors)
        if cls is None or method is None or method.name.value != "forward" or not facts.is_module_class(cls):
            return
        if self._used_as_submodule(cls, facts):
            return
        scope = facts.scope_info(self.ctx.ancestors)
        value = node.value
        if isinstance(value, cst.Name):
            v = scope.single(value.value)
            if v is None:
                # assigned more than once (x = self.fc(x); x = self.softmax(x); return x): what
                # the flow says the returned name holds on every path, when one call made it
                made = self.ctx.analysis(FlowAnalysis).check().value_of(value).origin
                v = made if isinstance(made, cst.Call) else None
            if v is None:
                return
            value = v
        inner = self._softmax_input(value, cls)
        if inner is None:
            return
        if any(r is not node for r in facts.returns_of(method)):
            return  # softmax on one path only (inference); the other returns something else (a loss)
        fix = FixSpec((Replace(value, self.ctx.code_for(inner)),), "去掉 forward 末尾的 softmax，直接返回 logits",
                      "drop the final softmax and return logits", FixSafety.UNSAFE)
        self.candidates.append((value, fix, cls.node))

    def _softmax_input(self, expr: cst.BaseExpression, cls: ClassInfo) -> Optional[cst.BaseExpression]:
        """The logits fed to a softmax call, or None when ``expr`` is not one."""
        if not isinstance(expr, cst.Call):
            return None
        q = self.qualname(expr.func)
        if q in _SOFTMAX_FUNCS and expr.args and expr.args[0].keyword is None and not expr.args[0].star:
            return expr.args[0].value
        if q is None and isinstance(expr.func, cst.Attribute):
            recv = expr.func.value
            is_self = isinstance(recv, cst.Name) and recv.value == "self"
            # ``x.softmax(dim)``, the tensor method; ``self.softmax(x)`` calls a layer of that
            # name (which may well be a LogSoftmax): its type decides, below
            if expr.func.attr.value == "softmax" and not is_self and self.qualname(recv) is None \
                    and self.ctx.analysis(FlowAnalysis).check().value_of(recv).kind is not Kind.MODULE:
                return recv
            if is_self and len(expr.args) == 1:
                layer = cls.self_single(expr.func.attr.value)
                if isinstance(layer, cst.Call) and self.qualname(layer.func) == _SOFTMAX_LAYER:
                    return expr.args[0].value
        return None

    def _check_sequential(self, node: cst.Call) -> None:
        entries = sequential_entries(node)
        if not entries or len(entries) < 2:
            return
        last = entries[-1]
        if not (isinstance(last, cst.Call) and self.qualname(last.func) == _SOFTMAX_LAYER):
            return
        facts = self.ctx.analysis(LocalFacts)
        parent = self.ctx.parent
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and parent.value is node:
            target = parent.targets[0].target
            if isinstance(target, cst.Attribute):
                # self.head = nn.Sequential(..., Softmax): only the model's output when forward returns it
                cls, _ = facts.enclosing_method(self.ctx.ancestors)
                if cls is None or not self._forward_returns_attr(cls, target.attr.value, facts):
                    return
            elif isinstance(target, cst.Name) \
                    and len(facts.scope_info(self.ctx.ancestors).assigns.get(target.value, [])) > 1:
                self.rebound[id(last)] = node
        elif not isinstance(parent, (cst.Assign, cst.Return)):
            return  # nested inside another expression: a sub-block, not the model's output
        args = list(node.args)
        prev, removed = args[-2], args[-1]
        new_args = [*args[:-2], prev.with_changes(comma=removed.comma, whitespace_after_arg=removed.whitespace_after_arg)]
        fix = FixSpec((Replace(node, node.with_changes(args=new_args)),), "删掉最后的 nn.Softmax",
                      "remove the final nn.Softmax", FixSafety.UNSAFE)
        self.sequential_of[id(last)] = node
        self.candidates.append((last, fix, self._enclosing_class()))

    @staticmethod
    def _forward_returns_attr(cls: ClassInfo, attr: str, facts: LocalFacts) -> bool:
        """Every return of ``forward`` is ``self.<attr>(...)`` (and there is one)."""
        forward = cls.methods.get("forward")
        returns = facts.returns_of(forward) if forward is not None else []
        return bool(returns) and all(_calls_self_attr(r.value, attr) for r in returns)

    def _used_as_submodule(self, cls: ClassInfo, facts: LocalFacts) -> bool:
        name = cls.node.name.value
        for other in facts.classes.values():
            for values in other.self_assigns.values():
                for v in values:
                    if isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value == name:
                        return True
        return False

    def finish(self) -> None:
        for node, fix, cls in self.candidates:
            if cls in self.injected or (cls is not None and self._never_run(cls)) \
                    or self.sequential_of.get(id(node)) in self.injected_sequentials:
                continue
            seq = self.rebound.get(id(node))
            if seq is not None and not self._reaches_ce(seq):
                continue
            # a loss inside another model class trains that model, not this one
            ces = [(n, loss) for n, loss, c in self.ces if c is None or c is cls]
            if not ces:
                continue
            ce_node, loss = ces[0]
            self.report(node, loss=loss, fix=fix,
                        related=[Related(ce_node, "交叉熵损失在这里", "the cross-entropy loss is here")])


def _housekeeping_statement(mention: Mention) -> bool:
    """``name.eval()`` as a statement of its own: the module is not run, nor its result kept."""
    attr, call = mention.parent, mention.grandparent
    return isinstance(attr, cst.Attribute) and attr.value is mention.node and attr.attr.value in _HOUSEKEEPING \
        and isinstance(call, cst.Call) and call.func is attr and mention.line is not None \
        and any(isinstance(s, cst.Expr) and s.value is call for s in mention.line.body)


def _calls_self_attr(value: Optional[cst.BaseExpression], attr: str) -> bool:
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == attr \
        and isinstance(value.func.value, cst.Name) and value.func.value.value == "self"
