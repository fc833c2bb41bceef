from typing import Optional, Union

import libcst as cst

from ptlint.rules.astutil import get_arg, literal_value
from ptlint.rules.bindings import ClassInfo, LocalFacts, ScopeInfo, sequential_entries
from ptlint.rules.gating import Gated
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.flow import FlowAnalysis, Kind
from ptlint.rules.node_index import NodeIndex
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule
from ptlint.rules.size_product import product_of

_RNNS = {"torch.nn.RNN": "nn.RNN", "torch.nn.LSTM": "nn.LSTM", "torch.nn.GRU": "nn.GRU"}
_EMBEDDINGS = {"torch.nn.Embedding"}
# layers / functions applied per position: the (batch, seq) layout passes through them
_KEEP_LAYERS = {"torch.nn.Embedding", "torch.nn.Dropout", "torch.nn.Linear", "torch.nn.LayerNorm", "torch.nn.ReLU",
                "torch.nn.Tanh", "torch.nn.GELU"}
_KEEP_FUNCS = {"torch.nn.functional.dropout", "torch.nn.functional.relu", "torch.nn.functional.embedding",
               "torch.relu", "torch.tanh"}
_RESHAPES = frozenset({"view", "reshape"})  # methods whose -1 the flow resolves
_KEEP_METHODS = {"float", "double", "half", "long", "int", "to", "cuda", "cpu", "contiguous", "relu", "tanh"}

# Layers that keep their input's dim 0 and need a batched input of 2 + n dims to have a
# dim of index n + 1: a conv feature map with a dim 3 (Conv2d) was computed on a batch.
_SPATIAL = {f"torch.nn.{name}{n}d": n for n in (1, 2, 3) for name in (
    "Conv", "ConvTranspose", "MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool", "BatchNorm",
    "InstanceNorm", "Dropout")} | {"torch.nn.BatchNorm1d": 0, "torch.nn.Dropout1d": 0}
# Layers that keep every dim, whatever the rank.
_ELEMENTWISE = {f"torch.nn.{n}" for n in "ReLU ReLU6 LeakyReLU PReLU ELU SELU GELU SiLU Tanh Sigmoid Hardswish Dropout Identity".split()}

# Evidence that a value is laid out (batch, seq, ...): the DataLoader it came from, or a
# forward parameter (class node, index) to be confirmed by a call fed from a DataLoader.
Origin = Union[cst.Call, tuple]


class RnnBatchFirst(Gated, Rule):
    code = "PT023"
    name = "rnn-batch-first"
    needs = ('RNN', 'LSTM', 'GRU')
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    message = Message(
        zh="送进 `{rnn}` 的数据是批量维在前的 (batch, seq, …)，但它没有设置 `batch_first=True`：{rnn} 会把第 0 维当成序列长度，不报错，结果却是错的",
        en="`{rnn}` gets batch-first data (batch, seq, …) but was built without `batch_first=True`: it takes dim 0 as the sequence, raises nothing, and computes the wrong thing",
    )
    docs = Docs(
        zh="""## 它检查什么
把批量维在前的数据送进没有设置 `batch_first=True` 的 `nn.RNN` / `nn.LSTM` / `nn.GRU`。“批量维在前”指：直接来自 `DataLoader` 的一批数据（默认的拼接方式总是把批量放在第 0 维），或对这样一批词索引做 `nn.Embedding` 得到的 `(batch, seq, embedding_dim)`，包括把这批数据传给模型、在 `forward` 里再送进 RNN 的情况。也包括由卷积特征图经 `view` / `permute` 得到、第 0 维仍是批量维的张量（CRNN 的常见写法：`b, c, h, w = conv.size()`，`conv.view(b, c * h, w).permute(0, 2, 1)`），前提是卷积的输入就是这样一批数据。还包括用 `-1` 重排、第 0 维是这批数据第 0 维的张量：`x.view(B, -1, 256)`、`x.reshape(x.size(0), -1, H)`（`B = x.size(0)` 或 `x.shape[0]`）——中间的 `-1` 把剩下的部分排成序列，放在批量维之后。`-1` 一定等于 1 时不报告：`f.view(t, -1, c * h * w)` 和 `f.view(t, 1, -1)` 一样，是有意写成的“序列在前、批量为 1”。`-1` 在第 0 维、并且正好等于这批数据的第 0 维时也算：`(B, 1, 28, 28)` 的一批做 `xb.view(-1, 28, 28)` 得到 `(B, 28, 28)`，批量仍在最前。

## 为什么有问题
笔记写得很清楚：RNN 的输入形状是 `[seq_len 序列长度, batch_size 批量大小, input_size]`，输出是 `[seq_len, batch_size, hidden_size]`。这是 `batch_first=False`（默认值）时的约定。送进 `(batch, seq, feature)` 的数据，形状一样能对上（只要特征维相同），所以**不会报错**，但 RNN 会沿着批量维做循环：把不同样本当成同一个序列的前后时刻，而把每个序列的各个时刻当成互不相关的样本。模型照样能训练，只是学到的不是你以为的东西，效果会莫名其妙地差。

## 示例
```python
loader = DataLoader(dataset, batch_size=32)      # 每批 ids: (32, seq_len)
embed = nn.Embedding(vocab_size, 128)
lstm = nn.LSTM(128, 256)                          # 期望 (seq_len, batch, 128)
for ids, labels in loader:
    out, (h, c) = lstm(embed(ids))                # 实际是 (32, seq_len, 128)
```

## 如何修复
构造时声明数据的布局：

```python
lstm = nn.LSTM(128, 256, batch_first=True)
```

注意 `batch_first=True` 之后输出也变成 `(batch, seq, hidden)`，而 `h_n`、`c_n` 仍然是 `(num_layers, batch, hidden)`；取最后一个时刻要写 `out[:, -1]`。也可以保持默认值，在送入前 `x.transpose(0, 1)`。快速修复会加上 `batch_first=True`（不安全修复：之后对输出按时间维索引的代码需要一并检查）。
""",
        en="""## What it finds
Batch-first data fed to an `nn.RNN` / `nn.LSTM` / `nn.GRU` built without `batch_first=True`. Batch-first means: a batch straight from a `DataLoader` (default collation always puts the batch in dim 0), or an `nn.Embedding` of such a batch of token ids, `(batch, seq, embedding_dim)` — also when the batch is passed to a model whose `forward` feeds it to the RNN. This includes a tensor made from a conv feature map by `view` / `permute` whose dim 0 is still the batch (the usual CRNN code: `b, c, h, w = conv.size()`, `conv.view(b, c * h, w).permute(0, 2, 1)`) when the conv's input is such a batch. It also covers a tensor reshaped with `-1` whose dim 0 is dim 0 of such a batch: `x.view(B, -1, 256)`, `x.reshape(x.size(0), -1, H)` (with `B = x.size(0)` or `x.shape[0]`): the `-1` in the middle lays the rest out as the sequence, after the batch. Where the `-1` is 1 for certain, nothing is reported: `f.view(t, -1, c * h * w)` is `f.view(t, 1, -1)`, a seq-first batch of one on purpose. A `-1` in dim 0 that is exactly the batch's dim 0 counts too: `xb.view(-1, 28, 28)` of a `(B, 1, 28, 28)` batch is `(B, 28, 28)`, batch still first.

## Why it is a problem
The notes spell it out: RNN input is `[seq_len, batch_size, input_size]`, output `[seq_len, batch_size, hidden_size]`. That is the `batch_first=False` (default) convention. `(batch, seq, feature)` data fits the same shape check (the feature size matches), so **nothing raises**, but the RNN recurs over the batch dim: different samples become consecutive time steps of one sequence, and each sequence's steps become unrelated samples. Training still runs; the model just learns the wrong thing and performs inexplicably badly.

## Example
```python
loader = DataLoader(dataset, batch_size=32)      # ids per batch: (32, seq_len)
embed = nn.Embedding(vocab_size, 128)
lstm = nn.LSTM(128, 256)                          # expects (seq_len, batch, 128)
for ids, labels in loader:
    out, (h, c) = lstm(embed(ids))                # gets (32, seq_len, 128)
```

## How to fix
Declare the layout when building the layer:

```python
lstm = nn.LSTM(128, 256, batch_first=True)
```

With `batch_first=True` the output is `(batch, seq, hidden)` as well, while `h_n`/`c_n` stay `(num_layers, batch, hidden)`; the last time step is `out[:, -1]`. Or keep the default and `x.transpose(0, 1)` before the call. The quick fix adds `batch_first=True` (unsafe: code indexing the output by time needs checking too).
""",
    )
    must_flag = (
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=32)\n"
        "embed = nn.Embedding(1000, 128)\nlstm = nn.LSTM(128, 256)\nfor ids, labels in loader:\n"
        "    out, (h, c) = lstm(embed(ids))  # <-\n",
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nclass Tagger(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.emb = nn.Embedding(500, 64)\n"
        "        self.rnn = nn.GRU(64, 64, num_layers=2)\n        self.out = nn.Linear(64, 5)\n    def forward(self, x):\n"
        "        e = self.emb(x)\n        h, _ = self.rnn(e)  # <-\n        return self.out(h)\nmodel = Tagger()\n"
        "for xb, yb in DataLoader(train_set, batch_size=16, shuffle=True):\n    logits = model(xb)\n",
        "import torch.nn as nn\nfrom torch.utils.data import DataLoader\nrnn = nn.RNN(10, 20, batch_first=False)\n"
        "def train(ds):\n    for i, (x, y) in enumerate(DataLoader(ds, batch_size=8)):\n        out, hn = rnn(x)  # <-\n",
        # conv features viewed and permuted to (batch, width, features)
        "import torch.nn as nn\nfrom torch.utils.data import DataLoader\nclass CRNN(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.cnn = nn.Sequential(nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))\n"
        "        self.rnn = nn.LSTM(64 * 16, 128)\n    def forward(self, x):\n        conv = self.cnn(x)\n"
        "        b, c, h, w = conv.size()\n        conv = conv.view(b, c * h, w)\n        conv = conv.permute(0, 2, 1)\n"
        "        out, _ = self.rnn(conv)  # <-\n        return out\nmodel = CRNN()\n"
        "for images, labels in DataLoader(ds, batch_size=32):\n    preds = model(images)\n",
        # the rest of each sample laid out by -1 as a sequence after the batch dim
        "import torch.nn as nn\nfrom torch.utils.data import DataLoader\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(784, 1024)\n        self.rnn = nn.LSTM(256, 128)\n"
        "    def forward(self, x):\n        B = x.shape[0]\n        feats = self.fc(x)\n"
        "        out, _ = self.rnn(feats.view(B, -1, 256))  # <-\n        return out[-1]\nmodel = Net()\n"
        "for xb, yb in DataLoader(train_set, batch_size=64, shuffle=True):\n    model(xb)\n",
        "import torch.nn as nn\nfrom torch.utils.data import DataLoader\ngru = nn.GRU(28, 64)\n"
        "for images, labels in DataLoader(mnist, batch_size=100):\n"
        "    out, h = gru(images.reshape(images.size(0), -1, 28))  # <-\n",
    )
    must_not_flag = (
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=32)\n"
        "embed = nn.Embedding(1000, 128)\nlstm = nn.LSTM(128, 256, batch_first=True)\nfor ids, labels in loader:\n"
        "    out, (h, c) = lstm(embed(ids))\n",
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=32)\n"
        "embed = nn.Embedding(1000, 128)\nlstm = nn.LSTM(128, 256)\nfor ids, labels in loader:\n"
        "    out, (h, c) = lstm(embed(ids).transpose(0, 1))\n",
        "import torch\nimport torch.nn as nn\nrnn = nn.RNN(4, 8)\nx = torch.randn(5, 3, 4)\nout, h = rnn(x)\n",
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nfrom torch.nn.utils.rnn import pad_sequence\n"
        "loader = DataLoader(ds, batch_size=4, collate_fn=lambda b: pad_sequence(b))\nrnn = nn.LSTM(3, 3)\n"
        "for seqs in loader:\n    out, _ = rnn(seqs)\n",
        "import torch.nn as nn\nclass Enc(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.emb = nn.Embedding(50, 8)\n        self.rnn = nn.LSTM(8, 8)\n    def forward(self, x):\n"
        "        return self.rnn(self.emb(x))\n",
        # the CRNN way: (width, batch, features)
        "import torch.nn as nn\nfrom torch.utils.data import DataLoader\nclass CRNN(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.cnn = nn.Sequential(nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))\n"
        "        self.rnn = nn.LSTM(64 * 16, 128)\n    def forward(self, x):\n        conv = self.cnn(x)\n"
        "        b, c, h, w = conv.size()\n        conv = conv.view(b, c * h, w)\n        conv = conv.permute(2, 0, 1)\n"
        "        out, _ = self.rnn(conv)\n        return out\nmodel = CRNN()\n"
        "for images, labels in DataLoader(ds, batch_size=32):\n    preds = model(images)\n",
        # frames of one clip as the conv batch, then a sequence of batch one on purpose
        "import torch.nn as nn\nfrom torch.utils.data import DataLoader\nclass Clip(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.cnn = nn.Conv2d(3, 16, 3)\n        self.rnn = nn.GRU(16 * 62 * 62, 32)\n"
        "    def forward(self, frames):\n        f = self.cnn(frames)\n        t, c, h, w = f.size()\n"
        "        out, _ = self.rnn(f.view(t, 1, c * h * w))\n        return out\nmodel = Clip()\n"
        "for clip in DataLoader(ds, batch_size=16):\n    model(clip)\n",
        # the same with -1: the -1 is 1 whatever the sizes
        "import torch.nn as nn\nfrom torch.utils.data import DataLoader\nclass Clip(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.cnn = nn.Conv2d(3, 16, 3)\n        self.rnn = nn.GRU(16 * 62 * 62, 32)\n"
        "    def forward(self, frames):\n        f = self.cnn(frames)\n        t, c, h, w = f.size()\n"
        "        out, _ = self.rnn(f.view(t, -1, c * h * w))\n        return out\nmodel = Clip()\n"
        "for clip in DataLoader(ds, batch_size=16):\n    model(clip)\n",
        # reshaped batch-first, then turned seq-first
        "import torch.nn as nn\nfrom torch.utils.data import DataLoader\ngru = nn.GRU(28, 64)\n"
        "for images, labels in DataLoader(mnist, batch_size=100):\n"
        "    out, h = gru(images.reshape(images.size(0), -1, 28).permute(1, 0, 2))\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.candidates: list[tuple[cst.Call, cst.Call, str, Origin]] = []
        self.fed: dict[tuple[int, int], cst.Call] = {}  # (class node id, param index) -> loader

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args or any(a.star for a in node.args):
            return
        flow = self.ctx.analysis(FlowAnalysis).check()
        facts = self.ctx.analysis(LocalFacts)
        scope = facts.scope_info(self.ctx.ancestors)
        cls, method = facts.enclosing_method(self.ctx.ancestors)
        fv = flow.value_of(node.func)
        if fv.kind is Kind.MODULE and fv.spec in _RNNS and isinstance(fv.origin, cst.Call):
            ctor = fv.origin
            if not self._seq_first(ctor):
                return
            first = node.args[0]
            if first.keyword is not None:
                return
            origin = self._origin(first.value, facts, scope, cls, method, 0) \
                or self._conv_features_origin(first.value, flow, facts, scope, cls, method) \
                or self._reshaped_batch_origin(first.value, flow, facts, scope, cls, method) \
                or self._leading_minus_one_origin(first.value, flow, facts, scope, cls, method)
            if origin is not None:
                self.candidates.append((node, ctor, _RNNS[fv.spec], origin))
            return
        # model(batch): remember which forward parameters receive DataLoader batches
        target = facts.layer_call(node.func, scope, cls)
        local = facts.local_module_class(target.func) if target is not None else None
        if local is None:
            return
        for i, a in enumerate(node.args):
            if a.keyword is None and isinstance(a.value, cst.Name):
                loader = facts.loader_batch(a.value.value, scope, self.ctx.ancestors)
                if loader is not None:
                    self.fed.setdefault((id(local.node), i), loader)

    def _seq_first(self, ctor: cst.Call) -> bool:
        """Built with batch_first False (given or by default)."""
        if sum(1 for a in ctor.args if a.keyword is None) > 3 or any(a.star for a in ctor.args):
            return False
        bf = get_arg(ctor, None, "batch_first")
        return bf is None or literal_value(bf.value, None) is False

    def _origin(self, expr: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo, cls: Optional[ClassInfo],
                method: Optional[cst.FunctionDef], depth: int) -> Optional[Origin]:
        if depth > 6:
            return None
        if isinstance(expr, cst.Name):
            loader = facts.loader_batch(expr.value, scope, self.ctx.ancestors)
            if loader is not None:
                return loader
            if method is not None and cls is not None and method.name.value == "forward" \
                    and facts.is_module_class(cls) and expr.value in scope.params[1:] \
                    and not facts.bound_before(method, expr.value, self.ctx.ancestors) \
                    and expr.value not in scope.assigns:
                return (id(cls.node), scope.params[1:].index(expr.value))
            v = facts.value_of(expr.value, scope)
            return self._origin(v, facts, scope, cls, method, depth + 1) if v is not None else None
        kept = self._kept_input(expr, facts, scope, cls)
        return self._origin(kept, facts, scope, cls, method, depth + 1) if kept is not None else None

    def _kept_input(self, expr: cst.BaseExpression, facts: LocalFacts, scope: ScopeInfo,
                    cls: Optional[ClassInfo]) -> Optional[cst.BaseExpression]:
        """The input of a per-position call (``emb(x)``, ``F.relu(x)``, ``x.float()``) whose
        (batch, seq) layout the result keeps."""
        if not isinstance(expr, cst.Call) or not expr.args:
            return None
        first = expr.args[0]
        if first.keyword is not None or first.star:
            return None
        q = self.qualname(expr.func)
        if q in _KEEP_FUNCS:
            return first.value
        if q is None and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _KEEP_METHODS \
                and self.qualname(expr.func.value) is None and not _is_self(expr.func.value):
            return expr.func.value
        layer = facts.layer_call(expr.func, scope, cls)
        if layer is not None and self.qualname(layer.func) in _KEEP_LAYERS:
            return first.value
        return None

    def _conv_features_origin(self, expr: cst.BaseExpression, flow, facts: LocalFacts, scope: ScopeInfo,
                              cls: Optional[ClassInfo], method: Optional[cst.FunctionDef]) -> Optional[Origin]:
        """A (batch, …) tensor made from a conv feature map by ``view`` / ``permute``: the
        flow's symbolic shape says the RNN input's dim 0 is dim 0 of a conv layer's output
        (``b, c, h, w = conv.size(); conv.view(b, c * h, w).permute(0, 2, 1)``); the map
        has a dim only a batched input gives it (dim 3 of a Conv2d output); and the conv's
        input is a batch itself (a DataLoader's, or a forward parameter fed by one)."""
        v = flow.value_of(expr)
        if v.kind is not Kind.TENSOR or v.rank != 3 or method is None:
            return None
        d0 = v.shape[0]
        if v.shape[1].is_int or self._minus_one_is_one(v, 1, flow, method):
            return None  # ``feats.view(t, 1, -1)``: a batch of one, laid out seq-first on purpose
        if d0.coef != 1 or len(d0.syms) != 1 or not isinstance(d0.syms[0], tuple) or d0.syms[0][1:] != (0,):
            return None
        anchor = d0.syms[0][0]
        seen = {s[1] for m in v.shape for s in m.syms if isinstance(s, tuple) and len(s) == 2 and s[0] == anchor}
        return self._conv_input_origin(self._anchored(anchor, method), max(seen), flow, facts, scope, cls, method)

    def _conv_input_origin(self, conv: Optional[cst.CSTNode], last_dim: int, flow, facts: LocalFacts,
                           scope: ScopeInfo, cls: Optional[ClassInfo],
                           method: Optional[cst.FunctionDef]) -> Optional[Origin]:
        """The batch a conv-like layer's call ``conv`` ran on, when its output is known to
        have a dim of index ``last_dim``: only a batched input gives a Conv2d output a dim 3."""
        if not isinstance(conv, cst.Call) or not conv.args or conv.args[0].keyword is not None or conv.args[0].star:
            return None
        layer = flow.value_of(conv.func)
        spatial = self._spatial_rank(layer.origin, 0) if layer.kind is Kind.MODULE else None
        if spatial is None or last_dim < spatial + 1:
            return None
        return self._origin(conv.args[0].value, facts, scope, cls, method, 0)

    def _reshaped_batch_origin(self, expr: cst.BaseExpression, flow, facts: LocalFacts, scope: ScopeInfo,
                               cls: Optional[ClassInfo], method: Optional[cst.FunctionDef]) -> Optional[Origin]:
        """``x.view(B, -1, F)`` / ``x.reshape(x.size(0), -1, F)`` with ``B`` dim 0 of a batch:
        the ``-1`` in the middle lays the rest out as the sequence, after the batch. Silent
        when the ``-1`` is 1 for every shape the input may have (``f.view(t, -1, c * h * w)``
        on a ``(t, c, h, w)`` map is ``f.view(t, 1, -1)``: a sequence of ``t`` steps, batch
        of one, on purpose). Otherwise, as the flow's sizes do (two different symbolic
        sizes are different numbers), the rest is a sequence of more than one step."""
        v = flow.value_of(expr)
        if v.kind is not Kind.TENSOR or v.rank != 3:
            return None
        d0 = v.shape[0]
        if d0.coef != 1 or len(d0.syms) != 1 or not _is_dim_symbol(d0.syms[0]) or d0.syms[0][1] != 0:
            return None
        view = self._minus_one_view(v, 1, scope.node)
        if view is None or self._minus_one_is_one(v, 1, flow, scope.node):
            return None
        source = flow.value_of(view.func.value)
        return self._batch_at(d0.syms[0][0], source.rank, flow, facts, scope, cls, method, 0)

    def _leading_minus_one_origin(self, expr: cst.BaseExpression, flow, facts: LocalFacts, scope: ScopeInfo,
                                  cls: Optional[ClassInfo], method: Optional[cst.FunctionDef]) -> Optional[Origin]:
        """``x.view(-1, T, F)`` of a batch ``x`` whose other dims multiply to ``T * F``: the flow
        resolves the ``-1`` to exactly ``x``'s dim 0, the batch, so the result is batch-first
        like ``x``. Silent when the ``-1`` is anything else (``2 * B``, an unknown size)."""
        v = flow.value_of(expr)
        call = v.origin
        if v.kind is not Kind.TENSOR or v.rank != 3 or not isinstance(call, cst.Call) \
                or not isinstance(call.func, cst.Attribute) or call.func.attr.value not in _RESHAPES \
                or len(call.args) != 3 or any(a.keyword is not None or a.star for a in call.args) \
                or literal_value(call.args[0].value, None) != -1:
            return None
        source = flow.value_of(call.func.value)
        if not source.shape or source.shape[0].is_int or source.shape[0] != v.shape[0]:
            return None
        return self._origin(call.func.value, facts, scope, cls, method, 0)

    def _batch_at(self, anchor: int, rank: Optional[int], flow, facts: LocalFacts, scope: ScopeInfo,
                  cls: Optional[ClassInfo], method: Optional[cst.FunctionDef], depth: int) -> Optional[Origin]:
        """The batch whose dim 0 is dim 0 of the value the flow anchored at node ``anchor``
        (of rank ``rank`` where known): a DataLoader's batch, a ``forward`` parameter, or
        what a per-position layer or a batched conv got."""
        node = self._anchored(anchor, scope.node)
        if isinstance(node, cst.Param):
            return self._forward_param_origin(node, facts, scope, cls, method)
        if isinstance(node, cst.Name):
            path = self.ctx.analysis(NodeIndex).ancestors(node)
            if not _in_loop_target(path):
                return None  # bound by an assignment (``x = f(x)``), not by the loop
            return facts.loop_loader(node.value, scope, path)  # the loop's own value, even if rebound since
        if not isinstance(node, cst.Call) or depth > 6:
            return None
        kept = self._kept_input(node, facts, scope, cls)
        if kept is not None:
            inner = flow.value_of(kept)
            if inner.anchor is None:
                return self._origin(kept, facts, scope, cls, method, 0)
            return self._batch_at(inner.anchor, inner.rank, flow, facts, scope, cls, method, depth + 1)
        return self._conv_input_origin(node, rank - 1, flow, facts, scope, cls, method) if rank else None

    def _anchored(self, ident: object, region: Optional[cst.CSTNode]) -> Optional[cst.CSTNode]:
        """The node a flow anchor names, when it lies inside ``region``."""
        if not isinstance(ident, int) or region is None:
            return None
        index = self.ctx.analysis(NodeIndex)
        node = index.node(ident)
        if node is None or not index.encloses(region, node):
            return None
        return node

    def _minus_one_view(self, v, dim: int, root: cst.CSTNode) -> Optional[cst.Call]:
        """The 3-dim ``view``/``reshape`` call whose ``-1`` at ``dim`` gave ``v`` its dim ``dim``."""
        d = v.shape[dim]
        if d.coef != 1 or len(d.syms) != 1 or not isinstance(d.syms[0], tuple) or len(d.syms[0]) != 3 \
                or d.syms[0][0] != "view" or d.syms[0][2] != dim:
            return None
        call = self._anchored(d.syms[0][1], root)
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute) or len(call.args) != 3 \
                or any(a.keyword is not None or a.star for a in call.args) \
                or literal_value(call.args[dim].value, None) != -1:
            return None  # an unknown size there, or sizes given as one tuple
        return call

    def _minus_one_is_one(self, v, dim: int, flow, root: Optional[cst.CSTNode]) -> bool:
        """The ``-1`` at ``dim`` of the view that made ``v`` is 1 whatever the sizes: the
        other target sizes multiply to the input's element count (``view(t, -1, c * h * w)``
        of a ``(t, c, h, w)`` tensor)."""
        call = self._minus_one_view(v, dim, root) if root is not None else None
        if call is None:
            return False
        source = flow.value_of(call.func.value)
        others = [d for i, d in enumerate(v.shape) if i != dim]
        return source.shape is not None and product_of(source.shape) == product_of(others)

    def _forward_param_origin(self, param: cst.Param, facts: LocalFacts, scope: ScopeInfo,
                              cls: Optional[ClassInfo], method: Optional[cst.FunctionDef]) -> Optional[Origin]:
        """A parameter of this ``forward`` (the value it was called with, even when the name
        was rebound since), to be confirmed by a call fed from a DataLoader."""
        if method is None or cls is None or method.name.value != "forward" or not facts.is_module_class(cls):
            return None
        name = param.name.value
        if not any(p is param for p in method.params.params) or name not in scope.params[1:]:
            return None
        return (id(cls.node), scope.params[1:].index(name))

    def _spatial_rank(self, ctor: Optional[cst.CSTNode], depth: int) -> Optional[int]:
        """1 / 2 / 3 for the constructor of a conv-like layer (or of a Sequential of them,
        of one kind, with element-wise layers between); None otherwise."""
        if not isinstance(ctor, cst.Call) or depth > 3:
            return None
        q = self.qualname(ctor.func)
        if q in _SPATIAL:
            return _SPATIAL[q] or None
        if q != "torch.nn.Sequential":
            return None
        entries = sequential_entries(ctor)
        ranks = set()
        for entry in entries or ():
            if not isinstance(entry, cst.Call):
                return None
            eq = self.qualname(entry.func)
            if eq in _ELEMENTWISE or _SPATIAL.get(eq or "") == 0:
                continue
            if eq == "torch.nn.Sequential":
                inner = self._spatial_rank(entry, depth + 1)
                if inner is None:
                    return None
                ranks.add(inner)
            elif eq in _SPATIAL:
                ranks.add(_SPATIAL[eq])
            else:
                return None
        return ranks.pop() if len(ranks) == 1 else None

    def finish(self) -> None:
        for call, ctor, rnn, origin in self.candidates:
            loader = origin if isinstance(origin, cst.Call) else self.fed.get(origin)  # type: ignore[arg-type]
            if loader is None:
                continue
            self.report(call, rnn=rnn, fix=self._fix(ctor), related=[
                Related(ctor, f"{rnn} 在这里创建，没有 batch_first=True", f"{rnn} is built here without batch_first=True"),
                Related(loader, "批量维在前的数据来自这个 DataLoader", "the batch-first data comes from this DataLoader"),
            ])

    def _fix(self, ctor: cst.Call) -> FixSpec:
        args = [a for a in ctor.args if not (a.keyword is not None and a.keyword.value == "batch_first")]
        if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        bf = cst.Arg(cst.Name("True"), keyword=cst.Name("batch_first"),
                     equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        return FixSpec((Replace(ctor, ctor.with_changes(args=[*args, bf])),), "设置 batch_first=True",
                       "set batch_first=True", FixSafety.UNSAFE)


def _in_loop_target(path: list) -> bool:
    """The last node of ``path`` (root first) is, or is inside, a ``for`` loop's target."""
    return any(isinstance(node, cst.For) and i + 1 < len(path) and path[i + 1] is node.target
               for i, node in enumerate(path))


def _is_dim_symbol(sym) -> bool:
    """``(anchor, i)``: dim i of the value anchored at a node."""
    return isinstance(sym, tuple) and len(sym) == 2 and isinstance(sym[0], int)


def _is_self(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "self"
