"""Layer calls in the flow facts: what ``layer(x)`` gives for a ``torch.nn`` layer whose
constructor arguments the flow knows where it is built (literals, or constants: kept on the
layer's value by ``constructor_constants``), computed by the transfer functions
``rules/shapes`` runs (``shapes/layers.py`` and its families: the notes' output-size
formulas for conv, pool, linear, embedding …), so that the two interpreters give one
answer for a layer call.

Contract: ``layer_output(node, layer, x)`` is a ``LayerOutcome``, or None when the flow
cannot say: the layer class is not one shapes models, an argument of its constructor is not
known, the input's shape is unknown, or the layer returns several tensors. The outcome's
``shape``/``dtype`` are the call's result; ``problem`` is what torch raises at this call (the
shapes ``Problem``: in_features against the flattened size, channels, a window larger than
its input …; then the result is None: nothing after a raise is known), ``dropped`` the input
rows the window never covers (PT006's fact). A dim the layer does not fix is named after the
call (``Product.sym((id(node), i))``, the flow's name for dim ``i`` of the value made at
``node``); the dtype is the exact one shapes gives, or None. Layout, requires_grad and
storage stay the caller's to decide."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import libcst as cst

from ..dtypes import exact
from ..size_product import Product
from .args import Args
from .values import Kind, Value

if TYPE_CHECKING:
    from ..shapes.layers import DroppedDim, Problem

_NOT_LITERAL = object()


@dataclass(frozen=True)
class LayerOutcome:
    shape: Optional[tuple[Product, ...]]  # None: the call raises, or its size is not exact
    dtype: Optional[str]
    problem: Optional["Problem"] = None
    dropped: tuple["DroppedDim", ...] = ()
    label: str = ""  # the layer's class, as messages name it ("Conv2d")


@dataclass(frozen=True)
class LayerCall:
    """One ``torch.nn`` layer applied at ``node`` (a called ``nn.Sequential`` applies each
    of its layers there): built at ``layer``, run on ``input`` in the pass of the call-site
    ``chain`` (``()``: the file's summary; flow/call_sites.py)."""

    node: cst.Call
    layer: cst.Call
    chain: tuple
    input: tuple[Product, ...]
    outcome: LayerOutcome
    declared: Optional[cst.Comment] = None  # the ``# ptlint: input=`` comment whose pass this is


def layer_output(node: cst.Call, layer: Value, x: Value) -> Optional[LayerOutcome]:
    from ..shapes.dims import Shape
    from ..shapes.layers import build_layer, layer_class_name
    from ..shapes.values import TensorV

    ctor = layer.origin
    short = layer_class_name(layer.spec)
    if short is None or not isinstance(ctor, cst.Call) or x.shape is None or layer.const is None:
        return None
    built = _constructor_arguments(layer.const)
    args, kwargs, args_json, kwargs_json = built
    made = build_layer(short, layer.spec or "", ctor, args, kwargs, args_json, kwargs_json)
    if made is None or made.construct_problem() is not None:
        return None
    names: dict[str, Product] = {}
    dims: list = []
    for i, d in enumerate(x.shape):
        if d.is_int:
            dims.append(d.coef)
        elif d.coef == 1 and len(d.syms) == 1:
            name = f"·{i}"  # not an identifier: no size name of shapes' own can be equal to it
            names[name] = d
            dims.append(name)
        else:
            dims.append(None)
    outcome = made.apply([TensorV(Shape(tuple(dims)), x.dtype)])
    out = outcome.out
    dropped = tuple(outcome.dropped)
    if outcome.problem is not None:
        return LayerOutcome(None, None, outcome.problem, dropped, made.label)
    if not isinstance(out, TensorV) or out.shape is None or not out.shape.exact:
        return LayerOutcome(None, None, None, dropped, made.label)
    shape = []
    for i, d in enumerate(out.shape.dims):
        if isinstance(d, int) and not isinstance(d, bool):
            shape.append(Product.of(d))
        elif type(d) is str and d in names:
            shape.append(names[d])
        else:
            shape.append(Product.sym((id(node), i)))
    return LayerOutcome(tuple(shape), exact(out.dtype), None, dropped, made.label)


def constructor_constants(args: Args) -> Optional[tuple[tuple, tuple]]:
    """A ``torch.nn`` layer's constructor arguments as the flow knows them where it is
    built, kept on the layer's value (``Value.const``): ``(positional, ((keyword, value), …))``
    when every argument is a literal or a constant the flow knows there (``nn.Linear(8 * 16
    * 16, 10)``, ``nn.Conv2d(c_in, c_out, 3)`` in an ``__init__`` pass with ``c_in = 3``),
    else None. A call-site pass builds the layer again with its own constants."""
    if args.star:
        return None
    pos = tuple(_constant(v) for _, v in args.pos)
    kw = tuple(sorted((name, _constant(v)) for name, (_, v) in args.kw.items()))
    if any(c is _NOT_LITERAL for c in pos) or any(c is _NOT_LITERAL for _, c in kw):
        return None
    return pos, kw


def _constructor_arguments(const: tuple[tuple, tuple]) -> tuple[list, dict, list, dict]:
    """The constructor's constants as shapes values (and as the JSON shapes keeps)."""
    from ..shapes.values import Const, Seq

    def value(v: object):
        if isinstance(v, (tuple, list)):
            return Seq(tuple(value(i) for i in v), is_list=isinstance(v, list))
        return Const(v)

    pos, kw = const
    return ([value(v) for v in pos], {k: value(v) for k, v in kw}, list(pos), dict(kw))


def _constant(v: Optional[Value]) -> object:
    """A number, string, bool or None the flow knows exactly, or a tuple/list of them."""
    if v is None:
        return _NOT_LITERAL
    if v.kind is Kind.NONE:
        return None
    if v.kind in (Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.STR):
        return _NOT_LITERAL if v.const is None else v.const
    if v.kind in (Kind.TUPLE, Kind.LIST) and v.items is not None:
        items = [_constant(i) for i in v.items]
        if any(i is _NOT_LITERAL for i in items):
            return _NOT_LITERAL
        return tuple(items) if v.kind is Kind.TUPLE else items
    return _NOT_LITERAL
