"""The wheel: everything under the one import name `ptlint` (no bare rules/server
modules), package data included, and a fresh venv runs `ptlint` from it."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = ("rules", "server", "runtime_probe")


def source_tree(dest: Path) -> Path:
    """The checkout's files as git would commit them (a stale build/ can't leak in)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file() and not rel.startswith(("client/", "bench/", "tests/")):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    src = source_tree(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(src)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    wheels = list(out.glob("ptlint-*.whl"))
    assert len(wheels) == 1
    return src, wheels[0]


def test_wheel_holds_everything_under_ptlint(wheel):
    src, whl = wheel
    names = zipfile.ZipFile(whl).namelist()
    tops = {n.split("/")[0] for n in names}
    assert "ptlint" in tops and all(t == "ptlint" or t.endswith(".dist-info") for t in tops), tops
    assert not any(n.startswith(("rules/", "server/", "runtime_probe/", "tests/")) for n in names)
    # every module and data file of the three package folders (where a package holds them)
    expected = set()
    for top in PACKAGE_DIRS:
        for p in (src / top).rglob("*"):
            if p.is_file() and (p.parent / "__init__.py").exists() and p.suffix in (".py", ".txt", ".json") \
                    and "__pycache__" not in p.parts:
                expected.add("ptlint/" + p.relative_to(src).as_posix())
    assert expected - set(names) == set()
    for must in ("ptlint/__init__.py", "ptlint/__main__.py", "ptlint/rules/engine.py", "ptlint/server/cli.py",
                 "ptlint/server/cache.py", "ptlint/server/reporters/sarif.py", "ptlint/runtime_probe/__init__.py",
                 "ptlint/rules/catalog/pt017_softmax_without_dim.py"):
        assert must in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "ptlint = ptlint.server.cli:main" in zipfile.ZipFile(whl).read(entry).decode()
    meta = zipfile.ZipFile(whl).read(next(n for n in names if n.endswith("/METADATA"))).decode()
    requires = [ln for ln in meta.splitlines() if ln.startswith("Requires-Dist:")]
    assert any("libcst" in r for r in requires)
    assert all("torch" not in r or "extra ==" in r for r in requires)  # torch only as an extra


def test_fresh_venv_runs_ptlint_from_the_wheel(wheel, tmp_path):
    _, whl = wheel
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", str(whl)], capture_output=True, text=True,
                          timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr
    from ptlint import __version__

    exe = venv / "bin" / "ptlint"
    work = tmp_path / "work"
    work.mkdir()
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, cwd=work, env=env)
    assert version.stdout.strip() == f"ptlint {__version__}"
    (work / "m.py").write_text("import torch.nn as nn\nlayer = nn.Softmax()\n")
    check = subprocess.run([str(exe), "check", "m.py", "--lang", "en"], capture_output=True, text=True, cwd=work,
                           env=env)
    assert check.returncode == 1, check.stderr
    assert check.stdout.startswith("m.py:2:9: PT017 `nn.Softmax()` without dim")
    where = subprocess.run([str(py), "-c", "import ptlint.rules, sys; print(ptlint.rules.__file__); "
                            "import importlib.util as u; print(u.find_spec('rules'), u.find_spec('server'))"],
                           capture_output=True, text=True, cwd=work, env=env)
    first, second = where.stdout.splitlines()
    assert first.startswith(str(venv)) and "site-packages/ptlint/rules/__init__.py" in first
    assert second == "None None"  # no bare top-level modules were installed
