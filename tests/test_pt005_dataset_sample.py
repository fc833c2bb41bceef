"""PT005 takes a torchvision dataset built in the file as the model's input, batched:
``CIFAR10`` -> (N, 3, 32, 32). A model the file feeds one sample of that dataset
(``image, label = train_data[0]``; ``for image, label in train_data``) gets no batch
dimension: ``Flatten`` then keeps the channels apart and the layer sizes that would be
wrong for a batch are right for it. The sample itself is then the input: what torch
rejects for it is still reported, with its real shape; a model fed the DataLoader's
batches keeps the dataset's batched shape."""
from ptlint.rules import Config, lint_text

HEAD = """import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

train_data = datasets.CIFAR10(root="data", train=True, download=True, transform=transforms.ToTensor())
model = nn.Sequential(nn.Flatten(), nn.Linear(1024, 10))
"""


def pt005(src: str) -> list[int]:
    return [f.line for f in lint_text(src, "t.py", Config()).findings if f.code == "PT005"]


def test_one_indexed_sample_is_not_a_batch():
    # torch runs this: (3, 32, 32) -> Flatten -> (3, 1024) -> Linear(1024, 10) -> (3, 10)
    assert pt005(HEAD + "image, label = train_data[0]\nout = model(image)\n") == []
    assert pt005(HEAD + "out = model(train_data[0][0])\n") == []


def test_samples_of_a_loop_over_the_dataset_are_not_batches():
    assert pt005(HEAD + "for image, label in train_data:\n    out = model(image)\n") == []


def test_batches_of_a_loader_over_the_dataset_are_still_checked():
    src = HEAD + "loader = DataLoader(train_data, batch_size=32)\nfor images, labels in loader:\n    out = model(images)\n"
    assert pt005(src) == [7]  # (N, 3, 32, 32) flattens to 3072, not 1024


def test_a_sample_that_does_not_fit_is_reported_with_its_own_shape():
    # zero-to-mastery-pytorch's "most common errors" notebook: image = train_data[0][0]
    # is (1, 28, 28); Flatten gives (1, 784); Linear(10, 10) raises (mat1 1x784, mat2 10x10)
    src = """import torch
from torch import nn
from torchvision import datasets, transforms

train_data = datasets.FashionMNIST(root="data", train=True, download=True, transform=transforms.ToTensor())
image = train_data[0][0]
model_1 = nn.Sequential(nn.Flatten(), nn.Linear(in_features=10, out_features=10))
model_1(image)
"""
    found = [f for f in lint_text(src, "t.py", Config()).findings if f.code == "PT005"]
    assert [f.line for f in found] == [7]
    assert "(1, 28, 28)" in found[0].message_en and "784" in found[0].message_en and "(N" not in found[0].message_en
    assert "one sample of datasets.FashionMNIST" in found[0].message_en
    assert "datasets.FashionMNIST 的一个样本" in found[0].message_zh
    # the shape is worked out from what the dataset yields, not written in the code
    assert found[0].fix is not None and found[0].fix.safety.value == "unsafe"


def test_a_sample_on_one_path_only_is_no_batch_either():
    # image is one sample on one path and a literal batch on the other: which one the model
    # gets is not known, so neither the dataset's batched shape nor the literal is believed
    src = HEAD + """import random
if random.random() > 0.5:
    image = train_data[0][0]
else:
    image = torch.randn(8, 3, 32, 32)
out = model(image)
"""
    assert pt005(src) == []
