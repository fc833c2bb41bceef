"""``ptlint probe FILE`` and ``ptlint check --probe``: the runtime probe's front end.

The probe rebuilds each model from the static shape facts as a generated snippet and
runs it in a separate worker process with torch (see ``ptlint.runtime_probe``); this
module only parses flags, calls it and prints. torch is never imported here."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Optional

from ptlint.rules.config import ConfigError, ConfigLoader, trusted_probe_python

if TYPE_CHECKING:
    from ptlint.rules.source import SourceFile

    from .runner import RunResult

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def _shape(value: str) -> list[int]:
    text = value.strip().strip("()[]")
    try:
        dims = [int(p) for p in text.replace("x", ",").split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a shape: {value!r} (expected e.g. 1,3,32,32)") from None
    if not dims or any(d < 0 for d in dims):
        raise argparse.ArgumentTypeError(f"not a shape: {value!r} (expected e.g. 1,3,32,32)")
    return dims


def _device(value: str) -> str:
    from ptlint.runtime_probe.probe import valid_device

    if not valid_device(value):
        raise argparse.ArgumentTypeError(f"unknown device {value!r} (auto, cpu, cuda, cuda:N, mps, meta)")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "probe", help="confirm the static shapes with torch (runs generated snippets, never your code)",
        description="Rebuild each model from the shapes ptlint computed and run it with torch in a separate "
                    "process; print the static and the runtime shapes side by side.")
    p.add_argument("file", help="a .py file (or .ipynb) with nn.Module classes or nn.Sequential models")
    p.add_argument("--model", help="only this model (class name or variable)")
    p.add_argument("--input", type=_shape, metavar="SHAPE", help="input shape, e.g. 1,3,32,32")
    p.add_argument("--device", type=_device, default=None,
                   help="auto (cuda, else mps, else cpu; default), cpu, cuda[:N], mps, meta")
    p.add_argument("--probe-python", "--python", dest="python", metavar="PATH",
                   help="interpreter with torch to run the worker (default: $PTLINT_PROBE_PYTHON, else "
                        "[probe] python in ~/.config/ptlint/config.toml, else this one)")
    p.add_argument("--timeout", type=float, help="seconds per run (default: probe.timeout, 20)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--lang", choices=("zh", "en"), default=None)
    p.add_argument("--show-snippet", action="store_true", help="also print the generated code that ran")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")


def _options(cfg: Any, device: Optional[str] = None, python: Optional[str] = None, timeout: Optional[float] = None):
    from ptlint.runtime_probe.probe import ProbeOptions

    if device == "auto":
        device = None  # a bare --probe: the configured device (itself "auto" by default)
    return ProbeOptions.from_config(cfg.probe, device=device, python=python, timeout=timeout)


def _probe_text(source: "SourceFile") -> tuple[str, bool]:
    """What the shape engine reads: a .py file's text, or a notebook's JSON (so that
    ranges come back with their cell)."""
    if source.is_notebook and source.raw:
        return source.raw.decode("utf-8-sig", "replace"), True
    return source.text, False


def run(args: argparse.Namespace) -> int:
    from ptlint.runtime_probe.probe import probe_file
    from ptlint.runtime_probe.render import render_file
    from ptlint.runtime_probe.compare import CONFIRMED, MISMATCH, OK, RAISES
    from ptlint.rules.source import SourceError, load_source

    try:
        cfg = ConfigLoader().for_path(args.file)
    except ConfigError as exc:
        print(f"ptlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    lang = args.lang or cfg.lang
    try:
        text, notebook = _probe_text(load_source(args.file))
    except SourceError as exc:
        print(f"ptlint: error: {exc.text(lang)}", file=sys.stderr)
        return EXIT_ERROR
    try:  # only the user chooses an interpreter: never the project's config (see rules.config)
        python = trusted_probe_python(args.python)
    except ConfigError as exc:
        print(f"ptlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    options = _options(cfg, args.device, python, args.timeout)
    from ptlint.runtime_probe.worker import default_pool

    # torch's import (most of a cold probe) runs while the shape engine reads the file
    default_pool().prestart(options.python, options.memory_mb, options.timeout)
    try:
        fp = probe_file(text, args.file, options, model=args.model, input_shape=args.input, notebook=notebook)
    except ImportError as exc:  # the shape engine is not there
        print(f"ptlint: error: the shape engine is not available: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.model and not fp.models:
        msg = f"没有名为 {args.model} 的模型" if lang != "en" else f"no model named {args.model}"
        print(f"ptlint: error: {msg}", file=sys.stderr)
        return EXIT_ERROR
    if args.format == "json":
        d = fp.to_dict()
        if not args.show_snippet:
            for m in d["models"]:
                m.pop("snippet", None)
        sys.stdout.write(json.dumps(d, ensure_ascii=False, indent=2) + "\n")
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
        out = render_file(fp, lang, color, args.show_snippet)
        (sys.stderr if fp.torch_missing else sys.stdout).write(out)
    if fp.torch_missing or (fp.failed_en and not fp.models):
        return EXIT_ERROR
    statuses = {m.status for m in fp.models}
    if statuses & {MISMATCH, CONFIRMED, RAISES}:
        return EXIT_PROBLEMS
    if OK in statuses:
        return EXIT_OK
    return EXIT_ERROR  # nothing could be verified


# ---------------------------------------------------------------------- check --probe
_PROBE = {"zh": "探针：", "en": "probe: "}  # the prefix of the probe's stderr lines, in the run's language
def prestart_probe(loader: ConfigLoader, device: str, paths: list[str], *, python: Optional[str] = None) -> None:
    """``check --probe``: start the probe's worker (interpreter start and ``import torch``,
    most of a cold probe) in the background now, so that it overlaps the static analysis
    instead of following it. The options are those of the first path's configuration, as
    :func:`attach_probe` will read them for that file; a worker for other options is started
    when needed. Any failure is left for the probe run to report."""
    try:
        from ptlint.runtime_probe.worker import default_pool
    except ImportError:  # an install without the probe: attach_probe says so
        return
    try:
        cfg = loader.for_path(paths[0] if paths else os.getcwd())
    except ConfigError:
        return  # the static run reports the bad configuration
    options = _options(cfg, device, python)
    default_pool().prestart(options.python, options.memory_mb, options.timeout)


def attach_probe(run: "RunResult", device: str, *, lang: Optional[str] = None, pool: Any = None,
                 python: Optional[str] = None) -> None:
    """``ptlint check --probe[=DEVICE]``: put a verdict into ``extra["probe"]`` of every
    finding whose rule gives the probe a request (shape errors, views on non-contiguous
    tensors, loss target dtypes). Probe trouble is printed to stderr once and never
    changes the findings or the exit code."""
    from ptlint.rules.probe_requests import requests_for
    from ptlint.runtime_probe.probe import request_verdicts
    from ptlint.runtime_probe.render import fmt_shapes

    loader = ConfigLoader()
    said_missing = False
    for res in list(run.results):
        source = res.source
        requests = requests_for(res.findings)
        if source is None or not requests:
            continue
        try:
            cfg = loader.for_path(res.path)
        except ConfigError:
            from ptlint.rules.config import Config

            cfg = Config()
        flang = lang or cfg.lang
        options = _options(cfg, device, python)
        text, notebook = _probe_text(source)
        try:
            records, fp = request_verdicts(requests, text, res.path, options, lang=flang, pool=pool,
                                           notebook=notebook)
        except ImportError:  # an install without the shape engine
            records, fp = {}, None
        except Exception as exc:  # a probe bug must not cost the user their lint results
            what = f"{res.path} 上出现内部错误" if flang != "en" else f"internal error on {res.path}"
            print(f"ptlint: {_PROBE.get(flang, '探针：')}{what}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        if fp is not None and fp.torch_missing:
            if not said_missing:
                print(f"ptlint: {_PROBE.get(flang, '探针：')}{fp.failed(flang)}", file=sys.stderr)
                said_missing = True
        replaced = {}
        for i, rec in records.items():
            old = res.findings[i]
            replaced[id(old)] = dataclasses.replace(old, extra={**old.extra, "probe": rec})
            if rec["verdict"] == "refuted":  # loud: the finding is a false positive of ours
                print(f"ptlint: {_PROBE.get(flang, '探针：')}{res.path}:{old.line}: {old.code} {rec['detail']}", file=sys.stderr)
        if replaced:
            res.findings = [replaced.get(id(f), f) for f in res.findings]
            run.findings = [replaced.get(id(f), f) for f in run.findings]
        if fp is None:
            continue
        for m in fp.models:
            for s in m.disagreements:
                if s.predicted:
                    continue  # already said through the finding's "refuted" verdict
                line = (s.range or {}).get("start", {}).get("line", "?")
                if flang == "en":
                    msg = (f"static shape {fmt_shapes(s.static)} but PyTorch gives {fmt_shapes(s.actual)} "
                           f"({s.label}, model {m.name}): a ptlint bug, please report it")
                else:
                    msg = (f"静态分析的形状是 {fmt_shapes(s.static)}，PyTorch 实际是 {fmt_shapes(s.actual)}"
                           f"（{s.label}，模型 {m.name}）：这是 ptlint 的缺陷，请报告")
                print(f"ptlint: {_PROBE.get(flang, '探针：')}{res.path}:{line}: {msg}", file=sys.stderr)
