"""Code actions: quick fixes, "disable on this line", fix-all — applied and re-linted."""
import pytest
from lsprotocol import types

from ptlint.server.lsp.actions import FIX_ALL_KIND

from .conftest import PLUGIN_SERVER, lsp_session

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOFTMAX = "import torch.nn.functional as F\n\ndef f(x):\n    return F.softmax(x)\n"


def by_title(actions, title):
    found = [a for a in actions if a.title == title]
    assert found, [a.title for a in actions]
    return found[0]


async def test_quick_fix_applied_then_relinted_clean(session, workdir):
    uri = (workdir / f"fix_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    (d,) = await session.diagnostics(uri)
    actions = await session.actions(uri, d.range, [d])
    fix = by_title(actions, "PT017：补上 dim=-1（不安全：可能改变结果）")
    assert fix.kind == types.CodeActionKind.QuickFix
    assert not fix.is_preferred  # unsafe fixes are offered, never preferred
    assert [x.code for x in fix.diagnostics] == ["PT017"]
    session.apply(fix.edit)
    assert session.texts[uri] == SOFTMAX.replace("F.softmax(x)", "F.softmax(x, dim=-1)")
    assert await session.diagnostics(uri) == []


async def test_disable_on_this_line_adds_noqa(session, workdir):
    uri = (workdir / f"noqa_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    (d,) = await session.diagnostics(uri)
    cursor = types.Range(d.range.start, d.range.start)  # VS Code asks at the cursor
    action = by_title(await session.actions(uri, cursor), "在本行禁用 PT017")
    session.apply(action.edit)
    assert session.texts[uri].splitlines()[3] == "    return F.softmax(x)  # noqa: PT017"
    assert await session.diagnostics(uri) == []


async def test_disable_extends_an_existing_noqa(session, workdir):
    uri = (workdir / f"noqa2_{session.profile}.py").as_uri()
    text = "import torch.nn as nn\nimport torch.nn.functional as F\ny = F.softmax(nn.Dropout(50)(x))  # noqa: PT027\n"
    session.open(uri, text)
    (d,) = await session.diagnostics(uri)
    assert d.code == "PT017"
    action = by_title(await session.actions(uri, d.range, [d]), "在本行禁用 PT017")
    session.apply(action.edit)
    assert session.texts[uri].splitlines()[2].endswith("# noqa: PT027, PT017")
    assert await session.diagnostics(uri) == []


async def test_actions_for_a_range_without_findings_are_empty(session, workdir):
    uri = (workdir / f"none_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    await session.diagnostics(uri)
    rng = types.Range(types.Position(0, 0), types.Position(0, 5))
    assert await session.actions(uri, rng, only=[types.CodeActionKind.QuickFix]) == []


async def test_safe_fix_from_a_real_rule_is_preferred_and_in_fix_all(session, workdir):
    uri = (workdir / f"pt001_{session.profile}.py").as_uri()
    text = "import torch\nx = torch.randn(3, 4)\ny = x.t()\nz = y.view(-1)\n"
    session.open(uri, text)
    (d,) = await session.diagnostics(uri)
    fix = by_title(await session.actions(uri, d.range, [d]), "PT001：在 .view() 前插入 .contiguous()")
    assert fix.is_preferred
    (action,) = await session.actions(uri, d.range, only=[FIX_ALL_KIND])
    session.apply(action.edit)
    assert session.texts[uri] == text.replace("y.view(-1)", "y.contiguous().view(-1)")
    assert await session.diagnostics(uri) == []


async def test_alternative_fix_is_offered_but_not_preferred(session, workdir):
    uri = (workdir / f"pt001_alt_{session.profile}.py").as_uri()
    text = "import torch\nx = torch.randn(3, 4)\ny = x.t()\nz = y.view(-1)\n"
    session.open(uri, text)
    (d,) = await session.diagnostics(uri)
    alt = by_title(await session.actions(uri, d.range, [d]), "PT001：把 .view 改成 .reshape")
    assert not alt.is_preferred and alt.kind == types.CodeActionKind.QuickFix
    session.apply(alt.edit)
    assert session.texts[uri] == text.replace("y.view(-1)", "y.reshape(-1)")
    assert await session.diagnostics(uri) == []


async def test_unsafe_fixes_are_not_in_fix_all(session, workdir):
    uri = (workdir / f"fixall_unsafe_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    await session.diagnostics(uri)
    whole = types.Range(types.Position(0, 0), types.Position(4, 0))
    assert await session.actions(uri, whole, only=[FIX_ALL_KIND]) == []


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_fix_all_on_save_applies_safe_fixes_only(profile, tmp_path):
    async with lsp_session(profile, server=PLUGIN_SERVER, init_options={"lang": "en"}) as s:
        uri = (tmp_path / "fixall.py").as_uri()
        text = ("import torch.nn.functional as F\n\na = old_api(1)\n"
                "b = F.softmax(a)\n\n\nc = old_api(old_api(2))\n")
        s.open(uri, text)
        diags = await s.diagnostics(uri)
        assert sorted(d.code for d in diags) == ["PT017", "PT992", "PT992", "PT992"]
        # What VS Code sends for "editor.codeActionsOnSave": {"source.fixAll": ...}
        actions = await s.actions(uri, types.Range(types.Position(0, 0), types.Position(0, 0)),
                                  only=["source.fixAll"])
        (action,) = actions
        assert action.kind == FIX_ALL_KIND
        assert action.title == "ptlint: apply all safe fixes"
        s.apply(action.edit)
        assert s.texts[uri] == ("import torch.nn.functional as F\n\na = new_api(1)\n"
                                "b = F.softmax(a)\n\n\nc = new_api(new_api(2))\n")
        assert [d.code for d in await s.diagnostics(uri)] == ["PT017"]  # the unsafe one stays


async def test_fix_all_command_sends_an_edit(tmp_path):
    async with lsp_session("vscode", server=PLUGIN_SERVER) as s:
        uri = (tmp_path / "cmd.py").as_uri()
        s.open(uri, "import torch\nx = old_api(1)\n")
        await s.diagnostics(uri)
        result = await s.command("ptlint.fixAll", uri)
        assert result == {"applied": True, "fixes": 1}
        (params,) = s.client.applied_edits
        s.apply(params.edit)
        assert s.texts[uri] == "import torch\nx = new_api(1)\n"
        assert await s.diagnostics(uri) == []
        assert await s.command("ptlint.fixAll", uri) == {"applied": False, "fixes": 0}
