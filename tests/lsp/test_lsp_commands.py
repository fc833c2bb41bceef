"""Commands, capabilities, and the two ways to start the server (stdio, --tcp)."""
import asyncio
import json
import os
import socket
import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_capabilities(session):
    caps = session.result.capabilities
    assert session.result.server_info.name == "ptlint"
    assert {"ptlint.explain", "ptlint.fixAll", "ptlint.searchDocs"} <= set(caps.execute_command_provider.commands)
    assert caps.hover_provider
    assert set(caps.code_action_provider.code_action_kinds) == {"quickfix", "source.fixAll.ptlint"}
    assert caps.inlay_hint_provider is not None
    assert caps.text_document_sync.change == 2  # incremental
    assert caps.text_document_sync.save is not None
    if session.profile == "vscode":  # declares notebook sync: gets it
        selector = caps.notebook_document_sync.notebook_selector[0]
        assert selector.notebook == "*" and selector.cells[0].language == "python"
    else:
        assert caps.notebook_document_sync is None


async def test_explain_command(session):
    result = await session.command("ptlint.explain", "pt017")
    assert result["code"] == "PT017" and result["name"] == "softmax-without-dim"
    assert result["fixable"] is True and result["severity"] == "warning"
    assert result["markdown"].startswith("# PT017 softmax-without-dim\n\n## 它检查什么")
    english = await session.command("ptlint.explain", {"code": "PT027", "lang": "en"})
    assert "## Why it is a problem" in english["markdown"]
    assert await session.command("ptlint.explain", "PT999") is None


async def test_search_docs_command(session):
    result = await session.command("ptlint.searchDocs", "softmax 维度", 5)
    assert result["query"] == "softmax 维度"
    keys = [r["key"] for r in result["results"]]
    assert 0 < len(keys) <= 5
    assert "PT017" in keys
    first = result["results"][keys.index("PT017")]
    assert first["kind"] == "rule" and first["title"]
    assert (await session.command("ptlint.searchDocs", ""))["results"] == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _frame(obj) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _read_message(reader):
    length = None
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(await reader.readexactly(length))


async def test_tcp_mode(tmp_path):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "ptlint", "server", "--tcp", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        for _ in range(1200):  # up to 60 s: start-up on a busy machine takes a while
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("server did not listen")
        writer.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                             "params": {"processId": None, "rootUri": None, "capabilities": {}}}))
        await writer.drain()
        reply = await asyncio.wait_for(_read_message(reader), 30)
        assert reply["id"] == 1
        assert reply["result"]["serverInfo"]["name"] == "ptlint"
        writer.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        uri = (tmp_path / "t.py").as_uri()
        writer.write(_frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1,
            "text": "import torch.nn as nn\nm = nn.Dropout(50)\n"}}}))
        await writer.drain()
        while True:
            msg = await asyncio.wait_for(_read_message(reader), 30)
            if msg.get("method") == "textDocument/publishDiagnostics":
                break
        assert [d["code"] for d in msg["params"]["diagnostics"]] == ["PT027"]
        writer.write(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        writer.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        await writer.drain()
        writer.close()
    finally:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert b"Traceback" not in proc.stderr.read()
    assert proc.stdout.read() == b""  # TCP mode never writes LSP to stdout
