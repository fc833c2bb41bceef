"""CPU cost of this tree against an earlier one, side by side on the same files.

Issue 12 asks that a round of analysis work does not make whole-corpus runs slower. Absolute
times move with the machine's load, so the trees run here in one session, taking turns, for
``--rounds`` rounds (best and median reported): ``ptlint check --jobs 1 --no-cache`` in a fresh process per run over
every ``--every``-th file of the extracted precision corpus (``bench/.work/precision``, made by
``bench/bench_precision.py``), CPU time (user + system) of that process. Each earlier tree is
``git archive``'d from a ``--baseline`` into a temporary folder and imported from there. The
findings of both must agree (code, file, line) or the comparison says so.

    .venv/bin/python bench/bench_cpu_trees.py --baseline 7b68704 --baseline bff0020
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "bench" / ".work" / "precision"
OUT = ROOT / "bench" / "results" / "cpu_trees.md"
BASELINE = "7b68704"  # the tree before the "one analysis core" round (issue 12) began its cross-file work

# Run inside each tree's folder with that tree first on sys.path; prints the CPU seconds.
PROGRAM = """
import json, resource, sys
from ptlint.server.cli import main
files = json.load(open(sys.argv[1]))
main(["check", "--no-cache", "--jobs", "1", "--exit-zero", "--format", "json", *files])
usage = resource.getrusage(resource.RUSAGE_SELF)
print("CPU", usage.ru_utime + usage.ru_stime, file=sys.stderr)
"""


def sample(every: int) -> list[str]:
    files = sorted(str(p) for p in CORPUS.rglob("*") if p.suffix in (".py", ".ipynb") and p.is_file())
    return files[every - 1::every]


def run_tree(tree: Path, file_list: Path) -> tuple[float, list]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    proc = subprocess.run([sys.executable, "-c", PROGRAM, str(file_list)], cwd=tree, env=env,
                          capture_output=True, text=True)
    cpu = [line for line in proc.stderr.splitlines() if line.startswith("CPU ")]
    if not cpu:
        raise SystemExit(f"{tree}: the run failed:\n{proc.stderr[-2000:]}")
    return float(cpu[-1].split()[1]), json.loads(proc.stdout or "[]")


def places(findings: list) -> set:
    return {(f["path"], f["code"], f["range"]["start"]["line"]) for f in findings}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", action="append",
                    help=f"an earlier commit (repeatable; default {BASELINE})")
    ap.add_argument("--every", type=int, default=8, help="every N-th corpus file (default 8)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    files = sample(args.every)
    if not files:
        raise SystemExit(f"no corpus in {CORPUS}: run bench/bench_precision.py first")

    def short(rev: str) -> str:
        return subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()

    commits = [short(b) for b in (args.baseline or [BASELINE])]
    head = short("HEAD")
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "rules", "server"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory(prefix="ptlint-baseline-") as tmp:
        trees: dict[str, Path] = {}
        for commit in commits:
            tree = Path(tmp) / commit
            tree.mkdir()
            archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
            trees[commit] = tree
        trees["new"] = ROOT
        file_list = Path(tmp) / "files.json"
        file_list.write_text(json.dumps(files))
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        found: dict[str, set] = {}
        for _ in range(args.rounds):  # the trees take turns, so that all see the same load
            for name, tree in trees.items():
                seconds, findings = run_tree(tree, file_list)
                cpu[name].append(seconds)
                found[name] = places(findings)
    best = {name: min(v) for name, v in cpu.items()}
    median = {name: statistics.median(v) for name, v in cpu.items()}
    lines = [
        "## CPU of this tree against earlier ones (same files, one session)",
        "",
        f"`ptlint check --jobs 1 --no-cache` over every {args.every}th file of the precision corpus "
        f"({len(files)} files), a fresh process per run, the trees taking turns, {args.rounds} rounds "
        "(CPU seconds of the process: user + system).",
        "",
        "| tree | best CPU s | median CPU s | all runs | findings | this tree / it (best) | this tree / it (median) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in trees:
        label = f"`{head}`{' + working tree' if dirty else ''} (this tree)" if name == "new" else f"`{name}`"
        ratios = ("", "") if name == "new" else (f"**{best['new'] / best[name]:.2f}**",
                                                 f"**{median['new'] / median[name]:.2f}**")
        lines.append(f"| {label} | {best[name]:.1f} | {median[name]:.1f} | {', '.join(f'{v:.1f}' for v in cpu[name])} "
                     f"| {len(found[name])} | {ratios[0]} | {ratios[1]} |")
    lines.append("")
    for name in commits:
        same = found[name] == found["new"]
        lines.append(f"Findings against `{name}`: " + (
            "identical (code, file, line)." if same else
            f"only in `{name}` {sorted(found[name] - found['new'])[:5]}, only here {sorted(found['new'] - found[name])[:5]}."))
    lines.append("")
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
