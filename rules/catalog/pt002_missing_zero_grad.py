import builtins
from collections import Counter
from typing import Optional

import libcst as cst
import libcst.matchers as m

from ptlint.rules.astutil import target_names
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.name_uses import NameMentions
from ptlint.rules.node_index import NodeIndex
from ptlint.rules.flow import BACKWARD, MANUAL_STEP, STEP, ZERO_GRAD, FlowAnalysis, Inline, LoopBlock
from ptlint.rules.flow.events import (
    CLEAR_ALL, CLEAR_MODULE, CLEAR_OPTIMIZER, CLEAR_TENSOR, FOREIGN_AUTOGRAD, Branch, Event, TooManyPaths, iteration_paths, walk,
)
from ptlint.rules.flow.foreign_events import report_place
from ptlint.rules.flow.state import scan_bindings
from ptlint.rules.flow.values import Kind
from ptlint.rules.rule import Docs, FixSpec, InsertStatementBefore, Message, Related, Rule

_KINDS = frozenset({BACKWARD, STEP, ZERO_GRAD, MANUAL_STEP})

MANUAL_MESSAGE = Message(
    zh="循环里用 `{param}.grad` 手动更新了 `{param}`，但同一轮迭代中没有清零 `{param}.grad`："
       "梯度会在每次 backward() 后累积，更新用的是之前所有梯度之和",
    en="`{param}` is updated from `{param}.grad` in a loop, but nothing clears `{param}.grad` in the same "
       "iteration: every backward() adds to it, so each update uses the sum of all past gradients",
)

# The step is in another project file's helper called in this loop (flow/foreign_events.py).
OTHER_FILE_MESSAGE = Message(
    zh="循环里调用的 `{helper}()`（{file}）会执行 `{opt}.step()`，但同一轮迭代中没有清零 `{opt}` 的梯度："
       "叶子节点的梯度在 backward() 之后会累积，每一步用的都是之前所有梯度之和",
    en="`{helper}()` ({file}) runs `{opt}.step()` in this loop, but nothing clears {opt}'s gradients in the same "
       "iteration: gradients of leaf tensors accumulate across backward() calls, so each step uses the sum of all "
       "past gradients",
)


def _related(a: Optional[str], b: Optional[str]) -> bool:
    if a is None or b is None:
        return True
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _same_tensor_or_unknown(step: Event, clear: Event) -> bool:
    """A hand-written update of a tensor we cannot pin down (``for p in params: p.data -=
    lr * p.grad`` with params a list of several) is taken as cleared by any gradient clear
    of the iteration (``w.grad.data.zero_()``); a known one only by a clear of its memory."""
    sv, cv = step.value, clear.value
    if sv is None or sv.storage is None or not sv.is_tensor:
        return True
    return cv is not None and cv.storage == sv.storage


def _cleared(step: Event, clears: list) -> bool:
    if step.kind != MANUAL_STEP and _parts_cleared(step, clears):
        return True
    for c in clears:
        if c.detail == CLEAR_ALL:
            return True
        if step.kind == MANUAL_STEP:
            if c.detail in (CLEAR_MODULE, CLEAR_OPTIMIZER):
                return True
            if c.detail == CLEAR_TENSOR and (c.key is None or step.key is None or c.key == step.key
                                             or _same_tensor_or_unknown(step, c)):
                return True
            continue
        opt = step.value
        params_of = opt.params_of if opt is not None else None
        if params_of is not None and step.key is not None and step.key.startswith("self.") \
                and not params_of.startswith("self."):
            # ``self.optimizer = Adam(AE.parameters())`` built in ``__init__``: ``AE`` is a name of
            # that method, so which module of this one it is (``self.auto_encoder = AE``) is unknown
            params_of = None
        if opt is not None and opt.params_parts is not None and c.detail != CLEAR_OPTIMIZER:
            continue  # an optimizer over several models: cleared only when each of them is (below)
        if c.detail == CLEAR_OPTIMIZER:
            if c.key is None or c.key == step.key:
                return True
            if (c.value is not None and opt is not None and c.value.origin is not None
                    and c.value.origin is opt.origin and c.value.spec is not None):
                return True  # two names for the optimizer built at the same place
        elif c.detail == CLEAR_MODULE:
            if _related(params_of, c.key):
                return True
        elif c.detail == CLEAR_TENSOR:
            owner = c.value.owner if c.value is not None else None
            if _related(params_of, owner):
                return True
    return False


def _parts_cleared(step: Event, clears: list) -> bool:
    """An optimizer over several models' parameters (``Adam(itertools.chain(G.parameters(),
    D.parameters()))``, infoGAN's ``info_optimizer``) whose every model is cleared on the
    way: by ``G.zero_grad()``, or by the ``zero_grad()`` of an optimizer holding that
    model's parameters (``G_optimizer``)."""
    parts = step.value.params_parts if step.value is not None else None
    if not parts:
        return False

    def covered(part: str) -> bool:
        for c in clears:
            if c.detail == CLEAR_MODULE and c.key is not None and _related(part, c.key):
                return True
            held = c.value.params_of if c.detail == CLEAR_OPTIMIZER and c.value is not None else None
            if held is not None and _related(part, held):
                return True
            owner = c.value.owner if c.detail == CLEAR_TENSOR and c.value is not None else None
            if owner is not None and _related(part, owner):  # ``for p in G.parameters(): p.grad = None``
                return True
        return False

    return all(covered(p) for p in parts)


def _arm_has(arm: list, node: cst.CSTNode) -> bool:
    return any(e.node is node for e in walk(arm))


def _arms_disagree(block: list, step: Event) -> bool:
    """Some if/else (or try) has an arm that clears ``step``'s gradients and another
    arm that runs ``step`` without clearing them. Only a clear seen to happen counts for
    the first arm: an optimizer handed to a function we cannot see may be cleared there,
    which keeps the rule quiet but is no evidence that the arms differ."""
    for item in block:
        if isinstance(item, Branch):
            def clears(arm: list) -> bool:
                return _cleared(step, [e for e in walk(arm) if e.kind == ZERO_GRAD and e.certain])
            if any(_arm_has(a, step.node) and not clears(a) for a in item.arms) and any(clears(a) for a in item.arms):
                return True
            if any(_arms_disagree(a, step) for a in item.arms):
                return True
        elif isinstance(item, (Inline, LoopBlock)):
            if _arms_disagree(item.body, step):
                return True
    return False


def _exclusive_clears(block: list, step: Event) -> set[int]:
    """The clears (by id) in an arm of an if/else (or try) other than the arm that runs
    ``step``: they never run in the same iteration as the step."""
    out: set[int] = set()
    for item in block:
        if isinstance(item, Branch):
            if any(_arm_has(a, step.node) for a in item.arms):
                out.update(id(e) for a in item.arms if not _arm_has(a, step.node)
                           for e in walk(a) if e.kind == ZERO_GRAD)
            for a in item.arms:
                out |= _exclusive_clears(a, step)
        elif isinstance(item, (Inline, LoopBlock)):
            out |= _exclusive_clears(item.body, step)
    return out


def _top_level(block: list, node: cst.CSTNode) -> bool:
    """Whether an event for ``node`` sits in this loop's own body (branches allowed),
    not inside a nested loop or a helper."""
    for item in block:
        if isinstance(item, Event) and item.node is node and item.via is None:
            return True
        if isinstance(item, Branch) and any(_top_level(arm, node) for arm in item.arms):
            return True
    return False


class MissingZeroGrad(Rule):
    code = "PT002"
    name = "missing-zero-grad"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    message = Message(
        zh="循环里调用了 `{opt}.step()`，但同一轮迭代中没有清零 `{opt}` 的梯度："
           "叶子节点的梯度在 backward() 之后会累积，每一步用的都是之前所有梯度之和",
        en="`{opt}.step()` runs in a loop, but nothing clears {opt}'s gradients in the same iteration: "
           "gradients of leaf tensors accumulate across backward() calls, so each step uses the sum of all "
           "past gradients",
    )
    docs = Docs(
        zh="""## 它检查什么
`for`/`while` 循环的一轮迭代里既调用了 `backward()`（包括 `scaler.scale(loss).backward()`、`accelerator.backward(loss)`），又调用了优化器的 `step()`（包括 `scaler.step(opt)`），却没有任何一条路径清零这个优化器的梯度。对每个优化器分别检查：只在循环之前清零一次、只在 `if/else` 的一个分支里清零而另一个分支也会 `step()`、GAN 里只清零生成器的优化器而判别器的从不清零，都会被报告。手写的 SGD（在 `torch.no_grad()` 下执行 `w -= lr * w.grad`）没有 `w.grad.zero_()` 或 `w.grad = None` 时同样报告。循环里调用的其他项目文件中的辅助函数（例如 engine.py 的 `train_step()`）里的 `step()` 也会检查，问题报告在本文件调用它的那一行；辅助函数自己带着批次循环时（例如 `train_epoch()`），问题由它所在的文件报告。

## 为什么有问题
笔记里写道：非叶子节点的梯度在反向传播之后会被释放，而**叶子节点的梯度在反向传播之后会保留（累积）**。模型参数是叶子节点，每次 `backward()` 都会把新梯度加到 `.grad` 上。不清零时，第 k 步用的是前 k 步梯度之和：有效学习率越来越大，训练发散或表现异常，却不会报任何错。

这些写法不会报告：每轮开始或结束时调用 `opt.zero_grad()`（`set_to_none=True/False` 都可以）；`model.zero_grad()`（优化器由 `model.parameters()` 构建，或不知道两者的关系时）；`for p in model.parameters(): p.grad = None`；由几个模型的参数构建的优化器（如 infoGAN 的 `Adam(itertools.chain(G.parameters(), D.parameters()))`），每个模型在这一轮都被清零了（`G.zero_grad()`，或持有它参数的优化器 `G_optimizer.zero_grad()`）；梯度累积中清零和 `step()` 放在同一个 `if (i + 1) % k == 0:` 下；在循环里调用的本文件中的辅助函数（例如 `train_step()`）里清零；把优化器传给了看不到实现的函数（它可能在里面清零）；LBFGS 式的 `opt.step(closure)` 由闭包清零；PaddlePaddle 的训练循环用 `opt.clear_grad()`（旧版为 `clear_gradients()`）清零；只调用 `backward()` 从不 `step()` 的循环（检查梯度）；每一轮都新建模型、再用它的 `parameters()` 新建优化器的循环（参数每轮都是新的，梯度不会跨轮累积）；手动更新的叶子张量在循环体开头每轮重新创建（`w = torch.tensor(v, requires_grad=True)`，不在 `if` 里），每轮的新张量一开始都没有梯度。优化器在另一个方法里由那里的局部名字构建（`__init__` 里的 `self.optimizer = Adam(AE.parameters())`，模型另存为 `self.auto_encoder = AE`）时，这个局部名字在训练方法里对应哪个模块是未知的，训练循环里任何模块的 `zero_grad()` 都算清零。

## 示例
```python
optimizer.zero_grad()            # 只在循环前清零了一次
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()             # 梯度不断累积
```

## 如何修复
在每轮迭代里、`backward()` 之前清零梯度：

```python
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
```

快速修复会在循环体的第一行插入 `optimizer.zero_grad()`（手写 SGD 时插入 `w.grad = None`）。这是不安全修复：如果累积是有意为之（例如按 k 步累积梯度），请改成把清零和 `step()` 放到同一个条件下。
""",
        en="""## What it finds
A `for`/`while` loop iteration that calls `backward()` (also `scaler.scale(loss).backward()`, `accelerator.backward(loss)`) and an optimizer's `step()` (also `scaler.step(opt)`) while no path through the iteration clears that optimizer's gradients. Each optimizer is checked on its own: clearing once before the loop, clearing in only one arm of an `if/else` whose other arm also steps, or a GAN loop that zeroes the generator's optimizer but never the discriminator's are all reported. Hand-written SGD (`w -= lr * w.grad` under `torch.no_grad()`) without `w.grad.zero_()` or `w.grad = None` is reported too. A `step()` inside a helper of another project file called in the loop (engine.py's `train_step()`) is checked too and reported at this file's call; a helper with its own batch loop (a `train_epoch()`) is reported in its own file.

## Why it is a problem
Gradients of leaf tensors are kept — accumulated — after backward (non-leaf gradients are freed). Parameters are leaves, so every `backward()` adds to `.grad`. Without clearing, step k uses the sum of the first k gradients: the effective learning rate keeps growing and training diverges or behaves oddly, with no error anywhere.

Not reported: `opt.zero_grad()` at the start or end of each iteration (with `set_to_none=True/False`); `model.zero_grad()` (when the optimizer was built from `model.parameters()`, or when that link is unknown); `for p in model.parameters(): p.grad = None`; an optimizer over several models' parameters (infoGAN's `Adam(itertools.chain(G.parameters(), D.parameters()))`) whose every model is cleared in the iteration (`G.zero_grad()`, or `G_optimizer.zero_grad()` of an optimizer holding it); gradient accumulation where clearing and `step()` sit under the same `if (i + 1) % k == 0:`; clearing inside a helper of this file called in the loop (a `train_step()`); the optimizer handed to a function we cannot see (it may clear there); LBFGS-style `opt.step(closure)` whose closure clears; a PaddlePaddle loop pasted beside torch code that clears with `opt.clear_grad()` (`clear_gradients()` in older Paddle); loops that call `backward()` but never step (gradient inspection); loops that build a new model each iteration and a new optimizer over its `parameters()` (the parameters are new every iteration, so nothing accumulates across iterations); a hand-updated leaf the loop body makes anew every iteration (`w = torch.tensor(v, requires_grad=True)`, not under an `if`), whose new tensor starts each iteration with no gradient. An optimizer built in another method from a local name there (`self.optimizer = Adam(AE.parameters())` in `__init__`, the model kept as `self.auto_encoder = AE`) has an unknown link to this method's modules, so any module's `zero_grad()` in the loop counts.

## Example
```python
optimizer.zero_grad()            # cleared once, before the loop
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()             # gradients keep piling up
```

## How to fix
Clear the gradients in every iteration, before `backward()`:

```python
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
```

The quick fix inserts `optimizer.zero_grad()` as the first statement of the loop body (`w.grad = None` for hand-written SGD). It is unsafe: if the accumulation is intended (accumulating over k steps), put the clearing under the same condition as `step()` instead.
""",
    )
    must_flag = (
        # cleared once, before the loop
        "import torch\nmodel = torch.nn.Linear(4, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "opt.zero_grad()\nfor x, y in loader:\n    loss = torch.nn.functional.mse_loss(model(x), y)\n"
        "    loss.backward()\n    opt.step()  # <-\n",
        # a module-level optimizer cleared once, before the function that loops
        "import torch\nmodel = torch.nn.Linear(3, 1)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "optimizer.zero_grad()\ndef train(loader):\n    for x, y in loader:\n        ((model(x) - y) ** 2).mean().backward()\n"
        "        optimizer.step()  # <-\n",
        # cleared once per epoch only
        "import torch\ndef train(model, optimizer, loader, epochs):\n    for epoch in range(epochs):\n"
        "        optimizer.zero_grad()\n        for x, y in loader:\n            loss = model(x, y)\n"
        "            loss.backward()\n            optimizer.step()  # <-\n",
        # AMP: scaler.scale(loss).backward() and scaler.step(opt), never cleared
        "import torch\nscaler = torch.cuda.amp.GradScaler()\ndef fit(model, opt, loader):\n    for x in loader:\n"
        "        with torch.autocast('cuda'):\n            loss = model(x)\n        scaler.scale(loss).backward()\n"
        "        scaler.step(opt)  # <-\n        scaler.update()\n",
        # a GradScaler passed in: scaler.step(opt) does not clear
        "import torch\ndef fit(model, opt, loader, scaler):\n    for x in loader:\n        loss = model(x)\n"
        "        scaler.scale(loss).backward()\n        scaler.unscale_(opt)\n        scaler.step(opt)  # <-\n"
        "        scaler.update()\n",
        # accelerate
        "import torch\ndef fit(accelerator, model, optimizer, loader):\n    for batch in loader:\n"
        "        loss = model(**batch).loss\n        accelerator.backward(loss)\n        optimizer.step()  # <-\n",
        # cleared in one arm only, the other arm also steps
        "import torch\ndef fit(model, opt, loader):\n    for i, (x, y) in enumerate(loader):\n"
        "        loss = model(x, y)\n        loss.backward()\n        if i % 2 == 0:\n            opt.zero_grad()\n"
        "            opt.step()\n        else:\n            opt.step()  # <-\n",
        # GAN: the discriminator's optimizer is never cleared
        "import torch\nimport torch.nn as nn\nG = nn.Linear(8, 8)\nD = nn.Linear(8, 1)\n"
        "opt_g = torch.optim.Adam(G.parameters())\nopt_d = torch.optim.Adam(D.parameters())\n"
        "for real, z in loader:\n    d_loss = D(real).mean() - D(G(z).detach()).mean()\n    d_loss.backward()\n"
        "    opt_d.step()  # <-\n    opt_g.zero_grad()\n    g_loss = -D(G(z)).mean()\n    g_loss.backward()\n"
        "    opt_g.step()\n",
        # manual SGD
        "import torch\nw = torch.randn(3, requires_grad=True)\nfor x, y in data:\n"
        "    loss = ((x @ w - y) ** 2).mean()\n    loss.backward()\n    with torch.no_grad():\n"
        "        w -= 0.1 * w.grad  # <-\n",
        # while loop, optimizer in a class attribute
        "import torch\nclass Trainer:\n    def __init__(self, model):\n        self.model = model\n"
        "        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n    def run(self, batches):\n"
        "        while batches:\n            loss = self.model(batches.pop())\n            loss.backward()\n"
        "            self.optimizer.step()  # <-\n",
    )
    must_not_flag = (
        "import torch\ndef fit(model, opt, loader):\n    for x, y in loader:\n        opt.zero_grad()\n"
        "        loss = model(x, y)\n        loss.backward()\n        opt.step()\n",
        "import torch\ndef fit(model, opt, loader):\n    for x, y in loader:\n        loss = model(x, y)\n"
        "        loss.backward()\n        opt.step()\n        opt.zero_grad(set_to_none=True)\n",
        "import torch\nmodel = torch.nn.Linear(4, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for x, y in loader:\n    model.zero_grad()\n    model(x).sum().backward()\n    opt.step()\n",
        "import torch\ndef fit(model, opt, loader):\n    for x, y in loader:\n        for p in model.parameters():\n"
        "            p.grad = None\n        model(x, y).backward()\n        opt.step()\n",
        "import torch\ndef fit(model, opt, loader, k):\n    for i, (x, y) in enumerate(loader):\n"
        "        loss = model(x, y) / k\n        loss.backward()\n        if (i + 1) % k == 0:\n            opt.step()\n"
        "            opt.zero_grad()\n",
        "import torch\ndef train_step(model, opt, x, y):\n    opt.zero_grad()\n    loss = model(x, y)\n"
        "    loss.backward()\n    opt.step()\ndef fit(model, opt, loader):\n    for x, y in loader:\n"
        "        train_step(model, opt, x, y)\n",
        "import torch\ndef fit(model, opt, loader):\n    for x, y in loader:\n        def closure():\n"
        "            opt.zero_grad()\n            loss = model(x, y)\n            loss.backward()\n            return loss\n"
        "        opt.step(closure)\n",
        "import torch\ndef inspect(model, loader):\n    for x, y in loader:\n        loss = model(x, y)\n"
        "        loss.backward()\n        print(model.weight.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True)\nfor x, y in data:\n"
        "    loss = ((x @ w - y) ** 2).mean()\n    loss.backward()\n    with torch.no_grad():\n"
        "        w -= 0.1 * w.grad\n        w.grad.zero_()\n",
        "import torch\ndef fit(model, scheduler, loader):\n    for x in loader:\n        model(x).backward()\n"
        "        scheduler.step()\n",
        # the optimizer/params link is unknown: any module's zero_grad() counts
        "import torch\ndef fit(net, optimizer, loader):\n    for x in loader:\n        net.zero_grad()\n"
        "        net(x).backward()\n        optimizer.step()\n",
        # a hand-written sgd() over a list of parameters; the caller clears each one
        "import torch\ndef sgd(params, lr):\n    for p in params:\n        p.data -= lr * p.grad\n"
        "w = torch.zeros(3, requires_grad=True)\nfor x in data:\n    (x @ w).sum().backward()\n    sgd([w], 0.1)\n"
        "    w.grad.data.zero_()\n",
        # an accumulator read from the gradients is no parameter update
        "import torch\ndef clip(params):\n    norm = torch.tensor([0.0])\n    for p in params:\n"
        "        norm += (p.grad.data ** 2).sum()\n    return norm\n",
        # micro-batches accumulate into one step: the clear is at the step's loop level
        "import torch\ndef train(model, optimizer, loader, chunks):\n    for batch in loader:\n        optimizer.zero_grad()\n"
        "        for part in batch.chunk(chunks):\n            model(part).sum().backward()\n        optimizer.step()\n",
        # a new leaf every iteration, updated by hand once: its gradient starts empty each time
        "import torch\nfor v in [0.1, 2.0]:\n    w = torch.tensor(v, requires_grad=True)\n    ((w - 1) ** 2).backward()\n"
        "    w.data -= 0.1 * w.grad.data\n",
        # a new model and a new optimizer every iteration: nothing carries over
        "import torch\nimport torch.nn as nn\nfor seed in range(3):\n    model = nn.Linear(4, 2)\n"
        "    model(torch.randn(8, 4)).sum().backward()\n    opt = torch.optim.SGD(model.parameters(), lr=1.0)\n"
        "    opt.step()\n",
        # handed to a function we cannot see, which may clear it
        "import torch\nfrom mylib import reset_grads\ndef fit(model, optimizer, loader):\n    for x in loader:\n"
        "        reset_grads(optimizer)\n        model(x).backward()\n        optimizer.step()\n",
    )

    def finish(self) -> None:
        flow = self.ctx.analysis(FlowAnalysis).check()
        reported: set = set()
        for loop in flow.loop_blocks():
            try:
                # a nested loop (over parameters, over micro-batches) is taken to run: a clear
                # inside it counts, which can only make the rule quieter
                paths = iteration_paths(loop.body, _KINDS, nested_may_skip=False)
            except TooManyPaths:
                continue
            events = list(walk(loop.body))
            if any(e.kind == FOREIGN_AUTOGRAD for e in events):
                continue  # MXNet's ``autograd.record()``: its backward() writes gradients, never adds
            all_clears = [e for e in events if e.kind == ZERO_GRAD]
            for path in paths:
                backs = path.kinds(BACKWARD)
                if not backs:
                    continue
                clears = path.kinds(ZERO_GRAD)
                for step in path.kinds(STEP) + path.kinds(MANUAL_STEP):
                    place = self._place_key(step)
                    if place in reported or _cleared(step, clears) or self._built_each_iteration(loop, step, flow):
                        continue
                    elsewhere = _exclusive_clears(loop.body, step)
                    if _cleared(step, [c for c in all_clears if id(c) not in elsewhere]) \
                            and not _arms_disagree(loop.body, step):
                        # cleared under some condition: flag only the plain if/else where one arm
                        # clears and another steps without clearing; other conditions may be
                        # correlated (accumulate k batches, clear at the first, step at the last).
                        # A clear in another arm of the step's own if/else never runs with it.
                        continue
                    reported.add(place)
                    self._report(loop, step, backs[0])

    def _built_each_iteration(self, loop: LoopBlock, step: Event, flow: FlowAnalysis) -> bool:
        """The optimizer and the parameters it holds are both made inside the loop: every
        iteration's parameters are new, their gradients start empty, and nothing carries into
        the next iteration (a test building a fresh model per case). The parameters count as
        made here when every name their expression reads (``model.parameters()``,
        ``params.values()``) holds a value made in this loop, and so on for the names that
        value was made from (``params = {n: p for n, p in cgen.named_parameters()}`` with
        ``cgen = Net()`` in the loop); one made before the loop keeps the finding."""
        index = self.ctx.analysis(NodeIndex)
        if step.kind == MANUAL_STEP:
            return _fresh_leaf_each_iteration(loop, step, index)
        ctor = step.value.origin if step.kind == STEP and step.value is not None else None
        if not isinstance(ctor, cst.Call) or not ctor.args:
            return False
        if not index.encloses(loop.node, ctor):
            return False
        return _made_in(loop.node, ctor.args[0].value, flow, index, self.ctx.analysis(NameMentions), set())

    def _place_key(self, step: Event) -> int:
        """One finding per step; for another file's step, one per call of its helper here."""
        return id(step.via) if step.via is not None and self.ctx.is_foreign(step.node) else id(step.node)

    def _report(self, loop: LoopBlock, step: Event, back: Event) -> None:
        place = report_place(self.ctx, loop, step)
        if place is None:
            return  # the loop is in another file's helper: that file reports it
        related = [Related(back.node, "backward() 在这里", "backward() is called here")]
        if place.helper is not None:
            related.append(Related(step.node, "优化器在这里更新参数", "the optimizer steps here"))
        elif step.via is not None:
            related.append(Related(step.via, "在循环里调用了这个辅助函数", "the helper is called in the loop here"))
        manual = step.kind == MANUAL_STEP
        name = step.key or ("参数" if manual else "优化器")
        fix = self._fix(loop, step, manual)
        if manual:
            self.report(place.node, message=MANUAL_MESSAGE, related=related, fix=fix, param=name)
        elif place.helper is not None:
            self.report(place.node, message=OTHER_FILE_MESSAGE, related=related, fix=fix, opt=name,
                        helper=place.helper, file=place.helper_file or "?")
        else:
            self.report(step.node, related=related, fix=fix, opt=name)

    def _fix(self, loop: LoopBlock, step: Event, manual: bool) -> Optional[FixSpec]:
        key = step.key
        body = loop.node.body
        if key is None or not isinstance(body, cst.IndentedBlock) or not body.body:
            return None
        if manual and not _top_level(loop.body, step.node):
            return None  # the parameter is bound by a nested loop: no single name to clear
        assigned: Counter = Counter()
        stmts = list(body.body)
        if isinstance(loop.node, cst.For):
            assigned.update(target_names(loop.node.target))
        scan_bindings(stmts, assigned, set(), augmented=False)  # ``w -= lr * w.grad`` is the step itself
        if key.split(".")[0] in assigned:
            return None  # bound inside the loop: clearing it at the top would name the wrong object
        code = f"{key}.grad = None" if manual else f"{key}.zero_grad()"
        return FixSpec((InsertStatementBefore(stmts[0], code),),
                       f"在循环体开头插入 {code}", f"insert {code} at the start of the loop body", FixSafety.UNSAFE)


# Statements whose body may run fewer times than the loop around them (or not at each call)
_RUNS_SOMETIMES = (cst.If, cst.For, cst.While, cst.Try, cst.FunctionDef, cst.Lambda)


def _fresh_leaf_each_iteration(loop: LoopBlock, step: Event, index: NodeIndex) -> bool:
    """A hand-written update of a leaf the loop body makes anew on every iteration
    (``w = torch.tensor(v, requires_grad=True)`` at the body's top level, before the step):
    each iteration's tensor starts with no gradient, so nothing adds up. One made under a
    condition (the first iteration only) or before the loop keeps the finding."""
    v = step.value
    made = v.origin if v is not None else None
    if made is None or v.is_leaf is not True or v.storage != ("n", id(made)):
        return False  # not a tensor the flow saw made, with memory of its own, at one node
    return index.innermost(made, _RUNS_SOMETIMES) is loop.node and index.encloses(loop.node.body, made)


def _made_in(region: cst.CSTNode, expr: cst.CSTNode, flow: FlowAnalysis, index: NodeIndex, mentions: NameMentions,
             seen: set) -> bool:
    """Every name ``expr`` reads holds a value made inside ``region``, transitively (at least
    one name: a literal list of parameters says nothing). Names a comprehension binds are its
    own; a value the flow cannot place (no origin) is not made here."""
    bound = {name for c in m.findall(expr, m.CompFor()) if isinstance(c, cst.CompFor) for name in target_names(c.target)}
    names = [use.node for uses in mentions.within(expr).values() for use in uses
             if isinstance(use.node, cst.Name) and use.node.value not in bound]
    if not names:
        return False
    for name in names:
        made = flow.value_of(name).origin
        if made is None and hasattr(builtins, name.value):
            continue  # ``list(...)``, ``filter(...)``: what they are given decides
        if made is None or not index.encloses(region, made):
            return False
        if id(made) in seen:
            continue
        seen.add(id(made))
        if isinstance(made, cst.Name):  # a value the flow does not know, made at this binding:
            made = _assigned_value(made, index)  # read what was assigned
            if made is None:
                return False
        if not (isinstance(made, cst.Call) and _new_object(made, flow)) and not _made_in(region, made, flow, index, mentions, seen):
            return False
    return True


def _assigned_value(target: cst.Name, index: NodeIndex) -> Optional[cst.BaseExpression]:
    """The value of ``target = value`` (a single plain target), else None."""
    holder = index.parent(target)
    stmt = index.parent(holder) if isinstance(holder, cst.AssignTarget) else None
    return stmt.value if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 else None


def _new_object(call: cst.Call, flow: FlowAnalysis) -> bool:
    """``Net(...)`` / ``nn.Linear(4, 2)``: a module (or a call of a plain name, a class of
    another module) made here is new, whatever its arguments; a builtin (``list(...)``) or a
    method call on a name (``model.parameters()``) depends on what it is given."""
    if flow.value_of(call).kind is Kind.MODULE:
        return True
    return isinstance(call.func, cst.Name) and not hasattr(builtins, call.func.value)
