"""Probe a file: static shape facts in, verdicts out.

``probe_file`` asks the shape engine for the contract (``shapes_report``), rebuilds
each model as a snippet, runs it in the worker and compares; ``request_verdicts``
turns that into a verdict per typed probe request (``rules/probe_requests.py``):
the request's type picks its handler, the probe never reads a rule code."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Optional

from ptlint.rules.probe_requests import LossRequest, ProbeRequest, ViewRequest, requests_for

from .checks import loss_snippet, view_chain_snippet
from .rebinding import Bindings, classes_using, file_bindings, file_rebinding, model_rebinding
from .words import verdict_line
from .statics import prediction, predictions_of, static_facts, with_predictions
from .compare import (CONFIRMED, FAILED, MISMATCH, OK, REFUTED, UNVERIFIABLE, ErrorVerdict, ModelProbe, compare,
                      failed_model)
from .synth import Snippet, Unverifiable, synthesize
from .worker import ProbeFailed, TorchMissing, WorkerPool, default_pool

from ptlint.rules.config import valid_device  # noqa: F401 (re-exported) auto, cpu, cuda[:n], mps, meta: one definition


@dataclass
class ProbeOptions:
    device: str = "auto"
    python: Optional[str] = None  # None: the interpreter running ptlint
    timeout: float = 20.0
    memory_mb: int = 4096
    batch: int = 2  # the batch size used on real devices (and for a symbolic batch)
    use_cache: bool = True

    @classmethod
    def from_config(cls, cfg: Any, **overrides: Any) -> "ProbeOptions":
        """From a ``ProbeConfig`` (``[tool.ptlint.probe]`` / editor settings) plus overrides."""
        kw = {"device": getattr(cfg, "device", "auto"), "python": getattr(cfg, "python", None),
              "timeout": float(getattr(cfg, "timeout", 20.0)), "memory_mb": int(getattr(cfg, "memory_mb", 4096))}
        kw.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kw)


@dataclass
class FileProbe:
    path: str
    models: list[ModelProbe] = field(default_factory=list)
    device: str = ""
    torch: str = ""
    python: str = ""
    failed_zh: str = ""  # the whole probe could not run (torch missing, worker did not start)
    failed_en: str = ""
    torch_missing: bool = False
    worker_start_s: Optional[float] = None  # set when this call started the worker (cold)

    def failed(self, lang: str) -> str:
        return self.failed_en if lang == "en" else self.failed_zh

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["version"] = 1
        return d


ShapesFn = Callable[..., dict]


def _shapes_report() -> ShapesFn:
    # The static shape engine (no torch). Its report module's function also takes
    # ``notebook=True`` (the package-level wrapper does not, yet).
    from ptlint.rules.shapes.report import shapes_report

    return shapes_report


class Prober:
    """Runs snippets through a worker pool and records device / torch / start-up facts."""

    def __init__(self, options: ProbeOptions, pool: Optional[WorkerPool] = None) -> None:
        self.options = options
        self.pool = pool or default_pool()
        self.device = ""
        self.torch = ""
        self.python = ""
        self.worker_start_s: Optional[float] = None

    def run(self, snippet: Snippet, device: Optional[str] = None) -> dict[str, Any]:
        o = self.options
        starts = self.pool.starts
        answer = self.pool.run(snippet.code, snippet.key, device=device or o.device, python=o.python,
                               timeout=o.timeout, memory_mb=o.memory_mb, use_cache=o.use_cache)
        info = answer.get("worker")
        if info is not None:
            self.torch, self.python = info.torch, info.python
            if self.pool.starts != starts:
                self.worker_start_s = info.started_s
        if "fatal" in answer:
            raise ProbeFailed(*fatal_text(answer))
        if device is None or device == o.device:
            self.device = answer.get("device", self.device)
        err = answer.get("error")
        if err and err.get("oom"):
            raise ProbeFailed(f"内存不足（{err.get('message', '')}）", f"out of memory ({err.get('message', '')})")
        return answer


# What the worker could not do, by the kind it reports: said in the run's language
# (the worker's own sentence is English and stays the fallback).
_FATAL = {
    "no-cuda": ("这个 torch 无法使用 CUDA（torch.cuda.is_available() 为 False）",
                "CUDA is not available to this torch (torch.cuda.is_available() is False)"),
    "no-such-cuda": ("没有 CUDA 设备 {device}（这台机器有 {count} 个）", "no CUDA device {device} (this machine has {count})"),
    "no-mps": ("这个 torch 无法使用 MPS", "MPS is not available to this torch"),
    "unknown-device": ("未知的设备 {device}", "unknown device {device}"),
}


def fatal_text(answer: dict) -> tuple[str, str]:
    msg = str(answer.get("fatal", ""))
    kind = answer.get("fatal_kind")
    info = answer.get("fatal_info") if isinstance(answer.get("fatal_info"), dict) else {}
    if kind in _FATAL:
        zh, en = _FATAL[kind]  # type: ignore[index]
        try:
            return zh.format(**info), en.format(**info)
        except (KeyError, IndexError, ValueError):
            pass
    return f"生成的代码在 worker 中出错（这是 ptlint 的缺陷，请报告）：{msg}", f"the generated code failed in the worker (a ptlint bug, please report it): {msg}"


def _small_batch_input(model: dict, options: ProbeOptions) -> Optional[list]:
    """On a real device a large concrete batch is cut to ``options.batch``; the static
    facts are then recomputed for that input so both sides see the same tensor."""
    if options.device == "meta":
        return None
    inp = model.get("input") or {}
    shape = inp.get("shape")
    if inp.get("source") == "cli" or not isinstance(shape, list) or not shape:
        return None
    if type(shape[0]) is int and shape[0] > options.batch:
        return [options.batch] + list(shape[1:])
    return None


def probe_model(model: dict, prober: Prober, *, restatic: Optional[Callable[[list], Optional[dict]]] = None,
                predictions: Optional[list] = None, bindings: Optional[Bindings] = None) -> ModelProbe:
    """One model: synthesize, run, compare. Never raises for bad facts or a failing worker
    (TorchMissing excepted: the caller reports it once for the whole file).
    ``predictions``: other rules' requests (statics.prediction) to check on the model's steps."""
    small = _small_batch_input(model, prober.options)
    if small is not None and restatic is not None:
        model = restatic(small) or model
    model = with_predictions(model, predictions or [])
    rebound = model_rebinding(model, bindings) if bindings is not None else None
    if rebound is not None:  # the file's `nn` may not be torch's: verifying torch's layer proves nothing
        return failed_model(model, UNVERIFIABLE, *rebound.reason())
    try:
        snippet = synthesize(model, prober.options.batch)
    except Unverifiable as exc:
        probe = failed_model(model, UNVERIFIABLE, exc.zh, exc.en)
        probe.reason_kind = exc.kind
        return probe
    try:
        answer = prober.run(snippet)
    except TorchMissing:
        raise
    except ProbeFailed as exc:
        probe = failed_model(model, FAILED, exc.zh, exc.en)
        probe.snippet = snippet.code
        return probe
    return compare(model, snippet, answer)


def probe_report(report: dict, options: ProbeOptions, *, pool: Optional[WorkerPool] = None,
                 restatic: Optional[Callable[[str, list], Optional[dict]]] = None, prober: Optional[Prober] = None,
                 path: str = "", predictions: Optional[list] = None, bindings: Optional[Bindings] = None) -> FileProbe:
    """Probe every model of a shape report (contract v1)."""
    prober = prober or Prober(options, pool)
    out = FileProbe(path=str(report.get("path", path)))
    if report.get("version") != 1:
        out.failed_zh = f"形状报告的版本 {report.get('version')!r} 不受支持（需要 1）"
        out.failed_en = f"unsupported shape report version {report.get('version')!r} (expected 1)"
        return out
    missing: Optional[TorchMissing] = None
    for model in report.get("models", []):
        if not isinstance(model, dict):
            continue
        if missing is not None:  # said once for the file; every model is then "failed"
            out.models.append(failed_model(model, FAILED, missing.zh, missing.en))
            continue
        again = (lambda shape, name=model.get("name"): restatic(name, shape)) if restatic else None
        try:
            out.models.append(probe_model(model, prober, restatic=again, predictions=predictions, bindings=bindings))
        except TorchMissing as exc:
            missing = exc
            out.failed_zh, out.failed_en, out.torch_missing = exc.zh, exc.en, True
            out.models.append(failed_model(model, FAILED, exc.zh, exc.en))
    out.device, out.torch, out.python, out.worker_start_s = prober.device, prober.torch, prober.python, prober.worker_start_s
    return out


def probe_file(text: str, path: str, options: ProbeOptions, *, model: Optional[str] = None,
               input_shape: Optional[list[int]] = None, pool: Optional[WorkerPool] = None,
               prober: Optional[Prober] = None, shapes: Optional[ShapesFn] = None,
               notebook: bool = False, predictions: Optional[list] = None) -> FileProbe:
    """Static facts for ``text`` (optionally one model / a given input), then the probe.
    A notebook is given as its .ipynb JSON text: ranges then carry their cell.
    Without an injected ``shapes`` function the same parse also yields the step
    predictions that the model's steps can confirm."""
    nb = {"notebook": True} if notebook else {}
    if shapes is None:
        report, found = static_facts(text, path, input_shape=input_shape, model=model, notebook=notebook)
        predictions = found if predictions is None else predictions
        shapes = _shapes_report()
    else:
        report = shapes(text, path, input_shape=input_shape, model=model, **nb)

    def restatic(name: str, shape: list) -> Optional[dict]:
        again = shapes(text, path, input_shape=shape, model=name, **nb)
        return next((m for m in again.get("models", []) if m.get("name") == name), None)

    bindings = file_bindings(text, path, notebook)
    fp = probe_report(report, options, pool=pool, restatic=restatic, prober=prober, path=path,
                      predictions=predictions, bindings=bindings)
    if model is None:
        fold_sub_blocks(fp, bindings)
    if not fp.models:
        say_rebound_models(fp, bindings)
    return fp


def say_rebound_models(fp: FileProbe, bindings: Bindings) -> None:
    """No model found because a torch name is rebound (`nn = Evil()`): "no model" would
    read as "nothing to check", so each class that reads that name is unverifiable."""
    rebound = file_rebinding(bindings)
    if rebound is None:
        return
    for name in classes_using(bindings, rebound):
        fp.models.append(failed_model({"name": name}, UNVERIFIABLE, *rebound.reason()))


RAN = (OK, CONFIRMED, MISMATCH, "raises")


def fold_sub_blocks(fp: FileProbe, bindings: Bindings) -> None:
    """A block class without an input of its own (ResNet's ``BasicBlock``) that a model
    which ran uses is listed under that model instead of as "input shape unknown"."""
    ran = [m for m in fp.models if m.status in RAN]
    kept = []
    for m in fp.models:
        user = None
        if m.status == UNVERIFIABLE and m.reason_kind == "input-unknown" and not m.errors:
            user = next((p for p in ran if p is not m and m.name in bindings.names_used_by(p.name)), None)
        if user is None:
            kept.append(m)
        else:
            user.parts.append(m.name)
    fp.models = kept


# ---------------------------------------------------------------------- findings
def _pos(r: Optional[dict], key: str) -> Optional[tuple[int, int]]:
    try:
        p = r[key]  # type: ignore[index]
        return int(p["line"]), int(p["column"])
    except (KeyError, TypeError, ValueError):
        return None


def match_error(finding_range: dict, verdicts: list[ErrorVerdict], code: str,
                cell: Optional[int] = None) -> Optional[ErrorVerdict]:
    """The static error (from the shape report) that a finding reports: same start, else
    the step whose range contains the finding's start (in the same notebook cell)."""
    start = _pos(finding_range, "start")
    if start is None:
        return None
    candidates = [v for v in verdicts if v.code == code and (v.range or {}).get("cell") == cell] or \
        [v for v in verdicts if (v.range or {}).get("cell") == cell]
    for v in candidates:
        if _pos(v.range, "start") == start:
            return v
    for v in candidates:
        a, b = _pos(v.range, "start"), _pos(v.range, "end")
        if a and b and a <= start <= b:
            return v
    return None


def verdict_record(verdict: str, detail_zh: str, detail_en: str, device: str, torch: str, lang: str) -> dict[str, Any]:
    """What goes into ``Finding.extra["probe"]``."""
    rec = {"verdict": verdict, "detail": detail_en if lang == "en" else detail_zh, "detail_zh": detail_zh,
           "detail_en": detail_en, "device": device, "torch": torch}
    rec["text"] = verdict_line(rec, lang)  # the line a front end prints, in the run's language
    return rec


_DETAIL_ZH = {
    REFUTED: "PyTorch 正常运行了这一步——静态分析判断错了，这是 ptlint 的缺陷，请报告",
}
_DETAIL_EN = {
    REFUTED: "PyTorch ran this step without error: the static analysis was wrong; this is a ptlint bug, please report it",
}


def _error_record(v: ErrorVerdict, probe: ModelProbe, lang: str) -> dict[str, Any]:
    if v.verdict == CONFIRMED:
        zh = en = v.detail  # PyTorch's own words
    elif v.verdict == REFUTED:
        zh, en = _DETAIL_ZH[REFUTED], _DETAIL_EN[REFUTED]
    elif probe.status in (UNVERIFIABLE, FAILED):
        zh, en = probe.reason_zh, probe.reason_en
    else:
        zh, en = _unreached_zh(v.detail), v.detail
    return verdict_record(v.verdict if probe.status != FAILED else FAILED, zh, en, probe.device, probe.torch, lang)


def _unreached_zh(detail_en: str) -> str:
    if detail_en.startswith("not reached"):
        return "没有运行到这一步：PyTorch 在更早的步骤就报错了"
    if detail_en.startswith("a layer could not be built"):
        return "有一层无法构建：" + detail_en.split(": ", 1)[-1]
    return "探针没有运行这一步"


@dataclass(frozen=True)
class AloneCheck:
    """How the probe checks one kind of request on its own, without its model."""

    snippet: Callable[[Any, int], Snippet]
    ran_zh: str  # what "PyTorch ran the last step" means for this request
    ran_en: str
    cpu_on_meta: bool = False  # meta tensors skip dtype checks (a loss with an int32 target passes there)


# Request type -> its check alone. A type without one (ShapeRequest) is checked only as
# a step of its model; a ViewRequest whose tensor cannot be rebuilt alone falls back to that.
ALONE: dict[type, AloneCheck] = {
    ViewRequest: AloneCheck(view_chain_snippet, "view 成功执行", "the view succeeded"),
    LossRequest: AloneCheck(loss_snippet, "损失函数正常计算", "the loss computed fine", cpu_on_meta=True),
}


def check_request(req: ProbeRequest, prober: Prober, lang: str, *,
                  bindings: Optional[Bindings] = None) -> Optional[dict[str, Any]]:
    """Verdict for a request checked on its own; None for a type without such a check."""
    check = ALONE.get(type(req))
    if check is None:
        return None
    o = prober.options
    rebound = file_rebinding(bindings) if bindings is not None else None
    if rebound is not None:
        return verdict_record(UNVERIFIABLE, *rebound.reason(), "", prober.torch, lang)
    try:
        snippet = check.snippet(req, o.batch)
    except Unverifiable as exc:
        return verdict_record(UNVERIFIABLE, exc.zh, exc.en, "", prober.torch, lang)
    device = "cpu" if check.cpu_on_meta and o.device == "meta" else None
    try:
        answer = prober.run(snippet, device=device)
    except TorchMissing:
        raise
    except ProbeFailed as exc:
        return verdict_record(FAILED, exc.zh, exc.en, "", prober.torch, lang)
    err = answer.get("error")
    last = snippet.step_ids[-1]
    dev = answer.get("device", "")
    if err and err.get("step") == last:
        return verdict_record(CONFIRMED, err.get("message", ""), err.get("message", ""), dev, answer.get("torch", ""), lang)
    if err:
        msg = err.get("message", "")
        return verdict_record(UNVERIFIABLE, f"重建的代码在更早一步就报错了：{msg}", f"the rebuilt code raised earlier: {msg}",
                              dev, answer.get("torch", ""), lang)
    return verdict_record(REFUTED, f"{check.ran_zh}——静态分析判断错了，这是 ptlint 的缺陷，请报告",
                          f"{check.ran_en}: the static analysis was wrong; this is a ptlint bug, please report it",
                          dev, answer.get("torch", ""), lang)


def request_verdicts(requests: Mapping[int, ProbeRequest], text: str, path: str, options: ProbeOptions, *,
                     lang: str = "zh", pool: Optional[WorkerPool] = None, shapes: Optional[ShapesFn] = None,
                     prober: Optional[Prober] = None,
                     notebook: bool = False) -> tuple[dict[int, dict[str, Any]], FileProbe]:
    """``{key: extra["probe"] record}`` for the requests of one file (keyed as given,
    e.g. by finding index), plus the file's model probe (for disagreements without a
    finding). Requests with a check of their own run first; the models run when a
    request needs one (a shape error, or a view that could not be rebuilt alone)."""
    prober = prober or Prober(options, pool)
    records: dict[int, dict[str, Any]] = {}
    fp = FileProbe(path=path)
    if not requests:
        return records, fp
    try:
        # A view whose tensor cannot be rebuilt alone may still run as a step of its
        # model (the attention block's view): its verdict waits for the model probe.
        pending: dict[int, dict[str, Any]] = {}
        bindings = file_bindings(text, path, notebook)
        for key, req in requests.items():
            rec = check_request(req, prober, lang, bindings=bindings)
            if rec is not None and rec["verdict"] == UNVERIFIABLE and prediction(req) is not None:
                pending[key] = rec
            elif rec is not None:
                records[key] = rec
        if pending or any(type(r) not in ALONE for r in requests.values()):
            fp = probe_file(text, path, options, pool=pool, prober=prober, shapes=shapes, notebook=notebook,
                            predictions=predictions_of(requests.values()))
            if fp.torch_missing:
                raise TorchMissing(fp.failed_zh, fp.failed_en)
        for key, req in requests.items():
            if key in pending:
                records[key] = _model_step_record(req, fp, lang) or pending[key]
            elif key not in records:
                records[key] = _model_record(req, fp, lang)
    except TorchMissing as exc:
        fp.failed_zh, fp.failed_en, fp.torch_missing = exc.zh, exc.en, True
        for key in requests:
            records[key] = verdict_record(FAILED, exc.zh, exc.en, "", "", lang)
    fp.device = fp.device or prober.device
    fp.torch = fp.torch or prober.torch
    return records, fp


def finding_verdicts(findings: list, text: str, path: str, options: ProbeOptions, **kw: Any
                     ) -> tuple[dict[int, dict[str, Any]], FileProbe]:
    """``request_verdicts`` for the findings of one file, keyed by index in ``findings``:
    each finding's rule says which request checks it (none: not the probe's business)."""
    return request_verdicts(requests_for(findings), text, path, options, **kw)


def _model_step_record(req: ProbeRequest, fp: FileProbe, lang: str) -> Optional[dict[str, Any]]:
    """The verdict on a request from the model step it predicted, if a model ran it."""
    for probe in fp.models:
        own = [v for v in probe.errors if v.code == req.code]
        v = match_error(req.range.to_dict(), own, code=req.code, cell=req.cell) if own else None
        if v is not None:
            return _error_record(v, probe, lang)
    return None


def _model_record(req: ProbeRequest, fp: FileProbe, lang: str) -> dict[str, Any]:
    """The verdict on a shape error from the step of the shape report it is about."""
    for probe in fp.models:
        v = match_error(req.range.to_dict(), probe.errors, code=req.code, cell=req.cell)
        if v is not None:
            return _error_record(v, probe, lang)
    return verdict_record(UNVERIFIABLE, "形状报告里找不到与这条诊断对应的步骤",
                          "no step of the shape report matches this finding", fp.device, fp.torch, lang)
