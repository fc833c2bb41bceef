"""Typed requests to the runtime probe: what a finding claims PyTorch would do, in a
form the probe can replay without knowing which rule said it.

A rule whose findings the probe can check derives from :class:`ProbedRule` and turns
one of its findings into a request (from the facts it put in ``Finding.extra``: the
facts travel with cached findings, the request is rebuilt from them). The probe maps
the request's type to a handler (``runtime_probe/probe.py``); it never reads a rule
code. Nothing here imports torch."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Optional, Sequence, Union

from .findings import Finding, Range

Dim = Union[int, str]  # a number, or a symbol such as "N" (the batch)


@dataclass(frozen=True)
class ShapeRequest:
    """A shape error at a step of a model: the probe rebuilds the model from the shape
    report, runs it and checks that PyTorch raises at the step at ``range``."""

    code: str  # the finding's code: the shape report's errors carry the same one
    range: Range
    cell: Optional[int] = None


@dataclass(frozen=True)
class ViewRequest:
    """A ``.view(...)`` that raises on a non-contiguous tensor. Checked alone by
    replaying ``chain`` on a fresh tensor of ``shape`` (when every fact is a literal),
    else as the ``.view`` step of its model predicted to raise."""

    code: str
    range: Range
    cell: Optional[int] = None
    message_zh: str = ""
    message_en: str = ""
    shape: Optional[tuple[Any, ...]] = None  # dims at creation; None: not known as literals
    dtype: Optional[str] = None
    # Each link: {"method": name, "args": [...], "kwargs": {...}} or {"attr": "T"}; the
    # last one is the view. None: the operations are not statically known.
    chain: Optional[tuple[Mapping[str, Any], ...]] = field(default=None, hash=False)


@dataclass(frozen=True)
class LossRequest:
    """A loss called with a target of the wrong dtype: the probe calls the loss itself
    on an input and a target of the inferred shapes and dtypes."""

    code: str
    range: Range
    cell: Optional[int] = None
    loss: Optional[str] = None  # qualified name; None: it or an argument is not a literal
    loss_kwargs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    input_shape: Optional[tuple[Any, ...]] = None
    input_dtype: Optional[str] = None
    target_shape: Optional[tuple[Any, ...]] = None
    target_dtype: Optional[str] = None


ProbeRequest = Union[ShapeRequest, ViewRequest, LossRequest]
REQUEST_TYPES: tuple[type, ...] = (ShapeRequest, ViewRequest, LossRequest)


def _dims(value: Any) -> Optional[tuple[Any, ...]]:
    """A shape fact as a tuple; anything else is "not known" (the probe then says why)."""
    return tuple(value) if isinstance(value, (list, tuple)) else None


def _facts(finding: Finding) -> Mapping[str, Any]:
    return finding.extra if isinstance(finding.extra, dict) else {}


def shape_request(finding: Finding) -> ShapeRequest:
    return ShapeRequest(finding.code, finding.range, finding.cell)


def view_request(finding: Finding) -> ViewRequest:
    facts = _facts(finding)
    chain = facts.get("chain")
    return ViewRequest(finding.code, finding.range, finding.cell, finding.message_zh, finding.message_en,
                       shape=_dims(facts.get("shape")), dtype=_text(facts.get("dtype")),
                       chain=tuple(chain) if isinstance(chain, (list, tuple)) else None)


def loss_request(finding: Finding) -> LossRequest:
    facts = _facts(finding)
    kwargs = facts.get("loss_kwargs")
    return LossRequest(finding.code, finding.range, finding.cell, loss=_text(facts.get("loss")),
                       loss_kwargs=dict(kwargs) if isinstance(kwargs, dict) else {},
                       input_shape=_dims(facts.get("input_shape")), input_dtype=_text(facts.get("input_dtype")),
                       target_shape=_dims(facts.get("target_shape")), target_dtype=_text(facts.get("target_dtype")))


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


class ProbedRule:
    """Mixed into a rule whose findings the runtime probe can check."""

    request_type: ClassVar[type]  # what ``probe_request`` returns

    @staticmethod
    def probe_request(finding: Finding) -> Optional[ProbeRequest]:
        raise NotImplementedError


def request_for(finding: Finding) -> Optional[ProbeRequest]:
    """The probe request that checks a finding, from the rule that reported it; None
    when that rule's findings are not the probe's business."""
    from .rule import all_rules

    rule = all_rules().get(finding.code)
    if not (isinstance(rule, type) and issubclass(rule, ProbedRule)):
        return None
    return rule.probe_request(finding)


def requests_for(findings: Sequence[Finding]) -> dict[int, ProbeRequest]:
    """{index in ``findings``: its request}, for the findings the probe can check."""
    out: dict[int, ProbeRequest] = {}
    for i, f in enumerate(findings):
        req = request_for(f)
        if req is not None:
            out[i] = req
    return out


def probed_rules(request_type: type) -> list[type]:
    """The rules whose findings become requests of this type."""
    from .rule import all_rules

    return [r for r in all_rules().values() if issubclass(r, ProbedRule) and r.request_type is request_type]


__all__ = ["LossRequest", "ProbeRequest", "ProbedRule", "REQUEST_TYPES", "ShapeRequest", "ViewRequest",
           "loss_request", "probed_rules", "request_for", "requests_for", "shape_request", "view_request"]
