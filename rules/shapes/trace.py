"""The record of one interpretation: the forward pass as a small graph of steps, the
problems found (what PyTorch would raise), PT006 remainders, and per-node values for
hover and inlay hints."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

import libcst as cst

from .dims import Shape, fmt_shape
from .inputs import at_text
from .layers import ArgSource, DroppedDim, Layer, Problem
from .values import UNKNOWN, Seq, TensorV, Value
from .walk import name_uses

if TYPE_CHECKING:
    from .inputs import InputInfo

# Ops whose output has the input's shape: messages look through them for the layer
# that produced the tensor ("pool 输出 …" rather than "relu 输出 …").
SAME_SHAPE_LAYERS = {
    "Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "ReLU",
    "ReLU6", "SELU", "SiLU", "Mish", "Hardsigmoid", "Hardswish", "Sigmoid", "Tanh", "LogSigmoid", "Softsign",
    "Tanhshrink", "LeakyReLU", "ELU", "CELU", "GELU", "Softplus", "Softmax", "LogSoftmax", "Softmin", "Hardtanh",
    "Hardshrink", "Softshrink", "Threshold", "RReLU", "PReLU", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "GroupNorm", "LayerNorm", "RMSNorm",
}
FLATTENING = {"view", "reshape", "flatten", "torch.flatten", "torch.reshape", "Flatten"}


@dataclass
class Step:
    id: int
    op: str  # input | layer | call | method | binary | getitem | item | unknown | output
    node: Optional[cst.CSTNode]
    inputs: list[int]
    output: Value
    layer: Optional[Layer] = None
    fields: dict[str, Any] = field(default_factory=dict)
    formula: Optional[str] = None
    same_shape: bool = False  # an activation-like op (for messages)
    flattening: bool = False

    @property
    def label(self) -> str:
        if self.layer is not None:
            return self.layer.label
        return self.fields.get("fn") or self.fields.get("method") or self.fields.get("operator") or self.op


@dataclass
class FixInfo:
    node: cst.CSTNode  # the expression to replace
    text: str
    safe: bool
    layer: Layer


@dataclass
class ShapeError:
    """A PT005 finding, before positions are known."""

    node: cst.CSTNode
    zh: str
    en: str
    related: list[tuple[cst.CSTNode, str, str]] = field(default_factory=list)
    step: Optional[int] = None
    fix: Optional[FixInfo] = None
    kind: str = "forward"  # forward | construct | script
    # the failing layer's constructor call when the finding is at the number where its block
    # is built (``layer.sources``), and this file's call that ran it when it is another file's
    defined: Optional[cst.CSTNode] = None
    via: Optional[cst.CSTNode] = None


@dataclass
class DropInfo:
    """A PT006 finding. ``node`` is the layer call that drops the rows; ``home``, for a
    layer of another project file run on this file's input (``self.block2(x)`` into
    models/blocks.py), is this file's call where the finding is reported."""

    node: cst.CSTNode
    zh: str
    en: str
    related: list[tuple[cst.CSTNode, str, str]] = field(default_factory=list)
    home: Optional[cst.CSTNode] = None

    def place(self) -> cst.CSTNode:
        return self.home if self.home is not None else self.node


def _dims_text(drops: list[DroppedDim], lang: str) -> str:
    parts = []
    for d in drops:
        parts.append(f"最后 {d.lost} {d.label_zh}" if lang == "zh" else f"the last {d.lost} {d.label_en}")
    return ("和" if lang == "zh" else " and ").join(parts)


class Trace:
    def __init__(self, *, first_only: bool = False, input_info: Optional["InputInfo"] = None,
                 locate=None) -> None:
        self.steps: list[Step] = []
        self.problems: list[ShapeError] = []
        self.drops: list[DropInfo] = []
        self.first_only = first_only
        self.input_info = input_info
        self.silent = 0
        self.locate = locate  # node -> (cell, 1-based line), for messages only
        self.node_values: dict[cst.CSTNode, list[Value]] = {}
        self.hint_nodes: list[cst.CSTNode] = []
        self._items: dict[tuple[int, tuple[int, ...]], int] = {}
        self.fix_candidates: list[FixInfo] = []

    # ---------------------------------------------------------------- steps
    def ref(self, v: Value) -> Optional[int]:
        """The step id that holds ``v``; creates item/unknown steps as needed."""
        if isinstance(v, TensorV):
            if v.step is not None:
                return v.step
            if v.ref is not None:
                step, path = v.ref
                key = (step, path)
                if key not in self._items:
                    s = self._new("item", None, [step], v, fields={"index": list(path)})
                    self._items[key] = s.id
                return self._items[key]
            return self._new("unknown", None, [], v).id
        if isinstance(v, Seq) and v.step is not None and not v.path:
            return v.step
        return None

    def _new(self, op: str, node: Optional[cst.CSTNode], inputs: list[int], output: Value, **kw: Any) -> Step:
        s = Step(len(self.steps), op, node, inputs, output, **kw)
        self.steps.append(s)
        return s

    def add(self, op: str, node: Optional[cst.CSTNode], inputs: list[Value], output: Value, *,
            layer: Optional[Layer] = None, formula: Optional[str] = None, same_shape: bool = False,
            flattening: bool = False, hint: bool = False, **fields: Any) -> Value:
        ids = [i for i in (self.ref(v) for v in inputs) if i is not None]
        s = self._new(op, node, ids, output, layer=layer, fields=fields, formula=formula,
                      same_shape=same_shape, flattening=flattening)
        out = self.stamp(output, s.id)
        s.output = out
        if node is not None:
            self.note(node, out)
            if hint:
                self.hint_nodes.append(node)
        return out

    def stamp(self, v: Value, step: int) -> Value:
        if isinstance(v, TensorV):
            return v.but(step=step, ref=None)
        if isinstance(v, Seq):
            return Seq(tuple(self._path(it, step, (i,)) for i, it in enumerate(v.items)), v.is_list, step, ())
        return v

    def _path(self, v: Value, step: int, path: tuple[int, ...]) -> Value:
        if isinstance(v, TensorV):
            return v.but(step=None, ref=(step, path))
        if isinstance(v, Seq):
            return Seq(tuple(self._path(it, step, path + (i,)) for i, it in enumerate(v.items)), v.is_list, step, path)
        return v

    def note(self, node: cst.CSTNode, v: Value) -> None:
        if isinstance(v, (TensorV, Seq)):
            self.node_values.setdefault(node, []).append(v)

    # ---------------------------------------------------------------- messages
    def step_of(self, v: Value) -> Optional[Step]:
        if isinstance(v, TensorV) and v.step is not None and v.step < len(self.steps):
            return self.steps[v.step]
        if isinstance(v, TensorV) and v.ref is not None:
            sid = v.ref[0]
            return self.steps[sid] if sid < len(self.steps) else None
        return None

    def producer(self, v: Value) -> Optional[Step]:
        s = self.step_of(v)
        while s is not None and s.same_shape and s.inputs:
            s = self.steps[s.inputs[0]]
        return s

    def describe(self, v: Value) -> tuple[str, str, Optional[Step]]:
        """Where a tensor came from, as the start of a sentence."""
        shape = v.shape if isinstance(v, TensorV) else None
        st = fmt_shape(shape)
        s = self.producer(v)
        if s is None:
            return f"输入张量 {st}", f"the input tensor {st}", None
        if s.flattening and s.inputs:
            src = self.producer(self.steps[s.inputs[0]].output)
            src_shape = self.steps[s.inputs[0]].output
            src_shape = src_shape.shape if isinstance(src_shape, TensorV) else None
            if src is not None and src_shape is not None and shape is not None:
                head_zh, head_en = self._name(src, src_shape)
                if (shape.exact and len(shape.dims) == 2 and src_shape.exact and src_shape.dims
                        and shape.dims[0] == src_shape.dims[0] and shape.dims[1] is not None):
                    flat = fmt_shape(Shape((shape.dims[1],))).strip("(,)")
                    return f"{head_zh} → 展平得 {flat}", f"{head_en} → flattened to {flat}", src
                return f"{head_zh} → 变形为 {st}", f"{head_en} → reshaped to {st}", src
        zh, en = self._name(s, shape)
        return zh, en, s

    def _name(self, s: Step, shape: Optional[Shape]) -> tuple[str, str]:
        st = fmt_shape(shape)
        if s.op == "input":
            return f"模型输入 {st}", f"the model input {st}"
        if s.op == "layer" and s.layer is not None:
            return f"{s.layer.label} 输出 {st}", f"{s.layer.label} outputs {st}"
        if s.op == "call" and s.fields.get("creation"):
            fn = s.fields.get("fn", "")
            return f"{fn} 创建的张量 {st}", f"the {st} tensor from {fn}"
        if s.op in ("call", "method"):
            name = s.fields.get("fn") or ("." + s.fields.get("method", ""))
            short = name.replace("torch.nn.functional.", "F.")
            return f"{short} 的结果 {st}", f"the result of {short} {st}"
        return f"张量 {st}", f"the {st} tensor"

    def _suffix(self, src: Optional[Step]) -> tuple[str, str]:
        info = self.input_info
        if info is None:
            return "", ""
        where_zh, where_en = info.describe(self.locate)
        if src is not None and src.op == "input":  # the sentence already shows the input
            return f"（{where_zh}）", f" ({where_en})"
        st = fmt_shape(info.shape)
        return f"（输入 {st}，{where_zh}）", f" (input {st}, {where_en})"

    def problem(self, node: cst.CSTNode, problem: Problem, inputs: list[Value], *,
                layer: Optional[Layer] = None, kind: str = "forward", step: Optional[int] = None) -> None:
        if self.silent or (self.first_only and self.problems):
            return
        related: list[tuple[cst.CSTNode, str, str]] = []
        if problem.standalone or not inputs:
            zh, en = problem.zh, problem.en
            src = None
        else:
            dz, de, src = self.describe(inputs[0])
            zh = f"{dz}，{problem.zh}"
            en = f"{de}, {problem.en}"
        note = inputs[0].note if inputs and isinstance(inputs[0], TensorV) else None
        if note is not None:
            at_zh, at_en = at_text(self.locate(note.node) if self.locate else None)
            at_zh, at_en = at_zh or "前面", at_en or "an earlier line"
            zh += f"；{at_zh}的 {note.zh} 没有赋值给任何变量，这里拿到的仍是原来的张量"
            en += f"; the result of {note.en} on {at_en} is discarded, so this still gets the old tensor"
            related.append((note.node, f"这里 {note.zh} 的结果被丢弃了", f"the result of {note.en} is discarded here"))
        sz, se = self._suffix(src)
        zh, en = zh + sz, en + se
        target, source = self._wrong_arg(problem, layer)
        if target is not None:
            # the squiggle goes under the number to change; the call that fails, where the
            # input comes from and the upstream layer are related locations
            assert layer is not None
            shape = fmt_shape(inputs[0].shape) if inputs and isinstance(inputs[0], TensorV) else "(?)"
            head: list[tuple[cst.CSTNode, str, str]] = []
            if source is not None and layer.node is not None:
                # the number is where the block is built: the layer inside it is related
                # (a Sequential subclass runs its entries where they are written)
                if node is layer.node:
                    head.append((layer.node, f"{layer.label} 在这里定义，调用时输入是 {shape}",
                                 f"{layer.label} is defined here, called with {shape}"))
                else:
                    head.append((layer.node, f"{layer.label} 在这里定义", f"{layer.label} is defined here"))
            if node is not layer.node:
                head.append((node, f"{layer.label} 在这里被调用，输入是 {shape}",
                             f"{layer.label} is called here with {shape}"))
            related[:0] = head
            info = self.input_info
            if info is not None and info.node is not None:
                related.append((info.node, "输入形状来自这里", "the input shape comes from here"))
            node = target
        elif layer is not None and layer.node is not None and layer.node is not node:
            related.append((layer.node, f"{layer.label} 在这里定义", f"{layer.label} is defined here"))
        if src is not None and src.layer is not None and src.layer is not layer and src.layer.node is not None \
                and src.layer.node is not node:
            related.append((src.layer.node, f"{src.layer.label} 在这里定义", f"{src.layer.label} is defined here"))
        err = ShapeError(node, zh, en, related, step=step, kind=kind,
                         defined=layer.node if target is not None and source is not None else None)  # type: ignore[union-attr]
        if problem.fix is not None and layer is not None and problem.fix[0] == "in_features":
            fix = self._linear_fix(layer, problem.fix[1]) if self._count_is_derived(inputs, problem.fix[1]) else None
            if fix is not None:
                err.fix = fix
                self.fix_candidates.append(fix)
        self.problems.append(err)

    def _wrong_arg(self, problem: Problem, layer: Optional[Layer]
                   ) -> tuple[Optional[cst.BaseExpression], Optional[ArgSource]]:
        """The constructor argument a fix would edit, when it is written as a number (or,
        for a mismatch of size expressions, as that expression); for a block's parameter
        passed on unchanged, the number where the block is built (``layer.sources``)."""
        name = problem.arg or (problem.fix[0] if problem.fix is not None else None)
        if name is None or layer is None or not isinstance(layer.node, cst.Call):
            return None, None
        from ..astutil import get_arg

        names = [n for n, _ in layer.signature_for(layer.type_name, layer.opts)]
        if name not in names:
            return None, None
        arg = get_arg(layer.node, names.index(name), name)
        if arg is None:
            return None, None
        source = layer.sources.get(name)
        if source is not None and not problem.symbolic:
            return source.node, source
        if not (problem.symbolic or int_literal_expr(arg.value)):
            return None, None
        return arg.value, None

    def _count_is_derived(self, inputs: list, value: Any) -> bool:
        """Whether the feature count a fix would write was computed from the layers, not copied
        from the user's own reshape target: ``feature.view(N, 1)`` of a ``(N, 16, ?, ?)`` tensor
        gives 1 features only because the code says so (the view itself cannot hold 16·H·W
        elements), and writing 1 into ``in_features`` would fix nothing. After a flatten or a
        reshape the count counts only when the tensor before it is fully known and holds that
        many elements per sample."""
        x = inputs[0] if inputs else None
        s = self.producer(x) if isinstance(x, TensorV) else None
        if s is None or not s.flattening:
            return True
        before = self.steps[s.inputs[0]].output if s.inputs else None
        shape = before.shape if isinstance(before, TensorV) else None
        if shape is None or not shape.exact or len(shape.dims) < 2:
            return False
        per_sample = 1
        for d in shape.dims[1:]:
            if not isinstance(d, int):
                return False
            per_sample *= d
        return per_sample == value

    def _linear_fix(self, layer: Layer, value: Any) -> Optional[FixInfo]:
        # a layer of no input features is never what the code meant: an empty batch means
        # the input is wrong, not the layer
        if not isinstance(value, int) or value < 1 or layer.node is None or layer.type_name != "Linear":
            return None
        from ..astutil import get_arg

        arg = get_arg(layer.node, 0, "in_features")
        if arg is None:
            return None
        info = self.input_info
        safe = info is None or (info.source in ("comment", "call", "summary") and not info.inferred)
        source = layer.sources.get("in_features")
        if source is not None:
            # editing the block's number changes whatever else that parameter feeds; a
            # default is every construction's that does not pass it: a suggestion only
            if name_uses(source.fn.body, source.param) != 1:
                return None
            return FixInfo(source.node, str(value), safe and not source.default, layer)
        if not int_literal_expr(arg.value):
            return None
        return FixInfo(arg.value, str(value), safe, layer)

    def drop(self, node: cst.CSTNode, layer: Optional[Layer], label: str, kind: str, drops: list[DroppedDim],
             x: Value) -> None:
        if self.silent or not drops:
            return
        zh, en = drop_text(label, fmt_shape(x.shape if isinstance(x, TensorV) else None), kind, drops)
        related = []
        if layer is not None and layer.node is not None and layer.node is not node:
            related.append((layer.node, f"{layer.label} 在这里定义", f"{layer.label} is defined here"))
        self.drops.append(DropInfo(node, zh, en, related))


def drop_text(label: str, shape: str, kind: str, drops: Sequence[DroppedDim]) -> tuple[str, str]:
    """PT006's sentence (zh, en): ``label`` (the layer as named where it is called) gets
    ``shape``; ``kind`` is "conv" or "pool"; ``drops`` the dims whose last rows are lost."""
    what_zh, what_en = ("卷积核", "the kernel") if kind == "conv" else ("池化窗口", "the pooling window")
    same = len({(d.formula, d.lost) for d in drops}) == 1
    formulas = drops[0].formula if same else "；".join(d.formula for d in drops)
    formulas_en = drops[0].formula if same else "; ".join(d.formula for d in drops)
    zh = f"{label} 的输入是 {shape}：{formulas}，{_dims_text(list(drops), 'zh')}没有被{what_zh}覆盖，会被悄悄丢掉"
    en = (f"{label} gets {shape}: {formulas_en}, so {_dims_text(list(drops), 'en')} of the input are never covered by "
          f"{what_en} and are silently ignored")
    return zh, en


def problem_text(label: str, shape: str, problem: Problem) -> tuple[str, str]:
    """PT005's sentence (zh, en) for a layer call that raises, where the input is known only
    as ``shape`` (no model trace to say where it came from): ``label`` gets ``shape``, then
    the transfer function's ``problem`` ("but in_features of Linear = 400")."""
    if problem.standalone:
        return f"{label}：{problem.zh}", f"{label}: {problem.en}"
    return f"{label} 的输入是 {shape}，{problem.zh}", f"{label} gets {shape}, {problem.en}"


def int_literal_expr(node: cst.BaseExpression) -> bool:
    """An int literal or arithmetic on int literals (``400``, ``16 * 5 * 5``)."""
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Multiply, cst.Add, cst.Subtract)):
        return int_literal_expr(node.left) and int_literal_expr(node.right)
    return False


def unknown_like(v: Value) -> Value:
    return TensorV(None) if isinstance(v, TensorV) else UNKNOWN
