"""Hover texts: tensor indexing and shape operations (view, reshape, permute, squeeze, ...)."""
from __future__ import annotations

from .api import ApiDoc, doc

DOCS: list[ApiDoc] = []

# ---------------------------------------------------------------- indexing
DOCS += [
    doc(
        "torch.Tensor.__getitem__",
        "tensor[index] → Tensor",
        """
        张量索引：整数和切片得到**共享内存的视图**，整数列表（或张量）和布尔掩码得到**复制出的新张量**。

        切片 `t[a:b:step]` 的步长必须为正，倒序请用 `t.flip(dim)`。多个维度的索引列表要能广播成相同形状，一一对应地取元素；嵌套列表如 `t[[[0], [1]], [1, 2]]` 会广播成二维。布尔掩码 `t[t > 5]` 返回满足条件的元素组成的一维张量。用带重复下标的列表赋值 `x[idx] += 1` 时，重复位置只加一次，需要累加请用 `x.index_add_(...)`。
        """,
        """
        Tensor indexing: integers and slices give **views sharing memory**; integer lists (or tensors) and boolean masks give **copies**.

        A slice step `t[a:b:step]` must be positive; reverse with `t.flip(dim)`. Index lists for several dims must broadcast to one shape and pick elements pairwise; nested lists such as `t[[[0], [1]], [1, 2]]` broadcast to 2-D. A boolean mask `t[t > 5]` returns the matching elements as a 1-D tensor. With repeated indices, `x[idx] += 1` adds only once per position; use `x.index_add_(...)` to accumulate.
        """,
        kind="method",
        example="""
        t = torch.arange(24).reshape(2, 3, 4)
        t[1, 2, 3]  # → tensor(23)
        t[:, :, 0:2].shape  # → torch.Size([2, 3, 2])
        t[[0, 1], [1, 2]].shape  # → torch.Size([2, 4])
        t[t > 20]  # → tensor([21, 22, 23])
        t[::-1]  # ✗ ValueError
        """,
        see_also=("torch.index_select", "torch.masked_select", "torch.Tensor.view"),
    ),
    doc(
        "torch.index_select",
        "torch.index_select(input, dim, index, *, out=None) → Tensor",
        """
        沿 `dim` 按 `index` 取出若干切片，返回**新张量**（复制）。

        `index` 必须是一维的整数**张量**（int64 或 int32），不能是 Python 列表。效果等同于在该维上用整数列表索引。
        """,
        """
        Picks slices along `dim` at the positions in `index` and returns a **new tensor** (a copy).

        `index` must be a 1-D integer **tensor** (int64 or int32), not a Python list. Same effect as indexing that dim with an integer list.
        """,
        example="""
        t = torch.arange(6).reshape(2, 3)
        torch.index_select(t, 1, torch.tensor([0, 2]))  # → tensor([[0, 2], [3, 5]])
        torch.index_select(t, 1, [0, 2])  # ✗ TypeError
        """,
        see_also=("torch.Tensor.__getitem__", "torch.masked_select"),
        aliases=("torch.Tensor.index_select",),
    ),
    doc(
        "torch.masked_select",
        "torch.masked_select(input, mask, *, out=None) → Tensor",
        """
        按布尔掩码取出元素，返回**一维**的新张量，与 `input[mask]` 相同。

        `mask` 必须是布尔张量，形状能与 `input` 广播。结果长度取决于有多少个 `True`，原来的形状信息会丢失。
        """,
        """
        Picks the elements where a boolean mask is true and returns a **1-D** new tensor, the same as `input[mask]`.

        `mask` must be a bool tensor broadcastable to `input`. The length depends on how many are `True`; the original shape is lost.
        """,
        example="""
        t = torch.arange(6).reshape(2, 3)
        torch.masked_select(t, t > 3)  # → tensor([4, 5])
        """,
        see_also=("torch.Tensor.__getitem__", "torch.index_select"),
        aliases=("torch.Tensor.masked_select",),
    ),
]

# ---------------------------------------------------------------- shape
DOCS += [
    doc(
        "torch.Tensor.view",
        "Tensor.view(*shape) → Tensor",
        """
        不复制数据地改变形状，结果与原张量**共享内存**；要求新形状与原张量的步幅兼容，内存连续的张量总能 `view`。

        `transpose`、`permute`、`.mT`、`.T` 之后张量一般不再内存连续，再 `view` 会报 “view size is not compatible with input tensor's size and stride”。这时改用 `.reshape()`，或先 `.contiguous()` 再 `view`。形状中可以有一个 `-1`，由元素总数推出。
        """,
        """
        Reshapes without copying; the result **shares memory** with the original. The new shape must be compatible with the tensor's strides; a contiguous tensor can always be viewed.

        After `transpose`, `permute`, `.mT` or `.T` a tensor is usually not contiguous and `view` fails with "view size is not compatible with input tensor's size and stride". Use `.reshape()` instead, or call `.contiguous()` before `view`. One dimension may be `-1`, inferred from the element count.
        """,
        kind="method",
        example="""
        x = torch.arange(6)
        x.view(2, 3).shape  # → torch.Size([2, 3])
        x.view(2, 3).t().view(6)  # ✗ RuntimeError
        x.view(2, 3).t().contiguous().view(6)  # → tensor([0, 3, 1, 4, 2, 5])
        """,
        see_also=("torch.reshape", "torch.Tensor.contiguous", "torch.Tensor.is_contiguous"),
    ),
    doc(
        "torch.reshape",
        "torch.reshape(input, shape) → Tensor",
        """
        改变形状，能不复制就不复制：步幅兼容时返回共享内存的视图，否则（如 `transpose` 之后）复制一份。

        所以它在 `view` 会报错的地方也能工作；但**不要依赖**结果是否与原张量共享内存——需要共享用 `view`，需要独立副本用 `clone()`。形状中可以有一个 `-1`。
        """,
        """
        Changes the shape, copying only when it must: a view sharing memory when the strides allow it, otherwise (e.g. after `transpose`) a copy.

        So it works where `view` fails, but **do not rely** on whether the result shares memory: use `view` when you need sharing and `clone()` when you need a copy. One dimension may be `-1`.
        """,
        example="""
        x = torch.randn(2, 3, 4)
        x.reshape(2, -1).shape  # → torch.Size([2, 12])
        x.transpose(0, 1).reshape(-1).shape  # → torch.Size([24])
        """,
        see_also=("torch.Tensor.view", "torch.flatten"),
        aliases=("torch.Tensor.reshape",),
    ),
    doc(
        "torch.Tensor.contiguous",
        "Tensor.contiguous(memory_format=torch.contiguous_format) → Tensor",
        """
        返回一个**内存连续**的张量：已经连续时直接返回原张量，否则按当前形状复制一份。

        `transpose`、`permute`、`.mT` 之后想用 `view` 时，先调用它：`x.permute(0, 2, 1).contiguous().view(n, -1)`。复制后的结果不再与原张量共享内存。
        """,
        """
        Returns a **contiguous** tensor: the tensor itself if it already is, otherwise a copy laid out in the current shape.

        Call it after `transpose`, `permute` or `.mT` before `view`: `x.permute(0, 2, 1).contiguous().view(n, -1)`. A copied result no longer shares memory with the original.
        """,
        kind="method",
        example="""
        p = torch.rand(2, 3, 4).permute(2, 0, 1)
        p.is_contiguous()  # → False
        p.contiguous().is_contiguous()  # → True
        """,
        see_also=("torch.Tensor.is_contiguous", "torch.Tensor.view"),
    ),
    doc(
        "torch.Tensor.is_contiguous",
        "Tensor.is_contiguous(memory_format=torch.contiguous_format) → bool",
        """
        判断张量是否**内存连续**，即元素在内存中按行优先紧密排列。

        新建的张量是连续的；`transpose`、`permute`、`.mT`、按列切片 `x[:, 1]` 等操作得到的视图通常不连续。不连续的张量仍可正常计算，只是 `view` 可能失败。
        """,
        """
        Tells whether the tensor is laid out **contiguously** in row-major order.

        Freshly created tensors are contiguous; views from `transpose`, `permute`, `.mT` or column slices like `x[:, 1]` usually are not. Non-contiguous tensors compute fine; only `view` may fail.
        """,
        kind="method",
        example="""
        torch.ones(3, 4).is_contiguous()  # → True
        torch.ones(3, 4)[:, 1].is_contiguous()  # → False
        """,
        see_also=("torch.Tensor.contiguous", "torch.Tensor.view"),
    ),
    doc(
        "torch.squeeze",
        "torch.squeeze(input, dim=None) → Tensor",
        """
        删除长度为 1 的维度；**不给 `dim` 时删除所有**长度为 1 的维度。

        不写 `dim` 很危险：批量大小恰好为 1 时，批量维也会被删掉，后续形状就全错了。请写明 `dim`（可以是整数或元组）；指定的维长度不是 1 时什么也不做，不报错。结果是共享内存的视图。
        """,
        """
        Removes dimensions of size 1; **without `dim` it removes all of them**.

        Omitting `dim` is risky: when the batch size happens to be 1 the batch dimension disappears too and every later shape is wrong. Name the `dim` (an int or a tuple); a named dimension whose size is not 1 is left alone without error. The result is a view sharing memory.
        """,
        example="""
        x = torch.rand(1, 3, 1, 4)
        x.squeeze().shape  # → torch.Size([3, 4])
        x.squeeze(0).shape  # → torch.Size([3, 1, 4])
        x.squeeze(1).shape  # → torch.Size([1, 3, 1, 4])
        torch.rand(1, 10).squeeze().shape  # → torch.Size([10])
        """,
        see_also=("torch.unsqueeze", "torch.Tensor.view"),
        aliases=("torch.Tensor.squeeze",),
    ),
    doc(
        "torch.unsqueeze",
        "torch.unsqueeze(input, dim) → Tensor",
        """
        在 `dim` 位置插入一个长度为 1 的新维度，结果是共享内存的视图。

        `dim` 的取值范围是 `[-input.dim() - 1, input.dim()]`，`-1` 表示加在最后。常用来给单个样本补上批量维：`x.unsqueeze(0)`。
        """,
        """
        Inserts a new dimension of size 1 at `dim`; the result is a view sharing memory.

        `dim` ranges over `[-input.dim() - 1, input.dim()]`; `-1` appends at the end. A common use is adding a batch dimension to one sample: `x.unsqueeze(0)`.
        """,
        example="""
        x = torch.rand(3, 4)
        x.unsqueeze(0).shape  # → torch.Size([1, 3, 4])
        x.unsqueeze(1).shape  # → torch.Size([3, 1, 4])
        x.unsqueeze(-1).shape  # → torch.Size([3, 4, 1])
        """,
        see_also=("torch.squeeze",),
        aliases=("torch.Tensor.unsqueeze",),
    ),
    doc(
        "torch.flatten",
        "torch.flatten(input, start_dim=0, end_dim=-1) → Tensor",
        """
        把 `start_dim` 到 `end_dim` 之间的维度压成一维；`torch.flatten` 默认从第 0 维开始，会把批量维也压进去。

        卷积输出接全连接层时应写 `torch.flatten(x, 1)`，保留批量维。注意 `nn.Flatten` 的默认值是 `start_dim=1`，与这里不同。能不复制时返回视图。
        """,
        """
        Collapses the dimensions from `start_dim` to `end_dim` into one; `torch.flatten` starts at dim 0 by default and so folds the batch dimension in too.

        Before a linear layer after convolutions write `torch.flatten(x, 1)` to keep the batch. Note that `nn.Flatten` defaults to `start_dim=1`, unlike this function. Returns a view when no copy is needed.
        """,
        example="""
        x = torch.zeros(2, 3, 4)
        torch.flatten(x).shape  # → torch.Size([24])
        torch.flatten(x, 1).shape  # → torch.Size([2, 12])
        """,
        see_also=("torch.nn.Flatten", "torch.reshape"),
        aliases=("torch.Tensor.flatten",),
    ),
    doc(
        "torch.cat",
        "torch.cat(tensors, dim=0, *, out=None) → Tensor",
        """
        沿**已有的**维度 `dim` 拼接一组张量，维数不变；除拼接维外，其余维度大小必须相同。

        第一个参数是张量的列表或元组：写 `torch.cat([a, b], dim=1)`，不是 `torch.cat(a, b)`。所有张量的维数必须相同。要在新维度上堆叠用 `torch.stack`。结果是新张量（复制）。
        """,
        """
        Concatenates tensors along an **existing** dimension `dim`; the rank stays the same and all other dimensions must match.

        The first argument is a list or tuple: `torch.cat([a, b], dim=1)`, not `torch.cat(a, b)`. All tensors need the same number of dimensions. Use `torch.stack` to join along a new dimension. The result is a new tensor (a copy).
        """,
        example="""
        a = torch.zeros(2, 3)
        b = torch.zeros(2, 2)
        torch.cat([a, b], dim=1).shape  # → torch.Size([2, 5])
        torch.cat([a, b])  # ✗ RuntimeError
        """,
        see_also=("torch.stack",),
        aliases=("torch.concat", "torch.concatenate"),
    ),
    doc(
        "torch.stack",
        "torch.stack(tensors, dim=0, *, out=None) → Tensor",
        """
        沿一个**新维度**把形状完全相同的张量堆叠起来，结果比输入多一维。

        例如 N 个形状为 `(3, 4)` 的张量，`dim=0` 得到 `(N, 3, 4)`。形状只要有一点不同就报错；只想接在已有维度后面用 `torch.cat`。
        """,
        """
        Stacks tensors of **identical shape** along a **new dimension**; the result has one more dimension than the inputs.

        For example N tensors of shape `(3, 4)` with `dim=0` give `(N, 3, 4)`. Any shape difference raises; use `torch.cat` to join along an existing dimension.
        """,
        example="""
        a = torch.zeros(2, 3)
        torch.stack([a, a]).shape  # → torch.Size([2, 2, 3])
        torch.stack([a, a], dim=2).shape  # → torch.Size([2, 3, 2])
        torch.stack([a, torch.zeros(2, 2)])  # ✗ RuntimeError
        """,
        see_also=("torch.cat", "torch.unsqueeze"),
    ),
    doc(
        "torch.Tensor.size",
        "Tensor.size(dim=None) → torch.Size or int",
        """
        返回张量的形状 `torch.Size`（元组的子类）；给出 `dim` 时返回该维的长度（`int`）。`x.shape` 与 `x.size()` 相同。

        注意 `size` 是方法：取某一维写 `x.size(0)` 或 `x.shape[0]`，不能写 `x.size[0]`。
        """,
        """
        Returns the shape as a `torch.Size` (a tuple subclass); with `dim`, that dimension's length as an `int`. `x.shape` is the same as `x.size()`.

        `size` is a method: write `x.size(0)` or `x.shape[0]` for one dimension, not `x.size[0]`.
        """,
        kind="method",
        example="""
        x = torch.ones(2, 3)
        x.size()  # → torch.Size([2, 3])
        x.size(-1)  # → 3
        x.shape[0]  # → 2
        """,
        see_also=("torch.Tensor.view", "torch.Tensor.dtype"),
        aliases=("torch.Tensor.shape",),
    ),
    doc(
        "torch.Tensor.dtype",
        "Tensor.dtype → torch.dtype",
        """
        张量元素的数据类型，如 `torch.float32`、`torch.int64`、`torch.bool`。

        两个张量运算时 dtype 会按类型提升规则合并（int64 + float32 → float32）；但矩阵乘法、`nn.Linear` 等要求双方 dtype 一致，不一致会报 “must have the same dtype”。转换用 `x.to(dtype)` 或 `x.float()`、`x.long()`。
        """,
        """
        The element type of the tensor, e.g. `torch.float32`, `torch.int64`, `torch.bool`.

        Element-wise operations promote mixed dtypes (int64 + float32 → float32), but matrix products, `nn.Linear` and the like need matching dtypes and raise "must have the same dtype" otherwise. Convert with `x.to(dtype)` or `x.float()`, `x.long()`.
        """,
        kind="attribute",
        example="""
        torch.tensor([1, 2]).dtype  # → torch.int64
        (torch.tensor([1, 2]) + torch.tensor([0.5])).dtype  # → torch.float32
        """,
        see_also=("torch.Tensor.to", "torch.Tensor.type"),
    ),
]
