"""Diagnostics end to end, as VS Code (push) and Neovim (pull) see them."""
import asyncio

import pytest
from lsprotocol import types

from .conftest import PLUGIN_SERVER, lsp_session, utf_units, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOFTMAX = "import torch.nn.functional as F\n\ndef f(x):\n    return F.softmax(x)\n"


async def test_push_or_pull_never_both(session, workdir):
    uri = (workdir / f"mode_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    diags = await session.diagnostics(uri)
    assert [d.code for d in diags] == ["PT017"]
    if session.profile == "neovim":
        # Neovim declares pull diagnostics: the server must not push as well (duplicates).
        assert session.result.capabilities.diagnostic_provider is not None
        await asyncio.sleep(0.5)
        assert uri not in session.client.published
    else:
        assert session.result.capabilities.diagnostic_provider is None
        assert session.client.published[uri][-1].version == 1


async def test_diagnostic_fields_in_chinese(session, workdir):
    uri = (workdir / f"fields_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    (d,) = await session.diagnostics(uri)
    assert d.source == "ptlint"
    assert d.code == "PT017"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert "没有指定 dim" in d.message
    assert d.range == types.Range(types.Position(3, 11), types.Position(3, 23))
    # No docs URL configured: no codeDescription link to a page that does not exist.
    assert d.code_description is None


async def test_columns_follow_the_negotiated_encoding(session, workdir):
    """The engine counts code points; the client counts UTF-16 units (VS Code) or UTF-8
    bytes (Neovim 0.11 offers utf-8 first). A Chinese comment and an emoji in front of
    the call shift its column differently in each."""
    uri = (workdir / f"cols_{session.profile}.py").as_uri()
    line = "y = '温度😀'; p = F.softmax(x)  # 注释"
    session.open(uri, f"import torch.nn.functional as F\n{line}\n")
    (d,) = await session.diagnostics(uri)
    prefix = line[: line.index("F.softmax")]
    assert d.range.start == types.Position(1, utf_units(prefix, session.encoding))
    end = line.index("(x)") + 3
    assert d.range.end == types.Position(1, utf_units(line[:end], session.encoding))
    expected = {"vscode": "utf-16", "neovim": "utf-8"}[session.profile]
    assert session.encoding == expected


async def test_syntax_error_is_one_diagnostic_and_leaves_nothing_stale(session, workdir):
    uri = (workdir / f"syntax_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    assert [d.code for d in await session.diagnostics(uri)] == ["PT017"]
    session.change(uri, SOFTMAX.replace("def f(x):", "def f(x)"))
    diags = await session.diagnostics(uri)
    assert [d.code for d in diags] == ["PT000"]
    assert diags[0].severity == types.DiagnosticSeverity.Error
    assert diags[0].range.start.line == 2
    session.change(uri, SOFTMAX.replace("F.softmax(x)", "F.softmax(x, dim=-1)"))
    assert await session.diagnostics(uri) == []


async def test_file_without_torch_gets_no_diagnostics(session, workdir):
    uri = (workdir / f"plain_{session.profile}.py").as_uri()
    session.open(uri, "def softmax(x):\n    return x\n")
    assert await session.diagnostics(uri) == []


async def test_lint_on_save_only(tmp_path):
    """lintOnChange false: edits are not analysed until the file is saved."""
    async with lsp_session("vscode", init_options={"lintOnChange": False}) as s:
        uri = (tmp_path / "save.py").as_uri()
        s.open(uri, SOFTMAX)
        assert [d.code for d in await s.diagnostics(uri)] == ["PT017"]
        # Only pygls answers hover: the fast start is over. (An edit that arrives before the
        # server has its settings is analysed with the open, as the text then current.)
        await s.hover(uri, types.Position(0, 0))
        s.change(uri, SOFTMAX.replace("F.softmax(x)", "F.softmax(x, dim=1)"))
        await asyncio.sleep(0.8)
        assert all(p.version == 1 for p in s.client.published[uri])
        s.save(uri)
        assert await s.wait_published(uri, lambda p: p.version == 2) == []


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_severity_and_language_from_initialization_options(profile, tmp_path):
    async with lsp_session(profile, init_options={"lang": "en", "severity": {"PT017": "error"}}) as s:
        uri = (tmp_path / "opts.py").as_uri()
        s.open(uri, SOFTMAX)
        (d,) = await s.diagnostics(uri)
        assert d.severity == types.DiagnosticSeverity.Error
        assert d.message.startswith("`F.softmax(x)` without dim")


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_related_information_tags_and_docs_link(profile, tmp_path):
    """What a client declares decides what it gets: VS Code takes codeDescription,
    both take related information and tags."""
    url = "https://example.org/ptlint/{lang}/{code}.html"
    async with lsp_session(profile, server=PLUGIN_SERVER, init_options={"ruleDocsUrl": url}) as s:
        uri = (tmp_path / "related.py").as_uri()
        s.open(uri, "import torch\nx = torch.ones(2)\ny = alias_of(x)\nz = 1\nuse(y)\n")
        (d,) = await s.diagnostics(uri)
        assert d.code == "PT991"
        assert d.severity == types.DiagnosticSeverity.Information
        assert d.message == "用到了别名 y"
        (rel,) = d.related_information
        assert rel.location.uri == uri
        assert rel.location.range.start == types.Position(2, 0)
        assert rel.message == "别名在这里创建"
        assert list(d.tags) == [types.DiagnosticTag.Unnecessary]  # the finding's extra wins over the rule's
        if profile == "vscode":
            assert d.code_description.href == "https://example.org/ptlint/zh/PT991.html"
        else:  # Neovim does not declare codeDescriptionSupport
            assert d.code_description is None


async def test_related_information_from_a_real_rule(session, workdir):
    """PT001 points back at the transpose that made the tensor non-contiguous."""
    uri = (workdir / f"pt001_{session.profile}.py").as_uri()
    session.open(uri, "import torch\nx = torch.randn(3, 4)\ny = x.t()\nz = y.view(-1)\n")
    (d,) = await session.diagnostics(uri)
    assert d.code == "PT001" and d.severity == types.DiagnosticSeverity.Error
    (rel,) = d.related_information
    assert rel.message == "转置发生在这里"
    assert rel.location.uri == uri
    assert rel.location.range == types.Range(types.Position(2, 4), types.Position(2, 9))


async def test_rule_that_raises_is_logged_and_only_its_findings_drop(tmp_path):
    async with lsp_session("vscode", server=PLUGIN_SERVER) as s:
        uri = (tmp_path / "boom.py").as_uri()
        s.open(uri, "import torch.nn.functional as F\nboom()\ny = F.softmax(x)\n")
        diags = await s.diagnostics(uri)
        assert [d.code for d in diags] == ["PT017"]
        await wait_until(lambda: s.logs("PT990"), what="the PT990 log line")
        (log,) = s.logs("PT990")
        assert "ValueError: boom went the rule" in log
        assert "dropped" in log
        error = [m for m in s.client.log_messages if "PT990" in m.message][0]
        assert error.type == types.MessageType.Error
        # The server is fine afterwards: a fix is analysed as usual.
        s.change(uri, "import torch.nn.functional as F\ny = F.softmax(x, dim=0)\n")
        assert await s.diagnostics(uri) == []
