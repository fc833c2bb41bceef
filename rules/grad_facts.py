"""requires_grad / non-leaf answers for the notes rules, on top of the flow analysis:
where flow leaves requires_grad unknown, the producing call is chased one step at a time
(only where flow says gradients were recording: grad mode is flow's answer)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Sequence

import libcst as cst

from ptlint.rules.astutil import walk
from ptlint.rules.name_uses import Mention, NameMentions
from ptlint.rules.node_index import NodeIndex

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
# operators whose result requires grad when an operand does (comparisons give results
# without gradients; ``//`` and bit operations are left unknown: checked with torch 2.13,
# ``out // 2`` of a float ``out`` requiring grad still requires grad)
_DIFFERENTIABLE_OPS = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.Power, cst.MatrixMultiply)
_MAX_DEPTH = 6


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
        self.freezes = may_freeze_parameters(ctx.source.text)
        self._trains: dict[int, bool] = {}  # FunctionDef id -> it calls backward() itself
        self._list_uses: dict[tuple[int, str], list[tuple[str, cst.CSTNode]]] = {}

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

    def requires_grad_through_ops(self, expr: cst.BaseExpression, depth: int = 0) -> Optional[bool]:
        """``requires_grad``, followed further for what a training loop computes: arithmetic
        on a tensor that requires grad (``(out - y) ** 2``), a differentiable method of it
        (``.mean()``) and a loss object called on it (``criterion(out, y)``), each computed
        while autograd was certainly recording."""
        from ptlint.rules.flow import Kind

        known = self.requires_grad(expr)
        if known is not None or depth > _MAX_DEPTH:
            return known
        v = self.flow.value_of(expr)
        node = v.origin if isinstance(expr, cst.Name) else expr
        if node is None or self.flow.grad_enabled(node) is not True:
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _DIFFERENTIABLE_OPS):
            sides = (self.requires_grad_through_ops(node.left, depth + 1),
                     self.requires_grad_through_ops(node.right, depth + 1))
            return True if True in sides else None
        if not isinstance(node, cst.Call) or any(a.star for a in node.args):
            return None
        func = node.func
        pos = [a.value for a in node.args if a.keyword is None]
        if self.flow.value_of(func).kind is Kind.LOSS and pos:
            return True if self.requires_grad_through_ops(pos[0], depth + 1) is True else None
        if isinstance(func, cst.Attribute) and func.attr.value in GRAD_METHODS and self.ctx.qualname(func.value) is None:
            return True if self.requires_grad_through_ops(func.value, depth + 1) is True else None
        return None

    def trains_here(self, ancestors: Sequence[cst.CSTNode]) -> bool:
        """Whether the code at the end of ``ancestors`` is at module level or in a function
        that runs ``backward()`` itself: an evaluation helper may be called under
        ``torch.no_grad()`` by its caller, where the same code makes plain tensors."""
        fn = next((a for a in reversed(ancestors) if isinstance(a, cst.FunctionDef)), None)
        if fn is None:
            return True
        seen = self._trains.get(id(fn))
        if seen is None:
            found = _BackwardCall()
            walk(fn.body, found)
            seen = self._trains[id(fn)] = found.seen
        return seen

    def grad_item(self, arg: cst.BaseExpression, ancestors: Sequence[cst.CSTNode],
                  harmless_read: Callable[[cst.Call], bool]) -> Optional[cst.BaseExpression]:
        """An expression that certainly put a tensor requiring grad into the list ``arg``
        (evaluated where ``ancestors`` end): an element of a literal list, or an
        ``.append(...)`` argument of a local list. ``harmless_read(call)``: a call that takes
        the list as its first argument and leaves it and its items as they are."""
        from ptlint.rules.flow import Kind

        if isinstance(arg, (cst.List, cst.Tuple)):
            if any(isinstance(el, cst.StarredElement) for el in arg.elements):
                return None
            for el in arg.elements:
                if self.flow.value_of(el.value).kind is Kind.TENSOR and self.requires_grad_through_ops(el.value) is True:
                    return el.value
            return None
        if isinstance(arg, cst.Name) and self.flow.value_of(arg).kind is Kind.LIST:
            return self._appended(arg, ancestors, harmless_read)
        return None

    def _appended(self, arg: cst.Name, ancestors: Sequence[cst.CSTNode],
                  harmless_read: Callable[[cst.Call], bool]) -> Optional[cst.BaseExpression]:
        """For a list only ever bound as ``name = []`` in this scope, filled with ``append``
        and otherwise only read harmlessly: the argument of an append between the last
        ``name = []`` and ``arg`` (in source order) that requires grad. Any other use of the
        name (passed to a helper, indexed, rebound, used in a nested function) and the
        answer is None."""
        from ptlint.rules.bindings import LocalFacts

        scope = self.ctx.analysis(LocalFacts).scope_info(ancestors)
        name = arg.value
        values = scope.assigns.get(name, [])
        if not values or name in scope.other or name in scope.params:
            return None
        if not all(isinstance(v, cst.List) and not v.elements for v in values):
            return None
        found: Optional[cst.BaseExpression] = None
        for kind, node in self._uses_of(scope.node, name):
            if kind == "nested":
                return None
            if kind == "arg":
                if node is arg:
                    return found
                continue
            if kind == "reset":
                found = None
            elif kind == "append" and found is None:
                if self.requires_grad_through_ops(node) is True:  # type: ignore[arg-type]
                    found = node  # type: ignore[assignment]
            elif kind == "read":
                if not harmless_read(node):  # type: ignore[arg-type]
                    return None
            elif kind != "append":
                return None
        return None

    def _uses_of(self, scope_node: cst.CSTNode, name: str) -> list[tuple[str, cst.CSTNode]]:
        """Every use of ``name`` in a scope, in source order: ("reset", target) for ``name =
        []``, ("append", the appended expression), ("read", the call it is the first
        positional argument of, then "arg", the name itself), ("nested", node) inside a
        nested function, class or lambda, and ("other", node) for anything else."""
        key = (id(scope_node), name)
        uses = self._list_uses.get(key)
        if uses is None:
            region = scope_node.body if isinstance(scope_node, cst.FunctionDef) else scope_node
            uses = self._list_uses[key] = [
                use for m in self.ctx.analysis(NameMentions).of(region, name) for use in self._list_use(m, scope_node)]
        return uses

    def _list_use(self, m: Mention, scope_node: cst.CSTNode) -> list[tuple[str, cst.CSTNode]]:
        node, parent, grand = m.node, m.parent, m.grandparent
        scope = self.ctx.analysis(NodeIndex).innermost(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda))
        if scope is not None and scope is not scope_node:
            return [("nested", node)]
        if m.assigned and isinstance(grand, cst.Assign) and len(grand.targets) == 1:
            return [("reset", node)]
        if isinstance(parent, cst.Attribute) and parent.value is node and isinstance(grand, cst.Call) \
                and grand.func is parent:
            if parent.attr.value == "append" and len(grand.args) == 1 and grand.args[0].keyword is None \
                    and not grand.args[0].star:
                return [("append", grand.args[0].value)]
            return [("other", node)]
        if isinstance(parent, cst.Arg) and parent.value is node and isinstance(grand, cst.Call):
            pos = [a for a in grand.args if a.keyword is None and not a.star]
            if pos and pos[0] is parent:
                return [("read", grand), ("arg", node)]
        return [("other", node)]

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


class _BackwardCall(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "backward":
            self.seen = True
