"""Datasets and data loaders as values: what ``for xb, yb in DataLoader(TensorDataset(X, y))``
gives.

A ``TensorDataset(a, b, ...)`` is a ``Kind.DATASET`` whose ``elem`` (what indexing or
iterating it gives) is the tuple of samples ``(a[i], b[i], ...)``: each the dataset tensor's
dtype, device and trailing shape, and a view of it. ``Subset`` / ``random_split`` keep the
samples (they only pick indices). A ``DataLoader`` over such a dataset with the default
collation is a ``Kind.LOADER`` whose ``elem`` is one batch: a list of fresh contiguous
tensors, each the sample's dtype (exact: ``default_collate`` stacks them) and device, of shape
``(B,) + sample shape``. ``B`` is a symbol of the loader (``min(batch_size, N)`` or the last,
shorter batch: never a literal), shared by every tensor of one batch. ``batch_size=None``
turns batching off: a batch is a sample. Samplers, ``shuffle`` and ``drop_last`` only choose
indices and change no dtype. A custom ``collate_fn``, a dataset that is not one of these, or
arguments we cannot read give a loader whose batches are unknown. A ``tqdm`` progress bar over
an iterable gives the same items.

A torchvision dataset of fixed image size (``datasets.MNIST``, ``CIFAR10`` …:
``rules/vision_datasets.py``) is a ``Kind.DATASET`` too; its sample is ``(image, label)``: the
image a ``(C, H, W)`` tensor when the constructor's transform surely keeps the size and makes a
tensor (its dtype the file's default float after ``ToTensor``, else unknown), else unknown; the label a Python
int (unknown with a ``target_transform``), which ``default_collate`` batches to an int64 ``(B,)``.

Every sample and batch tensor carries ``dataset_tensor``: the dataset's tensor it comes from
(for a rule, where the labels were made); a batch's ``provenance`` is :data:`LOADER`.

Contract: module-level transfer functions with the signature of
``torch_functions.TORCH_FUNCTIONS`` handlers ``(interp, node, q, args, st) -> Value``,
registered there under :data:`HANDLERS`."""
from __future__ import annotations

from typing import Callable, Optional

import libcst as cst

from . import layout as L
from ..size_product import Product
from ..vision_datasets import DATASETS, dataset_shape, dataset_spellings, transform_effect
from .args import Args
from .state import State
from .values import CONTIGUOUS, UNKNOWN, Kind, Value

LOADER = "torch.utils.data.DataLoader"
TENSOR_DATASET = "torch.utils.data.TensorDataset"
_SUBSET = "torch.utils.data.Subset"
# DataLoader's positional parameters (torch 2.x), where a call may pass them by position
_DATASET_POS, _BATCH_SIZE_POS, _COLLATE_FN_POS = 0, 1, 6


def tensor_dataset(interp, node: cst.Call, q: str, args: Args, st: State) -> Value:
    """``TensorDataset(a, b, ...)``: indexing gives ``(a[i], b[i], ...)``."""
    if args.star or args.kw or not args.pos:
        return Value(Kind.DATASET, spec=TENSOR_DATASET, origin=node)
    samples = tuple(_sample_of(v, node) for _, v in args.pos)
    return Value(Kind.DATASET, spec=TENSOR_DATASET, origin=node, elem=Value(Kind.TUPLE, items=samples))


def subset(interp, node: cst.Call, q: str, args: Args, st: State) -> Value:
    """``Subset(ds, indices)``: the same samples, some of them."""
    ds = args.get(0, "dataset")
    return Value(Kind.DATASET, spec=_SUBSET, origin=node,
                 elem=ds.elem if (ds is not None and ds.kind is Kind.DATASET and not args.star) else None)


def random_split(interp, node: cst.Call, q: str, args: Args, st: State) -> Value:
    """``random_split(ds, lengths)``: a list of subsets of ``ds``."""
    part = subset(interp, node, q, args, st)
    return Value(Kind.LIST, elem=part, origin=node)


def data_loader(interp, node: cst.Call, q: str, args: Args, st: State) -> Value:
    """``DataLoader(ds, ...)``: iterating gives one batch (see the module docstring)."""
    loader = Value(Kind.LOADER, spec=LOADER, origin=node)
    if args.star:
        return loader
    ds = args.get(_DATASET_POS, "dataset")
    collate = args.get(_COLLATE_FN_POS, "collate_fn")
    if ds is None or ds.kind is not Kind.DATASET or (collate is not None and collate.kind is not Kind.NONE):
        return loader
    sample = ds.elem
    if sample is None or sample.kind is not Kind.TUPLE or sample.items is None:
        return loader
    batch_size = args.get(_BATCH_SIZE_POS, "batch_size")
    if batch_size is not None and batch_size.kind is Kind.NONE:
        # no automatic batching: default_convert hands each sample over as it is
        return loader.evolve(elem=Value(Kind.LIST, items=sample.items, origin=node))
    batched = batch_size is None or batch_size.kind is Kind.INT  # else: None or an int, we cannot tell
    batch_dim = Product.sym((("loader", id(node)), 0))
    items = tuple(_batch_of(s, node, batch_dim if batched else None) for s in sample.items)
    return loader.evolve(elem=Value(Kind.LIST, items=items, origin=node))


def progress_bar(interp, node: cst.Call, q: str, args: Args, st: State) -> Value:
    """``tqdm(loader)`` / ``tqdm(enumerate(loader))``: iterating gives what the iterable gives."""
    it = args.get(0, "iterable")
    if it is None or args.star or it.elem is None:
        return interp.fresh(node)
    if it.kind is Kind.LOADER:
        return Value(Kind.LOADER, spec=q, origin=node, elem=it.elem)
    # not a value of its own: its methods (``set_postfix``) give unknowns, like a library object's
    return Value(Kind.UNKNOWN, provenance=q, origin=node, elem=it.elem)


def vision_dataset(interp, node: cst.Call, q: str, args: Args, st: State) -> Value:
    """``datasets.MNIST(root, train=True, transform=transforms.ToTensor())``: indexing gives
    ``(image, label)``. The transform is read from the constructor call that made it (a
    ``Compose`` assigned to a name first included); one the flow cannot read keeps the image
    unknown."""
    found = dataset_shape(q)
    ds = Value(Kind.DATASET, spec=q, origin=node)
    if found is None or args.star:
        return ds
    channels, height, width = found[1]
    transform = args.get(2, "transform")
    image = UNKNOWN
    if transform is not None and isinstance(transform.origin, cst.Call):
        effect = transform_effect(transform.origin, interp.fa.ctx.qualname)
        if effect.keeps_size and effect.makes_tensor:
            dtype = interp.default_float if effect.default_float else None
            image = Value(Kind.TENSOR, dtype=dtype, shape=(Product(channels), Product(height), Product(width)),
                          layout=CONTIGUOUS, storage=("n", id(node)), requires_grad=False, is_leaf=True,
                          initialized=True, origin=node, provenance=q)
    target_transform = args.get(3, "target_transform")
    label = Value(Kind.INT, origin=node) if target_transform is None or target_transform.kind is Kind.NONE else UNKNOWN
    return ds.evolve(elem=Value(Kind.TUPLE, items=(image, label)))


def _sample_of(t: Value, node: cst.Call) -> Value:
    """``t[i]`` for one index ``i`` of dim 0, as ``TensorDataset.__getitem__`` takes it."""
    if t.kind is not Kind.TENSOR or (t.shape is not None and not t.shape):
        return UNKNOWN
    return Value(Kind.TENSOR, dtype=t.dtype, shape=t.shape[1:] if t.shape is not None else None,
                 layout=L.remove_dim(t, 0, node), storage=t.storage, device=t.device, origin=node,
                 provenance=TENSOR_DATASET, dataset_tensor=t)


def _batch_of(sample: Value, node: cst.Call, batch_dim: Optional[Product]) -> Value:
    """What ``default_collate`` makes of the samples: ``torch.stack``, a fresh contiguous
    tensor of one more leading dim (its size ``batch_dim``; None: the shape is not known); Python
    ints become one int64 tensor of the batch's size."""
    if sample.kind is Kind.INT:
        return Value(Kind.TENSOR, dtype="int64", shape=(batch_dim,) if batch_dim is not None else None,
                     layout=CONTIGUOUS, storage=("n", id(node)), origin=node, provenance=LOADER,
                     requires_grad=False, is_leaf=True, initialized=True)
    if sample.kind is not Kind.TENSOR:
        return UNKNOWN
    shape = (batch_dim,) + sample.shape if (batch_dim is not None and sample.shape is not None) else None
    return Value(Kind.TENSOR, dtype=sample.dtype, shape=shape, layout=CONTIGUOUS, storage=("n", id(node)),
                 device=sample.device, origin=node, provenance=LOADER, dataset_tensor=sample.dataset_tensor)


# tqdm and its front ends: an iterator over the iterable it wraps, items unchanged
_PROGRESS_BARS = ("tqdm.tqdm", "tqdm.auto.tqdm", "tqdm.autonotebook.tqdm", "tqdm.notebook.tqdm", "tqdm.std.tqdm",
                  "tqdm.rich.tqdm", "tqdm.tqdm_notebook")


def _both_spellings(name: str) -> tuple:
    """The public name and the module the class is defined in (what a re-export resolves to)."""
    module = "dataloader" if name == "DataLoader" else "dataset"
    return f"torch.utils.data.{name}", f"torch.utils.data.{module}.{name}"


HANDLERS: dict[str, Callable[..., Value]] = {
    spelling: handler
    for name, handler in (("TensorDataset", tensor_dataset), ("Subset", subset), ("random_split", random_split),
                          ("DataLoader", data_loader))
    for spelling in _both_spellings(name)
}
HANDLERS.update(dict.fromkeys(_PROGRESS_BARS, progress_bar))
HANDLERS.update({spelling: vision_dataset for name in DATASETS for spelling in dataset_spellings(name)})
