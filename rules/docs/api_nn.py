"""Hover texts: activations, layers, nn.Module and its methods (``nn.init`` and losses:
api_init_loss.py)."""
from __future__ import annotations

from .api import ApiDoc, doc

DOCS: list[ApiDoc] = []

# ---------------------------------------------------------------- activations (functions)
DOCS += [
    doc(
        "torch.nn.functional.relu",
        "torch.nn.functional.relu(input, inplace=False) → Tensor",
        """
        ReLU 激活：逐元素计算 `max(0, x)`，负数变 0，正数不变。

        在 `forward` 里直接调用即可，无需实例化；放进 `nn.Sequential` 时用层的写法 `nn.ReLU()`。`inplace=True` 会原地改写输入，省一点内存，但输入若还要用于反向传播会报错，一般不必开。搭配 ReLU 的层适合用 Kaiming（He）初始化。
        """,
        """
        ReLU activation: `max(0, x)` element-wise; negatives become 0, positives pass through.

        Call it directly in `forward`, no instance needed; inside `nn.Sequential` use the layer form `nn.ReLU()`. `inplace=True` overwrites the input to save a little memory but fails if the input is needed for the backward pass; usually leave it off. Layers followed by ReLU suit Kaiming (He) initialisation.
        """,
        example="""
        F.relu(torch.tensor([-1.0, 0.0, 2.0]))  # → tensor([0., 0., 2.])
        """,
        see_also=("torch.nn.ReLU", "torch.nn.functional.leaky_relu", "torch.nn.init.kaiming_normal_"),
        aliases=("torch.relu", "torch.Tensor.relu"),
    ),
    doc(
        "torch.nn.functional.leaky_relu",
        "torch.nn.functional.leaky_relu(input, negative_slope=0.01, inplace=False) → Tensor",
        """
        Leaky ReLU：正数不变，负数乘以一个小斜率 `negative_slope`（默认 0.01），而不是直接变 0。

        负半轴仍有梯度，可缓解 ReLU 神经元“死亡”（始终输出 0、不再更新）的问题。注意它在 `torch.nn.functional` 里，没有 `torch.leaky_relu`。
        """,
        """
        Leaky ReLU: positives pass through, negatives are multiplied by a small `negative_slope` (0.01 by default) instead of becoming 0.

        The negative side keeps a gradient, which eases "dead" ReLU units (always 0, never updated). It lives in `torch.nn.functional`; there is no `torch.leaky_relu`.
        """,
        example="""
        F.leaky_relu(torch.tensor([-1.0, 2.0]))  # → tensor([-0.0100,  2.0000])
        """,
        see_also=("torch.nn.LeakyReLU", "torch.nn.functional.relu"),
    ),
    doc(
        "torch.nn.functional.gelu",
        "torch.nn.functional.gelu(input, approximate='none') → Tensor",
        """
        GELU 激活：`x · Φ(x)`（Φ 是标准正态分布函数），是平滑版的 ReLU，Transformer 类模型常用。

        `approximate='tanh'` 用 tanh 近似，速度略快，数值略有差异；复现某个模型时要与它的设置一致。只支持浮点输入。
        """,
        """
        GELU activation: `x · Φ(x)` (Φ is the standard normal CDF), a smooth ReLU common in Transformer models.

        `approximate='tanh'` uses a tanh approximation, slightly faster with slightly different numbers; match the setting of the model you reproduce. Floating input only.
        """,
        example="""
        F.gelu(torch.tensor([0.0, 2.0]))  # → tensor([0.0000, 1.9545])
        """,
        see_also=("torch.nn.GELU", "torch.nn.functional.relu"),
    ),
    doc(
        "torch.nn.functional.silu",
        "torch.nn.functional.silu(input, inplace=False) → Tensor",
        """
        SiLU（也叫 Swish）激活：`x · sigmoid(x)`，平滑、非单调，常见于 EfficientNet、YOLO 等模型。

        PyTorch 里没有 `torch.swish`，请用 `F.silu` 或层 `nn.SiLU()`。
        """,
        """
        SiLU (a.k.a. Swish) activation: `x · sigmoid(x)`, smooth and non-monotonic, used in EfficientNet, YOLO and others.

        There is no `torch.swish`; use `F.silu` or the layer `nn.SiLU()`.
        """,
        example="""
        F.silu(torch.tensor([0.0, 2.0]))  # → tensor([0.0000, 1.7616])
        """,
        see_also=("torch.nn.functional.gelu", "torch.sigmoid"),
    ),
    doc(
        "torch.sigmoid",
        "torch.sigmoid(input, *, out=None) → Tensor",
        """
        Sigmoid：逐元素计算 `1 / (1 + e^(-x))`，把任意实数压到 (0, 1)，常作二分类的输出概率。

        二分类训练时不要先 `sigmoid` 再用 `BCELoss`，直接把 logits 交给 `BCEWithLogitsLoss` 更稳定。S 型激活后面的层适合 Xavier 初始化。整数输入会得到浮点结果。
        """,
        """
        Sigmoid: `1 / (1 + e^(-x))` element-wise, squashing any real number into (0, 1); often the output probability of binary classification.

        For training, rather than `sigmoid` followed by `BCELoss`, hand the logits to `BCEWithLogitsLoss`, which is more stable. Layers followed by S-shaped activations suit Xavier initialisation. Integer input gives floats.
        """,
        example="""
        torch.sigmoid(torch.tensor([-1.0, 0.0, 2.0]))  # → tensor([0.2689, 0.5000, 0.8808])
        """,
        see_also=("torch.nn.Sigmoid", "torch.nn.BCEWithLogitsLoss", "torch.nn.init.xavier_uniform_"),
        aliases=("torch.nn.functional.sigmoid", "torch.Tensor.sigmoid", "torch.special.expit"),
    ),
    doc(
        "torch.tanh",
        "torch.tanh(input, *, out=None) → Tensor",
        """
        双曲正切：逐元素把实数压到 (-1, 1)，输出以 0 为中心。

        `nn.RNN` 默认就用 tanh 作非线性。输入绝对值很大时梯度接近 0（饱和），深层网络中更常用 ReLU 类激活；tanh 后面的层适合 Xavier 初始化。
        """,
        """
        Hyperbolic tangent: squashes each element into (-1, 1), centred on 0.

        `nn.RNN` uses tanh as its default non-linearity. For large inputs the gradient is nearly 0 (saturation), so deep networks prefer ReLU-like activations; layers followed by tanh suit Xavier initialisation.
        """,
        example="""
        torch.tanh(torch.tensor([-1.0, 0.0, 2.0]))  # → tensor([-0.7616,  0.0000,  0.9640])
        """,
        see_also=("torch.nn.Tanh", "torch.sigmoid"),
        aliases=("torch.nn.functional.tanh", "torch.Tensor.tanh"),
    ),
    doc(
        "torch.nn.functional.softmax",
        "torch.nn.functional.softmax(input, dim=None, _stacklevel=3, dtype=None) → Tensor",
        """
        Softmax：沿 `dim` 把数值归一化成和为 1 的概率，**一定要写明 `dim`**，通常是类别所在的最后一维 `dim=-1`。

        `F.softmax` 不写 `dim` 会警告并自己猜（可能沿批量维归一化），`torch.softmax` 和 `x.softmax()` 不写则直接报错。训练分类模型时**不要**在 `CrossEntropyLoss` 之前做 softmax：它内部已经包含 log-softmax，再做一次不会报错，但梯度变弱、效果变差。要取对数概率用 `log_softmax`，数值更稳定。
        """,
        """
        Softmax: normalises values along `dim` into probabilities summing to 1; **always pass `dim`**, usually the class dimension `dim=-1`.

        Without `dim`, `F.softmax` warns and guesses (possibly across the batch), while `torch.softmax` and `x.softmax()` raise. When training a classifier do **not** apply softmax before `CrossEntropyLoss`: it already includes log-softmax, so doing it twice raises no error but weakens the gradients and the results. For log-probabilities use `log_softmax`, which is more stable.
        """,
        example="""
        F.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0)  # → tensor([0.0900, 0.2447, 0.6652])
        F.softmax(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))  # ⚠ UserWarning
        torch.softmax(torch.tensor([1.0, 2.0]))  # ✗ TypeError
        """,
        see_also=("torch.nn.Softmax", "torch.nn.functional.log_softmax", "torch.nn.CrossEntropyLoss"),
        aliases=("torch.softmax", "torch.Tensor.softmax", "torch.special.softmax"),
    ),
    doc(
        "torch.nn.functional.log_softmax",
        "torch.nn.functional.log_softmax(input, dim=None, _stacklevel=3, dtype=None) → Tensor",
        """
        先 softmax 再取对数，但一步算出，**数值更稳定**（不会出现 `log(0)`）；同样必须写明 `dim`。

        它的输出是 `NLLLoss` 需要的输入：`log_softmax` + `NLLLoss` 等价于直接对 logits 用 `CrossEntropyLoss`。不要写成 `torch.log(F.softmax(x, dim=1))`，概率下溢为 0 时会得到 `-inf`。
        """,
        """
        Softmax followed by log, computed in one **numerically stable** step (no `log(0)`); `dim` is required here too.

        Its output is what `NLLLoss` expects: `log_softmax` + `NLLLoss` equals `CrossEntropyLoss` on the logits. Avoid `torch.log(F.softmax(x, dim=1))`, which gives `-inf` when probabilities underflow to 0.
        """,
        example="""
        F.log_softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0)  # → tensor([-2.4076, -1.4076, -0.4076])
        """,
        see_also=("torch.nn.functional.softmax", "torch.nn.NLLLoss"),
        aliases=("torch.log_softmax", "torch.Tensor.log_softmax", "torch.special.log_softmax"),
    ),
]

# ---------------------------------------------------------------- activations (layers)
DOCS += [
    doc(
        "torch.nn.ReLU",
        "class torch.nn.ReLU(inplace=False)",
        """
        ReLU 激活的**层**形式：`max(0, x)`，没有参数，用在 `nn.Sequential` 里或在 `__init__` 中定义后调用。

        `nn.Sequential` 中激活函数也算一层，所以要写 `nn.ReLU()`（注意括号，要实例化），而不是 `torch.relu`。
        """,
        """
        The **layer** form of ReLU, `max(0, x)`, with no parameters; use it in `nn.Sequential` or define it in `__init__` and call it.

        In `nn.Sequential` the activation is a layer of its own, so write `nn.ReLU()` (instantiated, with parentheses), not `torch.relu`.
        """,
        kind="class",
        example="""
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        net(torch.randn(3, 4)).shape  # → torch.Size([3, 2])
        """,
        see_also=("torch.nn.functional.relu", "torch.nn.Sequential"),
    ),
    doc(
        "torch.nn.LeakyReLU",
        "class torch.nn.LeakyReLU(negative_slope=0.01, inplace=False)",
        """
        Leaky ReLU 的层形式：负数乘以 `negative_slope`（默认 0.01），正数不变。

        适合担心 ReLU 神经元“死亡”的场合；Kaiming 初始化时可传 `nonlinearity='leaky_relu', a=negative_slope` 与之匹配。
        """,
        """
        The layer form of Leaky ReLU: negatives are multiplied by `negative_slope` (0.01 by default), positives pass through.

        Useful against "dead" ReLU units; match it in Kaiming initialisation with `nonlinearity='leaky_relu', a=negative_slope`.
        """,
        kind="class",
        example="""
        nn.LeakyReLU(0.1)(torch.tensor([-1.0, 2.0]))  # → tensor([-0.1000,  2.0000])
        """,
        see_also=("torch.nn.functional.leaky_relu", "torch.nn.init.kaiming_normal_"),
    ),
    doc(
        "torch.nn.GELU",
        "class torch.nn.GELU(approximate='none')",
        """
        GELU 激活的层形式，平滑版的 ReLU，Transformer 类模型常用。

        `approximate='tanh'` 用 tanh 近似；加载预训练权重时要与原模型的设置一致。
        """,
        """
        The layer form of GELU, a smooth ReLU common in Transformer models.

        `approximate='tanh'` uses a tanh approximation; match the original model's setting when loading pretrained weights.
        """,
        kind="class",
        example="""
        nn.GELU()(torch.tensor([0.0, 2.0]))  # → tensor([0.0000, 1.9545])
        """,
        see_also=("torch.nn.functional.gelu",),
    ),
    doc(
        "torch.nn.Sigmoid",
        "class torch.nn.Sigmoid()",
        """
        Sigmoid 的层形式：把输出压到 (0, 1)。

        常见错误是模型最后一层用了 `nn.Sigmoid()`，损失却用 `BCEWithLogitsLoss`——后者内部还会再做一次 sigmoid。要么去掉这一层改用 `BCEWithLogitsLoss`（更稳定），要么保留它并用 `BCELoss`。
        """,
        """
        The layer form of sigmoid: squashes outputs into (0, 1).

        A common mistake is ending the model with `nn.Sigmoid()` while using `BCEWithLogitsLoss`, which applies sigmoid again internally. Either drop the layer and use `BCEWithLogitsLoss` (more stable), or keep it with `BCELoss`.
        """,
        kind="class",
        example="""
        nn.Sigmoid()(torch.tensor([0.0]))  # → tensor([0.5000])
        """,
        see_also=("torch.sigmoid", "torch.nn.BCELoss", "torch.nn.BCEWithLogitsLoss"),
    ),
    doc(
        "torch.nn.Tanh",
        "class torch.nn.Tanh()",
        """
        tanh 的层形式：把输出压到 (-1, 1)，没有参数。

        在 `nn.Sequential` 中写 `nn.Tanh()`；在 `forward` 里也可以直接调用 `torch.tanh(x)`。
        """,
        """
        The layer form of tanh: squashes outputs into (-1, 1); no parameters.

        Write `nn.Tanh()` in `nn.Sequential`; in `forward` you can also call `torch.tanh(x)` directly.
        """,
        kind="class",
        example="""
        nn.Tanh()(torch.tensor([0.0]))  # → tensor([0.])
        """,
        see_also=("torch.tanh",),
    ),
    doc(
        "torch.nn.Softmax",
        "class torch.nn.Softmax(dim=None)",
        """
        Softmax 的层形式：沿 `dim` 归一化成概率，**请写明 `dim`**，例如 `nn.Softmax(dim=1)`。

        不写 `dim` 时会警告并猜测维度，3 维输入时会沿第 0 维（批量维）归一化。若损失函数是 `CrossEntropyLoss`，模型最后**不要**加这一层：该损失自带 log-softmax，只在推理时取概率再用 softmax。
        """,
        """
        The layer form of softmax: normalises along `dim` into probabilities; **pass `dim`**, e.g. `nn.Softmax(dim=1)`.

        Without `dim` it warns and guesses, normalising over dim 0 (the batch) for 3-D input. If the loss is `CrossEntropyLoss`, do **not** end the model with this layer: that loss includes log-softmax; apply softmax only at inference to get probabilities.
        """,
        kind="class",
        example="""
        nn.Softmax(dim=1)(torch.tensor([[1.0, 1.0]]))  # → tensor([[0.5000, 0.5000]])
        """,
        see_also=("torch.nn.functional.softmax", "torch.nn.CrossEntropyLoss"),
    ),
]

# ---------------------------------------------------------------- layers
DOCS += [
    doc(
        "torch.nn.Linear",
        "class torch.nn.Linear(in_features, out_features, bias=True, device=None, dtype=None)",
        """
        全连接层：`y = x Wᵀ + b`，把输入的**最后一维**从 `in_features` 变成 `out_features`，前面的维度原样保留。

        `weight` 的形状是 `(out_features, in_features)`，`bias` 是 `(out_features,)`。输入最后一维不等于 `in_features` 时报 “mat1 and mat2 shapes cannot be multiplied”；输入必须是浮点张量且与权重 dtype 相同（int64 或 float64 输入都会报错）。卷积输出接它之前先 `torch.flatten(x, 1)`。默认初始化是 `kaiming_uniform_(a=√5)`，等价于在 ±1/√in_features 内均匀分布。
        """,
        """
        Fully connected layer: `y = x Wᵀ + b`, mapping the **last dimension** from `in_features` to `out_features` and keeping the leading ones.

        `weight` has shape `(out_features, in_features)`, `bias` `(out_features,)`. A last dimension other than `in_features` raises "mat1 and mat2 shapes cannot be multiplied"; the input must be floating point with the weights' dtype (int64 or float64 input raises). After convolutions call `torch.flatten(x, 1)` first. The default initialisation is `kaiming_uniform_(a=√5)`, i.e. uniform within ±1/√in_features.
        """,
        kind="class",
        example="""
        fc = nn.Linear(3, 4)
        fc.weight.shape  # → torch.Size([4, 3])
        fc(torch.randn(2, 5, 3)).shape  # → torch.Size([2, 5, 4])
        fc(torch.tensor([[1, 2, 3]]))  # ✗ RuntimeError
        """,
        see_also=("torch.nn.init.kaiming_uniform_", "torch.flatten", "torch.matmul"),
    ),
    doc(
        "torch.nn.Dropout",
        "class torch.nn.Dropout(p=0.5, inplace=False)",
        """
        训练时以概率 `p` 随机把元素置 0，并把保留的元素放大 `1/(1-p)`；`model.eval()` 之后它什么也不做。

        所以评估、推理前**必须调用 `model.eval()`**，否则每次输出都带随机性；恢复训练时再 `model.train()`。`p` 是“丢弃”的概率，必须在 [0, 1] 内，默认 0.5。
        """,
        """
        During training it zeroes each element with probability `p` and scales the kept ones by `1/(1-p)`; after `model.eval()` it does nothing.

        So **call `model.eval()`** before evaluation and inference, or every output is random; call `model.train()` to resume training. `p` is the probability of *dropping* and must lie in [0, 1]; the default is 0.5.
        """,
        kind="class",
        example="""
        drop = nn.Dropout(0.5)
        drop.eval()
        drop(torch.ones(4))  # → tensor([1., 1., 1., 1.])
        nn.Dropout(1.5)  # ✗ ValueError
        """,
        see_also=("torch.nn.functional.dropout", "torch.nn.Module.eval", "torch.nn.Module.train"),
    ),
    doc(
        "torch.nn.functional.dropout",
        "torch.nn.functional.dropout(input, p=0.5, training=True, inplace=False) → Tensor",
        """
        函数形式的 Dropout，**`training` 默认为 `True`**，不会跟随 `model.eval()` 自动关闭。

        在 `forward` 里写 `F.dropout(x, p)` 而不传 `training`，评估时也会继续随机丢弃。请写 `F.dropout(x, p, training=self.training)`，或在 `__init__` 里用层 `nn.Dropout(p)`。
        """,
        """
        Functional dropout with **`training=True` by default**; it does not follow `model.eval()`.

        Writing `F.dropout(x, p)` in `forward` without `training` keeps dropping at evaluation time. Write `F.dropout(x, p, training=self.training)`, or use the layer `nn.Dropout(p)` from `__init__`.
        """,
        example="""
        F.dropout(torch.ones(4), p=0.5, training=False)  # → tensor([1., 1., 1., 1.])
        """,
        see_also=("torch.nn.Dropout",),
    ),
    doc(
        "torch.nn.Conv2d",
        "class torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', device=None, dtype=None)",
        """
        二维卷积层：输入 `(N, C_in, H, W)`（或不带批量维的 `(C_in, H, W)`），输出 `(N, C_out, H_out, W_out)`。

        输出尺寸：`H_out = ⌊(H + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1`，宽度同理；除不尽时**向下取整**。输入通道数必须等于 `in_channels`，否则报 “expected input … to have 3 channels”；输入必须是浮点张量。`padding='same'` 让输出与输入同尺寸，但只能在 `stride=1` 时使用。权重形状为 `(out_channels, in_channels/groups, kH, kW)`。
        """,
        """
        2-D convolution: input `(N, C_in, H, W)` (or unbatched `(C_in, H, W)`), output `(N, C_out, H_out, W_out)`.

        Output size: `H_out = ⌊(H + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1`, likewise for the width, **rounded down**. The input channels must equal `in_channels`, or it raises "expected input … to have 3 channels"; the input must be floating point. `padding='same'` keeps the spatial size but only with `stride=1`. The weight has shape `(out_channels, in_channels/groups, kH, kW)`.
        """,
        kind="class",
        example="""
        conv = nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1)
        conv(torch.randn(2, 3, 28, 28)).shape  # → torch.Size([2, 16, 14, 14])
        nn.Conv2d(1, 6, 5)(torch.randn(1, 1, 32, 32)).shape  # → torch.Size([1, 6, 28, 28])
        conv(torch.randn(2, 4, 28, 28))  # ✗ RuntimeError
        """,
        see_also=("torch.nn.MaxPool2d", "torch.flatten", "torch.nn.init.kaiming_normal_"),
    ),
    doc(
        "torch.nn.MaxPool2d",
        "class torch.nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False)",
        """
        二维最大池化：在每个窗口里取最大值做下采样，通道数不变；**`stride` 默认等于 `kernel_size`**（窗口不重叠）。

        输出尺寸：`H_out = ⌊(H + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1`，默认向下取整，奇数尺寸会丢掉最后一行/列；`ceil_mode=True` 改为向上取整。`padding` 最多为 `kernel_size` 的一半。没有可学习参数。
        """,
        """
        2-D max pooling: takes the maximum of each window to downsample, keeping the channel count; **`stride` defaults to `kernel_size`** (non-overlapping windows).

        Output size: `H_out = ⌊(H + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1`, rounded down by default, so odd sizes lose the last row/column; `ceil_mode=True` rounds up instead. `padding` may be at most half of `kernel_size`. No learnable parameters.
        """,
        kind="class",
        example="""
        nn.MaxPool2d(2)(torch.randn(1, 6, 28, 28)).shape  # → torch.Size([1, 6, 14, 14])
        nn.MaxPool2d(2)(torch.randn(1, 1, 5, 5)).shape  # → torch.Size([1, 1, 2, 2])
        nn.MaxPool2d(2, ceil_mode=True)(torch.randn(1, 1, 5, 5)).shape  # → torch.Size([1, 1, 3, 3])
        """,
        see_also=("torch.nn.AvgPool2d", "torch.nn.Conv2d"),
    ),
    doc(
        "torch.nn.AvgPool2d",
        "class torch.nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)",
        """
        二维平均池化：每个窗口取平均值做下采样；和 `MaxPool2d` 一样 `stride` 默认等于 `kernel_size`，尺寸向下取整。

        有 `padding` 时默认把填充的 0 也算进平均（`count_include_pad=True`），边缘的值会偏小。
        """,
        """
        2-D average pooling: averages each window to downsample; as with `MaxPool2d`, `stride` defaults to `kernel_size` and sizes round down.

        With `padding`, the padded zeros count in the average by default (`count_include_pad=True`), so border values come out smaller.
        """,
        kind="class",
        example="""
        nn.AvgPool2d(2)(torch.randn(1, 1, 28, 28)).shape  # → torch.Size([1, 1, 14, 14])
        """,
        see_also=("torch.nn.MaxPool2d",),
    ),
    doc(
        "torch.nn.Flatten",
        "class torch.nn.Flatten(start_dim=1, end_dim=-1)",
        """
        把 `start_dim` 之后的维度展平；**默认 `start_dim=1`**，保留批量维，常放在卷积部分和全连接层之间。

        注意函数 `torch.flatten` 的默认值是 `start_dim=0`，与这个层不同。
        """,
        """
        Flattens the dimensions from `start_dim` on; **`start_dim=1` by default**, keeping the batch, typically between the convolutional part and the linear layers.

        Note that the function `torch.flatten` defaults to `start_dim=0`, unlike this layer.
        """,
        kind="class",
        example="""
        nn.Flatten()(torch.zeros(2, 3, 4)).shape  # → torch.Size([2, 12])
        """,
        see_also=("torch.flatten", "torch.nn.Linear"),
    ),
    doc(
        "torch.nn.Embedding",
        "class torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None)",
        """
        词嵌入层：一张 `(num_embeddings, embedding_dim)` 的可学习表，按**整数索引**查出对应的词向量，输出形状是输入形状后面加一维 `embedding_dim`。

        输入必须是整数张量（int64 或 int32），浮点索引会报错；索引必须在 `[0, num_embeddings)` 内，越界报 “index out of range”，所以 `num_embeddings` 应等于词表大小。`padding_idx` 指定的那一行初始化为 0 且不更新，适合填充符。
        """,
        """
        Word embedding: a learnable `(num_embeddings, embedding_dim)` table looked up by **integer indices**; the output shape is the input shape plus a trailing `embedding_dim`.

        Input must be an integer tensor (int64 or int32); float indices raise. Indices must lie in `[0, num_embeddings)`, otherwise "index out of range", so `num_embeddings` should be the vocabulary size. The row at `padding_idx` starts at zero and is never updated, handy for padding tokens.
        """,
        kind="class",
        example="""
        emb = nn.Embedding(10, 3)
        emb(torch.tensor([[1, 2], [3, 4]])).shape  # → torch.Size([2, 2, 3])
        emb(torch.tensor([1.0, 2.0]))  # ✗ RuntimeError
        emb(torch.tensor([10]))  # ✗ IndexError
        """,
        see_also=("torch.nn.RNN", "torch.Tensor.long"),
    ),
    doc(
        "torch.nn.RNN",
        "class torch.nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)",
        """
        多层 Elman 循环神经网络，每一步计算 `h_t = tanh(x_t W_ihᵀ + b_ih + h_(t-1) W_hhᵀ + b_hh)`；调用 `output, h_n = rnn(input, h_0)`。

        **默认输入是 `(seq_len, batch, input_size)`**（序列长度在前）；数据是 `(batch, seq_len, …)` 时要设 `batch_first=True`。`output` 是每一步最后一层的隐状态 `(seq_len, batch, D·hidden_size)`，`h_n` 是每层最后一步的隐状态 `(D·num_layers, batch, hidden_size)`——**`h_n` 不受 `batch_first` 影响**。双向时 D=2。`h_0` 省略时为全 0。
        """,
        """
        Multi-layer Elman RNN computing `h_t = tanh(x_t W_ihᵀ + b_ih + h_(t-1) W_hhᵀ + b_hh)` per step; call it as `output, h_n = rnn(input, h_0)`.

        **The input defaults to `(seq_len, batch, input_size)`** (sequence first); for `(batch, seq_len, …)` data set `batch_first=True`. `output` holds the last layer's hidden state at every step, `(seq_len, batch, D·hidden_size)`; `h_n` the last step of every layer, `(D·num_layers, batch, hidden_size)`, **regardless of `batch_first`**. D=2 when bidirectional. `h_0` defaults to zeros.
        """,
        kind="class",
        example="""
        rnn = nn.RNN(input_size=4, hidden_size=8, num_layers=2)
        output, h_n = rnn(torch.randn(5, 3, 4))
        output.shape  # → torch.Size([5, 3, 8])
        h_n.shape  # → torch.Size([2, 3, 8])
        rnn_bf = nn.RNN(4, 8, batch_first=True)
        rnn_bf(torch.randn(3, 5, 4))[1].shape  # → torch.Size([1, 3, 8])
        """,
        see_also=("torch.nn.Embedding", "torch.tanh"),
    ),
    doc(
        "torch.nn.Sequential",
        "class torch.nn.Sequential(*args)",
        """
        按顺序串起多个模块：前一个的输出就是后一个的输入，适合简单的前馈结构，不必自己写 `forward`。

        激活函数也要作为一层放进去（`nn.ReLU()`、`nn.Softmax(dim=1)`）。各层要作为**多个参数**传入：已有列表时写 `nn.Sequential(*layers)`，直接传列表会报错。也可以传 `OrderedDict` 给每层命名。它只能把一个输入逐层往下传；有分支、多输入时请自定义 `nn.Module`。可以用 `net[0]`、`net[-1]` 取出某一层。
        """,
        """
        Chains modules in order: each output feeds the next, good for plain feed-forward stacks without writing `forward`.

        Activations go in as layers too (`nn.ReLU()`, `nn.Softmax(dim=1)`). Pass the layers as **separate arguments**: with a list write `nn.Sequential(*layers)`; passing the list itself raises. An `OrderedDict` names the layers. It can only pass one input down the chain; for branches or several inputs write your own `nn.Module`. Index layers with `net[0]`, `net[-1]`.
        """,
        kind="class",
        example="""
        layers = [nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)]
        net = nn.Sequential(*layers)
        net(torch.randn(5, 3)).shape  # → torch.Size([5, 2])
        nn.Sequential(layers)  # ✗ TypeError
        """,
        see_also=("torch.nn.Module", "torch.nn.ReLU"),
    ),
    doc(
        "torch.nn.Module",
        "class torch.nn.Module(*args, **kwargs)",
        """
        所有网络层和模型的基类：自定义模型要继承它，在 `__init__` 里定义各层，在 `forward` 里写前向计算。

        `__init__` 里要**先调用 `super().__init__()`**，否则给 `self.xxx` 赋层时报错。作为属性赋值的层和 `nn.Parameter` 会被自动登记，`parameters()`、`to()`、`state_dict()` 都能找到它们；放在普通 Python 列表或字典里的层**不会被登记**，要用 `nn.ModuleList`/`nn.ModuleDict`。使用时调用 `model(x)` 而不是 `model.forward(x)`，前者才会运行钩子。
        """,
        """
        Base class of every layer and model: subclass it, define the layers in `__init__` and the computation in `forward`.

        **Call `super().__init__()` first** in `__init__`, otherwise assigning a layer to `self.xxx` raises. Layers and `nn.Parameter`s assigned as attributes are registered automatically, so `parameters()`, `to()` and `state_dict()` see them; layers kept in a plain Python list or dict are **not registered**; use `nn.ModuleList`/`nn.ModuleDict`. Call `model(x)`, not `model.forward(x)`; only the former runs hooks.
        """,
        kind="class",
        example="""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(3, 4)
                self.fc2 = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x)))

        Net()(torch.randn(5, 3)).shape  # → torch.Size([5, 2])
        """,
        see_also=("torch.nn.Sequential", "torch.nn.Parameter", "torch.nn.Module.parameters"),
    ),
    doc(
        "torch.nn.Parameter",
        "class torch.nn.Parameter(data=None, requires_grad=True)",
        """
        模型参数：一种默认 `requires_grad=True` 的张量，作为 `nn.Module` 的属性赋值时会被自动登记为参数。

        自定义层里需要可学习的权重时写 `self.w = nn.Parameter(torch.randn(3, 4))`；普通张量属性不会出现在 `parameters()` 里，优化器也就不会更新它。参数是叶子节点，更新或初始化时要放在 `torch.no_grad()` 里或用 `nn.init`。
        """,
        """
        A model parameter: a tensor with `requires_grad=True` by default that registers itself as a parameter when assigned to an `nn.Module` attribute.

        For learnable weights in a custom layer write `self.w = nn.Parameter(torch.randn(3, 4))`; a plain tensor attribute does not appear in `parameters()`, so the optimizer never updates it. Parameters are leaves; update or initialise them under `torch.no_grad()` or with `nn.init`.
        """,
        kind="class",
        example="""
        p = nn.Parameter(torch.ones(2))
        p.requires_grad  # → True
        p.is_leaf  # → True
        """,
        see_also=("torch.nn.Module", "torch.nn.Module.parameters"),
    ),
]

# ---------------------------------------------------------------- nn.Module methods
DOCS += [
    doc(
        "torch.nn.Module.apply",
        "Module.apply(fn) → Module",
        """
        对模型中的**每一个子模块（递归）以及模型自身**调用一次 `fn(module)`，返回模型本身；最常用于自定义参数初始化。

        调用顺序是先子模块后自身。`fn` 会收到各种类型的模块，里面要先判断类型，例如 `if isinstance(m, nn.Linear): nn.init.xavier_uniform_(m.weight)`。传入的是函数本身：写 `model.apply(init_weights)`，不要写成 `model.apply(init_weights())`。
        """,
        """
        Calls `fn(module)` on **every submodule (recursively) and on the model itself**, then returns the model; the usual hook for custom initialisation.

        Children are visited before the parent. `fn` receives modules of every type, so check the type first, e.g. `if isinstance(m, nn.Linear): nn.init.xavier_uniform_(m.weight)`. Pass the function itself: `model.apply(init_weights)`, not `model.apply(init_weights())`.
        """,
        kind="method",
        example="""
        def init_weights(m):
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.constant_(m.bias, 0.01)

        net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        net.apply(init_weights) is net  # → True
        """,
        see_also=("torch.nn.init.xavier_uniform_", "torch.nn.init.kaiming_normal_"),
    ),
    doc(
        "torch.nn.Module.parameters",
        "Module.parameters(recurse=True) → Iterator[Parameter]",
        """
        返回模型所有可学习参数的**迭代器**（生成器），通常直接传给优化器：`optim.SGD(model.parameters(), lr=0.01)`。

        迭代器只能遍历一次：先存成变量、传给优化器后再遍历，就已经是空的了；需要多次使用时用 `list(model.parameters())`。统计参数量：`sum(p.numel() for p in model.parameters())`。要带名字用 `named_parameters()`。
        """,
        """
        Returns an **iterator** (a generator) over all learnable parameters, usually passed straight to an optimizer: `optim.SGD(model.parameters(), lr=0.01)`.

        An iterator can only be consumed once: stored in a variable and handed to an optimizer, it is empty afterwards; use `list(model.parameters())` when you need it twice. Count parameters with `sum(p.numel() for p in model.parameters())`. Use `named_parameters()` for names.
        """,
        kind="method",
        example="""
        net = nn.Linear(3, 2)
        sum(p.numel() for p in net.parameters())  # → 8
        params = net.parameters()
        opt2 = optim.SGD(params, lr=0.1)
        list(params)  # → []
        """,
        see_also=("torch.nn.Module.named_parameters", "torch.optim.SGD"),
    ),
    doc(
        "torch.nn.Module.named_parameters",
        "Module.named_parameters(prefix='', recurse=True, remove_duplicate=True) → Iterator[tuple[str, Parameter]]",
        """
        像 `parameters()` 一样遍历所有参数，但同时给出参数名，如 `'fc1.weight'`、`'0.bias'`。

        常用于查看模型、按名字冻结部分参数（`if name.startswith('backbone'): p.requires_grad_(False)`），或为不同参数设置不同学习率。名字与 `state_dict()` 的键一致。
        """,
        """
        Iterates over the parameters like `parameters()`, with their names such as `'fc1.weight'` or `'0.bias'`.

        Handy for inspecting a model, freezing parameters by name (`if name.startswith('backbone'): p.requires_grad_(False)`), or per-parameter learning rates. The names match the `state_dict()` keys.
        """,
        kind="method",
        example="""
        net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        [name for name, p in net.named_parameters()]  # → ['0.weight', '0.bias', '2.weight', '2.bias']
        """,
        see_also=("torch.nn.Module.parameters", "torch.nn.Module.state_dict"),
    ),
    doc(
        "torch.nn.Module.state_dict",
        "Module.state_dict(*, destination=None, prefix='', keep_vars=False) → dict[str, Any]",
        """
        返回模型状态的字典：参数名 → 张量，**还包括 BatchNorm 的 `running_mean` 等缓冲区**，是保存模型的标准方式：`torch.save(model.state_dict(), path)`。

        字典里的张量是对参数的引用、与参数**共享内存**，训练继续时它们也会跟着变；要保存某一时刻的快照请用 `copy.deepcopy(model.state_dict())`。加载用 `load_state_dict`。优化器和学习率调度器也有各自的 `state_dict()`，断点续训时要一起保存。
        """,
        """
        Returns the model's state as a dict of name → tensor, **including buffers such as BatchNorm's `running_mean`**; the standard way to save a model: `torch.save(model.state_dict(), path)`.

        The tensors are references **sharing memory** with the parameters and keep changing as training goes on; for a snapshot use `copy.deepcopy(model.state_dict())`. Load with `load_state_dict`. Optimizers and LR schedulers have their own `state_dict()`; save them too to resume training.
        """,
        kind="method",
        example="""
        list(nn.BatchNorm1d(3).state_dict())  # → ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
        """,
        see_also=("torch.nn.Module.load_state_dict", "torch.nn.Module.named_parameters"),
    ),
    doc(
        "torch.nn.Module.load_state_dict",
        "Module.load_state_dict(state_dict, strict=True, assign=False)",
        """
        把 `state_dict` 中的参数和缓冲区**复制**进模型；默认 `strict=True`，键名或形状不一致都会报错并列出差异。

        模型结构要与保存时一致。常见的键名不一致是多 GPU（`DataParallel`）保存时带的 `module.` 前缀。`strict=False` 会跳过缺少或多余的键并在返回值中列出，但形状不一致仍会报错；用它时请检查返回的 `missing_keys`。
        """,
        """
        **Copies** parameters and buffers from `state_dict` into the model; with the default `strict=True`, mismatched keys or shapes raise and list the differences.

        The architecture must match the saved one. A common key mismatch is the `module.` prefix from models saved under `DataParallel`. `strict=False` skips missing or unexpected keys and reports them in the return value, but shape mismatches still raise; check the returned `missing_keys` when you use it.
        """,
        kind="method",
        example="""
        net = nn.Linear(3, 2)
        net.load_state_dict(net.state_dict()).missing_keys  # → []
        net.load_state_dict({})  # ✗ RuntimeError
        """,
        see_also=("torch.nn.Module.state_dict",),
    ),
    doc(
        "torch.nn.Module.train",
        "Module.train(mode=True) → Module",
        """
        把模型（递归地包括所有子模块）切换到**训练模式**，返回模型本身；新建的模型默认就是训练模式。

        它只影响 Dropout、BatchNorm 等在训练和评估时行为不同的层，并不开关梯度计算。评估完回到训练循环时记得再调用一次 `model.train()`。
        """,
        """
        Switches the model (recursively, all submodules) to **training mode** and returns it; new models start in training mode.

        It only affects layers that behave differently in training and evaluation, such as Dropout and BatchNorm; it does not switch gradients on or off. Call `model.train()` again when returning to the training loop after evaluation.
        """,
        kind="method",
        example="""
        net = nn.Sequential(nn.Linear(3, 2), nn.Dropout())
        net.eval()
        net.train().training  # → True
        """,
        see_also=("torch.nn.Module.eval", "torch.nn.Dropout"),
    ),
    doc(
        "torch.nn.Module.eval",
        "Module.eval() → Module",
        """
        切换到**评估模式**：Dropout 不再丢弃，BatchNorm 使用训练中累计的统计量；等价于 `model.train(False)`。

        它**不会**关闭梯度计算：推理时还要配合 `with torch.no_grad():`（或 `torch.inference_mode()`）节省内存。反过来，只用 `no_grad` 不调用 `eval()`，Dropout 仍会随机丢弃。回到训练前再调用 `model.train()`。
        """,
        """
        Switches to **evaluation mode**: Dropout stops dropping and BatchNorm uses its running statistics; the same as `model.train(False)`.

        It does **not** turn off gradients: pair it with `with torch.no_grad():` (or `torch.inference_mode()`) at inference to save memory. Conversely, `no_grad` without `eval()` leaves Dropout dropping. Call `model.train()` before training again.
        """,
        kind="method",
        example="""
        net = nn.Sequential(nn.Linear(3, 2), nn.Dropout())
        net.eval()
        net.training  # → False
        with torch.no_grad():
            out = net(torch.randn(4, 3))
        """,
        see_also=("torch.nn.Module.train", "torch.no_grad", "torch.nn.Dropout"),
    ),
    doc(
        "torch.nn.Module.to",
        "Module.to(device=None, dtype=None, non_blocking=False) → Module",
        """
        把模型的所有参数和缓冲区移到指定设备和/或转成指定浮点类型，**原地修改**并返回模型本身。

        所以 `model.to(device)` 单独一行就够了（写成 `model = model.to(device)` 也无妨）。而张量的 `x.to(device)` 不是原地的，必须赋值。每个批次的数据也要搬到同一设备，否则报 “Expected all tensors to be on the same device”。建议先移动模型，再创建优化器。
        """,
        """
        Moves all parameters and buffers to the given device and/or floating dtype **in place** and returns the model itself.

        So `model.to(device)` on its own line is enough (`model = model.to(device)` is fine too), whereas a tensor's `x.to(device)` is not in place and must be assigned. Every batch must move to the same device, or it raises "Expected all tensors to be on the same device". Move the model first, then create the optimizer.
        """,
        kind="method",
        example="""
        device = "cuda" if torch.cuda.is_available() else "cpu"
        net = nn.Linear(3, 2)
        net.to(device) is net  # → True
        """,
        see_also=("torch.Tensor.to", "torch.device"),
    ),
    doc(
        "torch.nn.Module.zero_grad",
        "Module.zero_grad(set_to_none=True) → None",
        """
        把模型所有参数的梯度清零（默认直接设为 `None`）。

        效果与 `optimizer.zero_grad()` 相同（当优化器管理着模型的全部参数时），训练循环里二选一即可，每步 `backward()` 之前调用，否则梯度会跨批次累积。
        """,
        """
        Resets the gradients of all the model's parameters (to `None` by default).

        Equivalent to `optimizer.zero_grad()` when the optimizer holds all the model's parameters; use either one in the training loop, before each `backward()`, or gradients accumulate across batches.
        """,
        kind="method",
        example="""
        net = nn.Linear(3, 2)
        net(torch.randn(4, 3)).sum().backward()
        net.zero_grad()
        net.weight.grad is None  # → True
        """,
        see_also=("torch.optim.Optimizer.zero_grad", "torch.Tensor.backward"),
    ),
]
