"""Ordered events with branch structure, for the rules that are about order
(zero_grad before step, a write before a read, scheduler after optimizer…).

A :data:`Block` is a list of items in program order:

- :class:`Event`: one thing that happens (``backward``, ``step``, ``zero_grad``,
  ``manual_step``, ``write``, ``read``, ``exit``);
- :class:`Branch`: exactly one of its ``arms`` runs (an ``if`` without ``else`` has an
  empty arm; ``try`` gives one arm per way through);
- :class:`LoopBlock`: a nested loop; ``body`` is one iteration, which may run 0+ times;
- :class:`Inline`: the events of a helper function of this file, called here, with the
  helper's parameter names replaced by the caller's argument names.

Keys name the object an event is about by its dotted name in the scope that records it
("opt", "self.optimizer", "w"); None when it is not a simple name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Union

import libcst as cst

from .values import Value

# Event kinds
BACKWARD = "backward"  # loss.backward(), scaler.scale(loss).backward(), accelerator.backward(loss)
STEP = "step"  # opt.step(), scaler.step(opt): key = the optimizer
ZERO_GRAD = "zero_grad"  # opt.zero_grad(), model.zero_grad(), p.grad = None, w.grad.zero_()
MANUAL_STEP = "manual_step"  # w -= lr * w.grad, w.data.sub_(…): key = the parameter
WRITE = "write"  # an in-place write to an array/tensor: group = its storage group
READ = "read"  # a read of an array/tensor whose storage is shared across numpy/torch
EXIT = "exit"  # detail: "break" | "continue" | "return" | "raise"
SCHEDULER_STEP = "scheduler_step"  # sched.step() on a known lr_scheduler: key = the scheduler, value.spec its class
# ``with autograd.record():`` of another framework (MXNet, pasted d2l code): that iteration's
# backward() writes the gradients instead of adding to them
FOREIGN_AUTOGRAD = "foreign_autograd"

# ZERO_GRAD details: what is cleared
CLEAR_OPTIMIZER = "optimizer"  # key = the optimizer
CLEAR_MODULE = "module"  # key = the module (or None: unknown object's zero_grad())
CLEAR_TENSOR = "tensor"  # key = the tensor whose .grad is reset; value.owner: its module
CLEAR_ALL = "all"  # something we cannot see clears (an unknown closure passed to step)


@dataclass(eq=False)  # identity: events are kept in sets and compared by occurrence
class Event:
    kind: str
    node: cst.CSTNode
    key: Optional[str] = None
    value: Optional[Value] = None
    detail: str = ""
    group: Any = None  # WRITE / READ: storage group
    side: str = ""  # WRITE / READ: "numpy" | "torch"
    via: Optional[cst.CSTNode] = None  # for events inlined from a helper: the call in this scope
    # False for a clear we only suppose: an optimizer handed to a function we cannot see, a
    # closure passed to step(), a base-class method named like a clear. It keeps rules quiet
    # and is never evidence for a finding.
    certain: bool = True


@dataclass
class Branch:
    node: cst.CSTNode
    arms: list = field(default_factory=list)  # list[Block]


@dataclass
class LoopBlock:
    node: cst.CSTNode  # cst.For | cst.While
    body: list = field(default_factory=list)  # Block: one iteration


@dataclass
class Inline:
    call: cst.CSTNode
    func: cst.CSTNode  # the helper's FunctionDef
    body: list = field(default_factory=list)  # Block with keys mapped to the caller's names


Item = Union[Event, Branch, LoopBlock, Inline]
Block = list  # list[Item]


def walk(block: Block, into_loops: bool = True) -> Iterator[Event]:
    """Every event in a block, nested ones included, in program order; with ``into_loops``
    False, not those of the loops nested in it (one iteration of the loop itself)."""
    for item in block:
        if isinstance(item, Event):
            yield item
        elif isinstance(item, Branch):
            for arm in item.arms:
                yield from walk(arm, into_loops)
        elif isinstance(item, Inline) or (into_loops and isinstance(item, LoopBlock)):
            yield from walk(item.body, into_loops)


def remap(block: Block, mapping: dict[str, Optional[str]], via: cst.CSTNode) -> Block:
    """A copy of a helper's block with parameter names replaced by the caller's argument
    keys (``{"opt": "self.optimizer"}``); a parameter bound to a non-name gets key None."""

    def key(k: Optional[str]) -> Optional[str]:
        if k is None:
            return None
        head, dot, rest = k.partition(".")
        if head in mapping:
            new = mapping[head]
            return None if new is None else (new + dot + rest if dot else new)
        return k

    out: Block = []
    for item in block:
        if isinstance(item, Event):
            if item.kind == EXIT and item.detail in ("return", "raise"):
                continue  # leaving the helper is not leaving the caller's loop iteration
            v = item.value
            if v is not None and v.params_of is not None:
                v = v.evolve(params_of=key(v.params_of))
            if v is not None and v.params_parts is not None:
                parts = tuple(key(p) for p in v.params_parts)
                v = v.evolve(params_parts=parts if None not in parts else None)
            if v is not None and v.owner is not None:
                v = v.evolve(owner=key(v.owner))
            out.append(Event(item.kind, item.node, key(item.key), v, item.detail, item.group, item.side,
                             item.via or via, item.certain))
        elif isinstance(item, Branch):
            out.append(Branch(item.node, [remap(a, mapping, via) for a in item.arms]))
        elif isinstance(item, LoopBlock):
            out.append(LoopBlock(item.node, remap(item.body, mapping, via)))
        elif isinstance(item, Inline):
            out.append(Inline(item.call, item.func, remap(item.body, mapping, via)))
    return out


# ---------------------------------------------------------------------- paths
@dataclass(frozen=True)
class Path:
    """What one way through a loop iteration does (events in order, as a tuple)."""

    events: tuple = ()

    def kinds(self, kind: str) -> list:
        return [e for e in self.events if e.kind == kind]


class TooManyPaths(Exception):
    pass


def iteration_paths(block: Block, kinds: Optional[frozenset] = None, limit: int = 256,
                    nested_may_skip: bool = True) -> list[Path]:
    """Every distinct way through one iteration of a loop body, as event sequences.
    Only events of ``kinds`` are kept (all when None; EXIT always). A nested loop
    contributes "one iteration" and, unless ``nested_may_skip`` is False, "not run";
    ``break``/``continue``/``return``/``raise`` end a path. Raises TooManyPaths past
    ``limit`` (callers then stay silent)."""
    if kinds is not None:
        block = only_kinds(block, kinds | {EXIT})
    done: list[tuple] = []
    live = _paths(block, [()], done, limit, nested_may_skip)
    out, seen = [], set()
    for p in live + done:
        ident = tuple(id(e) for e in p)
        if ident not in seen:
            seen.add(ident)
            out.append(Path(p))
    return out


def _paths(block: Block, prefixes: list, done: list, limit: int, skip: bool = True) -> list:
    live = prefixes
    for item in block:
        if not live:
            break
        if isinstance(item, Event):
            if item.kind == EXIT:
                done.extend(p + (item,) for p in live)
                live = []
            else:
                live = [p + (item,) for p in live]
        elif isinstance(item, Branch):
            nxt = []
            for arm in item.arms or [[]]:
                nxt.extend(_paths(arm, live, done, limit, skip))
            live = _dedupe(nxt)
        elif isinstance(item, LoopBlock):
            inner_done: list = []
            once = _paths(item.body, live, inner_done, limit, skip)
            # break/continue leave only the nested loop's iteration; return/raise end ours too
            for p in inner_done:
                if p and p[-1].kind == EXIT and p[-1].detail in ("break", "continue"):
                    once.append(p[:-1])
                else:
                    done.append(p)
            live = _dedupe(live + once) if skip else _dedupe(once)
        elif isinstance(item, Inline):
            live = _dedupe(_paths(item.body, live, done, limit, skip))
        if len(live) + len(done) > limit:
            raise TooManyPaths()
    return live


def only_kinds(block: Block, kinds: frozenset) -> Block:
    """The block with only the events of ``kinds`` (the branches and loops that hold some)."""
    out: Block = []
    for item in block:
        if isinstance(item, Event):
            if item.kind in kinds:
                out.append(item)
        elif isinstance(item, Branch):
            arms = [only_kinds(a, kinds) for a in item.arms]
            if any(arms):
                out.append(Branch(item.node, arms))
        elif isinstance(item, LoopBlock):
            body = only_kinds(item.body, kinds)
            if body:
                out.append(LoopBlock(item.node, body))
        elif isinstance(item, Inline):
            body = only_kinds(item.body, kinds)
            if body:
                out.append(Inline(item.call, item.func, body))
    return out


def _dedupe(paths: list) -> list:
    seen, out = set(), []
    for p in paths:
        ident = tuple(id(e) for e in p)
        if ident not in seen:
            seen.add(ident)
            out.append(p)
    return out
