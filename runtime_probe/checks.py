"""Checks of a single request, run without its model: a view chain
(:class:`ViewRequest`: a transpose/permute … view) and a loss call
(:class:`LossRequest`: the target's inferred dtype and shape), each rebuilt from the
request's facts (``rules/probe_requests.py``). A fact that is missing or not a
literal makes the verdict unverifiable, never a guess.

The same literal rules as for models apply (``synth.literal``)."""
from __future__ import annotations

from typing import Any, Optional

from ptlint.rules.probe_requests import LossRequest, ViewRequest

from .allowlist import FUNCTIONS, LAYERS, METHODS
from .synth import DTYPES, ArgEmitter, Snippet, Unverifiable, _kwargs, _positional, _show, literal, make_snippet

ATTRS = ("T", "mT", "H", "mH")
LOSS_FUNCTIONS = frozenset(f"torch.nn.functional.{n}" for n in (
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div"))
LOSS_MODULES = frozenset(f"torch.nn.{n}" for n in (
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "SmoothL1Loss",
    "HuberLoss", "KLDivLoss", "SoftMarginLoss"))


def concrete_shape(shape: Any, batch: int, what: str) -> tuple[tuple[int, ...], dict[str, int]]:
    """Dims for a test tensor: ints as given, a symbol in dim 0 becomes the small batch."""
    if not isinstance(shape, (list, tuple)):
        raise Unverifiable(f"{what}的形状未知", f"the shape of the {what_en(what)} is not known")
    dims: list[int] = []
    bindings: dict[str, int] = {}
    for k, d in enumerate(shape):
        if type(d) is int and 0 <= d < 2 ** 31:
            dims.append(d)
        elif isinstance(d, str) and d and (k == 0 or d in bindings):
            bindings.setdefault(d, batch)
            dims.append(bindings[d])
        else:
            raise Unverifiable(f"{what}的第 {k} 维未知（{_show(d)}）", f"dim {k} of the {what_en(what)} is not known ({_show(d)})")
    return tuple(dims), bindings


def what_en(what: str) -> str:
    return {"张量": "tensor", "输入": "input", "目标": "target"}.get(what, what)


def _dtype(value: Any, default: Optional[str] = None) -> str:
    """One of our dtype words for a tensor the check creates ("float" is the engine's
    family name for float32)."""
    if value is None and default is not None:
        return default
    if value is None:
        raise Unverifiable("dtype 未知", "the dtype is not known")
    for word in DTYPES:  # our own string
        if word == value or (word == "float32" and value == "float"):
            return word
    raise Unverifiable(f"无法识别的 dtype `{_show(value)}`", f"unrecognised dtype `{_show(value)}`")


def view_chain_snippet(req: ViewRequest, batch: int = 2) -> Snippet:
    """Run the chain on an empty tensor of the known shape; the last call is the view."""
    if req.shape is None and req.chain is None:  # the rule leaves both out when it cannot rebuild the tensor
        raise Unverifiable("无法只用字面量重建这个张量：它创建时的形状或之后经过的操作不是静态已知的",
                           "the tensor cannot be rebuilt from literals: its shape at creation or the operations "
                           "applied to it are not statically known")
    shape, bindings = concrete_shape(req.shape, batch, "张量")
    chain = req.chain
    if not chain or len(chain) > 32:
        raise Unverifiable("不知道这个张量经过了哪些操作", "the chain of operations on the tensor is not known")
    lines = ["import torch", "", "def forward(rt, L):", "    rt.at(0)",
             f"    v0 = rt.input({literal(list(shape), None, 'shape')}, {_dtype(req.dtype, 'float32')!r})",
             "    rt.out(0, v0)"]
    defined = {0}
    arg = ArgEmitter(defined)
    for i, link in enumerate(chain, start=1):
        if not isinstance(link, dict):
            raise Unverifiable("操作链中有无法识别的一步", "a link of the chain is not recognised")
        if "attr" in link:
            word = next((a for a in ATTRS if a == link["attr"]), None)
            if word is None:
                raise Unverifiable(f"属性 `{_show(link['attr'])}` 不在允许列表中",
                                   f"attribute `{_show(link['attr'])}` is not on the allow-list")
            expr = f"v{i - 1}.{word}"
        else:
            spec = METHODS.get(link.get("method")) if isinstance(link.get("method"), str) else None
            if spec is None:
                raise Unverifiable(f"张量方法 `{_show(link.get('method'))}` 不在探针的允许列表中",
                                   f"tensor method `{_show(link.get('method'))}` is not on the probe's allow-list")
            where = f"`.{spec.qualname}(...)`"
            parts = _positional(spec, link.get("args", []), 0, where, arg)
            parts += _kwargs(spec, link.get("kwargs", {}), where, arg)
            expr = f"v{i - 1}.{spec.qualname}({', '.join(parts)})"
        lines += [f"    rt.at({i})", f"    v{i} = {expr}", f"    rt.out({i}, v{i})"]
        defined.add(i)
    lines.append(f"    return v{len(chain)}")
    return make_snippet("\n".join(lines) + "\n", step_ids=tuple(range(len(chain) + 1)), input_shape=shape,
                        bindings=bindings)


def loss_snippet(req: LossRequest, batch: int = 2) -> Snippet:
    """Call the loss on an input and a target of the inferred shapes and dtypes."""
    loss = req.loss
    in_shape, b1 = concrete_shape(req.input_shape, batch, "输入")
    t_shape, b2 = concrete_shape(req.target_shape, batch, "目标")
    if any(b1.get(k, v) != v for k, v in b2.items()):
        raise Unverifiable("输入与目标的批量维不一致", "the input and target batch dims disagree")
    in_kind = _dtype(req.input_dtype, "float32")
    t_kind = _dtype(req.target_dtype)
    kwargs = dict(req.loss_kwargs)
    where = f"`{_show(loss)}`"
    head = ["import torch", "import torch.nn.functional", ""]
    fwd = ["def forward(rt, L):",
           "    rt.at(0)", f"    v0 = rt.input({literal(list(in_shape), None, 'shape')}, {in_kind!r})", "    rt.out(0, v0)",
           "    rt.at(1)", f"    v1 = rt.input({literal(list(t_shape), None, 'shape')}, {t_kind!r})", "    rt.out(1, v1)",
           "    rt.at(2)"]
    if isinstance(loss, str) and loss in LOSS_MODULES:
        spec = LAYERS[loss]
        parts = _kwargs(spec, kwargs, where, lambda v, p, w: literal(v, p, w))  # type: ignore[arg-type]
        build = ["def build(rt):", "    rt.layer(0)", f"    m0 = {spec.qualname}({', '.join(parts)})", "    return [m0]", ""]
        fwd.append("    v2 = L[0](v0, v1)")
    elif isinstance(loss, str) and loss in LOSS_FUNCTIONS:
        spec = FUNCTIONS[loss]
        parts = ["v0", "v1"] + _kwargs(spec, kwargs, where, lambda v, p, w: literal(v, p, w))  # type: ignore[arg-type]
        build = []
        fwd.append(f"    v2 = {spec.qualname}({', '.join(parts)})")
    elif loss is None:  # the rule leaves it out when an argument of the loss is not a literal
        raise Unverifiable("损失函数或它的参数无法只用字面量重建（例如 weight 是一个张量）",
                           "the loss or its arguments cannot be rebuilt from literals (a tensor weight, say)")
    else:
        raise Unverifiable(f"损失函数 {where} 不在探针的允许列表中", f"the loss {where} is not on the probe's allow-list")
    fwd += ["    rt.out(2, v2)", "    return v2"]
    return make_snippet("\n".join(head + build + fwd) + "\n", step_ids=(0, 1, 2), input_shape=in_shape,
                        bindings={**b1, **b2})
