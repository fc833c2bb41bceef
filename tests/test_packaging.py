"""The sdist and wheel that `python -m build` makes: everything under the one import name
`ptlint` (no bare rules/server modules), package data included, no setuptools deprecation
warnings, and a fresh venv runs `ptlint` and `ptlint server` from the wheel. ptlint is not on
PyPI: this wheel (or a clone, or a git URL) is how users install it."""
import json
import os
import tarfile
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
def built(tmp_path_factory):
    """`python -m build`: the sdist, then the wheel built from that sdist (so the sdist must
    be complete), in an isolated build environment as pip and CI make it."""
    src = source_tree(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(src)], capture_output=True,
                          text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    wheels, sdists = list(out.glob("ptlint-*.whl")), list(out.glob("ptlint-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return src, wheels[0], sdists[0], proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def wheel(built):
    src, whl, _, _ = built
    return src, whl


def test_build_prints_no_deprecation_warning(built):
    """pyproject's license is an SPDX string (setuptools >= 77), not the deprecated table."""
    log = built[3]
    assert "Successfully built" in log
    for warning in ("SetuptoolsDeprecationWarning", "project.license", "License classifiers are deprecated"):
        assert warning not in log, log[-3000:]


def test_sdist_holds_the_sources_and_metadata(built):
    _, _, sdist, _ = built
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        pkg_info = tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith("/PKG-INFO"))).read().decode()
    for must in ("pyproject.toml", "setup.py", "README.md", "ptlint/__init__.py", "rules/engine.py",
                 "server/cli.py", "server/lsp/server.py", "runtime_probe/worker.py"):
        assert must in names, must
    assert not any(n.startswith(("client/", "bench/", ".venv/")) for n in names)
    assert "License-Expression: MIT" in pkg_info


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


def test_fresh_venv_runs_ptlint_server_from_the_wheel(wheel, tmp_path):
    """`ptlint server` from the wheel answers initialize over stdio (what every editor runs)."""
    _, whl = wheel
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(whl)], capture_output=True,
                          text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr

    def frame(msg: dict) -> bytes:
        data = json.dumps(msg).encode()
        return b"Content-Length: %d\r\n\r\n" % len(data) + data

    requests = frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                      "params": {"processId": None, "rootUri": None, "capabilities": {}}}) + \
        frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + \
        frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}) + frame({"jsonrpc": "2.0", "method": "exit"})
    server = subprocess.run([str(venv / "bin" / "ptlint"), "server"], input=requests, capture_output=True,
                            timeout=120, cwd=tmp_path, env=env)
    assert server.returncode == 0, server.stderr.decode(errors="replace")
    messages, rest = [], server.stdout
    while rest.strip():
        head, _, rest = rest.partition(b"\r\n\r\n")
        length = int(head.decode().split("Content-Length:")[1].split()[0])
        messages.append(json.loads(rest[:length]))
        rest = rest[length:]
    init = next(m for m in messages if m.get("id") == 1)
    assert "textDocumentSync" in init["result"]["capabilities"], init
    assert "ptlint" in json.dumps(init["result"].get("serverInfo", {})), init
    assert any(m.get("id") == 2 and "error" not in m for m in messages), messages
