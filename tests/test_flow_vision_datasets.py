"""torchvision's fixed-size datasets in the flow (flow/datasets.py, rules/vision_datasets.py):
``datasets.MNIST(root, transform=ToTensor())`` is a dataset whose sample is ``(image, label)`` and
whose loader batches are an image batch and an int64 label batch, as ``default_collate`` makes
them, so a model fed a sample or a batch is followed by the flow as the shape trace follows it.
torchvision cannot download here: the batches are checked against ``default_collate`` on
samples of the same kind."""
import pytest

from flowcheck import analyse, find

from ptlint.rules.vision_datasets import TransformEffect, transform_effect

torch = pytest.importorskip("torch")

SRC = """import torch
from torchvision import datasets, transforms

{TRANSFORM}
train_data = datasets.{DATASET}("data", train=True, download=True{ARGS})
loader = torch.utils.data.DataLoader(train_data, batch_size=64, shuffle=True)
sample, label = train_data[0]
for x, y in loader:
    pass
"""


def analysed(dataset="MNIST", transform="", args=", transform=transforms.ToTensor()"):
    return analyse(SRC.format(DATASET=dataset, TRANSFORM=transform, ARGS=args))


def dims(v):
    return None if v.shape is None else tuple(d.coef if d.is_int else "B" for d in v.shape)


@pytest.mark.parametrize("dataset, image", [("MNIST", (1, 28, 28)), ("FashionMNIST", (1, 28, 28)), ("CIFAR10", (3, 32, 32))])
def test_a_sample_and_a_batch_are_what_default_collate_makes(dataset, image):
    flow, module = analysed(dataset)
    batch = torch.utils.data.default_collate([(torch.zeros(image), 3), (torch.zeros(image), 5)])
    x, y = flow.value_of(find(module, "x")), flow.value_of(find(module, "y"))
    assert dims(x) == ("B", *batch[0].shape[1:]) and x.dtype == str(batch[0].dtype).removeprefix("torch.")
    assert dims(y) == ("B",) and y.dtype == str(batch[1].dtype).removeprefix("torch.") == "int64"
    assert dims(flow.value_of(find(module, "sample"))) == image
    assert flow.value_of(find(module, "label")).kind.name == "INT"


@pytest.mark.parametrize("args", [
    "",  # no transform: PIL images
    ", transform=transforms.Resize(64)",
    ", transform=transforms.Compose([transforms.RandomCrop(24), transforms.ToTensor()])",
    ", transform=transforms.Compose([transforms.RandomApply([transforms.RandomResizedCrop(20)]), transforms.ToTensor()])",
    ", transform=get_transform()",
])
def test_an_image_size_the_transform_may_change_is_unknown(args):
    flow, module = analysed(args=args)
    assert flow.value_of(find(module, "x")).shape is None
    assert flow.value_of(find(module, "y")).dtype == "int64"  # the labels are still ints


def test_a_transform_assigned_to_a_name_first_is_read():
    flow, module = analysed(transform="tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])",
                            args=", transform=tf")
    assert dims(flow.value_of(find(module, "x"))) == ("B", 1, 28, 28)


def test_a_target_transform_makes_the_labels_unknown():
    flow, module = analysed(args=", transform=transforms.ToTensor(), target_transform=lambda t: t % 2")
    assert flow.value_of(find(module, "y")).kind.name == "UNKNOWN"


def test_to_image_keeps_the_size_but_not_the_float_dtype():
    # v2.ToImage gives uint8 tensors: the size is known, the dtype is not ToTensor's float32
    flow, module = analysed(args=", transform=transforms.ToImage()")
    x = flow.value_of(find(module, "x"))
    assert dims(x) == ("B", 1, 28, 28) and x.dtype is None


def test_a_model_fed_a_sample_is_followed_as_the_trace_follows_it():
    src = SRC.format(DATASET="MNIST", TRANSFORM="", ARGS=", transform=transforms.ToTensor()") + """
import torch.nn as nn
net = nn.Sequential(nn.Conv2d(1, 4, 5), nn.Flatten(0), nn.Linear(4 * 20 * 20, 10))
out = net(train_data[0][0])
"""
    flow, _ = analyse(src)
    [call] = flow.layer_problems()
    got = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 5), torch.nn.Flatten(0))(torch.zeros(1, 28, 28))
    assert tuple(d.coef for d in call.input) == tuple(got.shape) == (2304,)


def test_transform_effects():
    import libcst as cst

    def effect(code):
        expr = cst.parse_expression(code)
        return transform_effect(expr, lambda e: "torchvision.transforms." + cst.Module([]).code_for_node(e).rsplit(".", 1)[-1])

    assert effect("T.ToTensor()") == TransformEffect(True, True, True)
    assert effect("T.Compose([T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(m, s)])") == TransformEffect(True, True, True)
    assert not effect("T.Compose([T.Resize(32), T.ToTensor()])").keeps_size
    assert not effect("T.Compose(steps)").keeps_size  # a list we cannot read
    assert not effect("T.RandomApply([T.CenterCrop(20)])").keeps_size
    assert not effect("T.Compose([T.ToImage(), T.ToDtype(torch.float32, scale=True)])").default_float


def test_to_tensor_gives_the_default_float_dtype():
    # ToTensor converts in torch.get_default_dtype(): a file that sets it has no float32 images
    # (the flow does not know which default holds where: unknown, like torch.zeros there)
    src = SRC.format(DATASET="MNIST", TRANSFORM="torch.set_default_dtype(torch.float64)", ARGS=", transform=transforms.ToTensor()")
    flow, module = analyse(src)
    x = flow.value_of(find(module, "x"))
    assert dims(x) == ("B", 1, 28, 28) and x.dtype is None
