"""Benchmark of the static shape engine.

1. ``ptlint shapes tests/fixtures/resnet18.py`` end to end (a fresh process each run,
   text and JSON): target < 0.5 s.
2. In process: parse + shape analysis of the same file, and the analysis alone.
3. On the pinned real-project corpus (bench/corpus.py): what the shape analysis costs
   next to the libcst parse it shares with the rules, and how many models it finds.

Medians of ``--runs`` runs. Writes its section to bench/results/shapes.md.

    .venv/bin/python bench/bench_shapes.py [--runs 7] [--no-corpus]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

RESNET = ROOT / "tests" / "fixtures" / "resnet18.py"
RESULTS = HERE / "results" / "shapes.md"
TARGET_S = 0.5


def cli_cmd() -> list[str]:
    script = Path(sys.executable).parent / "ptlint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ptlint"]


CPU: dict[str, list[float]] = {}  # CPU seconds (user + sys) of each fresh process, by command


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def time_cli(args: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        c0, t0 = _child_cpu(), time.perf_counter()
        proc = subprocess.run(cli_cmd() + args, capture_output=True, text=True, cwd=ROOT)
        out.append(time.perf_counter() - t0)
        CPU.setdefault(" ".join(args), []).append(_child_cpu() - c0)
        if proc.returncode != 0:
            raise SystemExit(f"ptlint {' '.join(args)} failed: {proc.stderr}")
    return out


def time_python(code: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        c0, t0 = _child_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        out.append(time.perf_counter() - t0)
        CPU.setdefault(code, []).append(_child_cpu() - c0)
    return out


def in_process(runs: int) -> tuple[list[float], list[float], dict]:
    from ptlint.rules.config import Config
    from ptlint.rules.engine import lint_source
    from ptlint.rules.shapes import ShapeAnalysis
    from ptlint.rules.shapes.report import build_report
    from ptlint.rules.source import load_source

    total, analysis_only = [], []
    doc: dict = {}
    for _ in range(runs):
        t0 = time.perf_counter()
        source = load_source(RESNET)
        ctx = lint_source(source, Config(), rules=[], keep_context=True).context
        t1 = time.perf_counter()
        a = ShapeAnalysis(ctx)
        doc = build_report(a, str(RESNET))
        t2 = time.perf_counter()
        total.append(t2 - t0)
        analysis_only.append(t2 - t1)
    return total, analysis_only, doc


def corpus_cost() -> dict:
    from corpus import ensure_corpus, python_files

    from ptlint.rules.config import Config
    from ptlint.rules.engine import lint_source
    from ptlint.rules.shapes import ShapeAnalysis
    from ptlint.rules.source import load_source

    roots = ensure_corpus()
    parse = analyse = 0.0
    files = lines = models = complete = internal = 0
    for root in roots.values():
        for p in python_files(root):
            try:
                source = load_source(p)
            except Exception:
                continue
            if "torch" not in source.text:
                continue
            t0 = time.perf_counter()
            ctx = lint_source(source, Config(), rules=[], keep_context=True).context
            t1 = time.perf_counter()
            if ctx is None:
                continue
            a = ShapeAnalysis(ctx)
            t2 = time.perf_counter()
            parse += t1 - t0
            analyse += t2 - t1
            files += 1
            lines += source.text.count("\n") + 1
            models += len(a.models)
            complete += sum(1 for m in a.models if m.input is not None and m.trace is not None
                            and all(getattr(s.output, "shape", None) is not None for s in m.trace.steps))
            internal += len(a.internal_errors)
    return {"files": files, "lines": lines, "parse_s": parse, "analysis_s": analyse, "models": models,
            "with_input": complete, "internal_errors": internal}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-corpus", action="store_true")
    args = ap.parse_args()

    text_runs = time_cli(["shapes", str(RESNET.relative_to(ROOT))], args.runs)
    json_runs = time_cli(["shapes", str(RESNET.relative_to(ROOT)), "--format", "json"], args.runs)
    startup = time_cli(["--version"], args.runs)
    libcst_floor = time_python("import libcst", args.runs)
    total, analysis_only, doc = in_process(args.runs)
    resnet = next(m for m in doc["models"] if m["name"] == "ResNet")
    corpus = None if args.no_corpus else corpus_cost()

    med = statistics.median
    cli_text, cli_json = med(text_runs), med(json_runs)
    lines = RESNET.read_text(encoding="utf-8").count("\n") + 1
    out = ["## Static shapes (`ptlint shapes`)", ""]
    out.append(f"Model: `tests/fixtures/resnet18.py` ({lines} lines; ResNet-18 for CIFAR-10 written the tutorial way, "
               f"`_make_layer` loop and all): {len(resnet['layers'])} layers, {len(resnet['steps'])} steps, "
               f"{resnet['params']:,} parameters, input {tuple(resnet['input']['shape'])} from a literal call. "
               f"Medians of {args.runs} runs.")
    out.append("")
    out.append("| measurement | wall median | wall min | wall max | CPU median (user + sys) |")
    out.append("|---|---|---|---|---|")

    def row(name: str, xs: list[float], cpu: Optional[list[float]] = None) -> None:
        c = f"{med(cpu) * 1000:.0f} ms" if cpu else "—"
        out.append(f"| {name} | {med(xs) * 1000:.0f} ms | {min(xs) * 1000:.0f} ms | {max(xs) * 1000:.0f} ms | {c} |")

    rel = str(RESNET.relative_to(ROOT))
    row("`ptlint shapes resnet18.py` (fresh process, text)", text_runs, CPU[f"shapes {rel}"])
    row("`ptlint shapes resnet18.py --format json` (fresh process)", json_runs, CPU[f"shapes {rel} --format json"])
    row("`ptlint --version` (process start + CLI import, for reference)", startup, CPU["--version"])
    row("`python -c 'import libcst'` (the parser's import: the floor of any parse)", libcst_floor,
        CPU["import libcst"])
    row("in process: read + parse + shape analysis + JSON", total)
    row("in process: shape analysis + JSON only", analysis_only)
    out.append("")
    verdict = "met" if max(cli_text, cli_json) < TARGET_S else "missed"
    cpu = max(med(CPU[f"shapes {rel}"]), med(CPU[f"shapes {rel} --format json"]))
    cpu_verdict = "met" if cpu < TARGET_S else "missed"
    out.append(f"Target: `ptlint shapes` on a ResNet-18-sized model < {TARGET_S} s — wall clock {verdict} "
               f"({cli_text:.2f} s text, {cli_json:.2f} s JSON), CPU time {cpu_verdict} ({cpu:.2f} s). Importing "
               f"libcst alone takes {med(libcst_floor):.2f} s in a fresh process; the shape work itself "
               f"{med(total) * 1000:.0f} ms.")
    try:
        load = os.getloadavg()[0]
        out.append(f"Machine load average during the run: {load:.1f} on {os.cpu_count()} CPUs.")
    except OSError:
        pass
    if corpus is not None:
        out.append("")
        ratio = corpus["analysis_s"] / corpus["parse_s"] if corpus["parse_s"] else 0.0
        out.append(f"Corpus (timm, d2l, skorch; {corpus['files']} files that mention torch, {corpus['lines']:,} lines): "
                   f"shape analysis {corpus['analysis_s']:.2f} s next to {corpus['parse_s']:.2f} s of libcst parsing "
                   f"({ratio:.0%} of the parse; the design budget is 100%); {corpus['models']} models found, "
                   f"{corpus['with_input']} with an input shape and every step known; "
                   f"{corpus['internal_errors']} internal errors.")
    out.append("")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
