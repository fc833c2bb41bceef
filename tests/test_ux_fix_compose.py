"""Fixes on the same value compose (issue 16): PT016 (legacy constructor) and PT022
(float Embedding indices) on one ``torch.Tensor([...])`` give one edit with
``dtype=torch.long``, and ``torch.Tensor([[i]]).long()`` becomes one ``torch.tensor`` call.
The fixed programs are run with the real torch to check the dtypes and values."""
import subprocess
import sys

import pytest

pytest.importorskip("torch")

PROGRAM = """import torch
import torch.nn as nn

lookup = nn.Embedding(50, 3)
probe_ids = torch.Tensor([[1, 2, 3, 4]])
print("probe", lookup(probe_ids).shape)
direct = lookup(torch.Tensor([5, 6]))
i = 7
one = torch.Tensor([[i]]).long()
lit = torch.Tensor([[1, 2]]).long()
kept = torch.Tensor([0, 9])
scaled = kept * 0.5
print("kept", lookup(kept).shape, scaled.dtype)
print("values", one.tolist(), one.dtype, lit.tolist(), lit.dtype, direct.shape)
"""


def test_pt016_and_pt022_fixes_compose_and_the_result_runs(run_cli, tmp_path):
    path = tmp_path / "m.py"
    path.write_text(PROGRAM, encoding="utf-8")
    before = run_cli("check", "m.py", "--no-cache", "--select", "PT016,PT022", "--format", "json")
    assert before.returncode == 1
    proc = run_cli("check", "m.py", "--no-cache", "--select", "PT016,PT022", "--fix", "--unsafe-fixes", "--lang", "en")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fixed = path.read_text(encoding="utf-8")
    # one edit at the creation, no float32 + .long() at the use
    assert "probe_ids = torch.tensor([[1, 2, 3, 4]], dtype=torch.long)\n" in fixed
    assert "lookup(probe_ids)" in fixed and "probe_ids.long()" not in fixed
    assert "direct = lookup(torch.tensor([5, 6], dtype=torch.long))\n" in fixed
    assert "one = torch.tensor([[i]], dtype=torch.long)\n" in fixed
    assert "lit = torch.tensor([[1, 2]], dtype=torch.long)\n" in fixed
    assert "float32" not in fixed.split("kept")[0]
    # `kept` is also used as floats: its creation keeps float32, the index gets .long()
    assert "kept = torch.tensor([0, 9], dtype=torch.float32)\n" in fixed and "lookup(kept.long())" in fixed
    # every finding counted as fixed, though the shared edits were applied once
    assert "Fixed 8 problems" in proc.stdout, proc.stdout

    # (read the dtype only now: a second use of probe_ids would rightly stop the composition)
    path.write_text(fixed + 'print("dtype", probe_ids.dtype)\n', encoding="utf-8")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines["probe"] == "torch.Size([1, 4, 3])" and lines["dtype"] == "torch.int64"
    assert lines["kept"] == "torch.Size([2, 3]) torch.float32"
    assert lines["values"] == "[[7]] torch.int64 [[1, 2]] torch.int64 torch.Size([2, 3])"


def test_conversion_is_safe_only_for_exact_integer_literals(run_cli, tmp_path):
    (tmp_path / "m.py").write_text(
        "import torch\ni = 3\na = torch.Tensor([[i]]).long()\nb = torch.Tensor([[1, -2]]).long()\n"
        "c = torch.Tensor([[16777217]]).long()\nd = torch.DoubleTensor([16777217]).int()\n", encoding="utf-8")
    import json

    proc = run_cli("check", "m.py", "--no-cache", "--format", "json")
    got = {f["range"]["start"]["line"]: (f["fix"]["safety"], f["fix"]["edits"][0]["new_text"])
           for f in json.loads(proc.stdout)}
    assert got[3] == ("unsafe", "torch.tensor([[i]], dtype=torch.long)")  # i may exceed float32's 2**24
    assert got[4] == ("safe", "torch.tensor([[1, -2]], dtype=torch.long)")
    assert got[5][0] == "unsafe"  # float32 rounds 16777217: the old code gave 16777216
    assert got[6] == ("safe", "torch.tensor([16777217], dtype=torch.int32)")  # float64 holds it exactly


def test_fix_text_applies_a_shared_edit_once():
    from ptlint.rules.config import Config
    from ptlint.rules.engine import lint_text
    from ptlint.rules.fixes import fix_text

    src = "import torch\nimport torch.nn as nn\nemb = nn.Embedding(5, 2)\nids = torch.Tensor([1, 2])\nemb(ids)\n"
    res = lint_text(src, "m.py", Config(select=("PT016", "PT022")))
    assert sorted(f.code for f in res.findings) == ["PT016", "PT022"]
    assert res.findings[0].fix.edits == res.findings[1].fix.edits
    new, chosen = fix_text(src, res.findings)
    assert len(chosen) == 2
    assert new == src.replace("torch.Tensor([1, 2])", "torch.tensor([1, 2], dtype=torch.long)")
