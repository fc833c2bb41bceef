"""Where a training-loop finding goes when its event happened in another project file's
helper (issue 13): ``for x, y in loader: train_step(model, optimizer, x, y)`` in main.py,
with ``optimizer.step()`` and no ``zero_grad()`` inside engine.py's ``train_step``.

The engine never reports at another file's nodes (that file's own analysis speaks for
its code). Here it cannot: engine.py alone has no loop, so nothing is wrong there. Only
this file's loop proves that the step repeats, so the finding goes to this file's call
of the helper, the place where a same-file helper's finding names the loop too.

A loop that is itself inside the helper (``train()`` looping over batches) is that
file's to report: this file stays silent about it, so nothing is reported twice."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import libcst as cst

from .events import Branch, Event, Inline, LoopBlock

if TYPE_CHECKING:
    from ..engine import FileContext


@dataclass(frozen=True)
class ReportPlace:
    """Where to report an event of a loop, and, when the event is another file's, which
    helper call of this file brought it into the loop."""

    node: cst.CSTNode
    helper: Optional[str] = None  # the call's callee as written here (``train_step``, ``dc.train_step``)
    helper_file: Optional[str] = None  # the helper's file, relative to the project root


def report_place(ctx: "FileContext", loop: LoopBlock, event: Event) -> Optional[ReportPlace]:
    """The node of this file a finding about ``event`` in ``loop`` is reported at; None
    when this file's analysis must stay silent about it."""
    if not ctx.is_foreign(event.node):
        return ReportPlace(event.node)
    via = event.via
    if ctx.is_foreign(loop.node) or not isinstance(via, cst.Call) or ctx.is_foreign(via):
        return None
    if _in_foreign_loop(ctx, loop.body, event):
        return None  # train_epoch()'s own batch loop repeats it: engine.py reports it
    owner = ctx.foreign.get(id(event.node))
    root = ctx.project.root if ctx.project is not None else None
    where = os.path.relpath(owner.path, root) if owner is not None and root else None
    return ReportPlace(via, ctx.code_for(via.func), where.replace(os.sep, "/") if where else None)


def _in_foreign_loop(ctx: "FileContext", block: list, event: Event, inside: bool = False) -> bool:
    """Whether ``event`` sits inside a loop of another file's code within ``block``."""
    for item in block:
        if item is event:
            return inside
        if isinstance(item, Branch):
            if any(_in_foreign_loop(ctx, arm, event, inside) for arm in item.arms):
                return True
        elif isinstance(item, LoopBlock):
            if _in_foreign_loop(ctx, item.body, event, inside or ctx.is_foreign(item.node)):
                return True
        elif isinstance(item, Inline):
            if _in_foreign_loop(ctx, item.body, event, inside):
                return True
    return False
