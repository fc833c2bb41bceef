import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run_cli(tmp_path):
    """Run the real ``ptlint`` CLI in a subprocess; returns CompletedProcess."""

    def run(*args, cwd=None, input=None, env=None):
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        if env:
            e.update(env)
        return subprocess.run(
            [sys.executable, "-m", "ptlint", *args], cwd=cwd or tmp_path, input=input,
            capture_output=True, text=True, env=e, timeout=120,
        )

    return run
