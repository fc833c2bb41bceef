"""The static side of ``ptlint probe``: the shape report plus the other static
predictions the model probe can check on the same run.

One parse gives both: the shape contract (``rules.shapes``) and the PT001 findings
(a ``.view()`` on a non-contiguous tensor). The shape engine knows shapes, not strides,
so a ``view`` it computes a shape for may still raise; when the flow rule predicted that
raise at the same place, PyTorch's ``RuntimeError`` there confirms PT001 instead of
reading as a disagreement (a ptlint bug)."""
from __future__ import annotations

from typing import Any, Optional

# Codes whose findings become step predictions, and the step each one is about.
PREDICTED_STEPS = {"PT001": ("method", ("view",))}


def finding_prediction(f: Any) -> Optional[dict[str, Any]]:
    """A finding as a prediction record ({code, range, message_zh, message_en})."""
    if getattr(f, "code", None) not in PREDICTED_STEPS:
        return None
    rng = f.range.to_dict() if hasattr(f.range, "to_dict") else f.range
    if not isinstance(rng, dict):
        return None
    rng = dict(rng)
    if getattr(f, "cell", None) is not None:
        rng["cell"] = f.cell
    return {"code": f.code, "range": rng, "message_zh": f.message_zh, "message_en": f.message_en}


def static_facts(text: str, path: str, *, input_shape: Any = None, model: Optional[str] = None,
                 notebook: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(shape report, predictions) from one parse of ``text``."""
    from ptlint.rules.catalog.pt001_view_on_noncontiguous import ViewOnNoncontiguous
    from ptlint.rules.config import Config
    from ptlint.rules.engine import lint_source
    from ptlint.rules.shapes.analysis import ShapeAnalysis
    from ptlint.rules.shapes.dims import Shape
    from ptlint.rules.shapes.report import build_report
    from ptlint.rules.source import source_from_text

    source = source_from_text(text, path, notebook=notebook)
    result = lint_source(source, Config(), rules=[ViewOnNoncontiguous], keep_context=True)
    ctx = result.context
    analysis = None
    if ctx is not None:
        if input_shape is None:
            analysis = ctx.analysis(ShapeAnalysis)
        else:
            shape = input_shape if isinstance(input_shape, Shape) else Shape(tuple(input_shape))
            analysis = ShapeAnalysis(ctx, input_shape=shape)
    predictions = [p for p in (finding_prediction(f) for f in result.findings) if p is not None]
    return build_report(analysis, path, model=model), predictions


def _pos(r: Any, key: str) -> Optional[tuple[int, int]]:
    try:
        return int(r[key]["line"]), int(r[key]["column"])
    except (KeyError, TypeError, ValueError):
        return None


def with_predictions(model: dict, predictions: list[dict[str, Any]]) -> dict:
    """The model with each prediction that falls on one of its steps added to its
    ``errors`` (so that synthesis, comparison and verdicts treat it like a PT005)."""
    if not predictions or not isinstance(model.get("steps"), list):
        return model
    errors = list(model.get("errors") or [])
    taken = {e.get("step") for e in errors if isinstance(e, dict)}
    for p in predictions:
        op, names = PREDICTED_STEPS.get(p.get("code"), (None, ()))
        start = _pos(p.get("range"), "start")
        cell = (p.get("range") or {}).get("cell")
        if start is None:
            continue
        for step in model["steps"]:
            rng = step.get("range") if isinstance(step, dict) else None
            if step.get("op") != op or step.get("method") not in names or not isinstance(rng, dict) \
                    or rng.get("cell") != cell or step.get("id") in taken:
                continue
            a, b = _pos(rng, "start"), _pos(rng, "end")
            if a is not None and b is not None and a <= start <= b:
                errors.append({"step": step.get("id"), "code": p["code"], "message_zh": p.get("message_zh", ""),
                               "message_en": p.get("message_en", ""), "range": rng})
                taken.add(step.get("id"))
                break
    if len(errors) == len(model.get("errors") or []):
        return model
    return {**model, "errors": errors}
