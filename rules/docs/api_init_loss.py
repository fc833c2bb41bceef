"""Hover texts: parameter initialisation (``nn.init``) and loss functions."""
from __future__ import annotations

from .api import ApiDoc, doc

DOCS: list[ApiDoc] = []

# ---------------------------------------------------------------- nn.init
_INIT_INPLACE_ZH = "函数名末尾的 `_` 表示**原地**修改传入的张量并返回它；内部已处于 `no_grad`，可直接用于模型参数。"
_INIT_INPLACE_EN = "The trailing `_` means it fills the given tensor **in place** and returns it; it runs under `no_grad`, so it works on parameters directly."

DOCS += [
    doc(
        "torch.nn.init.zeros_",
        "torch.nn.init.zeros_(tensor) → Tensor",
        f"""
        把张量全部填成 0。{_INIT_INPLACE_ZH}

        常用于偏置。不要把整层**权重**都初始化成 0（或同一个常数）：同一层的神经元会算出相同的梯度，永远学不出差别。
        """,
        f"""
        Fills the tensor with 0. {_INIT_INPLACE_EN}

        Common for biases. Do not initialise a whole layer's **weights** to 0 (or any single constant): every unit in the layer then gets the same gradient and they never become different.
        """,
        example="""
        fc = nn.Linear(3, 2)
        nn.init.zeros_(fc.bias)
        fc.bias.requires_grad  # → True
        """,
        see_also=("torch.nn.init.constant_", "torch.nn.init.ones_"),
    ),
    doc(
        "torch.nn.init.ones_",
        "torch.nn.init.ones_(tensor) → Tensor",
        f"""
        把张量全部填成 1。{_INIT_INPLACE_ZH}

        常用于归一化层的缩放参数（如 `BatchNorm` 的 `weight`）；和全 0 一样，不适合普通层的权重。
        """,
        f"""
        Fills the tensor with 1. {_INIT_INPLACE_EN}

        Typical for the scale of normalisation layers (e.g. `BatchNorm`'s `weight`); like all-zeros, not for ordinary layer weights.
        """,
        example="""
        nn.init.ones_(torch.empty(3))  # → tensor([1., 1., 1.])
        """,
        see_also=("torch.nn.init.zeros_", "torch.nn.init.constant_"),
    ),
    doc(
        "torch.nn.init.constant_",
        "torch.nn.init.constant_(tensor, val) → Tensor",
        f"""
        把张量全部填成常数 `val`。{_INIT_INPLACE_ZH}

        常用于偏置（如 `nn.init.constant_(m.bias, 0.01)`）；权重用常数初始化会让同层神经元无法区分。
        """,
        f"""
        Fills the tensor with the constant `val`. {_INIT_INPLACE_EN}

        Common for biases (e.g. `nn.init.constant_(m.bias, 0.01)`); constant weights leave the units of a layer indistinguishable.
        """,
        example="""
        nn.init.constant_(torch.empty(3), 0.5)  # → tensor([0.5000, 0.5000, 0.5000])
        """,
        see_also=("torch.nn.init.zeros_", "torch.nn.init.ones_"),
    ),
    doc(
        "torch.nn.init.eye_",
        "torch.nn.init.eye_(tensor) → Tensor",
        f"""
        把**二维**张量填成单位矩阵（对角线为 1，其余为 0），非方阵时对角线从左上角开始。{_INIT_INPLACE_ZH}

        只支持二维张量，卷积核等更高维的权重会报错。用于让线性层一开始近似恒等映射。
        """,
        f"""
        Fills a **2-D** tensor with the identity (ones on the diagonal, zeros elsewhere); for non-square shapes the diagonal starts at the top left. {_INIT_INPLACE_EN}

        Only 2-D tensors are supported; higher-rank weights such as conv kernels raise. Used to start a linear layer close to the identity map.
        """,
        example="""
        nn.init.eye_(torch.empty(2, 2))  # → tensor([[1., 0.], [0., 1.]])
        nn.init.eye_(torch.empty(2, 3, 4))  # ✗ ValueError
        """,
        see_also=("torch.eye",),
    ),
    doc(
        "torch.nn.init.normal_",
        "torch.nn.init.normal_(tensor, mean=0.0, std=1.0, generator=None) → Tensor",
        f"""
        用正态分布 N(mean, std²) 的随机数填充张量，`std` 是**标准差**。{_INIT_INPLACE_ZH}

        默认 `std=1.0` 对大多数层太大，通常要自己给一个小值（如 `std=0.01`），或改用按层大小自动缩放的 Xavier / Kaiming 初始化。
        """,
        f"""
        Fills the tensor with samples from N(mean, std²); `std` is the **standard deviation**. {_INIT_INPLACE_EN}

        The default `std=1.0` is too large for most layers; pass a small value (e.g. `std=0.01`) or use Xavier / Kaiming initialisation, which scales with the layer size.
        """,
        example="""
        w = nn.init.normal_(torch.empty(3, 5), mean=0.0, std=0.01)
        w.shape  # → torch.Size([3, 5])
        """,
        see_also=("torch.nn.init.uniform_", "torch.nn.init.xavier_normal_", "torch.nn.init.kaiming_normal_"),
    ),
    doc(
        "torch.nn.init.uniform_",
        "torch.nn.init.uniform_(tensor, a=0.0, b=1.0, generator=None) → Tensor",
        f"""
        用 [a, b) 上均匀分布的随机数填充张量，默认 [0, 1)。{_INIT_INPLACE_ZH}

        默认区间全为正、范围也偏大，初始化权重时通常给对称的区间，如 `nn.init.uniform_(w, -0.1, 0.1)`，或用 Xavier / Kaiming 的均匀版本。
        """,
        f"""
        Fills the tensor with samples uniform on [a, b), [0, 1) by default. {_INIT_INPLACE_EN}

        The default range is all-positive and wide; for weights use a symmetric range such as `nn.init.uniform_(w, -0.1, 0.1)`, or the uniform Xavier / Kaiming variants.
        """,
        example="""
        w = nn.init.uniform_(torch.empty(100), -1, 1)
        bool(w.abs().max() <= 1)  # → True
        """,
        see_also=("torch.nn.init.normal_", "torch.nn.init.xavier_uniform_", "torch.nn.init.kaiming_uniform_"),
    ),
    doc(
        "torch.nn.init.xavier_normal_",
        "torch.nn.init.xavier_normal_(tensor, gain=1.0, generator=None) → Tensor",
        f"""
        Xavier（Glorot）正态初始化：标准差为 `gain·√(2 / (fan_in + fan_out))`，让前向和反向的方差大致不变。{_INIT_INPLACE_ZH}

        适合后面接 **Sigmoid、Tanh** 这类 S 型激活的层（Tanh 可配 `gain=nn.init.calculate_gain('tanh')`）；ReLU 类激活请用 Kaiming。张量至少要二维，偏置不能用它。
        """,
        f"""
        Xavier (Glorot) normal initialisation: std `gain·√(2 / (fan_in + fan_out))`, keeping the variance roughly constant forwards and backwards. {_INIT_INPLACE_EN}

        Suits layers followed by **S-shaped activations (Sigmoid, Tanh)**; for Tanh pass `gain=nn.init.calculate_gain('tanh')`. For ReLU-like activations use Kaiming. The tensor needs at least two dimensions, so not for biases.
        """,
        example="""
        fc = nn.Linear(3, 4)
        nn.init.xavier_normal_(fc.weight).shape  # → torch.Size([4, 3])
        nn.init.xavier_normal_(fc.bias)  # ✗ ValueError
        """,
        see_also=("torch.nn.init.xavier_uniform_", "torch.nn.init.kaiming_normal_", "torch.nn.init.calculate_gain"),
    ),
    doc(
        "torch.nn.init.xavier_uniform_",
        "torch.nn.init.xavier_uniform_(tensor, gain=1.0, generator=None) → Tensor",
        f"""
        Xavier（Glorot）均匀初始化：在 `±gain·√(6 / (fan_in + fan_out))` 内均匀采样。{_INIT_INPLACE_ZH}

        与 `xavier_normal_` 一样适合 Sigmoid、Tanh 前的层；张量至少二维，偏置请用 `zeros_` 或 `constant_`。
        """,
        f"""
        Xavier (Glorot) uniform initialisation: samples uniformly within `±gain·√(6 / (fan_in + fan_out))`. {_INIT_INPLACE_EN}

        Like `xavier_normal_`, for layers before Sigmoid or Tanh; the tensor needs at least two dimensions, so initialise biases with `zeros_` or `constant_`.
        """,
        example="""
        w = nn.init.xavier_uniform_(torch.empty(256, 128))
        bool(w.abs().max() <= (6 / (256 + 128)) ** 0.5)  # → True
        """,
        see_also=("torch.nn.init.xavier_normal_", "torch.nn.init.kaiming_uniform_"),
    ),
    doc(
        "torch.nn.init.kaiming_normal_",
        "torch.nn.init.kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None) → Tensor",
        f"""
        Kaiming（He）正态初始化：标准差为 `gain / √fan_mode`，专为 **ReLU 类激活**设计，能避免深层网络信号逐层变小。{_INIT_INPLACE_ZH}

        默认 `nonlinearity='leaky_relu'` 且 `a=0`，这时增益是 √2，与 `'relu'` 相同。`mode='fan_in'`（默认）保持前向方差，`'fan_out'` 保持反向方差，卷积网络常用 `mode='fan_out', nonlinearity='relu'`。张量至少二维。
        """,
        f"""
        Kaiming (He) normal initialisation: std `gain / √fan_mode`, designed for **ReLU-like activations** so signals do not shrink layer by layer. {_INIT_INPLACE_EN}

        The default `nonlinearity='leaky_relu'` with `a=0` gives gain √2, the same as `'relu'`. `mode='fan_in'` (default) preserves the forward variance, `'fan_out'` the backward one; CNNs often use `mode='fan_out', nonlinearity='relu'`. The tensor needs at least two dimensions.
        """,
        example="""
        conv = nn.Conv2d(3, 16, 3)
        nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu").shape  # → torch.Size([16, 3, 3, 3])
        """,
        see_also=("torch.nn.init.kaiming_uniform_", "torch.nn.init.xavier_normal_", "torch.nn.functional.relu"),
    ),
    doc(
        "torch.nn.init.kaiming_uniform_",
        "torch.nn.init.kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None) → Tensor",
        f"""
        Kaiming（He）均匀初始化：在 `±gain·√(3 / fan_mode)` 内均匀采样，适合 ReLU 类激活前的层。{_INIT_INPLACE_ZH}

        `nn.Linear` 和 `nn.Conv2d` 的默认初始化就是 `kaiming_uniform_(a=√5)`（等价于 ±1/√fan_in 的均匀分布），它比真正的 He 初始化小；用 ReLU 的深层网络可显式改成 `nonlinearity='relu'`。
        """,
        f"""
        Kaiming (He) uniform initialisation: samples within `±gain·√(3 / fan_mode)`, for layers before ReLU-like activations. {_INIT_INPLACE_EN}

        `nn.Linear` and `nn.Conv2d` are initialised by default with `kaiming_uniform_(a=√5)` (uniform within ±1/√fan_in), smaller than true He initialisation; deep ReLU networks can switch explicitly to `nonlinearity='relu'`.
        """,
        example="""
        fc = nn.Linear(128, 64)
        nn.init.kaiming_uniform_(fc.weight, nonlinearity="relu").shape  # → torch.Size([64, 128])
        """,
        see_also=("torch.nn.init.kaiming_normal_", "torch.nn.Linear"),
    ),
    doc(
        "torch.nn.init.calculate_gain",
        "torch.nn.init.calculate_gain(nonlinearity, param=None) → float",
        """
        返回某种激活函数推荐的增益，用作 Xavier 初始化的 `gain`：`'relu'` 是 √2，`'tanh'` 是 5/3，`'sigmoid'` 和 `'linear'` 是 1。

        `'leaky_relu'` 可用 `param` 传负斜率，不传时按 0.01 计算。
        """,
        """
        Returns the recommended gain for an activation, used as Xavier's `gain`: `'relu'` gives √2, `'tanh'` 5/3, `'sigmoid'` and `'linear'` 1.

        For `'leaky_relu'` pass the negative slope as `param`; it defaults to 0.01.
        """,
        example="""
        nn.init.calculate_gain("tanh")  # → 1.6666666666666667
        nn.init.calculate_gain("sigmoid")  # → 1
        """,
        see_also=("torch.nn.init.xavier_uniform_", "torch.nn.init.xavier_normal_"),
    ),
]

# ---------------------------------------------------------------- losses
DOCS += [
    doc(
        "torch.nn.BCELoss",
        "class torch.nn.BCELoss(weight=None, size_average=None, reduce=None, reduction='mean')",
        """
        二元交叉熵损失：**输入必须是概率**（已经过 sigmoid，范围 [0, 1]），目标是同形状的浮点 0/1 张量。

        输入不在 [0, 1] 内会报错；目标是整数张量会报 “Found dtype Long but expected Float”，要 `.float()`；输入 `(N, 1)` 与目标 `(N,)` 形状不同也会报错。形状为 `(N, C)` 时相当于每个样本做 C 个并行的二分类（多标签）。更推荐去掉 sigmoid、直接用 `BCEWithLogitsLoss`，数值更稳定。
        """,
        """
        Binary cross-entropy: **the input must be probabilities** (after sigmoid, in [0, 1]) and the target a float 0/1 tensor of the same shape.

        Inputs outside [0, 1] raise; an integer target raises "Found dtype Long but expected Float", so call `.float()`; an `(N, 1)` input with an `(N,)` target raises too. With shape `(N, C)` it is C parallel binary decisions per sample (multi-label). Prefer dropping the sigmoid and using `BCEWithLogitsLoss`, which is more stable.
        """,
        kind="class",
        example="""
        loss_bce = nn.BCELoss()
        loss_bce(torch.tensor([0.9, 0.1]), torch.tensor([1.0, 0.0]))  # → tensor(0.1054)
        loss_bce(torch.tensor([0.9, 0.1]), torch.tensor([1, 0]))  # ✗ RuntimeError
        loss_bce(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 0.0]))  # ✗ RuntimeError
        """,
        see_also=("torch.nn.BCEWithLogitsLoss", "torch.sigmoid"),
    ),
    doc(
        "torch.nn.BCEWithLogitsLoss",
        "class torch.nn.BCEWithLogitsLoss(weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None)",
        """
        sigmoid 与二元交叉熵合在一起的损失：**输入是未经 sigmoid 的 logits**，目标是同形状的浮点 0/1 张量。

        比“`sigmoid` + `BCELoss`”数值更稳定，二分类和多标签分类的首选。模型最后不要再加 `nn.Sigmoid()`，否则相当于做了两次 sigmoid；推理时要概率再自己 `torch.sigmoid(logits)`。正负样本不均衡时可用 `pos_weight` 加大正样本权重。目标同样必须是浮点型。
        """,
        """
        Sigmoid and binary cross-entropy in one: **the input is raw logits** (no sigmoid), the target a float 0/1 tensor of the same shape.

        More stable than `sigmoid` + `BCELoss`; the first choice for binary and multi-label classification. Do not end the model with `nn.Sigmoid()` as well, or sigmoid is applied twice; apply `torch.sigmoid(logits)` yourself at inference. `pos_weight` up-weights positives for imbalanced data. The target must be floating point too.
        """,
        kind="class",
        example="""
        criterion = nn.BCEWithLogitsLoss()
        criterion(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 0.0]))  # → tensor(0.2201)
        """,
        see_also=("torch.nn.BCELoss", "torch.sigmoid"),
    ),
    doc(
        "torch.nn.CrossEntropyLoss",
        "class torch.nn.CrossEntropyLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0)",
        """
        多分类交叉熵损失，**内部已包含 log-softmax**：输入是未经 softmax 的 logits，形状 `(N, C)`（或 `(N, C, d1, …)`）。

        目标有两种写法：① **类别索引**，形状 `(N,)`、dtype 为 **int64（`long`）**、取值在 `[0, C)`——int32 或 float 的索引会报 “expected target dtype to be Long”，越界报 “Target … is out of bounds”；② **类别概率**（如独热编码或软标签），与输入同形状 `(N, C)` 的**浮点**张量——int64 的独热编码会报错，要 `.float()`。模型最后不要再加 softmax（不会报错，但训练变差）。序列输出 `(N, L, C)` 要先 `permute(0, 2, 1)` 成 `(N, C, L)`。`ignore_index` 的目标不计入损失，`label_smoothing` 做标签平滑。
        """,
        """
        Multi-class cross-entropy that **already includes log-softmax**: the input is raw logits of shape `(N, C)` (or `(N, C, d1, …)`).

        The target comes in two forms: (1) **class indices**, shape `(N,)`, dtype **int64 (`long`)**, values in `[0, C)`: int32 or float indices raise "expected target dtype to be Long" and out-of-range values "Target … is out of bounds"; (2) **class probabilities** (one-hot or soft labels), a **floating** tensor of the input's shape `(N, C)`: an int64 one-hot raises, so call `.float()`. Do not end the model with softmax (no error, but training suffers). Sequence outputs `(N, L, C)` need `permute(0, 2, 1)` to `(N, C, L)`. Targets equal to `ignore_index` are skipped; `label_smoothing` smooths the labels.
        """,
        kind="class",
        example="""
        criterion = nn.CrossEntropyLoss()
        logits = torch.randn(6, 8)
        criterion(logits, torch.tensor([1, 0, 3, 2, 5, 4])).shape  # → torch.Size([])
        criterion(logits, torch.randn(6, 8).softmax(dim=1)).shape  # → torch.Size([])
        criterion(logits, torch.tensor([1, 0, 3, 2, 5, 4], dtype=torch.int32))  # ✗ RuntimeError
        criterion(logits, F.one_hot(torch.tensor([1, 0, 3, 2, 5, 4]), 8))  # ✗ RuntimeError
        """,
        see_also=("torch.nn.functional.cross_entropy", "torch.nn.NLLLoss", "torch.Tensor.long"),
    ),
    doc(
        "torch.nn.functional.cross_entropy",
        "torch.nn.functional.cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0) → Tensor",
        """
        `nn.CrossEntropyLoss` 的函数形式，规则完全相同：输入是 logits（内部做 log-softmax），目标是 int64 类别索引 `(N,)` 或同形状的浮点概率 `(N, C)`。

        目标 dtype 不对时报 “expected target dtype to be Long”，请 `.long()`；不要先对输入做 softmax。
        """,
        """
        The functional form of `nn.CrossEntropyLoss` with the same rules: the input is logits (log-softmax is applied inside), the target int64 class indices `(N,)` or float probabilities of shape `(N, C)`.

        A wrong target dtype raises "expected target dtype to be Long"; call `.long()`. Do not apply softmax to the input first.
        """,
        example="""
        F.cross_entropy(torch.randn(4, 3), torch.tensor([0, 2, 1, 0])).shape  # → torch.Size([])
        F.cross_entropy(torch.randn(4, 3), torch.tensor([0.0, 2.0, 1.0, 0.0]))  # ✗ RuntimeError
        """,
        see_also=("torch.nn.CrossEntropyLoss",),
    ),
    doc(
        "torch.nn.NLLLoss",
        "class torch.nn.NLLLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean')",
        """
        负对数似然损失：**输入必须是对数概率**（`log_softmax` 的输出），目标是 int64 类别索引 `(N,)`。

        它自己不做 softmax：直接喂 logits 不会报错，但损失没有意义。`log_softmax` + `NLLLoss` 等价于对 logits 用 `CrossEntropyLoss`，通常直接用后者。目标同样必须是 `long`。
        """,
        """
        Negative log-likelihood: **the input must be log-probabilities** (the output of `log_softmax`), the target int64 class indices `(N,)`.

        It applies no softmax itself: raw logits raise no error but give a meaningless loss. `log_softmax` + `NLLLoss` equals `CrossEntropyLoss` on the logits, usually the simpler choice. The target must be `long` here too.
        """,
        kind="class",
        example="""
        logits = torch.randn(4, 3)
        target = torch.tensor([0, 2, 1, 0])
        a = nn.NLLLoss()(F.log_softmax(logits, dim=1), target)
        torch.allclose(a, nn.CrossEntropyLoss()(logits, target))  # → True
        """,
        see_also=("torch.nn.functional.log_softmax", "torch.nn.CrossEntropyLoss"),
    ),
    doc(
        "torch.nn.L1Loss",
        "class torch.nn.L1Loss(size_average=None, reduce=None, reduction='mean')",
        """
        L1 损失，即平均绝对误差（MAE）：`mean(|input − target|)`。

        对离群点不如 `MSELoss` 敏感。输入与目标要形状相同：`(N, 1)` 与 `(N,)` 会被广播成 `(N, N)`，只给警告，结果却是错的，请先 `squeeze(1)` 或 `view_as`。`reduction='sum'` 求和，`'none'` 返回逐元素损失。
        """,
        """
        L1 loss, the mean absolute error (MAE): `mean(|input − target|)`.

        Less sensitive to outliers than `MSELoss`. Input and target need the same shape: `(N, 1)` against `(N,)` broadcasts to `(N, N)` with only a warning and a wrong result, so `squeeze(1)` or `view_as` first. `reduction='sum'` sums, `'none'` returns per-element losses.
        """,
        kind="class",
        example="""
        nn.L1Loss()(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 4.0]))  # → tensor(1.5000)
        """,
        see_also=("torch.nn.MSELoss",),
    ),
    doc(
        "torch.nn.MSELoss",
        "class torch.nn.MSELoss(size_average=None, reduce=None, reduction='mean')",
        """
        均方误差损失（MSE，L2 损失）：`mean((input − target)²)`，回归任务最常用。

        最常见的坑是形状：模型输出 `(N, 1)`、目标 `(N,)` 时会广播成 `(N, N)`，只给一条警告，损失却完全错了——请 `pred.squeeze(1)` 或 `target.view_as(pred)`。默认对所有元素求平均，`reduction='sum'` 求和。
        """,
        """
        Mean squared error (MSE, L2 loss): `mean((input − target)²)`, the usual regression loss.

        The classic trap is shapes: a `(N, 1)` output against a `(N,)` target broadcasts to `(N, N)` with only a warning and a completely wrong loss; use `pred.squeeze(1)` or `target.view_as(pred)`. It averages over all elements by default; `reduction='sum'` sums.
        """,
        kind="class",
        example="""
        mse = nn.MSELoss()
        mse(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 4.0]))  # → tensor(2.5000)
        mse(torch.randn(4, 1), torch.randn(4))  # ⚠ UserWarning
        """,
        see_also=("torch.nn.L1Loss",),
    ),
]
