from ptlint.rules.gating import Gated
from ptlint.rules.findings import Severity
from ptlint.rules.flow import BACKWARD, STEP, ZERO_GRAD, Event, FlowAnalysis, iteration_paths
from ptlint.rules.flow.events import TooManyPaths
from ptlint.rules.flow.foreign_events import report_place
from ptlint.rules.rule import Docs, Message, Related, Rule

# The step is in another project file's helper called in this loop (flow/foreign_events.py).
OTHER_FILE_MESSAGE = Message(
    zh="循环里调用的 `{helper}()`（{file}）在本轮迭代的 `backward()` 之前执行 `{opt}.step()`："
       "这一步用的不是本轮的梯度，本轮算出的梯度要到下一轮才被使用",
    en="`{helper}()` ({file}) runs `{opt}.step()` in this loop before the iteration's `backward()`: the step does not "
       "use this iteration's gradients, and the new gradients are only used next iteration",
)


class StepBeforeBackward(Gated, Rule):
    code = "PT019"
    name = "step-before-backward"
    needs = ('.step(', 'optim')  # 'optim': the step may be in a helper of another file the optimizer goes to
    severity = Severity.WARNING
    message = Message(
        zh="`{opt}.step()` 在本轮迭代的 `backward()` 之前执行：这一步用的不是本轮的梯度（刚清零时什么也不更新），本轮算出的梯度要到下一轮才被使用",
        en="`{opt}.step()` runs before this iteration's `backward()`: it does not use this iteration's gradients (nothing at all right after zero_grad), and the new gradients are only used next iteration",
    )
    docs = Docs(
        zh="""## 它检查什么
训练循环的一轮迭代中，`optimizer.step()` 出现在 `loss.backward()` **之前**，而二者之间没有任何能计算出梯度的操作。`step()` 在循环里调用的其他项目文件的辅助函数中（例如 engine.py 的 `train_step()`）时也会检查，问题报告在本文件调用它的那一行。

## 为什么有问题
一次参数更新的正确顺序是：清零梯度 → 前向计算损失 → `backward()` 计算梯度 → `step()` 用梯度更新参数（笔记：在根节点调用 backward() 才会计算梯度，之后优化器据此调整参数）。

如果 `step()` 在 `backward()` 之前：

- 紧跟在 `zero_grad()` 之后的 `step()` 面对的是 0 或 `None` 梯度，什么也不更新；
- 本轮 `backward()` 算出的梯度要等到下一轮才被使用，如果下一轮又先清零，这些梯度就直接丢掉了——模型根本没有在训练，而且不会报错。

## 示例
```python
for x, y in loader:
    optimizer.zero_grad()
    optimizer.step()              # 梯度刚被清零
    loss = loss_fn(model(x), y)
    loss.backward()
```

## 如何修复
把 `step()` 放到 `backward()` 之后：

```python
for x, y in loader:
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
```

先 `step()`、再 `zero_grad()`、最后 `backward()`（有意使用上一轮梯度）的写法不会被报告。
""",
        en="""## What it finds
In one iteration of a training loop, `optimizer.step()` comes **before** `loss.backward()` with nothing in between that could compute gradients. A `step()` inside a helper of another project file called in the loop (engine.py's `train_step()`) is checked too, and reported at this file's call.

## Why it is a problem
One update goes: clear gradients → forward pass and loss → `backward()` computes the gradients → `step()` applies them (the notes: backward() from the root computes the gradients, then the optimizer adjusts the parameters).

With `step()` before `backward()`:

- a `step()` right after `zero_grad()` sees zero or `None` gradients and changes nothing;
- the gradients this iteration's `backward()` computes are only used next iteration — and if that iteration clears them first, they are thrown away: the model does not train, and nothing raises.

## Example
```python
for x, y in loader:
    optimizer.zero_grad()
    optimizer.step()              # gradients were just cleared
    loss = loss_fn(model(x), y)
    loss.backward()
```

## How to fix
Move `step()` after `backward()`:

```python
for x, y in loader:
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
```

`step()`, then `zero_grad()`, then `backward()` (deliberately applying the previous iteration's gradients) is not reported.
""",
    )
    must_flag = (
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for x, y in data:\n    opt.zero_grad()\n    opt.step()  # <-\n    loss = ((model(x) - y) ** 2).mean()\n    loss.backward()\n",
        "import torch\nmodel = torch.nn.Linear(2, 1)\noptimizer = torch.optim.Adam(model.parameters())\n"
        "def train(batches):\n    for xb, yb in batches:\n        optimizer.step()  # <-\n"
        "        loss = model(xb).sum()\n        loss.backward()\n        optimizer.zero_grad()\n",
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\ni = 0\n"
        "while i < 10:\n    opt.step()  # <-\n    out = model(torch.randn(4, 2))\n    out.mean().backward()\n    i += 1\n",
    )
    must_not_flag = (
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for x, y in data:\n    opt.zero_grad()\n    loss = ((model(x) - y) ** 2).mean()\n    loss.backward()\n    opt.step()\n",
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for i, (x, y) in enumerate(data):\n    if i > 0:\n        opt.step()\n        opt.zero_grad()\n"
        "    loss = model(x).sum()\n    loss.backward()\n",
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.LBFGS(model.parameters())\n"
        "def closure():\n    opt.zero_grad()\n    loss = model(x).sum()\n    loss.backward()\n    return loss\n"
        "for _ in range(5):\n    opt.step(closure)\n",
        "import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for epoch in range(3):\n    for x, y in data:\n        loss = model(x).sum()\n        loss.backward()\n    opt.step()\n    opt.zero_grad()\n",
    )

    def finish(self) -> None:
        flow = self.ctx.analysis(FlowAnalysis).check()
        seen: set[int] = set()
        for loop in flow.loop_blocks():
            try:
                paths = iteration_paths(loop.body, frozenset({BACKWARD, STEP, ZERO_GRAD}))
            except TooManyPaths:
                continue
            status: dict[int, set[str]] = {}
            steps: dict[int, Event] = {}
            follow: dict[int, Event] = {}
            for path in paths:
                evs = list(path.events)
                for i, ev in enumerate(evs):
                    if ev.kind != STEP:
                        continue
                    steps[id(ev)] = ev
                    marks = status.setdefault(id(ev), set())
                    if any(e.kind == BACKWARD for e in evs[:i]):
                        marks.add("before")
                        continue
                    cleared = False
                    for e in evs[i + 1:]:
                        if e.kind == ZERO_GRAD:
                            cleared = True
                        elif e.kind == BACKWARD:
                            marks.add("after-cleared" if cleared else "after")
                            follow.setdefault(id(ev), e)
                            break
            for eid, marks in status.items():
                ev = steps[eid]
                if marks & {"before", "after-cleared"} or "after" not in marks or id(ev.node) in seen:
                    continue
                seen.add(id(ev.node))
                place = report_place(self.ctx, loop, ev)
                if place is None:
                    continue  # the loop is in another file's helper: that file reports it
                related = [Related(follow[eid].node, "本轮的 backward() 在这里", "this iteration's backward() is here")]
                if place.helper is not None:
                    related.append(Related(ev.node, "优化器在这里更新参数", "the optimizer steps here"))
                    self.report(place.node, message=OTHER_FILE_MESSAGE, related=related, opt=ev.key or "optimizer",
                                helper=place.helper, file=place.helper_file or "?")
                else:
                    self.report(ev.node, opt=ev.key or "optimizer", related=related)
