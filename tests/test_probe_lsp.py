"""The probe in the language server: the ``▶ 运行形状探针`` code lens (only while
``probe.enable`` is on) and the ``ptlint.runProbe`` command, whose verdicts show in the
diagnostic message and the hover. A real server, a pytest-lsp client, real torch."""
import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

pytest.importorskip("torch")  # CI installs the CPU wheel; the probe needs it

from lsp.conftest import lsp_session  # the language server's own end-to-end harness

FIX = Path(__file__).parent / "fixtures"
LENET28 = (FIX / "probe_lenet.py").read_text(encoding="utf-8").replace("input=(N, 3, 32, 32)", "input=(N, 3, 28, 28)")
PROBE_ON = {"probe": {"enable": True, "device": "cpu"}}


async def code_lenses(session, uri):
    return await asyncio.wait_for(session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))), 30)


async def wait_for_message(session, uri, needle, timeout=30.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        diags = await session.diagnostics(uri) if session.pull else \
            list(session.client.published[uri][-1].diagnostics) if session.client.published.get(uri) else []
        hits = [d for d in diags if needle in d.message]
        if hits:
            return hits
        await asyncio.sleep(0.1)
    raise AssertionError(f"no diagnostic with {needle!r}")


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_code_lens_runs_the_probe_and_verdicts_reach_diagnostics_and_hover(tmp_path, profile):
    async with lsp_session(profile, init_options=PROBE_ON) as s:
        uri = (tmp_path / "net.py").as_uri()
        s.open(uri, LENET28)
        diags = await s.diagnostics(uri)
        assert [d.code for d in diags] == ["PT005"]

        (lens,) = await code_lenses(s, uri)
        assert lens.command.title == "▶ 运行形状探针" and lens.command.command == "ptlint.runProbe"
        assert lens.range.start.line == LENET28.splitlines().index(
            next(l for l in LENET28.splitlines() if l.startswith("class Net")))
        result = await s.command(lens.command.command, *lens.command.arguments)
        assert result["device"] == "cpu" and result["models"][0]["status"] == "confirmed"
        (rec,) = result["findings"]
        assert rec["code"] == "PT005" and rec["verdict"] == "confirmed"
        assert "mat1 and mat2 shapes cannot be multiplied (2x256 and 400x120)" in rec["detail"]
        assert "已证实" in result["table"]

        (d,) = await wait_for_message(s, uri, "探针")
        assert "已由 PyTorch 证实" in d.message and "mat1 and mat2" in d.message and "cpu" in d.message
        hover = await s.hover(uri, d.range.start)
        assert "已由 PyTorch 证实" in str(hover.contents)

        # Once the text changes, the old verdict no longer applies.
        s.change(uri, LENET28 + "\n# edited\n")
        diags = await s.diagnostics(uri)
        assert [x.code for x in diags] == ["PT005"] and "探针" not in diags[0].message


async def test_no_lens_unless_probe_is_enabled(tmp_path):
    async with lsp_session("vscode", init_options={"probe": {"enable": False}}) as s:
        uri = (tmp_path / "net.py").as_uri()
        s.open(uri, LENET28)
        await s.diagnostics(uri)
        assert not await code_lenses(s, uri)


async def test_run_probe_english_and_unverifiable(tmp_path):
    text = LENET28.replace("nn.Linear(16 * 5 * 5, 120)", "nn.Linear(int('400'), 120)")
    async with lsp_session("vscode", init_options={**PROBE_ON, "lang": "en"}) as s:
        uri = (tmp_path / "net.py").as_uri()
        s.open(uri, text)
        await s.diagnostics(uri)
        (lens,) = await code_lenses(s, uri)
        assert lens.command.title == "▶ Run shape probe"
        result = await s.command("ptlint.runProbe", {"uri": uri})
        assert result["models"][0]["status"] == "unverifiable"
        assert "int('400')" in result["models"][0]["summary"]
        assert (await s.command("ptlint.runProbe", {"uri": (tmp_path / "closed.py").as_uri()}))["error"]
