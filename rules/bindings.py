"""Binding facts for the notes rules (PT010–PT026), read off the file's binding table
(``rules/scope_table.py``, ``LocalFacts.table``): which value a name was bound to (only
when it was bound exactly once in its function or the module), what ``self.x``
holds in an ``nn.Module`` subclass, and whether an expression is certainly a tensor,
a layer, or a model.

It is deliberately not a data-flow interpreter: order-sensitive questions (was it
written before it was read? is it a leaf?) belong to ``rules/flow``. Everything here
answers "I don't know" (None / False) unless one binding makes the answer certain.
Built once per file through ``ctx.analysis(LocalFacts)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional, Sequence, Union

import libcst as cst

from ptlint.rules.astutil import iter_children
from ptlint.rules.scope_table import Binding, BindingKind, ScopeBindings, ScopeTable, scope_of_statements

if TYPE_CHECKING:
    from ptlint.rules.engine import FileContext

Scope = Union[cst.Module, cst.FunctionDef]


# torch functions whose result is always a tensor (an allowlist: torch.* also holds
# functions returning ints, bools, dtypes, generators, contexts …).
TENSOR_FUNCS = frozenset(f"torch.{n}" for n in """
tensor as_tensor from_numpy Tensor FloatTensor DoubleTensor HalfTensor BFloat16Tensor LongTensor IntTensor
ShortTensor CharTensor ByteTensor BoolTensor zeros ones empty full rand randn randint randperm normal arange
linspace logspace eye zeros_like ones_like empty_like full_like rand_like randn_like randint_like cat concat
concatenate stack hstack vstack dstack matmul mm bmm mul add sub div pow exp log sqrt abs sum mean std var
prod max min amax amin argmax argmin softmax log_softmax sigmoid tanh relu where clamp clip flatten reshape
transpose permute squeeze unsqueeze t einsum outer dot tril triu masked_fill gather index_select cumsum
bernoulli multinomial polar complex sin cos neg square rsqrt erf floor ceil round sign sort topk
""".split()) | frozenset(f"torch.nn.functional.{n}" for n in """
relu leaky_relu gelu silu elu selu tanh sigmoid softmax log_softmax linear conv1d conv2d conv3d max_pool2d
avg_pool2d dropout embedding one_hot pad interpolate normalize layer_norm batch_norm
""".split())

# Tensor methods whose result is again a tensor with the receiver's leading dims (or a
# new tensor in general).
TENSOR_METHODS = frozenset("""
float double half bfloat16 long int short byte char bool to cpu cuda detach clone contiguous view reshape
view_as reshape_as t transpose permute squeeze unsqueeze flatten unflatten expand expand_as repeat narrow
add sub mul div pow exp log sqrt abs neg sigmoid tanh relu softmax log_softmax clamp clip masked_fill
type_as requires_grad_ add_ sub_ mul_ div_ zero_ fill_ normal_ uniform_ copy_ clamp_ abs_ float_power
matmul mm bmm sum mean std var max min amax amin argmax argmin cumsum prod norm round floor ceil sign
index_select gather scatter where roll flip rot90 chunk_ split_ unfold movedim swapaxes swapdims
""".split())
TENSOR_ATTRS = frozenset({"T", "mT", "H", "mH", "data"})

LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})

# Layers (nn.Module classes in torch.nn) are callables producing tensors.
LAYER_PREFIX = "torch.nn."
NOT_LAYERS = frozenset({"torch.nn.Module", "torch.nn.Parameter", "torch.nn.ModuleList", "torch.nn.ModuleDict",
                        "torch.nn.ParameterList", "torch.nn.ParameterDict"})


@dataclass
class ScopeInfo:
    node: Scope
    # name -> the values of simple ``name = value`` bindings (the scope's own in source order,
    # then those of the class bodies inside it)
    assigns: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    # names bound any other way (params, loops, with, augassign, unpacking, imports, del, global …)
    other: set[str] = field(default_factory=set)
    params: list[str] = field(default_factory=list)

    def single(self, name: str) -> Optional[cst.BaseExpression]:
        vals = self.assigns.get(name)
        if vals is None or len(vals) != 1 or name in self.other:
            return None
        return vals[0]

    def binds(self, name: str) -> bool:
        return name in self.assigns or name in self.other


@dataclass
class ClassInfo:
    node: cst.ClassDef
    base_names: list[str]
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    # self.<attr> -> values assigned to it in any method
    self_assigns: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    self_other: set[str] = field(default_factory=set)  # augmented / unpacked / deleted attrs

    def self_single(self, attr: str) -> Optional[cst.BaseExpression]:
        vals = self.self_assigns.get(attr)
        if vals is None or len(vals) != 1 or attr in self.self_other:
            return None
        return vals[0]


# bindings that give a name its one value in LocalFacts' eyes; every other kind only
# makes lookups more cautious
_VALUE_KINDS = (BindingKind.ASSIGN, BindingKind.ANNOTATED)
# lambda parameters are the lambda's own; comprehension targets never leave their scope
# but are folded in anyway (a more cautious lookup), as they always were
_NOT_FOLDED = frozenset({BindingKind.PARAMETER})


def _fold(facts: "LocalFacts", info: ScopeInfo, sb: ScopeBindings, own: bool) -> None:
    """Fill ``info`` (a function or the module) from ``sb`` and the class, lambda and
    comprehension scopes inside it: LocalFacts looks names up per function, and a class
    body's bindings count as the enclosing function's (cautious, and what the rules were
    written against)."""
    for b in sb.bindings:
        if not own and b.kind in _NOT_FOLDED:
            continue
        if b.kind in _VALUE_KINDS and b.value is not None and isinstance(b.node, (cst.Assign, cst.AnnAssign)) \
                and _plain_target(b):
            info.assigns.setdefault(b.name, []).append(b.value)
        else:
            info.other.add(b.name)
        if b.kind is BindingKind.GLOBAL:
            facts.scopes_by_global.add(b.name)
    if own:
        info.params = sb.params
    for child in sb.children:
        if child.kind == "function":
            _function_facts(facts, child, info)
        else:
            if child.kind == "class":
                _class_facts(facts, child, info)
            _fold(facts, info, child, False)


def _plain_target(b: Binding) -> bool:
    node = b.node
    if isinstance(node, cst.Assign):
        return len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
    return isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name)


def _function_facts(facts: "LocalFacts", sb: ScopeBindings, parent: ScopeInfo) -> None:
    info = ScopeInfo(sb.node)  # type: ignore[arg-type]
    facts.scopes[sb.node] = info
    _fold(facts, info, sb, True)


def _class_facts(facts: "LocalFacts", sb: ScopeBindings, enclosing: ScopeInfo) -> None:
    node: cst.ClassDef = sb.node  # type: ignore[assignment]
    info = ClassInfo(node, [facts.dotted(a.value) or "" for a in node.bases])
    facts.classes[node] = info
    if isinstance(enclosing.node, cst.Module):
        facts.module_classes.setdefault(node.name.value, []).append(info)
    for method in sb.children:
        if method.kind != "function":
            continue
        info.methods.setdefault(method.node.name.value, method.node)  # type: ignore[attr-defined]
        for a in method.self_attrs:
            if a.value is not None and a.kind in _VALUE_KINDS:
                info.self_assigns.setdefault(a.attr, []).append(a.value)
            else:
                info.self_other.add(a.attr)


class LocalFacts:
    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx
        self.scopes: dict[cst.CSTNode, ScopeInfo] = {}
        self.classes: dict[cst.ClassDef, ClassInfo] = {}
        self.module_classes: dict[str, list[ClassInfo]] = {}
        self.scopes_by_global: set[str] = set()
        self._returns: dict[cst.FunctionDef, list[cst.Return]] = {}
        # walrus targets bind inside expressions: only then are they searched
        self.table = ScopeTable(ctx.module, expressions=":=" in ctx.source.text)
        self.module_scope = ScopeInfo(ctx.module)
        self.scopes[ctx.module] = self.module_scope
        _fold(self, self.module_scope, self.table.module, True)

    def dotted(self, node: cst.BaseExpression) -> Optional[str]:
        from ptlint.rules.names import dotted_name

        return dotted_name(node)

    # ------------------------------------------------------------------ scopes
    def scope_info(self, ancestors: Sequence[cst.CSTNode]) -> ScopeInfo:
        """The innermost function (or the module) among ``ancestors``."""
        for node in reversed(ancestors):
            if isinstance(node, cst.FunctionDef):
                info = self.scopes.get(node)
                if info is not None:
                    return info
        return self.module_scope

    def returns_of(self, fn: cst.FunctionDef) -> list[cst.Return]:
        """The ``return`` statements of ``fn`` itself, in source order (a nested function's
        are its own)."""
        found = self._returns.get(fn)
        if found is None:
            found = []
            todo: list[cst.CSTNode] = [fn.body]
            while todo:  # depth first, children in order: source order
                node = todo.pop()
                if isinstance(node, cst.Return):
                    found.append(node)
                elif not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.BaseExpression)):
                    todo.extend(reversed(list(iter_children(node))))
            self._returns[fn] = found
        return found

    def enclosing_method(self, ancestors: Sequence[cst.CSTNode]) -> tuple[Optional[ClassInfo], Optional[cst.FunctionDef]]:
        """(class, method) when the innermost function is a method of a class."""
        for i in range(len(ancestors) - 1, -1, -1):
            node = ancestors[i]
            if isinstance(node, cst.FunctionDef):
                for j in range(i - 1, -1, -1):
                    if isinstance(ancestors[j], cst.ClassDef):
                        cls = self.classes.get(ancestors[j])  # type: ignore[arg-type]
                        if cls is not None and cls.methods.get(node.name.value) is node:
                            return cls, node
                        return None, node
                    if isinstance(ancestors[j], cst.FunctionDef):
                        return None, node
                return None, node
        return None, None

    def class_of_method(self, fn: cst.FunctionDef) -> Optional[ClassInfo]:
        for cls in self.classes.values():
            if cls.methods.get(fn.name.value) is fn:
                return cls
        return None

    def bound_before(self, fn: cst.FunctionDef, name: str, ancestors: Sequence[cst.CSTNode]) -> bool:
        """Whether a statement of ``fn``'s body before the one being visited may rebind
        ``name`` (so a parameter no longer holds the argument). Unknown counts as yes."""
        body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
        current = next((a for a in ancestors if any(a is s for s in body)), None)
        if current is None:
            return True
        for stmt in body:
            if stmt is current:
                return False
            if scope_of_statements([stmt], expressions=True).of(name):
                return True
        return True

    def value_of(self, name: str, scope: ScopeInfo) -> Optional[cst.BaseExpression]:
        """The one value ``name`` was bound to, looking outward to the module scope."""
        if name in self.scopes_by_global:
            return None
        if scope.binds(name):
            return scope.single(name)
        if scope is not self.module_scope and self.module_scope.binds(name):
            return self.module_scope.single(name)
        return None

    def resolve(self, expr: cst.BaseExpression, scope: ScopeInfo, depth: int = 4) -> cst.BaseExpression:
        """Follow single-binding names to the expression they stand for."""
        seen = 0
        while isinstance(expr, cst.Name) and seen < depth:
            v = self.value_of(expr.value, scope)
            if v is None:
                break
            expr = v
            seen += 1
        return expr

    def loader_batch(self, name: str, scope: ScopeInfo, ancestors: Sequence[cst.CSTNode]) -> Optional[cst.Call]:
        """The ``DataLoader(...)`` call when ``name`` is a batch taken from it by an
        enclosing ``for x, y in loader`` (or ``enumerate(loader)``) of the same function.
        A loader with its own ``collate_fn`` or ``batch_size=None`` does not count: only
        the default collation is known to stack samples along a new leading batch dim."""
        if name in scope.assigns:
            return None
        return self.loop_loader(name, scope, ancestors)

    def loop_loader(self, name: str, scope: ScopeInfo, ancestors: Sequence[cst.CSTNode]) -> Optional[cst.Call]:
        """``loader_batch`` for the value the loop bound to ``name``, also where the name is
        rebound later (for a caller that knows it holds the loop's own value: the flow's
        anchor of a loop target)."""
        for anc in reversed(ancestors):
            if isinstance(anc, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if not isinstance(anc, cst.For):
                continue
            it, target = anc.iter, anc.target
            if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "enumerate" \
                    and it.args and not self.module_scope.binds("enumerate"):
                it = it.args[0].value
                if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2:
                    target = target.elements[1].value
            names = [target] if isinstance(target, cst.Name) else (
                [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [])
            if not any(isinstance(n, cst.Name) and n.value == name for n in names):
                continue
            it = self.resolve(it, scope)
            if isinstance(it, cst.Call) and self.ctx.qualname(it.func) in LOADERS:
                if any(a.keyword is not None and a.keyword.value in ("collate_fn", "batch_sampler") for a in it.args):
                    return None
                bs = next((a for a in it.args if a.keyword is not None and a.keyword.value == "batch_size"), None)
                if bs is not None and isinstance(bs.value, cst.Name) and bs.value.value == "None":
                    return None
                return it
            return None
        return None

    # ------------------------------------------------------------------ classes, layers
    def is_module_class(self, cls: ClassInfo, _depth: int = 0) -> bool:
        """Subclasses torch.nn.Module (directly or through a class of this file)."""
        if _depth > 5:
            return False
        for base in cls.base_names:
            q = self.ctx.imports.resolve(base) if base else None
            if q in ("torch.nn.Module", "torch.nn.modules.module.Module"):
                return True
            for other in self.module_classes.get(base, []):
                if other is not cls and self.is_module_class(other, _depth + 1):
                    return True
        return False

    def local_module_class(self, func: cst.BaseExpression) -> Optional[ClassInfo]:
        """``MyModel`` in ``MyModel(...)`` when it is an nn.Module subclass defined once here."""
        if isinstance(func, cst.Name):
            found = self.module_classes.get(func.value, [])
            if len(found) == 1 and self.is_module_class(found[0]) and not self._rebound(func.value):
                return found[0]
        return None

    def _rebound(self, name: str) -> bool:
        return name in self.module_scope.assigns

    def layer_call(self, callee: cst.BaseExpression, scope: ScopeInfo,
                   cls: Optional[ClassInfo]) -> Optional[cst.Call]:
        """The constructor call behind a callable: ``self.fc`` -> ``nn.Linear(3, 4)``,
        ``model`` -> ``nn.Sequential(...)`` / ``MyModel()``; None if unknown."""
        value: Optional[cst.BaseExpression] = None
        if isinstance(callee, cst.Attribute) and cls is not None and isinstance(callee.value, cst.Name) \
                and callee.value.value == "self":
            value = cls.self_single(callee.attr.value)
        elif isinstance(callee, cst.Name):
            value = self.resolve(callee, scope)
            if value is callee:
                value = None
        elif isinstance(callee, cst.Call):
            value = callee  # nn.Linear(3, 4)(x)
        if isinstance(value, cst.Name) and cls is not None:
            value = None
        if isinstance(value, cst.Call):
            q = self.ctx.qualname(value.func)
            if q and q.startswith(LAYER_PREFIX) and q not in NOT_LAYERS and q.split(".")[-1][:1].isupper():
                return value
            if self.local_module_class(value.func) is not None:
                return value
        return None

    def layer_kind(self, call: cst.Call) -> Optional[str]:
        """``torch.nn.Linear`` for a torch layer constructor, ``local:<Class>`` for a
        model class of this file."""
        q = self.ctx.qualname(call.func)
        if q and q.startswith(LAYER_PREFIX):
            return q
        local = self.local_module_class(call.func)
        return f"local:{local.node.name.value}" if local is not None else None

    # ------------------------------------------------------------------ tensors
    def is_tensor(self, expr: cst.BaseExpression, scope: ScopeInfo, cls: Optional[ClassInfo] = None,
                  depth: int = 0) -> bool:
        """True only when ``expr`` is certainly a torch tensor."""
        if depth > 8:
            return False
        if isinstance(expr, cst.Name):
            v = self.value_of(expr.value, scope)
            return v is not None and self.is_tensor(v, scope, cls, depth + 1)
        if isinstance(expr, cst.Call):
            q = self.ctx.qualname(expr.func)
            if q in TENSOR_FUNCS:
                return True
            if isinstance(expr.func, cst.Attribute) and q is None:
                meth = expr.func.attr.value
                if meth in TENSOR_METHODS:
                    return self.is_tensor(expr.func.value, scope, cls, depth + 1)
            callee = self.layer_call(expr.func, scope, cls)
            if callee is not None:
                kind = self.layer_kind(callee) or ""
                return kind.startswith(LAYER_PREFIX) and kind.rsplit(".", 1)[-1] in SINGLE_OUTPUT_LAYERS
            return False
        if isinstance(expr, cst.Attribute) and expr.attr.value in TENSOR_ATTRS:
            return self.is_tensor(expr.value, scope, cls, depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(
                expr.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.MatrixMultiply, cst.Power)):
            return self.is_tensor(expr.left, scope, cls, depth + 1) or self.is_tensor(expr.right, scope, cls, depth + 1)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            return self.is_tensor(expr.expression, scope, cls, depth + 1)
        if isinstance(expr, cst.Subscript):
            return self.is_tensor(expr.value, scope, cls, depth + 1)
        return False

    def is_tensor_through_numpy(self, expr: cst.BaseExpression, scope: ScopeInfo, cls: Optional[ClassInfo] = None,
                                depth: int = 0) -> bool:
        """``is_tensor``, counting NumPy ufuncs of tensors too (``np.exp(t)``, ``np.add(t, 1)``:
        ``torch.Tensor.__array_wrap__`` hands a tensor back; checked with torch 2.x and
        NumPy 1.x/2.x, 0-d tensors included) and arithmetic on them."""
        if depth > 6:
            return False
        if self.is_tensor(expr, scope, cls):
            return True
        if isinstance(expr, cst.Name):
            v = self.value_of(expr.value, scope)
            return v is not None and self.is_tensor_through_numpy(v, scope, cls, depth + 1)
        if isinstance(expr, cst.Call) and self.ctx.qualname(expr.func) in NUMPY_UFUNCS:
            args = expr.args
            if not args or any(a.keyword is not None or a.star for a in args):
                return False  # ``out=`` / ``where=``: the result is whatever they say
            tensors = [self.is_tensor_through_numpy(a.value, scope, cls, depth + 1) for a in args]
            return any(tensors) and all(t or _number(a.value) for t, a in zip(tensors, args))
        if isinstance(expr, cst.BinaryOperation) and isinstance(
                expr.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.Power)):
            return self.is_tensor_through_numpy(expr.left, scope, cls, depth + 1) \
                or self.is_tensor_through_numpy(expr.right, scope, cls, depth + 1)
        return False


def _number(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        expr = expr.expression
    return isinstance(expr, (cst.Integer, cst.Float))


NUMPY_UFUNCS = frozenset(f"numpy.{n}" for n in """
exp exp2 expm1 log log2 log10 log1p sqrt cbrt square abs absolute sin cos tan arcsin arccos arctan sinh cosh tanh
negative floor ceil rint sign reciprocal add subtract multiply divide true_divide power maximum minimum fmax fmin
arctan2 hypot
""".split())


# Layers whose call returns one tensor (RNNs return tuples, so they are not here).
SINGLE_OUTPUT_LAYERS = frozenset("""
Linear Bilinear LazyLinear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d MaxPool1d
MaxPool2d MaxPool3d AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveMaxPool2d
BatchNorm1d BatchNorm2d BatchNorm3d LayerNorm GroupNorm Dropout Dropout1d Dropout2d Embedding ReLU LeakyReLU
GELU SiLU ELU Tanh Sigmoid Softmax LogSoftmax Flatten Unflatten Sequential Identity
""".split())


def call_args(call: cst.Call) -> list[cst.Arg]:
    return list(call.args)


def sequential_entries(call: cst.Call) -> Optional[list[cst.BaseExpression]]:
    """The layer expressions of ``nn.Sequential(a, b, c)`` (None for an OrderedDict form
    or star-args)."""
    out = []
    for a in call.args:
        if a.star or a.keyword is not None:
            return None
        out.append(a.value)
    return out
