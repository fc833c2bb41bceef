"""Notices (rules/notices.py): what the engine left unchecked is a typed value with its
place (path, cell, line) and its reason in both languages; every front end prints it in
the user's language: Chinese by default, English with ``--lang en`` / ``lang`` /
the LSP ``lang`` setting. CLI (stderr, SARIF, pool and cache), typed API, LSP."""
import json
import pickle
import re
import subprocess
import sys

import libcst as cst
import pytest

from ptlint.rules import notices as N
from ptlint.rules.api import analyse
from ptlint.rules.config import Config
from ptlint.rules.limits import MAX_EXPRESSION_DEPTH, MAX_TOKENS
from ptlint.rules.notices import Notice
from ptlint.server.lsp.diagnostics import INFORMATION, ClientSupport, snapshot_json
from ptlint.server.lsp.documents import IPYNB, NOTEBOOK, PYTHON
from ptlint.server.lsp.worker import Snapshot

GOOD = "import torch\ny = torch.randn(2, 3).t().view(-1)\n"  # PT001 at 2:5
BIG = "import torch\nx = [" + ",".join("1" for _ in range(MAX_TOKENS // 2 + 100)) + "]\n"
DEEP = "import torch\nx = " + "+".join(["a"] * 1500) + "\n"  # valid Python, beyond ptlint's depth
# libcst accepts everything CPython 3.11 does that we could find: its refusal and its
# parser's recursion are forced by a wrapper that patches the engine's parse (marker below).
LIBCST_ONLY = "import torch\nx = 1  # LIBCST_ONLY\n"
RECURSION = "import torch\nx = 1  # RECURSION\n"

_PATCH = (
    "import libcst as cst\n"
    "import ptlint.rules.engine as engine\n"
    "_orig = engine._parse_unit\n"
    "def _parse(unit, shared):\n"
    "    if '# LIBCST_ONLY' in unit.text:\n"
    "        raise cst.ParserSyntaxError('refused', lines=[unit.text], raw_line=1, raw_column=0)\n"
    "    if '# RECURSION' in unit.text:\n"
    "        raise RecursionError('deep')\n"
    "    return _orig(unit, shared)\n"
    "engine._parse_unit = _parse\n"
)
WRAPPER = _PATCH + "import sys\nfrom ptlint.server.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def nb(*cells) -> str:
    return json.dumps({"cells": [c if not isinstance(c, str) and c is not None else
                                 {"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


BROKEN_NB = nb("import torch", 7, None, "y = torch.randn(2, 3).t().view(-1)")  # cell 2 not an object, 3 no text

ZH = {
    "big": re.escape("big.py: 文件太大，没有检查（约 ") + r"[\d,]+" + re.escape(f" 个词法单元，上限 {MAX_TOKENS:,}）"),
    "deep": r"deep\.py: 第 2 行：代码嵌套约 1[45]\d\d 层，超过 ptlint 能分析的 1000 层，没有检查（Python 本身能运行它）",
    "libcst": re.escape("odd.py: 这是合法的 Python 代码，但 ptlint 使用的解析器 libcst 还不支持这种写法，没有检查"),
    "recursion": re.escape("rec.py: 代码嵌套太深，解析器处理不了，没有检查"),
    "cell2": re.escape("nb.ipynb: 第 2 个单元格：notebook 已损坏：这个单元格不是 JSON 对象，已跳过，其余单元格照常检查"),
    "cell3": re.escape("nb.ipynb: 第 3 个单元格：notebook 已损坏：这个单元格的 source 不是文本，已跳过，其余单元格照常检查"),
}
EN = {
    "big": re.escape("big.py: too large to analyse (about ") + r"[\d,]+" + re.escape(f" tokens > {MAX_TOKENS:,}); not checked"),
    "deep": r"deep\.py: line 2: nested about 1[45]\d\d levels deep \(ptlint analyses up to 1000\); not checked",
    "libcst": re.escape("odd.py: valid Python that libcst cannot parse; not checked"),
    "recursion": re.escape("rec.py: nested too deeply for the parser; not checked"),
    "cell2": re.escape("nb.ipynb: cell 2: broken notebook: the cell is not an object; cell skipped"),
    "cell3": re.escape("nb.ipynb: cell 3: broken notebook: the cell has no text source; cell skipped"),
}


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "big.py").write_text(BIG)
    (tmp_path / "deep.py").write_text(DEEP)
    (tmp_path / "odd.py").write_text(LIBCST_ONLY)
    (tmp_path / "rec.py").write_text(RECURSION)
    (tmp_path / "nb.ipynb").write_text(BROKEN_NB)
    (tmp_path / "ok.py").write_text(GOOD)
    return tmp_path


def cli(cwd, *args):
    return subprocess.run([sys.executable, "-c", WRAPPER, "check", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def error_lines(proc) -> list[str]:
    return [ln[len("ptlint: error: "):] for ln in proc.stderr.splitlines() if ln.startswith("ptlint: error: ")]


FILES = ["big.py", "deep.py", "odd.py", "rec.py", "nb.ipynb", "ok.py"]


def assert_lines(lines, expected):
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)


# ---------------------------------------------------------------------- CLI
@pytest.mark.parametrize("lang_args,texts", [((), ZH), (("--lang", "zh"), ZH), (("--lang", "en"), EN)])
@pytest.mark.parametrize("jobs", ["1", "2"])  # in this process, and through the pool's plain data
def test_cli_prints_every_notice_in_the_chosen_language(tree, lang_args, texts, jobs):
    proc = cli(tree, *FILES, "--no-cache", "--jobs", jobs, *lang_args)
    assert proc.returncode == 2  # parts that could not be checked
    assert_lines(error_lines(proc), [texts[k] for k in ("big", "deep", "libcst", "recursion", "cell2", "cell3")])
    # the rest is checked: the notebook's last cell and the good file
    assert "nb.ipynb:cell 4:1:5: PT001" in proc.stdout and "ok.py:2:5: PT001" in proc.stdout


def test_lang_from_the_config_file(tree):
    (tree / "pyproject.toml").write_text('[tool.ptlint]\nlang = "en"\n')
    proc = cli(tree, "deep.py", "nb.ipynb", "--no-cache")
    assert_lines(error_lines(proc), [EN["deep"], EN["cell2"], EN["cell3"]])
    proc = cli(tree, "deep.py", "--no-cache", "--lang", "zh")  # the flag wins
    assert_lines(error_lines(proc), [ZH["deep"]])


def test_a_cached_notice_is_printed_in_the_language_of_the_run(tree):
    cache = str(tree / "cache")
    first = cli(tree, "deep.py", "nb.ipynb", "--cache-dir", cache)
    again = cli(tree, "deep.py", "nb.ipynb", "--cache-dir", cache)
    assert error_lines(again) == error_lines(first)
    assert_lines(error_lines(again), [ZH["deep"], ZH["cell2"], ZH["cell3"]])
    en = cli(tree, "deep.py", "nb.ipynb", "--cache-dir", cache, "--lang", "en")
    assert_lines(error_lines(en), [EN["deep"], EN["cell2"], EN["cell3"]])


def test_json_output_stays_a_list_of_findings(tree):
    proc = cli(tree, "deep.py", "nb.ipynb", "ok.py", "--no-cache", "--format", "json")
    assert [(f["path"], f["code"]) for f in json.loads(proc.stdout)] == [("nb.ipynb", "PT001"), ("ok.py", "PT001")]
    assert_lines(error_lines(proc), [ZH["deep"], ZH["cell2"], ZH["cell3"]])


@pytest.mark.parametrize("lang_args,zh", [((), True), (("--lang", "en"), False)])
def test_sarif_lists_notices_as_tool_notifications(tree, lang_args, zh):
    proc = cli(tree, "deep.py", "nb.ipynb", "--no-cache", "--format", "sarif", *lang_args)
    run = json.loads(proc.stdout)["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    got = [(n["descriptor"]["id"], n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            n["locations"][0]["physicalLocation"].get("region"), n.get("properties")) for n in notes]
    assert got == [("too-deep", "deep.py", {"startLine": 2}, None),
                   ("cell-not-object", "nb.ipynb", None, {"cell": 2}),
                   ("cell-no-source", "nb.ipynb", None, {"cell": 3})]
    texts = [n["message"]["text"] for n in notes]
    if zh:
        assert texts[0].startswith("第 2 行：代码嵌套约 ") and texts[1].startswith("第 2 个单元格：notebook 已损坏")
    else:
        assert texts[0].startswith("line 2: nested about ") and texts[1].startswith("cell 2: broken notebook")
    assert all(n["level"] == "warning" for n in notes)


def test_sarif_without_notices_has_no_invocations(tree):
    proc = cli(tree, "ok.py", "--no-cache", "--format", "sarif")
    assert "invocations" not in json.loads(proc.stdout)["runs"][0]


def test_stdin_notice_follows_the_language(tree):
    for args, texts in (((), ZH), (("--lang", "en"), EN)):
        proc = subprocess.run([sys.executable, "-c", WRAPPER, "check", "-", "--stdin-filename", "deep.py", *args],
                              cwd=tree, input=DEEP, capture_output=True, text=True, timeout=120)
        assert_lines(error_lines(proc), [texts["deep"]])


# ---------------------------------------------------------------------- typed API
@pytest.fixture
def patched(monkeypatch):
    from ptlint.rules import engine

    orig = engine._parse_unit

    def parse(unit, shared):
        if "# LIBCST_ONLY" in unit.text:
            raise cst.ParserSyntaxError("refused", lines=[unit.text], raw_line=1, raw_column=0)
        if "# RECURSION" in unit.text:
            raise RecursionError("deep")
        return orig(unit, shared)

    monkeypatch.setattr(engine, "_parse_unit", parse)


CASES = [  # text, path, notebook, key, (kind, cell, line)
    (BIG, "big.py", False, "big", (N.TOO_LARGE, None, None)),
    (DEEP, "deep.py", False, "deep", (N.TOO_DEEP, None, 2)),
    (LIBCST_ONLY, "odd.py", False, "libcst", (N.LIBCST_ONLY, None, None)),
    (RECURSION, "rec.py", False, "recursion", (N.PARSER_RECURSION, None, None)),
]


@pytest.mark.parametrize("text,path,notebook,key,typed", CASES)
def test_api_notice_is_typed_and_speaks_both_languages(patched, text, path, notebook, key, typed):
    report = analyse(text, Config(), path=path, notebook=notebook)
    assert [(n.kind, n.cell, n.line) for n in report.notices] == [typed]
    assert all(n.path == path for n in report.notices)
    assert_lines(report.notice_lines(), [ZH[key]])  # Chinese by default
    assert_lines(report.notice_lines("zh"), [ZH[key]])
    assert_lines(report.notice_lines("en"), [EN[key]])
    assert str(report.notices[0]) == report.notice_lines()[0]
    # the LSP worker pickles it, the CLI's pool and cache send it as JSON: nothing is lost
    assert pickle.loads(pickle.dumps(report.notices[0])) == report.notices[0]
    assert Notice.from_dict(json.loads(json.dumps(report.notices[0].to_dict()))) == report.notices[0]


def test_api_notebook_notices_name_their_cells(patched):
    report = analyse(BROKEN_NB, Config(), path="nb.ipynb", notebook=True)
    assert [(n.kind, n.cell) for n in report.notices] == [(N.CELL_NOT_OBJECT, 2), (N.CELL_NO_SOURCE, 3)]
    assert_lines(report.notice_lines(), [ZH["cell2"], ZH["cell3"]])
    assert_lines(report.notice_lines("en"), [EN["cell2"], EN["cell3"]])
    assert [(f.code, f.cell) for f in report.findings] == [("PT001", 4)]


@pytest.mark.parametrize("cell,key,kind", [
    ("x = " + "+".join(["a"] * 1500), None, N.TOO_DEEP),
    ("x = 1  # LIBCST_ONLY", "这是合法的 Python 代码", N.LIBCST_ONLY),
    ("x = 1  # RECURSION", "代码嵌套太深", N.PARSER_RECURSION),
])
def test_api_a_cell_beyond_a_limit_is_named(patched, cell, key, kind):
    report = analyse(nb("import torch", cell, "y = torch.randn(2, 3).t().view(-1)"), Config(), path="n.ipynb",
                     notebook=True)
    (n,) = report.notices
    assert (n.kind, n.path, n.cell) == (kind, "n.ipynb", 2)
    zh, en = n.text("zh"), n.text("en")
    if kind == N.TOO_DEEP:
        assert n.line == 1
        assert zh.startswith("n.ipynb: 第 2 个单元格第 1 行：代码嵌套约 ") and en.startswith("n.ipynb: cell 2, line 1: nested")
    else:
        assert zh.startswith(f"n.ipynb: 第 2 个单元格：{key}") and en.startswith("n.ipynb: cell 2: ")
    assert [(f.code, f.cell) for f in report.findings] == [("PT001", 3)]


def test_the_messages_say_the_numbers():
    n = N.too_large("a.py", 250_000, MAX_TOKENS)
    assert n.text() == f"a.py: 文件太大，没有检查（约 250,000 个词法单元，上限 {MAX_TOKENS:,}）"
    assert n.text("en") == f"a.py: too large to analyse (about 250,000 tokens > {MAX_TOKENS:,}); not checked"
    d = N.too_deep("a.py", None, 7, 1234, MAX_EXPRESSION_DEPTH)
    assert d.text(path=False) == f"第 7 行：代码嵌套约 1234 层，超过 ptlint 能分析的 {MAX_EXPRESSION_DEPTH} 层，没有检查（Python 本身能运行它）"
    assert d.text("en", path=False) == f"line 7: nested about 1234 levels deep (ptlint analyses up to {MAX_EXPRESSION_DEPTH}); not checked"


# ---------------------------------------------------------------------- LSP diagnostics
def _diags(notices, kind=PYTHON, lang="zh", cells=()):
    snap = Snapshot("file:///w/doc", 1, 0, cells=cells, lang=lang)
    snap.notices = pickle.loads(pickle.dumps(list(notices)))  # as the worker sends them
    return snapshot_json(snap, "file:///w/doc", kind, ClientSupport(), None, lambda uri: None)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lsp_each_kind_is_an_information_diagnostic_at_line_one_in_the_language(lang):
    made = [N.too_large("d.py", 300_000, MAX_TOKENS), N.too_deep("d.py", None, 2, 1500, MAX_EXPRESSION_DEPTH),
            N.libcst_only("d.py", None), N.parser_recursion("d.py", None)]
    out = _diags(made, lang=lang)
    diags = out["file:///w/doc"]
    assert [d["message"] for d in diags] == [f"ptlint: {n.text(lang, path=False)}" for n in made]
    assert all(d["severity"] == INFORMATION and d["range"]["start"] == {"line": 0, "character": 0} for d in diags)
    joined = "\n".join(d["message"] for d in diags)
    if lang == "zh":
        assert "文件太大，没有检查" in joined and "第 2 行：代码嵌套约 1500 层" in joined and "not checked" not in joined
    else:
        assert "too large to analyse" in joined and "line 2: nested about 1500" in joined and "没有" not in joined


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lsp_a_cell_notice_goes_to_its_cell(lang):
    cells = ("file:///w/doc#c1", "file:///w/doc#c2", "file:///w/doc#c3")
    out = _diags([N.libcst_only("nb.ipynb", 2), N.too_large("nb.ipynb", 300_000, MAX_TOKENS)], NOTEBOOK, lang, cells)
    (cell_note,) = out[cells[1]]
    (file_note,) = out[cells[0]]  # the whole notebook: its first cell
    assert cell_note["message"] == "ptlint: " + ("第 2 个单元格：这是合法的 Python 代码，但 ptlint 使用的解析器 libcst 还不支持"
                                                "这种写法，没有检查" if lang == "zh" else
                                                "cell 2: valid Python that libcst cannot parse; not checked")
    assert file_note["message"].startswith("ptlint: 文件太大" if lang == "zh" else "ptlint: too large")
    assert out[cells[2]] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lsp_ipynb_opened_as_text_names_the_skipped_cells(lang):
    out = _diags([N.cell_not_object("nb.ipynb", 2), N.cell_no_source("nb.ipynb", 3)], IPYNB, lang)
    got = [d["message"] for d in out["file:///w/doc"]]
    if lang == "zh":
        assert got == ["ptlint: 第 2 个单元格：notebook 已损坏：这个单元格不是 JSON 对象，已跳过，其余单元格照常检查",
                       "ptlint: 第 3 个单元格：notebook 已损坏：这个单元格的 source 不是文本，已跳过，其余单元格照常检查"]
    else:
        assert got == ["ptlint: cell 2: broken notebook: the cell is not an object; cell skipped",
                       "ptlint: cell 3: broken notebook: the cell has no text source; cell skipped"]


@pytest.mark.parametrize("lang_args,zh", [((), True), (("--lang", "en"), False)])
def test_github_format_shows_notices_as_warnings(tree, lang_args, zh):
    proc = cli(tree, "deep.py", "nb.ipynb", "--no-cache", "--format", "github", *lang_args)
    warnings = [line for line in proc.stdout.splitlines() if line.startswith("::warning ")]
    title = "ptlint：未检查" if zh else "ptlint%3A not checked"
    assert [w.split("::")[1] for w in warnings] == [
        f"warning file=deep.py,line=2,title={title}",
        f"warning file=nb.ipynb,title={title}",  # a cell's line is no line of the .ipynb file
        f"warning file=nb.ipynb,title={title}",
    ]
    texts = [w.split("::", 2)[2] for w in warnings]
    if zh:
        assert texts[0].startswith("第 2 行：代码嵌套约 ") and texts[1].startswith("第 2 个单元格：notebook 已损坏")
    else:
        assert texts[0].startswith("line 2: nested about ") and texts[1].startswith("cell 2: broken notebook")


def test_github_format_without_notices_has_findings_only(tree):
    proc = cli(tree, "ok.py", "--no-cache", "--format", "github")
    assert [line.split(" ", 1)[0] for line in proc.stdout.splitlines()] == ["::error"] and "title=PT001" in proc.stdout
