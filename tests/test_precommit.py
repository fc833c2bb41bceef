"""The real pre-commit, pointed at this checkout, runs ptlint's hooks in a temporary git
repository: a buggy file fails the hook, a clean one passes. pre-commit builds the hook's
environment (pip installs ptlint and its deps) once per test session."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
BUGGY = "import torch.nn as nn\n\nlayer = nn.Softmax()\n"
CLEAN = "import torch.nn as nn\n\nlayer = nn.Softmax(dim=-1)\n"


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                    *args], cwd=cwd, check=True, capture_output=True)


def snapshot_checkout(dest: Path) -> str:
    """This checkout as pre-commit would see it once committed (tracked and new files,
    nothing git ignores), in its own repository; returns the commit."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file() and not rel.startswith(("client/", "bench/")):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git("init", "-q", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "-m", "snapshot", cwd=dest)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory):
    src = tmp_path_factory.mktemp("ptlint-src")
    return src, snapshot_checkout(src), tmp_path_factory.mktemp("pre-commit-home")


def project(tmp_path: Path, hook_repo, hook_ids) -> dict:
    src, rev, home = hook_repo
    git("init", "-q", cwd=tmp_path)
    hooks = "".join(f"      - id: {h}\n" for h in hook_ids)
    (tmp_path / ".pre-commit-config.yaml").write_text(f"repos:\n  - repo: {src}\n    rev: {rev}\n    hooks:\n{hooks}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "PTLINT"))}
    env["PRE_COMMIT_HOME"] = str(home)
    return env


def pre_commit(tmp_path, env, *files):
    git("add", "-A", cwd=tmp_path)
    return subprocess.run([*PRE_COMMIT, "run", "--color", "never", "--files", *files], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)


def test_hook_fails_on_buggy_and_passes_on_clean(tmp_path, hook_repo):
    env = project(tmp_path, hook_repo, ["ptlint"])
    (tmp_path / "buggy.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(CLEAN)
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": "!nvidia-smi\nimport torch\ny = torch.softmax(x)"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb, indent=1))

    failed = pre_commit(tmp_path, env, "buggy.py")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "buggy.py:3:9: PT017" in failed.stdout

    passed = pre_commit(tmp_path, env, "clean.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

    notebook = pre_commit(tmp_path, env, "nb.ipynb")  # jupyter files are hooked too
    assert notebook.returncode == 1 and "nb.ipynb:cell 1:3:5: PT017" in notebook.stdout


def test_fix_hook_runs_fix_and_reports_the_rest(tmp_path, hook_repo):
    env = project(tmp_path, hook_repo, ["ptlint-fix"])
    (tmp_path / "pyproject.toml").write_text('[tool.ptlint]\nselect = ["PT027"]\n')
    (tmp_path / "buggy.py").write_text("import torch.nn as nn\ndrop = nn.Dropout(50)\n")
    (tmp_path / "clean.py").write_text(CLEAN)
    failed = pre_commit(tmp_path, env, "buggy.py")
    assert failed.returncode == 1 and "buggy.py:2:19: PT027" in failed.stdout
    assert pre_commit(tmp_path, env, "clean.py").returncode == 0
