"""Where a value's dim 0 is the batch: the fact behind "dropping size-1 dims may drop the
batch" (PT025), asked of the core instead of re-derived by each rule.

Contract: ``ctx.analysis(BatchOrigins).origin(expr, ancestors)`` is the node that proves
``expr`` (evaluated where ``ancestors`` end) has the batch as its dim 0: a layer call
(``self.fc(x)``, a ``Sequential``), the ``forward`` method whose first input it is, or the
``DataLoader`` whose batches it comes from; None when that is not known. It follows names
bound once (``LocalFacts``), element-wise steps, pooling, ``bmm``, and methods that keep
dim 0 (``mean((2, 3))``, ``transpose(1, 2)``, ``permute(0, …)``, ``unsqueeze(1)``). Not an
origin: recurrent layers (their dim 0 is time unless ``batch_first``), ``Flatten``, and a
layer called on one tensor the file builds itself with torch functions (full-batch
training: its row count is fixed by the code), and any tensor whose dim 0 the flow knows as
a literal size above one (``get_toy_data(1000)``: the call-site pass's result). Built
lazily, with no walk of its own."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import libcst as cst

from ptlint.rules.astutil import get_arg, literal_value
from ptlint.rules.bindings import ClassInfo, LocalFacts, ScopeInfo
from ptlint.rules.flow import FlowAnalysis, Kind, Value
from ptlint.rules.shape_arith import REDUCTION_ARGS

if TYPE_CHECKING:
    from ptlint.rules.engine import FileContext

# Element-wise steps keep every dim of their input, batch included.
KEEP_DIMS_METHODS = frozenset("""
float double half bfloat16 long int to cpu cuda detach clone contiguous relu sigmoid tanh exp log abs neg
softmax log_softmax add sub mul div pow clamp clip sqrt round floor ceil type_as requires_grad_
""".split())
_KEEP_FUNCS = frozenset({f"torch.{n}" for n in "sigmoid tanh relu exp log abs softmax log_softmax clamp".split()}
                        | {f"torch.nn.functional.{n}" for n in
                           "relu sigmoid tanh gelu silu elu leaky_relu softmax log_softmax dropout".split()})
# Results whose dim 0 is their first argument's dim 0 (the batch): pooling over the trailing
# dims. torch.bmm is separate: both operands share dim 0, so either one proves it.
_POOLS = frozenset(f"torch.nn.functional.{kind}_pool{n}d" for kind in
                   ("avg", "max", "adaptive_avg", "adaptive_max", "lp") for n in (1, 2, 3))
_BMM = frozenset({"torch.bmm", "torch.baddbmm"})
# Reductions that keep dim 0 when every reduced dim is a literal >= 1.
# Layers whose output's dim 0 is not (or no longer) the batch.
_NOT_BATCH_FIRST = frozenset({"RNN", "LSTM", "GRU", "Flatten"})
_MAX_DEPTH = 6


class BatchOrigins:
    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx
        self.facts = ctx.analysis(LocalFacts)

    def origin(self, expr: cst.BaseExpression, ancestors: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
        if fixed_rows(self.ctx.analysis(FlowAnalysis).check().value_of(expr)):
            return None
        scope = self.facts.scope_info(ancestors)
        cls, method = self.facts.enclosing_method(ancestors)
        return _Search(self, scope, cls, method, ancestors).origin(expr, 0)


class _Search:
    """One question: the scope it is asked in stays the same along the search."""

    def __init__(self, owner: BatchOrigins, scope: ScopeInfo, cls: Optional[ClassInfo],
                 method: Optional[cst.FunctionDef], ancestors: Sequence[cst.CSTNode]) -> None:
        self.ctx = owner.ctx
        self.facts = owner.facts
        self.scope = scope
        self.cls = cls
        self.method = method
        self.ancestors = ancestors

    def origin(self, expr: cst.BaseExpression, depth: int) -> Optional[cst.CSTNode]:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Name):
            return self._name(expr.value, depth)
        if isinstance(expr, cst.Call):
            return self._call(expr, depth)
        if isinstance(expr, cst.BinaryOperation) and not isinstance(expr.operator, cst.MatrixMultiply):
            return self.origin(expr.left, depth + 1) or self.origin(expr.right, depth + 1)
        return None

    def _name(self, name: str, depth: int) -> Optional[cst.CSTNode]:
        facts, scope, cls, method = self.facts, self.scope, self.cls, self.method
        if method is not None and cls is not None and method.name.value == "forward" \
                and facts.is_module_class(cls) and len(scope.params) > 1 and scope.params[1] == name \
                and not facts.bound_before(method, name, self.ancestors):
            return method
        loader = facts.loader_batch(name, scope, self.ancestors)
        if loader is not None:
            return loader
        v = facts.value_of(name, scope)
        return self.origin(v, depth + 1) if v is not None else None

    def _call(self, expr: cst.Call, depth: int) -> Optional[cst.CSTNode]:
        layer = self.facts.layer_call(expr.func, self.scope, self.cls)
        if layer is not None:
            kind = self.facts.layer_kind(layer) or ""
            if kind.rsplit(".", 1)[-1] in _NOT_BATCH_FIRST or self._fixed_data_argument(expr):
                return None
            return layer
        q = self.ctx.qualname(expr.func)
        if (q in _KEEP_FUNCS or q in _POOLS) and expr.args and expr.args[0].keyword is None:
            return self.origin(expr.args[0].value, depth + 1)
        if q in _BMM or q is None and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "bmm":
            operands = [a.value for a in expr.args if a.keyword is None]
            if q is None:
                operands.insert(0, expr.func.value)  # type: ignore[union-attr]
            if q == "torch.baddbmm":
                operands = operands[1:]  # the added input may broadcast
            for op in operands[:2]:
                found = self.origin(op, depth + 1)
                if found is not None:
                    return found
            return None
        if q is None and isinstance(expr.func, cst.Attribute) and (
                expr.func.attr.value in KEEP_DIMS_METHODS or _keeps_dim0(expr)):
            return self.origin(expr.func.value, depth + 1)
        return None

    def _fixed_data_argument(self, call: cst.Call) -> bool:
        """``model(train_x)`` where ``train_x`` is bound once to a tensor the file builds with a
        torch function (full-batch training): its row count is fixed by the code, not by a
        loader's last batch, so a batch of one is not what the code runs on."""
        if not call.args or call.args[0].keyword is not None or call.args[0].star:
            return False
        arg = call.args[0].value
        if not isinstance(arg, cst.Name) or arg.value in self.scope.params:
            return False
        if self.facts.loader_batch(arg.value, self.scope, self.ancestors) is not None:
            return False
        value = self.facts.value_of(arg.value, self.scope)
        if not isinstance(value, cst.Call):
            return False
        made_by = self.ctx.qualname(value.func)
        return made_by is not None and made_by.startswith("torch.") and not made_by.startswith("torch.nn.") \
            and not made_by.startswith("torch.utils.")


def fixed_rows(value: Value) -> bool:
    """A tensor whose dim 0 the flow knows as a literal size in every evaluation
    (``get_toy_data(1000)``, ``torch.randn(64, 8)``): the code fixes its row count, so it is
    no batch that may come out as one sample."""
    if value.kind is not Kind.TENSOR or not value.shape:
        return False
    rows = value.shape[0]
    return rows.is_int and rows.coef > 1


def _literal_dims(expr: cst.BaseExpression) -> Optional[list]:
    v = literal_value(expr, None)
    dims = list(v) if isinstance(v, (list, tuple)) else [v]
    return dims if dims and all(isinstance(d, int) and not isinstance(d, bool) for d in dims) else None


def _keeps_dim0(call: cst.Call) -> bool:
    """``x.mean((2, 3))`` / ``x.transpose(1, 2)`` / ``x.permute(0, 2, 1)`` /
    ``x.unsqueeze(1)``: a method whose result's dim 0 is the receiver's dim 0."""
    name = call.func.attr.value  # type: ignore[attr-defined]
    if any(a.star for a in call.args):
        return False
    if name in REDUCTION_ARGS and name not in ("max", "min"):  # with a dim those two give a pair
        arg = get_arg(call, REDUCTION_ARGS[name][0], "dim")
        dims = _literal_dims(arg.value) if arg is not None else None
        return dims is not None and min(dims) >= 1
    if name in ("transpose", "swapaxes", "swapdims") and len(call.args) == 2:
        dims = [literal_value(a.value, None) for a in call.args]
        return all(isinstance(d, int) and d >= 1 for d in dims)
    if name == "permute" and call.args:
        first = call.args[0].value
        dims = _literal_dims(first) if len(call.args) == 1 else [literal_value(first, None)]
        return bool(dims) and dims[0] == 0
    if name == "unsqueeze" and len(call.args) == 1:
        d = literal_value(call.args[0].value, None)
        return isinstance(d, int) and d >= 1
    return False
