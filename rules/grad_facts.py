"""requires_grad / non-leaf answers for the notes rules, on top of the flow analysis:
where flow leaves requires_grad unknown, the producing call is chased one step at a time
(only where flow says gradients were recording: grad mode is flow's answer)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import libcst as cst

from ptlint.rules.astutil import walk

if TYPE_CHECKING:
    from ptlint.rules.engine import FileContext


# ---------------------------------------------------------------------- autograd facts
# The flow analysis records requires_grad where an operation sets it for sure (creation
# with requires_grad=True, arithmetic, parameters). Where it leaves it unknown, these
# rules chase the producing call (``v.origin``) one step at a time: a differentiable
# tensor method or torch function of a tensor that requires grad, outside no_grad, gives
# a result that requires grad and is not a leaf.
GRAD_METHODS = frozenset("""
sum mean prod std var norm max min amax amin logsumexp cumsum abs exp log log1p sqrt rsqrt pow neg sigmoid tanh
relu softmax log_softmax mul add sub div matmul mm bmm view reshape flatten squeeze unsqueeze t transpose permute
expand repeat narrow select gather index_select masked_fill clamp clip unfold mT T clone contiguous float double
""".split())
GRAD_FUNCTIONS = frozenset(f"torch.{n}" for n in """
sum mean matmul mm bmm exp log sqrt abs sigmoid tanh relu softmax log_softmax cat stack flatten reshape
transpose permute squeeze unsqueeze clamp where einsum
""".split()) | frozenset(f"torch.nn.functional.{n}" for n in """
relu sigmoid tanh gelu softmax log_softmax linear conv1d conv2d mse_loss l1_loss cross_entropy nll_loss
binary_cross_entropy binary_cross_entropy_with_logits dropout
""".split())
# layers that hold trainable parameters unless someone freezes them
PARAM_LAYERS = frozenset(f"torch.nn.{n}" for n in """
Linear Bilinear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d Embedding EmbeddingBag
BatchNorm1d BatchNorm2d BatchNorm3d LayerNorm GroupNorm PReLU
""".split())
_FREEZING = ("requires_grad_(False)", "requires_grad = False", "requires_grad=False", "freeze")


def may_freeze_parameters(text: str) -> bool:
    """Whether the file may turn parameters' gradients off (``p.requires_grad = False``,
    ``requires_grad_(False)``, a ``freeze`` helper): then a layer's parameters are not
    known to require grad. The one decision GradFacts and PT013 share."""
    return any(s in text for s in _FREEZING)


class GradFacts:
    """requires_grad / non-leaf answers on top of the flow analysis (built per file)."""

    def __init__(self, ctx: "FileContext") -> None:
        from ptlint.rules.flow import FlowAnalysis

        self.ctx = ctx
        self.flow = ctx.analysis(FlowAnalysis).check()
        self._parents: Optional[dict[int, cst.CSTNode]] = None
        self.freezes = may_freeze_parameters(ctx.source.text)

    def ancestors_of(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        if self._parents is None:
            collector = _ParentMap()
            walk(self.ctx.module, collector)
            self._parents = collector.parents
        out = []
        cur = self._parents.get(id(node))
        while cur is not None:
            out.append(cur)
            cur = self._parents.get(id(cur))
        return list(reversed(out))

    def requires_grad(self, expr: cst.BaseExpression, depth: int = 0) -> Optional[bool]:
        """True / False when known; None when the analysis cannot tell."""
        from ptlint.rules.flow import Kind

        v = self.flow.value_of(expr)
        if v.kind is not Kind.TENSOR:
            return None
        origin = v.origin
        if v.requires_grad is not None or depth > 6:
            return v.requires_grad
        if not isinstance(origin, cst.Call) or origin is expr and depth > 0:
            return None
        if self.flow.grad_enabled(origin) is not True:
            return None  # made while gradients may be off: flow's answer (unknown) stands
        func = origin.func
        q = self.ctx.qualname(func)
        if q in GRAD_FUNCTIONS:
            args = [self.requires_grad(a.value, depth + 1) for a in origin.args if a.keyword is None and not a.star]
            return True if any(a is True for a in args) else None
        if q is None and isinstance(func, cst.Attribute):
            fv = self.flow.value_of(func.value)
            if fv.kind is Kind.MODULE:
                return True if (fv.spec in PARAM_LAYERS and not self.freezes) else None
            if func.attr.value in GRAD_METHODS:
                return True if self.requires_grad(func.value, depth + 1) is True else None
        if q is None and isinstance(func, cst.Name):
            fv = self.flow.value_of(func)
            if fv.kind is Kind.MODULE and fv.spec in PARAM_LAYERS and not self.freezes:
                return True
        return None

    def non_leaf(self, expr: cst.BaseExpression) -> bool:
        """Certainly the result of a differentiable operation on tensors that require grad."""
        from ptlint.rules.flow import Kind

        v = self.flow.value_of(expr)
        if v.kind is not Kind.TENSOR or v.is_leaf is True:
            return False
        if self.requires_grad(expr) is not True:
            return False
        if v.is_leaf is False:
            return True
        # ops that may hand back the very same (leaf) tensor are not proof of a new node
        prov = v.provenance or ""
        if prov:
            return prov not in _MAYBE_SAME and (not prov.startswith("torch.") or prov in _OP_FUNCS)
        origin = v.origin
        if isinstance(origin, cst.Call):  # a layer call: a new node of the graph
            fv = self.flow.value_of(origin.func)
            return fv.kind is Kind.MODULE and fv.spec in PARAM_LAYERS
        return False


_MAYBE_SAME = frozenset({".to", ".cuda", ".cpu", ".type", ".float", ".double", ".half", ".bfloat16", ".long",
                         ".int", ".contiguous", ".requires_grad_", ".detach", ".data", "parameter", ".type_as"})
_OP_FUNCS = frozenset(GRAD_FUNCTIONS)


class _ParentMap(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.parents: dict[int, cst.CSTNode] = {}
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parents[id(node)] = self._stack[-1]
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()
