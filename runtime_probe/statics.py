"""The static side of ``ptlint probe``: the shape report plus the other static
predictions the model probe can check on the same run.

One parse gives both: the shape contract (``rules.shapes``) and the findings whose
requests predict a model step (a ``.view()`` on a non-contiguous tensor). The shape
engine knows shapes, not strides, so a ``view`` it computes a shape for may still
raise; when a rule predicted that raise at the same place, PyTorch's ``RuntimeError``
there confirms the finding instead of reading as a disagreement (a ptlint bug)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ptlint.rules.probe_requests import ViewRequest


@dataclass(frozen=True)
class StepKind:
    """The kind of model step a request is about: its op and, for a method, the names."""

    op: str
    methods: tuple[str, ...] = ()


# Request types whose findings become step predictions, and the step each one is about.
PREDICTED_STEPS: dict[type, StepKind] = {ViewRequest: StepKind("method", ("view",))}


def prediction(req: Any) -> Optional[dict[str, Any]]:
    """A request as a prediction record ({code, range (with its cell), message_zh,
    message_en, step}); None for a request about no model step."""
    kind = PREDICTED_STEPS.get(type(req))
    if kind is None:
        return None
    rng = req.range.to_dict()
    if req.cell is not None:
        rng["cell"] = req.cell
    return {"code": req.code, "range": rng, "message_zh": req.message_zh, "message_en": req.message_en,
            "step": kind}


def predictions_of(requests: Iterable[Any]) -> list[dict[str, Any]]:
    return [p for p in (prediction(r) for r in requests) if p is not None]


def static_facts(text: str, path: str, *, input_shape: Any = None, model: Optional[str] = None,
                 notebook: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(shape report, predictions) from one parse of ``text``."""
    from ptlint.rules.api import analyse
    from ptlint.rules.config import Config
    from ptlint.rules.probe_requests import probed_rules

    rules = [r for t in PREDICTED_STEPS for r in probed_rules(t)]
    report = analyse(text, Config(), path=path, notebook=notebook, rules=rules, input_shape=input_shape,
                     models=True, model=model, facts=False)
    return report.shapes_document(), predictions_of(report.probe_requests.values())


def _pos(r: Any, key: str) -> Optional[tuple[int, int]]:
    try:
        return int(r[key]["line"]), int(r[key]["column"])
    except (KeyError, TypeError, ValueError):
        return None


def with_predictions(model: dict, predictions: list[dict[str, Any]]) -> dict:
    """The model with each prediction that falls on one of its steps added to its
    ``errors`` (so that synthesis, comparison and verdicts treat it like a shape error
    of the report; ``prediction`` marks it as another rule's)."""
    if not predictions or not isinstance(model.get("steps"), list):
        return model
    errors = list(model.get("errors") or [])
    taken = {e.get("step") for e in errors if isinstance(e, dict)}
    for p in predictions:
        kind = p.get("step")
        start = _pos(p.get("range"), "start")
        cell = (p.get("range") or {}).get("cell")
        if start is None or not isinstance(kind, StepKind):
            continue
        for step in model["steps"]:
            rng = step.get("range") if isinstance(step, dict) else None
            if step.get("op") != kind.op or step.get("method") not in kind.methods or not isinstance(rng, dict) \
                    or rng.get("cell") != cell or step.get("id") in taken:
                continue
            a, b = _pos(rng, "start"), _pos(rng, "end")
            if a is not None and b is not None and a <= start <= b:
                errors.append({"step": step.get("id"), "code": p["code"], "message_zh": p.get("message_zh", ""),
                               "message_en": p.get("message_en", ""), "range": rng, "prediction": True})
                taken.add(step.get("id"))
                break
    if len(errors) == len(model.get("errors") or []):
        return model
    return {**model, "errors": errors}
