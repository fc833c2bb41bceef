import libcst as cst

from typing import Optional

from ptlint.rules.catalog._legacy_data import (
    CONVERSIONS, EXACT_INT, IndexOnlyCreations, LegacyData, is_shape_tuple, legacy_data,
)
from ptlint.rules.gating import Gated
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Replace, Rule

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
    # unsafe only when `.long()` follows data whose values a float dtype may have rounded
    fix_safeties = (FixSafety.SAFE, FixSafety.UNSAFE)
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

紧跟着转换类型的写法一步到位：`torch.Tensor([[i]]).long()` 改写成 `torch.tensor([[i]], dtype=torch.long)`。数据都是整数字面量时结果完全相同（安全修复）；否则是不安全修复——原来的写法先经过 float32，超过 2²⁴ 的整数会被舍入，改写后得到的是准确的值。如果这个张量只用作 `nn.Embedding` 的索引（PT022），修复直接写成 `dtype=torch.long`，与 PT022 的修复是同一处修改。
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

A conversion right after is folded in: `torch.Tensor([[i]]).long()` becomes `torch.tensor([[i]], dtype=torch.long)`. With integer literals the result is identical (safe); otherwise the fix is unsafe: the old code went through float32, which rounds integers above 2²⁴, and the new one gives the exact values. When the tensor is used only as `nn.Embedding` indices (PT022), the fix writes `dtype=torch.long` directly, the same edit as PT022's fix.
""",
    )
    must_flag = (
        "import torch\nx = torch.FloatTensor([1, 2, 3])  # <-\n",
        "import torch\nlabels = torch.LongTensor([0, 2, 1])  # <-\n",
        "import torch as T\nw = T.Tensor([[1, 2], [3, 4]])  # <-\n",
        "from torch import IntTensor\nimport torch\nidx = IntTensor([i for i in range(5)])  # <-\n",
        "import torch\nsize = torch.Tensor((3, 4))  # <-\n",
        "import torch\ni = 3\nidx = torch.Tensor([[i]]).long()  # <-\n",
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
        legacy = legacy_data(self.ctx, node)
        if legacy is None:
            return
        api = legacy.api
        if is_shape_tuple(legacy.data):
            # ``torch.Tensor((3, 4))``: almost surely meant as a shape; no fix keeps the bug
            self.report(node, message=SHAPE_MESSAGE, api=api, data=self.ctx.code_for(legacy.data),
                        n=len(legacy.data.elements))  # type: ignore[attr-defined]
            return
        if legacy.prefix is None:
            self.report(node, api=api, dtype=legacy.dtype)
            return
        converted = self._conversion(node, legacy)
        if converted is not None:  # ``torch.Tensor(data).long()``: one call with the final dtype
            outer, dtype = converted
            safety = FixSafety.SAFE if legacy.exact_ints() else FixSafety.UNSAFE
            self.report(node, api=api, dtype=dtype, fix=self._fix(outer, legacy, dtype, safety))
        elif self._index_only(node):  # used only as embedding indices: PT022 makes the same edit
            self.report(node, api=api, dtype="long", fix=self._fix(node, legacy, "long", FixSafety.SAFE))
        else:
            self.report(node, api=api, dtype=legacy.dtype, fix=self._fix(node, legacy, legacy.dtype, FixSafety.SAFE))

    def _conversion(self, node: cst.Call, legacy: LegacyData) -> Optional[tuple[cst.Call, str]]:
        """``<node>.long()`` / ``.int()`` directly after a floating legacy constructor."""
        anc = self.ctx.ancestors
        if legacy.dtype not in EXACT_INT or len(anc) < 3:
            return None
        attr, outer = anc[-2], anc[-3]
        if not (isinstance(attr, cst.Attribute) and attr.value is node and isinstance(outer, cst.Call)
                and outer.func is attr and not outer.args):
            return None
        dtype = CONVERSIONS.get(attr.attr.value)
        return (outer, dtype) if dtype else None

    def _index_only(self, node: cst.Call) -> bool:
        if "mbedding" not in self.ctx.source.text:  # no embedding in the file: nothing to ask
            return False
        return self.ctx.analysis(IndexOnlyCreations).index_only(node)

    def _fix(self, target: cst.Call, legacy: LegacyData, dtype: str, safety: FixSafety) -> FixSpec:
        prefix = legacy.prefix
        return FixSpec((Replace(target, legacy.rewrite(self.ctx, dtype)),),
                       f"改为 {prefix}.tensor(..., dtype={prefix}.{dtype})",
                       f"use {prefix}.tensor(..., dtype={prefix}.{dtype})", safety)
