"""Benchmark: runtime probe wall time on a ResNet-18-sized model, cpu and meta.

cold  = a fresh worker: interpreter start + ``import torch`` + the first run
warm  = the same worker again (torch imported), snippet cache off
cached = the same snippet again with the cache on (no worker round trip)

cli   = ``ptlint probe examples/lenet_mnist.py`` as a user runs it (a fresh process: start-up,
        static analysis, worker, exit) next to the cost of torch alone,
        ``python -c "import torch; torch.nn.Conv2d(1,6,5)(torch.zeros(1,1,28,28))"``, measured
        interleaved in the same run (medians)

Targets (reported, not asserted): cold < 3 s, warm < 150 ms on cpu, cli within 1.2x torch alone.
Writes bench/results/probe.md. Run: ``python bench/bench_probe.py`` (``--cli-only``: just the
cli row, the rest of the file is kept)."""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ptlint.runtime_probe.probe import ProbeOptions, probe_report  # noqa: E402
from ptlint.runtime_probe.worker import WorkerPool  # noqa: E402

RESNET = ROOT / "tests" / "fixtures" / "resnet18.py"
OUT = ROOT / "bench" / "results" / "probe.md"
COLD_RUNS, WARM_RUNS = 3, 20


def _layer(name, type_, args, kwargs=None):
    return {"name": name, "type": type_, "args": args, "kwargs": kwargs or {}, "literal": True}


def resnet18_contract(batch: int = 1) -> dict:
    """A ResNet-18 as the shape engine would describe it (flattened blocks), for when
    the engine or its fixture is not available."""
    layers, steps = [], []

    def step(op, inputs, **kw):
        sid = len(steps)
        steps.append({"id": sid, "op": op, "inputs": inputs, "args": [], "kwargs": {}, "output": None, **kw})
        return sid

    def conv_bn(prefix, cin, cout, k, stride, pad, x, relu=True):
        layers.append(_layer(f"{prefix}.conv", "torch.nn.Conv2d", [cin, cout, k], {"stride": stride, "padding": pad, "bias": False}))
        layers.append(_layer(f"{prefix}.bn", "torch.nn.BatchNorm2d", [cout]))
        x = step("layer", [x], layer=f"{prefix}.conv")
        x = step("layer", [x], layer=f"{prefix}.bn")
        return step("call", [x], fn="torch.nn.functional.relu") if relu else x

    steps.append({"id": 0, "op": "input", "output": [batch, 3, 224, 224]})
    x = conv_bn("stem", 3, 64, 7, 2, 3, 0)
    layers.append(_layer("maxpool", "torch.nn.MaxPool2d", [3, 2, 1]))
    x = step("layer", [x], layer="maxpool")
    cin = 64
    for stage, cout in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            p = f"layer{stage}.{block}"
            y = conv_bn(f"{p}.a", cin, cout, 3, stride, 1, x)
            y = conv_bn(f"{p}.b", cout, cout, 3, 1, 1, y, relu=False)
            short = x
            if stride != 1 or cin != cout:
                short = conv_bn(f"{p}.down", cin, cout, 1, stride, 0, x, relu=False)
            s = step("binary", [y, short], operator="+")
            x = step("call", [s], fn="torch.nn.functional.relu")
            cin = cout
    layers.append(_layer("avgpool", "torch.nn.AdaptiveAvgPool2d", [[1, 1]]))
    layers.append(_layer("fc", "torch.nn.Linear", [512, 1000]))
    x = step("layer", [x], layer="avgpool")
    x = step("call", [x], fn="torch.flatten", args=[1])
    x = step("layer", [x], layer="fc")
    steps.append({"id": len(steps), "op": "output", "inputs": [x]})
    model = {"name": "ResNet18", "kind": "module", "input": {"shape": [batch, 3, 224, 224], "source": "comment"},
             "layers": layers, "steps": steps, "complete": True, "errors": []}
    return {"version": 1, "path": "resnet18 (built in)", "models": [model]}


def load_report() -> tuple[dict, str]:
    try:
        from ptlint.rules.shapes import shapes_report

        if RESNET.is_file():
            rep = shapes_report(RESNET.read_text(encoding="utf-8"), str(RESNET))
            if rep.get("models"):
                rep["models"] = [max(rep["models"], key=lambda m: len(m.get("layers", [])))]
                return rep, f"`tests/fixtures/resnet18.py` through the shape engine (model `{rep['models'][0]['name']}`)"
    except ImportError:
        pass
    return resnet18_contract(), "a built-in ResNet-18 contract (the shape engine or its fixture was not available)"


def bench_device(report: dict, device: str) -> dict:
    cold, start = [], []
    status = ""
    opts = ProbeOptions(device=device, use_cache=False)
    for i in range(COLD_RUNS):
        pool = WorkerPool()
        t0 = time.perf_counter()
        fp = probe_report(report, opts, pool=pool)
        cold.append(time.perf_counter() - t0)
        start.append(fp.worker_start_s or 0.0)
        status = fp.models[0].status
        if status not in ("ok", "confirmed"):
            print(f"warning: {device}: model status {status}: {fp.models[0].reason_en}", file=sys.stderr)
        if i < COLD_RUNS - 1:
            pool.close()
    try:  # warm: the last worker again, torch imported, snippet cache off
        warm, inside = [], []
        for _ in range(WARM_RUNS):
            t0 = time.perf_counter()
            fp = probe_report(report, opts, pool=pool)
            warm.append(time.perf_counter() - t0)
            inside.append(fp.models[0].elapsed_ms)
        probe_report(report, ProbeOptions(device=device), pool=pool)  # fill the cache
        t0 = time.perf_counter()
        cached_fp = probe_report(report, ProbeOptions(device=device), pool=pool)
        cached = time.perf_counter() - t0
        assert cached_fp.models[0].cached
    finally:
        pool.close()
    warm.sort()
    return {"device": device, "status": status, "cold": statistics.median(cold), "start": statistics.median(start),
            "warm": statistics.median(warm), "warm_p90": warm[int(0.9 * (len(warm) - 1))], "cached": cached,
            "worker_ms": statistics.median(inside)}


CLI_RUNS = 7
CLI_MARKS = ("<!-- cli vs torch -->", "<!-- end cli vs torch -->")
BASELINE = "import torch; torch.nn.Conv2d(1,6,5)(torch.zeros(1,1,28,28))"


def bench_cli(runs: int = CLI_RUNS) -> dict:
    """Wall time of the whole ``ptlint probe`` command against torch alone, interleaved so
    that both see the same machine load."""
    import subprocess

    probe_cmd = [sys.executable, "-m", "ptlint", "probe", "examples/lenet_mnist.py"]
    base_cmd = [sys.executable, "-c", BASELINE]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for cmd in (probe_cmd, base_cmd):  # warm the page cache once, not measured
        subprocess.run(cmd, cwd=ROOT, capture_output=True, env=env)
    probe_t, base_t = [], []
    for _ in range(runs):
        for cmd, acc in ((probe_cmd, probe_t), (base_cmd, base_t)):
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, env=env)
            acc.append(time.perf_counter() - t0)
            if cmd is probe_cmd and proc.returncode not in (0, 1):
                print(f"warning: ptlint probe exited {proc.returncode}: {proc.stderr[-300:]!r}", file=sys.stderr)
    p, b = statistics.median(probe_t), statistics.median(base_t)
    return {"probe": p, "torch": b, "ratio": p / b, "runs": runs, "probe_all": probe_t, "torch_all": base_t}


def cli_section(r: dict) -> list[str]:
    load = f"; load average {os.getloadavg()[0]:.1f} at the end" if hasattr(os, "getloadavg") else ""
    return [
        CLI_MARKS[0],
        "### `ptlint probe` as a command, next to torch alone",
        "",
        f"Medians of {r['runs']} interleaved runs in one session{load}. Torch alone: "
        f"`python -c \"{BASELINE}\"`.",
        "",
        "| command | median wall time |",
        "|---|---|",
        f"| `ptlint probe examples/lenet_mnist.py` | {r['probe']:.2f} s |",
        f"| torch alone | {r['torch']:.2f} s |",
        f"| ratio | {r['ratio']:.2f}× |",
        "",
        f"Target: within 1.2× — {'met' if r['ratio'] <= 1.2 else 'missed'} ({r['ratio']:.2f}×). The worker starts "
        "before the static analysis (torch's import overlaps it), layers are materialised with `torch.empty` "
        "instead of `Module.to_empty` (whose first call imports `torch.fx`), and the worker is killed at exit "
        "instead of waiting for torch's teardown.",
        CLI_MARKS[1],
    ]


RECORDED = ("<!-- recorded elsewhere: kept when this file is regenerated -->", "<!-- end recorded -->")


def _recorded() -> str:
    """Measurements pasted in from other machines (a GPU box), kept across reruns here."""
    try:
        text = OUT.read_text(encoding="utf-8")
    except OSError:
        return ""
    start, end = text.find(RECORDED[0]), text.find(RECORDED[1])
    return text[start:end + len(RECORDED[1])] if 0 <= start < end else ""


def main() -> int:
    import argparse
    import json
    import subprocess

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the section (default bench/results/probe.md)")
    ap.add_argument("--cli-only", action="store_true", help="measure only the cli row; keep the rest of the file")
    ns = ap.parse_args()
    out_path = ns.out
    if ns.cli_only:
        r = bench_cli()
        section = "\n".join(cli_section(r))
        old = out_path.read_text(encoding="utf-8") if out_path.is_file() else ""
        a, b = old.find(CLI_MARKS[0]), old.find(CLI_MARKS[1])
        text = old[:a] + section + old[b + len(CLI_MARKS[1]):] if 0 <= a < b else old.rstrip("\n") + "\n\n" + section + "\n"
        out_path.write_text(text, encoding="utf-8")
        print(section)
        print(json.dumps(r), file=sys.stderr)
        return 0
    report, source = load_report()
    model = report["models"][0]
    facts = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__, torch.cuda.is_available(), "
                            "torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"],
                           capture_output=True, text=True).stdout.split(maxsplit=2)
    torch_version, has_cuda = facts[0], facts[1] == "True"
    gpu = facts[2].strip() if has_cuda and len(facts) > 2 else ""
    load = f", load average {os.getloadavg()[0]:.1f} at the start" if hasattr(os, "getloadavg") else ""
    rows = [bench_device(report, d) for d in ("cpu", "meta") + (("cuda",) if has_cuda else ())]
    lines = [
        "## Runtime probe",
        "",
        f"Model: {source}; {len(model['layers'])} layers, {len(model['steps'])} steps, "
        f"input {tuple(model['input']['shape'])}. torch {torch_version}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}){', ' + gpu if gpu else ''}{load}. Cold is the median of {COLD_RUNS} "
        f"fresh workers; warm is over {WARM_RUNS} runs on one worker with the snippet cache off.",
        "",
        "| device | cold (start + import torch + run) | of which worker start | warm median | warm p90 | of which in the worker (build + forward) | cached | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['device']} | {r['cold']:.2f} s | {r['start']:.2f} s | {r['warm'] * 1000:.0f} ms | "
                     f"{r['warm_p90'] * 1000:.0f} ms | {r['worker_ms']:.0f} ms | {r['cached'] * 1000:.2f} ms | {r['status']} |")
    cpu = rows[0]
    lines += ["", f"Targets on cpu: cold < 3 s — {'met' if cpu['cold'] < 3 else 'missed'} ({cpu['cold']:.2f} s); "
                  f"warm < 150 ms — {'met' if cpu['warm'] < 0.150 else 'missed'} ({cpu['warm'] * 1000:.0f} ms).", ""]
    lines += cli_section(bench_cli()) + [""]
    recorded = _recorded() if out_path == OUT else ""
    if recorded:
        lines += [recorded, ""]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(json.dumps(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
