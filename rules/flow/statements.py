"""Statements of the flow interpreter: blocks, assignment (names, unpacking, attributes,
subscripts, augmented), and control flow — ``if``/``match`` arms joined, loops run twice
(the second pass from the join of the entry state and one iteration), ``with`` (gradient
mode remembered), ``try`` as the join of its ways through.

Contract: every ``exec_*`` takes the state before the statement and returns the state after
it (``State.dead`` once the way through ended: return, raise, break, continue). Events go
to ``self.sink``; a branch's arms become a ``Branch``, a loop's last pass a ``LoopBlock``
(also kept in ``FlowAnalysis.loops``). A statement whose transfer function fails costs only
that statement's facts (its names become opaque). A mixin of ``interp.Interpreter``."""
from __future__ import annotations

import logging
from collections import Counter
from typing import Callable, Optional, Union

import libcst as cst

from ..names import dotted_name
from ..size_product import Product
from .args import key_of
from .events import CLEAR_TENSOR, EXIT, FOREIGN_AUTOGRAD, MANUAL_STEP, ZERO_GRAD, Branch, Event, LoopBlock
from .loop_events import data_owner, mentions_grad
from .scopes import ScopesMixin
from .state import State, join_states, scan_bindings
from .transfer import NO_GRAD_CONTEXTS
from .values import OPAQUE, UNKNOWN, Kind, Value, join

log = logging.getLogger("ptlint")


class StatementsMixin:
    """Statement transfer functions; mixed into ``Interpreter``."""

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
        handler = COMPOUND_STATEMENTS.get(type(stmt))
        return handler(self, stmt, st) if handler is not None else st

    def exec_line(self, stmt: cst.SimpleStatementLine, st: State) -> State:
        st = self.exec_small(stmt.body, st)
        declared = self.fa.declared_inputs.of_line(stmt)
        if declared is not None and not self.site_chain and len(stmt.body) == 1:
            # net = nn.Sequential(...)  # ptlint: input=(1, 3, 32, 32)
            small = stmt.body[0]
            built = small.value if isinstance(small, (cst.Assign, cst.AnnAssign, cst.Expr)) else None
            if isinstance(built, cst.Call):
                self.fa.declared_inputs.note(built, self.fa.value_of(built), declared)
        return st

    def exec_match(self, stmt: cst.Match, st: State) -> State:
        """Each ``case`` from the same state, plus the way through when none matches."""
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

    def exec_simple(self, small: cst.CSTNode, st: State) -> State:
        handler = SMALL_STATEMENTS.get(type(small))
        return handler(self, small, st) if handler is not None else st

    # ------------------------------------------------------------------ small statements
    def exec_expr(self, small: cst.Expr, st: State) -> State:
        self.ev(small.value, st)
        return st

    def exec_assign(self, small: cst.Assign, st: State) -> State:
        v = self.ev(small.value, st)
        for t in small.targets:
            self.assign(t.target, v, small.value, st)
        return st

    def exec_annassign(self, small: cst.AnnAssign, st: State) -> State:
        if small.value is not None:
            v = self.ev(small.value, st)
            self.assign(small.target, v, small.value, st)
        return st

    def exec_return(self, small: cst.Return, st: State) -> State:
        v = self.ev(small.value, st) if small.value is not None else Value(Kind.NONE)
        self.returns.append(v)
        self.emit(Event(EXIT, small, detail="return"))
        st.dead = True
        return st

    def exec_raise(self, small: cst.Raise, st: State) -> State:
        if small.exc is not None:
            self.ev(small.exc, st)
        self.emit(Event(EXIT, small, detail="raise"))
        st.dead = True
        return st

    def exec_break(self, small: cst.Break, st: State) -> State:
        return self._leave_iteration(small, "break", 0, st)

    def exec_continue(self, small: cst.Continue, st: State) -> State:
        return self._leave_iteration(small, "continue", 1, st)

    def _leave_iteration(self, small: cst.CSTNode, kind: str, frame_slot: int, st: State) -> State:
        """``break`` / ``continue``: the state goes to the loop's exits (slot 0) or to the
        next iteration (slot 1), see ``_loop``."""
        self.emit(Event(EXIT, small, detail=kind))
        if self.loop_frames:
            self.loop_frames[-1][frame_slot].append(st.copy())
        st.dead = True
        return st

    def exec_assert(self, small: cst.Assert, st: State) -> State:
        self.ev(small.test, st)
        return st

    def exec_del(self, small: cst.Del, st: State) -> State:
        self._del(small.target, st)
        return st

    def exec_import(self, small: cst.Import, st: State) -> State:
        self.imports.add_import(small)
        for alias in small.names:
            local = alias.asname.name.value if (alias.asname is not None and isinstance(alias.asname.name, cst.Name)) \
                else (dotted_name(alias.name) or "").split(".")[0]
            st.forget(local)
        return st

    def exec_import_from(self, small: cst.ImportFrom, st: State) -> State:
        self.imports.add_import_from(small)
        if not isinstance(small.names, cst.ImportStar):
            for alias in small.names:
                local = alias.asname.name.value if (alias.asname is not None and isinstance(alias.asname.name, cst.Name)) \
                    else (dotted_name(alias.name) or "")
                st.forget(local)
        return st

    def exec_global(self, small: Union[cst.Global, cst.Nonlocal], st: State) -> State:
        """``global`` / ``nonlocal``: the name's value is another scope's, not known here."""
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

    def assign(self, target: cst.BaseExpression, v: Value, value_node: Optional[cst.CSTNode], st: State) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if v.kind is Kind.UNKNOWN and v.anchor is None and v.storage is None:
                if st.bridged or st.pending:
                    # a loop's next item under the same target is another buffer
                    self.forget_reallocated(target, st)
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
            items = [Value(Kind.INT, sym=Product.sym((v.anchor, i))) for i in range(len(els))]
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
        if attr == "data" and value_node is not None and mentions_grad(value_node):
            self.emit(Event(MANUAL_STEP, target, key_of(owner), self.ev(owner, st, read=False)))
        recv = self.ev(owner, st, read=False)
        owner_key = key_of(owner)
        self.note_module_change(owner)  # ``model.fc = nn.Linear(512, 2)``, ``model.b1.conv = …``
        if recv.kind in (Kind.DATASET, Kind.LOADER) and owner_key is not None:
            st.bind(owner_key, self.fresh(owner))  # ``loader.collate_fn = f``: its batches are no longer known
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
            if cls is None or info is None or info.node.name.value != "__init__" or attr not in cls.init_attrs:
                return
            if isinstance(recv.origin, cst.Call):  # an instance's own ``__init__`` pass (calls.instance_call)
                own = self.fa.instance_attrs.setdefault(recv.origin, {})
                own[attr] = join(own.get(attr), v)
            else:
                cls.init_values[attr] = join(cls.init_values.get(attr), v)

    def assign_subscript(self, target: cst.Subscript, v: Value, value_node, st: State) -> None:
        base = self.ev(target.value, st, read=False)
        self.ev_slices(target, st)
        self.note_module_change(target.value)  # ``model.features[0] = nn.Conv2d(1, 64, 3)``
        if value_node is not None and mentions_grad(value_node) and key_of(target.value) is not None:
            # ``w.data[i] = w.data[i] - lr * w.grad[i]`` updates ``w`` from its own gradient;
            # ``jac[i] = x.grad.view(-1)`` only stores another tensor's gradient
            owner = data_owner(target.value)
            ov = base if owner is target.value else self.ev(owner, st, read=False)
            step = self.manual_step(target, owner, ov, value_node, st)
            if step is not None:
                self.emit(step)
        self.note_write(target, base, key_of(target.value), st, target)

    def exec_augassign(self, node: cst.AugAssign, st: State) -> State:
        rhs = self.ev(node.value, st)
        target = node.target
        if isinstance(target, cst.Subscript):
            base = self.ev(target.value, st, read=False)
            self.ev_slices(target, st)
            if mentions_grad(node.value):
                self.emit(Event(MANUAL_STEP, target, key_of(target.value), base))
            self.note_write(target, base, key_of(target.value), st, target)
            return st
        cur = self.ev(target, st, read=False)
        owner = data_owner(target)
        if isinstance(node.operator, (cst.SubtractAssign, cst.AddAssign)):
            ov = self.ev(owner, st, read=False) if owner is not target else cur
            step = self.manual_step(target, owner, ov, node.value, st)
            if step is not None:
                self.emit(step)
        if cur.kind.is_array or (cur.kind is Kind.UNKNOWN and cur.storage in st.bridged):
            self.note_write(target, cur, key_of(target), st)
            return st  # in place: the value keeps its facts
        op = node.operator
        if cur.kind is Kind.INT and rhs.kind is Kind.INT:
            res = self.int_binop(cur, rhs, type(op).__name__.replace("Assign", ""))
        else:
            res = UNKNOWN
        k = key_of(target)
        if k is not None:
            st.bind(k, res if res.kind is not Kind.UNKNOWN else self.fresh(node))
        return st

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
        first_grad = len(self.fa.grad_accesses)
        end1, arm = self._loop_pass(st.copy(), body_fn)
        breaks, conts = self.loop_frames[-1]
        merged = join_states([entry, end1, *conts])
        if merged.backward and not entry.backward:
            # the next iteration's ``.grad`` reads come after this one's backward(), with or
            # without a second pass
            self.fa.note_backward_before_since(first_grad)
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
            if isinstance(call, cst.Call) and self.foreign_recording(call.func, q):
                self.emit(Event(FOREIGN_AUTOGRAD, call, None, None))
            if item.asname is not None:
                self.assign(item.asname.name, v if v.kind is not Kind.UNKNOWN else UNKNOWN, None, st)
        out = self.exec_body(node.body, st)
        if not out.dead:
            out.no_grad = no_grad
        return out

    def foreign_recording(self, func: cst.BaseExpression, q: Optional[str]) -> bool:
        """``autograd.record()`` / ``mx.autograd.record()``: MXNet's recording scope (torch's
        autograd has no ``record``), with ``autograd`` not torch's: imported from mxnet or
        never bound in this file (d2l's MXNet code pasted next to torch code)."""
        if not (isinstance(func, cst.Attribute) and func.attr.value == "record"):
            return False
        owner = dotted_name(func.value)
        if owner is None or owner.split(".")[-1] != "autograd":
            return False
        return q is None or not q.startswith("torch.")

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


# small statement type -> handler; ``pass`` and the others change nothing
SMALL_STATEMENTS: dict[type, Callable[..., State]] = {
    cst.Expr: StatementsMixin.exec_expr, cst.Assign: StatementsMixin.exec_assign,
    cst.AnnAssign: StatementsMixin.exec_annassign, cst.AugAssign: StatementsMixin.exec_augassign,
    cst.Return: StatementsMixin.exec_return, cst.Raise: StatementsMixin.exec_raise,
    cst.Break: StatementsMixin.exec_break, cst.Continue: StatementsMixin.exec_continue,
    cst.Assert: StatementsMixin.exec_assert, cst.Del: StatementsMixin.exec_del,
    cst.Import: StatementsMixin.exec_import, cst.ImportFrom: StatementsMixin.exec_import_from,
    cst.Global: StatementsMixin.exec_global, cst.Nonlocal: StatementsMixin.exec_global,
}

# statement type -> handler (``def``/``class`` are in scopes.py); other statements change nothing
COMPOUND_STATEMENTS: dict[type, Callable[..., State]] = {
    cst.SimpleStatementLine: StatementsMixin.exec_line, cst.If: StatementsMixin.exec_if,
    cst.For: StatementsMixin.exec_for, cst.While: StatementsMixin.exec_while, cst.With: StatementsMixin.exec_with,
    cst.Try: StatementsMixin.exec_try, cst.TryStar: StatementsMixin.exec_try, cst.Match: StatementsMixin.exec_match,
    cst.FunctionDef: ScopesMixin.exec_def, cst.ClassDef: ScopesMixin.exec_class,
}
