"""Hover texts: autograd (requires_grad, backward, grad, leaves, detach, no_grad…) and
devices."""
from __future__ import annotations

from .api import ApiDoc, doc

DOCS: list[ApiDoc] = [
    doc(
        "torch.Tensor.requires_grad",
        "Tensor.requires_grad → bool",
        """
        为 `True` 时，autograd 会记录以这个张量为输入的所有运算，反向传播时为它计算梯度。

        用户创建的张量默认为 `False`；模型参数（`nn.Parameter`）默认为 `True`；由需要梯度的张量算出来的结果自动为 `True`。只有浮点（和复数）张量可以需要梯度。只能直接修改**叶子节点**的这个属性，冻结参数写 `p.requires_grad_(False)`。
        """,
        """
        When `True`, autograd records every operation that uses this tensor and computes its gradient in the backward pass.

        Tensors you create default to `False`; model parameters (`nn.Parameter`) to `True`; results computed from a tensor that requires grad are `True` automatically. Only floating (and complex) tensors can require gradients. The flag can only be changed on **leaf** tensors; freeze a parameter with `p.requires_grad_(False)`.
        """,
        kind="attribute",
        example="""
        w = torch.randn(2, 3, requires_grad=True)
        (w * 2).requires_grad  # → True
        torch.tensor([1, 2], requires_grad=True)  # ✗ RuntimeError
        """,
        see_also=("torch.Tensor.requires_grad_", "torch.Tensor.is_leaf", "torch.no_grad"),
    ),
    doc(
        "torch.Tensor.requires_grad_",
        "Tensor.requires_grad_(requires_grad=True) → Tensor",
        """
        原地设置张量的 `requires_grad` 并返回它自己，常用于冻结或解冻参数。

        只能用在**叶子节点**上：对计算得到的中间结果调用会报错，想让它不再参与求导请用 `.detach()`。冻结整个子模块可写 `model.backbone.requires_grad_(False)`。
        """,
        """
        Sets `requires_grad` in place and returns the tensor itself; the usual way to freeze or unfreeze parameters.

        Only works on **leaf** tensors: calling it on a computed result raises; use `.detach()` to take such a value out of autograd. To freeze a whole submodule write `model.backbone.requires_grad_(False)`.
        """,
        kind="method",
        example="""
        x = torch.randn(2).requires_grad_()
        x.is_leaf  # → True
        (x * 2).requires_grad_(False)  # ✗ RuntimeError
        """,
        see_also=("torch.Tensor.requires_grad", "torch.Tensor.detach"),
    ),
    doc(
        "torch.Tensor.backward",
        "Tensor.backward(gradient=None, retain_graph=None, create_graph=False, inputs=None)",
        """
        从这个张量开始反向传播，把梯度**累加**到各个叶子节点的 `.grad` 上。

        只有标量（一个元素）才能直接调用 `backward()`；非标量要传 `gradient`，或先 `.sum()`/`.mean()`。梯度是累加而不是覆盖的，所以每个训练步都要先梯度清零（`optimizer.zero_grad()`）。调用后计算图默认被释放，同一个图再次 `backward()` 会报错，除非第一次传了 `retain_graph=True`。
        """,
        """
        Runs back-propagation from this tensor and **accumulates** gradients into each leaf's `.grad`.

        Only a scalar (one element) can call `backward()` directly; otherwise pass `gradient`, or reduce with `.sum()`/`.mean()` first. Gradients add up rather than overwrite, so zero them (`optimizer.zero_grad()`) every training step. The graph is freed afterwards; a second `backward()` through it raises unless the first call passed `retain_graph=True`.
        """,
        kind="method",
        example="""
        w = torch.ones(2, requires_grad=True)
        (w * 2).sum().backward()
        (w * 2).sum().backward()
        w.grad  # → tensor([4., 4.])
        (w * 3).backward()  # ✗ RuntimeError
        """,
        see_also=("torch.Tensor.grad", "torch.optim.Optimizer.zero_grad", "torch.Tensor.retain_grad"),
    ),
    doc(
        "torch.Tensor.grad",
        "Tensor.grad → Tensor | None",
        """
        保存反向传播算出的梯度；在第一次 `backward()` 之前是 `None`，之后每次 `backward()` 都**累加**到这里。

        只有 `requires_grad=True` 的**叶子节点**（如模型参数）才会被填充；中间结果的 `.grad` 始终是 `None`（读取时会给出警告），需要时在 `backward()` 之前调用 `retain_grad()`。每步训练前用 `optimizer.zero_grad()` 做梯度清零，否则梯度会越积越大。
        """,
        """
        Holds the gradient computed by back-propagation: `None` before the first `backward()`, then each `backward()` **adds** to it.

        Only **leaf** tensors with `requires_grad=True` (such as parameters) get it filled; an intermediate result's `.grad` stays `None` (reading it warns), so call `retain_grad()` before `backward()` if you need it. Zero it before each training step with `optimizer.zero_grad()`, otherwise gradients keep growing.
        """,
        kind="attribute",
        example="""
        w = torch.ones(2, requires_grad=True)
        w.grad is None  # → True
        (w * w).sum().backward()
        w.grad  # → tensor([2., 2.])
        """,
        see_also=("torch.Tensor.backward", "torch.Tensor.is_leaf", "torch.optim.Optimizer.zero_grad"),
    ),
    doc(
        "torch.Tensor.is_leaf",
        "Tensor.is_leaf → bool",
        """
        是否为计算图的**叶子节点**：由用户直接创建的张量、模型参数，以及所有 `requires_grad=False` 的张量都是叶子节点；由需要梯度的张量运算得到的结果不是。

        反向传播只会填充叶子节点的 `.grad`。容易踩坑的是：`torch.randn(3, requires_grad=True).to("cuda")` 或 `* 2` 之后得到的已经不是叶子节点，它的 `.grad` 永远是 `None`。
        """,
        """
        Whether this is a **leaf** of the graph: tensors you create directly, model parameters, and every tensor with `requires_grad=False` are leaves; results computed from tensors that require grad are not.

        Back-propagation only fills the `.grad` of leaves. A classic trap: `torch.randn(3, requires_grad=True).to("cuda")` or `* 2` is already a non-leaf, and its `.grad` stays `None`.
        """,
        kind="attribute",
        example="""
        w = torch.randn(2, requires_grad=True)
        w.is_leaf  # → True
        (w * 2).is_leaf  # → False
        torch.ones(2).is_leaf  # → True
        """,
        see_also=("torch.Tensor.grad", "torch.Tensor.retain_grad"),
    ),
    doc(
        "torch.Tensor.retain_grad",
        "Tensor.retain_grad() → None",
        """
        让一个**非叶子节点**在反向传播后也保留 `.grad`；要在 `backward()` **之前**调用。

        默认只有叶子节点会保存梯度，中间结果的梯度用完即弃。它是方法而不是 `backward` 的参数（`backward(retain_graph=True)` 是保留计算图，另一回事）。对叶子节点调用没有效果，对不需要梯度的张量调用会报错。
        """,
        """
        Makes a **non-leaf** tensor keep its `.grad` after back-propagation; call it **before** `backward()`.

        By default only leaves store gradients and intermediate ones are discarded. It is a method, not an argument of `backward` (`backward(retain_graph=True)` keeps the graph, a different thing). It does nothing on leaves and raises on tensors that do not require grad.
        """,
        kind="method",
        example="""
        w = torch.ones(2, requires_grad=True)
        m = w * 2
        m.retain_grad()
        m.sum().backward()
        m.grad  # → tensor([1., 1.])
        """,
        see_also=("torch.Tensor.grad", "torch.Tensor.is_leaf"),
    ),
    doc(
        "torch.Tensor.detach",
        "Tensor.detach() → Tensor",
        """
        返回一个从计算图中分离出来的新张量：数值相同、**共享内存**，但 `requires_grad=False`，梯度不会经过它往回传。

        因为共享内存，原地修改 detach 的结果也会改掉原张量（并可能让之后的 `backward()` 报错）；要独立副本写 `x.detach().clone()`。转 NumPy 的常见写法是 `x.detach().cpu().numpy()`。
        """,
        """
        Returns a new tensor cut out of the graph: same values, **shared memory**, `requires_grad=False`, and no gradient flows back through it.

        Because memory is shared, writing to the detached tensor in place changes the original too (and may break a later `backward()`); for an independent copy write `x.detach().clone()`. The usual way to NumPy is `x.detach().cpu().numpy()`.
        """,
        kind="method",
        example="""
        x = torch.ones(2, requires_grad=True)
        d = x.detach()
        d.requires_grad  # → False
        d[0] = 100.0
        x  # → tensor([100.,   1.], requires_grad=True)
        """,
        see_also=("torch.clone", "torch.no_grad", "torch.Tensor.numpy"),
    ),
    doc(
        "torch.clone",
        "torch.clone(input, *, memory_format=torch.preserve_format) → Tensor",
        """
        复制一份数据，得到**不共享内存**的新张量；但它仍在计算图里，梯度会经过它传回原张量。

        所以 `clone()` 不能用来“脱离计算图”：需要一份与图无关的独立副本时写 `x.detach().clone()`。复制数组前想断开共享内存（如 `.numpy()` 之后）也用它。
        """,
        """
        Copies the data into a tensor that **shares no memory**; it stays in the graph, though, and gradients flow through it back to the original.

        So `clone()` does not take a value out of autograd: for a copy independent of the graph write `x.detach().clone()`. Also the tool for breaking shared memory (e.g. before `.numpy()`).
        """,
        example="""
        w = torch.ones(2, requires_grad=True)
        c = w.clone()
        c.requires_grad  # → True
        c.sum().backward()
        w.grad  # → tensor([1., 1.])
        """,
        see_also=("torch.Tensor.detach", "torch.Tensor.numpy"),
        aliases=("torch.Tensor.clone",),
    ),
    doc(
        "torch.no_grad",
        "class torch.no_grad()",
        """
        关闭梯度计算的上下文管理器：在 `with torch.no_grad():` 里算出的结果都是 `requires_grad=False`，不建计算图，省内存也更快。

        用于推理、评估，以及手动更新参数（`w -= lr * w.grad` 必须放在里面，否则对叶子节点原地修改会报错）。它不改变已有张量的 `requires_grad`，也**不会**切换 Dropout/BatchNorm 的行为，评估时还要 `model.eval()`。也可以作装饰器 `@torch.no_grad()`。
        """,
        """
        Context manager that disables gradient tracking: results computed inside `with torch.no_grad():` have `requires_grad=False` and build no graph, saving memory and time.

        Use it for inference, evaluation and manual parameter updates (`w -= lr * w.grad` must go inside, or the in-place write to a leaf raises). It leaves existing tensors' `requires_grad` alone and does **not** switch Dropout/BatchNorm behaviour; call `model.eval()` for evaluation as well. Also works as a decorator `@torch.no_grad()`.
        """,
        kind="class",
        example="""
        w = torch.ones(2, requires_grad=True)
        with torch.no_grad():
            y = w * 2
            w -= 0.1
        y.requires_grad  # → False
        w.requires_grad  # → True
        """,
        see_also=("torch.inference_mode", "torch.nn.Module.eval", "torch.Tensor.detach"),
    ),
    doc(
        "torch.inference_mode",
        "class torch.inference_mode(mode=True)",
        """
        比 `no_grad` 更彻底的推理模式：不记录计算图，也不做版本计数，推理更快。

        代价是里面创建的张量是“推理张量”，之后不能参与需要求导的运算，也不能在模式外原地修改；纯推理、评估时用它，训练中要复用的结果用 `no_grad`。和 `no_grad` 一样，它不会替你调用 `model.eval()`。
        """,
        """
        A stricter inference mode than `no_grad`: no graph and no version counting, so inference runs faster.

        The price: tensors created inside are "inference tensors" that cannot later take part in autograd-tracked computation or be modified in place outside the mode. Use it for pure inference and evaluation, and `no_grad` for results reused in training. Like `no_grad`, it does not call `model.eval()` for you.
        """,
        kind="class",
        example="""
        with torch.inference_mode():
            t = torch.ones(2) * 2
        t.requires_grad  # → False
        (t * torch.ones(2, requires_grad=True)).sum().backward()  # ✗ RuntimeError
        """,
        see_also=("torch.no_grad",),
    ),
    doc(
        "torch.Tensor.grad_fn",
        "Tensor.grad_fn → Node | None",
        """
        记录这个张量是由哪个运算产生的（如 `MulBackward0`），反向传播沿着它往回走；叶子节点的 `grad_fn` 是 `None`。

        打印张量时看到 `grad_fn=<...>` 说明它在计算图里；如果本该有梯度的结果 `grad_fn` 是 `None`，通常是在 `no_grad` 里算的，或中途用了 `.detach()`/`.item()`/`.numpy()`。
        """,
        """
        The operation that produced this tensor (e.g. `MulBackward0`), which back-propagation follows; a leaf's `grad_fn` is `None`.

        Seeing `grad_fn=<...>` when printing means the tensor is in a graph; if a result that should have gradients has `grad_fn` `None`, it was usually computed under `no_grad` or went through `.detach()`/`.item()`/`.numpy()` on the way.
        """,
        kind="attribute",
        example="""
        w = torch.ones(2, requires_grad=True)
        w.grad_fn is None  # → True
        type((w * 2).grad_fn).__name__  # → MulBackward0
        """,
        see_also=("torch.Tensor.is_leaf", "torch.Tensor.backward"),
    ),
    doc(
        "torch.Tensor.data",
        "Tensor.data → Tensor",
        """
        返回与张量共享内存、但**不被 autograd 追踪**的张量；通过它做的修改不会报错，可能让梯度**悄悄算错**。

        这是旧写法：要读取不带梯度的值用 `.detach()`，要修改参数（如初始化）放在 `with torch.no_grad():` 里，或用 `nn.init.*_`，这些情况下 autograd 能发现冲突并报错。
        """,
        """
        Returns a tensor sharing memory but **invisible to autograd**; changes made through it raise no error and can **silently corrupt** gradients.

        It is a legacy idiom: use `.detach()` to read values without gradients, and `with torch.no_grad():` or `nn.init.*_` to modify parameters (e.g. initialisation); there autograd can detect conflicts and raise.
        """,
        kind="attribute",
        example="""
        lin = nn.Linear(3, 2)
        with torch.no_grad():
            lin.bias.fill_(0.01)
        lin.bias.requires_grad  # → True
        """,
        see_also=("torch.Tensor.detach", "torch.no_grad", "torch.nn.init.constant_"),
    ),
    # ------------------------------------------------------------ devices
    doc(
        "torch.device",
        "class torch.device(type, index=None)",
        """
        表示张量或模型所在的设备，如 `torch.device("cpu")`、`torch.device("cuda", 0)`；大多数接口也直接接受字符串 `"cuda"`。

        常见写法是先选设备，再把模型和每个批次的数据都搬过去：模型 `model.to(device)`（原地），数据 `x = x.to(device)`（要赋值）。参与同一运算的张量必须在同一设备上。判断设备用 `x.device.type == "cuda"`：`torch.device` 与字符串直接比较总是 `False`。
        """,
        """
        Names the device a tensor or model lives on, e.g. `torch.device("cpu")`, `torch.device("cuda", 0)`; most APIs also take the string `"cuda"`.

        The usual pattern picks a device once and moves both the model and every batch there: `model.to(device)` (in place) and `x = x.to(device)` (assign). Tensors in one operation must share a device. Test with `x.device.type == "cuda"`: comparing a `torch.device` with a string is always `False`.
        """,
        kind="class",
        example="""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        x = torch.ones(2).to(device)
        torch.device("cpu") == "cpu"  # → False
        torch.device("cpu").type == "cpu"  # → True
        """,
        see_also=("torch.cuda.is_available", "torch.Tensor.to", "torch.nn.Module.to"),
    ),
    doc(
        "torch.cuda.is_available",
        "torch.cuda.is_available() → bool",
        """
        当前环境能否使用 CUDA GPU：需要 NVIDIA 显卡、驱动，以及带 CUDA 的 PyTorch 版本。

        返回 `False` 时常见原因是装了 CPU 版的 PyTorch。写代码时据此选设备，让脚本在没有 GPU 的机器上也能运行：`device = "cuda" if torch.cuda.is_available() else "cpu"`。
        """,
        """
        Whether a CUDA GPU can be used here: it needs an NVIDIA card, a driver and a CUDA build of PyTorch.

        A `False` often means a CPU-only PyTorch build is installed. Choose the device with it so the script also runs on machines without a GPU: `device = "cuda" if torch.cuda.is_available() else "cpu"`.
        """,
        example="""
        device = "cuda" if torch.cuda.is_available() else "cpu"
        """,
        see_also=("torch.device", "torch.Tensor.to"),
    ),
    doc(
        "torch.Tensor.device",
        "Tensor.device → torch.device",
        """
        张量所在的设备（`torch.device`），如 `cpu`、`cuda:0`。

        两个张量运算时必须在同一设备上，否则报 “Expected all tensors to be on the same device”。新建张量时可用 `device=x.device` 放到与已有张量相同的设备上。
        """,
        """
        The `torch.device` the tensor lives on, e.g. `cpu`, `cuda:0`.

        Tensors in one operation must share a device, or it raises "Expected all tensors to be on the same device". Create new tensors next to an existing one with `device=x.device`.
        """,
        kind="attribute",
        example="""
        x = torch.ones(2)
        x.device  # → cpu
        torch.zeros(3, device=x.device).device.type  # → cpu
        """,
        see_also=("torch.device", "torch.Tensor.to"),
    ),
    doc(
        "torch.Tensor.cuda",
        "Tensor.cuda(device=None, non_blocking=False, memory_format=torch.preserve_format) → Tensor",
        """
        返回张量在 GPU 显存中的副本（已在该 GPU 上时返回原张量）；原张量不变，要写 `x = x.cuda()`。

        没有 GPU 或装的是 CPU 版 PyTorch 时会报错。更通用的写法是 `x.to(device)`，同一份代码在 CPU 和 GPU 上都能跑。
        """,
        """
        Returns a copy in GPU memory (the tensor itself if it is already there); the original is unchanged, so write `x = x.cuda()`.

        It raises without a GPU or with a CPU-only PyTorch build. The more portable spelling is `x.to(device)`, which runs on CPU and GPU alike.
        """,
        kind="method",
        see_also=("torch.Tensor.cpu", "torch.Tensor.to", "torch.device"),
    ),
    doc(
        "torch.Tensor.cpu",
        "Tensor.cpu(memory_format=torch.preserve_format) → Tensor",
        """
        返回张量在 CPU 内存中的副本（已在 CPU 上时返回原张量本身）；原张量不变。

        GPU 张量转 NumPy 或打印大量数值前需要它：`x.detach().cpu().numpy()`。已在 CPU 上时不复制，所以随后的 `.numpy()` 仍与原张量共享内存。
        """,
        """
        Returns a copy in CPU memory (the tensor itself if it is already there); the original is unchanged.

        Needed before turning a GPU tensor into NumPy: `x.detach().cpu().numpy()`. On a CPU tensor nothing is copied, so a following `.numpy()` still shares memory with the original.
        """,
        kind="method",
        example="""
        x = torch.ones(2)
        x.cpu() is x  # → True
        """,
        see_also=("torch.Tensor.cuda", "torch.Tensor.numpy", "torch.Tensor.to"),
    ),
]
