"""Where a model's input shape comes from: comment > literal call > summary > dataset,
``--input`` over everything, and no input at all (channel checks only)."""
from __future__ import annotations

import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.shapes import ShapeAnalysis
from ptlint.rules.shapes.dims import Shape

NET = """import torch
import torch.nn as nn
{pre}
class Net(nn.Module):{header}
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d({c}, 4, 3)
        self.fc = nn.Linear(4 * 30 * 30, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))
{post}
"""


def analyse(src: str, **kw) -> ShapeAnalysis:
    res = lint_text(src, "m.py", Config(select=("PT005",)), keep_context=True)
    assert res.context is not None
    a = ShapeAnalysis(res.context, **kw) if kw else res.context.analysis(ShapeAnalysis)
    assert not a.internal_errors, a.internal_errors
    return a


def model_input(src: str, name: str = "Net", **kw):
    m = analyse(src, **kw).model(name)
    assert m is not None
    return None if m.input is None else (tuple(m.input.shape.dims), m.input.source)


def net(pre: str = "", header: str = "", post: str = "", c: int = 3) -> str:
    return NET.format(pre=pre, header=header, post=post, c=c)


# ---------------------------------------------------------------------- each source
def test_comment_on_the_class_line():
    assert model_input(net(header="  # ptlint: input=(2, 3, 32, 32)")) == ((2, 3, 32, 32), "comment")


def test_comment_above_the_class_and_symbolic_batch():
    src = net().replace("class Net", "# ptlint: input=(N, 3, 32, 32)\nclass Net")
    assert model_input(src) == (("N", 3, 32, 32), "comment")


def test_comment_on_a_multiline_sequential():
    src = "import torch.nn as nn\nnet = nn.Sequential(  # ptlint: input=(1, 4)\n    nn.Linear(4, 2),\n)\n"
    assert model_input(src, "net") == ((1, 4), "comment")


def test_call_with_literal_tensor_direct_and_through_variables():
    for post in ("net = Net()\nnet(torch.randn(1, 3, 32, 32))",
                 "x = torch.zeros(1, 3, 32, 32)\nmodel = Net().to('cpu')\ny = model(x.to('cpu'))",
                 "Net()(torch.rand((1, 3, 32, 32)))",
                 "def main():\n    net = Net()\n    net.eval()\n    print(net(torch.ones(1, 3, 32, 32)).shape)",
                 "if __name__ == '__main__':\n    net = Net()\n    out = net.forward(torch.randn(1, 3, 32, 32))"):
        assert model_input(net(post=post)) == ((1, 3, 32, 32), "call"), post


def test_call_with_non_literal_tensor_is_not_a_source():
    post = "net = Net()\nx = load()\nnet(x)\nnet(torch.randn(n, 3, 32, 32))"
    assert model_input(net(post=post)) is None


def test_torchsummary_adds_the_batch():
    pre = "from torchsummary import summary"
    assert model_input(net(pre=pre, post="summary(Net(), (3, 32, 32))")) == (("N", 3, 32, 32), "summary")
    assert model_input(net(pre=pre, post="summary(Net(), (3, 32, 32), batch_size=10, device='cpu')")) == (
        (10, 3, 32, 32), "summary")
    assert model_input(net(pre="import torchsummary", post="m = Net()\ntorchsummary.summary(m, input_size=(3, 32, 32))")) == (
        ("N", 3, 32, 32), "summary")


def test_torchinfo_input_size_includes_the_batch():
    pre = "from torchinfo import summary"
    assert model_input(net(pre=pre, post="summary(Net(), input_size=(8, 3, 32, 32))")) == ((8, 3, 32, 32), "summary")
    assert model_input(net(pre=pre, post="summary(Net(), input_data=torch.randn(2, 3, 32, 32))")) == (
        (2, 3, 32, 32), "summary")


@pytest.mark.parametrize("ds,shape", [("MNIST", (1, 28, 28)), ("FashionMNIST", (1, 28, 28)),
                                      ("CIFAR10", (3, 32, 32)), ("CIFAR100", (3, 32, 32))])
def test_dataset_gives_the_image_shape(ds, shape):
    pre = ("from torchvision import datasets, transforms\n"
           "tf = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor(), "
           "transforms.Normalize((0.5,), (0.5,))])\n"
           f"train = datasets.{ds}('data', train=True, download=True, transform=tf)\n")
    fed = "model = Net()\nfor images, _ in torch.utils.data.DataLoader(train, batch_size=8):\n    model(images)"
    assert model_input(net(pre=pre, post=fed, c=shape[0])) == (("N", *shape), "dataset")


def test_a_dataset_beside_a_model_is_no_evidence_until_the_model_gets_its_batches():
    pre = "from torchvision import datasets, transforms\ntrain = datasets.MNIST('d', transform=transforms.ToTensor())\n"
    assert model_input(net(pre=pre, post="model = Net()", c=1)) is None  # built, never fed
    noise = "model = Net()\nfor images, _ in torch.utils.data.DataLoader(train, batch_size=8):\n    model(images.flatten(1))"
    assert model_input(net(pre=pre, post=noise, c=1)) is None  # fed something else: flattened images
    helper = ("def fit(net, loader):\n    for images, _ in loader:\n        net(images)\n\n"
              "model = Net()\nfit(model, torch.utils.data.DataLoader(train, batch_size=8))")
    assert model_input(net(pre=pre, post=helper, c=1)) == (("N", 1, 28, 28), "dataset")  # in a helper's pass


def test_dataset_with_a_resizing_or_unknown_transform_is_not_a_source():
    for tf in ("transforms.Compose([transforms.Resize(32), transforms.ToTensor()])",
               "transforms.Compose([transforms.RandomResizedCrop(24), transforms.ToTensor()])",
               "make_transform()", "None"):
        pre = f"from torchvision import datasets, transforms\ntrain = datasets.MNIST('d', transform={tf})\n"
        assert model_input(net(pre=pre, post="model = Net()", c=1)) is None, tf
    pre = "import torchvision\ntrain = torchvision.datasets.MNIST('d')\n"  # PIL images, no tensor
    assert model_input(net(pre=pre, post="model = Net()", c=1)) is None


def test_dataset_needs_a_model_that_takes_images():
    # The training loop flattens the images itself: the MLP's input is not (N, 1, 28, 28).
    src = """import torch.nn as nn
from torchvision import datasets, transforms
train = datasets.MNIST('d', transform=transforms.ToTensor())

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc1(x)

model = MLP()
"""
    a = analyse(src)
    assert a.model("MLP").input is None and a.errors == []


def test_dataset_only_for_models_the_file_builds():
    pre = "from torchvision import datasets, transforms\ntrain = datasets.MNIST('d', transform=transforms.ToTensor())\n"
    assert model_input(net(pre=pre, c=1)) is None  # Net is never instantiated here


def test_cli_input_overrides_everything():
    src = net(header="  # ptlint: input=(2, 3, 32, 32)", post="Net()(torch.randn(1, 3, 16, 16))")
    assert model_input(src, input_shape=Shape((5, 3, 32, 32))) == ((5, 3, 32, 32), "cli")


def test_priority_comment_then_call_then_summary_then_dataset():
    pre = ("from torchsummary import summary\nfrom torchvision import datasets, transforms\n"
           "train = datasets.CIFAR10('d', transform=transforms.ToTensor())\n")
    call = "net = Net()\nnet(torch.randn(7, 3, 32, 32))\n"
    summ = "summary(Net(), (3, 32, 32), batch_size=6)\n"
    assert model_input(net(pre=pre, header="  # ptlint: input=(9, 3, 32, 32)", post=call + summ))[1] == "comment"
    assert model_input(net(pre=pre, post=summ + call)) == ((7, 3, 32, 32), "call")
    assert model_input(net(pre=pre, post=summ)) == ((6, 3, 32, 32), "summary")
    assert model_input(net(pre=pre, post="model = Net()\nfor images, _ in torch.utils.data.DataLoader(train, batch_size=8):\n    model(images)")) == (("N", 3, 32, 32), "dataset")


def test_a_model_changed_after_construction_takes_no_call_input():
    post = "net = Net()\nnet.fc = nn.Linear(3, 10)\nnet(torch.randn(1, 3, 32, 32))"
    assert model_input(net(post=post)) is None
    src = "import torch\nimport torch.nn as nn\nnet = nn.Sequential(nn.Linear(4, 2))\nnet[0] = nn.Linear(8, 2)\n" \
          "net(torch.randn(1, 8))\n"
    assert model_input(src, "net") is None


def test_without_input_channel_and_feature_counts_are_still_checked():
    src = """import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3)
        self.bn = nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(8, 32, 3)
        self.f1 = nn.Linear(10, 20)
        self.f2 = nn.Linear(30, 5)

    def forward(self, x, y):
        x = self.c2(self.bn(self.c1(x)))
        return x, self.f2(self.f1(y))
"""
    res = lint_text(src, "m.py", Config(select=("PT005",)))
    got = sorted((f.line, f.message_en) for f in res.findings)
    assert [line for line, _ in got] == [7]  # the first error of the forward pass: c2's in_channels
    assert "with 16 channels, but c2.in_channels = 8" in got[0][1]
    # and the Linear pair on its own
    src2 = "import torch.nn as nn\nhead = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(30, 5))\n"
    res2 = lint_text(src2, "m.py", Config(select=("PT005",)))
    assert [f.line for f in res2.findings] == [2]
    assert "in_features of [2] Linear = 30" in res2.findings[0].message_en


def test_a_call_describes_only_the_instance_it_was_made_on():
    src = """import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.fc = nn.Linear(n_in, 2)
    def forward(self, x):
        return self.fc(x)
small = Net(10)
big = Net(100)
big(torch.randn(1, {n}))
"""
    assert lint_text(src.format(n=100), "m.py", Config(select=("PT005",))).findings == []
    [f] = lint_text(src.format(n=10), "m.py", Config(select=("PT005",))).findings
    assert f.message_en == "the model input (1, 10), but fc.in_features = 100 (from the call on line 11)"


def test_dataset_is_not_used_when_the_file_builds_the_model_two_ways():
    pre = "from torchvision import datasets, transforms\ntrain = datasets.MNIST('d', transform=transforms.ToTensor())\n"
    src = net(pre=pre, c=1).replace("def __init__(self):", "def __init__(self, c=1):").replace(
        "nn.Conv2d(1, 4, 3)", "nn.Conv2d(c, 4, 3)")
    fed = "for images, _ in torch.utils.data.DataLoader(train, batch_size=8):\n    a(images)\n"
    assert model_input(src + "a = Net(1)\nb = Net(1)\n" + fed) == (("N", 1, 28, 28), "dataset")  # built the same way
    assert model_input(src + "a = Net(1)\nb = Net(3)\n" + fed) is None
