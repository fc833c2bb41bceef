"""``ptlint check --probe`` starts the probe's worker before the static analysis, so that
the interpreter's start and ``import torch`` overlap it (server/cmd_probe.py prestart_probe)."""
import os
import subprocess
import sys
from pathlib import Path

CLEAN = "import torch\nx = torch.randn(2, 3)\ny = x.view(-1)\n"


def _fake_python(path: Path, marker: Path) -> Path:
    """A stand-in interpreter that records being started and then fails to be a worker."""
    path.write_text(f"#!/bin/sh\necho started >> '{marker}'\nexit 3\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def _check(tmp_path, *extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PTLINT_PROBE_PYTHON", "XDG_CONFIG_HOME")}
    env["HOME"] = str(tmp_path)
    return subprocess.run([sys.executable, "-m", "ptlint", "check", "--no-cache", *extra, "clean.py"],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)


def test_the_worker_starts_even_before_any_finding_asks_for_it(tmp_path):
    (tmp_path / "clean.py").write_text(CLEAN)
    marker = tmp_path / "started.txt"
    fake = _fake_python(tmp_path / "py.sh", marker)
    proc = _check(tmp_path, "--probe", "--probe-python", str(fake))
    # Nothing in the file needs the probe, yet its worker was started early, once;
    # its failure changes neither the report nor the exit status.
    assert marker.read_text().splitlines() == ["started"]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_without_probe_no_worker_starts(tmp_path):
    (tmp_path / "clean.py").write_text(CLEAN)
    marker = tmp_path / "started.txt"
    fake = _fake_python(tmp_path / "py.sh", marker)
    proc = _check(tmp_path, "--probe-python", str(fake))
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
