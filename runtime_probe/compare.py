"""Static facts versus what PyTorch did: per step, per layer, per static error."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from .synth import Snippet, safe_label

# Verdicts on a static error (a PT005 finding, say)
CONFIRMED, REFUTED, UNVERIFIABLE = "confirmed", "refuted", "unverifiable"
# Step status
AGREE, MISMATCH, UNKNOWN, ERROR, NOT_RUN = "agree", "mismatch", "unknown", "error", "not-run"
# Model status
OK, RAISES, FAILED = "ok", "raises", "failed"

Shape = list  # of int | str (a symbol such as "N") | None


@dataclass
class StepResult:
    id: int
    op: str
    label: str
    range: Optional[dict]
    static: Optional[list]  # flattened: one shape per tensor output
    actual: Optional[list]
    status: str
    error: Optional[dict] = None  # {"type", "message"} when PyTorch raised here
    predicted: bool = False  # the static analysis reported an error at this step
    predicted_code: str = ""  # which rule predicted it (PT005, or PT001 for a view on a non-contiguous tensor)


@dataclass
class LayerResult:
    name: str
    type: str
    static_params: Optional[int]
    actual_params: Optional[int]
    calls: list = field(default_factory=list)  # output shapes seen by the forward hook, per call

    @property
    def params_agree(self) -> Optional[bool]:
        if self.static_params is None or self.actual_params is None:
            return None
        return self.static_params == self.actual_params


@dataclass
class ErrorVerdict:
    step: Optional[int]
    code: str
    verdict: str
    message_zh: str
    message_en: str
    detail: str  # PyTorch's exception text (confirmed), or why not
    range: Optional[dict] = None
    # Another rule's prediction at a model step (a view on a non-contiguous tensor),
    # not a shape error of the shape report.
    prediction: bool = False


@dataclass
class ModelProbe:
    name: str
    kind: str
    status: str
    range: Optional[dict] = None
    reason_zh: str = ""
    reason_en: str = ""
    device: str = ""
    torch: str = ""
    input: Optional[list] = None
    bindings: dict = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    layers: list[LayerResult] = field(default_factory=list)
    errors: list[ErrorVerdict] = field(default_factory=list)
    runtime_error: Optional[dict] = None
    elapsed_ms: float = 0.0
    cached: bool = False
    snippet: str = ""
    reason_kind: str = ""  # "input-unknown": a candidate for folding under the model that uses it
    parts: list = field(default_factory=list)  # sub-block classes verified as part of this model

    def reason(self, lang: str) -> str:
        return self.reason_en if lang == "en" else self.reason_zh

    @property
    def disagreements(self) -> list[StepResult]:
        return [s for s in self.steps if s.status == MISMATCH]

    @property
    def param_mismatches(self) -> list[LayerResult]:
        return [l for l in self.layers if l.params_agree is False]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["disagreements"] = [s.id for s in self.disagreements]
        return d


def flatten_static(value: Any) -> Optional[list]:
    """One shape per tensor: a shape is a list of dims; tuples nest lists of shapes."""
    if value is None:
        return None
    if not isinstance(value, list):
        return [None]
    if all(not isinstance(e, list) for e in value) and not any(isinstance(e, dict) for e in value):
        return [value]
    out: list = []
    for e in value:
        out.extend(flatten_static(e) if isinstance(e, list) else [None])
    return out


def flatten_actual(desc: Any) -> Optional[list]:
    if not isinstance(desc, dict):
        return None
    if "shape" in desc:
        return [desc["shape"]]
    if "items" in desc:
        out: list = []
        for item in desc["items"]:
            out.extend(flatten_actual(item) or [None])
        return out
    return [None]


def dims_agree(static: Any, actual: Any, bindings: dict[str, int]) -> Optional[bool]:
    """True/False when comparable; None when the static shape says nothing.
    A symbol binds to the first size it meets ("N" -> 2) and must keep it."""
    if isinstance(static, dict) and isinstance(static.get("tail"), list) and isinstance(actual, list):
        tail = static["tail"]
        if len(actual) < len(tail):
            return False
        return dims_agree(tail, actual[len(actual) - len(tail):], bindings) if tail else None
    if static is None or actual is None or not isinstance(static, list):
        return None
    if len(static) != len(actual):
        return False
    known = False
    for s, a in zip(static, actual):
        if type(s) is int:
            known = True
            if s != a:
                return False
        elif isinstance(s, str) and s.isidentifier():
            known = True
            if bindings.setdefault(s, a) != a:
                return False
    return True if known or not static else None


def compare_shapes(static: Optional[list], actual: Optional[list], bindings: dict[str, int]) -> str:
    if static is None or actual is None:
        return UNKNOWN
    verdicts = [dims_agree(s, a, bindings) for s, a in zip(static, actual)]
    if len(static) > len(actual) and any(s is not None for s in static[len(actual):]):
        return MISMATCH
    if any(v is False for v in verdicts):
        return MISMATCH
    return AGREE if any(v for v in verdicts) else UNKNOWN


def _layer_at(model: dict, rng: Optional[dict]) -> Optional[int]:
    if not rng:
        return None
    for i, layer in enumerate(model.get("layers", [])):
        if isinstance(layer, dict) and layer.get("range") and layer["range"].get("start") == rng.get("start"):
            return i
    return None


def step_label(step: dict, layers: dict[str, dict]) -> str:
    op = step.get("op")
    if op == "layer":
        name = str(step.get("layer"))
        if name.rsplit(".", 1)[-1].isdigit():  # a Sequential entry: "0" says little, "0 (Conv2d)" more
            kind = str((layers.get(step.get("layer")) or {}).get("type", "")).rsplit(".", 1)[-1]
            return f"{name} ({kind})" if kind else name
        return name
    if op == "call":
        fn = str(step.get("fn", ""))
        return fn.replace("torch.nn.functional.", "F.") + "()"
    if op == "method":
        return "." + str(step.get("method")) + "()"
    if op == "binary":
        return str(step.get("operator"))
    return str(op)


def _static_output(step: dict) -> Optional[list]:
    if "outputs" in step and step["outputs"] is not None:
        return flatten_static(step["outputs"])
    if step.get("output") is None and isinstance(step.get("output_tail"), list):
        return [{"tail": step["output_tail"]}]  # rank unknown: only the trailing dims are known
    return flatten_static(step.get("output"))


def compare(model: dict, snippet: Snippet, answer: dict) -> ModelProbe:
    """Compare one model's static facts with the worker's answer for its snippet."""
    layers = {l.get("name"): l for l in model.get("layers", []) if isinstance(l, dict)}
    steps_by_id = {s.get("id"): s for s in model.get("steps", [])}
    probe = ModelProbe(
        name=str(model.get("name")), kind=str(model.get("kind", "module")), status=OK, range=model.get("range"),
        device=answer.get("device", ""), torch=answer.get("torch", ""),
        input=list(snippet.input_shape) if snippet.input_shape else None, bindings=dict(snippet.bindings),
        elapsed_ms=float(answer.get("elapsed_ms", 0.0)), cached=bool(answer.get("cached")), snippet=snippet.code,
    )
    bindings = dict(snippet.bindings)
    error = answer.get("error")
    probe.runtime_error = error
    failed_step = error.get("step") if error and error.get("phase") == "forward" else None
    build_failed = bool(error and error.get("phase") == "build")
    static_errors = {e.get("step"): e for e in model.get("errors", []) if isinstance(e, dict) and e.get("step") is not None}
    outputs = answer.get("outputs", {})

    for sid in snippet.step_ids:
        step = steps_by_id[sid]
        actual = flatten_actual(outputs.get(str(sid)))
        static = _static_output(step)
        res = StepResult(id=sid, op=str(step.get("op")), label=step_label(step, layers), range=step.get("range"),
                         static=static, actual=actual, status=UNKNOWN, predicted=sid in static_errors,
                         predicted_code=str((static_errors.get(sid) or {}).get("code", "")))
        if sid == failed_step:
            res.status = ERROR
            res.error = {"type": error.get("type"), "message": error.get("message")}  # type: ignore[union-attr]
        elif actual is None:
            res.status = NOT_RUN
        else:
            res.status = compare_shapes(static, actual, bindings)
            if res.predicted:
                res.status = MISMATCH  # static said it raises; PyTorch ran it
        probe.steps.append(res)

    for sid in snippet.unbuilt:  # after a predicted error: shown, never run
        step = steps_by_id.get(sid) or {}
        probe.steps.append(StepResult(id=sid, op=str(step.get("op")), label=step_label(step, layers),
                                      range=step.get("range"), static=_static_output(step), actual=None,
                                      status=NOT_RUN, predicted=sid in static_errors,
                                      predicted_code=str((static_errors.get(sid) or {}).get("code", ""))))

    # layers: parameter counts and what the hooks saw
    params = answer.get("params") or []
    calls = answer.get("layer_calls", {})
    for i, layer in enumerate(model.get("layers", [])):
        probe.layers.append(LayerResult(
            name=str(layer.get("name")), type=str(layer.get("type", "")),
            static_params=layer.get("params") if type(layer.get("params")) is int else None,
            actual_params=params[i] if i < len(params) else None,
            calls=[flatten_actual(c) for c in calls.get(str(i), [])],
        ))

    # verdicts on the static errors
    for err in model.get("errors", []) or []:
        if not isinstance(err, dict):
            continue
        sid = err.get("step")
        step = steps_by_id.get(sid, {}) if sid is not None else {}
        v = ErrorVerdict(step=sid, code=str(err.get("code", "")), verdict=UNVERIFIABLE,
                         message_zh=str(err.get("message_zh", "")), message_en=str(err.get("message_en", "")),
                         detail="", range=err.get("range") or step.get("range"), prediction=bool(err.get("prediction")))
        if sid is None:  # a layer PyTorch would refuse to construct
            at = _layer_at(model, v.range)
            if at is None:
                v.detail = "the probe cannot tell which layer this is about"
            elif build_failed and error.get("layer") == at:  # type: ignore[union-attr]
                v.verdict, v.detail = CONFIRMED, str(error.get("message", ""))  # type: ignore[union-attr]
            elif not build_failed or (error.get("layer") or 0) > at:  # type: ignore[union-attr]
                v.verdict, v.detail = REFUTED, "PyTorch constructed this layer without error"
            else:
                v.detail = "an earlier layer could not be built"
        elif sid == failed_step:
            v.verdict = CONFIRMED
            v.detail = str(error.get("message", ""))  # type: ignore[union-attr]
        elif build_failed:
            v.detail = f"a layer could not be built: {error.get('message', '')}"  # type: ignore[union-attr]
        elif str(sid) in outputs:
            v.verdict = REFUTED
            v.detail = "PyTorch ran this step without error"
        elif failed_step is not None:
            v.detail = f"not reached: PyTorch raised earlier, at step {failed_step}"
        else:
            v.detail = "the probe did not run this step"
        probe.errors.append(v)

    # the model's overall status
    refuted = any(v.verdict == REFUTED for v in probe.errors)
    unpredicted = None
    if failed_step is not None and failed_step not in static_errors:
        unpredicted = next(s for s in probe.steps if s.id == failed_step)
    static_claimed_ok = unpredicted is not None and unpredicted.static is not None and any(
        s is not None for s in unpredicted.static)
    if probe.disagreements or refuted or probe.param_mismatches or static_claimed_ok:
        probe.status = MISMATCH
    elif any(v.verdict == CONFIRMED for v in probe.errors):
        probe.status = CONFIRMED
    elif error:
        probe.status = RAISES
    probe.bindings = bindings
    return probe


def failed_model(model: dict, status: str, zh: str, en: str) -> ModelProbe:
    """A model the probe could not run: every static error on it is unverifiable."""
    probe = ModelProbe(name=str(model.get("name")), kind=str(model.get("kind", "module")), status=status,
                       range=model.get("range"), reason_zh=zh, reason_en=en)
    steps = {s.get("id"): s for s in model.get("steps", []) if isinstance(s, dict)}
    for err in model.get("errors", []) or []:
        if isinstance(err, dict):
            probe.errors.append(ErrorVerdict(
                step=err.get("step"), code=str(err.get("code", "")), verdict=UNVERIFIABLE,
                message_zh=str(err.get("message_zh", "")), message_en=str(err.get("message_en", "")),
                detail=en, range=err.get("range") or (steps.get(err.get("step")) or {}).get("range"),
                prediction=bool(err.get("prediction"))))
    return probe


__all__ = ["compare", "failed_model", "ModelProbe", "StepResult", "LayerResult", "ErrorVerdict", "safe_label"]
