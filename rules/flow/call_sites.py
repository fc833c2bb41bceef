"""Per-call-site facts of a same-file helper (issues 12 and 13): ``train_step(model, crit,
opt, x, y)`` runs the body of ``train_step`` once more with its parameters bound to the
values this call passes, so ``criterion(out, y)`` inside it is known to be a
``CrossEntropyLoss`` given a float target at this call site.

The summary pass (every parameter unknown) stays what every rule sees through
``value_of``; a call-site pass writes only its own table of values, never events, views,
hazards or loops, so no rule finds anything new unless it asks ``call_sites(node)`` and
names the call site in its finding. One level deep (a helper's own calls inside a
call-site pass are summarised as before), memoised by the function and the argument
values: the same helper called with the same values is interpreted once."""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import libcst as cst

from .state import FunctionInfo
from .values import Kind, Value

# Bounds on the extra work: a helper called from many places (a test file, a generated
# script) is interpreted for its first call sites only, and a file does at most so many
# passes in all (measured: 200 calls of a 200-line helper cost 7x the file's time unbounded).
# Later call sites keep the summary: silence, never a wrong finding.
PER_FUNCTION = 8
PER_FILE = 48
# A call-site pass is worth running only when some argument tells more than a parameter does
_INFORMATIVE = frozenset(k for k in Kind if k is not Kind.UNKNOWN)


class SiteFlow:
    """``FlowAnalysis`` as seen from one call site: nodes of the helper's body have the
    values of that call's pass; everything else is the file's summary."""

    def __init__(self, fa: Any, call: cst.Call, values: dict) -> None:
        self.fa = fa
        self.call = call
        self.values = values

    def value_of(self, node: cst.CSTNode) -> Value:
        v = self.values.get(node)
        return v if v is not None else self.fa.value_of(node)

    def check(self) -> "SiteFlow":
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fa, name)


def run_site_pass(interp: Any, node: cst.Call, info: FunctionInfo, params: dict) -> None:
    """Interpret ``info``'s body with ``params`` (name -> Value) for the call ``node``."""
    fa = interp.fa
    if interp.site_params is not None or info.cls is not None or info.running:
        return  # one level deep; methods keep their summary (``self`` is the instance)
    if not any(v.kind in _INFORMATIVE for v in params.values()):
        return
    memo = fa.site_memo
    try:
        key: Optional[tuple] = (info.node, tuple(sorted(params.items(), key=lambda kv: kv[0])))
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in memo:
        fa.site_values[node] = memo[key]
        return
    done = fa.site_counts
    if node not in fa.site_values and (done[info.node] >= PER_FUNCTION or sum(done.values()) >= PER_FILE):
        return
    done[info.node] += 1
    saved = (fa._values, fa._views, fa.hazards, fa._hazard_keys, fa.loops, fa.bridges, fa.functions, fa.classes)
    fa._values = {}
    fa._views, fa.hazards, fa._hazard_keys = dict(fa._views), list(fa.hazards), set(fa._hazard_keys)
    fa.loops, fa.bridges = dict(fa.loops), dict(fa.bridges)
    fa.functions, fa.classes = dict(fa.functions), dict(fa.classes)
    copy = dataclasses.replace(info, evaluated=False, running=False, block=[], returns=None, self_assigned=set())
    interp.site_params = params
    try:
        interp.eval_function(copy)
        values = fa._values
    finally:
        interp.site_params = None
        (fa._values, fa._views, fa.hazards, fa._hazard_keys, fa.loops, fa.bridges, fa.functions,
         fa.classes) = saved
    prev = fa.site_values.get(node)
    if prev is not None:  # a loop body runs twice: the call's values join over both passes
        from .values import join
        values = {n: (join(prev[n], v) if n in prev else v) for n, v in values.items()}
    fa.site_values[node] = values
    if key is not None:
        memo[key] = values


def call_sites(fa: Any, node: cst.CSTNode) -> list[SiteFlow]:
    """The call sites whose pass evaluated ``node``, in the order of the file."""
    return [SiteFlow(fa, call, values) for call, values in fa.site_values.items() if node in values]
