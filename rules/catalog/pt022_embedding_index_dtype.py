from typing import Optional

import libcst as cst

from ptlint.rules.catalog._legacy_data import IndexOnlyCreations, legacy_data
from ptlint.rules.gating import Gated
from ptlint.rules.astutil import get_arg
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis, Kind
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule

_LAYERS = {"torch.nn.Embedding": "nn.Embedding", "torch.nn.EmbeddingBag": "nn.EmbeddingBag"}
_FUNCS = {"torch.nn.functional.embedding": "F.embedding", "torch.nn.functional.embedding_bag": "F.embedding_bag"}
# index dtypes embedding accepts (checked with torch: Long and Int only)
_OK = {"int64", "int32"}
# Constructor arguments that could give an embedding a non-float table (a frozen integer
# ``_weight``); a layer built with one is not known to output floats.
_TABLE_ARGS = ("_weight", "dtype")

EMBEDDED_MESSAGE = Message(
    zh="`{api}` 的索引是 `{source}` 的输出：词嵌入层输出的是浮点词向量，不是整数索引，这里会抛出 RuntimeError",
    en="`{api}` gets the output of `{source}` as indices: an embedding outputs float vectors, not integer ids, so this raises RuntimeError",
)


class EmbeddingIndexDtype(Gated, Rule):
    code = "PT022"
    name = "embedding-index-dtype"
    needs = ('mbedding',)
    severity = Severity.ERROR
    # The shape engine also rejects float indices (PT005); this rule says it in dtype terms.
    supersedes = ("PT005",)
    fix_safety = FixSafety.SAFE
    message = Message(
        zh="`{api}` 的索引是 {dtype} 张量：词嵌入只接受 int64（long）或 int32 的索引，这里会抛出 RuntimeError；请用 `.long()` 转换",
        en="`{api}` gets {dtype} indices: embeddings only accept int64 (long) or int32 indices, so this raises RuntimeError; convert with `.long()`",
    )
    docs = Docs(
        zh="""## 它检查什么
传给 `nn.Embedding`（或 `nn.EmbeddingBag`、`F.embedding`）的索引张量，其数据类型已知且不是整数索引类型：浮点数（`torch.Tensor([...])`、`torch.FloatTensor`、`.float()`、`torch.rand` 等）、`uint8`、`int8`、`int16` 或 `bool`。

也包括把一个词嵌入层的输出再当作索引传给另一个词嵌入层（`self.pos_emb(self.word_emb(x))`）：词嵌入的输出是浮点词向量，不是编号。

## 为什么有问题
词嵌入层本质上是一张查找表：第 i 个词的词向量就是权重矩阵的第 i 行（笔记：“使用词嵌入矩阵将词索引转换为词向量”）。行号必须是整数，PyTorch 只接受 `int64`（long）和 `int32`，其他类型直接报错：

`RuntimeError: Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead`

最常见的原因是用 `torch.Tensor([...])` 或 `torch.FloatTensor` 装词的编号——它们默认是 float32。

## 示例
```python
embed = nn.Embedding(len(id2word), 5)
ids = torch.Tensor([word2id[w] for w in words])   # float32
vectors = embed(ids)                                # RuntimeError
```

## 如何修复
用整数类型创建索引，或在调用前转换：

```python
ids = torch.tensor([word2id[w] for w in words])    # int64
vectors = embed(ids.long())
```

快速修复会追加 `.long()`（安全修复：原来的代码一定会报错）。索引是另一个词嵌入层的输出时没有快速修复：把词向量转成整数并不是想要的，应该把原始的词编号传给这一层。索引张量由 `torch.Tensor([...])` 之类的旧式构造函数创建、且只在这里使用时，修复改为在创建处直接写 `torch.tensor([...], dtype=torch.long)`——与 PT016 的修复是同一处修改。
""",
        en="""## What it finds
An index tensor of known, non-index dtype passed to `nn.Embedding` (or `nn.EmbeddingBag`, `F.embedding`): floating point (`torch.Tensor([...])`, `torch.FloatTensor`, `.float()`, `torch.rand`…), `uint8`, `int8`, `int16` or `bool`.

This includes one embedding's output passed as the indices of another (`self.pos_emb(self.word_emb(x))`): an embedding outputs float vectors, not ids.

## Why it is a problem
An embedding is a lookup table: the vector of word i is row i of the weight matrix (the notes: "use the embedding matrix to turn word indices into word vectors"). Row numbers must be integers; PyTorch accepts `int64` (long) and `int32` only and raises otherwise:

`RuntimeError: Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead`

The usual cause is holding word ids in `torch.Tensor([...])` or `torch.FloatTensor`, which are float32.

## Example
```python
embed = nn.Embedding(len(id2word), 5)
ids = torch.Tensor([word2id[w] for w in words])   # float32
vectors = embed(ids)                                # RuntimeError
```

## How to fix
Create the indices with an integer dtype, or convert before the call:

```python
ids = torch.tensor([word2id[w] for w in words])    # int64
vectors = embed(ids.long())
```

The quick fix appends `.long()` (safe: the original always raises). When the indices are another embedding's output there is no quick fix: casting word vectors to integers is not what was meant; pass this layer the original ids. When the indices come from a legacy constructor such as `torch.Tensor([...])` and are used only here, the fix creates them as `torch.tensor([...], dtype=torch.long)` instead — the same edit as PT016's fix.
""",
    )
    must_flag = (
        "import torch\nimport torch.nn as nn\nembed = nn.Embedding(10, 5)\nids = torch.Tensor([1, 2, 3])\nv = embed(ids)  # <-\n",
        "import torch\nimport torch.nn as nn\nclass Enc(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.emb = nn.Embedding(100, 8)\n    def forward(self, x):\n        return self.emb(x.float())  # <-\n",
        "import torch\nimport torch.nn.functional as F\nw = torch.randn(10, 3)\nout = F.embedding(torch.rand(4) * 10, w)  # <-\n",
        "import torch\nimport torch.nn as nn\nemb = nn.Embedding(5, 2)\nmask = torch.tensor([True, False])\nemb(mask)  # <-\n",
        # an embedding's float vectors used as the ids of the next embedding
        "import torch.nn as nn\nclass Enc(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.word_emb = nn.Embedding(1000, 64)\n        self.pos_emb = nn.Embedding(512, 64)\n"
        "    def forward(self, x):\n        e = self.word_emb(x)\n        return e + self.pos_emb(e)  # <-\n",
    )
    must_not_flag = (
        "import torch\nimport torch.nn as nn\nembed = nn.Embedding(10, 5)\nv = embed(torch.tensor([1, 2, 3]))\n",
        "import torch\nimport torch.nn as nn\nembed = nn.Embedding(10, 5)\nids = torch.Tensor([1, 2, 3]).long()\nv = embed(ids)\n",
        "import torch\nimport torch.nn as nn\nembed = nn.Embedding(10, 5)\nv = embed(torch.tensor([1, 2], dtype=torch.int32))\n",
        "import torch\nimport torch.nn as nn\nembed = nn.Embedding(10, 5)\ndef f(ids):\n    return embed(ids)\n",
        "import torch\nimport torch.nn as nn\nlin = nn.Linear(3, 2)\ny = lin(torch.rand(4, 3))\n",
        # the nearest word's id, not its vector
        "import torch\nimport torch.nn as nn\na = nn.Embedding(10, 4)\nb = nn.Embedding(10, 4)\n"
        "ids = torch.tensor([1, 2])\nv = b(a(ids).argmax(-1))\n",
        # a table given by the caller may hold integers (a frozen lookup of ids)
        "import torch\nimport torch.nn as nn\nremap = nn.Embedding(10, 1, _weight=table, _freeze=True)\nemb = nn.Embedding(10, 4)\n"
        "v = emb(remap(torch.tensor([3])))\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if any(a.star for a in node.args):
            return
        q = self.qualname(node.func)
        flow = self.ctx.analysis(FlowAnalysis).check()
        api: Optional[str] = None
        arg: Optional[cst.Arg] = None
        if q in _FUNCS:
            api, arg = _FUNCS[q], get_arg(node, 0, "input")
        elif q is None:
            fv = flow.value_of(node.func)
            if fv.kind is Kind.MODULE and fv.spec in _LAYERS:
                api, arg = _LAYERS[fv.spec], get_arg(node, 0, "input")
        if api is None or arg is None:
            return
        v = flow.value_of(arg.value)
        if v.kind is not Kind.TENSOR or v.dtype in _OK:
            return
        if v.dtype is None:
            self._embedding_output(node, api, v.origin, flow)
            return
        self.report(node, api=api, dtype=v.dtype, fix=self._creation_fix(v.origin) or self._long_fix(arg.value))

    def _embedding_output(self, node: cst.Call, api: str, origin: Optional[cst.CSTNode], flow) -> None:
        """Indices that are another embedding's output: its float vectors. No fix: casting
        word vectors to long is not what the author meant, the wiring is wrong."""
        if not isinstance(origin, cst.Call) or any(a.star for a in origin.args):
            return
        src = flow.value_of(origin.func)
        ctor = src.origin
        if src.kind is not Kind.MODULE or src.spec not in _LAYERS or not isinstance(ctor, cst.Call) \
                or self.qualname(ctor.func) != src.spec \
                or any(a.star or (a.keyword is not None and a.keyword.value in _TABLE_ARGS) for a in ctor.args):
            return
        source = self.ctx.code_for(origin.func)
        self.report(node, message=EMBEDDED_MESSAGE, api=api, source=source if len(source) <= 40 else _LAYERS[src.spec],
                    related=[Related(origin, "这个词嵌入层输出浮点词向量", "this embedding outputs float vectors"),
                             Related(ctor, "在这里创建", "built here")])

    def _creation_fix(self, origin: Optional[cst.CSTNode]) -> Optional[FixSpec]:
        """``ids = torch.Tensor([[1, 2]])`` used only here: create the indices as long in the
        first place; PT016 offers the very same edit at the creation, applied once."""
        if not isinstance(origin, cst.Call) or not self.ctx.analysis(IndexOnlyCreations).index_only(origin):
            return None
        legacy = legacy_data(self.ctx, origin)
        if legacy is None or legacy.prefix is None:
            return None
        p = legacy.prefix
        return FixSpec((Replace(origin, legacy.rewrite(self.ctx, "long")),),
                       f"改为 {p}.tensor(..., dtype={p}.long)", f"use {p}.tensor(..., dtype={p}.long)", FixSafety.SAFE)

    def _long_fix(self, expr: cst.BaseExpression) -> FixSpec:
        code = self.ctx.code_for(expr)
        if not isinstance(expr, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
            code = f"({code})"
        return FixSpec((Replace(expr, f"{code}.long()"),), "追加 .long()", "append .long()", FixSafety.SAFE)
