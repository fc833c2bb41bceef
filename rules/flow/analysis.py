"""``FlowAnalysis``: the per-file entry point rules get through ``ctx.analysis``."""
from __future__ import annotations

import logging
from collections import Counter
import traceback
from typing import Any, Optional

import libcst as cst

from .call_sites import call_sites
from .chain import chain_of, method_link, probe_facts
from .declared_inputs import DeclaredInputs
from .events import LoopBlock
from .loop_facts import iterates_batches
from .grad_mode import GradModes
from .interp import Hazard, Interpreter
from .layers import LayerCall
from .state import ClassInfo, FunctionInfo
from .values import UNKNOWN, Kind, Layout, Value

log = logging.getLogger("ptlint")
_NOT_SET = object()


class FlowError(RuntimeError):
    """The interpreter failed on this file; rules asking it fail (and are contained)."""


class FlowAnalysis:
    """Tensor facts for one file, computed once: ``ctx.analysis(FlowAnalysis)``.

    Every scope (module, each function and method, notebook cells in order) is
    interpreted once; loop bodies twice. See the package docstring for the API.
    """

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self._values: dict[cst.CSTNode, Value] = {}
        self._views: dict[cst.CSTNode, Optional[Layout]] = {}
        self.loops: dict[cst.CSTNode, LoopBlock] = {}
        self.bridges: dict[Any, tuple] = {}  # storage group -> (bridge node, side the memory came from)
        self.hazards: list[Hazard] = []
        self._hazard_keys: set = set()
        self.functions: dict[cst.FunctionDef, FunctionInfo] = {}
        self.classes: dict[cst.ClassDef, ClassInfo] = {}
        self.module_block: list = []
        # chain of calls (outermost first) -> values of the last callee's body interpreted for
        # that call, nested in the passes of the calls before it (call_sites.py)
        self.site_values: dict[tuple, dict] = {}
        self.site_memo: dict[tuple, tuple] = {}  # (function, arguments) -> (values, nested tables)
        self.site_counts: Counter = Counter()  # function -> call-site passes run (bounded)
        # constructor call of a model class of this file -> what its ``__init__`` pass assigned
        # to ``self`` (per-instance attributes, flow/calls.py ``instance_call``)
        self.instance_attrs: dict[cst.Call, dict[str, Value]] = {}
        # constructor call -> (class, its __init__, the arguments) whose pass has not run yet
        self.instance_inits: dict[cst.Call, tuple] = {}
        # constructor calls of modules changed after they were built (calls.note_module_change)
        self.changed_modules: set[cst.CSTNode] = set()
        # layer calls that raise or drop input rows, in the summary or a call-site pass
        self._layer_calls: dict[tuple, LayerCall] = {}
        # constructor call of a module -> what its calls were given first, in any pass
        self._module_inputs: dict[cst.CSTNode, list[Value]] = {}
        # ``x.grad`` node -> whether a backward() of its scope may have run before it
        self._backward_before: dict[cst.CSTNode, bool] = {}
        self.grad_accesses: list[cst.Attribute] = []  # in the order met (a loop marks its own)
        self.error: Optional[str] = None
        self.skipped: list[str] = []  # statements the interpreter could not follow (their names became opaque)
        self.grad_modes = GradModes(ctx.source.text)
        self.declared_inputs = DeclaredInputs(ctx.source.text)
        try:
            Interpreter(self).run(ctx.module)
        except RecursionError:
            self._fail("file nested too deeply for the flow analysis")
        except Exception as exc:  # keep the engine alive; the asking rules report it
            self._fail(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")

    def _fail(self, why: str) -> None:
        log.error("%s: flow analysis failed: %s", getattr(self.ctx, "path", "?"), why)
        self.error = why
        self._values.clear()
        self._views.clear()
        self.loops.clear()
        self.hazards.clear()
        self._layer_calls.clear()
        self._module_inputs.clear()
        self._backward_before.clear()
        self.grad_accesses.clear()
        self.grad_modes.clear()

    def check(self) -> "FlowAnalysis":
        """Raise if the analysis failed (so the asking rule is reported as broken
        instead of silently finding nothing)."""
        if self.error is not None:
            raise FlowError(self.error.splitlines()[0])
        return self

    # ------------------------------------------------------------------ questions
    def value_of(self, node: cst.CSTNode) -> Value:
        """What ``node`` evaluated to, joined over every time it was evaluated
        (UNKNOWN if never, e.g. unreachable code or inside a lambda)."""
        return self._values.get(node, UNKNOWN)

    def call_sites(self, node: cst.CSTNode) -> list:
        """For a node inside a same-file helper: one ``SiteFlow`` per chain of call sites
        whose arguments told something (``.call`` the helper's call, ``.chain`` the calls
        that led to it, outermost first, ``.value_of`` the node's value there). A finding
        drawn from one must name its call sites (flow/call_sites.py)."""
        return call_sites(self, node)

    def holders(self, v: Value) -> list:
        """Every expression that evaluated to the object ``v`` in the file's summary or in
        any call-site pass: a tensor or array sharing its storage (views too), any other
        object its kind made at its ``origin`` (a loss, a model). What a rule asks before
        an edit at an object's constructor (is it used anywhere else?) or before trusting a
        tensor's origin (was it written in place?). Code the flow never evaluates (a
        lambda's body) is not seen; [] when ``v`` is no object the flow can follow."""
        if v.storage is not None:
            def same(h: Value) -> bool:
                return h.storage == v.storage
        elif v.kind is not Kind.UNKNOWN and v.origin is not None:
            def same(h: Value) -> bool:
                return h.kind is v.kind and h.origin is v.origin
        else:
            return []
        found: dict = {}  # node id -> node: a call-site pass memoised for two calls is one table
        for table in (self._values, *self.site_values.values()):
            for node, h in table.items():
                if id(node) not in found and same(h):
                    found[id(node)] = node
        return list(found.values())

    def grad_enabled(self, node: cst.CSTNode) -> Optional[bool]:
        """Whether autograd was recording where ``node`` ran: True, False (inside
        ``no_grad`` / ``inference_mode`` or a function decorated with them), None when it
        may be off (``set_grad_enabled`` in the file) or the node was never evaluated."""
        return self.grad_modes.enabled_at(node)

    def view_error(self, call: cst.Call) -> Optional[Layout]:
        """For a ``.view(...)`` call that raises on every evaluation because its
        receiver's strides cannot be merged into the requested shape: the receiver's
        layout (``origin`` is the transpose/permute/slice that made it non-contiguous)."""
        v = self._views.get(call)
        return v if isinstance(v, Layout) else None

    def probe_chain(self, call: cst.Call) -> Optional[dict]:
        """For a method call ``recv.name(...)`` with literal arguments whose receiver is
        known to be a fresh literal-shaped tensor after a known series of operations
        (``chain.py``): ``{"shape", "dtype", "chain"}``, the chain ending with this call —
        what the runtime probe replays. None when any of it is not known on every path."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        ch = chain_of(self.value_of(func.value))
        if ch is None:
            return None
        pos = [a for a in call.args if a.keyword is None]
        kw = [(a.keyword.value, self.value_of(a.value)) for a in call.args if a.keyword is not None]
        star = any(a.star for a in call.args)
        last = method_link(func.attr.value, [self.value_of(a.value) for a in pos], kw, star)
        return probe_facts(ch, last) if last is not None else None

    def literal_tensors(self) -> list[tuple[cst.CSTNode, Value]]:
        """Every node whose value, joined over its evaluations in the file's own pass (not a
        call-site pass), is a tensor of fully literal shape: what hover shows where the shape
        trace of a model has nothing (script code, helpers fed literals)."""
        return [(node, v) for node, v in self._values.items()
                if v.kind is Kind.TENSOR and v.shape is not None and all(d.is_int for d in v.shape)]

    def loop_blocks(self) -> list[LoopBlock]:
        """Every ``for``/``while`` loop's events for one iteration (the last pass)."""
        return list(self.loops.values())

    def iterates_batches(self, loop: LoopBlock) -> bool:
        """The loop takes one ``DataLoader`` batch per iteration (directly, or through
        ``enumerate`` / ``tqdm``): ``loop_facts.iterates_batches`` on this file's values."""
        return iterates_batches(loop, self.value_of, self.ctx.qualname)

    def function(self, node: cst.FunctionDef) -> Optional[FunctionInfo]:
        """The summary of a function of this file: its events (``block``), the join of its
        return values (``returns``), the attributes of ``self`` it assigns."""
        return self.functions.get(node)

    def layer_problems(self) -> list[LayerCall]:
        """Every layer call that raises when it runs (``outcome.problem``: the Linear whose
        ``in_features`` is not the flattened size, a conv given the wrong channels, a window
        larger than its input), in the file's summary or a call-site pass (``chain`` names
        the calls; a pass memoised for another call is not listed again)."""
        return [c for c in self._layer_calls.values() if c.outcome.problem is not None]

    def layer_drops(self) -> list[LayerCall]:
        """Every conv or pooling call whose window never covers the last rows or columns of
        its input (``outcome.dropped``), as ``layer_problems`` lists them."""
        return [c for c in self._layer_calls.values() if c.outcome.dropped]

    def module_inputs(self, ctor: cst.CSTNode) -> list[Value]:
        """What the calls of the module built at ``ctor`` (``Net()``, ``nn.Sequential(...)``)
        were given as their first argument: one value per call and pass (the file's summary,
        each call-site pass), in the order the flow met them; [] when the flow saw no call of
        it. A module the flow lost track of (handed to an unknown function, called through a
        name it cannot resolve) has calls that are not listed: an empty or partial list says
        nothing about the calls the flow did not see."""
        return list(self._module_inputs.get(ctor, ()))

    def backward_before(self, grad: cst.Attribute) -> Optional[bool]:
        """For an ``x.grad`` expression: whether a ``backward()`` (``loss.backward()``,
        ``torch.autograd.backward``, ``scaler.scale(loss).backward()``, Lightning's
        ``manual_backward``) of the same scope may have run before it on some path: one
        written earlier, or one anywhere in a loop around it (its next iteration). False:
        on every path the flow followed, none had; None: the flow never evaluated it. A
        function's body starts with none (what its callers ran before is not followed)."""
        return self._backward_before.get(grad)

    def layer_call_label(self, call: LayerCall) -> str:
        """The layer as its call names it (``conv`` / ``self.pool``'s ``pool``) when the call
        applies the layer itself, else its class (``Conv2d``: a layer of a called pipeline,
        a layer handed to a summary)."""
        callee = call.node.func
        if self.value_of(callee).origin is call.layer:
            if isinstance(callee, cst.Name):
                return callee.value
            if isinstance(callee, cst.Attribute):
                return callee.attr.value
        return call.outcome.label

    def bridge_of(self, group: Any) -> Optional[cst.CSTNode]:
        b = self.bridges.get(group)
        return b[0] if b else None

    def _in_order(self, *nodes: cst.CSTNode) -> bool:
        """The nodes come one after another in the file (straight-line code runs them so)."""
        try:
            places = [self.ctx.locate(n) for n in nodes]
        except KeyError:
            return False
        keys = [(cell or 0, r.start.line, r.start.column) for cell, r in places]
        return all(a < b for a, b in zip(keys, keys[1:]))

    # ------------------------------------------------------------------ interpreter callbacks
    def note_grad_access(self, node: cst.Attribute, backward: bool) -> None:
        self._backward_before[node] = self._backward_before.get(node, False) or backward
        self.grad_accesses.append(node)

    def note_backward_before_since(self, first: int) -> None:
        """Every ``.grad`` read met since ``grad_accesses[first]`` may come after a backward
        (a loop's next iteration runs after this one's ``backward()``)."""
        for node in self.grad_accesses[first:]:
            self._backward_before[node] = True

    def note_module_input(self, ctor: cst.CSTNode, x: Value) -> None:
        self._module_inputs.setdefault(ctor, []).append(x)

    def note_layer_call(self, call: LayerCall) -> None:
        self._layer_calls.setdefault((call.node, call.layer, call.chain, call.input), call)

    def _note_view(self, node: cst.CSTNode, lay: Optional[Layout]) -> None:
        prev = self._views.get(node, _NOT_SET)
        if prev is _NOT_SET:
            self._views[node] = lay
        elif prev is None or lay is None:
            self._views[node] = None

    def _note_hazard(self, write: Any, read: cst.CSTNode, value: Value) -> None:
        key = (id(write.node), id(read))
        if key in self._hazard_keys:
            return
        if value.bridge is not None and self._in_order(write.node, value.bridge, read):
            return  # the twin read here was made after the write, from the written memory (a loop's next pass)
        self._hazard_keys.add(key)
        self.hazards.append(Hazard(write, read, value))
