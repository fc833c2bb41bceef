"""``torchsummary.summary(model, (3, 32, 32))`` / ``torchinfo.summary(model, input_size=…)``:
the model runs once on a tensor of that size and is left as it was.

Without this a model handed to ``summary`` was handed to a function the flow cannot see, so
every later ``model(x)`` of the file was unknown (learner notebooks print a summary before
they train). Here the model is run like ``model(x)`` would run it (a ``torch.nn`` layer or
``Sequential`` through the layers' transfer functions, a model class of the file through an
instance pass), so what raises or drops rows in that forward pass is a flow fact too
(``layer_problems()`` / ``layer_drops()``), and the model stays known afterwards.

The input: torchsummary's ``input_size`` has no batch dim (it runs ``torch.rand(2, *size)``
unless ``batch_size`` is given; the batch is a symbol of the call then, as for a loader's
batch); torchinfo's ``input_size`` includes it, or ``input_data`` is the tensor itself. Several
inputs, ``batch_dim``, or sizes that are not int literals: the model is not run (but is still
left as it was). The call's own value is unknown (a printout, or torchinfo's statistics).

Contract: module-level transfer functions with the signature of
``torch_functions.TORCH_FUNCTIONS`` handlers ``(interp, node, q, args, st) -> Value``,
registered there under :data:`HANDLERS`."""
from __future__ import annotations

from typing import Callable, Optional

import libcst as cst

from ..size_product import Product
from .args import Args
from .state import State
from .values import CONTIGUOUS, Kind, Value


def torchsummary_summary(interp, node: cst.Call, q: str, args: Args, st: State) -> Value:
    """``summary(model, input_size, batch_size=-1, device="cuda")``."""
    dims = _literal_sizes(args.get(1, "input_size"))
    batch = args.get(2, "batch_size")
    if dims is not None:
        if batch is not None and batch.kind is Kind.INT and isinstance(batch.const, int) and batch.const > 0:
            lead = Product(batch.const)
        elif batch is None or (batch.kind is Kind.INT and batch.const == -1):
            lead = Product.sym((("summary", id(node)), 0))
        else:
            dims = None  # a batch size we cannot read
        if dims is not None:
            _run(interp, node, args.get(0, "model"), (lead, *dims))
    return interp.fresh(node)


def torchinfo_summary(interp, node: cst.Call, q: str, args: Args, st: State) -> Value:
    """``summary(model, input_size=(1, 3, 32, 32))`` or ``summary(model, input_data=x)``."""
    model = args.get(0, "model")
    if "batch_dim" not in args.kw:
        dims = _literal_sizes(args.get(1, "input_size"))
        data = args.get(None, "input_data")
        if dims is not None:
            _run(interp, node, model, dims)
        elif data is not None and data.kind is Kind.TENSOR:
            interp.module_input_pass(node, model, data)
    return interp.fresh(node)


def _literal_sizes(size: Optional[Value]) -> Optional[tuple[Product, ...]]:
    """``(3, 32, 32)`` / ``[3, 32, 32]`` of int literals; None otherwise (several inputs too)."""
    if size is None or size.kind not in (Kind.TUPLE, Kind.LIST) or not size.items:
        return None
    out = []
    for item in size.items:
        if item.kind is not Kind.INT or not isinstance(item.const, int) or isinstance(item.const, bool) \
                or item.const < 1:
            return None
        out.append(Product(item.const))
    return tuple(out)


def _run(interp, node: cst.Call, model: Optional[Value], dims: tuple[Product, ...]) -> None:
    x = Value(Kind.TENSOR, dtype="float32", shape=dims, layout=CONTIGUOUS, storage=("n", id(node)),
              device=None, requires_grad=False, is_leaf=True, initialized=True, origin=node)
    interp.module_input_pass(node, model, x)


HANDLERS: dict[str, Callable[..., Value]] = {
    "torchsummary.summary": torchsummary_summary,
    "torchsummary.torchsummary.summary": torchsummary_summary,
    "torchinfo.summary": torchinfo_summary,
    "torchinfo.torchinfo.summary": torchinfo_summary,
}
