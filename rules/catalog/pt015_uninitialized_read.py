from typing import Optional

import libcst as cst

from ptlint.rules.bindings import LocalFacts
from ptlint.rules.gating import Gated
from ptlint.rules.findings import Severity
from ptlint.rules.flow import FlowAnalysis, Kind
from ptlint.rules.name_uses import Mention, NameMentions
from ptlint.rules.rule import Docs, Message, Related, Rule

# Looking at these does not read the (garbage) values.
_META_ATTRS = frozenset({"shape", "dtype", "device", "ndim", "is_cuda", "layout", "requires_grad", "is_leaf",
                         "names", "grad_fn"})
_META_METHODS = frozenset({"size", "dim", "numel", "stride", "is_contiguous", "element_size", "nelement",
                           "storage_offset", "data_ptr", "get_device", "type", "is_floating_point"})
# Tensor methods whose result shows or depends on every value.
_READ_METHODS = frozenset("""
item tolist numpy sum mean max min std var argmax argmin norm prod any all abs exp log sqrt softmax log_softmax
sigmoid tanh relu matmul mm bmm dot equal allclose isnan isinf nonzero unique sort topk cumsum backward
""".split())
# torch functions that compute with every value of their tensor arguments (an allowlist:
# many torch.* functions only look at shapes, or write into an output buffer)
_READ_FUNCS = frozenset(f"torch.{n}" for n in """
sum mean max min amax amin matmul mm bmm exp log sqrt abs sigmoid tanh relu softmax log_softmax argmax argmin
where clamp allclose equal isnan isinf norm topk sort std var prod cumsum add sub mul div pow dot einsum
masked_select nonzero unique any all round floor ceil sign square
""".split())
# what a result's shape-only use reads: its size, rank, dtype, device (never its values)
_SHAPE_ONLY = frozenset({"size", "shape", "dim", "ndim", "ndimension", "numel", "dtype", "device", "is_cuda"})
# ops whose result's shape depends on the values (``torch.nonzero(x).size()`` reads x)
_VALUE_SHAPED = frozenset({"torch.nonzero", "torch.unique", "torch.masked_select", "torch.where", "torch.argwhere"})
# calls that create a tensor without initialising it
_UNINIT_FUNCS = frozenset({"torch.empty", "torch.empty_like", "torch.empty_strided"})
_UNINIT_METHODS = frozenset({"new_empty", "new_empty_strided"})
_LEGACY = frozenset({"torch.Tensor", "torch.FloatTensor", "torch.DoubleTensor", "torch.HalfTensor",
                     "torch.BFloat16Tensor", "torch.LongTensor", "torch.IntTensor", "torch.ShortTensor",
                     "torch.CharTensor", "torch.ByteTensor", "torch.BoolTensor"})
# methods that pass the (garbage) values on unchanged
_PASS_METHODS = frozenset({"to", "cuda", "cpu", "float", "double", "half", "long", "int", "contiguous", "view",
                           "reshape", "expand", "clone"})


class UninitializedRead(Gated, Rule):
    code = "PT015"
    name = "uninitialized-read"
    needs = ('empty', 'Tensor(')
    severity = Severity.WARNING
    message = Message(
        zh="`{name}` 来自 `{api}`，内容没有初始化（是内存里残留的任意值），这里在写入任何数据之前就读取了它",
        en="`{name}` comes from `{api}` and holds uninitialised memory (arbitrary leftover values); it is read here before anything was written into it",
    )
    docs = Docs(
        zh="""## 它检查什么
读取了未初始化的张量：由 `torch.empty(...)`、`torch.empty_like(...)`、按形状调用的 `torch.Tensor(3, 4)`、`torch.IntTensor(10)`、`torch.LongTensor(10)` 等创建，在用 `fill_`、`zero_`、`copy_`、下标赋值、`nn.init.*` 或 `out=` 写入数据之前，就被打印、参与运算、送进损失函数或网络层，或作为 `forward` 的输出返回。只看形状、dtype、设备不算读取，只取运算结果的形状（`torch.bmm(x1, x2).size()`）也不算，除非结果的形状取决于数值（`torch.nonzero(x).size()`）；普通函数把刚分配的缓冲区返回给调用者去填写，是常见的正确写法，不会报告。

## 为什么有问题
这些函数只分配内存、不填数值（笔记：`torch.Tensor(size)` 按形状创建；`torch.empty(size)`）。里面是那块内存里原来剩下的任意字节：可能是 0，也可能是极大的数、`nan` 或 `inf`，每次运行都可能不同。拿它做计算不会报错，却会产生无法复现的结果，调试时极其迷惑。

## 示例
```python
tensor2 = torch.IntTensor(10)
print(tensor2)                # 任意的整数
buf = torch.empty(3, 4)
loss = (buf - target).abs().mean()
```

## 如何修复
需要确定初值时直接用 `torch.zeros` / `torch.ones` / `torch.full`；确实要先分配再写入时，写入之后再读：

```python
tensor2 = torch.zeros(10, dtype=torch.int32)
buf = torch.empty(3, 4)
buf.normal_()                 # 或 buf.copy_(src)、nn.init.xavier_uniform_(buf)
```
""",
        en="""## What it finds
A read of an uninitialised tensor: one made by `torch.empty(...)`, `torch.empty_like(...)`, or a shape call such as `torch.Tensor(3, 4)`, `torch.IntTensor(10)`, `torch.LongTensor(10)`, then printed, used in arithmetic, passed to a loss or a layer, or returned as the output of `forward` before anything (`fill_`, `zero_`, `copy_`, item assignment, `nn.init.*`, `out=`) wrote into it. Looking at its shape, dtype or device is not a read, nor is taking only the shape of an operation's result (`torch.bmm(x1, x2).size()`), unless that shape depends on the values (`torch.nonzero(x).size()`); a plain function returning a fresh buffer for its caller to fill is a normal pattern and is not reported.

## Why it is a problem
These calls allocate memory without filling it (the notes: `torch.Tensor(size)` creates by shape; `torch.empty(size)`). It holds whatever bytes were there: zeros, huge numbers, `nan` or `inf`, different from run to run. Computing with it raises nothing but gives results that cannot be reproduced, which is very confusing to debug.

## Example
```python
tensor2 = torch.IntTensor(10)
print(tensor2)                # arbitrary integers
buf = torch.empty(3, 4)
loss = (buf - target).abs().mean()
```

## How to fix
Use `torch.zeros` / `torch.ones` / `torch.full` when you need defined values; when you allocate first on purpose, read only after writing:

```python
tensor2 = torch.zeros(10, dtype=torch.int32)
buf = torch.empty(3, 4)
buf.normal_()                 # or buf.copy_(src), nn.init.xavier_uniform_(buf)
```
""",
    )
    must_flag = (
        "import torch\ntensor2 = torch.IntTensor(10)\nprint(tensor2)  # <-\n",
        "import torch\ndef f(target):\n    buf = torch.empty(3, 4)\n    return (buf - target).abs().mean()  # <-\n",
        "import torch\nx = torch.Tensor(3, 2, 4)\nprint(x.shape)\ntotal = x.sum()  # <-\n",
        "import torch\na = torch.randn(5)\nb = torch.empty_like(a)\nprint(b[0])  # <-\n",
        "import torch\nimport torch.nn as nn\nloss_fn = nn.MSELoss()\npred = torch.empty(4)\nloss = loss_fn(pred, torch.zeros(4))  # <-\n",
    )
    must_not_flag = (
        "import torch\nx = torch.Tensor(3, 2, 4)\nprint(x.size())\nprint(x.shape)\nprint(x.dtype)\n",
        "import torch\nbuf = torch.empty(3)\nbuf.fill_(0)\nprint(buf)\n",
        "import torch\nbuf = torch.empty(2, 2)\nbuf[0] = 1\nbuf[1] = 2\nprint(buf)\n",
        "import torch\nimport torch.nn as nn\nw = torch.empty(3, 5)\nnn.init.xavier_uniform_(w)\nprint(w)\n",
        "import torch\nout = torch.empty(3)\ntorch.randn(3, out=out)\nprint(out)\n",
        "import torch\na = torch.empty(3).normal_()\nprint(a)\n",
        "import torch\ndef fill(t):\n    t.zero_()\nf = torch.empty(3)\nfill(f)\nprint(f)\n",
        "import torch\nx = torch.Tensor([1, 2, 3])\nprint(x)\n",
        "import torch\ndef alloc(n):\n    out = torch.empty(n)\n    return out\n",
        "import torch\ndef gather(x, group):\n    buf = torch.empty(4)\n    torch.distributed.all_gather_into_tensor(buf, x)\n    return buf.sum()\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._sorted_mentions: dict[tuple[int, str], list] = {}

    def _check(self, expr: cst.BaseExpression) -> None:
        flow = self.ctx.analysis(FlowAnalysis).check()
        v = flow.value_of(expr)
        if v.kind is not Kind.TENSOR or v.initialized is not False:
            return
        root = _root_name(expr)
        if root is None:
            return
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        if not scope.binds(root.value) or root.value in scope.params:
            return
        creation = self._untouched_since_creation(scope.node, root)
        if creation is None:
            return
        api = v.provenance or "torch.empty"
        self.report(expr, name=root.value, api=api,
                    related=[Related(creation, "在这里创建，没有初始化", "created here, uninitialised")])

    def _untouched_since_creation(self, scope_node: cst.CSTNode, read: cst.Name) -> Optional[cst.CSTNode]:
        """The statement that last bound ``read``'s name before the read, when every
        mention of the name in between only looks at metadata; None otherwise."""
        try:
            here = self.ctx.locate(read)
        except KeyError:
            return None
        key_here = (here[0] or 0, here[1].start.line, here[1].start.column)
        events = self._mentions(scope_node, read.value)
        last_bind = None
        between_ok = True
        for pos, node, kind, stmt in events:
            if pos >= key_here:
                break
            if kind == "bind":
                last_bind, between_ok = stmt, self._binds_uninitialised(stmt)
            elif kind != "meta":
                between_ok = False
        return last_bind if (last_bind is not None and between_ok) else None

    def _mentions(self, scope_node: cst.CSTNode, name: str) -> list:
        """The name's mentions in the scope, in source order, as (position, node, kind,
        statement): kind "bind" for ``name = ...`` (with its statement), "meta" for a look at
        shape/dtype only, "use" for anything else (which may write into it)."""
        events = self._sorted_mentions.get((id(scope_node), name))
        if events is None:
            events = []
            for mention in self.ctx.analysis(NameMentions).of(scope_node, name):
                if mention.assigned:
                    kind, stmt = "bind", mention.line or mention.parent
                else:
                    kind, stmt = _kind(mention), None
                cell, rng = self.ctx.locate(mention.node)
                events.append(((cell or 0, rng.start.line, rng.start.column), mention.node, kind, stmt))
            events.sort(key=lambda e: e[0])
            self._sorted_mentions[(id(scope_node), name)] = events
        return events

    def _binds_uninitialised(self, stmt: Optional[cst.CSTNode]) -> bool:
        """The statement binds a fresh uninitialised tensor, and nothing in it wrote into the
        tensor (``a = torch.empty(3).normal_()`` is written before it is bound: the flow says so)."""
        if not _creates_uninitialised(stmt, self.qualname):
            return False
        value = stmt.body[0].value  # type: ignore[union-attr]
        return self.ctx.analysis(FlowAnalysis).check().value_of(value).initialized is False

    # ------------------------------------------------------------------ read sites
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value == "print":
            for a in node.args:
                if a.keyword is None and not a.star:
                    self._check(a.value)
            return
        q = self.qualname(func)
        if q is not None:
            if q not in _VALUE_SHAPED and self._shape_only(node):
                return  # ``torch.bmm(x1, x2).size()``: the result's shape does not depend on the bytes
            if q in _READ_FUNCS or q.startswith("torch.nn.functional."):
                for a in node.args:
                    if a.keyword is None and not a.star:
                        self._check(a.value)
            return
        if isinstance(func, cst.Attribute) and func.attr.value in _READ_METHODS:
            if not ("torch." + func.attr.value in _VALUE_SHAPED or func.attr.value in ("item", "tolist", "numpy")) \
                    and self._shape_only(node):
                return
            self._check(func.value)
            return
        flow = self.ctx.analysis(FlowAnalysis).check()
        if flow.value_of(func).kind in (Kind.LOSS, Kind.MODULE):
            for a in node.args:
                if a.keyword is None and not a.star:
                    self._check(a.value)

    def _shape_only(self, call: cst.Call) -> bool:
        """The call being visited is used only for its shape: ``f(x).size()``, ``f(x).shape``."""
        parent = self.ctx.parent
        return isinstance(parent, cst.Attribute) and parent.value is call and parent.attr.value in _SHAPE_ONLY

    def visit_Return(self, node: cst.Return) -> None:
        # returning a fresh buffer for the caller to fill is a normal pattern; returning it
        # as a model's output is not
        if node.value is None:
            return
        _, method = self.ctx.analysis(LocalFacts).enclosing_method(self.ctx.ancestors)
        if method is not None and method.name.value == "forward":
            self._check(node.value)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._check(node.left)
        self._check(node.right)

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self._check(node.expression)


def _root_name(expr: cst.BaseExpression) -> Optional[cst.Name]:
    while True:
        if isinstance(expr, cst.Name):
            return expr
        if isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            expr = expr.func.value
        else:
            return None


def _creates_uninitialised(stmt: Optional[cst.CSTNode], qualname) -> bool:
    """The binding is ``name = torch.empty(...)`` (or a legacy constructor given sizes,
    ``x.new_empty(...)``), possibly followed by value-preserving steps such as ``.to(dev)``;
    not a call of some helper that may fill what it allocates."""
    if not isinstance(stmt, cst.SimpleStatementLine) or not isinstance(stmt.body[0], cst.Assign):
        return False
    value = stmt.body[0].value
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
            and value.func.attr.value in _PASS_METHODS and qualname(value.func) is None:
        value = value.func.value
    if not isinstance(value, cst.Call):
        return False
    q = qualname(value.func)
    if q in _UNINIT_FUNCS:
        return True
    if q in _LEGACY:
        return bool(value.args) and all(a.keyword is None and isinstance(a.value, cst.Integer) for a in value.args)
    return q is None and isinstance(value.func, cst.Attribute) and value.func.attr.value in _UNINIT_METHODS


def _kind(mention: Mention) -> str:
    """"meta" for a look at a tensor's metadata only (``x.shape``, ``x.size()``, ``len(x)``)."""
    parent, grand = mention.parent, mention.grandparent
    if isinstance(parent, cst.Attribute) and parent.value is mention.node:
        if parent.attr.value in _META_ATTRS:
            return "meta"
        if isinstance(grand, cst.Call) and grand.func is parent and parent.attr.value in _META_METHODS:
            return "meta"
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call) and isinstance(grand.func, cst.Name) \
            and grand.func.value == "len":
        return "meta"
    return "use"
