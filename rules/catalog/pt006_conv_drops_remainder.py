from ptlint.rules.findings import Severity
from ptlint.rules.flow import FlowAnalysis, LayerCall, shape_str
from ptlint.rules.rule import Docs, Message, Related, Rule
from ptlint.rules.shapes import ShapeAnalysis, drop_text

_DETAIL = Message(zh="{zh}", en="{en}")


class ConvDropsRemainder(Rule):
    code = "PT006"
    name = "conv-drops-remainder"
    severity = Severity.INFO
    message = Message(zh="卷积 / 池化丢掉了输入的最后几行：{zh}", en="convolution / pooling drops the input's last rows: {en}")
    docs = Docs(
        zh="""## 它检查什么
已知输入尺寸 H 时，卷积或池化（默认的 `ceil_mode=False`）的 `(H + 2P − D·(K − 1) − 1) % S ≠ 0`，而且除不尽的部分超出了右侧（下侧）的填充，落在真实输入上。层所在的模型类（或构造这个 `nn.Sequential` 的函数）定义在项目的另一个文件里（如 `models/blocks.py` 的 `ConvBlock`）时，问题报告在本文件中传入输入的那次调用处，那个文件里的层作为相关位置列出。层被传给本文件的辅助函数（d2l 的 `comp_conv2d(conv2d, X)`），或模型在函数里对那里构造的张量运行时，按那次调用给出的输入检查，并把那次调用列为相关位置。

## 为什么有问题
笔记里说过：当输出大小无法整除时，PyTorch 会向下取整，舍弃无法覆盖完整卷积核的输入部分。也就是说，输入最后的几行 / 几列根本没有参与计算——不报错，也不警告。多数时候这是尺寸没算好（例如 28×28 的图用 `kernel_size=3, stride=2`），而不是有意为之。只舍弃填充部分时（如 ResNet 的 `Conv2d(3, 64, 7, 2, 3)` 作用在 224×224 上）不提示。

## 示例
```python
conv = nn.Conv2d(1, 8, kernel_size=3, stride=2)
y = conv(torch.randn(1, 1, 28, 28))
# (28 + 2×0 − 1×(3 − 1) − 1) mod 2 = 1：最后 1 行和最后 1 列没有被卷积核覆盖
```

## 如何修复
让尺寸能整除：加上 `padding`（这里 `padding=1` 时 (28 + 2 − 2 − 1) mod 2 = 1，但剩下的 1 落在填充里，真实输入全部被覆盖），调整 `kernel_size` / `stride`，或把输入裁剪 / 缩放到合适的尺寸；池化层可以用 `ceil_mode=True`。如果向下取整正是你要的，就在池化层上明确写出 `ceil_mode=False`：写出来的 `ceil_mode=False` 表示这是有意的选择，不会再被报告。确实无所谓时也可以在这一行加 `# noqa: PT006`。
""",
        en="""## What it finds
A convolution or pooling (with the default `ceil_mode=False`) over a known input size H where `(H + 2P − D·(K − 1) − 1) % S ≠ 0`, and the remainder reaches past the right (bottom) padding into real input. When the layer belongs to a model class (or an `nn.Sequential` built by a function) defined in another file of the project (`ConvBlock` of `models/blocks.py`), the finding is reported at this file's call that feeds it, with the layer in that file as a related location. A layer handed to a helper of the file (d2l's `comp_conv2d(conv2d, X)`), or a model run inside a function on a tensor built there, is checked with the input that call gives; the call is named as a related location.

## Why it is a problem
As the notes say, when the output size does not divide evenly PyTorch floors it and drops the part of the input the kernel cannot fully cover. The last rows / columns of the input take no part in the computation, with no error and no warning. Usually a size was miscounted (a 28×28 image with `kernel_size=3, stride=2`), not chosen. When only padding is dropped (ResNet's `Conv2d(3, 64, 7, 2, 3)` on 224×224) nothing is reported.

## Example
```python
conv = nn.Conv2d(1, 8, kernel_size=3, stride=2)
y = conv(torch.randn(1, 1, 28, 28))
# (28 + 2×0 − 1×(3 − 1) − 1) mod 2 = 1: the last row and column are never covered
```

## How to fix
Make the sizes divide: add `padding` (with `padding=1`, (28 + 2 − 2 − 1) mod 2 = 1 but that remainder lies in the padding, so every real pixel is covered), adjust `kernel_size` / `stride`, or crop / resize the input; pooling layers can use `ceil_mode=True`. If the floor is what you want, write `ceil_mode=False` out on the pooling layer: an explicit `ceil_mode=False` states the choice and is not reported. If it really does not matter, you can also add `# noqa: PT006` to the line.
""",
    )
    must_flag = (
        """import torch
import torch.nn as nn
conv = nn.Conv2d(1, 8, kernel_size=3, stride=2)
y = conv(torch.randn(1, 1, 28, 28))  # <-
""",
        # a layer handed to a helper (d2l's stride lesson): the helper's call gives the input
        """import torch
import torch.nn as nn
def comp_conv2d(conv2d, X):
    Y = conv2d(X.reshape((1, 1) + X.shape))  # <-
    return Y.reshape(Y.shape[2:])
conv2d = nn.Conv2d(1, 1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4))
comp_conv2d(conv2d, torch.rand(size=(8, 8))).shape
""",
        """import torch.nn as nn
net = nn.Sequential(  # ptlint: input=(1, 16, 7, 7)
    nn.MaxPool2d(2),  # <-
    nn.Flatten(),
)
""",
        """import torch
import torch.nn as nn

class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, kernel_size=4, stride=3)

    def forward(self, x):
        return self.conv(x)  # <-

enc = Encoder()
enc(torch.randn(2, 4, 11))
""",
    )
    must_not_flag = (
        # Every size divides: LeNet at 32×32.
        """import torch
import torch.nn as nn
net = nn.Sequential(
    nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
)
net(torch.randn(1, 3, 32, 32))
""",
        # Only padding is dropped (ResNet stem on 224×224).
        """import torch
import torch.nn as nn
stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, 1))
stem(torch.randn(1, 3, 224, 224))
""",
        # ceil_mode keeps the partial window; unknown sizes say nothing.
        """import torch
import torch.nn as nn
pool = nn.MaxPool2d(2, ceil_mode=True)
pool(torch.randn(1, 3, 7, 7))
conv = nn.Conv2d(3, 8, 3, stride=2)
def f(x):
    return conv(x)
""",
        # A floor written out on purpose (a lesson contrasting it with ceil_mode=True).
        """import torch
import torch.nn as nn
pool = nn.MaxPool2d(kernel_size=3, ceil_mode=False)
pool(torch.randn(64, 3, 32, 32))
""",
    )

    def finish(self) -> None:
        analysis = self.ctx.analysis(ShapeAnalysis)
        reported = set()
        for d in analysis.drops:
            # the trace reports at the layer call, or at the layer of a pipeline it ran
            reported.update((d.node, d.place(), *(n for n, _, _ in d.related)))
            self.report(d.place(), message=_DETAIL, related=[Related(n, zh, en) for n, zh, en in d.related],
                        zh=d.zh, en=d.en)
        # the flow's drops: layer calls it follows where the shape trace has no input (a layer
        # handed to a helper, a model run inside a function)
        flow = self.ctx.analysis(FlowAnalysis).check()
        for call in flow.layer_drops():
            if call.node in reported or call.layer in reported or self.ctx.is_foreign(call.node):
                continue
            reported.update((call.node, call.layer))
            self._report_flow_drop(flow, call)

    def _report_flow_drop(self, flow: FlowAnalysis, call: LayerCall) -> None:
        kind = "conv" if call.outcome.label.startswith("Conv") else "pool"
        zh, en = drop_text(flow.layer_call_label(call), shape_str(call.input), kind, call.outcome.dropped)
        self.report(call.node, message=_DETAIL, related=self.layer_call_related(call), zh=zh, en=en)
