"""--fix, --unsafe-fixes and --diff: what gets written, and what never gets corrupted."""
import json
import os
from pathlib import Path

import libcst as cst
import pytest

from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import REGISTRY, Docs, FixSpec, InsertStatementBefore, Message, Replace, Rule, all_rules
from ptlint.server import cli

BUGGY = "import torch\nimport torch.nn as nn\n\nlayer = nn.Softmax()\nt = torch.FloatTensor(3)\n"


@pytest.fixture
def test_rules():
    """Rules that exist only for these tests (removed again afterwards)."""
    all_rules()
    before = set(REGISTRY)

    class LegacyCtor(Rule):  # a safe fix that adds a line and a multi-line replacement
        code = "PT991"
        name = "test-legacy-ctor"
        severity = Severity.WARNING
        fix_safety = FixSafety.SAFE
        message = Message(zh="测试规则", en="test rule")
        docs = Docs(zh="", en="")

        def visit_Call(self, node: cst.Call) -> None:
            if self.qualname(node.func) == "torch.FloatTensor":
                stmt = next(a for a in reversed(self.ctx.ancestors) if isinstance(a, cst.SimpleStatementLine))
                self.report(node, fix=FixSpec(
                    (Replace(node, "torch.empty(\n    3)"), InsertStatementBefore(stmt, "# 已替换")),
                    "替换", "replace", FixSafety.SAFE))

    class BrokenFix(Rule):  # a rule bug: its "fix" would not parse
        code = "PT992"
        name = "test-broken-fix"
        severity = Severity.WARNING
        fix_safety = FixSafety.SAFE
        message = Message(zh="测试规则", en="test rule")
        docs = Docs(zh="", en="")

        def visit_Call(self, node: cst.Call) -> None:
            if self.qualname(node.func) == "torch.nn.Dropout":
                self.report(node, fix=FixSpec((Replace(node, "nn.Dropout(("),), "坏", "bad", FixSafety.SAFE))

    yield
    for code in set(REGISTRY) - before:
        del REGISTRY[code]


def check(monkeypatch, capsys, tmp_path, *args):
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["check", "--no-cache", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_fix_applies_safe_fixes_only(test_rules, monkeypatch, capsys, tmp_path):
    f = tmp_path / "m.py"
    f.write_text(BUGGY)
    rc, out, err = check(monkeypatch, capsys, tmp_path, "m.py", "--fix", "--lang", "en")
    assert f.read_text() == ("import torch\nimport torch.nn as nn\n\nlayer = nn.Softmax()\n# 已替换\n"
                             "t = torch.empty(\n    3)\n")
    assert rc == 1 and "PT017" in out and "PT991" not in out and "Fixed 1 problem." in out
    rc, out, err = check(monkeypatch, capsys, tmp_path, "m.py", "--fix", "--unsafe-fixes", "--lang", "en")
    assert "layer = nn.Softmax(dim=-1)\n" in f.read_text()
    assert rc == 0 and "All checks passed" in out
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]  # no temp file left behind


def test_crlf_and_bom_are_kept(test_rules, monkeypatch, capsys, tmp_path):
    f = tmp_path / "m.py"
    f.write_bytes(b"\xef\xbb\xbf" + BUGGY.replace("\n", "\r\n").encode())
    os.chmod(f, 0o640)
    rc, out, err = check(monkeypatch, capsys, tmp_path, "m.py", "--fix", "--unsafe-fixes")
    data = f.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    text = data[3:].decode()
    assert "\n" not in text.replace("\r\n", "")  # every line ending is still CRLF
    assert text == ("import torch\r\nimport torch.nn as nn\r\n\r\nlayer = nn.Softmax(dim=-1)\r\n# 已替换\r\n"
                    "t = torch.empty(\r\n    3)\r\n")
    assert os.stat(f).st_mode & 0o777 == 0o640
    assert rc == 0, out + err


def test_declared_encoding_is_kept(monkeypatch, capsys, tmp_path):
    f = tmp_path / "m.py"
    f.write_bytes("# -*- coding: gbk -*-\n# 模型\nimport torch.nn as nn\nlayer = nn.Softmax()\n".encode("gbk"))
    rc, out, err = check(monkeypatch, capsys, tmp_path, "m.py", "--fix", "--unsafe-fixes")
    assert f.read_bytes().decode("gbk").endswith("# 模型\nimport torch.nn as nn\nlayer = nn.Softmax(dim=-1)\n")
    assert rc == 0


def test_fix_that_would_not_parse_leaves_file_byte_identical(test_rules, monkeypatch, capsys, tmp_path):
    f = tmp_path / "m.py"
    original = b"import torch.nn as nn\r\ndrop = nn.Dropout(0.5)\r\n"
    f.write_bytes(original)
    before = os.stat(f)
    rc, out, err = check(monkeypatch, capsys, tmp_path, "m.py", "--fix")
    assert f.read_bytes() == original
    assert os.stat(f).st_mtime_ns == before.st_mtime_ns
    assert "m.py: the fixed code would not parse; file left unchanged" in err
    assert rc == 2 and "PT992" in out


def test_diff_prints_and_writes_nothing(test_rules, monkeypatch, capsys, tmp_path):
    f = tmp_path / "m.py"
    f.write_text(BUGGY)
    before = os.stat(f)
    rc, out, err = check(monkeypatch, capsys, tmp_path, "m.py", "--diff", "--unsafe-fixes")
    assert f.read_text() == BUGGY and os.stat(f).st_mtime_ns == before.st_mtime_ns
    assert out.startswith("--- a/m.py\n+++ b/m.py\n")
    assert "-layer = nn.Softmax()\n-t = torch.FloatTensor(3)\n+layer = nn.Softmax(dim=-1)\n+# 已替换\n" in out
    assert rc == 1 and "可修复 2 个问题" in err
    rc, out, err = check(monkeypatch, capsys, tmp_path, "m.py", "--diff", "--select", "PT027")
    assert rc == 0 and out == ""


def test_notebook_fix_keeps_json_layout(monkeypatch, capsys, tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# 实验\n", "说明"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {"tags": ["x"]}, "outputs": [],
         "source": ["%matplotlib inline\n", "import torch.nn as nn\n", "act = nn.Softmax()"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [{"output_type": "stream",
         "name": "stdout", "text": ["完成\n"]}], "source": ["print('ok')"]},
    ]
    nb = {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    f = tmp_path / "nb.ipynb"
    original = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    f.write_text(original, encoding="utf-8")
    rc, out, err = check(monkeypatch, capsys, tmp_path, "nb.ipynb", "--fix", "--unsafe-fixes")
    new = f.read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(original.splitlines(), new.splitlines()) if a != b]
    assert len(original.splitlines()) == len(new.splitlines())
    assert changed == [('    "act = nn.Softmax()"', '    "act = nn.Softmax(dim=-1)"')]
    assert rc == 0, out + err


def test_notebook_with_unknown_layout_is_not_rewritten(monkeypatch, capsys, tmp_path):
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": "import torch.nn as nn\nact = nn.Softmax()"}], "metadata": {}, "nbformat": 4,
          "nbformat_minor": 5}
    f = tmp_path / "nb.ipynb"
    original = json.dumps(nb, indent=3)  # nobody writes notebooks like this: we cannot keep it
    f.write_text(original)
    rc, out, err = check(monkeypatch, capsys, tmp_path, "nb.ipynb", "--fix", "--unsafe-fixes")
    assert f.read_text() == original
    assert "cannot reproduce this notebook's JSON layout" in err and rc == 2
