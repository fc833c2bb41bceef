"""Hover texts: optimizers, their per-step methods, and learning-rate schedulers."""
from __future__ import annotations

from .api import ApiDoc, doc

_LOOP = """
for x, y in loader:
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
"""

DOCS: list[ApiDoc] = [
    doc(
        "torch.optim.SGD",
        "class torch.optim.SGD(params, lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False, foreach=None, differentiable=False, fused=None)",
        """
        随机梯度下降优化器，可选**动量**（`momentum`，常用 0.9）和 L2 权重衰减（`weight_decay`）。

        第一个参数是要优化的参数，通常是 `model.parameters()`，而不是模型本身。`lr` 在 PyTorch 2.x 中默认为 0.001，请按任务显式给出。PyTorch 的动量写法是 `v = μ·v + g`、`p = p − lr·v`，与一些教材的 `v = μ·v − lr·g` 在学习率变化时略有不同。`nesterov=True` 要求 `momentum > 0` 且 `dampening = 0`。
        """,
        """
        Stochastic gradient descent, optionally with **momentum** (`momentum`, typically 0.9) and L2 weight decay (`weight_decay`).

        The first argument is the parameters to optimise, usually `model.parameters()`, not the model itself. `lr` defaults to 0.001 in PyTorch 2.x; set it explicitly for your task. PyTorch's momentum is `v = μ·v + g`, `p = p − lr·v`, which differs slightly from the textbook `v = μ·v − lr·g` when the learning rate changes. `nesterov=True` needs `momentum > 0` and `dampening = 0`.
        """,
        kind="class",
        example="""
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        optim.SGD(model, lr=0.01)  # ✗ TypeError
        """,
        see_also=("torch.optim.Adam", "torch.optim.Optimizer.zero_grad", "torch.optim.Optimizer.step"),
    ),
    doc(
        "torch.optim.Adagrad",
        "class torch.optim.Adagrad(params, lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None)",
        """
        Adagrad：为每个参数累加**全部历史梯度的平方和**，用它的平方根去除学习率，梯度大的参数步长自动变小。

        因为平方和只增不减，训练后期有效学习率会趋近 0，模型可能提前停止学习；这正是 RMSprop 和 Adam 改进的地方。适合稀疏特征（如词嵌入）。默认 `lr=0.01`。
        """,
        """
        Adagrad: accumulates the **sum of all past squared gradients** per parameter and divides the learning rate by its square root, so parameters with large gradients take smaller steps.

        Because the sum only grows, the effective learning rate tends to 0 late in training and learning may stall; RMSprop and Adam fix exactly that. Good for sparse features (e.g. embeddings). Default `lr=0.01`.
        """,
        kind="class",
        example="""
        opt = optim.Adagrad(model.parameters(), lr=0.01)
        """,
        see_also=("torch.optim.RMSprop", "torch.optim.Adam"),
    ),
    doc(
        "torch.optim.RMSprop",
        "class torch.optim.RMSprop(params, lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0, centered=False, capturable=False, foreach=None, maximize=False, differentiable=False)",
        """
        RMSprop：用梯度平方的**指数加权移动平均**代替 Adagrad 的累加和，逐步遗忘旧梯度，学习率不会一路衰减到 0。

        `alpha` 是平滑系数（默认 0.99）：每步 `h = alpha·h + (1 − alpha)·g²`，越接近 1 记得越久。默认 `lr=0.01`，比 Adam 的默认值大 10 倍。
        """,
        """
        RMSprop: replaces Adagrad's running sum with an **exponential moving average** of squared gradients, forgetting old gradients so the learning rate does not decay to 0.

        `alpha` is the smoothing constant (default 0.99): each step `h = alpha·h + (1 − alpha)·g²`; closer to 1 means a longer memory. Default `lr=0.01`, ten times Adam's default.
        """,
        kind="class",
        example="""
        opt = optim.RMSprop(model.parameters(), lr=0.01, alpha=0.99)
        """,
        see_also=("torch.optim.Adagrad", "torch.optim.Adam"),
    ),
    doc(
        "torch.optim.Adam",
        "class torch.optim.Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False, *, foreach=None, maximize=False, capturable=False, differentiable=False, fused=None, decoupled_weight_decay=False)",
        """
        Adam：结合动量（梯度的移动平均，`betas[0]`）和 RMSprop（梯度平方的移动平均，`betas[1]`），并做偏差修正；默认 `lr=0.001`，对大多数任务开箱即用。

        它的 `weight_decay` 是加到梯度上的 L2 项，与自适应步长耦合，效果弱于预期；需要权重衰减时更推荐 `optim.AdamW`（或 `decoupled_weight_decay=True`）。
        """,
        """
        Adam: combines momentum (a moving average of gradients, `betas[0]`) with RMSprop (a moving average of squared gradients, `betas[1]`) plus bias correction; the default `lr=0.001` works out of the box for most tasks.

        Its `weight_decay` is an L2 term added to the gradient and coupled with the adaptive step, so it is weaker than expected; prefer `optim.AdamW` (or `decoupled_weight_decay=True`) when you want weight decay.
        """,
        kind="class",
        example="""
        opt = optim.Adam(model.parameters(), lr=1e-3)
        """,
        see_also=("torch.optim.AdamW", "torch.optim.SGD", "torch.optim.RMSprop"),
    ),
    doc(
        "torch.optim.AdamW",
        "class torch.optim.AdamW(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False, *, maximize=False, foreach=None, capturable=False, differentiable=False, fused=None)",
        """
        带**解耦权重衰减**的 Adam：权重衰减直接作用在参数上，而不是混进梯度，正则化效果更可靠。

        注意默认 `weight_decay=0.01`（`Adam` 默认是 0）。训练 Transformer 等模型的常用选择。
        """,
        """
        Adam with **decoupled weight decay**: the decay acts on the parameters directly instead of being mixed into the gradient, so regularisation behaves as intended.

        Note the default `weight_decay=0.01` (`Adam` defaults to 0). The usual choice for Transformer-style models.
        """,
        kind="class",
        example="""
        opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
        """,
        see_also=("torch.optim.Adam",),
    ),
    doc(
        "torch.optim.Optimizer.zero_grad",
        "Optimizer.zero_grad(set_to_none=True) → None",
        """
        梯度清零：把优化器管理的所有参数的 `.grad` 重置（默认设为 `None`）。**每个训练步在 `backward()` 之前调用。**

        PyTorch 的梯度是累加的，不清零的话这一步的梯度会叠加上之前所有批次的梯度，更新方向就错了。常见顺序：`zero_grad()` → 前向 → `loss.backward()` → `step()`。有意做梯度累积时，才每隔几个批次清零一次。
        """,
        """
        Zeroes gradients: resets `.grad` of every parameter this optimizer holds (to `None` by default). **Call it every training step before `backward()`.**

        PyTorch accumulates gradients, so without it each step's gradient adds up with all previous batches and the update goes wrong. The usual order: `zero_grad()` → forward → `loss.backward()` → `step()`. Only zero every few batches when you mean to accumulate gradients.
        """,
        kind="method",
        example=_LOOP,
        see_also=("torch.optim.Optimizer.step", "torch.Tensor.backward", "torch.nn.Module.zero_grad"),
    ),
    doc(
        "torch.optim.Optimizer.step",
        "Optimizer.step(closure=None)",
        """
        按当前的 `.grad` 更新一次参数；要在 `loss.backward()` **之后**调用。

        没有先 `backward()` 时参数的梯度为 `None`，`step()` 会直接跳过它们，什么也不更新。使用学习率调度器时，先 `optimizer.step()`，再 `scheduler.step()`。
        """,
        """
        Updates the parameters once from their current `.grad`; call it **after** `loss.backward()`.

        Without a prior `backward()` the gradients are `None` and `step()` silently skips those parameters. With an LR scheduler, call `optimizer.step()` first, then `scheduler.step()`.
        """,
        kind="method",
        example=_LOOP,
        see_also=("torch.optim.Optimizer.zero_grad", "torch.optim.lr_scheduler.LRScheduler.step"),
    ),
    doc(
        "torch.optim.Optimizer.param_groups",
        "Optimizer.param_groups → list[dict]",
        """
        优化器的参数组列表：每组是一个字典，包含 `'params'` 以及该组的超参数（`'lr'`、`'momentum'` 等）。

        手动调整学习率或读取当前学习率都通过它：`for g in opt.param_groups: g['lr'] = 1e-4`。创建优化器时传入多个字典，就能给不同部分设置不同学习率。
        """,
        """
        The optimizer's parameter groups: each is a dict with `'params'` and that group's hyper-parameters (`'lr'`, `'momentum'`…).

        Read or change the learning rate through it: `for g in opt.param_groups: g['lr'] = 1e-4`. Passing several dicts when creating the optimizer gives different parts different learning rates.
        """,
        kind="attribute",
        example="""
        opt.param_groups[0]["lr"]  # → 0.1
        """,
        see_also=("torch.optim.lr_scheduler.LRScheduler.get_last_lr",),
    ),
    # ------------------------------------------------------------ LR schedulers
    doc(
        "torch.optim.lr_scheduler.StepLR",
        "class torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1, last_epoch=-1)",
        """
        等间隔学习率衰减：**每调用 `step_size` 次 `scheduler.step()`**，学习率乘以 `gamma`（默认 0.1）。

        它数的是 `scheduler.step()` 的调用次数，不是真正的 epoch：通常每个 epoch 结束时调用一次，这时 `step_size` 就是 epoch 数；若在每个批次里都调用，`step_size` 就变成了批次数，学习率会衰减得快得多。在 `optimizer.step()` 之后调用。2.x 版本已没有 `verbose` 参数。
        """,
        """
        Step decay: the learning rate is multiplied by `gamma` (default 0.1) **every `step_size` calls of `scheduler.step()`**.

        It counts `scheduler.step()` calls, not real epochs: call it once at the end of each epoch and `step_size` is in epochs; call it every batch and `step_size` becomes a batch count, decaying far faster. Call it after `optimizer.step()`. There is no `verbose` argument any more in 2.x.
        """,
        kind="class",
        example="""
        sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
        lrs = []
        for epoch in range(4):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        [round(lr, 4) for lr in lrs]  # → [0.1, 0.1, 0.01, 0.01]
        """,
        see_also=("torch.optim.lr_scheduler.MultiStepLR", "torch.optim.lr_scheduler.ExponentialLR", "torch.optim.lr_scheduler.LRScheduler.step"),
    ),
    doc(
        "torch.optim.lr_scheduler.MultiStepLR",
        "class torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1, last_epoch=-1)",
        """
        指定间隔衰减：`scheduler.step()` 的调用次数到达 `milestones` 中的每个值时，学习率乘以 `gamma`（默认 0.1）。

        `milestones` 是递增的整数列表，如 `[30, 80]`；和 `StepLR` 一样按 `step()` 调用次数计数，通常每个 epoch 调用一次。
        """,
        """
        Decay at milestones: the learning rate is multiplied by `gamma` (default 0.1) when the number of `scheduler.step()` calls reaches each value in `milestones`.

        `milestones` is an increasing list of integers such as `[30, 80]`; like `StepLR` it counts `step()` calls, usually one per epoch.
        """,
        kind="class",
        example="""
        sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
        lrs = []
        for epoch in range(6):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        [round(lr, 4) for lr in lrs]  # → [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
        """,
        see_also=("torch.optim.lr_scheduler.StepLR",),
    ),
    doc(
        "torch.optim.lr_scheduler.ExponentialLR",
        "class torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma, last_epoch=-1)",
        """
        指数衰减：**每调用一次** `scheduler.step()`，学习率乘以 `gamma`，即第 t 次后为 `lr₀·gammaᵗ`。

        `gamma` 必须给出，通常接近 1（如 0.95、0.99）；若在每个批次里调用，衰减会快得多。
        """,
        """
        Exponential decay: **every call** of `scheduler.step()` multiplies the learning rate by `gamma`, giving `lr₀·gammaᵗ` after t calls.

        `gamma` is required and usually close to 1 (e.g. 0.95, 0.99); calling it every batch decays much faster.
        """,
        kind="class",
        example="""
        sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        lrs = []
        for epoch in range(3):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        [round(lr, 4) for lr in lrs]  # → [0.1, 0.09, 0.081]
        """,
        see_also=("torch.optim.lr_scheduler.StepLR",),
    ),
    doc(
        "torch.optim.lr_scheduler.LRScheduler.step",
        "LRScheduler.step()",
        """
        推进学习率调度一步，按规则更新优化器中的学习率；**在 `optimizer.step()` 之后调用**。

        顺序反了 PyTorch 会警告，并且会跳过调度的第一个学习率值。大多数调度器（`StepLR`、`MultiStepLR`、`ExponentialLR`）按调用次数计数，一般每个 epoch 调用一次，而不是每个批次。
        """,
        """
        Advances the schedule by one step and updates the optimizer's learning rate; **call it after `optimizer.step()`**.

        In the wrong order PyTorch warns and the first value of the schedule is skipped. Most schedulers (`StepLR`, `MultiStepLR`, `ExponentialLR`) count calls, so call it once per epoch rather than per batch.
        """,
        kind="method",
        example="""
        sched = optim.lr_scheduler.StepLR(opt, step_size=1)
        sched.step()  # ⚠ UserWarning
        """,
        see_also=("torch.optim.Optimizer.step", "torch.optim.lr_scheduler.StepLR"),
    ),
    doc(
        "torch.optim.lr_scheduler.LRScheduler.get_last_lr",
        "LRScheduler.get_last_lr() → list[float]",
        """
        返回调度器最近一次计算出的学习率，**是一个列表**，每个参数组一个值。

        记录日志时写 `sched.get_last_lr()[0]`。也可以直接读 `optimizer.param_groups[0]['lr']`。
        """,
        """
        Returns the learning rates last computed by the scheduler, **as a list** with one value per parameter group.

        Log `sched.get_last_lr()[0]`. Reading `optimizer.param_groups[0]['lr']` works too.
        """,
        kind="method",
        example="""
        sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        opt.step()
        sched.step()
        sched.get_last_lr()  # → [0.05]
        """,
        see_also=("torch.optim.Optimizer.param_groups",),
    ),
]
