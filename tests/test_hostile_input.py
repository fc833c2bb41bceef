"""Hostile input (issue 11): deep nesting, odd coding cookies, BOMs, broken notebook
cells and failing analyses give a clear result for the file at hand and never end the
run for the others."""
import json
import re

import libcst as cst
import pytest

from ptlint.rules.config import Config
from ptlint.rules.engine import FileContext, lint_source, lint_text
from ptlint.rules.rule import REGISTRY, Message, Rule
from ptlint.rules.source import SourceError, source_from_bytes

GOOD = "import torch\nx = torch.randn(2, 3).t().view(-1)\n"  # a real PT001 on line 2


def _cpython(src) -> tuple[str, int, int]:
    """What compile() says about the source: (message, line, 1-based offset)."""
    with pytest.raises(SyntaxError) as info:
        compile(src, "m.py", "exec")
    return info.value.msg, info.value.lineno, info.value.offset


NESTED = {
    "lists-2000": "import torch\nx = " + "[" * 2000 + "]" * 2000 + "\n",
    "unclosed-10000": "import torch\nx = " + "(" * 10000 + "\n",
    "relu-3000": "import torch\nx = " + "torch.relu(" * 3000 + "1" + ")" * 3000 + "\n",
    "lists-500": "import torch\nx = " + "[" * 500 + "]" * 500 + "\n",
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_deep_brackets_are_pt000_with_cpythons_message_and_place(run_cli, tmp_path, name):
    src = NESTED[name]
    msg, line, offset = _cpython(src)
    assert msg == "too many nested parentheses"
    (tmp_path / "deep.py").write_text(src)
    (tmp_path / "ok.py").write_text(GOOD)
    proc = run_cli("deep.py", "ok.py", "--no-cache", "--format", "json")
    assert proc.returncode == 1, proc.stderr  # findings, not a crash (-11) or an internal error (2)
    got = [(f["path"], f["code"], f["range"]["start"]["line"], f["range"]["start"]["column"], f["message_en"])
           for f in json.loads(proc.stdout)]
    assert got == [("deep.py", "PT000", line, offset - 1, f"syntax error: {msg}"),
                   ("ok.py", "PT001", 2, 4, got[1][4])]


def test_indentation_beyond_cpythons_limit_is_pt000():
    src = "import torch\n" + "".join(" " * i + "if torch:\n" for i in range(100)) + " " * 100 + "pass\n"
    msg, line, _ = _cpython(src)
    res = lint_text(src)
    assert [(f.code, f.line, f.message_en) for f in res.findings] == [("PT000", line, f"syntax error: {msg}")]


@pytest.mark.parametrize("src", [
    "import torch\nf = " + "lambda: " * 3000 + "1\n",  # CPython: parser stack overflow (MemoryError)
    "import torch\nx = " + "+".join(["a"] * 10000) + "\n",  # libcst: SIGSEGV after a minute
    "import torch\nx = " + "+".join(["a"] * 60000) + "\n",
    "import torch\nx = " + "-" * 5000 + "a\n",  # libcst: 1.4 GB
    "import torch\nx = " + "not " * 5000 + "a\n",
    "import torch\nx = " + "a if b else " * 3000 + "a\n",
])
def test_expressions_python_cannot_compile_are_pt000_not_a_crash(src):
    with pytest.raises((RecursionError, MemoryError)):
        compile(src, "m.py", "exec")
    res = lint_text(src)
    assert [(f.code, f.line) for f in res.findings] == [("PT000", 2)]
    assert not res.rule_errors


def test_valid_but_deeper_than_ptlints_limit_is_a_notice(run_cli, tmp_path):
    src = "import torch\nx = " + "+".join(["a"] * 1500) + "\n"
    compile(src, "m.py", "exec")  # Python accepts it
    (tmp_path / "long.py").write_text(src)
    (tmp_path / "ok.py").write_text(GOOD)
    proc = run_cli("long.py", "ok.py", "--no-cache")
    assert proc.returncode == 2  # a file that could not be checked
    assert re.search(r"^ptlint: error: long\.py: 第 2 行：代码嵌套约 1[45]\d\d 层，超过 ptlint 能分析的 1000 层，没有检查"
                     r"（Python 本身能运行它）$", proc.stderr, re.M), proc.stderr
    assert "ok.py:2:5: PT001" in proc.stdout
    proc = run_cli("long.py", "ok.py", "--no-cache", "--lang", "en")
    assert re.search(r"^ptlint: error: long\.py: line 2: nested about 1[45]\d\d levels deep \(ptlint analyses up to "
                     r"1000\); not checked$", proc.stderr, re.M), proc.stderr


def test_deep_but_acceptable_nesting_is_analysed():
    # 150 nested calls: fine for CPython and for ptlint (the traversal does not recurse)
    src = "import torch\nx = " + "torch.relu(" * 150 + "1" + ")" * 150 + "\ny = torch.randn(2, 3).t().view(-1)\n"
    res = lint_text(src)
    assert ("PT001", 3) in [(f.code, f.line) for f in res.findings]
    assert not res.notices


def test_thousands_of_adjacent_strings_are_a_notice_not_a_false_syntax_error():
    # libcst's parser rejects 5,000 adjacent literals that CPython accepts: old main said PT000
    src = "import torch\nx = " + " ".join(["'a'"] * 5000) + "\n"
    compile(src, "m.py", "exec")
    res = lint_text(src, "s.py")
    assert res.findings == []
    assert [(n.kind, n.path, n.cell, n.line) for n in res.notices] == [("too-deep", "s.py", None, 2)]
    assert res.notices[0].text("en").startswith("s.py: line 2: nested about ")


# ---------------------------------------------------------------------- coding cookies
@pytest.mark.parametrize("codec,why", [
    ("rot13", "not a text encoding"), ("base64", "not a text encoding"), ("hex", "not a text encoding"),
    ("zlib", "not a text encoding"), ("bz2", "not a text encoding"), ("uu", "not a text encoding"),
    ("nonsense", "unknown encoding"), ("utf-16", "not ASCII-compatible"),
])
def test_codec_only_coding_cookie_is_a_one_line_error_and_the_run_goes_on(run_cli, tmp_path, codec, why):
    raw = f"# -*- coding: {codec} -*-\nimport torch\n".encode()
    with pytest.raises(SyntaxError):  # CPython: "SyntaxError: encoding problem: rot13"
        compile(raw, "c.py", "exec")
    (tmp_path / "c.py").write_bytes(raw)
    (tmp_path / "ok.py").write_text(GOOD)
    proc = run_cli("c.py", "ok.py", "--no-cache", "--lang", "en")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"ptlint: error: c.py: encoding problem: {codec} ({why}; "
                                   "Python refuses this file), not checked")
    assert "internal error" not in proc.stderr
    assert "ok.py:2:5: PT001" in proc.stdout


@pytest.mark.parametrize("raw", [
    b"\xef\xbb\xbf\xef\xbb\xbf" + GOOD.encode(),  # a double BOM
    b"\xef\xbb\xbf# coding: gbk\n" + GOOD.encode(),  # a BOM and another encoding
    b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n" + GOOD.encode(),
])
def test_bom_problems_are_pt000_like_cpython(raw):
    with pytest.raises(SyntaxError) as info:
        compile(raw, "b.py", "exec")
    res = lint_source(source_from_bytes(raw, "b.py"), Config())
    assert [(f.code, f.line, f.message_en) for f in res.findings] == [
        ("PT000", max(info.value.lineno, 1), f"syntax error: {info.value.msg}")]


def test_bom_with_utf8_cookie_is_fine():
    raw = b"\xef\xbb\xbf# coding: utf-8\n" + GOOD.encode()
    res = lint_source(source_from_bytes(raw, "b.py"), Config())
    assert [f.code for f in res.findings] == ["PT001"]


# ---------------------------------------------------------------------- notebooks
def _nb(*sources) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": s, "metadata": {}, "outputs": []} for s in sources],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_null_source_cell_is_skipped_with_a_note_and_the_rest_checked(run_cli, tmp_path):
    (tmp_path / "nb.ipynb").write_text(_nb("import torch", None, "y = torch.randn(2, 3).t().view(-1)"))
    proc = run_cli("nb.ipynb", "--no-cache", "--format", "json")
    assert proc.stderr.strip() == ("ptlint: error: nb.ipynb: 第 2 个单元格：notebook 已损坏：这个单元格的 source 不是文本，"
                                   "已跳过，其余单元格照常检查")
    assert [(f["cell"], f["code"]) for f in json.loads(proc.stdout)] == [(3, "PT001")]


def test_a_deep_cell_is_pt000_in_that_cell_only():
    res = lint_text(_nb("import torch", "x = " + "[" * 300 + "]" * 300, "y = torch.randn(2, 3).t().view(-1)"),
                    "nb.ipynb", notebook=True)
    assert [(f.cell, f.code) for f in res.findings] == [(2, "PT000"), (3, "PT001")]


# ---------------------------------------------------------------------- failing analyses
class _Boom:
    def __init__(self, ctx: FileContext) -> None:
        raise ValueError("boom")


@pytest.fixture
def test_rules():
    made = []

    def make(the_code, *, analysis=False, fail_on=None):
        REGISTRY.pop(the_code, None)

        class _Probe(Rule):
            code = the_code  # defining the class registers it; the fixture removes it again
            name = f"probe-{the_code}"
            message = Message(zh="探测", en="probe")
            mentions = ("torch",)

            def visit_Call(self, node: cst.Call) -> None:
                if analysis:
                    self.ctx.analysis(_Boom)
                if fail_on and cst.ensure_type(node.func, cst.Name).value == fail_on:
                    raise RuntimeError("rule bug")
                self.report(node)

        made.append(the_code)
        return _Probe

    yield make
    for code in made:
        REGISTRY.pop(code, None)


def test_a_failing_analysis_costs_only_the_rules_that_ask_for_it(test_rules):
    asks, other, also_asks = test_rules("PT991", analysis=True), test_rules("PT992"), test_rules("PT993", analysis=True)
    src = "import torch\nf(1)\ng(2)\n"
    res = lint_source(source_from_bytes(src.encode(), "m.py"), Config(), rules=[asks, other, also_asks])
    assert [(f.code, f.line) for f in res.findings] == [("PT992", 2), ("PT992", 3)]
    # reported once, naming the analysis, not once per rule that asked
    assert [(e.code, e.error) for e in res.rule_errors] == [("_Boom", "ValueError: boom")]
    assert str(res.rule_errors[0]) == "m.py: analysis _Boom failed: ValueError: boom"


def test_a_rule_that_raises_keeps_its_findings_from_earlier_statements(test_rules):
    rule = test_rules("PT994", fail_on="g")
    src = "import torch\nf(1)\nf(2)\ng(3)\nf(4)\n"
    res = lint_source(source_from_bytes(src.encode(), "m.py"), Config(), rules=[rule])
    assert [(f.code, f.line) for f in res.findings] == [("PT994", 2), ("PT994", 3)]
    assert [e.code for e in res.rule_errors] == ["PT994"]


def test_source_error_still_raised_for_binary():
    with pytest.raises(SourceError):
        source_from_bytes(b"import torch\x00\n", "b.py")


@pytest.mark.parametrize("links", [301, 495])
def test_a_long_transpose_chain_still_gets_its_finding_placed(links):
    # The flow analysis follows long chains; placing the finding generates the statement's
    # code, which recursed past Python's limit from about 300 links and lost the finding.
    src = "import torch\nx = torch.randn(2, 3)" + ".t()" * links + ".view(-1)\n"
    res = lint_text(src, "chain.py")
    assert [(f.code, f.line) for f in res.findings] == [("PT001", 2)]
    assert res.rule_errors == [] and res.notices == []
