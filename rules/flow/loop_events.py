"""Training-loop events: ``backward``, optimizer ``step``/``zero_grad`` (and a GradScaler's
step, a closure's gradients, a scheduler's step), clears of one tensor's ``.grad``, and
hand-written updates ``w -= lr * w.grad``.

Contract: ``loop_events`` emits the ``Event`` a method call stands for into the current
sink (nothing when it stands for none); ``manual_step`` returns the ``MANUAL_STEP`` event
an update from a tensor's own gradient (or an alias of it) is, else None. The module
functions find ``w.grad`` reads in expressions. A mixin of ``interp.Interpreter``."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..astutil import iter_children
from .args import Args, key_of
from .events import (
    BACKWARD, CLEAR_ALL, CLEAR_MODULE, CLEAR_OPTIMIZER, CLEAR_TENSOR, MANUAL_STEP, SCHEDULER_STEP, STEP, ZERO_GRAD,
    Event,
)
from .state import State
from .transfer import CLEARING_ALIASES, looks_like_optimizer, looks_like_scaler
from .values import Kind, Value


def mentions_grad(expr: cst.CSTNode) -> bool:
    stack = [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Attribute) and n.attr.value == "grad":
            return True
        stack.extend(iter_children(n))
    return False


def grad_owner(node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``w`` for ``w.grad`` / ``w.grad.data``."""
    if isinstance(node, cst.Attribute) and node.attr.value == "data":
        node = node.value
    if isinstance(node, cst.Attribute) and node.attr.value == "grad":
        return node.value
    return None


def grad_reads(expr: cst.CSTNode) -> list:
    """The owners ``w`` of every ``w.grad`` read in ``expr``."""
    out, stack = [], [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Attribute) and n.attr.value == "grad":
            out.append(n.value)
        stack.extend(iter_children(n))
    return out


def data_owner(node: cst.BaseExpression) -> cst.BaseExpression:
    """``w`` for ``w.data``."""
    if isinstance(node, cst.Attribute) and node.attr.value == "data":
        return node.value
    return node


class LoopEventsMixin:
    """Training-loop event transfer functions; mixed into ``Interpreter``."""

    def loop_events(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str, args: Args,
                    st: State) -> None:
        k = key_of(recv_node)
        if name in ("backward", "manual_backward"):
            self.emit(Event(BACKWARD, node, k, r))
            st.backward = True
        elif name == "zero_grad" or name in CLEARING_ALIASES:
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
                        self.emit(Event(ZERO_GRAD, node, None, None, CLEAR_ALL, certain=False))
                self.emit(Event(STEP, node, k, r))
            elif r.kind is Kind.SCHEDULER:
                self.emit(Event(SCHEDULER_STEP, node, k, r))
        elif name in ("zero_", "fill_", "detach_", "mul_") and grad_owner(recv_node) is not None:
            if name != "mul_" or (args.get(0) is not None and args.get(0).const == 0):
                owner = grad_owner(recv_node)
                self.emit(Event(ZERO_GRAD, node, key_of(owner), self.ev(owner, st, read=False), CLEAR_TENSOR))
        elif name in ("sub_", "add_", "addcdiv_", "addcmul_", "copy_"):
            owner = data_owner(recv_node)
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
        for g in grad_reads(rhs):
            gk = key_of(data_owner(g))
            if gk is not None and gk == k:
                return Event(MANUAL_STEP, node, k, ov)
        for g in grad_reads(rhs):
            gv = self.fa._values.get(g)
            if gv is None:
                gv = self.ev(g, st, read=False)
            if gv.storage is not None and gv.storage == ov.storage:
                return Event(MANUAL_STEP, node, key_of(data_owner(g)), gv)
        return None
