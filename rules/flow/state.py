"""The interpreter's per-path state, scopes and the binding pre-scan."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst

from ..astutil import target_names
from .values import UNKNOWN, Value, join

_MISSING = object()


class State:
    """Environment along one path: dotted key ("x", "self.fc") -> Value, plus the
    storage groups shared across numpy/torch so far and the in-place writes to them
    that may still be seen."""

    __slots__ = ("env", "bridged", "pending", "no_grad", "dead", "_dotted")

    def __init__(self, env: Optional[dict] = None, bridged: frozenset = frozenset(),
                 pending: frozenset = frozenset(), no_grad: bool = False, dead: bool = False) -> None:
        self.env: dict[str, Value] = env if env is not None else {}
        self.bridged = bridged
        self.pending = pending
        self.no_grad = no_grad
        self.dead = dead
        # first name -> the dotted keys under it ("self" -> {"self.fc", "self.fc.weight"}), so
        # binding a plain name does not scan the whole environment (a module of 50,000 names)
        self._dotted: dict[str, set] = {}
        for k in self.env:
            if "." in k:
                self._dotted.setdefault(k.split(".", 1)[0], set()).add(k)

    def copy(self) -> "State":
        return State(dict(self.env), self.bridged, self.pending, self.no_grad, self.dead)

    def same_as(self, other: "State") -> bool:
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
    return State(env, bridged, pending, all(s.no_grad for s in live) and first.no_grad)


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
def _names_in_target(t: cst.BaseExpression, out: Counter) -> None:
    out.update(target_names(t))


def _attrs_in_target(t: cst.BaseExpression, self_name: str, out: Counter) -> None:
    if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == self_name:
        out[t.attr.value] += 1
    elif isinstance(t, (cst.Tuple, cst.List)):
        for el in t.elements:
            _attrs_in_target(el.value, self_name, out)
    elif isinstance(t, cst.StarredElement):
        _attrs_in_target(t.value, self_name, out)


def scan_bindings(stmts, counts: Counter, globals_: set, self_name: Optional[str] = None,
                  attrs: Optional[Counter] = None, augmented: bool = True) -> None:
    """Count binding sites per name in one scope (nested defs/classes count as one
    binding of their name; their bodies are separate scopes). With ``self_name``, also
    count ``self.X`` binding sites into ``attrs``."""
    for stmt in stmts:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets: list = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    if small.value is not None:
                        targets = [small.target]
                elif isinstance(small, cst.AugAssign):
                    targets = [small.target] if augmented else []
                elif isinstance(small, (cst.Import, cst.ImportFrom)):
                    if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
                        continue
                    for alias in small.names:  # type: ignore[union-attr]
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            counts[alias.asname.name.value] += 1
                        else:
                            n = alias.name
                            while isinstance(n, cst.Attribute):
                                n = n.value
                            if isinstance(n, cst.Name):
                                counts[n.value] += 1
                elif isinstance(small, (cst.Global, cst.Nonlocal)):
                    for n in small.names:
                        globals_.add(n.name.value)
                        counts[n.name.value] += 2  # assigned from elsewhere too: never stable
                elif isinstance(small, cst.Del):
                    _names_in_target(small.target, counts)
                for t in targets:
                    _names_in_target(t, counts)
                    if self_name is not None and attrs is not None:
                        _attrs_in_target(t, self_name, attrs)
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            counts[stmt.name.value] += 1
        elif isinstance(stmt, (cst.If, cst.While)):
            scan_bindings(stmt.body.body, counts, globals_, self_name, attrs, augmented)
            if stmt.orelse is not None:
                scan_bindings([stmt.orelse] if isinstance(stmt.orelse, cst.If) else stmt.orelse.body.body,
                              counts, globals_, self_name, attrs, augmented)
        elif isinstance(stmt, cst.For):
            _names_in_target(stmt.target, counts)
            counts.update(_loop_extra(stmt.target))
            if self_name is not None and attrs is not None:
                _attrs_in_target(stmt.target, self_name, attrs)
            scan_bindings(stmt.body.body, counts, globals_, self_name, attrs, augmented)
            if stmt.orelse is not None:
                scan_bindings(stmt.orelse.body.body, counts, globals_, self_name, attrs, augmented)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            scan_bindings(stmt.body.body, counts, globals_, self_name, attrs, augmented)
            for h in stmt.handlers:
                if h.name is not None and isinstance(h.name.name, cst.Name):
                    counts[h.name.name.value] += 1
                scan_bindings(h.body.body, counts, globals_, self_name, attrs, augmented)
            if stmt.orelse is not None:
                scan_bindings(stmt.orelse.body.body, counts, globals_, self_name, attrs, augmented)
            if stmt.finalbody is not None:
                scan_bindings(stmt.finalbody.body.body, counts, globals_, self_name, attrs, augmented)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                if item.asname is not None:
                    _names_in_target(item.asname.name, counts)
            scan_bindings(stmt.body.body, counts, globals_, self_name, attrs, augmented)
        elif isinstance(stmt, cst.Match):
            for case in stmt.cases:
                scan_bindings(case.body.body, counts, globals_, self_name, attrs, augmented)
                for n in _pattern_names(case.pattern):
                    counts[n] += 2


def _loop_extra(target: cst.BaseExpression) -> Counter:
    # A loop target is rebound every iteration: never a stable name.
    c: Counter = Counter()
    _names_in_target(target, c)
    return c


def _pattern_names(pattern: cst.CSTNode) -> list:
    out = []
    stack = [pattern]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.MatchAs) and n.name is not None:
            out.append(n.name.value)
        if isinstance(n, cst.MatchStar) and n.name is not None:
            out.append(n.name.value)
        stack.extend(n.children)
    return out


def self_param(fn: cst.FunctionDef) -> Optional[str]:
    """Name of the instance parameter of a method (None for static/class methods)."""
    for d in fn.decorators:
        dec = d.decorator
        name = dec.value if isinstance(dec, cst.Name) else (dec.attr.value if isinstance(dec, cst.Attribute) else "")
        if name in ("staticmethod", "classmethod"):
            return None
    params = fn.params.posonly_params or fn.params.params
    if not params:
        return None
    return params[0].name.value


def param_names(fn: cst.FunctionDef) -> list:
    p = fn.params
    return [x.name.value for x in (*p.posonly_params, *p.params)]
