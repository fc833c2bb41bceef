"""Definitions and names: ``def`` and ``class`` statements, the evaluation of a function's
body (once, with its parameters as fresh values: the summary every call site reads), and
name lookup through the enclosing scopes and the file's imports.

Contract: ``exec_def``/``exec_class`` register a ``FunctionInfo``/``ClassInfo`` in the
analysis and defer the bodies to the end of the enclosing scope; ``eval_function`` fills
``FunctionInfo.block``/``returns``/``self_assigned``; ``lookup`` answers what a bare name
holds (an enclosing scope's name only when it is bound once there). A mixin of
``interp.Interpreter``."""
from __future__ import annotations

from collections import Counter
from typing import Optional

import libcst as cst

from ..names import dotted_name
from .creation import TYPE_OBJECTS, dtype_from_qualname
from .crossfile import project_function
from .state import ClassInfo, FunctionInfo, Scope, State, param_names, scan_bindings, self_param
from .transfer import NO_GRAD_CONTEXTS
from .values import UNKNOWN, Kind, Value, const_value, join


class ScopesMixin:
    """Definitions and name lookup; mixed into ``Interpreter``."""

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
                site = self.site_params  # a call-site pass of this function (flow/call_sites.py)
                if site is not None and self.site_funcs[-1] is node and site.get(prm.name.value) is not None:
                    v = site[prm.name.value]
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
