"""torchvision's fixed-size datasets and the transforms that keep their image size: what one
sample of ``datasets.MNIST(root, transform=transforms.ToTensor())`` is. Both interpreters read
it here: the shape trace takes a dataset as a model's input (``shapes/inputs.py``,
``shapes/calls.py``), the flow makes the dataset a value whose samples and loader batches are
known (``flow/datasets.py``).

Contract: ``dataset_shape(qualname)`` is ``(short name, (C, H, W))`` for a dataset of
:data:`DATASETS`, else None; ``transform_arg(call)`` the expression passed as the
constructor's ``transform`` (None: none, or ``transform=None``); ``transform_effect(call,
qualname)`` reads a transform's constructor call from the source — a ``Compose([...])`` of
steps, each a constructor call — and says whether it surely keeps the image size and makes a
tensor, and whether that tensor surely has torch's default float dtype (``ToTensor`` divides
by 255 in ``torch.get_default_dtype()``; ``ToImage`` gives uint8). A step that is
not a call of a known transform, or a list we cannot read, keeps nothing."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import libcst as cst

# Image size each dataset yields after ToTensor.
DATASETS = {
    "MNIST": (1, 28, 28), "FashionMNIST": (1, 28, 28), "KMNIST": (1, 28, 28), "QMNIST": (1, 28, 28),
    "EMNIST": (1, 28, 28), "CIFAR10": (3, 32, 32), "CIFAR100": (3, 32, 32), "SVHN": (3, 32, 32),
}
# The torchvision module each is defined in: ``from torchvision.datasets import mnist`` then
# ``mnist.MNIST(...)`` names it there.
DEFINED_IN = {"MNIST": "mnist", "FashionMNIST": "mnist", "KMNIST": "mnist", "QMNIST": "mnist", "EMNIST": "mnist",
              "CIFAR10": "cifar", "CIFAR100": "cifar", "SVHN": "svhn"}


def dataset_spellings(name: str) -> tuple[str, str]:
    """The public qualified name of a dataset class and the one of its defining module."""
    return f"torchvision.datasets.{name}", f"torchvision.datasets.{DEFINED_IN[name]}.{name}"


# Transforms that never change the image size (or make the tensor): anything else — Resize,
# CenterCrop, RandomResizedCrop, Pad, Grayscale, Lambda … — makes the dataset source unusable.
SIZE_KEEPING = {
    "Compose", "ToTensor", "Normalize", "RandomHorizontalFlip", "RandomVerticalFlip", "ColorJitter",
    "RandomErasing", "ConvertImageDtype", "GaussianBlur", "RandomAutocontrast", "RandomEqualize",
    "RandomInvert", "RandomPosterize", "RandomSolarize", "RandomAdjustSharpness", "AutoAugment", "RandAugment",
    "TrivialAugmentWide", "AugMix", "RandomApply", "RandomChoice", "RandomOrder", "ToImage", "ToDtype",
    "ToPureTensor", "RandomAffine", "RandomPerspective",
}
MAKES_TENSOR = {"ToTensor", "ToImage"}
# Transforms that apply the transforms they are given: they keep the size only if those do.
_CONTAINERS = {"Compose", "RandomApply", "RandomChoice", "RandomOrder"}
# Steps after which the tensor's dtype is no longer ToTensor's default float (ToImage gives uint8).
_DTYPE_CHANGING = {"ToImage", "ToDtype", "ConvertImageDtype"}


@dataclass(frozen=True)
class TransformEffect:
    keeps_size: bool  # every step surely keeps the image's height and width
    makes_tensor: bool  # one step makes the image a tensor
    default_float: bool  # that tensor surely has the default float dtype (ToTensor, nothing changing it after)


_UNKNOWN = TransformEffect(False, False, False)


def dataset_shape(qualname: str) -> Optional[tuple[str, tuple[int, int, int]]]:
    if not qualname.startswith("torchvision.datasets."):
        return None
    short = qualname.rsplit(".", 1)[-1]
    return (short, DATASETS[short]) if short in DATASETS else None


def transform_name(qualname: str) -> Optional[str]:
    if qualname.startswith("torchvision.transforms."):
        return qualname.rsplit(".", 1)[-1]
    return None


def transform_arg(call: cst.Call) -> Optional[cst.BaseExpression]:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == "transform":
            return None if isinstance(a.value, cst.Name) and a.value.value == "None" else a.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[2].value if len(positional) > 2 else None  # (root, train, transform, …)


def transform_effect(expr: cst.BaseExpression, qualname: Callable[[cst.BaseExpression], Optional[str]]) -> TransformEffect:
    """What the transform built by ``expr`` (a constructor call) does to an image."""
    names = _steps(expr, qualname)
    if names is None:
        return _UNKNOWN
    keeps = all(n in SIZE_KEEPING for n in names)
    makes = any(n in MAKES_TENSOR for n in names)
    return TransformEffect(keeps, makes, keeps and "ToTensor" in names and not _DTYPE_CHANGING & set(names))


def _steps(expr: cst.BaseExpression, qualname: Callable[[cst.BaseExpression], Optional[str]]) -> Optional[list[str]]:
    """The transforms ``expr`` applies, containers opened (``Compose([ToTensor(), …])``,
    ``RandomApply([…])``); None when one of them cannot be read."""
    if not isinstance(expr, cst.Call):
        return None
    q = qualname(expr.func)
    name = transform_name(q) if q else None
    if name is None:
        return None
    if name not in _CONTAINERS:
        return [name]
    items = expr.args[0].value if expr.args else None
    if not isinstance(items, (cst.List, cst.Tuple)):
        return None
    out = [name]
    for el in items.elements:
        inner = _steps(el.value, qualname) if not isinstance(el, cst.StarredElement) else None
        if inner is None:
            return None
        out.extend(inner)
    return out
