"""Hover texts: tensor conversion, arithmetic (and the in-place ``_`` variants), matrix
products and statistics (indexing and shape operations: api_shape.py)."""
from __future__ import annotations

from .api import ApiDoc, doc

DOCS: list[ApiDoc] = []

# ---------------------------------------------------------------- conversion
DOCS += [
    doc(
        "torch.Tensor.type",
        "Tensor.type(dtype=None, non_blocking=False, **kwargs) → str or Tensor",
        """
        不带参数时返回类型名字符串（如 `'torch.FloatTensor'`）；带参数时返回转换后的**新张量**，原张量不变。

        它不是原地操作：`x.type(torch.float32)` 单独一行没有任何效果，要写 `x = x.type(torch.float32)`。已经是目标类型时直接返回原张量，不复制。查看 dtype 更常用 `x.dtype`，转换更常用 `x.to(dtype)`。
        """,
        """
        Without arguments it returns the type name as a string (e.g. `'torch.FloatTensor'`); with a dtype it returns a **new tensor**, leaving the original unchanged.

        It is not in place: `x.type(torch.float32)` alone on a line does nothing; write `x = x.type(torch.float32)`. If the tensor already has that type it is returned as is, without a copy. `x.dtype` is the usual way to inspect and `x.to(dtype)` the usual way to convert.
        """,
        kind="method",
        example="""
        x = torch.tensor([1, 2])
        x.type()  # → torch.LongTensor
        x.type(torch.float32)  # → tensor([1., 2.])
        x.dtype  # → torch.int64
        """,
        see_also=("torch.Tensor.to", "torch.Tensor.float"),
    ),
    doc(
        "torch.Tensor.to",
        "Tensor.to(*args, **kwargs) → Tensor",
        """
        转换张量的 dtype 和/或设备，**返回新张量**；原张量不变，所以要赋值：`x = x.to(device)`。

        已经是目标 dtype 和设备时返回原张量本身，不复制。这和 `model.to(device)` 不同：模型的 `to` 是原地移动参数的。需要梯度的参数请直接在目标设备上创建（`torch.randn(..., device=device, requires_grad=True)`）；先设 `requires_grad` 再 `.to()` 得到的是拷贝出来的非叶子节点，它的 `.grad` 不会被填充。
        """,
        """
        Converts dtype and/or device and **returns a new tensor**; the original is unchanged, so assign it: `x = x.to(device)`.

        If the tensor already has that dtype and device it is returned as is, without a copy. This differs from `model.to(device)`, which moves the parameters in place. Create parameters that need gradients directly on the target device (`torch.randn(..., device=device, requires_grad=True)`): setting `requires_grad` first and then calling `.to()` gives a copied non-leaf tensor whose `.grad` is never filled.
        """,
        kind="method",
        example="""
        device = "cuda" if torch.cuda.is_available() else "cpu"
        x = torch.tensor([1, 2])
        x = x.to(device)
        x.to(torch.float32)  # → tensor([1., 2.])
        torch.randn(2, requires_grad=True).to(torch.float64).is_leaf  # → False
        """,
        see_also=("torch.nn.Module.to", "torch.Tensor.type", "torch.device"),
    ),
    doc(
        "torch.Tensor.numpy",
        "Tensor.numpy(*, force=False) → numpy.ndarray",
        """
        把 CPU 上的张量转成 NumPy 数组，**二者共享内存**：修改数组会同时改掉张量，反之亦然。

        需要独立副本时写 `t.numpy().copy()` 或 `t.clone().numpy()`。`requires_grad=True` 的张量要先 `.detach()`，GPU 上的张量要先 `.cpu()`，否则报错；常见写法是 `t.detach().cpu().numpy()`。
        """,
        """
        Turns a CPU tensor into a NumPy array **sharing its memory**: writing to the array changes the tensor and vice versa.

        For an independent copy write `t.numpy().copy()` or `t.clone().numpy()`. A tensor with `requires_grad=True` needs `.detach()` first and a GPU tensor needs `.cpu()` first, or it raises; the usual spelling is `t.detach().cpu().numpy()`.
        """,
        kind="method",
        example="""
        t = torch.ones(2)
        arr = t.numpy()
        arr[0] = 5.0
        t  # → tensor([5., 1.])
        torch.ones(2, requires_grad=True).numpy()  # ✗ RuntimeError
        """,
        see_also=("torch.from_numpy", "torch.Tensor.detach", "torch.Tensor.tolist"),
    ),
    doc(
        "torch.Tensor.item",
        "Tensor.item() → number",
        """
        把**只有一个元素**的张量取成 Python 数（`int`、`float` 或 `bool`）；多于一个元素时报错。

        常用于记录损失：`total += loss.item()`，这样不会把计算图一直留在内存里。形状 `[]`、`[1]`、`[1, 1]` 都可以；多个元素用 `tolist()`。在 GPU 上每次调用都要等待设备同步，别在内层循环里频繁调用。
        """,
        """
        Extracts the value of a **one-element** tensor as a Python number (`int`, `float` or `bool`); more elements raise.

        Typical for logging losses: `total += loss.item()` keeps the graph from piling up in memory. Shapes `[]`, `[1]`, `[1, 1]` all work; use `tolist()` for several elements. On a GPU every call waits for the device, so avoid it in hot inner loops.
        """,
        kind="method",
        example="""
        torch.tensor([[3.5]]).item()  # → 3.5
        torch.tensor([1, 2]).item()  # ✗ RuntimeError
        """,
        see_also=("torch.Tensor.tolist",),
    ),
    doc(
        "torch.Tensor.tolist",
        "Tensor.tolist() → list or number",
        """
        把张量转成（嵌套的）Python 列表；零维张量返回一个 Python 数。

        它总是复制数据，与张量不共享内存。
        """,
        """
        Converts the tensor to a (nested) Python list; a 0-D tensor gives a Python number.

        It always copies; nothing is shared with the tensor.
        """,
        kind="method",
        example="""
        torch.tensor([[1, 2], [3, 4]]).tolist()  # → [[1, 2], [3, 4]]
        """,
        see_also=("torch.Tensor.item", "torch.Tensor.numpy"),
    ),
    doc(
        "torch.Tensor.mT",
        "Tensor.mT → Tensor",
        """
        交换**最后两个维度**（矩阵转置，批量维不动），等价于 `x.transpose(-2, -1)`。

        结果是共享内存的视图，通常**不再内存连续**，接着调用 `.view()` 可能报错，请改用 `.reshape()` 或先 `.contiguous()`。输入至少要二维。
        """,
        """
        Swaps the **last two dimensions** (a matrix transpose that leaves batch dims alone), the same as `x.transpose(-2, -1)`.

        The result is a view sharing memory and usually **not contiguous**, so a following `.view()` may fail; use `.reshape()` or call `.contiguous()` first. The input needs at least two dimensions.
        """,
        kind="attribute",
        example="""
        x = torch.randn(2, 3, 4)
        x.mT.shape  # → torch.Size([2, 4, 3])
        x.mT.is_contiguous()  # → False
        torch.randn(3).mT  # ✗ RuntimeError
        """,
        see_also=("torch.transpose", "torch.permute", "torch.Tensor.T"),
    ),
    doc(
        "torch.Tensor.T",
        "Tensor.T → Tensor",
        """
        把**所有维度倒过来**，只在二维时才是通常意义的矩阵转置；对其他维数使用已被弃用，会给出警告。

        批量矩阵转置请用 `x.mT`，任意重排用 `x.permute(...)`。结果是视图，通常不再内存连续。
        """,
        """
        Reverses **all** dimensions; only for 2-D tensors is that the usual matrix transpose, and using it on other ranks is deprecated and warns.

        For batches of matrices use `x.mT`; for any reordering use `x.permute(...)`. The result is a view and usually not contiguous.
        """,
        kind="attribute",
        example="""
        torch.zeros(2, 3).T.shape  # → torch.Size([3, 2])
        torch.zeros(2, 3, 4).T  # ⚠ UserWarning
        """,
        see_also=("torch.Tensor.mT", "torch.permute"),
    ),
    doc(
        "torch.transpose",
        "torch.transpose(input, dim0, dim1) → Tensor",
        """
        交换两个指定维度，返回**共享内存的视图**，通常不再内存连续。

        注意它与 NumPy 的 `transpose` 不同：NumPy 的 `transpose` 相当于这里的 `permute`。之后要 `.view()` 时先 `.contiguous()`，或直接用 `.reshape()`。修改结果会改掉原张量。
        """,
        """
        Swaps two given dimensions and returns a **view sharing memory**, usually not contiguous.

        Unlike NumPy's `transpose`, which corresponds to `permute` here. Before a `.view()` call `.contiguous()`, or just use `.reshape()`. Writing to the result changes the original.
        """,
        example="""
        x = torch.randn(2, 3, 4)
        x.transpose(0, 1).shape  # → torch.Size([3, 2, 4])
        x.transpose(0, 1).view(-1)  # ✗ RuntimeError
        x.transpose(0, 1).reshape(-1).shape  # → torch.Size([24])
        """,
        see_also=("torch.permute", "torch.Tensor.mT", "torch.Tensor.contiguous"),
        aliases=("torch.Tensor.transpose",),
    ),
    doc(
        "torch.permute",
        "torch.permute(input, dims) → Tensor",
        """
        按给定顺序**重排全部维度**，返回共享内存的视图，通常不再内存连续。

        必须列出每一个维度，个数与 `input.dim()` 相同。张量方法既可写 `x.permute(2, 0, 1)` 也可写 `x.permute((2, 0, 1))`。常见用法是 HWC 图像转 CHW：`img.permute(2, 0, 1)`。
        """,
        """
        **Reorders all dimensions** in the given order and returns a view sharing memory, usually not contiguous.

        Every dimension must be listed, as many as `input.dim()`. The method accepts `x.permute(2, 0, 1)` or `x.permute((2, 0, 1))`. A common use is HWC images to CHW: `img.permute(2, 0, 1)`.
        """,
        example="""
        x = torch.rand(3, 4, 5)
        x.permute(2, 0, 1).shape  # → torch.Size([5, 3, 4])
        x.permute(2, 0)  # ✗ RuntimeError
        """,
        see_also=("torch.transpose", "torch.Tensor.mT", "torch.Tensor.contiguous"),
        aliases=("torch.Tensor.permute",),
    ),
]

# dtype shortcuts: ``x.float()`` is ``x.to(torch.float32)``.
_CASTS = (
    ("float", "torch.float32", "模型输入和参数最常用的类型", "The usual dtype for model inputs and weights"),
    ("double", "torch.float64", "NumPy 小数默认就是这个类型，送进 float32 的模型前要先 `.float()`",
     "NumPy floats default to it; call `.float()` before feeding a float32 model"),
    ("half", "torch.float16", "半精度，主要在 GPU 上节省显存；训练时更推荐 `torch.autocast`",
     "Half precision, mainly to save GPU memory; prefer `torch.autocast` for training"),
    ("long", "torch.int64", "`CrossEntropyLoss`/`NLLLoss` 的类别索引和 `nn.Embedding` 的输入都应是这个类型",
     "The dtype `CrossEntropyLoss`/`NLLLoss` class indices and `nn.Embedding` inputs should have"),
    ("int", "torch.int32", "注意 int32 不能作 `CrossEntropyLoss` 的类别索引，那里需要 `.long()`",
     "Note that int32 is rejected as `CrossEntropyLoss` class indices; use `.long()` there"),
    ("short", "torch.int16", "16 位整数", "16-bit integers"),
    ("bool", "torch.bool", "非零元素变成 `True`，零变成 `False`", "Non-zero elements become `True`, zeros `False`"),
)


def _cast(name: str, dtype: str, zh_note: str, en_note: str) -> ApiDoc:
    trunc_zh = "小数转整数时向零截断（1.7 → 1，-1.7 → -1）。" if dtype.startswith("torch.int") else ""
    trunc_en = "Floats become integers by truncation toward zero (1.7 → 1, -1.7 → -1). " if dtype.startswith("torch.int") else ""
    # nn.Module has float()/double()/half() (in place, floating parameters only), no integer casts.
    on_module = name in ("float", "double", "half")
    module_zh = f"对模型调用 `model.{name}()` 则是原地转换所有浮点参数。" if on_module else ""
    module_en = f" On a model, `model.{name}()` converts all floating parameters in place." if on_module else ""
    return doc(
        f"torch.Tensor.{name}",
        f"Tensor.{name}(memory_format=torch.preserve_format) → Tensor",
        f"""
        `x.{name}()` 等价于 `x.to({dtype})`：返回转换后的新张量，**原张量不变**，要写 `x = x.{name}()`。

        {zh_note}。{trunc_zh}已经是 `{dtype}` 时直接返回原张量。{module_zh}
        """,
        f"""
        `x.{name}()` is `x.to({dtype})`: it returns a converted new tensor and **leaves `x` unchanged**, so write `x = x.{name}()`.

        {en_note}. {trunc_en}A tensor that is already `{dtype}` is returned as is.{module_en}
        """,
        kind="method",
        example={
            "float": "torch.tensor([1, 2]).float()  # → tensor([1., 2.])",
            "double": "torch.tensor([1.0]).double().dtype  # → torch.float64",
            "half": "torch.tensor([1.0]).half().dtype  # → torch.float16",
            "long": "torch.tensor([1.7, -1.7]).long()  # → tensor([ 1, -1])",
            "int": "torch.tensor([1.7]).int().dtype  # → torch.int32",
            "short": "torch.tensor([3]).short().dtype  # → torch.int16",
            "bool": "torch.tensor([0, 2, -1]).bool()  # → tensor([False,  True,  True])",
        }[name],
        see_also=("torch.Tensor.to", "torch.Tensor.type"),
    )


DOCS += [_cast(*row) for row in _CASTS]

# ---------------------------------------------------------------- arithmetic
# (name, torch signature args, in-place method args, operator, zh what, en what, zh note, en note, example, in-place example)
_OPS = (
    ("add", "input, other, *, alpha=1, out=None", "other, *, alpha=1", "+",
     "逐元素相加（支持广播），结果是 `input + alpha × other`", "adds element-wise (with broadcasting): `input + alpha × other`",
     "", "",
     "torch.tensor([1, 2]).add(torch.tensor([10, 20]))  # → tensor([11, 22])\ntorch.add(torch.tensor([1, 2]), 1, alpha=2)  # → tensor([3, 4])",
     "x = torch.tensor([1.0, 2.0])\nx.add_(1)\nx  # → tensor([2., 3.])"),
    ("sub", "input, other, *, alpha=1, out=None", "other, *, alpha=1", "-",
     "逐元素相减（支持广播），结果是 `input - alpha × other`", "subtracts element-wise (with broadcasting): `input - alpha × other`",
     "", "",
     "torch.tensor([5, 7]).sub(torch.tensor([1, 2]))  # → tensor([4, 5])",
     "x = torch.tensor([5.0, 7.0])\nx.sub_(1)\nx  # → tensor([4., 6.])"),
    ("mul", "input, other, *, out=None", "value", "*",
     "逐元素相乘（哈达玛积，支持广播），**不是矩阵乘法**", "multiplies element-wise (the Hadamard product, with broadcasting), **not a matrix product**",
     "矩阵乘法请用 `@`、`torch.matmul` 或只接受二维的 `torch.mm`。",
     "For matrix products use `@`, `torch.matmul`, or `torch.mm` for 2-D only. ",
     "a = torch.tensor([[1, 3], [2, 4]])\nb = torch.tensor([[2, 4], [1, 3]])\na.mul(b)  # → tensor([[ 2, 12], [ 2, 12]])\na @ b  # → tensor([[ 5, 13], [ 8, 20]])",
     "x = torch.tensor([1.0, 2.0])\nx.mul_(3)\nx  # → tensor([3., 6.])"),
    ("div", "input, other, *, rounding_mode=None, out=None", "value, *, rounding_mode=None", "/",
     "逐元素相除，默认是**真除法**：整数张量相除也得到小数", "divides element-wise; by default it is **true division**, so integer tensors give floats",
     "需要整除时写 `//` 或 `rounding_mode='floor'`（向下取整）/ `'trunc'`（向零截断），负数时两者不同。",
     "For integer division use `//` or `rounding_mode='floor'` (round down) / `'trunc'` (toward zero); they differ for negatives. ",
     "torch.tensor([5, 7]) / 2  # → tensor([2.5000, 3.5000])\ntorch.tensor([5, 7]).div(2, rounding_mode='floor')  # → tensor([2, 3])",
     "x = torch.tensor([5.0, 7.0])\nx.div_(2)\nx  # → tensor([2.5000, 3.5000])\ntorch.tensor([5, 7]).div_(2)  # ✗ RuntimeError"),
    ("neg", "input, *, out=None", "", "-",
     "逐元素取相反数，等价于 `-x`", "negates element-wise, the same as `-x`",
     "布尔张量不能取负，取反请用 `~mask` 或 `logical_not()`。",
     "Bool tensors cannot be negated; invert a mask with `~mask` or `logical_not()`. ",
     "torch.tensor([1, -2]).neg()  # → tensor([-1,  2])\n-torch.tensor([True])  # ✗ RuntimeError",
     "x = torch.tensor([1, -2])\nx.neg_()\nx  # → tensor([-1,  2])"),
    ("pow", "input, exponent, *, out=None", "exponent", "**",
     "逐元素求幂，等价于 `x ** exponent`，指数可以是数或张量", "raises element-wise to a power, the same as `x ** exponent`; the exponent may be a number or a tensor",
     "整数张量不能求负整数次幂（会报错），先 `.float()`。",
     "Integer tensors cannot take negative integer powers (it raises); call `.float()` first. ",
     "torch.tensor([1, 2, 3]).pow(2)  # → tensor([1, 4, 9])\ntorch.tensor([1, 2]) ** -1  # ✗ RuntimeError",
     "x = torch.tensor([1.0, 2.0])\nx.pow_(2)\nx  # → tensor([1., 4.])"),
    ("sqrt", "input, *, out=None", "", None,
     "逐元素开平方", "takes the element-wise square root",
     "整数输入会得到浮点结果；负数的平方根是 `nan`，不会报错。",
     "Integer input gives a float result; the square root of a negative number is `nan`, not an error. ",
     "torch.tensor([4, 9]).sqrt()  # → tensor([2., 3.])\ntorch.tensor([-1.0]).sqrt()  # → tensor([nan])",
     "x = torch.tensor([4.0, 9.0])\nx.sqrt_()\nx  # → tensor([2., 3.])\ntorch.tensor([4, 9]).sqrt_()  # ✗ RuntimeError"),
    ("exp", "input, *, out=None", "", None,
     "逐元素求 e 的幂", "computes e to the power of each element",
     "整数输入得到浮点结果；数值稍大就会溢出成 `inf`，概率计算请优先用 `softmax`/`log_softmax` 这类数值稳定的函数。",
     "Integer input gives floats; moderately large values overflow to `inf`, so prefer numerically stable functions such as `softmax`/`log_softmax` for probabilities. ",
     "torch.tensor([0.0, 1.0]).exp()  # → tensor([1.0000, 2.7183])",
     "x = torch.tensor([0.0])\nx.exp_()\nx  # → tensor([1.])"),
    ("log", "input, *, out=None", "", None,
     "逐元素求自然对数（底为 e）", "computes the natural logarithm (base e) element-wise",
     "`log(0)` 是 `-inf`，负数得到 `nan`，都不报错，却会让损失变成 `nan`；对概率取对数前可加一个很小的数，或直接用 `log_softmax`。",
     "`log(0)` is `-inf` and negatives give `nan`, without an error, yet they turn the loss into `nan`; add a small epsilon before taking logs of probabilities, or use `log_softmax`. ",
     "torch.tensor([1.0, 0.0]).log()  # → tensor([0., -inf])",
     "x = torch.tensor([1.0])\nx.log_()\nx  # → tensor([0.])"),
)


def _op_docs(row) -> list[ApiDoc]:
    name, args, margs, op, zh_what, en_what, zh_note, en_note, example, inplace_example = row
    op_zh = f"，等价于运算符 `{op}`" if op and name != "neg" else ""
    op_en = f", the same as the `{op}` operator" if op and name != "neg" else ""
    out_of_place = doc(
        f"torch.{name}",
        f"torch.{name}({args}) → Tensor",
        f"""
        {zh_what}{op_zh}；返回新张量，原张量不变。

        {zh_note}原地版本是 `x.{name}_(...)`，会直接改写 `x`。
        """,
        f"""
        {en_what[0].upper() + en_what[1:]}{op_en}; returns a new tensor and leaves the inputs unchanged.

        {en_note}The in-place version `x.{name}_(...)` overwrites `x`.
        """,
        example=example,
        see_also=(f"torch.Tensor.{name}_",),
        aliases=(f"torch.Tensor.{name}",),
    )
    inplace = doc(
        f"torch.Tensor.{name}_",
        f"Tensor.{name}_({margs}) → Tensor",
        f"""
        `{name}` 的**原地操作**版本：直接改写 `x` 并返回 `x` 本身，不分配新内存。

        原地操作不能改变 `x` 的 dtype 和形状：整数张量上得到小数结果时会报错，广播也不能把 `x` 变大。对 `requires_grad=True` 的叶子节点（如模型参数）原地修改会报错，更新参数请放在 `with torch.no_grad():` 中；若 `x` 已被计算图保存用于反向传播，原地修改会让 `backward()` 报 “modified by an inplace operation”。
        """,
        f"""
        The **in-place** version of `{name}`: overwrites `x` and returns `x` itself, without allocating.

        In-place ops cannot change `x`'s dtype or shape: a float result on an integer tensor raises, and broadcasting cannot grow `x`. Modifying a leaf with `requires_grad=True` (such as a parameter) in place raises; update parameters inside `with torch.no_grad():`. If the graph saved `x` for the backward pass, the in-place write makes `backward()` fail with "modified by an inplace operation".
        """,
        kind="method",
        example=inplace_example,
        see_also=(f"torch.{name}", "torch.no_grad"),
    )
    return [out_of_place, inplace]


for _row in _OPS:
    DOCS += _op_docs(_row)

# ---------------------------------------------------------------- matrix products
DOCS += [
    doc(
        "torch.mm",
        "torch.mm(input, mat2, *, out=None) → Tensor",
        """
        **只接受二维**的矩阵乘法：`(n, m) @ (m, p) → (n, p)`，不广播。

        一维向量或带批量维的三维张量会直接报错；这些情况用 `torch.matmul`（`@`），批量矩阵用 `torch.bmm`。两个矩阵的 dtype 必须相同，int64 乘 float32 会报错。
        """,
        """
        Matrix product of **2-D tensors only**: `(n, m) @ (m, p) → (n, p)`, no broadcasting.

        Vectors or batched 3-D tensors raise; use `torch.matmul` (`@`) for those and `torch.bmm` for batches. Both matrices need the same dtype; int64 times float32 raises.
        """,
        example="""
        torch.mm(torch.randn(2, 3), torch.randn(3, 4)).shape  # → torch.Size([2, 4])
        torch.mm(torch.randn(5, 2, 3), torch.randn(3, 4))  # ✗ RuntimeError
        """,
        see_also=("torch.matmul", "torch.bmm", "torch.mul"),
        aliases=("torch.Tensor.mm",),
    ),
    doc(
        "torch.matmul",
        "torch.matmul(input, other, *, out=None) → Tensor",
        """
        通用的矩阵乘法，等价于运算符 `@`：按**最后两个维度**做矩阵乘，前面的批量维按广播规则对齐。

        一维和一维是点积（得到标量），二维和一维是矩阵乘向量。`A @ B` 要求 A 的最后一维等于 B 的倒数第二维。要逐元素相乘请用 `*`，那是另一回事。
        """,
        """
        General matrix product, the `@` operator: multiplies over the **last two dimensions** and broadcasts the leading batch dimensions.

        1-D with 1-D is a dot product (a scalar); 2-D with 1-D is matrix × vector. `A @ B` needs A's last dim to equal B's second-to-last. For element-wise products use `*`, which is something else.
        """,
        example="""
        (torch.randn(2, 2, 3, 3) @ torch.randn(2, 2, 3, 10)).shape  # → torch.Size([2, 2, 3, 10])
        (torch.randn(5, 1, 3, 3) @ torch.randn(4, 3, 2)).shape  # → torch.Size([5, 4, 3, 2])
        torch.tensor([1.0, 2.0]) @ torch.tensor([3.0, 4.0])  # → tensor(11.)
        """,
        see_also=("torch.mm", "torch.bmm", "torch.mul"),
        aliases=("torch.Tensor.matmul", "torch.Tensor.__matmul__"),
    ),
    doc(
        "torch.bmm",
        "torch.bmm(input, mat2, *, out=None) → Tensor",
        """
        批量矩阵乘法：两个**三维**张量 `(b, n, m)` 与 `(b, m, p)` 逐批相乘，得到 `(b, n, p)`，不广播。

        两边的批量大小必须相同。需要广播或维数不定时用 `torch.matmul`。
        """,
        """
        Batched matrix product: two **3-D** tensors `(b, n, m)` and `(b, m, p)` multiplied batch by batch into `(b, n, p)`, without broadcasting.

        Both batch sizes must match. Use `torch.matmul` when you need broadcasting or other ranks.
        """,
        example="""
        torch.bmm(torch.randn(5, 2, 3), torch.randn(5, 3, 4)).shape  # → torch.Size([5, 2, 4])
        torch.bmm(torch.randn(5, 2, 3), torch.randn(3, 4))  # ✗ RuntimeError
        """,
        see_also=("torch.matmul", "torch.mm"),
        aliases=("torch.Tensor.bmm",),
    ),
]

# ---------------------------------------------------------------- statistics
DOCS += [
    doc(
        "torch.sum",
        "torch.sum(input, dim, keepdim=False, *, dtype=None) → Tensor",
        """
        求和：不给 `dim` 时对所有元素求和得到标量，给 `dim` 时沿该维求和并**去掉这一维**。

        `keepdim=True` 保留这一维（长度变为 1），便于和原张量广播相除，例如 `x / x.sum(dim=1, keepdim=True)`。`dim` 可以是元组，一次对多个维度求和。整数和布尔张量求和得到 int64，可用来数 `True` 的个数。
        """,
        """
        Sums: without `dim` over all elements (a scalar), with `dim` along that dimension, **which is removed**.

        `keepdim=True` keeps it with length 1, ready for broadcasting, e.g. `x / x.sum(dim=1, keepdim=True)`. `dim` may be a tuple to reduce several dims at once. Integer and bool tensors sum to int64, handy for counting `True` values.
        """,
        example="""
        x = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
        x.sum()  # → tensor(21.)
        x.sum(dim=0)  # → tensor([5., 7., 9.])
        x.sum(dim=1, keepdim=True).shape  # → torch.Size([2, 1])
        (x > 2).sum()  # → tensor(4)
        """,
        see_also=("torch.mean",),
        aliases=("torch.Tensor.sum",),
    ),
    doc(
        "torch.mean",
        "torch.mean(input, dim, keepdim=False, *, dtype=None) → Tensor",
        """
        求平均：不给 `dim` 时对全部元素，给 `dim` 时沿该维并去掉这一维（`keepdim=True` 保留）。

        **整数张量不能直接求平均**，会报错；先 `.float()`，或传 `dtype=torch.float32`。求准确率时常写 `(pred == y).float().mean()`。空张量的平均值是 `nan`。
        """,
        """
        Averages: over all elements without `dim`, or along `dim`, removing it (`keepdim=True` keeps it).

        **Integer tensors raise**; call `.float()` first or pass `dtype=torch.float32`. Accuracy is usually `(pred == y).float().mean()`. The mean of an empty tensor is `nan`.
        """,
        example="""
        x = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
        x.mean(dim=1)  # → tensor([3., 4.])
        torch.tensor([1, 2]).mean()  # ✗ RuntimeError
        torch.tensor([1, 2]).float().mean()  # → tensor(1.5000)
        """,
        see_also=("torch.sum", "torch.std"),
        aliases=("torch.Tensor.mean",),
    ),
    doc(
        "torch.max",
        "torch.max(input, dim, keepdim=False, *, out=None) → (Tensor, LongTensor)",
        """
        求最大值，返回形式取决于参数：不给 `dim` 时只返回一个标量张量；给 `dim` 时返回**两个**张量 `(values, indices)`。

        所以 `values, idx = x.max(dim=1)` 可以解包，而 `x.max()` 不能。只要索引时直接用 `argmax`。`torch.max(a, b)` 传两个张量时是逐元素取较大值。有 `nan` 时结果是 `nan`。
        """,
        """
        Maximum; the result depends on the arguments: without `dim` a single scalar tensor, with `dim` **two** tensors `(values, indices)`.

        So `values, idx = x.max(dim=1)` unpacks while `x.max()` does not. If you only need the index use `argmax`. `torch.max(a, b)` with two tensors is the element-wise maximum. Any `nan` makes the result `nan`.
        """,
        example="""
        x = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
        x.max()  # → tensor(6.)
        values, idx = x.max(dim=1)
        idx  # → tensor([1, 2])
        """,
        see_also=("torch.argmax", "torch.min"),
        aliases=("torch.Tensor.max",),
    ),
    doc(
        "torch.min",
        "torch.min(input, dim, keepdim=False, *, out=None) → (Tensor, LongTensor)",
        """
        求最小值：不给 `dim` 时返回一个标量张量，给 `dim` 时返回 `(values, indices)` 两个张量。

        只要索引时用 `argmin`；`torch.min(a, b)` 传两个张量时是逐元素取较小值。
        """,
        """
        Minimum: without `dim` a single scalar tensor, with `dim` two tensors `(values, indices)`.

        Use `argmin` if you only need the index; `torch.min(a, b)` with two tensors is the element-wise minimum.
        """,
        example="""
        x = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
        x.min(dim=1).values  # → tensor([1., 2.])
        """,
        see_also=("torch.argmin", "torch.max"),
        aliases=("torch.Tensor.min",),
    ),
    doc(
        "torch.argmax",
        "torch.argmax(input, dim, keepdim=False) → LongTensor",
        """
        返回最大值的**索引**（int64）；不给 `dim` 时是把张量展平后的索引。

        分类预测通常写 `logits.argmax(dim=1)` 得到每个样本的类别；忘了 `dim` 会得到整个批量展平后的一个数。最大值有多个时返回第一个的位置。
        """,
        """
        Returns the **index** of the maximum (int64); without `dim` it indexes the flattened tensor.

        Class predictions are usually `logits.argmax(dim=1)`, one per sample; forgetting `dim` gives a single index into the flattened batch. Ties return the first position.
        """,
        example="""
        x = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
        x.argmax()  # → tensor(5)
        x.argmax(dim=1)  # → tensor([1, 2])
        """,
        see_also=("torch.max", "torch.argmin"),
        aliases=("torch.Tensor.argmax",),
    ),
    doc(
        "torch.argmin",
        "torch.argmin(input, dim=None, keepdim=False) → LongTensor",
        """
        返回最小值的索引（int64）；不给 `dim` 时是展平后的索引。

        最小值有多个时返回第一个的位置。
        """,
        """
        Returns the index of the minimum (int64); without `dim`, into the flattened tensor.

        Ties return the first position.
        """,
        example="""
        torch.tensor([[1.0, 5.0], [0.5, 2.0]]).argmin(dim=0)  # → tensor([1, 1])
        """,
        see_also=("torch.min", "torch.argmax"),
        aliases=("torch.Tensor.argmin",),
    ),
    doc(
        "torch.std",
        "torch.std(input, dim=None, *, correction=1, keepdim=False, out=None) → Tensor",
        """
        求标准差，**默认是样本标准差**（除以 N − 1，`correction=1`），和 NumPy 默认的 `np.std`（除以 N）不同。

        要与 NumPy 结果一致时写 `correction=0`。只支持浮点张量；只有一个元素时样本标准差是 `nan`。
        """,
        """
        Standard deviation, **sample standard deviation by default** (divides by N − 1, `correction=1`), unlike NumPy's default `np.std` (divides by N).

        Pass `correction=0` to match NumPy. Only floating tensors are supported; with a single element the sample std is `nan`.
        """,
        example="""
        x = torch.tensor([1.0, 2.0, 3.0, 4.0])
        x.std()  # → tensor(1.2910)
        x.std(correction=0)  # → tensor(1.1180)
        torch.tensor([1, 2]).std()  # ✗ RuntimeError
        """,
        see_also=("torch.mean",),
        aliases=("torch.Tensor.std",),
    ),
    doc(
        "torch.unique",
        "torch.unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None) → tuple[Tensor, Tensor, Tensor]",
        """
        去重：返回输入中出现过的不同元素，默认按升序排列，且**先展平**成一维。

        `return_counts=True` 同时返回每个值出现的次数，`return_inverse=True` 返回每个原元素在结果中的位置；这时返回元组，要解包。`dim` 可按整行/整列去重。只想合并相邻重复值用 `torch.unique_consecutive`。
        """,
        """
        Deduplicates: returns the distinct elements, sorted ascending by default, after **flattening** the input.

        `return_counts=True` also returns how often each value occurs and `return_inverse=True` where each original element went; the result is then a tuple to unpack. `dim` deduplicates whole rows/columns. Use `torch.unique_consecutive` to merge only adjacent repeats.
        """,
        example="""
        u = torch.tensor([3, 1, 2, 3, 1])
        u.unique()  # → tensor([1, 2, 3])
        values, counts = u.unique(return_counts=True)
        counts  # → tensor([2, 1, 2])
        """,
        see_also=("torch.sort",),
        aliases=("torch.Tensor.unique",),
    ),
    doc(
        "torch.sort",
        "torch.sort(input, dim=-1, descending=False, *, stable=False, out=None) → (Tensor, LongTensor)",
        """
        沿某一维排序，默认沿**最后一维升序**，返回 `(values, indices)` 两个张量。

        降序写 `descending=True`。`indices` 是排序后各元素原来的位置，可用来同步重排别的张量。默认不保证相等元素的相对顺序，需要时写 `stable=True`。只要前 k 个用 `torch.topk` 更快。
        """,
        """
        Sorts along one dimension, by default the **last one, ascending**, returning `(values, indices)`.

        Use `descending=True` for descending order. `indices` are the original positions, useful for reordering other tensors the same way. Equal elements keep no particular order unless `stable=True`. `torch.topk` is faster when you only need the top k.
        """,
        example="""
        values, idx = torch.sort(torch.tensor([3, 1, 2]))
        values  # → tensor([1, 2, 3])
        idx  # → tensor([1, 2, 0])
        torch.tensor([3, 1, 2]).sort(descending=True).values  # → tensor([3, 2, 1])
        """,
        see_also=("torch.argmax", "torch.unique"),
        aliases=("torch.Tensor.sort",),
    ),
]
