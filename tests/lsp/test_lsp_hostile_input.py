"""Hostile input through the language server (issue 11): 3,000 nested brackets used to
kill the analysis worker (exit -11) and leave the file without any diagnostic."""
import json
import re

import pytest
from lsprotocol import types

from .conftest import lsp_session

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEEP = "import torch\nx = " + "[" * 3000 + "]" * 3000 + "\n"


async def test_deeply_nested_file_gets_pt000_at_cpythons_place(session, workdir):
    with pytest.raises(SyntaxError) as info:
        compile(DEEP, "deep.py", "exec")
    uri = (workdir / f"deep_{session.profile}.py").as_uri()
    session.open(uri, DEEP)
    diags = await session.diagnostics(uri)
    assert [d.code for d in diags] == ["PT000"]
    assert diags[0].severity == types.DiagnosticSeverity.Error
    assert info.value.msg in diags[0].message
    assert (diags[0].range.start.line, diags[0].range.start.character) == (info.value.lineno - 1, info.value.offset - 1)


async def test_a_file_the_engine_leaves_unchecked_says_so_at_line_one(session, workdir):
    # Python accepts a 1,500-term sum, but it is beyond what ptlint analyses: an empty
    # Problems list would read as "no problems", so the editor is told what was skipped.
    src = "import torch\nx = " + "+".join(["a"] * 1500) + "\n"
    compile(src, "long.py", "exec")
    uri = (workdir / f"long_{session.profile}.py").as_uri()
    session.open(uri, src)
    diags = await session.diagnostics(uri)
    assert len(diags) == 1
    assert diags[0].severity == types.DiagnosticSeverity.Information
    assert (diags[0].range.start.line, diags[0].range.start.character) == (0, 0)
    # in the default language, naming the line (the file is the diagnostic's own)
    assert diags[0].message.startswith("ptlint: 第 2 行：代码嵌套约 ") and diags[0].message.endswith("没有检查（Python 本身能运行它）")


async def test_the_notice_speaks_english_with_the_lang_setting(workdir):
    src = "import torch\nx = " + "+".join(["a"] * 1500) + "\n"
    async with lsp_session("vscode", init_options={"lang": "en"}) as s:
        uri = (workdir / "long_en.py").as_uri()
        s.open(uri, src)
        (d,) = await s.diagnostics(uri)
        assert d.severity == types.DiagnosticSeverity.Information
        assert (d.range.start.line, d.range.start.character) == (0, 0)
        assert re.fullmatch(r"ptlint: line 2: nested about 1[45]\d\d levels deep \(ptlint analyses up to 1000\); "
                            r"not checked", d.message), d.message


async def test_an_ipynb_opened_as_text_names_its_skipped_cells(session, workdir):
    nb = json.dumps({"cells": [{"cell_type": "code", "source": "import torch", "metadata": {}, "outputs": []}, 7,
                               {"cell_type": "code", "source": "y = torch.randn(2, 3).t().view(-1)", "metadata": {},
                                "outputs": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    uri = (workdir / f"broken_{session.profile}.ipynb").as_uri()
    session.open(uri, nb, language_id="json")
    diags = await session.diagnostics(uri)
    notes = [d.message for d in diags if d.source == "ptlint" and d.code is None]
    assert notes == ["ptlint: 第 2 个单元格：notebook 已损坏：这个单元格不是 JSON 对象，已跳过，其余单元格照常检查"]
