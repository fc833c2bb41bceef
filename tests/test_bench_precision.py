"""The precision benchmark's bookkeeping on a tiny synthetic corpus (a local git repository,
no network): files come from the pinned commit, verdicts match by line text not line number,
a finding without a verdict is reported as unreviewed and never counted as true."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_precision", ROOT / "bench" / "bench_precision.py")
bp = importlib.util.module_from_spec(_spec)
sys.modules["bench_precision"] = bp  # dataclasses look their module up there
_spec.loader.exec_module(bp)

BUG = "y = torch.randn(3, 4).t().view(12)\n"  # view of a transposed (3, 4): always raises


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, files: dict[str, str]) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "x")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def corpus(tmp_path: Path):
    repo = tmp_path / "corpus" / "acme+demo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    first = commit(repo, {"pkg/model.py": "import torch\n" + BUG, "docs/skip.py": "import torch\n" + BUG,
                          "pkg/data.txt": "not python\n"})
    return tmp_path, repo, first


def write_manifest(tmp_path: Path, commit_sha: str) -> Path:
    m = tmp_path / "manifest.toml"
    m.write_text(f'[[project]]\nname = "demo"\nrepo = "acme/demo"\ncommit = "{commit_sha}"\n'
                 f'paths = ["pkg"]\nstyle = "test"\n', encoding="utf-8")
    return m


def run(tmp_path: Path, manifest: Path, verdicts: Path, monkeypatch) -> str:
    monkeypatch.setattr(bp, "WORK", tmp_path / "work")
    out = tmp_path / "precision.md"
    rc = bp.main(["--corpus", str(tmp_path / "corpus"), "--manifest", str(manifest), "--verdicts", str(verdicts),
                  "--out", str(out)])
    assert rc == 0
    return out.read_text(encoding="utf-8")


def test_finding_without_verdict_is_unreviewed_not_true(corpus, monkeypatch):
    tmp_path, _, first = corpus
    text = run(tmp_path, write_manifest(tmp_path, first), tmp_path / "verdicts.jsonl", monkeypatch)
    assert "| PT001 | 1 | 0 | 0 | 1 | — |" in text
    assert "1 finding(s) have no verdict yet" in text
    assert "### Unreviewed (1)" in text and "pkg/model.py:2" in text
    assert "docs/skip.py" not in text  # only the manifest's paths are linted
    assert "| [demo](https://github.com/acme/demo) |" in text and "| 1 (0) |" in text


def test_verdict_survives_line_shift_and_later_commits(corpus, monkeypatch):
    tmp_path, repo, first = corpus
    verdicts = tmp_path / "verdicts.jsonl"
    verdicts.write_text(json.dumps({"project": "demo", "path": "pkg/model.py", "cell": None, "line": 2,
                                    "code": "PT001", "hash": bp.line_hash(BUG), "verdict": "FP",
                                    "reason": "synthetic"}) + "\n", encoding="utf-8")
    # The pinned commit is what gets linted, even after the repository moved on.
    second = commit(repo, {"pkg/model.py": "import torch\n\n\n# moved down\n" + BUG})
    text = run(tmp_path, write_manifest(tmp_path, first), verdicts, monkeypatch)
    assert "| PT001 | 1 | 0 | 1 | 0 | 0% |" in text and "pkg/model.py:2" in text
    text = run(tmp_path, write_manifest(tmp_path, second), verdicts, monkeypatch)
    assert "| PT001 | 1 | 0 | 1 | 0 | 0% |" in text and "pkg/model.py:5" in text
    assert "### False positives (1)" in text and "synthetic" in text


def test_bad_verdict_value_is_rejected(tmp_path):
    v = tmp_path / "v.jsonl"
    v.write_text(json.dumps({"project": "p", "path": "a.py", "code": "PT001", "hash": "x", "verdict": "yes"}) + "\n")
    with pytest.raises(ValueError, match="TP or FP"):
        bp.load_verdicts(v)


def test_missing_repository_prints_clone_commands(tmp_path, capsys):
    m = write_manifest(tmp_path, "0" * 40)
    assert bp.main(["--corpus", str(tmp_path / "none"), "--manifest", str(m)]) == 2
    assert f"git clone --bare https://github.com/acme/demo {tmp_path / 'none' / 'acme+demo' / 'repo'}" \
        in capsys.readouterr().err
    assert bp.main(["--corpus", str(tmp_path / "c"), "--manifest", str(m), "--print-fetch"]) == 0
    assert "git clone --bare https://github.com/acme/demo" in capsys.readouterr().out


def test_saved_findings_are_rescored_with_current_verdicts(tmp_path, capsys):
    row = {"project": "demo", "path": "a.py", "cell": None, "line": 3, "code": "PT002", "hash": bp.line_hash(BUG),
           "text": BUG.strip(), "message": "m", "verdict": "unreviewed", "reason": ""}
    saved = tmp_path / "old.jsonl"
    saved.write_text(json.dumps(row) + "\n" + json.dumps({**row, "code": "PT016", "verdict": "counted"}) + "\n")
    verdicts = tmp_path / "v.jsonl"
    verdicts.write_text(json.dumps({**{k: row[k] for k in ("project", "path", "cell", "code", "hash")},
                                    "verdict": "TP", "reason": "r"}) + "\n")
    assert bp.main(["--rescore", str(saved), "--verdicts", str(verdicts)]) == 0
    out = capsys.readouterr().out
    assert "| PT002 | 1 | 1 | 0 | 0 | 100% |" in out and "PT016 1" in out and "| PT016 |" not in out


def test_an_earlier_reports_before_section_is_kept(corpus, monkeypatch, tmp_path):
    tmp, _, first = corpus
    earlier = tmp / "earlier.md"
    earlier.write_text("## Precision\n\n| rule |\n\n### Before: commit abc (start of the round)\n\n| PT001 | 4 |\n"
                       "\nAnalysis rules together: 4 findings.\n\n### False positives (1)\n\n| PT001 | x |\n",
                       encoding="utf-8")
    monkeypatch.setattr(bp, "WORK", tmp / "work")
    out = tmp / "precision.md"
    assert bp.main(["--corpus", str(tmp / "corpus"), "--manifest", str(write_manifest(tmp, first)),
                    "--verdicts", str(tmp / "none.jsonl"), "--out", str(out), "--keep-before", str(earlier)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "### Before: commit abc (start of the round)\n\n| PT001 | 4 |\n\nAnalysis rules together: 4 findings." in text
    assert "| PT001 | x |" not in text  # the earlier run's finding lists are not carried over
    assert text.index("### Before") < text.index("### Unreviewed")
