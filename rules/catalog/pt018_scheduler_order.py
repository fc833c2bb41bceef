from typing import Optional

import libcst as cst

from ptlint.rules.astutil import get_arg, literal_value
from ptlint.rules.gating import Gated
from ptlint.rules.findings import Severity
from ptlint.rules.flow import (
    SCHEDULER_STEP, STEP, Event, FlowAnalysis, LoopBlock, is_body_statement, iteration_events, iteration_paths,
    skipped_in_first_iteration,
)
from ptlint.rules.flow.events import TooManyPaths, walk
from ptlint.rules.flow.schedulers import LAMBDA_LR_FACTORIES, SCHEDULER_WORDS, driven_optimizer, metric_driven
from ptlint.rules.rule import Docs, Message, Related, Rule

# Schedulers whose step_size / milestones / decay are meant per epoch (the notes' table:
# "每隔多少个 epoch 下降一次学习率").
_EPOCH_BASED = {
    "torch.optim.lr_scheduler.StepLR": "StepLR",
    "torch.optim.lr_scheduler.MultiStepLR": "MultiStepLR",
    "torch.optim.lr_scheduler.ExponentialLR": "ExponentialLR",
}

PER_BATCH_MESSAGE = Message(
    zh="`{sched}` 的{what}按 epoch 计，却在遍历 DataLoader 的每个批次里调用 `{name}.step()`：学习率会按批次衰减，比预期快得多",
    en="`{sched}` counts {what_en} in epochs, but `{name}.step()` runs once per batch of the DataLoader: the learning rate decays per batch, far sooner than intended",
)


class SchedulerOrder(Gated, Rule):
    code = "PT018"
    name = "scheduler-order"
    needs = SCHEDULER_WORDS
    severity = Severity.WARNING
    message = Message(
        zh="`{name}.step()` 在同一轮迭代的 `{opt}.step()` 之前调用：PyTorch 会警告，并跳过学习率计划的第一个值；应先 `{opt}.step()` 再 `{name}.step()`",
        en="`{name}.step()` runs before `{opt}.step()` in the same iteration: PyTorch warns and skips the first value of the schedule; call `{opt}.step()` first",
    )
    docs = Docs(
        zh="""## 它检查什么
学习率调度器（学习率衰减）的调用位置不对：

1. 同一轮迭代里，`scheduler.step()` 在 `optimizer.step()` **之前**执行（包括在 epoch 循环开头调用、而优化器在里面的批次循环中更新）；
2. 按 epoch 计数的调度器（`StepLR`、`MultiStepLR`、`ExponentialLR`）在遍历 `DataLoader` 的批次循环里每个批次都调用 `step()`。

第 1 条也适用于 transformers 的学习率计划（`get_linear_schedule_with_warmup`、`get_cosine_schedule_with_warmup`、`get_scheduler`，以及旧版 `pytorch_transformers` 的 `WarmupLinearSchedule` 等）：它们都是 PyTorch `LambdaLR` 的子类，顺序错了同样会警告并跳过第一个值。这类计划按步数设计，在批次循环里每个批次调用正是它们的用法，不会按第 2 条报告；`OneCycleLR`、`CyclicLR` 也一样。timm 的调度器不在此列：它们根据传入的 epoch 或更新次数直接设置学习率，调用顺序不会跳过任何值。

第 1 条只在第一轮迭代里有害：从第二轮起，在开头调用 `scheduler.step()` 等于在上一轮末尾调用。所以写在 `if epoch > warm:`（或 `>=`、`!=`）下、第一轮不会执行的调用不会报告，例如 `for epoch in range(1, ...)` 中的 `if epoch > args.warm:`（预热结束后才开始衰减）；比较的另一边不是字面量时，按它的本意当作跳过了第一轮。`ReduceLROnPlateau` 不按第 1 条检查：它跟随指标而不是固定的计划，在第一次 `optimizer.step()` 之前调用只是多记了一次评估（torch 既不警告，也不会跳过哪个学习率）。

## 为什么有问题
从 PyTorch 1.1 起，正确的顺序是先 `optimizer.step()` 再 `scheduler.step()`。反过来写，第一次调用时 PyTorch 会警告：

`UserWarning: Detected call of lr_scheduler.step() before optimizer.step(). ... this will result in PyTorch skipping the first value of the learning rate schedule.`

学习率计划整体提前了一步，第一个学习率从未被用到。

调度器并不知道什么是 epoch，它只数 `step()` 被调用了多少次。笔记的参数表写明：`StepLR` 的 `step_size` 是“每隔多少个 epoch 下降一次学习率”，`MultiStepLR` 的 `milestones` 也是 epoch 编号。在批次循环里调用，`StepLR(step_size=30)` 就变成每 30 个**批次**衰减一次，几轮之后学习率就接近 0，训练停滞。

## 示例
```python
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
for epoch in range(100):
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        scheduler.step()        # 每个批次都衰减
```

## 如何修复
每个 epoch 结束、所有 `optimizer.step()` 之后调用一次：

```python
for epoch in range(100):
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    scheduler.step()
```

如果确实想按批次调整学习率，用 `OneCycleLR`、`CosineAnnealingLR(T_max=总步数)` 这类按步数设计的调度器，并把参数写成批次数。
""",
        en="""## What it finds
A learning-rate scheduler stepped in the wrong place:

1. `scheduler.step()` runs **before** `optimizer.step()` in the same iteration (including a call at the start of the epoch loop while the optimizer steps in the inner batch loop);
2. an epoch-based scheduler (`StepLR`, `MultiStepLR`, `ExponentialLR`) is stepped once per batch inside the loop over a `DataLoader`.

Rule 1 also covers the schedules of transformers (`get_linear_schedule_with_warmup`, `get_cosine_schedule_with_warmup`, `get_scheduler`, and the older `pytorch_transformers` `WarmupLinearSchedule` and friends): they are PyTorch `LambdaLR` subclasses, so the wrong order warns and skips the first value just the same. They are sized in steps, so stepping them once per batch is what they are for and rule 2 does not apply; neither does it to `OneCycleLR` or `CyclicLR`. timm's schedulers are not covered: they set the rate from the epoch or update number they are given, so their call order skips nothing.

Rule 1 only does harm in the first iteration: from the second on, stepping the scheduler at the start equals stepping it at the end of the previous one. So a call under `if epoch > warm:` (or `>=`, `!=`) that the first iteration skips is not reported, e.g. `if epoch > args.warm:` in `for epoch in range(1, ...)` (decay only after the warm-up); when the other side of the comparison is not a literal it is taken to skip the first iteration, as it is meant to. `ReduceLROnPlateau` is not checked for rule 1: it follows a metric, not a schedule, so stepping it before the first `optimizer.step()` only counts one evaluation (torch neither warns nor skips a value).

## Why it is a problem
Since PyTorch 1.1 the order is `optimizer.step()` then `scheduler.step()`. The other way round PyTorch warns on the first call:

`UserWarning: Detected call of lr_scheduler.step() before optimizer.step(). ... this will result in PyTorch skipping the first value of the learning rate schedule.`

The whole schedule is shifted by one step and its first learning rate is never used.

A scheduler has no idea what an epoch is; it counts `step()` calls. The notes' table says `StepLR`'s `step_size` is "how many **epochs** between decays", and `MultiStepLR`'s `milestones` are epoch numbers. Stepped per batch, `StepLR(step_size=30)` decays every 30 **batches**: a few epochs later the learning rate is near 0 and training stalls.

## Example
```python
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
for epoch in range(100):
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        scheduler.step()        # decays every batch
```

## How to fix
Step once at the end of each epoch, after all `optimizer.step()` calls:

```python
for epoch in range(100):
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    scheduler.step()
```

To adjust the learning rate per batch on purpose, use a step-based scheduler such as `OneCycleLR` or `CosineAnnealingLR(T_max=total_steps)` and give its arguments in batches.
""",
    )
    must_flag = (
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "sched = torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)\nfor epoch in range(10):\n"
        "    sched.step()  # <-\n    loss = model(torch.randn(4, 2)).sum()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n",
        "import torch\nfrom torch import optim\nfrom torch.utils.data import DataLoader\nmodel = torch.nn.Linear(2, 1)\n"
        "opt = optim.SGD(model.parameters(), lr=0.1)\nsched = optim.lr_scheduler.StepLR(opt, step_size=30)\n"
        "loader = DataLoader(ds, batch_size=8)\nfor epoch in range(100):\n    for x, y in loader:\n        opt.zero_grad()\n"
        "        model(x).sum().backward()\n        opt.step()\n        sched.step()  # <-\n",
        "import torch\nfrom torch.utils.data import DataLoader\nmodel = torch.nn.Linear(2, 1)\n"
        "opt = torch.optim.Adam(model.parameters())\nsched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[30, 80])\n"
        "for epoch in range(100):\n    sched.step()  # <-\n    for x, y in DataLoader(ds, batch_size=4):\n        opt.zero_grad()\n"
        "        model(x).sum().backward()\n        opt.step()\n",
        # the pytorch-transformers README order (huggingface/transformers#1017)
        "import torch\nfrom pytorch_transformers import AdamW, WarmupLinearSchedule\nmodel = torch.nn.Linear(2, 1)\n"
        "optimizer = AdamW(model.parameters(), lr=1e-3)\n"
        "scheduler = WarmupLinearSchedule(optimizer, warmup_steps=100, t_total=1000)\nfor batch in train_data:\n"
        "    loss = model(batch).sum()\n    loss.backward()\n    scheduler.step()  # <-\n    optimizer.step()\n"
        "    optimizer.zero_grad()\n",
        "import torch\nfrom transformers import get_linear_schedule_with_warmup\nclass Trainer:\n"
        "    def __init__(self, model):\n        self.model = model\n"
        "        self.optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)\n"
        "        self.scheduler = get_linear_schedule_with_warmup(self.optimizer, 0, 1000)\n"
        "    def fit(self, loader):\n        for batch in loader:\n            self.model(batch).sum().backward()\n"
        "            self.scheduler.step()  # <-\n            self.optimizer.step()\n            self.optimizer.zero_grad()\n",
    )
    must_not_flag = (
        # a metric-driven scheduler stepped before the optimizer: nothing to skip, no warning
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, 'max', factor=0.5, patience=25)\n"
        "for step in range(900):\n    if step % 300 == 0:\n        sched.step(evaluate(model))\n"
        "    loss = model(torch.randn(4, 2)).sum()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n",
        # stepped at the top of each epoch, but only after the warm-up epoch: the optimizer has stepped by then
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[60, 120])\nfor epoch in range(1, 200):\n"
        "    if epoch > args.warm:\n        sched.step()\n    loss = model(torch.randn(4, 2)).sum()\n"
        "    opt.zero_grad()\n    loss.backward()\n    opt.step()\n",
        "import torch\nfrom torch.utils.data import DataLoader\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30)\nloader = DataLoader(ds, batch_size=8)\nfor epoch in range(100):\n"
        "    for x, y in loader:\n        opt.zero_grad()\n        model(x).sum().backward()\n        opt.step()\n    sched.step()\n",
        "import torch\nfrom torch.utils.data import DataLoader\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=1000)\nloader = DataLoader(ds, batch_size=8)\n"
        "for x, y in loader:\n    opt.zero_grad()\n    model(x).sum().backward()\n    opt.step()\n    sched.step()\n",
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5)\nfor epoch in range(10):\n    opt.zero_grad()\n"
        "    model(torch.randn(3, 2)).sum().backward()\n    opt.step()\n    sched.step()\n",
        "import torch\nfrom torch.utils.data import DataLoader\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[60000, 80000])\nloader = DataLoader(ds, batch_size=8)\n"
        "for x, y in loader:\n    opt.zero_grad()\n    model(x).sum().backward()\n    opt.step()\n    sched.step()\n",
        "import torch\nscheduler = make_scheduler()\nfor epoch in range(3):\n    scheduler.step()\n    train_one_epoch()\n",
        # a transformers schedule is meant to be stepped per batch, after the optimizer
        "import torch\nfrom transformers import get_linear_schedule_with_warmup\nfrom torch.utils.data import DataLoader\n"
        "model = torch.nn.Linear(2, 1)\noptimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)\n"
        "scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=0, num_training_steps=1000)\n"
        "for epoch in range(3):\n    for x, y in DataLoader(ds, batch_size=8):\n        model(x).sum().backward()\n"
        "        optimizer.step()\n        scheduler.step()\n        optimizer.zero_grad()\n",
        "import torch\nfrom torch.utils.data import DataLoader\nmodel = torch.nn.Linear(2, 1)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\n"
        "sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2000)\n"
        "for epoch in range(10):\n    for x, y in DataLoader(ds, batch_size=8):\n        opt.zero_grad()\n"
        "        model(x).sum().backward()\n        opt.step()\n        sched.step()\n",
        # timm sets the rate from the epoch it is given: the order skips nothing
        "import torch\nfrom timm.scheduler import CosineLRScheduler\nmodel = torch.nn.Linear(2, 1)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nsched = CosineLRScheduler(opt, t_initial=100)\n"
        "for epoch in range(100):\n    sched.step(epoch)\n    for x in data:\n        model(x).sum().backward()\n"
        "        opt.step()\n        opt.zero_grad()\n",
        # the optimizer already stepped earlier in the iteration (a helper's epoch)
        "import torch\nfrom transformers import get_linear_schedule_with_warmup\nmodel = torch.nn.Linear(2, 1)\n"
        "optimizer = torch.optim.AdamW(model.parameters())\nscheduler = get_linear_schedule_with_warmup(optimizer, 0, 10)\n"
        "def train_epoch():\n    for x in data:\n        model(x).sum().backward()\n        optimizer.step()\n"
        "        optimizer.zero_grad()\nfor epoch in range(3):\n    train_epoch()\n    scheduler.step()\n    train_epoch()\n",
    )

    def finish(self) -> None:
        flow = self.ctx.analysis(FlowAnalysis).check()
        reported: set[int] = set()
        for loop in flow.loop_blocks():
            if not any(isinstance(e, Event) and e.kind == SCHEDULER_STEP for e in walk(loop.body)):
                continue
            self._order(loop, reported)
            self._per_batch(loop, reported)

    # ------------------------------------------------------------------ 1. order
    def _order(self, loop: LoopBlock, reported: set[int]) -> None:
        try:
            paths = iteration_paths(loop.body, frozenset({STEP, SCHEDULER_STEP}))
        except TooManyPaths:
            return
        verdict: dict[int, Optional[Event]] = {}  # sched event -> the opt step after it (None: contradicted)
        sched_events: dict[int, Event] = {}
        for path in paths:
            evs = list(path.events)
            for i, ev in enumerate(evs):
                if ev.kind != SCHEDULER_STEP or (_outside_torch(ev) and not _bare(loop, ev)) or metric_driven(ev.value):
                    continue
                sched_events[id(ev)] = ev
                opt_key = driven_optimizer(ev.value)
                before = [e for e in evs[:i] if e.kind == STEP and _matches(e, opt_key)]
                after = [e for e in evs[i + 1:] if e.kind == STEP and _matches(e, opt_key)]
                if before:
                    verdict[id(ev)] = None
                elif after and verdict.get(id(ev), after[0]) is not None:
                    verdict.setdefault(id(ev), after[0])
        for eid, step in verdict.items():
            ev = sched_events[eid]
            if step is None or id(ev.node) in reported or skipped_in_first_iteration(loop, ev):
                continue
            keys = {e.key for e in walk(loop.body) if isinstance(e, Event) and e.kind == STEP}
            if driven_optimizer(ev.value) is None and len(keys) > 1:
                continue  # which optimizer does this scheduler drive? unknown
            reported.add(id(ev.node))
            self.report(ev.node, name=ev.key or "scheduler", opt=step.key or "optimizer",
                        related=[Related(step.node, "优化器在这之后才更新参数", "the optimizer steps only here")])

    # ------------------------------------------------------------------ 2. per batch
    def _per_batch(self, loop: LoopBlock, reported: set[int]) -> None:
        if not self.ctx.analysis(FlowAnalysis).iterates_batches(loop):
            return
        for ev in iteration_events(loop.body):
            if ev.kind != SCHEDULER_STEP or id(ev.node) in reported or ev.value is None:
                continue
            short = _EPOCH_BASED.get(ev.value.spec or "")
            ctor = ev.value.origin
            if short is None or not isinstance(ctor, cst.Call) or _looks_per_iteration(short, ctor):
                continue
            what, what_en = {"StepLR": (" step_size（衰减间隔）", "step_size"),  # a space before a Latin word
                             "MultiStepLR": (" milestones（衰减节点）", "milestones"),
                             "ExponentialLR": ("衰减（每次乘以 gamma）", "its gamma decay")}[short]
            reported.add(id(ev.node))
            self.report(ev.node, message=PER_BATCH_MESSAGE, sched=short, name=ev.key or "scheduler",
                        what=what, what_en=what_en,
                        related=[Related(loop.node.iter, "这里逐批遍历 DataLoader", "batches of the DataLoader")])


def _outside_torch(ev: Event) -> bool:
    """A schedule of another library (transformers' LambdaLR factories): judged only in the
    form checked against them, ``sched.step()`` alone on a statement of the loop body (a
    step under an ``if`` or a ``with`` is left alone)."""
    return ev.value is not None and ev.value.spec in LAMBDA_LR_FACTORIES


def _bare(loop: LoopBlock, ev: Event) -> bool:
    """``sched.step()`` with no arguments, a statement of the loop body by itself."""
    return isinstance(ev.node, cst.Call) and not ev.node.args and is_body_statement(loop, ev.node)


def _matches(step: Event, opt_key: Optional[str]) -> bool:
    return opt_key is None or step.key is None or step.key == opt_key


def _looks_per_iteration(short: str, ctor: cst.Call) -> bool:
    """Arguments sized in iterations (milestones in the thousands, gamma ~ 1): the author
    steps per batch on purpose."""
    if short == "StepLR":
        arg = get_arg(ctor, 1, "step_size")
        v = literal_value(arg.value, None) if arg is not None else None
        return not isinstance(v, int) or v >= 1000
    if short == "MultiStepLR":
        arg = get_arg(ctor, 1, "milestones")
        v = literal_value(arg.value, None) if arg is not None else None
        return not isinstance(v, (list, tuple)) or not v or max(v) >= 1000
    arg = get_arg(ctor, 1, "gamma")
    v = literal_value(arg.value, None) if arg is not None else None
    return not isinstance(v, (int, float)) or v >= 0.999
