"""torch is never imported on the static path: the CLI, the engine and the LSP modules
must start and work where torch is absent."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = r"""
import sys, json, runpy
sys.argv = ["ptlint", "check", "--no-cache", "--format", "json", {path!r}]
from ptlint.server import cli
rc = cli.main(sys.argv[1:])
import ptlint.rules.engine
for mod in ("ptlint.server.lsp",):
    try:
        __import__(mod)
    except ImportError:
        pass
print("TORCH_LOADED" if "torch" in sys.modules else "TORCH_ABSENT", file=sys.stderr)
"""


def test_cli_and_engine_do_not_import_torch(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("import torch\nimport torch.nn as nn\nm = nn.Softmax()\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", CHECK.format(path=str(src))], capture_output=True, text=True, cwd=tmp_path)
    assert "TORCH_ABSENT" in proc.stderr, proc.stderr
    assert json.loads(proc.stdout)[0]["code"] == "PT017"


def test_linting_works_when_torch_cannot_be_imported(tmp_path):
    # A torch that explodes on import stands in for a machine without torch.
    fake = tmp_path / "fake"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text("raise ImportError('no torch here')\n")
    src = tmp_path / "m.py"
    src.write_text("import torch.nn.functional as F\ny = F.softmax(x)\n", encoding="utf-8")
    env = {"PYTHONPATH": f"{fake}{':' + str(ROOT)}"}
    import os

    proc = subprocess.run([sys.executable, "-m", "ptlint", "check", "--no-cache", str(src)],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, **env})
    assert proc.returncode == 1, proc.stderr
    assert "PT017" in proc.stdout
