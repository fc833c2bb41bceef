"""Legacy typed constructors called with data (``torch.Tensor([...])``) and what their
value is used for, shared by PT016 (legacy-constructor) and PT022 (embedding-index-dtype)
so that their fixes compose into one edit.

``torch.Tensor([[1, 2]])`` used as Embedding indices is one value with two findings: a
legacy constructor (PT016: rewrite as ``torch.tensor(..., dtype=torch.float32)``) and float
indices (PT022: append ``.long()``). Applied one after the other they read badly; the
right single edit is ``torch.tensor([[1, 2]], dtype=torch.long)`` at the creation. Both
rules ask :class:`IndexOnlyCreations` which creations are used *only* as embedding indices
and then offer the same edit, which the fixer applies once for both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import libcst as cst

from ptlint.rules.dtypes import TENSOR_TYPES
from ptlint.rules.name_uses import NameMentions
from ptlint.rules.node_index import NodeIndex

if TYPE_CHECKING:
    from ptlint.rules.engine import FileContext

# Legacy typed constructors -> the dtype torch.tensor needs to give the same result, spelled
# as the fix writes it (``torch.long``); torch.Tensor follows the default dtype (float32
# unless the file changes it).
LEGACY_DTYPES = {q: ("long" if dt == "int64" else dt) for q, dt in TENSOR_TYPES.items()
                 if not q.startswith("torch.cuda.")}
# Integers up to this size survive a round trip through the floating dtype exactly
# (the mantissa's bits): only then is ``torch.Tensor(ints).long()`` == ``torch.tensor(ints, dtype=long)``.
EXACT_INT = {"float32": 2 ** 24, "float64": 2 ** 53, "float16": 2 ** 11, "bfloat16": 2 ** 8}
# ``torch.Tensor(data).long()`` and friends: the conversion -> the dtype to create directly
CONVERSIONS = {"long": "long", "int": "int32"}

EMBEDDING_LAYERS = ("torch.nn.Embedding", "torch.nn.EmbeddingBag")
EMBEDDING_FUNCS = ("torch.nn.functional.embedding", "torch.nn.functional.embedding_bag")


@dataclass(frozen=True)
class LegacyData:
    """``prefix.FloatTensor(data)`` with literal-shaped data that ``torch.tensor`` can take."""

    call: cst.Call
    api: str  # qualified name, e.g. torch.FloatTensor
    data: cst.BaseExpression
    dtype: str  # the dtype the legacy constructor gives
    prefix: Optional[str]  # how the file names torch ("torch", "T"); None: no fix can be written

    def rewrite(self, ctx: "FileContext", dtype: str) -> str:
        return f"{self.prefix}.tensor({ctx.code_for(self.data)}, dtype={self.prefix}.{dtype})"

    def exact_ints(self) -> bool:
        """Every element is an integer literal that the legacy dtype holds exactly."""
        bound = EXACT_INT.get(self.dtype)
        return bound is not None and _int_leaves(self.data, bound)


def _int_leaves(node: cst.BaseExpression, bound: int) -> bool:
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(_int_leaves(e.value, bound) for e in node.elements if isinstance(e, cst.Element))
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    if isinstance(node, cst.Integer):
        try:
            return abs(int(node.evaluated_value)) <= bound
        except ValueError:
            return False
    return False


def legacy_data(ctx: "FileContext", node: cst.Call) -> Optional[LegacyData]:
    """The legacy constructor call PT016 reports with a fix, or None."""
    q = ctx.qualname(node.func)
    dtype = LEGACY_DTYPES.get(q or "")
    if dtype is None or len(node.args) != 1:
        return None
    arg = node.args[0]
    if arg.keyword is not None or arg.star:
        return None
    data = arg.value
    if not isinstance(data, (cst.List, cst.Tuple, cst.ListComp)):
        return None
    return LegacyData(node, q, data, dtype, _prefix(ctx, node, q))


def is_shape_tuple(data: cst.BaseExpression) -> bool:
    """``torch.Tensor((3, 4))``: almost surely meant as a shape."""
    return isinstance(data, cst.Tuple) and bool(data.elements) and all(
        isinstance(e.value, cst.Integer) for e in data.elements)


def _prefix(ctx: "FileContext", node: cst.Call, q: str) -> Optional[str]:
    if q == "torch.Tensor" and ctx.default_float is None:
        return None  # its dtype is then not necessarily float32
    if isinstance(node.func, cst.Attribute):
        return ctx.code_for(node.func.value) if ctx.qualname(node.func.value) == "torch" else None
    return next((local for local, full in ctx.imports.aliases.items() if full == "torch"), None)


class IndexOnlyCreations:
    """Legacy constructor calls whose value is used only as embedding indices: passed
    straight to the embedding, or bound once to a name that is mentioned nowhere else but
    as that embedding's indices, in the same notebook cell. Asked per creation, answered
    from the flow facts, the file's name mentions and its node index (no walk of its own)."""

    def __init__(self, ctx: "FileContext") -> None:
        from ptlint.rules.flow import FlowAnalysis

        self.ctx = ctx
        self.flow = ctx.analysis(FlowAnalysis).check()
        self._answers: dict[int, bool] = {}

    def index_only(self, call: cst.Call) -> bool:
        answer = self._answers.get(id(call))
        if answer is None:
            answer = self._answers[id(call)] = self._index_only(call)
        return answer

    def _index_only(self, call: cst.Call) -> bool:
        if legacy_data(self.ctx, call) is None:
            return False
        nodes = self.ctx.analysis(NodeIndex)
        parent = nodes.parent(call)
        if isinstance(parent, cst.Arg):  # ``emb(torch.Tensor([[1, 2]]))``
            return self._indexes(parent, call)
        if not (isinstance(parent, cst.Assign) and parent.value is call and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)):
            return False
        target = parent.targets[0].target
        mentions = self.ctx.analysis(NameMentions).of(self.ctx.module, target.value)
        uses = [m for m in mentions if m.node is not target]
        if len(mentions) != 2 or len(uses) != 1:
            return False
        use = uses[0]
        return isinstance(use.parent, cst.Arg) and use.parent.value is use.node \
            and self._indexes(use.parent, call) and nodes.unit_of(use.node) == nodes.unit_of(call)

    def _indexes(self, arg: cst.Arg, creation: cst.Call) -> bool:
        """``arg`` is the index argument of an embedding call, and its value is ``creation``'s."""
        from ptlint.rules.flow import Kind

        call = self.ctx.analysis(NodeIndex).parent(arg)
        return isinstance(call, cst.Call) and _index_arg(self.ctx, self.flow, Kind, call) is arg.value \
            and self.flow.value_of(arg.value).origin is creation


def _index_arg(ctx: "FileContext", flow, Kind, node: cst.Call) -> Optional[cst.BaseExpression]:
    """The index argument of an embedding call whose value is a float tensor, else None."""
    from ptlint.rules.astutil import get_arg

    if any(a.star for a in node.args):
        return None
    q = ctx.qualname(node.func)
    if q not in EMBEDDING_FUNCS:
        if q is not None:
            return None
        fv = flow.value_of(node.func)
        if fv.kind is not Kind.MODULE or fv.spec not in EMBEDDING_LAYERS:
            return None
    arg = get_arg(node, 0, "input")
    if arg is None:
        return None
    v = flow.value_of(arg.value)
    if v.kind is not Kind.TENSOR or v.dtype not in EXACT_INT:
        return None
    return arg.value
