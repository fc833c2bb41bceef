"""Puts ptlint and all its runtime dependencies into client/bundled/libs for one platform,
so that the .vsix runs its own server with any supported Python the user has (the way
ruff's extension and Microsoft's python-tools template ship their servers).

    python scripts/bundle_python.py [--target linux-x64] [--out bundled/libs]

Steps: build ptlint's wheel from the checkout; build the host's wheels of every dependency
(so that sdist-only ones such as jieba become pure `py3-none-any` wheels); then, for each
supported CPython, `pip install --target` with `--platform/--python-version --only-binary`
(native wheels, e.g. libcst's and PyYAML's, come from PyPI for that platform and version)
and merge the trees. Per-version extension modules carry their ABI tag in the file name
(`native.cpython-311-x86_64-linux-gnu.so`), so one folder serves every version.

A stamp of the inputs makes a second run with unchanged sources a no-op; pip's own cache
keeps the downloads of a first run on a machine that has installed ptlint before.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CLIENT = Path(__file__).resolve().parent.parent
ROOT = CLIENT.parent

# CPython versions the bundle is built for: pyproject's requires-python (>=3.10) up to the
# newest version libcst publishes wheels for.
PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Target:
    """A `vsce package --target` name and the pip platform tags its wheels carry."""
    vsce: str
    pip_platforms: tuple[str, ...]


TARGETS = {t.vsce: t for t in (
    Target("linux-x64", ("manylinux2014_x86_64", "manylinux_2_17_x86_64")),
    Target("linux-arm64", ("manylinux2014_aarch64", "manylinux_2_17_aarch64")),
    Target("darwin-x64", ("macosx_10_12_x86_64", "macosx_10_9_x86_64")),
    Target("darwin-arm64", ("macosx_11_0_arm64",)),
    Target("win32-x64", ("win_amd64",)),
)}

HOST_TARGETS = {
    ("linux", "x86_64"): "linux-x64", ("linux", "aarch64"): "linux-arm64",
    ("darwin", "x86_64"): "darwin-x64", ("darwin", "arm64"): "darwin-arm64",
    ("win32", "AMD64"): "win32-x64",
}

# What the checkout contributes to ptlint's wheel (the layout setup.py maps).
SOURCE_ITEMS = ("ptlint", "rules", "server", "runtime_probe", "pyproject.toml", "setup.py", "README.md",
                "MANIFEST.in", "LICENSE")

# Parts of the dependencies the server never loads: their test suites, and jieba's
# paddle-mode model (it needs paddlepaddle, which is not bundled). Saves ~15 MB per copy.
PRUNE_DIRS = ("__pycache__", "tests")
PRUNE_PATHS = ("jieba/lac_small",)

MANIFEST = "ptlint-bundle.json"


def host_target() -> str:
    import platform

    key = (sys.platform, platform.machine())
    return HOST_TARGETS.get(key, "linux-x64")


def pip(python: str, *args: str) -> None:
    cmd = [python, "-m", "pip", *args]
    print("+", " ".join(cmd), flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    subprocess.run(cmd, check=True, env=env)


def ignore_build_junk(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n == "__pycache__" or n.endswith((".egg-info", ".pyc"))}


def copy_sources(dest: Path) -> None:
    for item in SOURCE_ITEMS:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=ignore_build_junk)
        elif src.is_file():
            shutil.copy2(src, dest / item)


def inputs_digest(target: Target, versions: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([target.vsce, target.pip_platforms, versions]).encode())
    h.update(Path(__file__).read_bytes())
    for item in SOURCE_ITEMS:
        src = ROOT / item
        files = sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src] if src.is_file() else []
        for p in files:
            if "__pycache__" in p.parts or ".egg-info" in str(p) or p.suffix == ".pyc":
                continue
            h.update(p.relative_to(ROOT).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def can_build_without_isolation(python: str) -> bool:
    """Whether `python` has a setuptools new enough for pyproject's build-system (SPDX license)."""
    probe = "import setuptools, sys; sys.exit(int(int(setuptools.__version__.split('.')[0]) < 77))"
    return subprocess.run([python, "-c", probe], capture_output=True).returncode == 0


def merge(src: Path, dest: Path) -> None:
    for p in src.rglob("*"):
        rel = p.relative_to(src)
        out = dest / rel
        if p.is_dir():
            out.mkdir(parents=True, exist_ok=True)
        elif not out.exists():  # pure files are the same for every version
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, out)


def prune(libs: Path) -> None:
    for rel in PRUNE_PATHS:
        shutil.rmtree(libs / rel, ignore_errors=True)
    for name in PRUNE_DIRS:
        for d in sorted(libs.rglob(name), reverse=True):
            if d.is_dir():
                shutil.rmtree(d, ignore_errors=True)


def bundle(target: Target, out: Path, versions: tuple[str, ...], python: str) -> None:
    digest = inputs_digest(target, versions)
    stamp = out.with_name(out.name + ".stamp")  # beside the folder: never packaged
    if stamp.is_file() and stamp.read_text().strip() == digest:
        print(f"{out} is up to date ({target.vsce}, Python {', '.join(versions)})")
        return
    with tempfile.TemporaryDirectory(prefix="ptlint-bundle-") as tmp_name:
        tmp = Path(tmp_name)
        src, wheels = tmp / "src", tmp / "wheels"
        src.mkdir()
        copy_sources(src)
        no_iso = ["--no-build-isolation"] if can_build_without_isolation(python) else []
        pip(python, "wheel", "-q", "--no-deps", *no_iso, "-w", str(wheels), str(src))
        (ptlint_wheel,) = wheels.glob("ptlint-*.whl")
        # the host's wheels of every dependency: sdist-only packages become pure wheels here
        pip(python, "wheel", "-q", "-w", str(wheels), "--find-links", str(wheels), str(ptlint_wheel))
        staged = tmp / "libs"
        staged.mkdir()
        for version in versions:
            one = tmp / f"py{version}"
            platform_args = [a for tag in target.pip_platforms for a in ("--platform", tag)]
            pip(python, "install", "-q", "--target", str(one), *platform_args, "--python-version", version,
                "--implementation", "cp", "--only-binary=:all:", "--find-links", str(wheels), "--no-compile",
                "--disable-pip-version-check", str(ptlint_wheel))
            merge(one, staged)
        prune(staged)
        from_wheel = ptlint_wheel.name.split("-")[1]
        (staged / MANIFEST).write_text(json.dumps({
            "ptlint": from_wheel, "target": target.vsce, "platforms": list(target.pip_platforms),
            "pythons": list(versions),
        }, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, out)
    stamp.write_text(digest + "\n")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"bundled ptlint for {target.vsce}, Python {', '.join(versions)} into {out} ({size / 1e6:.1f} MB)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", default=os.environ.get("PTLINT_VSIX_TARGET") or host_target(), choices=sorted(TARGETS))
    p.add_argument("--out", default=str(CLIENT / "bundled" / "libs"))
    p.add_argument("--python-versions", default=",".join(PYTHON_VERSIONS))
    args = p.parse_args(argv)
    versions = tuple(v.strip() for v in args.python_versions.split(",") if v.strip())
    bundle(TARGETS[args.target], Path(args.out).resolve(), versions, sys.executable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
