"""Per-call-site facts of a same-file helper (issues 12 and 13): ``train_step(model, crit,
opt, x, y)`` runs the body of ``train_step`` once more with its parameters bound to the
values this call passes, so ``criterion(out, y)`` inside it is known to be a
``CrossEntropyLoss`` given a float target at this call site.

The summary pass (every parameter unknown) stays what every rule sees through
``value_of``; a call-site pass writes only its own table of values, never events, views,
hazards or loops, so no rule finds anything new unless it asks ``call_sites(node)`` and
names the call site in its finding. One value does cross into the summary: what the pass
returned is the value of its call (``x, y = get_toy_data(1000)`` has 1000 rows; a model
instance's ``forward`` pass gives its ``model(x)`` call's value, below).

Passes nest: a helper's own call of another helper inside a call-site pass gets a pass of
its own with the values of the outer call (``train_epoch(model, crit, batches)`` ->
``step(model, criterion, x, y)``), up to ``MAX_DEPTH`` calls in a chain. Each pass is
memoised by the function and the argument values: the same helper called with the same
values is interpreted once, at any depth. A function already being passed in the chain
(recursion, mutual recursion) keeps its summary there.

Methods keep their summary, with one exception: a model class of the file, per instance
(``calls.instance_call``). ``Net(5)`` passes ``__init__`` with ``self`` the instance (its
constructor call), and what that pass assigns to ``self`` is the instance's attributes
(``FlowAnalysis.instance_attrs``); ``model(x)`` passes ``forward`` with that instance as
``self``. The ``__init__`` pass runs when a call of the instance is first interpreted with
something known (a model only ever fed unknown batches gets no pass); a call whose instance
the flow did not see built waits for the end of the file. What a ``forward`` pass returns
is the call's value, in the summary as in a calling pass."""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import libcst as cst

from .state import FunctionInfo
from .values import Kind, Value, join

# Bounds on the extra work: a helper called from many places (a test file, a generated
# script) is interpreted for its first call sites only, and a file does at most so many
# passes in all, nested ones included (measured: 200 calls of a 200-line helper cost 7x the
# file's time unbounded). Later call sites keep the summary: silence, never a wrong finding.
PER_FUNCTION = 8
PER_FILE = 48
# Calls in a chain of nested passes: ``main`` -> ``train`` -> ``step``. Deeper calls keep
# their summary (the training step of a training loop of a driver is as far as it goes in
# the scripts we measured).
MAX_DEPTH = 3
# A memoised pass reused at another call copies the passes nested in it for that call too;
# past this many tables in all a reuse names only the call itself (the facts are the same).
_MAX_TABLES = 8 * PER_FILE
# A call-site pass is worth running only when some argument tells more than a parameter does
_INFORMATIVE = frozenset(k for k in Kind if k is not Kind.UNKNOWN)


class SiteFlow:
    """``FlowAnalysis`` as seen from one chain of call sites: ``chain`` the calls, the
    outermost first, ``call`` the last of them (the helper's own call). Nodes of the
    helper's body have the values of that call's pass, nodes of the helpers calling it the
    values of their passes; everything else is the file's summary."""

    def __init__(self, fa: Any, chain: tuple, tables: list) -> None:
        self.fa = fa
        self.chain = chain
        self.call: cst.Call = chain[-1]
        self.tables = tables  # innermost first

    def value_of(self, node: cst.CSTNode) -> Value:
        for table in self.tables:
            v = table.get(node)
            if v is not None:
                return v
        return self.fa.value_of(node)

    def check(self) -> "SiteFlow":
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fa, name)


def run_site_pass(interp: Any, node: cst.Call, info: FunctionInfo, params: dict,
                  method: bool = False) -> Optional[Value]:
    """Interpret ``info``'s body with ``params`` (name -> Value) for the call ``node``,
    nested in the passes ``interp.site_chain`` is running. ``method``: ``info`` is the
    ``forward`` of a model class called as ``model(x)``; its ``self`` is the class's
    instance (its ``__init__`` pass's attributes, else those ``__init__`` assigns once).
    Returns what the body returned in this pass (None: no pass ran): the call's value."""
    fa = interp.fa
    chain = interp.site_chain + (node,)
    if len(chain) > MAX_DEPTH or (info.cls is not None and not method) or info.running \
            or info.node in interp.site_funcs:
        return None  # other methods keep their summary (``self`` may be any instance); so does a recursive call
    if not any(v.kind in _INFORMATIVE for v in params.values()):
        return None
    memo = fa.site_memo
    try:
        key: Optional[tuple] = (info.node, tuple(sorted(params.items(), key=lambda kv: kv[0])))
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in memo:
        values, nested, returned = memo[key]
        _store(fa, chain, values)
        for suffix, table in nested.items():
            if len(chain) + len(suffix) <= MAX_DEPTH and len(fa.site_values) < _MAX_TABLES:
                _store(fa, chain + suffix, table)
        return returned
    done = fa.site_counts
    if chain not in fa.site_values and (done[info.node] >= PER_FUNCTION or sum(done.values()) >= PER_FILE):
        return None
    done[info.node] += 1
    saved = (fa._values, fa._views, fa.hazards, fa._hazard_keys, fa.loops, fa.bridges, fa.functions, fa.classes)
    frame = (interp.site_params, interp.site_chain, interp.site_funcs, interp.site_summary)
    if not interp.site_chain:
        interp.site_summary = fa.functions
    fa._values = {}
    fa._views, fa.hazards, fa._hazard_keys = dict(fa._views), list(fa.hazards), set(fa._hazard_keys)
    fa.loops, fa.bridges = dict(fa.loops), dict(fa.bridges)
    fa.functions, fa.classes = dict(fa.functions), dict(fa.classes)
    copy = dataclasses.replace(info, evaluated=False, running=False, block=[], returns=None, self_assigned=set())
    interp.site_params, interp.site_chain, interp.site_funcs = params, chain, interp.site_funcs + (info.node,)
    try:
        interp.eval_function(copy)
        values: Optional[dict] = fa._values
    except RecursionError:
        if len(chain) == 1:
            raise  # as deep as the summary: the file is nested too deeply (FlowAnalysis says so)
        values = None  # only the nesting made it too deep: this call keeps its summary
    finally:
        interp.site_params, interp.site_chain, interp.site_funcs, interp.site_summary = frame
        (fa._values, fa._views, fa.hazards, fa._hazard_keys, fa.loops, fa.bridges, fa.functions,
         fa.classes) = saved
    if values is None:
        return None
    values = _store(fa, chain, values)
    if key is not None:
        n = len(chain)
        nested = {k[n:]: t for k, t in fa.site_values.items() if len(k) > n and k[:n] == chain}
        memo[key] = (values, nested, copy.returns)
    return copy.returns


def summary_pending(interp: Any, info: FunctionInfo) -> bool:
    """Inside a call-site pass, a function of the file whose summary is not made yet (a
    callback the pass's argument names: ``apply(g, x)`` -> ``fn(x)``): made here, its facts
    and loops would land in the pass's table and be dropped with it; it is made at the end
    of its scope instead, and this call is unknown. A function defined in the helper's body
    during the pass is the pass's own."""
    return bool(interp.site_chain) and not info.evaluated and interp.site_summary.get(info.node) is info


def _store(fa: Any, chain: tuple, values: dict) -> dict:
    """The table of ``chain``; a chain evaluated twice (a loop body runs twice) joins its
    values over both passes."""
    prev = fa.site_values.get(chain)
    if prev is not None and prev is not values:
        values = {n: (join(prev[n], v) if n in prev else v) for n, v in values.items()}
    fa.site_values[chain] = values
    return values


def call_sites(fa: Any, node: cst.CSTNode) -> list[SiteFlow]:
    """The chains of call sites whose innermost pass evaluated ``node``, in the order their
    passes ended (an inner chain before the chain it is nested in)."""
    out = []
    tables = fa.site_values
    for chain, values in tables.items():
        if node in values:
            out.append(SiteFlow(fa, chain, [values] + [tables.get(chain[:i], {}) for i in range(len(chain) - 1, 0, -1)]))
    return out
