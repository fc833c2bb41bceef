"""Layer calls in the flow facts: what ``layer(x)`` gives for a ``torch.nn`` layer whose
constructor the flow sees with literal arguments, computed by the transfer functions
``rules/shapes`` runs (``shapes/layers.py`` and its families: the notes' output-size
formulas for conv, pool, linear, embedding …), so that the two interpreters give one
answer for a layer call.

Contract: ``layer_output(node, layer, x)`` is ``(shape, dtype)`` of the call's result, or
None when the flow cannot say: the layer class is not one shapes models, an argument of
its constructor is not a literal, the input's shape is unknown, the layer returns several
tensors, or the call would raise (the shape rules report that, with their own words). A
dim the layer does not fix is named after the call (``Product.sym((id(node), i))``, the
flow's name for dim ``i`` of the value made at ``node``); the dtype is the exact one
shapes gives, or None. Layout, requires_grad and storage stay the caller's to decide."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..astutil import literal_value
from ..dtypes import exact
from ..size_product import Product
from .values import Value

_NOT_LITERAL = object()


def layer_output(node: cst.Call, layer: Value, x: Value) -> Optional[tuple[tuple[Product, ...], Optional[str]]]:
    from ..shapes.dims import Shape
    from ..shapes.layers import build_layer, layer_class_name
    from ..shapes.values import TensorV

    ctor = layer.origin
    short = layer_class_name(layer.spec)
    if short is None or not isinstance(ctor, cst.Call) or x.shape is None:
        return None
    built = _constructor_arguments(ctor)
    if built is None:
        return None
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
    if outcome.problem is not None or not isinstance(out, TensorV) or out.shape is None or not out.shape.exact:
        return None
    shape = []
    for i, d in enumerate(out.shape.dims):
        if isinstance(d, int) and not isinstance(d, bool):
            shape.append(Product.of(d))
        elif type(d) is str and d in names:
            shape.append(names[d])
        else:
            shape.append(Product.sym((id(node), i)))
    return tuple(shape), exact(out.dtype)


def _constructor_arguments(ctor: cst.Call) -> Optional[tuple[list, dict, list, dict]]:
    """The constructor's arguments as shapes values (all literals), or None."""
    from ..shapes.values import Const, Seq

    def value(v: object):
        if isinstance(v, (tuple, list)):
            return Seq(tuple(value(i) for i in v), is_list=isinstance(v, list))
        return Const(v)

    args, kwargs, args_json, kwargs_json = [], {}, [], {}
    for a in ctor.args:
        if a.star:
            return None
        lit = literal_value(a.value, _NOT_LITERAL)
        if lit is _NOT_LITERAL:
            return None
        if a.keyword is None:
            args.append(value(lit))
            args_json.append(lit)
        else:
            kwargs[a.keyword.value] = value(lit)
            kwargs_json[a.keyword.value] = lit
    return args, kwargs, args_json, kwargs_json
