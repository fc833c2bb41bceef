"""The abstract interpreter: walks each scope's statements once, keeping an environment
of :class:`Value` facts, and records per expression node what it evaluated to, per loop
the ordered events of one iteration, and the stale reads of memory shared between numpy
and torch. See ``rules/flow/__init__.py`` for the public API.

``Interpreter`` is assembled from one mixin per seam, each in its own module with its
contract: ``statements`` (blocks, assignment, control flow), ``scopes`` (def/class, function
summaries, name lookup), ``expressions`` (``ev``, literals, comprehensions, subscripts),
``attributes``, ``operators`` (promotion, broadcasting and matrix products via
``rules/shape_arith.py``), ``calls``, ``loop_events`` (backward/step/zero_grad),
``torch_functions`` (by qualified name), ``tensor_methods`` (a name -> handler table) and
``aliasing`` (numpy/torch shared memory). This module holds the interpreter's state and
what every seam uses: recording values and events, fresh unknown values."""
from __future__ import annotations

from collections import Counter
from typing import Any, Optional

import libcst as cst

from .aliasing import AliasingMixin, Hazard, side_of
from .args import Args, key_of
from .attributes import AttributesMixin
from .calls import CallsMixin
from .creation import data_facts, size_of
from .declared_inputs import run_declared_passes
from .expressions import ExpressionsMixin
from .loop_events import LoopEventsMixin
from .operators import OperatorsMixin
from .scopes import ScopesMixin
from .call_sites import run_site_pass
from .state import Scope, State, scan_bindings
from .statements import StatementsMixin
from .tensor_methods import TensorMethods
from .torch_functions import TorchFunctionsMixin
from .values import Kind, Value, join


class Interpreter(StatementsMixin, ScopesMixin, ExpressionsMixin, AttributesMixin, OperatorsMixin, CallsMixin,
                  LoopEventsMixin, TorchFunctionsMixin, TensorMethods, AliasingMixin):
    def __init__(self, fa: Any) -> None:
        self.fa = fa
        self.imports = fa.ctx.imports
        self.default_float: Optional[str] = fa.ctx.default_float
        self.sink: list = fa.module_block
        # a call-site pass (call_sites.py): the parameter values of the function it runs (the
        # last of ``site_funcs``), the calls of the passes it is nested in and its own, outermost first
        self.site_params: Optional[dict] = None
        self.site_chain: tuple = ()
        self.site_funcs: tuple = ()
        self.site_summary: dict = {}  # the file's functions as the outermost pass found them
        # ``model(x)`` calls of the file's model classes met before their summaries were made:
        # (call, forward, parameter values), given their passes once the file is done (calls.py)
        self.pending_instance_calls: list = []
        self.scope: Optional[Scope] = None
        self.loop_frames: list = []  # [ (break_states, continue_states) ]
        self.returns: list = []
        self.self_assigned: set = set()
        self.depth = 0
        self.pre_evaluated: dict = {}  # spine links evaluated ahead by ev_spine
        self.in_spine = False
        self.declared_comment: Optional[cst.Comment] = None  # running a ``# ptlint: input=`` pass

    def run(self, module: cst.Module) -> None:
        counts: Counter = Counter()
        scan_bindings(module.body, counts, set())
        self.scope = Scope("module", module, None, counts)
        self.exec_block(module.body, State())
        self.flush_deferred(self.scope)
        for call, forward, params in self.pending_instance_calls:
            run_site_pass(self, call, forward, params, method=True)
        run_declared_passes(self)

    def flush_deferred(self, scope: Scope) -> None:
        while scope.deferred:
            info = scope.deferred.pop(0)
            if info.cls is not None and "__init__" in info.cls.methods:
                self.eval_function(info.cls.methods["__init__"])
            self.eval_function(info)

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


__all__ = ["Interpreter", "Hazard", "key_of", "Args", "side_of", "data_facts", "size_of"]
