"""Hover texts: creating tensors (from data, by shape, by range, random) and seeding."""
from __future__ import annotations

from .api import ApiDoc, doc

DOCS: list[ApiDoc] = [
    doc(
        "torch.tensor",
        "torch.tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) → Tensor",
        """
        用数据（数值、列表、NumPy 数组）**复制**出一个新张量，dtype 从数据推断：整数得到 `int64`，小数得到 `float32`，`True/False` 得到 `bool`。

        因为总是复制，之后修改原数组不会影响张量；想共享内存请用 `torch.from_numpy`。整数数据得到的是 int64 张量，送进 `nn.Linear` 或设置 `requires_grad=True` 都会报错，这时写小数字面量或 `dtype=torch.float32`。从已有张量复制请用 `t.detach().clone()`，`torch.tensor(t)` 会给出警告。
        """,
        """
        **Copies** data (a number, a list, a NumPy array) into a new tensor and infers the dtype: integers give `int64`, floats give `float32`, `True/False` give `bool`.

        Because it always copies, later changes to the source array do not reach the tensor; use `torch.from_numpy` to share memory. Integer data gives an int64 tensor, which `nn.Linear` and `requires_grad=True` reject: write float literals or pass `dtype=torch.float32`. To copy an existing tensor use `t.detach().clone()`; `torch.tensor(t)` warns.
        """,
        example="""
        torch.tensor([1, 2]).dtype  # → torch.int64
        torch.tensor([1.0, 2]).dtype  # → torch.float32
        torch.tensor(3.0).shape  # → torch.Size([])
        torch.tensor([1, 2], dtype=torch.float32)  # → tensor([1., 2.])
        """,
        see_also=("torch.Tensor", "torch.from_numpy", "torch.as_tensor"),
    ),
    doc(
        "torch.Tensor",
        "class torch.Tensor(*size) / torch.Tensor(data)",
        """
        张量的类型本身；当作函数调用时得到**默认浮点类型（通常是 float32）**的张量，整数数据也会变成小数。

        它有两种用法，容易混淆：`torch.Tensor(3, 4)` 按**形状**创建一个未初始化的张量（内容是内存里的随机残值），`torch.Tensor([3, 4])` 才是按**数据**创建。`torch.Tensor(3)` 是长度为 3 的未初始化张量，而不是 `[3.]`。它也不接受 `dtype` 参数。新代码请用 `torch.tensor(data, dtype=...)` 按数据创建，用 `torch.zeros/empty(size)` 按形状创建。
        """,
        """
        The tensor type itself; called as a function it makes a tensor of the **default floating dtype (usually float32)**, turning integer data into floats.

        It has two easily confused forms: `torch.Tensor(3, 4)` creates an uninitialised tensor of that **shape** (whatever bytes were in memory), while `torch.Tensor([3, 4])` creates one from **data**. `torch.Tensor(3)` is an uninitialised tensor of length 3, not `[3.]`. It takes no `dtype` argument. In new code use `torch.tensor(data, dtype=...)` for data and `torch.zeros/empty(size)` for shapes.
        """,
        kind="class",
        example="""
        torch.Tensor([1, 2]).dtype  # → torch.float32
        torch.Tensor(3).shape  # → torch.Size([3])
        torch.Tensor([3])  # → tensor([3.])
        torch.Tensor([1, 2], dtype=torch.int64)  # ✗ TypeError
        """,
        see_also=("torch.tensor", "torch.zeros", "torch.empty"),
    ),
    doc(
        "torch.arange",
        "torch.arange(start=0, end, step=1, *, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False) → Tensor",
        """
        按步长生成一维等差张量，区间**前闭后开** `[start, end)`：`end` 本身不包含在内。

        只给一个参数时它是 `end`，从 0 开始。参数全是整数时结果是 int64，任一参数是小数时是 float32。小数步长会有浮点误差，末尾可能多出或少一个元素；需要固定个数时改用 `torch.linspace`。
        """,
        """
        Makes a 1-D tensor with a fixed step over the **half-open** interval `[start, end)`: `end` itself is excluded.

        With a single argument that argument is `end` and counting starts at 0. All-integer arguments give int64, any float argument gives float32. Float steps suffer rounding, so the last element may appear or vanish; when you need an exact count use `torch.linspace`.
        """,
        example="""
        torch.arange(5)  # → tensor([0, 1, 2, 3, 4])
        torch.arange(10, 30, 5)  # → tensor([10, 15, 20, 25])
        torch.arange(0, 1, 0.25)  # → tensor([0.0000, 0.2500, 0.5000, 0.7500])
        """,
        see_also=("torch.linspace", "torch.logspace"),
    ),
    doc(
        "torch.linspace",
        "torch.linspace(start, end, steps, *, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False) → Tensor",
        """
        在 `start` 和 `end` 之间均匀取 `steps` 个点，区间**前闭后闭**：两个端点都包含在内。

        第三个参数是**点的个数**而不是步长（和 `arange` 不同），并且必须给出。默认 dtype 是 float32，即使端点是整数。
        """,
        """
        Takes `steps` evenly spaced points from `start` to `end`, **both ends included**.

        The third argument is the **number of points**, not a step (unlike `arange`), and it is required. The default dtype is float32 even for integer endpoints.
        """,
        example="""
        torch.linspace(10, 30, 5)  # → tensor([10., 15., 20., 25., 30.])
        torch.linspace(0, 1, 5)  # → tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
        torch.linspace(0, 1)  # ✗ TypeError
        """,
        see_also=("torch.arange", "torch.logspace"),
    ),
    doc(
        "torch.logspace",
        "torch.logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False) → Tensor",
        """
        生成 `steps` 个按对数均匀分布的数：`base ** linspace(start, end, steps)`，两端都包含。

        `start` 和 `end` 是**指数**而不是数值本身：`torch.logspace(0, 2, 3)` 得到 1、10、100。底数默认为 10，可用 `base=2` 改。常用于网格搜索学习率。
        """,
        """
        Makes `steps` numbers evenly spaced on a log scale: `base ** linspace(start, end, steps)`, both ends included.

        `start` and `end` are **exponents**, not the values: `torch.logspace(0, 2, 3)` gives 1, 10, 100. The base defaults to 10; change it with `base=2`. Handy for learning-rate grid searches.
        """,
        example="""
        torch.logspace(0, 2, 3)  # → tensor([  1.,  10., 100.])
        torch.logspace(0, 3, 4, base=2)  # → tensor([1., 2., 4., 8.])
        """,
        see_also=("torch.linspace", "torch.arange"),
    ),
    doc(
        "torch.zeros",
        "torch.zeros(*size, *, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False) → Tensor",
        """
        创建指定形状、全为 0 的张量，默认 dtype 是 float32。

        形状可以写成多个整数 `torch.zeros(2, 3)`，也可以写成一个元组或列表 `torch.zeros((2, 3))`，两者等价。需要整数零张量时传 `dtype=torch.long`。
        """,
        """
        Creates a tensor of the given shape filled with 0; the default dtype is float32.

        The shape can be several integers `torch.zeros(2, 3)` or one tuple/list `torch.zeros((2, 3))`; both mean the same. Pass `dtype=torch.long` for an integer tensor.
        """,
        example="""
        torch.zeros(2, 3).shape  # → torch.Size([2, 3])
        torch.zeros((2, 3)).dtype  # → torch.float32
        torch.zeros(3, dtype=torch.long)  # → tensor([0, 0, 0])
        """,
        see_also=("torch.ones", "torch.full", "torch.zeros_like"),
    ),
    doc(
        "torch.ones",
        "torch.ones(*size, *, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False) → Tensor",
        """
        创建指定形状、全为 1 的张量，默认 dtype 是 float32。

        形状写成多个整数或一个元组都可以。要填其他常数用 `torch.full`。
        """,
        """
        Creates a tensor of the given shape filled with 1; the default dtype is float32.

        The shape may be several integers or one tuple. Use `torch.full` for any other constant.
        """,
        example="""
        torch.ones(2, 2)  # → tensor([[1., 1.], [1., 1.]])
        torch.ones(3, dtype=torch.int64)  # → tensor([1, 1, 1])
        """,
        see_also=("torch.zeros", "torch.full", "torch.ones_like"),
    ),
    doc(
        "torch.full",
        "torch.full(size, fill_value, *, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False) → Tensor",
        """
        创建形状为 `size`、每个元素都等于 `fill_value` 的张量，**dtype 由填充值推断**。

        `torch.full((2, 3), 5)` 得到的是 int64 张量，`torch.full((2, 3), 5.0)` 才是 float32。`size` 必须是元组或列表，不能像 `zeros` 那样写成多个整数。
        """,
        """
        Creates a tensor of shape `size` with every element equal to `fill_value`; **the dtype is inferred from the fill value**.

        `torch.full((2, 3), 5)` is an int64 tensor, `torch.full((2, 3), 5.0)` is float32. `size` must be a tuple or list, not several integers as with `zeros`.
        """,
        example="""
        torch.full((2,), 5)  # → tensor([5, 5])
        torch.full((2,), 5.0)  # → tensor([5., 5.])
        torch.full(2, 5)  # ✗ TypeError
        """,
        see_also=("torch.zeros", "torch.ones", "torch.full_like"),
    ),
    doc(
        "torch.empty",
        "torch.empty(*size, *, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False, pin_memory=False, memory_format=torch.contiguous_format) → Tensor",
        """
        只分配内存、**不初始化**：得到的张量内容是内存里残留的任意值，可能是 0，也可能是极大的数或 nan。

        它比 `zeros` 略快，只适合马上会被完整写满的场合（例如接着调用 `nn.init.*_` 或 `copy_`）。直接拿来计算会得到不可复现的结果。
        """,
        """
        Allocates memory **without initialising it**: the contents are whatever was left in memory, maybe 0, maybe huge numbers or nan.

        Slightly faster than `zeros`; only use it when every element is about to be overwritten (for example by an `nn.init.*_` call or `copy_`). Computing with it directly gives irreproducible results.
        """,
        example="""
        w = torch.empty(3, 5)
        nn.init.xavier_uniform_(w).shape  # → torch.Size([3, 5])
        """,
        see_also=("torch.zeros", "torch.empty_like"),
    ),
    doc(
        "torch.eye",
        "torch.eye(n, m=None, *, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False) → Tensor",
        """
        创建二维的单位矩阵：对角线为 1，其余为 0，默认 float32。

        只给 `n` 时是 n×n 方阵；给出 `m` 时是 n×m 矩阵，对角线从左上角开始。它总是二维的，批量单位矩阵可用 `torch.eye(n).expand(b, n, n)`。
        """,
        """
        Creates a 2-D identity matrix: ones on the diagonal, zeros elsewhere, float32 by default.

        With only `n` it is n×n; with `m` it is n×m with the diagonal starting at the top left. It is always 2-D; for a batch use `torch.eye(n).expand(b, n, n)`.
        """,
        example="""
        torch.eye(2)  # → tensor([[1., 0.], [0., 1.]])
        torch.eye(2, 3).shape  # → torch.Size([2, 3])
        """,
        see_also=("torch.nn.init.eye_", "torch.zeros"),
    ),
    doc(
        "torch.from_numpy",
        "torch.from_numpy(ndarray) → Tensor",
        """
        用 NumPy 数组创建张量，**与原数组共享内存**：之后修改数组，张量也会变；反之亦然。不想共享时用 `torch.tensor(arr)`（会复制一份）。

        dtype 随数组而来：`np.array([1, 2])` 在 Linux 上是 int64，在 Windows（NumPy < 2）上是 int32——用作 `CrossEntropyLoss` 的目标时请显式 `.long()`。NumPy 默认的小数是 float64，送进 float32 的模型前要 `.float()`。参数只能是 ndarray，列表请用 `torch.tensor`。
        """,
        """
        Creates a tensor from a NumPy array **sharing its memory**: change the array and the tensor changes too, and vice versa. Use `torch.tensor(arr)` for an independent copy.

        The dtype follows the array: `np.array([1, 2])` is int64 on Linux but int32 on Windows (NumPy < 2), so call `.long()` before using it as a `CrossEntropyLoss` target. NumPy floats default to float64; call `.float()` before feeding a float32 model. Only ndarrays are accepted; use `torch.tensor` for lists.
        """,
        example="""
        arr = np.array([1.0, 2.0])
        t = torch.from_numpy(arr)
        arr[0] = 9.0
        t  # → tensor([9., 2.], dtype=torch.float64)
        torch.from_numpy([1, 2])  # ✗ TypeError
        """,
        see_also=("torch.tensor", "torch.as_tensor", "torch.Tensor.numpy"),
    ),
    doc(
        "torch.as_tensor",
        "torch.as_tensor(data, dtype=None, device=None) → Tensor",
        """
        把数据转成张量，**能不复制就不复制**：对 NumPy 数组（dtype 和设备都不变时）它和 `from_numpy` 一样共享内存，对已是张量的输入直接返回原张量。

        对列表等 Python 数据它会复制。共享内存意味着之后修改原数组会改掉张量；需要独立副本时用 `torch.tensor`。
        """,
        """
        Converts data to a tensor **without copying when it can**: for a NumPy array (same dtype and device) it shares memory like `from_numpy`, and a tensor input is returned as is.

        Python lists are copied. Shared memory means later changes to the array change the tensor; use `torch.tensor` for an independent copy.
        """,
        example="""
        arr = np.array([1.0, 2.0])
        t = torch.as_tensor(arr)
        arr[0] = 9.0
        t  # → tensor([9., 2.], dtype=torch.float64)
        """,
        see_also=("torch.from_numpy", "torch.tensor"),
    ),
    doc(
        "torch.rand",
        "torch.rand(*size, *, generator=None, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False, pin_memory=False) → Tensor",
        """
        生成指定形状的随机张量，元素服从 **[0, 1) 上的均匀分布**，默认 float32。

        需要其他区间 `[a, b)` 时写 `a + (b - a) * torch.rand(...)`；需要整数用 `torch.randint`。结果可以用 `torch.manual_seed` 复现。
        """,
        """
        Makes a random tensor of the given shape, **uniform on [0, 1)**, float32 by default.

        For another interval `[a, b)` write `a + (b - a) * torch.rand(...)`; for integers use `torch.randint`. Seed with `torch.manual_seed` for reproducible results.
        """,
        example="""
        x = torch.rand(3, 4)
        x.shape  # → torch.Size([3, 4])
        bool(((x >= 0) & (x < 1)).all())  # → True
        """,
        see_also=("torch.randn", "torch.randint", "torch.rand_like"),
    ),
    doc(
        "torch.randn",
        "torch.randn(*size, *, generator=None, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False, pin_memory=False) → Tensor",
        """
        生成指定形状的随机张量，元素服从**标准正态分布**（均值 0、方差 1），默认 float32。

        需要均值 `mu`、标准差 `sigma` 时写 `mu + sigma * torch.randn(...)`，或用 `torch.normal`。常用来造假输入测试模型的形状，例如 `torch.randn(8, 3, 32, 32)`。
        """,
        """
        Makes a random tensor of the given shape drawn from the **standard normal distribution** (mean 0, variance 1), float32 by default.

        For mean `mu` and standard deviation `sigma` write `mu + sigma * torch.randn(...)` or use `torch.normal`. Handy for fake inputs when checking a model's shapes, e.g. `torch.randn(8, 3, 32, 32)`.
        """,
        example="""
        torch.randn(8, 3, 32, 32).shape  # → torch.Size([8, 3, 32, 32])
        torch.randn(2).dtype  # → torch.float32
        """,
        see_also=("torch.rand", "torch.normal", "torch.randn_like"),
    ),
    doc(
        "torch.randint",
        "torch.randint(low=0, high, size, *, generator=None, out=None, dtype=None, layout=torch.strided, device=None, requires_grad=False) → Tensor",
        """
        生成 `[low, high)` 内均匀分布的随机整数张量，**前闭后开**：`high` 取不到；默认 dtype 是 int64。

        形状参数 `size` 必须是元组，例如 `torch.randint(0, 10, (3,))`；写成 `torch.randint(0, 10, 3)` 会报错。只给两个参数时是 `randint(high, size)`。生成的 int64 张量正好可作 `CrossEntropyLoss` 的类别索引。
        """,
        """
        Makes random integers uniform on the **half-open** range `[low, high)`: `high` never appears; the default dtype is int64.

        `size` must be a tuple, e.g. `torch.randint(0, 10, (3,))`; `torch.randint(0, 10, 3)` raises. With two arguments it is `randint(high, size)`. The int64 result is ready to use as `CrossEntropyLoss` class indices.
        """,
        example="""
        y = torch.randint(0, 5, (4,))
        y.dtype  # → torch.int64
        bool(y.max() < 5)  # → True
        torch.randint(0, 10, 3)  # ✗ TypeError
        """,
        see_also=("torch.randint_like", "torch.rand", "torch.randperm"),
    ),
    doc(
        "torch.normal",
        "torch.normal(mean, std, *, generator=None, out=None) / torch.normal(mean, std, size, *, out=None) → Tensor",
        """
        从正态分布采样，`std` 是**标准差**而不是方差。

        `mean` 和 `std` 都是数字时必须给出形状 `size`：`torch.normal(0.0, 1.0, size=(3, 4))`。也可以传张量，按元素给每个位置不同的均值和标准差，这时结果形状跟随张量，不再需要 `size`。标准差不能为负。没有 `normal_like`；已有张量可用原地方法 `t.normal_(mean, std)` 填充。
        """,
        """
        Samples from normal distributions; `std` is the **standard deviation**, not the variance.

        When `mean` and `std` are numbers a shape is required: `torch.normal(0.0, 1.0, size=(3, 4))`. They may also be tensors giving a mean and std per element; the result then takes their shape and `size` is not needed. std must not be negative. There is no `normal_like`; fill an existing tensor with the in-place `t.normal_(mean, std)`.
        """,
        example="""
        torch.normal(0.0, 1.0, size=(3, 4)).shape  # → torch.Size([3, 4])
        torch.normal(torch.zeros(5), torch.ones(5)).shape  # → torch.Size([5])
        torch.normal(0.0, 1.0)  # ✗ TypeError
        """,
        see_also=("torch.randn", "torch.nn.init.normal_"),
    ),
    doc(
        "torch.randperm",
        "torch.randperm(n, *, generator=None, out=None, dtype=torch.int64, layout=torch.strided, device=None, requires_grad=False, pin_memory=False) → Tensor",
        """
        返回 `0` 到 `n - 1` 的一个随机排列（int64），每个数恰好出现一次。

        常用来打乱样本顺序：`idx = torch.randperm(len(x))`，再用 `x[idx]`、`y[idx]` 同时索引特征和标签，保证二者对应关系不乱。
        """,
        """
        Returns a random permutation of `0` … `n - 1` (int64), each number exactly once.

        Typical use is shuffling samples: `idx = torch.randperm(len(x))`, then index features and labels with the same `x[idx]`, `y[idx]` so they stay paired.
        """,
        example="""
        torch.randperm(5).sort().values  # → tensor([0, 1, 2, 3, 4])
        """,
        see_also=("torch.randint", "torch.manual_seed"),
    ),
    doc(
        "torch.manual_seed",
        "torch.manual_seed(seed) → torch.Generator",
        """
        设置所有设备（CPU 和 GPU）默认随机数生成器的种子，让 `rand`、`randn`、参数初始化、`Dropout` 等结果可复现。

        在创建模型**之前**调用才能让初始权重一致。它不管 Python 的 `random` 和 NumPy 的随机数，这两个需要另外设置；GPU 上个别算子即使设了种子仍可能不确定，需要时配合 `torch.use_deterministic_algorithms(True)`。
        """,
        """
        Seeds the default random generators on all devices (CPU and GPU), making `rand`, `randn`, weight initialisation, `Dropout` and so on reproducible.

        Call it **before** building the model for identical initial weights. It does not seed Python's `random` or NumPy; seed those separately. Some GPU kernels stay nondeterministic even when seeded; add `torch.use_deterministic_algorithms(True)` when that matters.
        """,
        example="""
        torch.manual_seed(0)
        a = torch.rand(3)
        torch.manual_seed(0)
        torch.equal(a, torch.rand(3))  # → True
        """,
        see_also=("torch.initial_seed",),
        aliases=("torch.random.manual_seed",),
    ),
    doc(
        "torch.initial_seed",
        "torch.initial_seed() → int",
        """
        返回 CPU 默认随机数生成器当前使用的种子。

        调用过 `torch.manual_seed(s)` 后它返回 `s`；没设置过时返回启动时随机选的种子，把它记进日志就能复现那次运行。
        """,
        """
        Returns the seed of the default CPU random generator.

        After `torch.manual_seed(s)` it returns `s`; otherwise it returns the seed picked at start-up, which you can log to reproduce that run.
        """,
        example="""
        torch.manual_seed(42)
        torch.initial_seed()  # → 42
        """,
        see_also=("torch.manual_seed",),
        aliases=("torch.random.initial_seed",),
    ),
]


# ``*_like``: same shape (and by default dtype and device) as an existing tensor.
def _like(name: str, extra_sig: str, zh_what: str, en_what: str, zh_more: str, en_more: str, example: str,
          see: tuple[str, ...]) -> ApiDoc:
    kw = "*, dtype=None, layout=None, device=None, requires_grad=False, memory_format=torch.preserve_format"
    if name in ("rand_like", "randn_like", "randint_like"):
        kw = "*, generator=None, dtype=None, layout=None, device=None, requires_grad=False, memory_format=torch.preserve_format"
    if name in ("full_like", "randint_like"):  # as PyTorch documents these two
        kw = kw.replace("layout=None", "layout=torch.strided")
    return doc(
        f"torch.{name}",
        f"torch.{name}(input{extra_sig}, {kw}) → Tensor",
        f"""
        创建与 `input` **形状、dtype、设备都相同**的新张量，{zh_what}。

        {zh_more}新张量不共享 `input` 的内存，也不继承它的 `requires_grad`。
        """,
        f"""
        Creates a new tensor with the **same shape, dtype and device** as `input`, {en_what}.

        {en_more}The result shares no memory with `input` and does not inherit its `requires_grad`.
        """,
        example=example,
        see_also=see,
    )


DOCS += [
    _like("zeros_like", "", "元素全为 0", "filled with 0",
          "等价于 `torch.zeros(input.size(), dtype=input.dtype, device=input.device)`。",
          "Equivalent to `torch.zeros(input.size(), dtype=input.dtype, device=input.device)`. ",
          "x = torch.tensor([1, 2])\ntorch.zeros_like(x)  # → tensor([0, 0])", ("torch.zeros",)),
    _like("ones_like", "", "元素全为 1", "filled with 1",
          "等价于 `torch.ones(input.size(), dtype=input.dtype, device=input.device)`。",
          "Equivalent to `torch.ones(input.size(), dtype=input.dtype, device=input.device)`. ",
          "x = torch.zeros(2, 3)\ntorch.ones_like(x).shape  # → torch.Size([2, 3])", ("torch.ones",)),
    _like("full_like", ", fill_value", "每个元素都等于 `fill_value`",
          "every element equal to `fill_value`",
          "注意 dtype 跟随 `input` 而不是填充值：整数张量里填 2.7 会被截断成 2。",
          "Note that the dtype follows `input`, not the fill value: 2.7 in an integer tensor becomes 2. ",
          "x = torch.tensor([1, 2])\ntorch.full_like(x, 2.7)  # → tensor([2, 2])", ("torch.full",)),
    _like("empty_like", "", "内容**未初始化**（任意残留值）", "with **uninitialised** contents (arbitrary leftovers)",
          "只在马上会被完整写满时使用。",
          "Only use it when every element is about to be overwritten. ",
          "x = torch.zeros(2, 3)\ntorch.empty_like(x).shape  # → torch.Size([2, 3])", ("torch.empty",)),
    _like("rand_like", "", "元素服从 [0, 1) 上的均匀分布", "uniform on [0, 1)",
          "`input` 必须是浮点张量，整数张量会报错。",
          "`input` must be floating point; an integer tensor raises. ",
          "torch.rand_like(torch.zeros(2, 3)).shape  # → torch.Size([2, 3])\ntorch.rand_like(torch.tensor([1, 2]))  # ✗ NotImplementedError",
          ("torch.rand",)),
    _like("randn_like", "", "元素服从标准正态分布", "drawn from the standard normal distribution",
          "`input` 必须是浮点张量。",
          "`input` must be floating point. ",
          "torch.randn_like(torch.zeros(4)).dtype  # → torch.float32", ("torch.randn",)),
    _like("randint_like", ", low=0, high", "元素是 `[low, high)` 内的随机整数（前闭后开）",
          "holding random integers from `[low, high)` (half-open)",
          "只给一个数时它是 `high`。结果 dtype 跟随 `input`，浮点输入得到的是“整数值的小数”。",
          "With one number it is `high`. The dtype follows `input`, so a float input gives integer-valued floats. ",
          "torch.randint_like(torch.zeros(3, dtype=torch.long), 5, 7).dtype  # → torch.int64",
          ("torch.randint",)),
]


# Legacy typed-tensor constructors: one entry each, same pitfalls, different dtype.
_TYPED = (
    ("FloatTensor", "float32", "float", "torch.float32"),
    ("DoubleTensor", "float64", "double", "torch.float64"),
    ("HalfTensor", "float16", "half", "torch.float16"),
    ("BFloat16Tensor", "bfloat16", "bfloat16", "torch.bfloat16"),
    ("LongTensor", "int64", "long", "torch.int64"),
    ("IntTensor", "int32", "int", "torch.int32"),
    ("ShortTensor", "int16", "short", "torch.int16"),
    ("CharTensor", "int8", "char", "torch.int8"),
    ("ByteTensor", "uint8", "byte", "torch.uint8"),
    ("BoolTensor", "bool", "bool", "torch.bool"),
)


def _typed(cls: str, dtype: str, method: str, full: str) -> ApiDoc:
    integral = dtype.startswith(("int", "uint"))
    zh_trunc = "整数类型会把小数**直接截断**（`[1.7]` 变成 `[1]`），不报错。" if integral else ""
    en_trunc = "Integer types **truncate** floats silently (`[1.7]` becomes `[1]`). " if integral else ""
    return doc(
        f"torch.{cls}",
        f"class torch.{cls}(*size) / torch.{cls}(data)",
        f"""
        旧式的类型化构造器，得到 **{dtype}** 张量；现代写法是 `torch.tensor(data, dtype={full})`。

        和 `torch.Tensor` 一样有两种用法：传数据列表按内容创建，传整数则按**形状**创建一个**未初始化**的张量——`torch.{cls}(3)` 是 3 个任意值，而不是 `[3]`。{zh_trunc}已有张量转成这个类型用 `t.{method}()` 或 `t.to({full})`。
        """,
        f"""
        Legacy typed constructor giving a **{dtype}** tensor; the modern spelling is `torch.tensor(data, dtype={full})`.

        Like `torch.Tensor` it has two forms: a list of data creates from content, while integers create an **uninitialised** tensor of that **shape**: `torch.{cls}(3)` holds 3 arbitrary values, not `[3]`. {en_trunc}To convert an existing tensor use `t.{method}()` or `t.to({full})`.
        """,
        kind="class",
        example=f"torch.{cls}([1, 0]).dtype  # → {full}\ntorch.{cls}(3).shape  # → torch.Size([3])",
        see_also=("torch.tensor", "torch.Tensor", "torch.Tensor.to"),
    )


DOCS += [_typed(*row) for row in _TYPED]
