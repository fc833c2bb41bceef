"""Starting the server without an editor: the entry points, and no torch import."""
import os
import subprocess
import sys

from .conftest import ROOT, SERVER


def test_console_entry_points():
    out = subprocess.run([sys.executable, "-m", "ptlint", "server", "--help"], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert out.returncode == 0 and "--tcp PORT" in out.stdout
    out = subprocess.run([*SERVER, "--help"], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("usage: python -m ptlint.server")


def test_the_server_never_imports_torch(tmp_path):
    """Start the whole server (pygls, every feature module, a worker analysing a file)
    with a torch that explodes on import."""
    fake = tmp_path / "fake"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text("raise ImportError('torch must not be imported here')\n")
    code = (
        "import sys\n"
        "from ptlint.server.lsp.server import create_server\n"
        "from ptlint.server.lsp.worker import Job, analyse\n"
        "from ptlint.rules.config import Config\n"
        "create_server()\n"
        "snap = analyse(Job('file:///m.py', 1, 0, '/m.py', 'python', Config(),\n"
        "    text='import torch\\nimport torch.nn as nn\\nclass N(nn.Module):\\n    def __init__(self):\\n"
        "        super().__init__()\\n        self.c = nn.Conv2d(1, 2, 3)\\n'\n"
        "    '    def forward(self, x):\\n        return self.c(x)\\nN()(torch.randn(1, 1, 8, 8))\\n'))\n"
        "assert snap.crash is None, snap.crash\n"
        "print('torch' in sys.modules, len(snap.shapes) > 0)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(fake), str(ROOT)]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
