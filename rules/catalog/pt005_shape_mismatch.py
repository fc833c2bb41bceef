from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.probe_requests import ShapeRequest, ProbedRule, shape_request
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule
from ptlint.rules.flow import FlowAnalysis, shape_str
from ptlint.rules.node_index import NodeIndex
from ptlint.rules.shapes import ShapeAnalysis, problem_text

_DETAIL = Message(zh="{zh}", en="{en}")


class ShapeMismatch(ProbedRule, Rule):
    code = "PT005"
    # The runtime probe checks a finding by running its model (probe_requests.py).
    request_type = ShapeRequest
    probe_request = staticmethod(shape_request)
    name = "shape-mismatch"
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safeties = (FixSafety.SAFE, FixSafety.UNSAFE)  # chosen per finding
    message = Message(zh="形状不匹配：{zh}", en="shape mismatch: {en}")
    docs = Docs(
        zh="""## 它检查什么
第一次前向传播时 PyTorch 就会抛出的形状错误，用笔记里的输出尺寸公式 `OH = ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1` 逐层静态推算：

- 卷积的 `in_channels` 与传进来的通道数不一致；`groups` 不能整除通道数；
- 展平后的特征数与 `Linear.in_features` 不一致（最常见：按 32×32 写的 LeNet 喂了 28×28 的 MNIST）；
- `BatchNorm` / `GroupNorm` / `LayerNorm` 的特征数与输入不一致，或输入维数不对；
- 卷积核或池化窗口比（填充后的）输入还大，输出尺寸小于 1；
- `view` / `reshape` 的元素总数对不上（把批量大小直接写进去的 `out.view(batch_size, -1)` 对这个大小的批次是对的，不会报告）；
- `mm` / `matmul` / `@` 的内维不一致（`mm` 只接受二维矩阵，`matmul` 会广播批量维）；
- `LSTM` / `GRU` / `RNN` 的 `input_size` 与输入最后一维不一致，`Embedding` 收到了浮点张量；
- `x.view(...)` 的结果没有赋值，下一层拿到的还是没展平的张量；
- 通道数是表达式时（单独分析 `SEBlock(channels, reduction)`，参数没有具体值）：`Conv2d(c, c // r, 1)` 后面接 `Conv2d(c, …)`，只有当参数取任何值（或只有一个例外，如 `r = 1`）都对不上时才报告，条件写在提示里。

提示标在快速修复要改的那个构造参数上（写错的 `in_features` / `in_channels` / `num_features` 数字），出错的调用、输入形状的来源和上游层作为相关位置列出；没有哪个参数单独写错时（漏了展平、`view` 的结果被丢弃），标在调用处。这个参数是所在模块 `__init__` 的参数、原样传入时（`nn.Conv2d(in_c, …)`），要改的数字在构造这个模块的地方：提示标在 `ConvBNReLU(32, 64)` 里的 `32` 上（没有传时标在签名里的默认值 `in_c=32` 上），模块里的那一层也列为相关位置；参数经过计算（`in_c * 2`）、层在循环里或由工厂函数创建时，仍标在层上。模型类或它用到的模块定义在项目的另一个文件里时（如 `models/blocks.py` 的 `ConvBlock`，或那个文件里返回 `nn.Sequential` 的函数 `make_features()`），问题报告在本文件中：要改的数字写在本文件构造模块的地方时标在那里，否则标在本文件中运行它的那次调用处，那个文件里的层作为相关位置列出。

输入形状按以下顺序确定（先找到的为准）：类或 `Sequential` 那一行的注释 `# ptlint: input=(1, 3, 32, 32)`；同一文件里用字面量张量调用模型，如 `net(torch.randn(1, 3, 32, 32))`，或者传给模型的是数据集的一个样本，如 `net(train_data[0][0])`（形状 `(C, H, W)`，没有批维度，PyTorch 也照样接受）；`torchsummary.summary(net, (3, 32, 32))` / `torchinfo.summary`；数据集（`datasets.MNIST` → `(N, 1, 28, 28)`，`CIFAR10` → `(N, 3, 32, 32)`，有改变尺寸的 transform 时不算），但只在数据流确实看到这个模型拿到了该数据集的一批图像时才用：例如 `for x, y in DataLoader(train_set, …)` 里的 `net(x)`，或者把模型和 loader 一起交给本文件的训练函数 `train(net, train_loader)`。数据集只是和模型写在同一个文件里、模型却从没被喂过它的批次（比如 GAN 的生成器吃的是噪声，或者训练的是另一个模型）时，不把它当作输入。不知道输入形状时，仍会检查相邻层之间的通道数 / 特征数是否一致。除此之外，数据流知道确切形状的张量传给某一层时也会检查：例如经 `torch.from_numpy` 得到的张量、传给本文件辅助函数的层（d2l 的 `comp_conv2d(conv2d, X)`）；这类问题标在调用处，层的定义和给出输入的那次调用列为相关位置。

## 为什么有问题
这些错误不会在定义模型时出现，而是在第一次 `forward` 时才抛出 `RuntimeError`，报错信息只给出矩阵尺寸（如 `mat1 and mat2 shapes cannot be multiplied (1x256 and 400x120)`），很难看出是哪一层、为什么。提示里给出了带数字的推导过程：哪一层输出了什么形状、展平后是多少、和哪个参数对不上。

## 示例
```python
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)   # 按 32×32 输入算的

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc1(x)   # MNIST 28×28：pool 输出 (N, 16, 4, 4) → 展平得 256，但 fc1.in_features = 400

net = Net()
out = net(torch.randn(1, 1, 28, 28))
```

## 如何修复
按提示里的推导改参数：把 `fc1` 改成 `nn.Linear(16 * 4 * 4, 120)`，或者让输入尺寸与模型设计一致（如 `transforms.Resize(32)` / 在第一层卷积加 `padding=2`）。想在层数较多时少算错，可以在展平前加 `nn.AdaptiveAvgPool2d`，或用 `nn.LazyLinear`。

快速修复：当 `Linear(in_features=<字面量>)` 与推算结果不一致时，把字面量改成算出的数；数字写在构造模块的地方时改那里，但只在这个参数在 `__init__` 里没有别的用处时提供；特征数是 `view` / `reshape` 里直接写出的数字、不是由前面各层算出来的时候（如对 `(N, 16, ?, ?)` 写 `feature.view(N, 1)`），不提供修复：这时要改的是 `view` 本身。只有当输入形状来自代码本身（注释、字面量调用、summary）时才是安全修复；来自数据集推断（包括传入数据集样本的调用）或命令行、或者要改的是签名里的默认值（所有没传这个参数的构造都会跟着变）时为不安全修复。用 `ptlint shapes 文件名` 可以看到每一层的形状和公式。
""",
        en="""## What it finds
Shape errors PyTorch raises on the first forward pass, found statically layer by layer with the notes' output-size formula `OH = ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1`:

- a convolution whose `in_channels` differs from the incoming channels, or whose `groups` does not divide them;
- a flattened feature count that differs from `Linear.in_features` (classic: a LeNet written for 32×32 fed 28×28 MNIST);
- `BatchNorm` / `GroupNorm` / `LayerNorm` feature counts or input ranks that do not match;
- a kernel or pooling window larger than the (padded) input, so the output size falls below 1;
- `view` / `reshape` whose element counts cannot match (`out.view(batch_size, -1)`, the batch size written out, is right for batches of that size and is not reported);
- `mm` / `matmul` / `@` with mismatched inner dims (`mm` is strictly 2-D, `matmul` broadcasts batch dims);
- an `LSTM` / `GRU` / `RNN` whose `input_size` differs from the input's last dim, an `Embedding` fed a float tensor;
- the result of `x.view(...)` discarded, so the next layer still gets the unflattened tensor;
- channel counts that are expressions (`SEBlock(channels, reduction)` analysed on its own, no values given): `Conv2d(c, c // r, 1)` followed by `Conv2d(c, …)` is reported only when the counts differ for every value of the parameters (or all but one stated exception such as `r = 1`), with the condition in the message.

The finding sits on the constructor argument the quick fix edits (the wrong `in_features` / `in_channels` / `num_features` number), with the failing call, the source of the input shape and the upstream layer as related locations; where no single argument is wrong (a missing flatten, a discarded `view` result) it sits on the call. When that argument is a parameter of the enclosing block's `__init__` passed on unchanged (`nn.Conv2d(in_c, …)`), the number to change is where the block is built: the finding sits on the `32` of `ConvBNReLU(32, 64)` (on the default `in_c=32` in the signature when none is passed), with the layer inside the block as a related location too; a parameter used in an expression (`in_c * 2`), or a layer built in a loop or by a factory function, keeps the finding on the layer. When the model class or a block it uses is defined in another file of the project (`ConvBlock` of `models/blocks.py`, or a function there returning an `nn.Sequential`, `make_features()`), the finding is reported in this file: at the number where this file builds the block when it is written here, else at this file's call that runs it, with the layer in that file as a related location.

The input shape comes from, first match wins: a `# ptlint: input=(1, 3, 32, 32)` comment on the class or `Sequential` line; a call in the same file with a literal tensor such as `net(torch.randn(1, 3, 32, 32))`, or with one sample of a dataset such as `net(train_data[0][0])` (shape `(C, H, W)`, no batch dimension, which PyTorch accepts too); `torchsummary.summary(net, (3, 32, 32))` / `torchinfo.summary`; a dataset (`datasets.MNIST` → `(N, 1, 28, 28)`, `CIFAR10` → `(N, 3, 32, 32)`, unless a transform may resize), used only where the data flow sees this very model given a batch of its images: `net(x)` in `for x, y in DataLoader(train_set, …)`, or the model and the loader handed together to a training function of the file (`train(net, train_loader)`). A dataset that merely sits in the same file as a model it never feeds (a GAN's generator fed noise, another model trained) is not taken for its input. Without an input shape, channel and feature counts between adjacent layers are still checked. Besides, a layer call on a tensor whose exact shape the data flow knows is checked too, e.g. a tensor made by `torch.from_numpy`, or a layer handed to a helper of the file (d2l's `comp_conv2d(conv2d, X)`); such a finding is at the call, with the layer's definition and the call that gave the input as related locations.

## Why it is a problem
Nothing fails when the model is defined: the `RuntimeError` comes at the first `forward`, and it only names matrix sizes (`mat1 and mat2 shapes cannot be multiplied (1x256 and 400x120)`), not the layer or the reason. The finding shows the derivation with numbers: which layer produced which shape, what flattening gives, and which parameter disagrees.

## Example
```python
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)   # computed for 32×32 input

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc1(x)   # MNIST 28×28: pool outputs (N, 16, 4, 4) → flattened to 256, but fc1.in_features = 400

net = Net()
out = net(torch.randn(1, 1, 28, 28))
```

## How to fix
Change the parameter the derivation points at: `nn.Linear(16 * 4 * 4, 120)` here, or make the input match the design (`transforms.Resize(32)`, or `padding=2` in the first convolution). With many layers, an `nn.AdaptiveAvgPool2d` before flattening or `nn.LazyLinear` avoids recomputing by hand.

Quick fix: when `Linear(in_features=<literal>)` disagrees with the computed count, replace the literal with the computed number; when the number is where the block is built, the fix edits it there, offered only when that parameter feeds nothing else in `__init__`; when the count is a number written in a `view` / `reshape` rather than one computed from the layers before it (`feature.view(N, 1)` of an `(N, 16, ?, ?)` tensor), no fix is offered: the `view` is what needs changing. It is a safe fix only when the input shape came from the code itself (comment, literal call, summary); inferred from a dataset (a call given one dataset sample included) or given on the command line, or editing a default in the signature (every construction that does not pass the parameter changes with it), it is unsafe. `ptlint shapes FILE` prints every layer's shape and formula.
""",
    )
    must_flag = (
        # LeNet built for 32×32, fed MNIST-sized input by a literal call.
        """import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # <-

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc1(x)

net = Net()
out = net(torch.randn(1, 1, 28, 28))
""",
        # Channel mismatch between adjacent convolutions: no input shape needed.
        """from torch import nn
model = nn.Sequential(
    nn.Conv2d(3, 16, 3),
    nn.ReLU(),
    nn.Conv2d(32, 64, 3),  # <-
)
""",
        # The result of view is discarded: fc still sees the 4-D tensor.
        """import torch
import torch.nn as nn

class Head(nn.Module):  # ptlint: input=(8, 16, 5, 5)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(400, 10)

    def forward(self, x):
        x.view(x.size(0), -1)
        return self.fc(x)  # <-
""",
        # mm is strictly 2-D, and inner dims must agree.
        """import torch
a = torch.randn(2, 3)
b = torch.randn(4, 5)
c = a @ b  # <-
d = torch.mm(torch.randn(2, 3, 4), torch.randn(4, 5))  # <-
""",
        # An LSTM fed the wrong feature size, from torchsummary's input.
        """import torch.nn as nn
from torchsummary import summary

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=10, hidden_size=20, batch_first=True)  # <-

    def forward(self, x):
        out, _ = self.lstm(x)
        return out

summary(Tagger(), (7, 12))
""",
        # SE block: the second 1×1 conv should take channels // reduction, for any channel count.
        """import torch
import torch.nn as nn

class SEBlock(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels, channels, 1)  # <-

    def forward(self, x):
        s = torch.relu(self.fc1(self.pool(x)))
        return x * torch.sigmoid(self.fc2(s))
""",
        # groups must divide the channel counts (raised by the constructor).
        """import torch.nn as nn
conv = nn.Conv2d(3, 8, 3, groups=2)  # <-
""",
        # BatchNorm after a convolution with another channel count.
        """import torch.nn as nn
net = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(16))  # <-
""",
        # A block's parameter passed on unchanged: the number to change is where the block is built.
        """import torch
import torch.nn as nn

class ConvBNReLU(nn.Sequential):
    def __init__(self, in_c, out_c):
        super().__init__(nn.Conv2d(in_c, out_c, 3, padding=1), nn.BatchNorm2d(out_c), nn.ReLU())

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = ConvBNReLU(3, 16)
        self.b = ConvBNReLU(32, 64)  # <-

    def forward(self, x):
        return self.b(self.a(x))

y = Net()(torch.randn(2, 3, 32, 32))
""",
    )
    must_not_flag = (
        # The same LeNet at its designed 32×32 input.
        """import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))

net = Net()
print(net(torch.randn(4, 3, 32, 32)).shape)
""",
        # No input shape anywhere: the flattened size is unknown, so nothing is claimed.
        """import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(1234, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))
""",
        # A deliberate mismatch inside try / pytest.raises is not a bug.
        """import torch
import pytest

def test_mismatch():
    with pytest.raises(RuntimeError):
        torch.randn(2, 3) @ torch.randn(4, 5)
    try:
        torch.randn(2, 3).view(4, 4)
    except RuntimeError:
        pass
""",
        # The model is changed after construction: the call does not describe the class.
        """import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(100, 10)

    def forward(self, x):
        return self.fc(x)

net = Net()
net.fc = nn.Linear(20, 10)
net(torch.randn(1, 20))
""",
        # The SE block written right: c // r channels in, c out (symbols stay symbols).
        """import torch
import torch.nn as nn

class SEBlock(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.bn = nn.BatchNorm2d(c // r)
        self.fc2 = nn.Conv2d(c // r, c, 1)

    def forward(self, x):
        s = torch.relu(self.bn(self.fc1(x.mean((2, 3), keepdim=True))))
        return x * torch.sigmoid(self.fc2(s))
""",
        # Input size from an argument we cannot know; layer sizes from constructor defaults.
        """import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, n_in=784, hidden=128):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.body(x.view(x.size(0), -1))
""",
    )

    def finish(self) -> None:
        analysis = self.ctx.analysis(ShapeAnalysis)
        reported = set()
        for err in analysis.errors:
            # the trace reports at the call, or at the number to change with the call related
            reported.update((err.node, err.defined, err.via, *(n for n, _, _ in err.related)))
            related = [Related(node, zh, en) for node, zh, en in err.related]
            fix = None
            if err.fix is not None:
                fx = err.fix
                fix = FixSpec((Replace(fx.node, fx.text),), f"把 {fx.layer.label} 的 in_features 改成 {fx.text}",
                              f"set in_features of {fx.layer.label} to {fx.text}",
                              FixSafety.SAFE if fx.safe else FixSafety.UNSAFE)
            self.report(err.node, message=_DETAIL, related=related, fix=fix, zh=err.zh, en=err.en)
        # the flow's layer calls that raise where the shape trace had no input (a layer handed
        # to a helper, a model run inside a function or by torchsummary / torchinfo)
        flow = self.ctx.analysis(FlowAnalysis).check()
        numbers = [n for n in reported if n is not None]
        index = self.ctx.analysis(NodeIndex) if numbers and flow.layer_problems() else None
        for call in flow.layer_problems():
            if call.node in reported or call.layer in reported or self.ctx.is_foreign(call.node):
                continue
            if index is not None and any(index.encloses(call.layer, n) for n in numbers):
                continue  # the trace reported it at the number to change in this layer's constructor
            reported.update((call.node, call.layer))
            zh, en = problem_text(flow.layer_call_label(call), shape_str(call.input), call.outcome.problem)
            self.report(call.node, message=_DETAIL, related=self.layer_call_related(call), zh=zh, en=en)
