"""Benchmark: precision of the analysis rules on public PyTorch code they were not tuned on.

The corpus is a list of public GitHub repositories pinned by commit
(``bench/precision/manifest.toml``: project, repository, commit, which sub-paths). Nothing
of them is committed: the harness reads each pinned commit from a git repository under the
corpus root (``--corpus DIR``; a bare clone or a work tree, at ``DIR/<owner>+<name>/repo``,
``DIR/<owner>+<name>`` or ``DIR/<name>``), extracts the listed paths into
``bench/.work/precision/`` (gitignored) and lints every .py and .ipynb file there with every
rule. ``--print-fetch`` prints the ``git clone`` commands that provide the corpus on a fresh
machine.

Every finding of an analysis rule (all but PT000 and PT016) needs a reviewed verdict in
``bench/precision/verdicts.jsonl`` (one JSON object a line: project, path, cell, line, code,
hash of the flagged line's stripped text, verdict "TP"/"FP", reason). Verdicts match on
project, path, cell, code and the hash, so they survive line shifts and unrelated edits; a
finding without one is reported as unreviewed, never counted as true. PT016 (legacy
constructors: a style rule) is counted, not reviewed.

Writes bench/results/precision.md. Run: ``python bench/bench_precision.py``
(``--json`` prints the findings as JSON lines; ``--unreviewed`` prints only those without a
verdict, ready to be completed and appended to the verdicts file).
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HERE = ROOT / "bench" / "precision"
MANIFEST = HERE / "manifest.toml"
VERDICTS = HERE / "verdicts.jsonl"
WORK = ROOT / "bench" / ".work" / "precision"
OUT = ROOT / "bench" / "results" / "precision.md"
DEFAULT_CORPUS = Path(os.environ.get("PTLINT_PRECISION_CORPUS", "/work/.mirror"))
TARGET = 0.95
# Not reviewed one by one: PT000 reports files that cannot be parsed, PT016 is a style rule.
UNREVIEWED_CODES = frozenset({"PT000", "PT016"})
VERDICT_NAMES = {"TP": "true positive", "FP": "false positive"}


@dataclass(frozen=True)
class Project:
    name: str
    repo: str  # owner/name on GitHub
    commit: str
    paths: tuple[str, ...] = ()  # empty: the whole repository
    exclude: tuple[str, ...] = ()
    style: str = ""

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}"

    @property
    def mirror_name(self) -> str:
        return self.repo.replace("/", "+")


@dataclass(frozen=True)
class Row:
    """One finding, with its verdict ("TP", "FP" or "unreviewed"; "counted" for PT016/PT000)."""

    project: str
    path: str
    cell: Optional[int]
    line: int
    code: str
    hash: str
    text: str
    message: str
    verdict: str
    reason: str = ""


def load_manifest(path: Path = MANIFEST) -> list[Project]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Project(p["name"], p["repo"], p["commit"], tuple(p.get("paths", ())), tuple(p.get("exclude", ())),
                    p.get("style", "")) for p in data["project"]]


def line_hash(text: str) -> str:
    """The key of a flagged line: its stripped text, hashed (whitespace-only edits keep it)."""
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:12]


def find_git_dir(corpus: Path, project: Project) -> Optional[Path]:
    """The git repository that holds the project under the corpus root, bare or not."""
    for cand in (corpus / project.mirror_name / "repo", corpus / project.mirror_name, corpus / project.name):
        if (cand / ".git").exists():
            return cand / ".git"
        if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
    return None


def fetch_commands(projects: Iterable[Project], corpus: Path) -> list[str]:
    """Shell commands that provide the corpus on a machine with network access."""
    return [f"git clone --bare {p.url} {corpus / p.mirror_name / 'repo'}" for p in projects]


def extract(project: Project, git_dir: Path, work: Path = WORK) -> Path:
    """The project's .py and .ipynb files at its pinned commit, unpacked once into ``work``.

    Reads blobs one by one (``ls-tree`` + ``cat-file --batch``) rather than ``git archive``:
    mirrors may lack the large data files, which the benchmark does not need anyway."""
    dest = work / f"{project.name}-{project.commit[:12]}"
    if dest.is_dir():
        return dest
    git = ["git", "--git-dir", str(git_dir)]
    listing = subprocess.run([*git, "ls-tree", "-r", "-z", project.commit, "--", *project.paths],
                             check=True, capture_output=True).stdout.decode("utf-8", "surrogateescape")
    wanted: list[tuple[str, str]] = []
    for entry in filter(None, listing.split("\0")):
        meta, rel = entry.split("\t", 1)
        _, kind, sha = meta.split()
        if kind == "blob" and rel.endswith((".py", ".ipynb")):
            wanted.append((sha, rel))
    blobs = subprocess.run([*git, "cat-file", "--batch"], input="".join(f"{s}\n" for s, _ in wanted).encode(),
                           check=True, capture_output=True).stdout
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    pos = 0
    for sha, rel in wanted:
        header_end = blobs.index(b"\n", pos)
        header = blobs[pos:header_end].split()
        pos = header_end + 1
        if header[1] == b"missing":
            continue
        size = int(header[2])
        target = tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blobs[pos:pos + size])
        pos += size + 1
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.rename(dest)
    return dest


def corpus_files(root: Path, project: Project) -> list[Path]:
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.suffix not in (".py", ".ipynb") or not p.is_file() or ".ipynb_checkpoints" in rel:
            continue
        if any(rel == e or rel.startswith(e.rstrip("/") + "/") for e in project.exclude):
            continue
        out.append(p)
    return out


def load_verdicts(path: Path = VERDICTS) -> dict[tuple, dict]:
    """(project, path, cell, code, hash) -> the verdict record (the last one wins)."""
    out: dict[tuple, dict] = {}
    if not path.exists():
        return out
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        v = json.loads(raw)
        if v.get("verdict") not in VERDICT_NAMES:
            raise ValueError(f"{path.name}:{n}: verdict must be TP or FP, not {v.get('verdict')!r}")
        out[(v["project"], v["path"], v.get("cell"), v["code"], v["hash"])] = v
    return out


def flagged_text(src, finding) -> str:
    unit = next((u for u in src.units if u.cell == finding.cell), src.units[0]) if src.units else None
    lines = unit.real_text.splitlines() if unit is not None else []
    return lines[finding.line - 1].strip() if 0 < finding.line <= len(lines) else ""


def lint_project(project: Project, root: Path, verdicts: dict, config=None) -> tuple[list[Row], dict]:
    """Every finding in one extracted project, with its verdict; and what was linted."""
    from ptlint.rules import Config, lint_source, load_source
    from ptlint.rules.source import SourceError

    config = config or Config()
    rows: list[Row] = []
    stats = collections.Counter()
    errors: list[str] = []
    for path in corpus_files(root, project):
        rel = path.relative_to(root).as_posix()
        try:
            src = load_source(str(path))
        except SourceError as e:
            errors.append(f"{project.name}/{rel}: {e}")
            continue
        stats["files"] += 1
        stats["notebooks" if src.is_notebook else "scripts"] += 1
        stats["lines"] += src.text.count("\n") + 1
        res = lint_source(src, config)
        errors += [f"{project.name}/{rel}: {e.code}: {e.error}" for e in res.rule_errors]
        for f in res.findings:
            text = flagged_text(src, f)
            h = line_hash(text)
            if f.code in UNREVIEWED_CODES:
                verdict, reason = "counted", ""
            else:
                v = verdicts.get((project.name, rel, f.cell, f.code, h))
                verdict, reason = (v["verdict"], v.get("reason", "")) if v else ("unreviewed", "")
            rows.append(Row(project.name, rel, f.cell, f.line, f.code, h, text, f.message_en, verdict, reason))
    return rows, {**stats, "errors": errors}


def tally(rows: Iterable[Row]) -> dict[str, collections.Counter]:
    per: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in rows:
        per[r.code][r.verdict] += 1
    return per


def precision(c: collections.Counter) -> Optional[float]:
    reviewed = c["TP"] + c["FP"]
    return c["TP"] / reviewed if reviewed else None


def _cell(s: str, limit: int = 80) -> str:
    s = s.replace("|", "\\|")
    return s if len(s) <= limit else s[: limit - 3] + "..."


def rule_table(rows: list[Row]) -> list[str]:
    """Per analysis rule: findings, TP, FP, unreviewed, precision; then the totals."""
    per = tally(rows)
    out = ["| rule | findings | true positive | false positive | unreviewed | precision (reviewed) |",
           "| --- | --- | --- | --- | --- | --- |"]
    for code in sorted(c for c in per if c not in UNREVIEWED_CODES):
        c = per[code]
        p = precision(c)
        out.append(f"| {code} | {sum(c.values())} | {c['TP']} | {c['FP']} | {c['unreviewed']} | "
                   f"{'—' if p is None else f'{p:.0%}'} |")
    total = collections.Counter()
    for code, c in per.items():
        if code not in UNREVIEWED_CODES:
            total.update(c)
    p = precision(total)
    return out + ["", f"Analysis rules together: {sum(total.values())} findings, {total['TP']} true, {total['FP']} false, "
                  f"{total['unreviewed']} unreviewed; precision {'—' if p is None else f'{p:.1%}'} "
                  f"(target ≥ {TARGET:.0%} per rule)."
                  + (f" **{total['unreviewed']} finding(s) have no verdict yet: the precision above leaves them out.**"
                     if total["unreviewed"] else ""),
                  f"Counted, not reviewed: PT016 {sum(per.get('PT016', {}).values())}, "
                  f"PT000 {sum(per.get('PT000', {}).values())}."]


def read_jsonl(paths: Iterable[Path]) -> list[dict]:
    return [json.loads(ln) for f in paths for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]


def rescore(rows: Iterable[dict], verdicts: dict) -> list[Row]:
    """Findings saved with ``--json`` (e.g. by an older tree), scored with today's verdicts."""
    out = []
    for r in rows:
        r = dict(r)
        if r["code"] not in UNREVIEWED_CODES:
            v = verdicts.get((r["project"], r["path"], r["cell"], r["code"], r["hash"]))
            r["verdict"], r["reason"] = (v["verdict"], v.get("reason", "")) if v else ("unreviewed", "")
        out.append(Row(**r))
    return out


def before_sections(text: str) -> list[str]:
    """The "### Before…" sections of an earlier report, each up to the next heading: a run
    of the current tree replaces the report, the record of where the round started stays."""
    out: list[str] = []
    keep = False
    for line in text.splitlines():
        if line.startswith("### "):
            keep = line.startswith("### Before")
        elif line.startswith("## "):
            keep = False
        if keep:
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return out


def report(projects: list[Project], per_project: dict[str, dict], rows: list[Row], seconds: float,
           baseline: Optional[tuple[str, list[Row]]] = None, cpu: Optional[float] = None,
           kept_before: Optional[list[str]] = None) -> str:
    files = sum(s.get("files", 0) for s in per_project.values())
    lines = sum(s.get("lines", 0) for s in per_project.values())
    out = ["## Precision on public PyTorch code the rules were not tuned on", "",
           f"Every rule over {files:,} files ({lines:,} lines) of {len(projects)} public projects, pinned by "
           "commit in `bench/precision/manifest.toml` (nothing of them is committed; `python "
           "bench/bench_precision.py --print-fetch` lists the `git clone` commands). Each finding of an analysis "
           "rule has a verdict in `bench/precision/verdicts.jsonl`, written by reading the code (and, where in doubt, "
           "running it with torch); findings nobody has reviewed are listed as unreviewed and never counted as true. "
           "PT016 (legacy constructors, a style rule) is counted, not reviewed.", "",
           "| project | commit | paths | files (notebooks) | lines | style |", "| --- | --- | --- | --- | --- | --- |"]
    for p in projects:
        s = per_project.get(p.name, {})
        paths = ", ".join(f"`{x}`" for x in p.paths) or "all"
        out.append(f"| [{p.name}]({p.url}) | `{p.commit[:10]}` | {paths} | {s.get('files', 0)} "
                   f"({s.get('notebooks', 0)}) | {s.get('lines', 0):,} | {p.style} |")
    out += [""] + rule_table(rows)
    out += ["", f"Whole-corpus run (every rule, one process, parse included): {seconds:.1f} s wall"
            + (f", {cpu:.1f} s CPU" if cpu is not None else "")
            + f" for {files:,} files = {lines / max(cpu or seconds, 1e-9):,.0f} lines per CPU second."]
    if baseline:
        label, base_rows = baseline
        out += ["", f"### Before: {label}", ""] + rule_table(base_rows)
    if kept_before:
        out += [""] + kept_before
    errors = [e for s in per_project.values() for e in s.get("errors", [])]
    if errors:
        out += ["", f"Rule errors and unreadable files ({len(errors)}):", ""] + [f"- {e}" for e in errors[:30]]
    for title, wanted in (("False positives", "FP"), ("Unreviewed", "unreviewed"), ("True positives", "TP")):
        sel = sorted((r for r in rows if r.verdict == wanted), key=lambda r: (r.code, r.project, r.path, r.line))
        if not sel:
            continue
        out += ["", f"### {title} ({len(sel)})", "", "| rule | project | file:line | flagged line | why |",
                "| --- | --- | --- | --- | --- |"]
        for r in sel:
            where = f"{r.path}" + (f"#cell{r.cell}" if r.cell else "") + f":{r.line}"
            out.append(f"| {r.code} | {r.project} | `{where}` | `{_cell(r.text)}` | "
                       f"{_cell(r.reason or r.message, 200)} |")
    return "\n".join(out) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="folder holding a git clone of each manifest repository (default: %(default)s)")
    ap.add_argument("--manifest", type=Path, default=MANIFEST)
    ap.add_argument("--verdicts", type=Path, default=VERDICTS)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--only", action="append", help="lint only this project (repeatable)")
    ap.add_argument("--print-fetch", action="store_true", help="print the git commands that provide the corpus")
    ap.add_argument("--json", action="store_true", help="print every finding as a JSON line")
    ap.add_argument("--unreviewed", action="store_true", help="print the findings without a verdict as JSON lines")
    ap.add_argument("--rescore", type=Path, nargs="+", metavar="JSONL",
                    help="print the per-rule table of findings saved with --json, scored with the current verdicts")
    ap.add_argument("--baseline", type=Path, nargs="+", metavar="JSONL",
                    help="findings of an earlier tree (saved with --json): the report adds their per-rule table")
    ap.add_argument("--baseline-label", default="an earlier tree", help="what the --baseline findings come from")
    ap.add_argument("--keep-before", type=Path, metavar="REPORT",
                    help="carry the '### Before' sections of this earlier report into the new one")
    args = ap.parse_args(argv)

    if args.rescore:
        print("\n".join(rule_table(rescore(read_jsonl(args.rescore), load_verdicts(args.verdicts)))))
        return 0
    projects = load_manifest(args.manifest)
    if args.only:
        projects = [p for p in projects if p.name in args.only]
    if args.print_fetch:
        print("\n".join(fetch_commands(projects, args.corpus)))
        return 0
    missing = [p for p in projects if find_git_dir(args.corpus, p) is None]
    if missing:
        print(f"{len(missing)} project(s) not under {args.corpus}; provide them with:", file=sys.stderr)
        print("\n".join(fetch_commands(missing, args.corpus)), file=sys.stderr)
        return 2
    verdicts = load_verdicts(args.verdicts)
    roots = {p.name: extract(p, find_git_dir(args.corpus, p), WORK) for p in projects}
    rows: list[Row] = []
    per_project: dict[str, dict] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for p in projects:
        got, stats = lint_project(p, roots[p.name], verdicts)
        rows += got
        per_project[p.name] = stats
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    for r in rows:
        if args.json or (args.unreviewed and r.verdict == "unreviewed"):
            print(json.dumps(dataclasses.asdict(r), ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    baseline = (args.baseline_label, rescore(read_jsonl(args.baseline), verdicts)) if args.baseline else None
    kept = before_sections(args.keep_before.read_text(encoding="utf-8")) if args.keep_before else None
    args.out.write_text(report(projects, per_project, rows, seconds, baseline, cpu, kept), encoding="utf-8")
    un = sum(r.verdict == "unreviewed" for r in rows)
    print(f"wrote {args.out}: {len(rows)} findings, {un} unreviewed, {seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
