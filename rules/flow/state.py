"""The interpreter's per-path state, scopes and the binding pre-scan."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst

from ..scope_table import DECLARATIONS, BindingKind, scope_of_statements, self_param  # noqa: F401  (self_param: re-exported)
from .values import UNKNOWN, Value, join

_MISSING = object()


class State:
    """Environment along one path: dotted key ("x", "self.fc") -> Value, plus the
    storage groups shared across numpy/torch so far and the in-place writes to them
    that may still be seen; ``backward``: a ``backward()`` of this scope may have run
    before this point on this path (a loop's second pass starts after its first)."""

    __slots__ = ("env", "bridged", "pending", "no_grad", "dead", "backward", "_dotted")

    def __init__(self, env: Optional[dict] = None, bridged: frozenset = frozenset(),
                 pending: frozenset = frozenset(), no_grad: bool = False, dead: bool = False,
                 backward: bool = False) -> None:
        self.env: dict[str, Value] = env if env is not None else {}
        self.bridged = bridged
        self.pending = pending
        self.no_grad = no_grad
        self.dead = dead
        self.backward = backward
        # first name -> the dotted keys under it ("self" -> {"self.fc", "self.fc.weight"}), so
        # binding a plain name does not scan the whole environment (a module of 50,000 names)
        self._dotted: dict[str, set] = {}
        for k in self.env:
            if "." in k:
                self._dotted.setdefault(k.split(".", 1)[0], set()).add(k)

    def copy(self) -> "State":
        return State(dict(self.env), self.bridged, self.pending, self.no_grad, self.dead, self.backward)

    def same_as(self, other: "State") -> bool:
        """The same facts for every value and memory (``backward`` aside: a loop whose body
        only ran a backward needs no second pass for it, ``_loop`` settles its reads)."""
        return (self.dead == other.dead and self.bridged == other.bridged and self.pending == other.pending
                and self.env == other.env)

    def _under(self, key: str) -> list:
        """Keys strictly below ``key`` (``self.fc.weight`` under ``self.fc``)."""
        group = self._dotted.get(key.split(".", 1)[0])
        if not group:
            return []
        prefix = key + "."
        return [k for k in group if k.startswith(prefix)]

    def _drop(self, k: str) -> None:
        del self.env[k]
        if "." in k:
            group = self._dotted.get(k.split(".", 1)[0])
            if group is not None:
                group.discard(k)

    def bind(self, key: str, value: Value) -> None:
        for k in self._under(key):
            self._drop(k)
        self.env[key] = value
        if "." in key:
            self._dotted.setdefault(key.split(".", 1)[0], set()).add(key)

    def forget(self, key: str) -> None:
        for k in self._under(key):
            self._drop(k)
        if key in self.env:
            self._drop(key)

    def forget_attrs(self, key: str, keep: frozenset = frozenset()) -> None:
        prefix = key + "."
        for k in self._under(key):
            if k[len(prefix):].split(".")[0] not in keep:
                self._drop(k)


def join_states(states: list) -> State:
    live = [s for s in states if s is not None and not s.dead]
    if not live:
        return State(dead=True)
    if len(live) == 1:
        return live[0].copy()
    first = live[0]
    env: dict[str, Value] = {}
    keys = set()
    for s in live:
        keys.update(s.env)
    for k in keys:
        vals = [s.env.get(k, _MISSING) for s in live]
        if "." in k and any(v is _MISSING for v in vals):
            continue  # an attribute set on one path only: unknown after the join
        acc: Optional[Value] = None
        for v in vals:
            if v is not _MISSING:
                acc = join(acc, v)  # type: ignore[arg-type]
        env[k] = acc if acc is not None else UNKNOWN
    bridged = frozenset().union(*(s.bridged for s in live))
    pending = frozenset().union(*(s.pending for s in live))
    return State(env, bridged, pending, all(s.no_grad for s in live) and first.no_grad,
                 backward=any(s.backward for s in live))


# ---------------------------------------------------------------------- scopes
@dataclass
class FunctionInfo:
    node: cst.FunctionDef
    scope_parent: Any  # Scope the def appears in
    cls: Any = None  # ClassInfo for methods
    evaluated: bool = False
    running: bool = False
    block: list = field(default_factory=list)  # events of one call (see events.py)
    returns: Optional[Value] = None
    self_assigned: set = field(default_factory=set)  # attributes of self it assigns
    params: list = field(default_factory=list)  # parameter names in order (self included)
    is_method: bool = False


@dataclass
class ClassInfo:
    node: cst.ClassDef
    methods: dict = field(default_factory=dict)  # name -> FunctionInfo
    attr_counts: Counter = field(default_factory=Counter)  # self.X binding sites, all methods
    init_attrs: set = field(default_factory=set)  # X assigned in __init__
    init_values: dict = field(default_factory=dict)  # X -> Value assigned in __init__
    body_values: dict = field(default_factory=dict)  # class-level attributes
    bases: list = field(default_factory=list)  # local ClassInfo bases
    base_names: list = field(default_factory=list)  # qualified names of other bases
    is_module: bool = False  # subclasses torch.nn.Module (directly or through local classes)


class Scope:
    def __init__(self, kind: str, node: cst.CSTNode, parent: Optional["Scope"], counts: Counter,
                 finfo: Optional[FunctionInfo] = None, cls: Optional[ClassInfo] = None,
                 self_name: Optional[str] = None) -> None:
        self.kind = kind
        self.node = node
        self.parent = parent
        self.counts = counts
        self.stable: dict[str, Value] = {}
        self.finfo = finfo
        self.cls = cls
        self.self_name = self_name
        self.deferred: list[FunctionInfo] = []

    def is_stable(self, name: str) -> bool:
        return self.counts.get(name, 0) == 1


# ---------------------------------------------------------------------- pre-scan
# Binding sites that make a name never stable: a loop target is rebound every iteration,
# a global/nonlocal is assigned from elsewhere too, a case pattern binds on a match only.
_NEVER_STABLE = frozenset({BindingKind.LOOP, BindingKind.GLOBAL, BindingKind.NONLOCAL, BindingKind.PATTERN})
# self.X binding sites the interpreter follows
_ATTR_SITES = frozenset({BindingKind.ASSIGN, BindingKind.ANNOTATED, BindingKind.AUGMENTED, BindingKind.LOOP})


def scan_bindings(stmts, counts: Counter, globals_: set, self_name: Optional[str] = None,
                  attrs: Optional[Counter] = None, augmented: bool = True) -> None:
    """Count binding sites per name in one scope, from the binding table of these
    statements (nested defs/classes count as one binding of their name; their bodies are
    separate scopes). With ``self_name``, also count ``self.X`` binding sites into ``attrs``."""
    sb = scope_of_statements(list(stmts), self_name if attrs is not None else None)
    for b in sb.bindings:
        if b.kind is BindingKind.AUGMENTED and not augmented:
            continue
        if b.kind in DECLARATIONS:
            globals_.add(b.name)
        counts[b.name] += 2 if b.kind in _NEVER_STABLE else 1
    if attrs is not None:
        for a in sb.self_attrs:
            if a.kind in _ATTR_SITES and (augmented or a.kind is not BindingKind.AUGMENTED):
                attrs[a.attr] += 1


def param_names(fn: cst.FunctionDef) -> list:
    p = fn.params
    return [x.name.value for x in (*p.posonly_params, *p.params)]
