"""The abstract interpreter: walks each scope's statements once, keeping an environment
of :class:`Value` facts, and records per expression node what it evaluated to, per loop
the ordered events of one iteration, and the stale reads of memory shared between numpy
and torch. See ``rules/flow/__init__.py`` for the public API."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any, Optional

import libcst as cst

from ..names import dotted_name
from ..shape_arith import PRODUCTS, broadcast_sizes
from . import chain as C
from . import layout as L
from .crossfile import project_function
from .creation import (
    TYPE_OBJECTS, creation_value, data_facts, device_of, dtype_arg, dtype_from_qualname, size_of,
)
from .events import (
    BACKWARD, CLEAR_ALL, CLEAR_MODULE, CLEAR_OPTIMIZER, CLEAR_TENSOR, EXIT, MANUAL_STEP, READ, STEP, WRITE,
    SCHEDULER_STEP, ZERO_GRAD, Branch, Event, Inline, LoopBlock, remap,
)
from .state import ClassInfo, FunctionInfo, Scope, State, join_states, param_names, scan_bindings, self_param
from .tensor_methods import TensorMethods, key_of
from .transfer import (
    CONTIGUOUS_RESULT_FUNCTIONS, NO_GRAD_CONTEXTS, GRAD_SCALERS, INDEX_RESULTS,
    METADATA_ATTRS, METADATA_METHODS, NDARRAY_COPIES, NDARRAY_INPLACE, NDARRAY_VIEWS, NOT_DATA_WRITES,
    NUMPY_WRITE_FIRST, POINTWISE_FUNCTIONS, PURE_BUILTINS,
    REDUCTIONS, SOFT_PRODUCERS, TORCH_FUNCTION_METHODS, looks_like_optimizer,
    looks_like_scaler,
)
from .values import (
    CONTIGUOUS, FLOATING, INTEGRAL, UNKNOWN, Kind, Layout, Mono, Value, const_value, join, mono_product,
    shape_of_sizes, sizes_of,
)


# Methods that take an optimizer without clearing its gradients (GradScaler, accelerate)
_STEPPING = frozenset({"step", "scale", "unscale_", "update", "backward", "clip_grad_norm_", "clip_grad_value_"})
_MAX_DEPTH = 200  # expression nesting we follow; deeper code is left unknown
_SPINE_MIN = 24  # receiver chains (``x.t().t()...``) at least this long are evaluated iteratively
# What a name holds after its statement could not be interpreted, or an expression nested
# deeper than we follow: not a tensor we know anything about (methods on it give unknowns).
OPAQUE = Value(Kind.UNKNOWN, provenance="?opaque")
log = logging.getLogger("ptlint")


@dataclass
class Hazard:
    """An in-place write through one side (numpy / torch) of shared memory that a later
    read through the other side sees."""

    write: Event
    read: cst.CSTNode
    read_value: Value


class Args:
    """Evaluated call arguments."""

    __slots__ = ("pos", "kw", "star")

    def __init__(self, call_args, values, skip: int = 0) -> None:
        self.pos: list = []
        self.kw: dict = {}
        self.star = False
        for a, v in zip(call_args, values):
            if a.star:
                self.star = True
            elif a.keyword is not None:
                self.kw[a.keyword.value] = (a, v)
            elif not self.star:
                self.pos.append((a, v))
        self.pos = self.pos[skip:]

    def get(self, i: Optional[int], name: Optional[str] = None) -> Optional[Value]:
        if name is not None and name in self.kw:
            return self.kw[name][1]
        if i is not None and i < len(self.pos):
            return self.pos[i][1]
        return None

    def node(self, i: Optional[int], name: Optional[str] = None) -> Optional[cst.Arg]:
        if name is not None and name in self.kw:
            return self.kw[name][0]
        if i is not None and i < len(self.pos):
            return self.pos[i][0]
        return None

    def int_const(self, i: Optional[int], name: Optional[str] = None, default: Any = None) -> Any:
        v = self.get(i, name)
        if v is None:
            return default
        return v.const if (v.kind is Kind.INT and isinstance(v.const, int)) else None

    def ints(self, start: int = 0) -> Optional[list]:
        """Positional ints from ``start``, or the items of a single tuple/list argument."""
        vals = [v for _, v in self.pos[start:]]
        if self.star:
            return None
        if len(vals) == 1 and vals[0].kind in (Kind.TUPLE, Kind.LIST) and vals[0].items is not None:
            vals = list(vals[0].items)
        out = []
        for v in vals:
            if v.kind is not Kind.INT or not isinstance(v.const, int):
                return None
            out.append(v.const)
        return out

    def all_values(self) -> list:
        return [v for _, v in self.pos] + [v for _, v in self.kw.values()]


def side_of(v: Value) -> str:
    return "numpy" if v.kind is Kind.NDARRAY else ("torch" if v.kind is Kind.TENSOR else "")


def _mentions_grad(expr: cst.CSTNode) -> bool:
    stack = [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Attribute) and n.attr.value == "grad":
            return True
        stack.extend(n.children)
    return False


def _grad_owner(node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``w`` for ``w.grad`` / ``w.grad.data``."""
    if isinstance(node, cst.Attribute) and node.attr.value == "data":
        node = node.value
    if isinstance(node, cst.Attribute) and node.attr.value == "grad":
        return node.value
    return None


def _grad_reads(expr: cst.CSTNode) -> list:
    """The owners ``w`` of every ``w.grad`` read in ``expr``."""
    out, stack = [], [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Attribute) and n.attr.value == "grad":
            out.append(n.value)
        stack.extend(n.children)
    return out


def _data_owner(node: cst.BaseExpression) -> cst.BaseExpression:
    """``w`` for ``w.data``."""
    if isinstance(node, cst.Attribute) and node.attr.value == "data":
        return node.value
    return node


class Interpreter(TensorMethods):
    def __init__(self, fa: Any) -> None:
        self.fa = fa
        self.imports = fa.ctx.imports
        text = fa.ctx.source.text if fa.ctx.source is not None else ""
        self.default_float: Optional[str] = (
            None if ("set_default_dtype" in text or "set_default_tensor_type" in text) else "float32")
        self.sink: list = fa.module_block
        self.scope: Optional[Scope] = None
        self.loop_frames: list = []  # [ (break_states, continue_states) ]
        self.returns: list = []
        self.self_assigned: set = set()
        self.depth = 0
        self.pre_evaluated: dict = {}  # spine links evaluated ahead by ev_spine
        self.in_spine = False

    # ================================================================== entry
    def run(self, module: cst.Module) -> None:
        counts: Counter = Counter()
        scan_bindings(module.body, counts, set())
        self.scope = Scope("module", module, None, counts)
        self.exec_block(module.body, State())
        self.flush_deferred(self.scope)

    def flush_deferred(self, scope: Scope) -> None:
        while scope.deferred:
            info = scope.deferred.pop(0)
            if info.cls is not None and "__init__" in info.cls.methods:
                self.eval_function(info.cls.methods["__init__"])
            self.eval_function(info)

    # ================================================================== recording
    def record(self, node: cst.CSTNode, v: Value) -> Value:
        values = self.fa._values
        prev = values.get(node)
        values[node] = v if prev is None else join(prev, v)
        return v

    def emit(self, ev: Any) -> None:
        self.sink.append(ev)

    def fresh(self, node: cst.CSTNode, kind: Kind = Kind.UNKNOWN, **kw: Any) -> Value:
        """An unknown value produced at ``node``: its dims and storage get names of their own."""
        return Value(kind, anchor=id(node), storage=("n", id(node)), origin=node, **kw)

    # ================================================================== statements
    def exec_block(self, stmts, st: State) -> State:
        for stmt in stmts:
            if st.dead:
                break
            st = self.exec_stmt(stmt, st)
        return st

    def exec_body(self, body: cst.BaseSuite, st: State) -> State:
        if isinstance(body, cst.IndentedBlock):
            return self.exec_block(body.body, st)
        return self.exec_small(body.body, st)  # type: ignore[attr-defined]

    def exec_small(self, smalls, st: State) -> State:
        for small in smalls:
            if st.dead:
                break
            st = self.exec_simple(small, st)
        return st

    def exec_stmt(self, stmt: cst.CSTNode, st: State) -> State:
        """One statement, contained: a bug in a transfer function costs the facts of this
        statement (its names become opaque), not every flow finding of the file."""
        saved = (self.sink, self.scope, self.depth, len(self.loop_frames), self.self_assigned)
        sink_len = len(self.sink)
        try:
            return self._exec_stmt(stmt, st)
        except RecursionError:
            raise  # the file is nested too deeply: FlowAnalysis says so once
        except Exception as exc:
            self.sink, self.scope, self.depth, frames, self.self_assigned = saved
            del self.loop_frames[frames:]
            del self.sink[sink_len:]
            log.warning("flow analysis skipped a statement at %s: %s: %s",
                        getattr(self.fa.ctx, "path", "?"), type(exc).__name__, exc)
            self.fa.skipped.append(f"{type(exc).__name__}: {exc}")
            counts: Counter = Counter()
            scan_bindings([stmt], counts, set())
            for name in counts:
                st.bind(name, OPAQUE)
            if self.scope is not None:
                for name in counts:
                    self.scope.stable.pop(name, None)
            return st

    def _exec_stmt(self, stmt: cst.CSTNode, st: State) -> State:
        if isinstance(stmt, cst.SimpleStatementLine):
            return self.exec_small(stmt.body, st)
        if isinstance(stmt, cst.If):
            return self.exec_if(stmt, st)
        if isinstance(stmt, cst.For):
            return self.exec_for(stmt, st)
        if isinstance(stmt, cst.While):
            return self.exec_while(stmt, st)
        if isinstance(stmt, cst.With):
            return self.exec_with(stmt, st)
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            return self.exec_try(stmt, st)
        if isinstance(stmt, cst.FunctionDef):
            return self.exec_def(stmt, st)
        if isinstance(stmt, cst.ClassDef):
            return self.exec_class(stmt, st)
        if isinstance(stmt, cst.Match):
            self.ev(stmt.subject, st)
            arms, outs = [], []
            for case in stmt.cases:
                sub = st.copy()
                arm: list = []
                saved, self.sink = self.sink, arm
                try:
                    outs.append(self.exec_body(case.body, sub))
                finally:
                    self.sink = saved
                arms.append(arm)
            arms.append([])
            outs.append(st)
            self.emit(Branch(stmt, arms))
            return join_states(outs)
        return st

    def exec_simple(self, small: cst.CSTNode, st: State) -> State:
        if isinstance(small, cst.Expr):
            self.ev(small.value, st)
        elif isinstance(small, cst.Assign):
            v = self.ev(small.value, st)
            for t in small.targets:
                self.assign(t.target, v, small.value, st)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                v = self.ev(small.value, st)
                self.assign(small.target, v, small.value, st)
        elif isinstance(small, cst.AugAssign):
            self.exec_augassign(small, st)
        elif isinstance(small, cst.Return):
            v = self.ev(small.value, st) if small.value is not None else Value(Kind.NONE)
            self.returns.append(v)
            self.emit(Event(EXIT, small, detail="return"))
            st.dead = True
        elif isinstance(small, cst.Raise):
            if small.exc is not None:
                self.ev(small.exc, st)
            self.emit(Event(EXIT, small, detail="raise"))
            st.dead = True
        elif isinstance(small, (cst.Break, cst.Continue)):
            kind = "break" if isinstance(small, cst.Break) else "continue"
            self.emit(Event(EXIT, small, detail=kind))
            if self.loop_frames:
                self.loop_frames[-1][0 if kind == "break" else 1].append(st.copy())
            st.dead = True
        elif isinstance(small, cst.Assert):
            self.ev(small.test, st)
        elif isinstance(small, cst.Del):
            self._del(small.target, st)
        elif isinstance(small, cst.Import):
            self.imports.add_import(small)
            for alias in small.names:
                local = alias.asname.name.value if (alias.asname is not None and isinstance(alias.asname.name, cst.Name)) \
                    else (dotted_name(alias.name) or "").split(".")[0]
                st.forget(local)
        elif isinstance(small, cst.ImportFrom):
            self.imports.add_import_from(small)
            if not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    local = alias.asname.name.value if (alias.asname is not None and isinstance(alias.asname.name, cst.Name)) \
                        else (dotted_name(alias.name) or "")
                    st.forget(local)
        elif isinstance(small, (cst.Global, cst.Nonlocal)):
            for n in small.names:
                st.forget(n.name.value)
        return st

    def _del(self, target: cst.BaseExpression, st: State) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self._del(el.value, st)
            return
        k = key_of(target)
        if k is not None:
            st.forget(k)
        elif isinstance(target, cst.Subscript):
            self.ev(target.value, st, read=False)

    # ------------------------------------------------------------------ assignment
    def assign(self, target: cst.BaseExpression, v: Value, value_node: Optional[cst.CSTNode], st: State) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if v.kind is Kind.UNKNOWN and v.anchor is None and v.storage is None:
                v = self.fresh(target)
            st.bind(name, v)
            scope = self.scope
            if scope is not None and scope.is_stable(name):
                scope.stable[name] = join(scope.stable.get(name), v)
            self.record(target, v)
        elif isinstance(target, (cst.Tuple, cst.List)):
            self.unpack(target, v, st)
        elif isinstance(target, cst.Attribute):
            self.assign_attr(target, v, value_node, st)
        elif isinstance(target, cst.Subscript):
            self.assign_subscript(target, v, value_node, st)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, Value(Kind.LIST), None, st)

    def unpack(self, target, v: Value, st: State) -> None:
        els = [e.value for e in target.elements]
        starred = any(isinstance(e, cst.StarredElement) for e in target.elements)
        items: Optional[list] = None
        if v.items is not None and not starred and len(v.items) == len(els):
            items = list(v.items)
        elif v.kind is Kind.SIZE and not starred and v.anchor is not None and v.items is None:
            items = [Value(Kind.INT, sym=Mono.sym((v.anchor, i))) for i in range(len(els))]
            owner = v.owner
            if owner is not None and owner in st.env:
                tv = st.env[owner]
                if tv.shape is None and tv.anchor == v.anchor:
                    st.env[owner] = tv.evolve(shape=tuple(it.sym for it in items))
        elif v.elem is not None and not starred:
            items = [v.elem] * len(els)
        for i, t in enumerate(els):
            if items is not None:
                sub = items[i]
            else:
                sub = UNKNOWN
            if isinstance(t, cst.StarredElement):
                self.assign(t.value, Value(Kind.LIST), None, st)
            else:
                self.assign(t, sub, None, st)

    def assign_attr(self, target: cst.Attribute, v: Value, value_node, st: State) -> None:
        key = key_of(target)
        attr = target.attr.value
        owner = target.value
        if attr == "grad":
            ok = key_of(owner)
            ov = self.ev(owner, st, read=False)
            self.emit(Event(ZERO_GRAD, target, ok, ov, CLEAR_TENSOR))
            return
        if attr == "data" and value_node is not None and _mentions_grad(value_node):
            self.emit(Event(MANUAL_STEP, target, key_of(owner), self.ev(owner, st, read=False)))
        recv = self.ev(owner, st, read=False)
        if key is None:
            return
        if v.kind is Kind.UNKNOWN and v.anchor is None and v.storage is None:
            v = self.fresh(target)
        st.bind(key, v)
        self.record(target, v)
        scope = self.scope
        if (recv.kind is Kind.OBJECT and scope is not None and scope.self_name is not None
                and isinstance(owner, cst.Name) and owner.value == scope.self_name):
            self.self_assigned.add(attr)
            info = scope.finfo
            cls = scope.cls
            if cls is not None and info is not None and info.node.name.value == "__init__" and attr in cls.init_attrs:
                cls.init_values[attr] = join(cls.init_values.get(attr), v)

    def assign_subscript(self, target: cst.Subscript, v: Value, value_node, st: State) -> None:
        base = self.ev(target.value, st, read=False)
        self.ev_slices(target, st)
        if value_node is not None and _mentions_grad(value_node) and key_of(target.value) is not None:
            self.emit(Event(MANUAL_STEP, target, key_of(target.value), base))
        self.note_write(target, base, key_of(target.value), st)

    def exec_augassign(self, node: cst.AugAssign, st: State) -> None:
        rhs = self.ev(node.value, st)
        target = node.target
        if isinstance(target, cst.Subscript):
            base = self.ev(target.value, st, read=False)
            self.ev_slices(target, st)
            if _mentions_grad(node.value):
                self.emit(Event(MANUAL_STEP, target, key_of(target.value), base))
            self.note_write(target, base, key_of(target.value), st)
            return
        cur = self.ev(target, st, read=False)
        owner = _data_owner(target)
        if isinstance(node.operator, (cst.SubtractAssign, cst.AddAssign)):
            ov = self.ev(owner, st, read=False) if owner is not target else cur
            step = self.manual_step(target, owner, ov, node.value, st)
            if step is not None:
                self.emit(step)
        if cur.kind.is_array or (cur.kind is Kind.UNKNOWN and cur.storage in st.bridged):
            self.note_write(target, cur, key_of(target), st)
            return  # in place: the value keeps its facts
        op = node.operator
        if cur.kind is Kind.INT and rhs.kind is Kind.INT:
            res = self.int_binop(cur, rhs, type(op).__name__.replace("Assign", ""))
        else:
            res = UNKNOWN
        k = key_of(target)
        if k is not None:
            st.bind(k, res if res.kind is not Kind.UNKNOWN else self.fresh(node))

    # ------------------------------------------------------------------ control flow
    def run_arm(self, body, st: State, node: Optional[cst.CSTNode] = None) -> tuple:
        arm: list = []
        saved, self.sink = self.sink, arm
        try:
            if isinstance(body, list):
                out = self.exec_block(body, st)
            elif isinstance(body, cst.If):
                out = self.exec_if(body, st)
            else:
                out = self.exec_body(body, st)
        finally:
            self.sink = saved
        return out, arm

    def exec_if(self, node: cst.If, st: State) -> State:
        self.ev(node.test, st)
        then_st, then_arm = self.run_arm(node.body, st.copy())
        if node.orelse is None:
            else_st, else_arm = st, []
        elif isinstance(node.orelse, cst.If):
            else_st, else_arm = self.run_arm(node.orelse, st.copy())
        else:
            else_st, else_arm = self.run_arm(node.orelse.body, st.copy())
        self.emit(Branch(node, [then_arm, else_arm]))
        return join_states([then_st, else_st])

    def _loop(self, node: cst.CSTNode, st: State, body_fn) -> State:
        """Evaluate a loop body twice (the second time from the join of the state before
        the loop and after one iteration) and join; events of the last pass are kept."""
        entry = st
        self.loop_frames.append(([], []))
        end1, arm = self._loop_pass(st.copy(), body_fn)
        breaks, conts = self.loop_frames[-1]
        merged = join_states([entry, end1, *conts])
        if not merged.same_as(entry):
            self.loop_frames[-1] = ([], [])
            end2, arm = self._loop_pass(merged.copy(), body_fn)
            breaks2, conts2 = self.loop_frames[-1]
            out = join_states([merged, end2, *conts2, *breaks, *breaks2])
        else:
            out = join_states([merged, *breaks])
        self.loop_frames.pop()
        block = LoopBlock(node, arm)
        self.fa.loops[node] = block
        self.emit(block)
        return out

    def _loop_pass(self, st: State, body_fn) -> tuple:
        arm: list = []
        saved, self.sink = self.sink, arm
        try:
            out = body_fn(st)
        finally:
            self.sink = saved
        return out, arm

    def exec_for(self, node: cst.For, st: State) -> State:
        it = self.ev(node.iter, st)
        elem = self.elem_of(it, node.iter)

        def body(s: State) -> State:
            self.assign(node.target, elem, None, s)
            return self.exec_body(node.body, s)

        out = self._loop(node, st, body)
        if node.orelse is not None:
            out = self.exec_body(node.orelse.body, out)
        return out

    def exec_while(self, node: cst.While, st: State) -> State:
        self.ev(node.test, st)

        def body(s: State) -> State:
            out = self.exec_body(node.body, s)
            if not out.dead:
                self.ev(node.test, out)
            return out

        out = self._loop(node, st, body)
        if node.orelse is not None:
            out = self.exec_body(node.orelse.body, out)
        return out

    def exec_with(self, node: cst.With, st: State) -> State:
        no_grad = st.no_grad
        for item in node.items:
            v = self.ev(item.item, st)
            q = None
            call = item.item
            if isinstance(call, cst.Call):
                q = self.qual(call.func, st)
            if q in NO_GRAD_CONTEXTS:
                st.no_grad = True
            if item.asname is not None:
                self.assign(item.asname.name, v if v.kind is not Kind.UNKNOWN else UNKNOWN, None, st)
        out = self.exec_body(node.body, st)
        if not out.dead:
            out.no_grad = no_grad
        return out

    def exec_try(self, node, st: State) -> State:
        start = st.copy()
        body_st, body_arm = self.run_arm(node.body, st)
        arms = [body_arm]
        outs = []
        if node.orelse is not None:
            saved, self.sink = self.sink, body_arm
            try:
                body_st = self.exec_body(node.orelse.body, body_st)
            finally:
                self.sink = saved
        outs.append(body_st)
        for h in node.handlers:
            hs = join_states([start, body_st]) if not body_st.dead else start.copy()
            if hs.dead:
                hs = start.copy()
            if h.type is not None:
                self.ev(h.type, hs)
            if h.name is not None and isinstance(h.name.name, cst.Name):
                hs.bind(h.name.name.value, self.fresh(h.name.name))
            h_st, h_arm = self.run_arm(h.body, hs)
            arms.append(h_arm)
            outs.append(h_st)
        self.emit(Branch(node, arms))
        out = join_states(outs)
        if node.finalbody is not None:
            fin = self.exec_body(node.finalbody.body, out if not out.dead else start.copy())
            return State(dead=True) if out.dead else fin
        return out

    # ------------------------------------------------------------------ definitions
    def exec_def(self, node: cst.FunctionDef, st: State) -> State:
        info = self.fa.functions.get(node)
        if info is None:
            info = FunctionInfo(node, self.scope)
            info.params = param_names(node)
            self.fa.functions[node] = info
        for d in node.decorators:
            self.ev(d.decorator, st)
        v = Value(Kind.FUNCTION, func=node, origin=node)
        self.assign(node.name, v, None, st)
        if self.scope is not None and self.scope.kind != "class":
            self.scope.deferred.append(info)
        return st

    def exec_class(self, node: cst.ClassDef, st: State) -> State:
        cinfo = ClassInfo(node)
        self.fa.classes[node] = cinfo
        for base in node.bases:
            bv = self.ev(base.value, st)
            if bv.kind is Kind.CLASS and bv.func is not None and bv.func in self.fa.classes:
                b = self.fa.classes[bv.func]
                cinfo.bases.append(b)
                cinfo.is_module = cinfo.is_module or b.is_module
            else:
                q = self.qual(base.value, st)
                if q is not None:
                    cinfo.base_names.append(q)
                    if q.startswith("torch.nn.") or q == "torch.nn.Module":
                        cinfo.is_module = True
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
        methods: list = []
        others: list = []
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                methods.append(stmt)
            else:
                others.append(stmt)
        for m in methods:
            info = FunctionInfo(m, self.scope, cls=cinfo)
            info.params = param_names(m)
            sp = self_param(m)
            info.is_method = sp is not None
            self.fa.functions[m] = info
            cinfo.methods[m.name.value] = info
            if sp is not None:
                counts: Counter = Counter()
                scan_bindings(m.body.body if isinstance(m.body, cst.IndentedBlock) else [], counts, set(), sp,
                              cinfo.attr_counts)
                if m.name.value == "__init__":
                    init_attrs: Counter = Counter()
                    scan_bindings(m.body.body if isinstance(m.body, cst.IndentedBlock) else [], Counter(), set(),
                                  sp, init_attrs)
                    cinfo.init_attrs = set(init_attrs)
        # class body: its assignments are class attributes
        counts = Counter()
        scan_bindings(others, counts, set())
        saved = self.scope
        self.scope = Scope("class", node, saved, counts)
        cst_state = State()
        try:
            cst_state = self.exec_block(others, cst_state)
        finally:
            self.scope = saved
        for k, v in cst_state.env.items():
            if "." not in k and counts.get(k) == 1:
                cinfo.body_values[k] = v
        self.assign(node.name, Value(Kind.CLASS, func=node, spec=node.name.value, origin=node), None, st)
        if self.scope is not None:
            self.scope.deferred.extend(cinfo.methods.values())
        return st

    def eval_function(self, info: FunctionInfo) -> None:
        if info.evaluated or info.running:
            return
        info.running = True
        node = info.node
        saved = (self.sink, self.scope, self.loop_frames, self.returns, self.self_assigned)
        try:
            counts: Counter = Counter()
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
            scan_bindings(body, counts, set())
            sp = self_param(node) if info.cls is not None else None
            for n in info.params:
                counts[n] += 1
            p = node.params
            for extra in (p.star_arg, p.star_kwarg):
                if isinstance(extra, cst.Param):
                    counts[extra.name.value] += 1
            for kwo in p.kwonly_params:
                counts[kwo.name.value] += 1
            scope = Scope("function", node, info.scope_parent, counts, info, info.cls, sp)
            self.scope = scope
            self.sink = info.block
            self.loop_frames = []
            self.returns = []
            self.self_assigned = set()
            st = State(no_grad=self.decorated_no_grad(info.node))
            for prm in (*p.posonly_params, *p.params, *p.kwonly_params):
                v = self.param_value(prm, sp, info)
                st.env[prm.name.value] = v
                if counts[prm.name.value] == 1:
                    scope.stable[prm.name.value] = v
                self.record(prm.name, v)
            for extra in (p.star_arg, p.star_kwarg):
                if isinstance(extra, cst.Param):
                    st.env[extra.name.value] = Value(Kind.TUPLE if extra is p.star_arg else Kind.UNKNOWN)
            if isinstance(node.body, cst.IndentedBlock):
                end = self.exec_block(node.body.body, st)
            else:
                end = self.exec_small(node.body.body, st)  # type: ignore[attr-defined]
            self.flush_deferred(scope)
            rets = list(self.returns)
            if not end.dead:
                rets.append(Value(Kind.NONE))
            acc: Optional[Value] = None
            for r in rets:
                acc = join(acc, r)
            info.returns = acc
            info.self_assigned = set(self.self_assigned)
        finally:
            self.sink, self.scope, self.loop_frames, self.returns, self.self_assigned = saved
            info.running = False
            info.evaluated = True

    def decorated_no_grad(self, fn: cst.FunctionDef) -> bool:
        """``@torch.no_grad()`` / ``@torch.inference_mode()`` on the function."""
        for dec in fn.decorators:
            d = dec.decorator
            if self.imports.qualname(d.func if isinstance(d, cst.Call) else d) in NO_GRAD_CONTEXTS:
                return True
        return False

    def param_value(self, prm: cst.Param, self_name: Optional[str], info: FunctionInfo) -> Value:
        name = prm.name.value
        if self_name is not None and name == self_name and info.cls is not None:
            return Value(Kind.OBJECT, func=info.cls.node, origin=prm)
        ann = prm.annotation.annotation if prm.annotation is not None else None
        if ann is not None:
            q = self.imports.qualname(ann) if isinstance(ann, (cst.Name, cst.Attribute)) else None
            if q in ("torch.Tensor", "torch.FloatTensor", "torch.LongTensor"):
                return self.fresh(prm, Kind.TENSOR)
            if q is not None and q.startswith("torch.optim.") and q.rsplit(".", 1)[-1] in ("Optimizer",):
                return self.fresh(prm, Kind.OPTIMIZER)
            if q in ("numpy.ndarray",):
                return self.fresh(prm, Kind.NDARRAY)
            if isinstance(ann, cst.Name) and ann.value == "int":
                return Value(Kind.INT, origin=prm)
        return self.fresh(prm)

    # ================================================================== names
    def qual(self, node: cst.BaseExpression, st: State) -> Optional[str]:
        """Qualified name of an import-rooted dotted expression, unless a local shadows it."""
        d = dotted_name(node)
        if d is None:
            return None
        if d.split(".")[0] in st.env:
            return None  # imports are never bound in the environment: a local shadows it
        return self.imports.resolve(d)

    def lookup(self, name: str, node: cst.CSTNode, st: State) -> Value:
        v = st.env.get(name)
        if v is not None:
            return v
        scope = self.scope
        if scope is not None and scope.kind == "function" and scope.counts.get(name):
            q = self.imports.resolve(name)
            return self.qual_value(q, node) if q else UNKNOWN
        s = scope.parent if scope is not None else None
        while s is not None:
            if s.kind == "class":
                s = s.parent
                continue
            if s.counts.get(name):
                if s.counts[name] == 1 and name in s.stable:
                    return s.stable[name]
                break
            s = s.parent
        if (helper := project_function(self, name)) is not None:  # another project file's (flow/crossfile.py)
            return helper
        q = self.imports.resolve(name)
        if q is not None:
            return self.qual_value(q, node)
        if name in ("int", "float", "bool", "str", "list", "tuple", "dict"):
            return Value(Kind.CLASS, spec="builtins." + name)
        if name == "None":
            return Value(Kind.NONE)
        if name in ("True", "False"):
            return const_value(name == "True", node)
        return UNKNOWN

    def qual_value(self, q: Optional[str], node: cst.CSTNode) -> Value:
        if q is None:
            return UNKNOWN
        is_dt, dt = dtype_from_qualname(q)
        if is_dt:
            return Value(Kind.DTYPE, const=dt, spec=q)
        if q in TYPE_OBJECTS:
            return Value(Kind.CLASS, spec=q)
        return Value(Kind.UNKNOWN, provenance=q)

    # ================================================================== expressions
    def ev(self, node: cst.BaseExpression, st: State, read: bool = True) -> Value:
        pre = self.pre_evaluated.pop(node, None) if self.pre_evaluated else None
        if pre is not None:
            return pre
        spine = []
        if not self.in_spine and isinstance(node, (cst.Call, cst.Attribute, cst.Subscript)):
            spine = self.ev_spine(node, st)
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                return OPAQUE
            v = self._ev(node, st, read)
        finally:
            self.depth -= 1
            for link in spine:  # a link the evaluation did not ask for (``self.fc`` read from the env)
                self.pre_evaluated.pop(link, None)
        if read and v.storage is not None and v.storage in st.bridged and isinstance(node, (cst.Name, cst.Attribute)):
            self.note_read(node, v, st)
        return self.record(node, self.fa.grad_modes.settle(node, v, st.no_grad))

    def ev_spine(self, node: cst.BaseExpression, st: State) -> list:
        """A long receiver chain (``x.t().t()....view(-1)``, method-chained pipelines) is
        evaluated innermost first, each link once, so the cost is linear and the Python
        stack stays flat: ``ev`` of a link then finds its receiver already evaluated.
        Returns the links evaluated ahead (the caller drops the ones nobody asked for)."""
        spine = []
        n = node
        while True:
            if isinstance(n, cst.Call):
                n = n.func
            elif isinstance(n, (cst.Attribute, cst.Subscript)):
                n = n.value
                if isinstance(n, (cst.Call, cst.Attribute, cst.Subscript)):
                    spine.append(n)
            else:
                break
        if len(spine) < _SPINE_MIN:
            return []
        self.in_spine = True
        try:
            for inner in reversed(spine):
                self.pre_evaluated[inner] = self.ev(inner, st)
        finally:
            self.in_spine = False
        return spine

    def _ev(self, node: cst.BaseExpression, st: State, read: bool) -> Value:
        if isinstance(node, cst.Name):
            return self.lookup(node.value, node, st)
        if isinstance(node, cst.Attribute):
            return self.ev_attribute(node, st, read)
        if isinstance(node, cst.Call):
            return self.ev_call(node, st)
        if isinstance(node, cst.Subscript):
            return self.ev_subscript(node, st, read)
        if isinstance(node, cst.Integer):
            return const_value(node.evaluated_value, node)
        if isinstance(node, cst.Float):
            return const_value(node.evaluated_value, node)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            try:
                val = node.evaluated_value
            except Exception:
                val = None
            return Value(Kind.STR, const=val if isinstance(val, str) else None, origin=node)
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    self.ev(part.expression, st)
            return Value(Kind.STR, origin=node)
        if isinstance(node, cst.UnaryOperation):
            return self.ev_unary(node, st)
        if isinstance(node, cst.BinaryOperation):
            return self.ev_binop(node, st)
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            items = []
            ok = True
            for el in node.elements:
                if isinstance(el, cst.StarredElement):
                    self.ev(el.value, st)
                    ok = False
                else:
                    items.append(self.ev(el.value, st))
            kind = Kind.TUPLE if isinstance(node, cst.Tuple) else (Kind.LIST if isinstance(node, cst.List) else Kind.UNKNOWN)
            if not ok:
                return Value(kind, origin=node)
            elem = None
            if items:
                acc = None
                for it in items:
                    acc = join(acc, it)
                elem = acc
            return Value(kind, items=tuple(items), elem=elem, origin=node)
        if isinstance(node, cst.Dict):
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    self.ev(el.key, st)
                    self.ev(el.value, st)
                else:
                    self.ev(el.value, st)
            return Value(origin=node)
        if isinstance(node, cst.Comparison):
            left = self.ev(node.left, st)
            arrays = [left] if left.kind.is_array else []
            for c in node.comparisons:
                r = self.ev(c.comparator, st)
                if r.kind.is_array:
                    arrays.append(r)
            if arrays:
                a = arrays[0]
                return Value(a.kind, dtype="bool", shape=a.shape if len(arrays) == 1 else None,
                             layout=L.elementwise(a) if (len(arrays) == 1 and a.kind is Kind.TENSOR) else None,
                             storage=("n", id(node)), origin=node, provenance="compare")
            return Value(Kind.BOOL, origin=node)
        if isinstance(node, cst.BooleanOperation):
            a = self.ev(node.left, st)
            b = self.ev(node.right, st)
            if a.kind is Kind.BOOL and b.kind is Kind.BOOL:
                return Value(Kind.BOOL, origin=node)
            return UNKNOWN
        if isinstance(node, cst.IfExp):
            self.ev(node.test, st)
            return join(self.ev(node.body, st), self.ev(node.orelse, st))
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self.ev_comp(node, st)
        if isinstance(node, cst.NamedExpr):
            v = self.ev(node.value, st)
            self.assign(node.target, v, node.value, st)
            return v
        if isinstance(node, cst.Await):
            self.ev(node.expression, st)
            return UNKNOWN
        if isinstance(node, cst.Yield):
            if isinstance(node.value, cst.BaseExpression):
                self.ev(node.value, st)
            elif isinstance(node.value, cst.From):
                self.ev(node.value.item, st)
            return UNKNOWN
        if isinstance(node, cst.Lambda):
            return Value(origin=node)
        if isinstance(node, cst.StarredElement):
            self.ev(node.value, st)
            return UNKNOWN
        if isinstance(node, cst.Ellipsis):
            return Value(origin=node)
        return UNKNOWN

    def ev_comp(self, node, st: State) -> Value:
        sub = st.copy()
        arm: list = []
        saved, self.sink = self.sink, arm
        try:
            f = node.for_in
            while f is not None:
                it = self.ev(f.iter, sub)
                self.assign(f.target, self.elem_of(it, f.iter), None, sub)
                for cond in f.ifs:
                    self.ev(cond.test, sub)
                f = f.inner_for_in
            if isinstance(node, cst.DictComp):
                self.ev(node.key, sub)
                elt = self.ev(node.value, sub)
            else:
                elt = self.ev(node.elt, sub)
        finally:
            self.sink = saved
        if arm:
            self.emit(LoopBlock(node, arm))
        st.pending = st.pending | sub.pending
        if isinstance(node, cst.ListComp):
            return Value(Kind.LIST, elem=elt, origin=node)
        return Value(origin=node, elem=elt)

    def elem_of(self, it: Value, node: cst.CSTNode) -> Value:
        if it.elem is not None:
            return it.elem
        if it.items:
            acc = None
            for x in it.items:
                acc = join(acc, x)
            return acc or UNKNOWN
        if it.kind is Kind.SIZE:
            return Value(Kind.INT)
        if it.kind.is_array:
            lay = L.remove_dim(it, 0, node) if it.kind is Kind.TENSOR else None
            return Value(it.kind, dtype=it.dtype, shape=it.shape[1:] if it.shape else None, layout=lay,
                         storage=it.storage, bridge=it.bridge, origin=node)
        return UNKNOWN

    # ------------------------------------------------------------------ attributes
    def ev_attribute(self, node: cst.Attribute, st: State, read: bool) -> Value:
        key = key_of(node)
        if key is not None and key in st.env:
            return st.env[key]
        q = self.qual(node, st)
        if q is not None:
            return self.qual_value(q, node)
        name = node.attr.value
        recv = self.ev(node.value, st, read=read and name not in METADATA_ATTRS and name != "grad")
        out = self.attr_of(recv, name, node, st)
        return C.extend(out, recv, ("attr", name), node) if name in C.CHAIN_ATTRS else out

    def attr_of(self, r: Value, name: str, node: cst.Attribute, st: State) -> Value:
        if r.kind is Kind.OBJECT and r.func is not None:
            cinfo = self.fa.classes.get(r.func)
            if cinfo is not None:
                v = self.class_attr(cinfo, name)
                if v is not None:
                    return v
            return self.fresh(node)
        if r.kind is Kind.NDARRAY:
            if name == "T":
                return r.evolve(layout=None, origin=node, provenance=".T", shape=tuple(reversed(r.shape)) if r.shape else None)
            if name in ("shape",):
                return self.size_value(r, node, key_of(node.value))
            if name == "ndim":
                return const_value(r.rank, node) if r.rank is not None else Value(Kind.INT)
            if name == "dtype":
                return Value(Kind.DTYPE, const=r.dtype) if r.dtype else Value(Kind.DTYPE)
            if name == "size":
                return Value(Kind.INT, sym=mono_product(r.shape) if r.shape else None)
            return UNKNOWN
        if r.kind in (Kind.TENSOR, Kind.UNKNOWN) and not (r.kind is Kind.UNKNOWN and r.provenance):
            if name in ("T", "mT", "mH", "H"):
                return self.transposed(r, node, name)
            if name == "data":
                return r.evolve(origin=node, requires_grad=False)
            if name == "shape":
                return self.size_value(r, node, key_of(node.value))
            if name == "ndim":
                return const_value(r.rank, node) if r.rank is not None else Value(Kind.INT)
            if name == "dtype":
                return Value(Kind.DTYPE, const=r.dtype) if r.dtype else Value(Kind.DTYPE)
            if name == "device":
                return Value(Kind.DEVICE, const=r.device)
            if name == "grad":
                return self.fresh(node, Kind.TENSOR if r.kind is Kind.TENSOR else Kind.UNKNOWN)
            if name in ("requires_grad", "is_leaf", "is_cuda"):
                return Value(Kind.BOOL)
        if r.kind is Kind.MODULE and name in ("weight", "bias"):
            return self.fresh(node, Kind.TENSOR, requires_grad=True, is_leaf=True)
        return self.fresh(node)

    def class_attr(self, cinfo: ClassInfo, name: str, depth: int = 0) -> Optional[Value]:
        if depth > 10:
            return None
        n = cinfo.attr_counts.get(name, 0)
        if n == 1 and name in cinfo.init_attrs:
            init = cinfo.methods.get("__init__")
            if init is not None and not init.evaluated and not init.running:
                self.eval_function(init)
            v = cinfo.init_values.get(name)
            return v
        if n == 0:
            if name in cinfo.body_values:
                return cinfo.body_values[name]
            m = cinfo.methods.get(name)
            if m is not None:
                return Value(Kind.FUNCTION, func=m.node, spec="method")
            for b in cinfo.bases:
                v = self.class_attr(b, name, depth + 1)
                if v is not None:
                    return v
        return None

    def size_value(self, r: Value, node: cst.CSTNode, owner: Optional[str]) -> Value:
        if r.shape is not None:
            return Value(Kind.SIZE, items=tuple(Value(Kind.INT, sym=d, const=d.coef if d.is_int else None)
                                                for d in r.shape), origin=node, anchor=r.anchor, owner=owner)
        return Value(Kind.SIZE, anchor=r.anchor, owner=owner, origin=node)

    def transposed(self, r: Value, node: cst.CSTNode, name: str) -> Value:
        if name in ("mT", "mH"):
            lay = L.transpose(r, -2, -1, node, name)
            shape = None
            if r.shape is not None and len(r.shape) >= 2:
                shape = r.shape[:-2] + (r.shape[-1], r.shape[-2])
            return self.relaid(r, node, lay, shape, "." + name)
        if r.rank is not None and r.rank < 2:
            return self.relaid(r, node, r.layout, r.shape, "." + name)
        if r.rank is not None and name == "T":
            perm = list(reversed(range(r.rank)))
            return self.relaid(r, node, L.permute(r, perm, node, "T"), tuple(reversed(r.shape or ())), ".T")
        r2 = self.with_rank(r, 2)
        lay = L.transpose(r2, 0, 1, node, "t")
        shape = (r2.shape[1], r2.shape[0]) if r2.shape else None
        return self.relaid(r2, node, lay, shape, "." + name)

    def with_rank(self, r: Value, rank: int) -> Value:
        if r.shape is None and r.anchor is not None and (r.layout is None or r.layout.contiguous):
            return r.evolve(shape=tuple(Mono.sym((r.anchor, i)) for i in range(rank)))
        return r

    def relaid(self, r: Value, node: cst.CSTNode, lay: Optional[Layout], shape, prov: str, **kw: Any) -> Value:
        """A view of ``r`` with a new layout/shape: same storage, dtype, device."""
        kind = Kind.TENSOR if r.kind in (Kind.TENSOR, Kind.UNKNOWN) else r.kind
        return Value(kind, dtype=r.dtype, shape=shape, layout=lay, storage=r.storage, device=r.device,
                     requires_grad=r.requires_grad, is_leaf=(False if r.requires_grad else r.is_leaf),
                     initialized=r.initialized, bridge=r.bridge, anchor=None if shape is not None else None,
                     origin=node, provenance=prov, **kw)

    # ------------------------------------------------------------------ subscripts
    def ev_slices(self, node: cst.Subscript, st: State) -> list:
        out = []
        for el in node.slice:
            s = el.slice
            if isinstance(s, cst.Index):
                out.append(("index", self.ev(s.value, st), s.value))
            elif isinstance(s, cst.Slice):
                parts = [self.ev(p, st) if p is not None else None for p in (s.lower, s.upper, s.step)]
                out.append(("slice", parts, s))
        return out

    def ev_subscript(self, node: cst.Subscript, st: State, read: bool) -> Value:
        base = self.ev(node.value, st, read=read)
        idx = self.ev_slices(node, st)
        if base.kind in (Kind.TUPLE, Kind.LIST, Kind.SIZE):
            if len(idx) == 1 and idx[0][0] == "index":
                v = idx[0][1]
                if v.kind is Kind.INT and isinstance(v.const, int):
                    i = v.const
                    if base.items is not None and -len(base.items) <= i < len(base.items):
                        return base.items[i]
                    if base.kind is Kind.SIZE and base.anchor is not None and i >= 0:
                        return Value(Kind.INT, sym=Mono.sym((base.anchor, i)), origin=node)
                if base.kind is Kind.SIZE:
                    return Value(Kind.INT, origin=node)
                return base.elem if base.elem is not None else UNKNOWN
            if len(idx) == 1 and idx[0][0] == "slice" and base.items is not None:
                lo, hi, step = idx[0][1]
                try:
                    sl = slice(*(p.const if p is not None else None for p in (lo, hi, step)))
                    if all(p is None or (p.kind is Kind.INT and isinstance(p.const, int)) for p in (lo, hi, step)):
                        return Value(base.kind, items=base.items[sl], origin=node)
                except (TypeError, ValueError):
                    pass
            if base.kind is Kind.SIZE:  # ``h, w = x.shape[-2:]``: ints of unknown value
                return Value(Kind.SIZE, elem=Value(Kind.INT), origin=node)
            return Value(base.kind, origin=node)
        if base.kind in (Kind.TENSOR, Kind.UNKNOWN, Kind.NDARRAY):
            if base.kind is Kind.UNKNOWN and base.provenance:
                return self.fresh(node)
            return self.getitem(base, idx, node)
        return self.fresh(node)

    def getitem(self, r: Value, idx: list, node: cst.Subscript) -> Value:
        advanced = False
        for kind, v, _ in idx:
            if kind == "index" and not (v.kind in (Kind.INT, Kind.NONE) or isinstance(_, cst.Ellipsis)):
                advanced = True
        if advanced:
            out = Value(r.kind if r.kind is not Kind.UNKNOWN else Kind.UNKNOWN, dtype=r.dtype, device=r.device,
                        storage=("n", id(node)), origin=node, provenance="[]")
            return out
        cur = r
        shape = list(r.shape) if r.shape is not None else None
        lay: Optional[Layout] = r.layout if r.kind is not Kind.NDARRAY else None
        d = 0
        ok = True
        for pos, (kind, v, n) in enumerate(idx):
            if kind == "index" and isinstance(n, cst.Ellipsis):
                if pos == len(idx) - 1:
                    break
                rank = len(shape) if shape is not None else (lay.rank if lay is not None else None)
                if rank is None:
                    ok = False
                    break
                after = sum(1 for k, vv, nn in idx[pos + 1:] if (k == "slice" or (k == "index" and vv.kind is Kind.INT)))
                d = rank - after
                continue
            if kind == "index" and v.kind is Kind.NONE:
                lay = L.insert_dim(cur.evolve(layout=lay), d) if lay is not None else None
                if shape is not None:
                    shape.insert(d, Mono(1))
                d += 1
            elif kind == "index":
                if r.kind is not Kind.NDARRAY:
                    lay = L.remove_dim(cur.evolve(layout=lay, shape=tuple(shape) if shape is not None else None), d, node)
                if shape is not None:
                    if d < len(shape):
                        shape.pop(d)
                    else:
                        shape = None
            else:
                lo, hi, step = v
                step_c = step.const if (step is not None and step.kind is Kind.INT) else (1 if step is None else None)
                lo_c = lo.const if (lo is not None and lo.kind is Kind.INT) else (None if lo is not None else 0)
                hi_c = hi.const if (hi is not None and hi.kind is Kind.INT) else None
                if not isinstance(step_c, int) or step_c < 1:
                    lay = None
                    if shape is not None and d < len(shape):
                        shape[d] = Mono.sym(("slice", id(node), d))
                    d += 1
                    continue
                size = shape[d] if (shape is not None and d < len(shape)) else None
                full = lo_c == 0 and hi is None and step_c == 1
                if full:
                    d += 1
                    continue
                new_size: Optional[Mono]
                if size is not None and size.is_int and isinstance(lo_c, int) and (hi is None or isinstance(hi_c, int)):
                    new_size = Mono.of(len(range(size.coef)[slice(lo_c, hi_c if hi is not None else None, step_c)]))
                elif (isinstance(lo_c, int) and lo_c != 0) or (isinstance(hi_c, int) and hi_c < 0) or step_c > 1:
                    new_size = Mono.sym(("slice", id(node), d))
                else:
                    new_size = None
                if r.kind is not Kind.NDARRAY and (lay is not None or r.layout is None):
                    tmp = cur.evolve(layout=lay, shape=tuple(shape) if shape is not None else None)
                    lay = L.narrow(tmp, d, new_size, node, "slice", step_c)
                if shape is not None and d < len(shape):
                    shape[d] = new_size if new_size is not None else Mono.sym(("slice", id(node), d))
                d += 1
        if not ok:
            lay, shape = None, None
        kind = r.kind if r.kind is not Kind.UNKNOWN else Kind.UNKNOWN
        return Value(kind, dtype=r.dtype, shape=tuple(shape) if shape is not None else None,
                     layout=lay if r.kind is not Kind.NDARRAY else None, storage=r.storage, device=r.device,
                     requires_grad=r.requires_grad, bridge=r.bridge, initialized=r.initialized, origin=node,
                     provenance="[]")

    # ------------------------------------------------------------------ operators
    def ev_unary(self, node: cst.UnaryOperation, st: State) -> Value:
        v = self.ev(node.expression, st)
        if isinstance(node.operator, cst.Not):
            return Value(Kind.BOOL, origin=node)
        if v.kind in (Kind.INT, Kind.FLOAT) and v.const is not None and not isinstance(v.const, bool):
            if isinstance(node.operator, cst.Minus):
                return const_value(-v.const, node)
            if isinstance(node.operator, cst.Plus):
                return const_value(v.const, node)
        if v.kind.is_array or (v.kind is Kind.UNKNOWN and v.layout is not None):
            out = Value(v.kind, dtype=v.dtype, shape=v.shape, layout=L.elementwise(v) if v.kind is not Kind.NDARRAY else None,
                        storage=("n", id(node)), device=v.device, origin=node, provenance="unary")
            if isinstance(node.operator, cst.Minus):
                out = C.extend(out, v, ("method", "neg", (), ()), node)
            return out
        if v.kind is Kind.INT:
            return Value(Kind.INT, origin=node)
        return UNKNOWN

    def int_binop(self, a: Value, b: Value, op: str) -> Value:
        ca, cb = a.const, b.const
        if isinstance(ca, int) and isinstance(cb, int) and not isinstance(ca, bool) and not isinstance(cb, bool):
            try:
                res = {"Add": ca + cb, "Subtract": ca - cb, "Multiply": ca * cb,
                       "FloorDivide": ca // cb if cb else None, "Modulo": ca % cb if cb else None,
                       "Power": ca ** cb if 0 <= cb < 64 else None}.get(op)
            except Exception:
                res = None
            if isinstance(res, int):
                return const_value(res)
        if op == "Multiply" and a.sym is not None and b.sym is not None:
            return Value(Kind.INT, sym=a.sym * b.sym)
        return Value(Kind.INT)

    def ev_binop(self, node: cst.BinaryOperation, st: State) -> Value:
        a = self.ev(node.left, st)
        b = self.ev(node.right, st)
        op = type(node.operator).__name__
        if a.kind is Kind.INT and b.kind is Kind.INT:
            return self.int_binop(a, b, op).evolve(origin=node)
        if a.kind in (Kind.INT, Kind.FLOAT) and b.kind in (Kind.INT, Kind.FLOAT):
            return Value(Kind.FLOAT, origin=node)
        if a.kind is Kind.STR or b.kind is Kind.STR:
            return Value(Kind.STR, origin=node)
        seqs = (Kind.TUPLE, Kind.LIST, Kind.SIZE)
        if a.kind in seqs and b.kind in seqs and op == "Add" and (a.kind is b.kind or Kind.LIST not in (a.kind, b.kind)):
            # ``(B, -1, H) + q.size()[1:]``: a torch.Size is a tuple
            kind = a.kind if a.kind is b.kind else Kind.TUPLE
            if a.items is not None and b.items is not None:
                return Value(kind, items=a.items + b.items, origin=node)
            return Value(kind, origin=node)
        arrays = [v for v in (a, b) if v.kind.is_array]
        if not arrays and not any(v.kind is Kind.UNKNOWN and v.layout is not None for v in (a, b)):
            return self.fresh(node)
        kind = Kind.TENSOR if any(v.kind is Kind.TENSOR for v in (a, b)) else (
            Kind.NDARRAY if arrays else Kind.UNKNOWN)
        if op == "MatrixMultiply":
            return Value(kind, dtype=self.promote(a, b), layout=CONTIGUOUS if kind is Kind.TENSOR else None,
                         shape=self.matmul_shape(a, b, node), storage=("n", id(node)), origin=node, provenance="@",
                         device=a.device or b.device)
        div = op == "Divide"
        out = Value(kind, dtype=self.promote(a, b, div), shape=self.broadcast(a, b),
                    layout=self.binary_layout(a, b) if kind is not Kind.NDARRAY else None,
                    storage=("n", id(node)), device=a.device if a.kind.is_array else b.device,
                    requires_grad=(True if (a.requires_grad or b.requires_grad) else
                                   (False if (a.requires_grad is False and b.requires_grad in (False, None)
                                              and b.kind not in (Kind.TENSOR, Kind.UNKNOWN)) else None)),
                    origin=node, provenance="arith")
        if op in C.BINOPS:  # ``x * 2`` replays as ``x.mul(2)``; ``2 * x`` too (commutative)
            if b.kind in (Kind.INT, Kind.FLOAT):
                out = C.extend(out, a, C.method_link(C.BINOPS[op], [b]), node)
            elif a.kind in (Kind.INT, Kind.FLOAT) and op in C.COMMUTATIVE:
                out = C.extend(out, b, C.method_link(C.BINOPS[op], [a]), node)
        return out

    def promote(self, a: Value, b: Value, div: bool = False) -> Optional[str]:
        def cat(dt: Optional[str]) -> int:
            return 2 if dt in FLOATING else (1 if dt in INTEGRAL else (0 if dt == "bool" else -1))

        arr_a, arr_b = a.kind.is_array, b.kind.is_array
        if arr_a and not arr_b or arr_b and not arr_a:
            t, s = (a, b) if arr_a else (b, a)
            if s.kind not in (Kind.INT, Kind.FLOAT, Kind.BOOL) or t.dtype is None:
                return None
            if (s.kind is Kind.FLOAT or div) and cat(t.dtype) < 2:
                return self.default_float if t.kind is Kind.TENSOR else "float64"
            if s.kind is Kind.INT and t.dtype == "bool":
                return "int64"
            return t.dtype
        if not (arr_a and arr_b) or a.dtype is None or b.dtype is None:
            return None
        if a.dtype == b.dtype:
            if div and cat(a.dtype) < 2:
                return self.default_float if a.kind is Kind.TENSOR else "float64"
            return a.dtype
        ca, cb = cat(a.dtype), cat(b.dtype)
        if ca != cb:
            return a.dtype if ca > cb else b.dtype
        order = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
        if a.dtype in order and b.dtype in order:
            return max(a.dtype, b.dtype, key=order.index)
        return None

    @staticmethod
    def matmul_shape(a: Value, b: Value, node: cst.CSTNode, product: str = "matmul") -> Optional[tuple]:
        """``a @ b`` and the other matrix products (``shape_arith.PRODUCTS``). When only one
        side's shape is known, the other is taken to have the same rank (batched attention:
        ``(B, H, N, N) @ (B, H, N, D)``)."""
        sa, sb = a.shape, b.shape
        if sa is not None and sb is not None:
            sizes, _ = PRODUCTS[product](sizes_of(sa), sizes_of(sb))
            return shape_of_sizes(sizes)
        if sa is not None and len(sa) < 2 or sb is not None and len(sb) < 2:
            return None
        fresh = Mono.sym(("matmul", id(node)))
        if sa is not None:
            return sa[:-1] + (fresh,)
        if sb is not None:
            return sb[:-2] + (fresh, sb[-1])
        return None

    @staticmethod
    def broadcast(a: Value, b: Value) -> Optional[tuple]:
        if not a.kind.is_array:
            return b.shape if b.kind.is_array else None
        if not b.kind.is_array:
            return a.shape
        if a.shape is None or b.shape is None:
            return None
        if a.shape == b.shape:
            return a.shape
        sizes, _ = broadcast_sizes(sizes_of(a.shape), sizes_of(b.shape))
        return shape_of_sizes(sizes)

    @staticmethod
    def binary_layout(a: Value, b: Value) -> Optional[Layout]:
        """TensorIterator lets the first operand that is not broadcast decide the result's
        strides (verified: ``x.t() + y`` is non-contiguous, ``y + x.t()`` is contiguous)."""
        scalar = (Kind.INT, Kind.FLOAT, Kind.BOOL)
        if a.kind in scalar:
            return L.elementwise(b) if b.kind is not Kind.NDARRAY else None
        if b.kind in scalar:
            return L.elementwise(a)
        if a.layout is not None and b.layout is not None and a.layout.contiguous and b.layout.contiguous:
            return CONTIGUOUS
        ra = a.rank if a.rank is not None else (a.layout.rank if a.layout is not None else None)
        rb = b.rank if b.rank is not None else (b.layout.rank if b.layout is not None else None)
        if ra is None or rb is None:
            return None
        if a.shape is not None and any(d.is_int and d.coef == 1 for d in a.shape):
            return None  # a broadcast dim of the first operand defers to the second
        if ra >= rb:
            return L.elementwise(a)
        return None

    # ================================================================== calls
    def ev_call(self, node: cst.Call, st: State) -> Value:
        func = node.func
        if isinstance(func, cst.Attribute):
            q = self.qual(func, st)
            if q is None:
                name = func.attr.value
                key = key_of(func)
                if key is not None and key in st.env:
                    fv = self.record(func, st.env[key])
                    args = Args(node.args, [self.ev(a.value, st) for a in node.args])
                    return self.call_value(node, func, fv, args, st)
                recv_read = name not in METADATA_METHODS and not (name.endswith("_") and name not in NOT_DATA_WRITES)
                recv = self.ev(func.value, st, read=recv_read)
                if recv.kind is Kind.OBJECT and recv.func is not None and recv.func in self.fa.classes:
                    fv = self.class_attr(self.fa.classes[recv.func], name)
                    if fv is not None and fv.kind is not Kind.FUNCTION:
                        self.record(func, fv)
                        args = Args(node.args, [self.ev(a.value, st) for a in node.args])
                        return self.call_value(node, func, fv, args, st)
                vals = [self.ev(a.value, st) for a in node.args]
                args = Args(node.args, vals)
                return self.call_method(node, func.value, recv, name, args, st)
            vals = [self.ev(a.value, st) for a in node.args]
            return self.call_function(node, q, Args(node.args, vals), st)
        if isinstance(func, cst.Name):
            fv = self.record(func, self.lookup(func.value, func, st))
        else:
            fv = self.ev(func, st, read=False)
        args = Args(node.args, [self.ev(a.value, st) for a in node.args])
        return self.call_value(node, func, fv, args, st)

    def call_value(self, node: cst.Call, func: cst.BaseExpression, fv: Value, args: Args, st: State) -> Value:
        """Call whatever ``func`` evaluated to."""
        if fv.kind is Kind.FUNCTION and fv.func is not None:
            info = self.fa.functions.get(fv.func)
            if info is not None:
                return self.call_local(node, info, args, st, None)
        if fv.kind is Kind.CLASS and fv.func is not None:
            cinfo = self.fa.classes.get(fv.func)
            if cinfo is not None and cinfo.is_module:
                return Value(Kind.MODULE, spec=cinfo.node.name.value, origin=node)
            return self.fresh(node)
        if fv.kind is Kind.CLASS and fv.spec is not None:
            return self.call_function(node, fv.spec, args, st)
        if fv.kind is Kind.UNKNOWN and fv.provenance:
            return self.call_function(node, fv.provenance, args, st)
        if fv.kind is Kind.LOSS:
            return Value(Kind.TENSOR, shape=(), dtype=None, storage=("n", id(node)), origin=node, provenance="loss")
        if fv.kind is Kind.MODULE:
            return self.module_call(node, fv)
        if isinstance(func, cst.Name) and func.value in PURE_BUILTINS:
            return self.call_builtin(node, func.value, args, st)
        self.unknown_call_effects(node, args, st)
        return self.fresh(node)

    def module_call(self, node: cst.Call, fv: Value) -> Value:
        spec = fv.spec or ""
        tuple_out = any(s in spec for s in ("LSTM", "GRU", "RNN", "MultiheadAttention", "Transformer"))
        if spec.startswith("torch.nn.") and not tuple_out:
            return self.fresh(node, Kind.TENSOR)
        return self.fresh(node)

    def unknown_call_effects(self, node: cst.Call, args: Args, st: State) -> None:
        name = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        if name in _STEPPING:
            return self._forget_objects(args, st)
        self._forget_objects(args, st, clears=True, node=node)

    def _forget_objects(self, args: Args, st: State, clears: bool = False, node: Any = None) -> None:
        """An unknown function may mutate the objects it gets (not a tensor's dtype,
        layout or storage: Python cannot rebind the caller's names). An optimizer handed
        to it may get its gradients cleared there (a callback, ``clip_and_step(opt)``)."""
        for a, v in args.pos + list(args.kw.values()):
            k = key_of(a.value)
            if clears and (v.kind is Kind.OPTIMIZER or (v.kind is Kind.UNKNOWN and looks_like_optimizer(k))):
                self.emit(Event(ZERO_GRAD, node, k, v, CLEAR_OPTIMIZER))
            if v.kind in (Kind.OBJECT, Kind.MODULE, Kind.LIST, Kind.UNKNOWN):
                if k is not None:
                    st.forget_attrs(k)
                    if v.kind is Kind.LIST:
                        st.bind(k, Value(Kind.LIST, origin=v.origin))

    def call_builtin(self, node: cst.Call, name: str, args: Args, st: State) -> Value:
        a0 = args.get(0)
        if name == "len" and a0 is not None:
            if a0.items is not None:
                return const_value(len(a0.items), node)
            if a0.kind.is_array:
                d = a0.dim(0)
                return Value(Kind.INT, sym=d, const=d.coef if (d is not None and d.is_int) else None, origin=node)
            return Value(Kind.INT, origin=node)
        if name == "range":
            return Value(origin=node, provenance="range", elem=Value(Kind.INT))
        if name == "enumerate" and a0 is not None:
            return Value(origin=node, elem=Value(Kind.TUPLE, items=(Value(Kind.INT), self.elem_of(a0, node))))
        if name == "zip":
            items = tuple(self.elem_of(v, node) for _, v in args.pos)
            return Value(origin=node, elem=Value(Kind.TUPLE, items=items))
        if name in ("list", "tuple") and a0 is not None:
            kind = Kind.LIST if name == "list" else Kind.TUPLE
            return Value(kind, items=a0.items, elem=a0.elem if a0.elem is not None else (
                self.elem_of(a0, node) if a0.kind is not Kind.UNKNOWN else None), origin=node)
        if name == "int":
            return Value(Kind.INT, sym=a0.sym if (a0 is not None and a0.kind is Kind.INT) else None,
                         const=a0.const if (a0 is not None and a0.kind is Kind.INT) else None, origin=node)
        if name == "float":
            return Value(Kind.FLOAT, origin=node)
        if name in ("isinstance", "issubclass", "hasattr", "callable", "bool", "any", "all"):
            return Value(Kind.BOOL, origin=node)
        if name in ("str", "repr", "format", "chr", "hex", "bin", "oct"):
            return Value(Kind.STR, origin=node)
        if name == "print":
            return Value(Kind.NONE, origin=node)
        if name in ("reversed", "sorted", "iter", "filter") and a0 is not None:
            return Value(Kind.LIST if name == "sorted" else Kind.UNKNOWN, elem=self.elem_of(a0, node), origin=node)
        if name == "next" and a0 is not None:
            return self.elem_of(a0, node) if a0.elem is not None else self.fresh(node)
        return self.fresh(node)

    def call_local(self, node: cst.Call, info: FunctionInfo, args: Args, st: State,
                   bound: Optional[cst.BaseExpression]) -> Value:
        if info.running:
            return self.fresh(node)
        if not info.evaluated:
            self.eval_function(info)
        params = list(info.params)
        mapping: dict = {}
        if bound is not None and info.is_method and params:
            mapping[params[0]] = key_of(bound)
            params = params[1:]
        if args.star:
            for p in params:
                mapping[p] = None
        for i, (a, _) in enumerate(args.pos):
            if i < len(params):
                mapping[params[i]] = key_of(a.value)
        for name, (a, _) in args.kw.items():
            mapping[name] = key_of(a.value)
        for p in params:
            mapping.setdefault(p, None)
        if info.block:
            self.emit(Inline(node, info.node, remap(info.block, mapping, node)))
        if bound is not None and info.self_assigned:
            bk = key_of(bound)
            if bk is not None:
                for attr in info.self_assigned:
                    st.forget(bk + "." + attr)
        r = info.returns
        if r is None or r.kind is Kind.UNKNOWN:
            return self.fresh(node)
        return r.evolve(storage=("n", id(node)) if r.kind.is_array else None, bridge=None)

    # ------------------------------------------------------------------ events of training loops
    def loop_events(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str, args: Args,
                    st: State) -> None:
        k = key_of(recv_node)
        if name in ("backward", "manual_backward"):
            self.emit(Event(BACKWARD, node, k, r))
        elif name == "zero_grad":
            if r.kind is Kind.OPTIMIZER or (r.kind is Kind.UNKNOWN and looks_like_optimizer(k)):
                self.emit(Event(ZERO_GRAD, node, k, r, CLEAR_OPTIMIZER))
            else:
                self.emit(Event(ZERO_GRAD, node, k, r, CLEAR_MODULE))
        elif name == "step":
            if r.kind is Kind.GRAD_SCALER or (r.kind is Kind.UNKNOWN and looks_like_scaler(k)):
                opt = args.get(0, "optimizer")
                an = args.node(0, "optimizer")
                ok = key_of(an.value) if an is not None else None
                if opt is not None and (opt.kind is Kind.OPTIMIZER or (opt.kind is Kind.UNKNOWN and looks_like_optimizer(ok))):
                    self.emit(Event(STEP, node, ok, opt, "scaler"))
            elif r.kind is Kind.OPTIMIZER or (r.kind is Kind.UNKNOWN and looks_like_optimizer(k)):
                closure = args.get(0, "closure")
                if closure is not None and closure.kind is not Kind.NONE:
                    info = self.fa.functions.get(closure.func) if closure.kind is Kind.FUNCTION else None
                    if info is not None:
                        self.call_local(node, info, Args([], []), st, None)
                    else:
                        self.emit(Event(ZERO_GRAD, node, None, None, CLEAR_ALL))
                self.emit(Event(STEP, node, k, r))
            elif r.kind is Kind.SCHEDULER:
                self.emit(Event(SCHEDULER_STEP, node, k, r))
        elif name in ("zero_", "fill_", "detach_", "mul_") and _grad_owner(recv_node) is not None:
            if name != "mul_" or (args.get(0) is not None and args.get(0).const == 0):
                owner = _grad_owner(recv_node)
                self.emit(Event(ZERO_GRAD, node, key_of(owner), self.ev(owner, st, read=False), CLEAR_TENSOR))
        elif name in ("sub_", "add_", "addcdiv_", "addcmul_", "copy_"):
            owner = _data_owner(recv_node)
            ov = self.ev(owner, st, read=False) if owner is not recv_node else r
            for a in node.args:
                step = self.manual_step(node, owner, ov, a.value, st)
                if step is not None:
                    self.emit(step)
                    break

    def manual_step(self, node: cst.CSTNode, owner: cst.BaseExpression, ov: Value, rhs: cst.CSTNode,
                    st: State) -> Optional[Event]:
        """``w -= lr * w.grad`` (or ``w.data.sub_(lr * w.grad)``): a hand-written update of
        ``w`` from its own gradient, keyed by the tensor whose ``.grad`` it reads. An update
        from another tensor's gradient (``norm += (p.grad ** 2).sum()``) is no step, unless
        the two share memory (``tmp = w.detach(); tmp -= lr * w.grad`` updates ``w``)."""
        k = key_of(owner)
        for g in _grad_reads(rhs):
            gk = key_of(_data_owner(g))
            if gk is not None and gk == k:
                return Event(MANUAL_STEP, node, k, ov)
        for g in _grad_reads(rhs):
            gv = self.fa._values.get(g)
            if gv is None:
                gv = self.ev(g, st, read=False)
            if gv.storage is not None and gv.storage == ov.storage:
                return Event(MANUAL_STEP, node, key_of(_data_owner(g)), gv)
        return None

    # ------------------------------------------------------------------ methods
    def call_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str, args: Args,
                    st: State) -> Value:
        if name in ("backward", "manual_backward", "zero_grad", "step") or name.endswith("_"):
            self.loop_events(node, recv_node, r, name, args, st)
        if name in ("parameters", "named_parameters") and r.kind in (Kind.TENSOR, Kind.UNKNOWN, Kind.MODULE,
                                                                     Kind.OBJECT) and not r.provenance:
            return self.params_value(node, key_of(recv_node), name)
        if r.kind is Kind.OBJECT:
            cinfo = self.fa.classes.get(r.func) if r.func is not None else None
            m = self.class_method(cinfo, name) if cinfo is not None else None
            if m is not None:
                return self.call_local(node, m, args, st, recv_node)
            k = key_of(recv_node)
            if any(w in name.lower() for w in ("zero", "grad", "reset", "clear")):
                self.emit(Event(ZERO_GRAD, node, None, None, CLEAR_ALL))  # a method of a base class we cannot see
            self.unknown_call_effects(node, args, st)
            if k is not None and name not in ("log", "print", "register_buffer", "parameters", "named_parameters",
                                              "modules", "children", "state_dict", "train", "eval", "to", "cuda",
                                              "cpu", "zero_grad", "manual_backward", "optimizers"):
                st.forget_attrs(k)
            if name in ("parameters", "named_parameters"):
                return self.params_value(node, k, name)
            return self.fresh(node)
        if r.kind is Kind.MODULE:
            k = key_of(recv_node)
            if name in ("parameters", "named_parameters"):
                return self.params_value(node, k, name)
            if name in ("to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_"):
                return r
            if name in ("forward",):
                return self.module_call(node, r)
            return self.fresh(node)
        if r.kind in (Kind.OPTIMIZER, Kind.SCHEDULER, Kind.GRAD_SCALER, Kind.LOSS):
            if r.kind is Kind.GRAD_SCALER and name == "scale":
                a0 = args.get(0)
                return a0 if a0 is not None else self.fresh(node)
            return self.fresh(node)
        if r.kind is Kind.NDARRAY:
            return self.ndarray_method(node, recv_node, r, name, args, st)
        if r.kind in (Kind.TENSOR, Kind.UNKNOWN):
            if r.kind is Kind.UNKNOWN and r.provenance:
                # a module-level name (``np.random``, ``os.path``): not a tensor
                self.unknown_call_effects(node, args, st)
                return self.fresh(node)
            if r.kind is Kind.UNKNOWN and name in ("parameters", "named_parameters"):
                return self.params_value(node, key_of(recv_node), name)
            return self.tensor_method(node, recv_node, r, name, args, st)
        if r.kind is Kind.LIST and name in ("append", "extend", "insert", "pop", "clear", "remove", "sort"):
            k = key_of(recv_node)
            if k is not None:
                st.bind(k, Value(Kind.LIST, origin=r.origin))
            return self.fresh(node)
        if r.kind is Kind.STR:
            return Value(Kind.STR, origin=node) if name not in ("split",) else Value(Kind.LIST, origin=node)
        self.unknown_call_effects(node, args, st)
        return self.fresh(node)

    def class_method(self, cinfo: ClassInfo, name: str, depth: int = 0) -> Optional[FunctionInfo]:
        if depth > 10:
            return None
        m = cinfo.methods.get(name)
        if m is not None:
            return m if m.is_method else None
        for b in cinfo.bases:
            m = self.class_method(b, name, depth + 1)
            if m is not None:
                return m
        return None

    def params_value(self, node: cst.Call, owner: Optional[str], name: str) -> Value:
        p = Value(Kind.TENSOR, requires_grad=True, is_leaf=True, owner=owner, origin=node, provenance="parameter")
        elem = p if name == "parameters" else Value(Kind.TUPLE, items=(Value(Kind.STR), p))
        return Value(Kind.UNKNOWN, origin=node, provenance=None, owner=owner, elem=elem, spec="parameters")

    def ndarray_method(self, node, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        if name in NDARRAY_INPLACE:
            self.note_write(node, r, key_of(recv_node), st)
            return Value(Kind.NONE, origin=node)
        if name in NDARRAY_VIEWS:
            if name == "view" and args.get(0) is not None and args.get(0).kind is Kind.DTYPE:
                return r.evolve(dtype=args.get(0).const, origin=node, provenance=".view")
            shape = None
            if name == "reshape":
                sizes = self.targets(args)
                if isinstance(sizes, list) and all(isinstance(t, Mono) for t in sizes):
                    shape = tuple(sizes)
            return r.evolve(origin=node, provenance="." + name, shape=shape, layout=None)
        if name in ("copy", "astype", "flatten"):
            dt = r.dtype
            if name == "astype":
                v = args.get(0, "dtype")
                dt = dtype_arg(v, numpy=True)[1] if v is not None else None
                cp = args.get(1, "copy")
                if cp is not None and cp.kind is Kind.BOOL and cp.const is False and dt == r.dtype and dt is not None:
                    return r
            return Value(Kind.NDARRAY, dtype=dt, shape=r.shape if name != "flatten" else None, device="cpu",
                         storage=("n", id(node)), origin=node, provenance="." + name)
        if name in ("tolist",):
            return Value(Kind.LIST, origin=node)
        if name == "item":
            return Value(Kind.FLOAT if r.dtype in FLOATING else (Kind.INT if r.dtype in INTEGRAL else Kind.UNKNOWN),
                         origin=node)
        if name in REDUCTIONS or name in INDEX_RESULTS:
            return Value(Kind.NDARRAY, storage=("n", id(node)), origin=node, provenance="." + name,
                         dtype="int64" if name in INDEX_RESULTS else (r.dtype if r.dtype in FLOATING else None))
        return Value(Kind.NDARRAY if name in NDARRAY_COPIES else Kind.UNKNOWN, storage=("n", id(node)), origin=node)

    # ------------------------------------------------------------------ functions by qualified name
    def call_function(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        if q == "torch.from_numpy":
            a = args.get(0)
            if a is None:
                return self.fresh(node, Kind.TENSOR)
            group = a.storage if a.storage is not None else ("n", id(node))
            self.bridge(group, node, "numpy", st, a)
            return Value(Kind.TENSOR, dtype=a.dtype, shape=a.shape, layout=CONTIGUOUS if a.layout is None and a.provenance and a.provenance.startswith("numpy.") else None,
                         storage=group, device="cpu", requires_grad=False, is_leaf=True, bridge=node, origin=node,
                         provenance=q, anchor=a.anchor)
        if q in ("torch.as_tensor", "torch.asarray"):
            return self.as_tensor(node, q, args, st)
        if q in ("numpy.asarray", "numpy.asanyarray"):
            a = args.get(0)
            dv = args.get(1, "dtype")
            if a is not None and a.kind is Kind.NDARRAY and dv is None:
                return a
            if a is not None and a.kind is Kind.TENSOR and dv is None:
                group = a.storage if a.storage is not None else ("n", id(node))
                if a.device in ("cpu", None):
                    self.bridge(group, node, "torch", st)
                    return Value(Kind.NDARRAY, dtype=a.dtype, shape=a.shape, storage=group, device="cpu",
                                 bridge=node, origin=node, provenance=q)
        created = creation_value(q, node, lambda e: self.fa._values.get(e, UNKNOWN), self.default_float)
        if created is not None:
            if created.kind is Kind.TENSOR and st.no_grad:
                created = created.evolve(requires_grad=False)
            return C.start(created.evolve(storage=("n", id(node)), anchor=id(node) if created.shape is None else None), node)
        if q == "numpy.copy" or q == "copy.deepcopy" or q == "copy.copy":
            a = args.get(0)
            return (a or Value()).evolve(storage=("n", id(node)), bridge=None, origin=node, provenance=q) if (
                a is not None and a.kind.is_array) else self.fresh(node)
        if q.startswith("torch.") and q.rpartition(".")[2] in TORCH_FUNCTION_METHODS and q.count(".") == 1:
            a = args.get(0, "input")
            an = args.node(0, "input")
            if a is not None and an is not None and (a.kind in (Kind.TENSOR, Kind.UNKNOWN)):
                sub = Args([], [])
                sub.pos = args.pos[1:]
                sub.kw = {k: v for k, v in args.kw.items() if k != "input"}
                sub.star = args.star
                return self.tensor_method(node, an.value, a, q.rpartition(".")[2], sub, st)
        if q in POINTWISE_FUNCTIONS:
            a = args.get(0, "input")
            b = args.get(1, "other")
            if a is None:
                return self.fresh(node, Kind.TENSOR)
            fn = q.rpartition(".")[2]
            if b is not None and q.startswith("torch.") and not q.startswith("torch.nn") and fn not in (
                    "clamp", "clip", "pow", "round", "flip", "nan_to_num", "where"):
                lay, dt, shape = self.binary_layout(a, b), self.promote(a, b), self.broadcast(a, b)
            else:
                lay, dt, shape = L.elementwise(a) if a.kind is not Kind.NDARRAY else None, a.dtype, a.shape
            if fn == "where":
                dt = None
            return Value(Kind.TENSOR, dtype=dt, shape=shape, layout=lay, storage=("n", id(node)), device=a.device,
                         requires_grad=a.requires_grad, anchor=a.anchor if shape is a.shape else None, origin=node,
                         provenance=q)
        fn = q.rpartition(".")[2]
        if q in ("torch.nn.functional.softmax", "torch.nn.functional.log_softmax", "torch.softmax",
                 "torch.log_softmax", "torch.nn.functional.gumbel_softmax", "torch.nn.functional.normalize",
                 "torch.nn.functional.softmin", "torch.special.softmax", "torch.special.log_softmax",
                 "torch.sigmoid", "torch.nn.functional.sigmoid"):
            a = args.get(0, "input")
            if a is None:
                return self.fresh(node, Kind.TENSOR)
            return Value(Kind.TENSOR, dtype=a.dtype if a.dtype in FLOATING else None, shape=a.shape,
                         storage=("n", id(node)), device=a.device, anchor=a.anchor, origin=node,
                         provenance=fn if fn in SOFT_PRODUCERS else q)
        if q == "torch.nn.functional.one_hot":
            a = args.get(0, "tensor")
            n = args.get(1, "num_classes")
            shape = None
            if a is not None and a.shape is not None:
                c = n.sym if (n is not None and n.kind is Kind.INT and n.sym is not None and n.const != -1) else \
                    Mono.sym(("one_hot", id(node)))
                shape = a.shape + (c,)
            return Value(Kind.TENSOR, dtype="int64", shape=shape, layout=CONTIGUOUS, storage=("n", id(node)),
                         device=a.device if a is not None else None, origin=node, provenance="one_hot")
        if q in CONTIGUOUS_RESULT_FUNCTIONS:
            vals = [v for _, v in args.pos]
            dt = self.promote(vals[0], vals[1]) if len(vals) == 2 else None
            product = q.rpartition(".")[2]
            shape = self.matmul_shape(vals[0], vals[1], node, product) if (
                len(vals) == 2 and product in PRODUCTS) else None
            return Value(Kind.TENSOR, dtype=dt, shape=shape, layout=CONTIGUOUS, storage=("n", id(node)), origin=node,
                         provenance=q)
        if q in ("torch.cat", "torch.stack", "torch.concat", "torch.concatenate", "torch.hstack", "torch.vstack"):
            seq = args.get(0, "tensors")
            dt = None
            if seq is not None and seq.items:
                dts = {it.dtype for it in seq.items}
                dt = dts.pop() if len(dts) == 1 else None
            elif seq is not None and seq.elem is not None:
                dt = seq.elem.dtype
            return Value(Kind.TENSOR, dtype=dt, storage=("n", id(node)), origin=node, provenance=q)
        if q in ("torch.argmax", "torch.argmin", "torch.randint_like"):
            return Value(Kind.TENSOR, dtype="int64", storage=("n", id(node)), origin=node, provenance=q)
        if q == "torch.device":
            a = args.get(0, "type")
            return Value(Kind.DEVICE, const=device_of(a) if a is not None else None, origin=node)
        if q == "torch.autograd.backward":
            self.emit(Event(BACKWARD, node, None, None))
            return Value(Kind.NONE, origin=node)
        if q in NUMPY_WRITE_FIRST or (q.startswith("torch.nn.init.") and q.endswith("_")):
            an = args.node(0, None)
            a = args.get(0)
            if a is not None and an is not None:
                self.note_write(node, a, key_of(an.value), st)
            return self.fresh(node)
        if "out" in args.kw:
            an, a = args.kw["out"]
            self.note_write(node, a, key_of(an.value), st)
            return a
        ctor = self.constructor(node, q, args)
        if ctor is not None:
            return ctor
        if q.startswith("torch.nn.functional.") and fn in ("cross_entropy", "nll_loss", "mse_loss", "l1_loss",
                                                             "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                                             "kl_div", "smooth_l1_loss"):
            return Value(Kind.TENSOR, shape=(), storage=("n", id(node)), origin=node, provenance="loss")
        if q.startswith("builtins."):
            return self.call_builtin(node, q.rpartition(".")[2], args, st)
        if q.startswith("torch.") or q.startswith("numpy."):
            return self.fresh(node)  # library functions do not mutate their arguments' attributes
        self.unknown_call_effects(node, args, st)
        return self.fresh(node)

    def constructor(self, node: cst.Call, q: str, args: Args) -> Optional[Value]:
        parts = q.split(".")
        last = parts[-1]
        if not last[:1].isupper():
            return None
        if q in GRAD_SCALERS:
            return Value(Kind.GRAD_SCALER, spec=q, origin=node)
        if q.startswith("torch.optim.lr_scheduler."):
            return Value(Kind.SCHEDULER, spec=q, origin=node)
        if q.startswith("torch.optim.") and len(parts) == 3:
            pa = args.node(0, "params")
            return Value(Kind.OPTIMIZER, spec=q, origin=node, params_of=self.params_root(pa.value) if pa else None)
        if q.startswith("torch.nn.") and (last.endswith("Loss") or last == "CrossEntropyLoss"):
            return Value(Kind.LOSS, spec=q, origin=node)
        if q.startswith("torch.nn.") and len(parts) == 3:
            return Value(Kind.MODULE, spec=q, origin=node)
        return None

    @staticmethod
    def params_root(expr: cst.BaseExpression) -> Optional[str]:
        """``model`` for ``model.parameters()`` / ``self.net.parameters()``."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in ("parameters", "named_parameters"):
            return key_of(expr.func.value)
        return None

    def as_tensor(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        a = args.get(0, "data")
        if a is None:
            return self.fresh(node, Kind.TENSOR)
        dv = args.get(1, "dtype")
        given, dt = dtype_arg(dv) if dv is not None else (False, None)
        dev = args.get(2 if q == "torch.as_tensor" else None, "device")
        device = device_of(dev) if dev is not None else "cpu"
        if a.kind in (Kind.NDARRAY, Kind.TENSOR):
            same_dtype = (not given) or (dt is not None and dt == a.dtype)
            same_dev = device in ("cpu",) if a.kind is Kind.NDARRAY else (dev is None)
            if same_dtype and same_dev:
                group = a.storage if a.storage is not None else ("n", id(node))
                if a.kind is Kind.NDARRAY:
                    self.bridge(group, node, "numpy", st)
                    return Value(Kind.TENSOR, dtype=a.dtype, shape=a.shape, storage=group, device="cpu",
                                 bridge=node, origin=node, provenance=q, anchor=a.anchor)
                return a.evolve(origin=node)
            known = (not given or dt is not None) and (dev is None or device is not None)
            return Value(Kind.TENSOR, dtype=dt if given else a.dtype, shape=a.shape,
                         storage=("n", id(node)) if known else None, device=device, origin=node, provenance=q)
        created = creation_value("torch.tensor", node, lambda e: self.fa._values.get(e, UNKNOWN), self.default_float)
        if created is not None:
            return C.start(created.evolve(storage=("n", id(node)), provenance=q), node)
        return self.fresh(node, Kind.TENSOR)

    # ------------------------------------------------------------------ shared memory
    def bridge(self, group: Any, node: cst.CSTNode, source_side: str, st: State, source: Optional[Value] = None) -> None:
        if source is not None and source.initialized is False:
            return  # filling an uninitialised buffer (torch.empty) through the other side is the point
        st.bridged = st.bridged | {group}
        self.fa.bridges.setdefault(group, (node, source_side))

    def note_write(self, node: cst.CSTNode, v: Value, key: Optional[str], st: State) -> None:
        g = v.storage
        if g is None or g not in st.bridged:
            return
        side = side_of(v) or self._source_side(g)
        if not side:
            return
        ev = Event(WRITE, node, key, v, group=g, side=side)
        st.pending = st.pending | {ev}
        self.emit(ev)

    def _source_side(self, g: Any) -> str:
        b = self.fa.bridges.get(g)
        return b[1] if b else ""

    def note_read(self, node: cst.CSTNode, v: Value, st: State) -> None:
        side = side_of(v) or self._source_side(v.storage)
        if not side:
            return
        self.emit(Event(READ, node, key_of(node), v, group=v.storage, side=side))
        for w in st.pending:
            if w.group == v.storage and w.side != side:
                self.fa._note_hazard(w, node, v)


__all__ = ["Interpreter", "Hazard", "key_of", "Args", "side_of", "data_facts", "size_of"]
