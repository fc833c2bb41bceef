"""Runs every ``bench/bench_*.py`` (each writes its section to ``bench/results/<topic>.md``)
and assembles ``bench/RESULTS.md`` with the machine, versions and date.

    .venv/bin/python bench/run.py                 # run all, then assemble
    .venv/bin/python bench/run.py --only cli      # run bench_cli.py only, then assemble
    .venv/bin/python bench/run.py --assemble-only # just rebuild RESULTS.md from results/
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_DIR = HERE / "results"
RESULTS = HERE / "RESULTS.md"


def benches(only: list[str] | None) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [p for p in found if p.stem.removeprefix("bench_") in only]
    return found


def machine() -> list[str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return [f"- CPU: {cpu}, {cores} cores available; memory {mem}",
            f"- OS: {platform.platform()}",
            f"- Python: {sys.version.split()[0]} ({sys.executable})"]


def versions() -> str:
    parts = []
    for dist in ("ptlint", "libcst", "pygls", "lsprotocol", "torch"):
        try:
            parts.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def section_order(p: Path) -> tuple[int, str]:
    return (0 if p.stem == "cli" else 1, p.stem)


def assemble(statuses: dict[str, str]) -> str:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# ptlint benchmark results", "",
           "Produced by `bench/run.py`, which runs every `bench/bench_*.py`; each writes its own section to "
           "`bench/results/<topic>.md`. Targets are reported here, never asserted by tests.", "",
           f"- Date: {now}; commit {git_rev()}"]
    out += machine()
    out += [f"- Versions: {versions()}", ""]
    if statuses:
        out += ["| bench | status |", "| --- | --- |"]
        out += [f"| {name} | {status} |" for name, status in statuses.items()]
        out.append("")
    for part in sorted(RESULTS_DIR.glob("*.md"), key=section_order):
        out.append(part.read_text(encoding="utf-8").rstrip() + "\n")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description="run the benchmarks and assemble bench/RESULTS.md")
    ap.add_argument("--only", nargs="*", help="topics to run (e.g. cli shapes)")
    ap.add_argument("--assemble-only", action="store_true")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds allowed to each bench script")
    args = ap.parse_args()
    statuses: dict[str, str] = {}
    rc = 0
    if not args.assemble_only:
        for script in benches(args.only):
            t0 = time.perf_counter()
            print(f"== {script.name}", flush=True)
            try:
                proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, timeout=args.timeout)
                ok = proc.returncode == 0
                statuses[script.name] = (f"ok ({time.perf_counter() - t0:.0f} s)" if ok
                                         else f"**failed** (exit {proc.returncode})")
                rc = rc or (0 if ok else 1)
            except subprocess.TimeoutExpired:
                statuses[script.name] = f"**timed out** after {args.timeout} s"
                rc = 1
    RESULTS.write_text(assemble(statuses), encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
