"""Gradient mode, as the flow analysis knows it: whether autograd was recording where
each expression ran, and what that means for the tensors it produced.

The interpreter's ``State.no_grad`` is True inside ``with torch.no_grad()`` /
``inference_mode()`` (``transfer.NO_GRAD_CONTEXTS``) and in functions decorated with
them. ``torch.set_grad_enabled`` switches the mode by a value we may not know, and a
call of it outside a ``with`` switches it for code run later from anywhere (function
bodies are interpreted once, not per caller): in a file that mentions it, gradients
may be off everywhere.

``GradModes.settle`` is applied to every evaluated expression: it records the mode the
expression ran under (joined over evaluations) and corrects the tensor it produced: a
graph node computed while gradients are off does not require grad (it is a leaf);
while they may be off, neither is known. Rules ask ``FlowAnalysis.grad_enabled(node)``.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from .values import Kind, Value

# the function whose call (as a context or a statement) switches the mode by a value
_SWITCH = "set_grad_enabled"


class GradModes:
    """Per file: node -> True (gradients recorded), False (off), None (may be off)."""

    def __init__(self, text: str) -> None:
        self.may_switch = _SWITCH in text
        self._enabled: dict[cst.CSTNode, Optional[bool]] = {}

    def settle(self, node: cst.CSTNode, v: Value, no_grad: bool) -> Value:
        """``v`` as ``node`` produced it under the state's mode; the mode is recorded."""
        enabled: Optional[bool] = False if no_grad else (None if self.may_switch else True)
        seen = self._enabled
        if node not in seen:
            seen[node] = enabled
        elif seen[node] is not enabled:
            seen[node] = None
        if enabled is True or v.kind is not Kind.TENSOR or v.requires_grad is not True or v.is_leaf is True:
            return v
        made_new = v.is_leaf is False or isinstance(node, cst.BinaryOperation)  # arithmetic always allocates
        if v.origin is node and made_new and enabled is False:
            return v.evolve(requires_grad=False, is_leaf=True)
        if v.origin is node or isinstance(node, cst.Call):
            # made here (or returned by a call made here) while recording may be off
            return v.evolve(requires_grad=None, is_leaf=None)
        return v  # a name or attribute read: the tensor was made elsewhere

    def enabled_at(self, node: cst.CSTNode) -> Optional[bool]:
        """None also for a node the interpreter never evaluated."""
        return self._enabled.get(node)

    def clear(self) -> None:
        self._enabled.clear()
