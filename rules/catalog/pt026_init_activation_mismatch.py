from typing import Optional

import libcst as cst

from ptlint.rules.astutil import get_arg, literal_value
from ptlint.rules.bindings import ClassInfo, LocalFacts, ScopeInfo, sequential_entries
from ptlint.rules.gating import Gated
from ptlint.rules.name_uses import NameMentions, loads_after
from ptlint.rules.node_index import NodeIndex
from ptlint.rules.findings import Severity
from ptlint.rules.rule import Docs, Message, Related, Rule

_KAIMING = {f"torch.nn.init.{n}" for n in ("kaiming_normal_", "kaiming_uniform_", "kaiming_normal", "kaiming_uniform")}
_XAVIER = {f"torch.nn.init.{n}" for n in ("xavier_normal_", "xavier_uniform_", "xavier_normal", "xavier_uniform")}

_S_SHAPED_FUNCS = {"torch.tanh", "torch.sigmoid", "torch.nn.functional.tanh", "torch.nn.functional.sigmoid"}
_S_SHAPED_LAYERS = {"torch.nn.Tanh", "torch.nn.Sigmoid"}
_RELU_FUNCS = {"torch.relu", "torch.relu_", "torch.nn.functional.relu", "torch.nn.functional.relu_",
               "torch.nn.functional.leaky_relu", "torch.nn.functional.relu6", "torch.nn.functional.leaky_relu_"}
_RELU_LAYERS = {"torch.nn.ReLU", "torch.nn.LeakyReLU", "torch.nn.ReLU6", "torch.nn.PReLU"}
_S_METHODS = {"tanh", "sigmoid"}
_RELU_METHODS = {"relu", "relu_"}

KAIMING_MESSAGE = Message(
    zh="`{init}` 初始化的层后面接的是 {act}：Kaiming（He）初始化默认按 ReLU 类激活计算方差，S 型激活（tanh/sigmoid）更适合 Xavier 初始化",
    en="`{init}` initialises a layer followed by {act}: Kaiming (He) init assumes a ReLU-like activation by default; S-shaped activations (tanh/sigmoid) suit Xavier init",
)
XAVIER_MESSAGE = Message(
    zh="`{init}` 初始化的层后面接的是 {act}：Xavier 初始化假设激活在 0 附近近似线性，ReLU 会把一半输出置零，深层网络中信号逐层变弱；ReLU 类激活更适合 Kaiming 初始化",
    en="`{init}` initialises a layer followed by {act}: Xavier init assumes an activation that is roughly linear around 0; ReLU zeroes half the outputs and signals shrink layer by layer; ReLU-like activations suit Kaiming init",
)


class InitActivationMismatch(Gated, Rule):
    code = "PT026"
    name = "init-activation-mismatch"
    needs = ('kaiming', 'xavier')
    severity = Severity.INFO
    message = KAIMING_MESSAGE
    docs = Docs(
        zh="""## 它检查什么
参数初始化方法与该层后面的激活函数不匹配：对后接 `tanh`/`sigmoid` 的层用 `nn.init.kaiming_*`，或对后接 `ReLU` 类激活的层用 `nn.init.xavier_*`。“后接”指 `forward` 里该层的输出直接传给激活函数，或 `nn.Sequential` 中紧跟在该层之后的激活层。之后又被重新初始化的权重不报告：例如 `init.xavier_uniform_(net[0].weight)` 之后，紧接着用 `for m in net.modules():` 循环给每一层的 `m.weight` 重新赋值或再调用 `init.*`，第一次初始化根本不会生效。

## 为什么有问题
初始化的目的，是让每一层输出的方差在前向、反向传播中大致保持不变，而这取决于后面的激活函数（笔记：Xavier 用于“后面的激活函数是 Sigmoid、Tanh 这类 S 型曲线”，He/Kaiming 用于“后面是 ReLU 这类激活函数”）。

- Xavier（Glorot）初始化假设激活在 0 附近近似线性（增益为 1）。ReLU 会把大约一半的输出置零，方差每层约减半，层数一多，信号和梯度越来越弱，训练变慢甚至停滞。
- Kaiming 初始化默认 `nonlinearity='leaky_relu'`、`a=0`，即按 ReLU 的增益 √2 放大方差。后接 sigmoid 时，这个假设不成立，较大的输入更容易落进 sigmoid 的饱和区。

这不是错误，不会报错，只是训练可能更难；所以它只是提示。

## 示例
```python
self.linear1 = nn.Linear(3, 4)
nn.init.kaiming_normal_(self.linear1.weight)
...
z1 = torch.tanh(self.linear1(x))        # 后接 tanh
```

## 如何修复
按激活函数选择初始化，或者显式写出激活函数，让增益与之匹配：

```python
nn.init.xavier_normal_(self.linear1.weight)                      # tanh / sigmoid
nn.init.kaiming_normal_(self.linear2.weight, nonlinearity="relu")  # ReLU
nn.init.kaiming_normal_(w, nonlinearity="tanh")                   # 有意用 Kaiming 时写明激活
```

显式给出 `nonlinearity`（Kaiming）或 `gain`（Xavier）时，本规则认为这是有意的选择，不会提示。
""",
        en="""## What it finds
An init scheme that does not match the activation after the layer: `nn.init.kaiming_*` on a layer followed by `tanh`/`sigmoid`, or `nn.init.xavier_*` on a layer followed by a ReLU-like activation. "Followed by" means the layer's output goes straight into the activation in `forward`, or the activation is the next entry of an `nn.Sequential`. A weight initialised again later is not reported: after `init.xavier_uniform_(net[0].weight)`, a loop `for m in net.modules():` that gives every layer's `m.weight` new values (an assignment, an `init.*` call, an in-place fill) means the first init never takes effect.

## Why it is a problem
Initialisation aims to keep the variance of each layer's output roughly constant through the forward and backward passes, and that depends on the activation that follows (the notes: Xavier when "the activation after it is an S-shaped curve such as Sigmoid or Tanh", He/Kaiming when "it is followed by ReLU-like activations").

- Xavier (Glorot) assumes an activation that is roughly linear around 0 (gain 1). ReLU zeroes about half the outputs, so the variance roughly halves per layer; in deeper nets signals and gradients fade and training slows or stalls.
- Kaiming defaults to `nonlinearity='leaky_relu'` with `a=0`, i.e. ReLU's gain √2. With a sigmoid after it that assumption does not hold and larger inputs land more often in the saturated range.

Nothing raises; training may just be harder, so this is a hint.

## Example
```python
self.linear1 = nn.Linear(3, 4)
nn.init.kaiming_normal_(self.linear1.weight)
...
z1 = torch.tanh(self.linear1(x))        # followed by tanh
```

## How to fix
Choose the init for the activation, or name the activation so the gain matches:

```python
nn.init.xavier_normal_(self.linear1.weight)                      # tanh / sigmoid
nn.init.kaiming_normal_(self.linear2.weight, nonlinearity="relu")  # ReLU
nn.init.kaiming_normal_(w, nonlinearity="tanh")                   # Kaiming on purpose: say so
```

An explicit `nonlinearity` (Kaiming) or `gain` (Xavier) is taken as a deliberate choice and not reported.
""",
    )
    must_flag = (
        "import torch\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.linear1 = nn.Linear(3, 4)\n        nn.init.kaiming_normal_(self.linear1.weight)  # <-\n"
        "    def forward(self, x):\n        return torch.tanh(self.linear1(x))\n",
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))\n"
        "nn.init.xavier_uniform_(model[0].weight)  # <-\n",
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nclass M(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 8)\n"
        "        nn.init.xavier_normal_(self.fc.weight)  # <-\n    def forward(self, x):\n"
        "        h = self.fc(x)\n        h = F.relu(h)\n        return h\n",
        "import torch\nfrom torch.nn import init\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.out = nn.Linear(8, 1)\n        self.act = nn.Sigmoid()\n"
        "        init.kaiming_uniform_(self.out.weight)  # <-\n    def forward(self, x):\n        return self.act(self.out(x))\n",
    )
    must_not_flag = (
        "import torch\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.linear1 = nn.Linear(3, 4)\n        self.linear2 = nn.Linear(4, 4)\n"
        "        nn.init.xavier_normal_(self.linear1.weight)\n        nn.init.kaiming_normal_(self.linear2.weight)\n"
        "    def forward(self, x):\n        z1 = torch.tanh(self.linear1(x))\n        return torch.relu(self.linear2(z1))\n",
        "import torch\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(3, 4)\n        nn.init.kaiming_normal_(self.fc.weight, nonlinearity='tanh')\n"
        "    def forward(self, x):\n        return torch.tanh(self.fc(x))\n",
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(3, 4), nn.ReLU())\n"
        "nn.init.xavier_uniform_(model[0].weight, gain=nn.init.calculate_gain('relu'))\n",
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(3, 4), nn.ReLU())\nnn.init.kaiming_uniform_(model[0].weight)\n",
        "import torch.nn as nn\nlayer = nn.Linear(3, 4)\nnn.init.xavier_normal_(layer.weight)\n",
        # initialised again by the loop right after: the xavier init never takes effect
        "import torch.nn as nn\nfrom torch.nn import init\nnet = nn.Sequential(nn.Linear(50, 100), nn.ReLU(True), nn.Linear(100, 10))\n"
        "init.xavier_uniform_(net[0].weight)\nfor m in net.modules():\n    if isinstance(m, nn.Linear):\n"
        "        m.weight.data.normal_(0, 0.01)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        q = self.qualname(node.func)
        if q in _KAIMING:
            if get_arg(node, 3, "nonlinearity") is not None:
                return
            want_bad = "s"
        elif q in _XAVIER:
            if get_arg(node, 1, "gain") is not None:
                return
            want_bad = "relu"
        else:
            return
        target = get_arg(node, 0, "tensor")
        if target is None or not isinstance(target.value, cst.Attribute) or target.value.attr.value != "weight":
            return
        layer_ref = target.value.value
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        cls, _ = facts.enclosing_method(self.ctx.ancestors)
        found = self._following_activation(layer_ref, facts, scope, cls)
        if found is None:
            return
        family, act_node, act_name = found
        if family != want_bad or self._initialised_again(node, layer_ref):
            return
        msg = KAIMING_MESSAGE if want_bad == "s" else XAVIER_MESSAGE
        self.report(node, message=msg, init=q.rsplit(".", 1)[-1], act=act_name,  # type: ignore[union-attr]
                    related=[Related(act_node, "激活函数在这里", "the activation is here")])

    def _initialised_again(self, node: cst.Call, ref: cst.BaseExpression) -> bool:
        """``init.xavier_uniform_(net[0].weight)`` at module level followed by a loop over the
        same model that sets every layer's weight (``for m in net.modules(): m.weight.data = …``,
        or an ``init.*`` call / in-place fill on ``m.weight``): the first init never takes
        effect (the notes show one init method after another on the same net)."""
        if not (isinstance(ref, cst.Subscript) and isinstance(ref.value, cst.Name)) or len(self.ctx.ancestors) < 2:
            return False
        module = self.ctx.module
        stmt = self.ctx.ancestors[1]
        if stmt not in module.body:
            return False
        later = module.body[module.body.index(stmt) + 1:]
        mentions = self.ctx.analysis(NameMentions)
        for loop in later:
            if not isinstance(loop, cst.For) or not isinstance(loop.target, cst.Name):
                continue
            it = loop.iter
            if isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and it.func.attr.value in ("modules", "children"):
                it = it.func.value
            if isinstance(it, cst.Name) and it.value == ref.value.value and any(
                    _sets_weight(m, self.qualname) for m in mentions.of(loop.body, f"{loop.target.value}.weight")):
                return True
        return False

    # --------------------------------------------------------------------------------
    def _following_activation(self, ref: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo,
                              cls: Optional[ClassInfo]) -> Optional[tuple[str, cst.CSTNode, str]]:
        # model[i].weight / self.net[i].weight on an nn.Sequential
        if isinstance(ref, cst.Subscript) and len(ref.slice) == 1 and isinstance(ref.slice[0].slice, cst.Index):
            idx = literal_value(ref.slice[0].slice.value, None)
            seq = facts.layer_call(ref.value, scope, cls)
            if not isinstance(idx, int) or isinstance(idx, bool) or seq is None or \
                    self.qualname(seq.func) != "torch.nn.Sequential":
                return None
            entries = sequential_entries(seq)
            if entries is None or not 0 <= idx < len(entries) - 1:
                return None
            return self._activation_of_layer(entries[idx + 1])
        # self.fc.weight in an nn.Module: follow self.fc's calls in forward
        if isinstance(ref, cst.Attribute) and isinstance(ref.value, cst.Name) and ref.value.value == "self" \
                and cls is not None and facts.is_module_class(cls):
            forward = cls.methods.get("forward")
            if forward is None:
                return None
            results = [self._after(site, stmt, block, facts, cls)
                       for site, stmt, block in self._call_sites(forward, ref.attr.value)]
            # every call of the layer must feed the same kind of activation
            kinds = {r[0] if r else None for r in results}
            if results and len(kinds) == 1 and None not in kinds:
                return results[0]
        return None

    def _activation_of_layer(self, expr: cst.BaseExpression) -> Optional[tuple[str, cst.CSTNode, str]]:
        if isinstance(expr, cst.Call):
            q = self.qualname(expr.func)
            if q in _S_SHAPED_LAYERS:
                return "s", expr, f"nn.{q.rsplit('.', 1)[-1]}"  # type: ignore[union-attr]
            if q in _RELU_LAYERS:
                return "relu", expr, f"nn.{q.rsplit('.', 1)[-1]}"  # type: ignore[union-attr]
        return None

    def _activation_call(self, call: cst.CSTNode, facts: LocalFacts,
                         cls: ClassInfo) -> Optional[tuple[str, cst.CSTNode, str]]:
        if not isinstance(call, cst.Call):
            return None
        q = self.qualname(call.func)
        short = (q or "").replace("torch.nn.functional.", "F.")
        if q in _S_SHAPED_FUNCS:
            return "s", call, short
        if q in _RELU_FUNCS:
            return "relu", call, short
        # self.act(...) where self.act = nn.Tanh()
        if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) \
                and call.func.value.value == "self":
            layer = cls.self_single(call.func.attr.value)
            if layer is not None:
                return self._activation_of_layer(layer)
        return None

    def _call_sites(self, method: cst.FunctionDef, attr: str) -> list[tuple[cst.Call, cst.CSTNode, Optional[list]]]:
        """Calls ``self.<attr>(...)`` in a method body with their simple statement and the
        statement list that holds it."""
        nodes = self.ctx.analysis(NodeIndex)
        sites = []
        for m in self.ctx.analysis(NameMentions).of(method.body, f"self.{attr}"):
            if isinstance(m.parent, cst.Call) and m.parent.func is m.node and m.line is not None:
                block = nodes.parent(m.line)
                sites.append((m.parent, m.line, list(block.body) if isinstance(block, cst.IndentedBlock) else None))
        return sites

    def _after(self, site: cst.Call, stmt: cst.CSTNode, block: Optional[list], facts: LocalFacts,
               cls: ClassInfo) -> Optional[tuple[str, cst.CSTNode, str]]:
        """The activation applied to the result of the layer call ``site``."""
        nodes = self.ctx.analysis(NodeIndex)
        parent = nodes.parent(site)
        # torch.tanh(self.fc(x)) / self.act(self.fc(x))
        if isinstance(parent, cst.Arg):
            grand = nodes.parent(parent)
            return self._activation_call(grand, facts, cls) if grand is not None else None
        # self.fc(x).relu()
        if isinstance(parent, cst.Attribute) and parent.value is site:
            grand = nodes.parent(parent)
            if isinstance(grand, cst.Call) and grand.func is parent:
                if parent.attr.value in _S_METHODS:
                    return "s", grand, f".{parent.attr.value}()"
                if parent.attr.value in _RELU_METHODS:
                    return "relu", grand, f".{parent.attr.value}()"
            return None
        # h = self.fc(x); h = F.relu(h)
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign) \
                and stmt.body[0].value is site and len(stmt.body[0].targets) == 1 \
                and isinstance(stmt.body[0].targets[0].target, cst.Name) and block is not None:
            var = stmt.body[0].targets[0].target.value
            i = next((k for k, s in enumerate(block) if s is stmt), None)
            if i is None or i + 1 >= len(block):
                return None
            nxt = block[i + 1]
            uses = [u for u in loads_after(block, stmt, var) or () if u.statement is nxt]
            if len(uses) == 1 and isinstance(uses[0].parent, cst.Arg) and uses[0].grandparent is not None:
                return self._activation_call(uses[0].grandparent, facts, cls)
        return None


def _sets_weight(mention, qualname) -> bool:
    """A mention of ``m.weight`` that gives the weight new values: ``m.weight = …``,
    ``m.weight.data = …``, ``init.normal_(m.weight)``, ``m.weight.data.fill_(…)``."""
    node, parent, grand = mention.node, mention.parent, mention.grandparent
    if mention.assigned:
        return True
    if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "data":
        if isinstance(grand, cst.AssignTarget) and grand.target is parent:
            return True
        node, parent = parent, grand
    if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value.endswith("_"):
        return True  # an in-place method (normal_, uniform_, fill_, zero_, copy_)
    return isinstance(parent, cst.Arg) and mention.line is not None and any(
        c.args and c.args[0] is parent and (qualname(c.func) or "").startswith("torch.nn.init.")
        for c in _calls_in(mention.line))


def _calls_in(line: cst.SimpleStatementLine) -> list:
    return [small.value for small in line.body if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)]
