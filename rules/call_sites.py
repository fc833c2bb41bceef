"""What the callers of a helper pass for one of its parameters, when every caller is in
this file and seen.

Contract: ``ctx.analysis(CallSites).arguments_for(fn, param)`` is the list of
``PassedArgument`` (the call, the expression it passes for ``param``, and the scope and
class the call is in), one per call of ``fn``; None when the callers are not all known:
``fn`` is not a plain module-level function defined once (decorated, nested, a method,
redefined), its name is imported, assigned or bound in another scope, it is used other
than by being called (handed on as a callback, stored), it calls itself, or a call passes
nothing explicit for ``param`` (star-args, the default). The calls are read from the
file's name mentions (``rules/name_uses.NameMentions``) and node index."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import libcst as cst

from ptlint.rules.bindings import ClassInfo, LocalFacts, ScopeInfo
from ptlint.rules.name_uses import NameMentions
from ptlint.rules.node_index import NodeIndex

if TYPE_CHECKING:
    from ptlint.rules.engine import FileContext


@dataclass(frozen=True)
class PassedArgument:
    call: cst.Call
    value: cst.BaseExpression
    scope: ScopeInfo  # where the call is: its names resolve there
    cls: Optional[ClassInfo]  # the class whose method makes the call


@dataclass(frozen=True)
class _Slot:
    position: Optional[int]  # None: keyword-only
    keyword: str  # "" for a positional-only parameter


class CallSites:
    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx
        self.facts = ctx.analysis(LocalFacts)

    def arguments_for(self, fn: cst.FunctionDef, param: str) -> Optional[list[PassedArgument]]:
        slot = _param_slot(fn, param)
        if slot is None or not self._all_callers_visible(fn):
            return None
        mentions = self.ctx.analysis(NameMentions).of(self.ctx.module, fn.name.value)
        calls = [m.parent for m in mentions if isinstance(m.parent, cst.Call) and m.parent.func is m.node]
        if len(mentions) - len(calls) != 1 or not calls:  # the one other mention is the def's own name
            return None
        passed = []
        facts = self.facts
        nodes = self.ctx.analysis(NodeIndex)
        for call in calls:
            site_fn = nodes.innermost(call, (cst.FunctionDef,))
            given = _argument_for(call, slot)
            if site_fn is fn or given is None:
                return None
            scope = facts.scopes.get(site_fn, facts.module_scope) if site_fn is not None else facts.module_scope
            cls = facts.class_of_method(site_fn) if site_fn is not None else None
            passed.append(PassedArgument(call, given, scope, cls))
        return passed

    def _all_callers_visible(self, fn: cst.FunctionDef) -> bool:
        module, facts = self.ctx.module, self.facts
        if fn.decorators or not any(s is fn for s in module.body):
            return False
        name = fn.name.value
        if name in self.ctx.imports.aliases or name in facts.module_scope.assigns:
            return False
        if sum(isinstance(s, cst.FunctionDef) and s.name.value == name for s in module.body) != 1:
            return False
        return not any(info is not facts.module_scope and info.binds(name) for info in facts.scopes.values())


def _param_slot(fn: cst.FunctionDef, name: str) -> Optional[_Slot]:
    """Where an ordinary parameter ``name`` is passed (not ``*args`` / ``**kwargs``)."""
    posonly = len(fn.params.posonly_params)
    for i, p in enumerate([*fn.params.posonly_params, *fn.params.params]):
        if p.name.value == name:
            return _Slot(i, name if i >= posonly else "")
    for p in fn.params.kwonly_params:
        if p.name.value == name:
            return _Slot(None, name)
    return None


def _argument_for(call: cst.Call, slot: _Slot) -> Optional[cst.BaseExpression]:
    """The argument a call passes for the parameter in ``slot`` (None: star-args or default)."""
    if any(a.star for a in call.args):
        return None
    positional = [a for a in call.args if a.keyword is None]
    if slot.position is not None and slot.position < len(positional):
        return positional[slot.position].value
    return next((a.value for a in call.args if a.keyword is not None and slot.keyword
                 and a.keyword.value == slot.keyword), None)
