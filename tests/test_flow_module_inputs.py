"""``FlowAnalysis.module_inputs(ctor)``: what the calls of a module built at ``ctor`` were given.
The shape trace takes a torchvision dataset for a model's input only when these include a batch
of the dataset's images, so each way code hands a batch to a model has to reach the module's
calls: a ``Variable`` wrapper, a model rebound to ``model.apply(init)``, the dataset class named
from its defining module, noise made with ``torch.randn(*x.shape)``."""
import pytest

from flowcheck import analyse, find

from ptlint.rules import Config, lint_text

torch = pytest.importorskip("torch")

GAN = """import torch
from torch import nn
from torch.autograd import Variable
from torch.utils.data import DataLoader
from torchvision import transforms
{IMPORT}

train = {DATASET}("data", train=True, download=True, transform=transforms.ToTensor())
loader = DataLoader(train, batch_size=64)
disc = nn.Sequential(nn.Conv2d(1, 64, 4, 2), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2), nn.Flatten())


def init(m):
    if isinstance(m, nn.Conv2d):
        nn.init.normal_(m.weight, 0.0, 0.02)


{REBIND}
for x, _ in loader:
    out = disc({FEED})
"""


def fed(src):
    flow, module = analyse(src)
    ctor = find(module, "nn.Sequential(nn.Conv2d(1, 64, 4, 2), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2), nn.Flatten())")
    # one value per evaluation: the loop body runs twice
    return {None if v.shape is None else tuple(d.coef if d.is_int else "B" for d in v.shape)
            for v in flow.module_inputs(ctor)}


def gan(imp="from torchvision.datasets import MNIST", dataset="MNIST", rebind="", feed="x"):
    return GAN.format(IMPORT=imp, DATASET=dataset, REBIND=rebind, FEED=feed)


def test_a_loader_batch_reaches_the_module():
    assert fed(gan()) == {("B", 1, 28, 28)}


def test_variable_is_the_same_memory_detached():
    x = torch.zeros(2, 1, 28, 28)
    v = torch.autograd.Variable(x)
    assert v.data_ptr() == x.data_ptr() and v.shape == x.shape and not v.requires_grad and v.is_leaf
    assert fed(gan(feed="Variable(x).to('cpu')")) == {("B", 1, 28, 28)}


def test_apply_returns_the_module():
    disc = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3))
    assert disc.apply(lambda m: None) is disc
    assert fed(gan(rebind="disc = disc.apply(init)")) == {("B", 1, 28, 28)}


def test_the_dataset_named_from_its_defining_module():
    assert fed(gan(imp="from torchvision.datasets import mnist", dataset="mnist.MNIST")) == {("B", 1, 28, 28)}


def test_noise_made_from_the_batch_shape():
    noise = torch.randn(*torch.zeros(2, 1, 28, 28).shape)
    assert noise.shape == (2, 1, 28, 28)
    assert fed(gan(feed="x + 0.1 * torch.randn(*x.shape)")) == {("B", 1, 28, 28)}


def test_a_dataset_batch_the_flow_sees_is_the_models_input_for_pt006():
    findings = lint_text(gan(rebind="disc = disc.apply(init)", feed="Variable(x)"), "gan.py",
                         Config(select=("PT006",))).findings
    assert [f.line for f in findings] == [10]  # 28 -> 13 covers every row; 13 -> 5 leaves the last one out
    assert "(N, 64, 13, 13)" in findings[0].message_zh
    assert torch.nn.Conv2d(64, 128, 4, 2)(torch.zeros(1, 64, 13, 13)).shape[-1] == 5  # (13 - 4) // 2 + 1
    with_noise = lint_text(gan(feed="torch.randn(64, 100)"), "gan.py", Config(select=("PT006",))).findings
    assert with_noise == []  # the module is fed noise of another rank, not the dataset's images
