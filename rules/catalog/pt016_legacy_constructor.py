import libcst as cst

from ptlint.rules.catalog._local import Gated
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Replace, Rule

# Legacy typed constructors -> the dtype torch.tensor needs to give the same result.
_DTYPES = {
    "torch.FloatTensor": "float32", "torch.DoubleTensor": "float64", "torch.HalfTensor": "float16",
    "torch.BFloat16Tensor": "bfloat16", "torch.LongTensor": "long", "torch.IntTensor": "int32",
    "torch.ShortTensor": "int16", "torch.CharTensor": "int8", "torch.ByteTensor": "uint8",
    "torch.BoolTensor": "bool",
    # torch.Tensor follows the default dtype: float32 unless the program changes it
    "torch.Tensor": "float32",
}
_DEFAULT_DTYPE_SETTERS = ("set_default_dtype", "set_default_tensor_type")

SHAPE_MESSAGE = Message(
    zh="`{api}({data})` 把元组当作数据，得到的是含 {n} 个元素的一维张量，而不是形状为 {data} 的张量；要指定形状请写 `torch.empty{data}` 或 `torch.zeros{data}`",
    en="`{api}({data})` treats the tuple as data: a 1-D tensor of {n} elements, not a tensor of shape {data}; for a shape write `torch.empty{data}` or `torch.zeros{data}`",
)


class LegacyConstructor(Gated, Rule):
    code = "PT016"
    name = "legacy-constructor"
    needs = ('Tensor(',)
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    message = Message(
        zh="`{api}(...)` 是旧式构造函数：用数据创建张量请写 `torch.tensor(..., dtype=torch.{dtype})`",
        en="`{api}(...)` is a legacy constructor: create tensors from data with `torch.tensor(..., dtype=torch.{dtype})`",
    )
    docs = Docs(
        zh="""## 它检查什么
用旧式类型构造函数按内容创建张量：`torch.Tensor([...])`、`torch.FloatTensor([...])`、`torch.LongTensor([...])`、`torch.IntTensor([...])` 等，参数是列表、元组或列表推导式。

## 为什么有问题
这些构造函数同一个名字有两种含义：`torch.Tensor(3, 4)` 按**形状**创建（内容未初始化），`torch.Tensor([3, 4])` 却按**内容**创建。`torch.Tensor((3, 4))` 也是按内容，得到 `tensor([3., 4.])`，而不是 3×4 的张量。它们也不能指定 `device`、`requires_grad`，PyTorch 文档建议改用 `torch.tensor`。

另外，`torch.Tensor` 的数据类型是默认类型 float32，而 `torch.tensor([1, 2])` 会按内容推断出 int64——所以替换时要写明 `dtype`。

## 示例
```python
x = torch.FloatTensor([1, 2, 3])
labels = torch.LongTensor([0, 2, 1])
size = torch.Tensor((3, 4))   # 得到的是 tensor([3., 4.])
```

## 如何修复
用 `torch.tensor` 并写明数据类型：

```python
x = torch.tensor([1, 2, 3], dtype=torch.float32)
labels = torch.tensor([0, 2, 1], dtype=torch.long)
empty = torch.empty(3, 4)     # 真正想要的是形状时
```

快速修复会改写成 `torch.tensor(数据, dtype=...)`，结果与原来完全相同（安全修复）。程序里调用过 `torch.set_default_dtype` 时不提供 `torch.Tensor` 的修复，因为那时它的类型不一定是 float32。
""",
        en="""## What it finds
Legacy typed constructors used to create a tensor from data: `torch.Tensor([...])`, `torch.FloatTensor([...])`, `torch.LongTensor([...])`, `torch.IntTensor([...])` and friends, called with a list, tuple or list comprehension.

## Why it is a problem
The same name means two things: `torch.Tensor(3, 4)` creates a tensor of that **shape** (uninitialised), `torch.Tensor([3, 4])` one with that **content**. `torch.Tensor((3, 4))` is content too: `tensor([3., 4.])`, not a 3×4 tensor. They cannot take `device` or `requires_grad` either; PyTorch's docs recommend `torch.tensor`.

`torch.Tensor` uses the default dtype (float32) while `torch.tensor([1, 2])` infers int64 from the content, so the replacement must name the `dtype`.

## Example
```python
x = torch.FloatTensor([1, 2, 3])
labels = torch.LongTensor([0, 2, 1])
size = torch.Tensor((3, 4))   # this is tensor([3., 4.])
```

## How to fix
Use `torch.tensor` with an explicit dtype:

```python
x = torch.tensor([1, 2, 3], dtype=torch.float32)
labels = torch.tensor([0, 2, 1], dtype=torch.long)
empty = torch.empty(3, 4)     # when a shape was meant
```

The quick fix rewrites the call to `torch.tensor(data, dtype=...)`, which gives exactly the same tensor (safe). No fix is offered for `torch.Tensor` in a program that calls `torch.set_default_dtype`, since its dtype is then not necessarily float32.
""",
    )
    must_flag = (
        "import torch\nx = torch.FloatTensor([1, 2, 3])  # <-\n",
        "import torch\nlabels = torch.LongTensor([0, 2, 1])  # <-\n",
        "import torch as T\nw = T.Tensor([[1, 2], [3, 4]])  # <-\n",
        "from torch import IntTensor\nimport torch\nidx = IntTensor([i for i in range(5)])  # <-\n",
        "import torch\nsize = torch.Tensor((3, 4))  # <-\n",
    )
    must_not_flag = (
        "import torch\nx = torch.Tensor(3, 2, 4)\n",
        "import torch\nx = torch.tensor([1, 2, 3], dtype=torch.float32)\n",
        "import torch\nn = 10\nx = torch.IntTensor(n)\n",
        "import torch\ndef f(data):\n    return torch.FloatTensor(data)\n",
        "import torch\nclass FloatTensor(list):\n    pass\nx = FloatTensor([1, 2])\n",
        "import torch\nx = torch.cuda.FloatTensor([1, 2])\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        q = self.qualname(node.func)
        dtype = _DTYPES.get(q or "")
        if dtype is None or len(node.args) != 1:
            return
        arg = node.args[0]
        if arg.keyword is not None or arg.star:
            return
        data = arg.value
        if not isinstance(data, (cst.List, cst.Tuple, cst.ListComp)):
            return
        api = q
        if isinstance(data, cst.Tuple) and data.elements and all(
                isinstance(e.value, cst.Integer) for e in data.elements):
            # ``torch.Tensor((3, 4))``: almost surely meant as a shape; no fix keeps the bug
            self.report(node, message=SHAPE_MESSAGE, api=api, data=self.ctx.code_for(data),
                        n=len(data.elements))
            return
        self.report(node, api=api, dtype=dtype, fix=self._fix(node, q, data, dtype))

    def _fix(self, node: cst.Call, q: str, data: cst.BaseExpression, dtype: str) -> "FixSpec | None":
        if q == "torch.Tensor" and any(s in self.ctx.source.text for s in _DEFAULT_DTYPE_SETTERS):
            return None
        if isinstance(node.func, cst.Attribute):
            prefix = self.ctx.code_for(node.func.value)
            if self.qualname(node.func.value) != "torch":
                return None
        else:
            prefix = next((local for local, full in self.ctx.imports.aliases.items() if full == "torch"), None)
            if prefix is None:
                return None
        text = f"{prefix}.tensor({self.ctx.code_for(data)}, dtype={prefix}.{dtype})"
        return FixSpec((Replace(node, text),), f"改为 {prefix}.tensor(..., dtype={prefix}.{dtype})",
                       f"use {prefix}.tensor(..., dtype={prefix}.{dtype})", FixSafety.SAFE)
