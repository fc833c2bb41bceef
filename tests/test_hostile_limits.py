"""Size limits (issue 11, rules/limits.py): a file too large to analyse within bounded
memory gets a one-line "not checked" notice naming it, never silence, and the run goes
on for the other files."""
import subprocess
import sys

from ptlint.rules.engine import lint_text
from ptlint.rules.limits import MAX_TOKENS

GOOD = "import torch\nx = torch.randn(2, 3).t().view(-1)\n"
BLOCK = """
class Net{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(torch.relu(x))
"""


def test_ten_megabyte_file_is_a_notice_in_bounded_memory(tmp_path):
    text = "import torch\nimport torch.nn as nn\n"
    blocks = [BLOCK.format(i=i) for i in range(10 * 1024 * 1024 // len(BLOCK) + 1)]
    (tmp_path / "big.py").write_text(text + "".join(blocks))
    (tmp_path / "ok.py").write_text(GOOD)
    # The peak is read by the child from its own /proc/self/status (VmHWM of the address
    # space exec() gave it). wait4()/RUSAGE_CHILDREN are not usable: Linux carries the
    # forking parent's high-water RSS into the child's ru_maxrss at exec, so a pytest
    # process that grew to 600 MB would make any child look that big.
    peak_file = tmp_path / "peak.txt"
    wrapper = (
        "import atexit, sys\n"
        "def _peak():\n"
        "    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
        f"    open({str(peak_file)!r}, 'w').write(hwm[0].split()[1])\n"
        "atexit.register(_peak)\n"
        "from ptlint.server.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, "check", "--no-cache", "--jobs", "1", "big.py", "ok.py"],
                          cwd=tmp_path, capture_output=True, text=True)
    stdout, stderr = proc.stdout, proc.stderr
    assert proc.returncode == 2
    assert "ok.py:2:5: PT001" in stdout
    line = [ln for ln in stderr.splitlines() if "big.py" in ln]
    assert len(line) == 1 and line[0].startswith("ptlint: error: big.py: 文件太大，没有检查（约 ")
    assert line[0].endswith(f" 个词法单元，上限 {MAX_TOKENS:,}）")
    peak_kib = int(peak_file.read_text())
    assert peak_kib < 600 * 1024  # old main: 880 MB and more; now about 120 MB


def test_one_four_megabyte_line_is_a_notice():
    text = "import torch\nx = [" + ",".join("1" for _ in range(2 * 1024 * 1024)) + "]\n"
    res = lint_text(text, "line.py")
    assert res.findings == []
    assert [(n.kind, n.path) for n in res.notices] == [("too-large", "line.py")]
    assert res.notices[0].text("en").startswith("line.py: too large to analyse")


def test_just_under_the_limit_is_analysed():
    table = "table = [" + ", ".join("1" for _ in range(MAX_TOKENS // 2 - 100)) + "]\n"  # two tokens an item
    res = lint_text("import torch\n" + table + "y = torch.randn(2, 3).t().view(-1)\n", "m.py")
    assert res.notices == []
    assert [f.code for f in res.findings] == ["PT001"]


def test_many_cells_with_findings_are_all_placed():
    import json

    cells = [{"cell_type": "code", "source": "import torch", "metadata": {}, "outputs": []}]
    cells += [{"cell_type": "code", "source": f"y{i} = torch.randn(2, 3).t().view(-1)", "metadata": {},
               "outputs": []} for i in range(300)]
    res = lint_text(json.dumps({"cells": cells, "metadata": {}}), "nb.ipynb", notebook=True)
    assert [(f.cell, f.line, f.code) for f in res.findings] == [(i, 1, "PT001") for i in range(2, 302)]
