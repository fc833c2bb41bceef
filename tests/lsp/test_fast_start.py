"""The fast start (server/lsp/bootstrap.py): ``initialize`` and the first Python file's
diagnostics answered before pygls is imported, then the stream handed to pygls.

What a client must never notice: an ``initialize`` answer other than pygls's, a second
answer, a publish for the wrong version, a lost or unanswered message."""
from __future__ import annotations

import io
import os
import sys

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import client_capabilities

from ptlint.server.lsp import bootstrap
from ptlint.server.lsp.diagnostics import ClientSupport

from .conftest import SERVER, capabilities, lsp_session
from .rawlsp import RawServer, frame

SOFTMAX = "import torch.nn.functional as F\n\ndef f(x):\n    return F.softmax(x)\n"
FIXED = "import torch.nn.functional as F\n\ndef f(x):\n    return F.softmax(x, dim=-1)\n"
DEBUG = ["--log-level", "DEBUG"]
CONVERTER = default_converter()

RECORDED = ("emacs@29.1", "neovim@0.6.1", "neovim@0.7.0", "neovim@0.8.0", "neovim@0.9.1", "neovim@0.10.0",
            "neovim@0.11.0", "visual-studio-code@1.65.2")


def caps_json(name: str) -> dict:
    """A client's capabilities as it sends them: recorded ones, this suite's profiles, or none."""
    if name == "default":
        return {}
    if name.startswith("profile:"):
        return CONVERTER.unstructure(capabilities(name.split(":", 1)[1]))
    return CONVERTER.unstructure(client_capabilities(name))


def pygls_answer(caps: dict, options=None) -> dict:
    """What the server answers with the fast start off (pygls all the way)."""
    server = RawServer(SERVER_NORMAL)
    try:
        server.request(0, "initialize", {"processId": None, "rootUri": None, "capabilities": caps,
                                         "initializationOptions": options})
        return server.response(0)
    finally:
        server.close()


SERVER_NORMAL = [sys.executable, "-c",
                 "import os, sys; os.environ['PTLINT_FAST_START'] = '0'; "
                 "from ptlint.server.__main__ import _main; sys.exit(_main([]))"]


@pytest.mark.parametrize("name", ("default",) + RECORDED + ("profile:vscode", "profile:vscode-pull"))
def test_initialize_answer_is_pygls_answer_or_left_to_pygls(name):
    caps = caps_json(name)
    ours = bootstrap.initialize_result({"processId": None, "rootUri": None, "capabilities": caps})
    real = pygls_answer(caps)["result"]
    if ours is not None:
        assert ours == real
    # Push clients get the fast answer; clients that pull diagnostics wait for pygls.
    pulls = caps.get("textDocument", {}).get("diagnostic") is not None
    assert (ours is None) == pulls


def test_pull_requested_in_initialization_options_is_left_to_pygls():
    params = {"capabilities": caps_json("visual-studio-code@1.65.2"),
              "initializationOptions": {"diagnosticMode": "pull"}}
    assert bootstrap.initialize_result(params) is None
    assert bootstrap.initialize_result({"capabilities": "nonsense"}) is None
    assert bootstrap.initialize_result({"capabilities": {"general": {"positionEncodings": "utf-8"}}}) is None


@pytest.mark.parametrize("name", RECORDED + ("profile:vscode",))
def test_diagnostic_support_reads_the_same_from_json_and_from_lsprotocol(name):
    caps = caps_json(name)
    from_json = ClientSupport(caps)
    from_types = ClientSupport(CONVERTER.structure(caps, types.ClientCapabilities))
    assert vars(from_json) == vars(from_types)


def test_fast_start_answers_vscode_as_pygls_does():
    caps = caps_json("profile:vscode")
    server = RawServer(SERVER + DEBUG)
    try:
        server.request(0, "initialize", {"processId": None, "rootUri": None, "capabilities": caps})
        answer = server.response(0)
        assert server.shutdown() == 0
    finally:
        server.close()
    assert answer["result"] == pygls_answer(caps)["result"]
    assert "fast start: answered initialize" in server.stderr
    assert "initialize answer differs" not in server.stderr
    assert len([m for m in server.messages if m.get("id") == 0]) == 1


def publishes(server: RawServer, uri: str) -> list[dict]:
    return [m["params"] for m in server.messages
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]


def codes(params: dict) -> list[str]:
    return [d.get("code") for d in params["diagnostics"]]


PUSH_CAPS = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}


def test_first_diagnostics_then_the_hand_over(tmp_path):
    uri = (tmp_path / "model.py").as_uri()
    server = RawServer(SERVER + DEBUG)
    try:
        assert "result" in server.initialize(PUSH_CAPS)
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": SOFTMAX}})
        first = server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")["params"]
        assert (first["uri"], first["version"], codes(first)) == (uri, 1, ["PT017"])
        # Right after: a change and a hover, answered by pygls after the hand-over.
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": FIXED}]})
        server.request(5, "textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": {"line": 3, "character": 14}})
        server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                        and m["params"]["version"] == 2)
        assert "result" in server.response(5)
        assert server.shutdown() == 0
    finally:
        server.close()
    assert "fast start: published" in server.stderr
    got = publishes(server, uri)
    assert [(p["version"], codes(p)) for p in got] == [(1, ["PT017"]), (2, [])]  # v1 once, not repeated
    assert len([m for m in server.messages if m.get("id") == 0]) == 1


def test_every_message_of_a_burst_during_the_hand_over_is_answered(tmp_path):
    """didOpen, edits and requests sent at once, before pygls can have been imported."""
    uri = (tmp_path / "burst.py").as_uri()
    server = RawServer(SERVER)
    try:
        burst = [frame({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                        "params": {"processId": None, "rootUri": None, "capabilities": PUSH_CAPS}}),
                 frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
                 frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
                     "uri": uri, "languageId": "python", "version": 1, "text": SOFTMAX}}})]
        for version in range(2, 8):
            burst.append(frame({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": SOFTMAX if version % 2 else FIXED}]}}))
            burst.append(frame({"jsonrpc": "2.0", "id": 100 + version, "method": "textDocument/hover", "params": {
                "textDocument": {"uri": uri}, "position": {"line": 3, "character": 14}}}))
        server.write(b"".join(burst))
        for version in range(2, 8):
            server.response(100 + version)
        server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                        and m["params"]["version"] == 7)
        assert server.shutdown() == 0
    finally:
        server.close()
    got = publishes(server, uri)
    versions = [p["version"] for p in got]
    assert versions == sorted(versions) and versions[-1] == 7
    for p in got:  # each version's own diagnostics: PT017 exactly in the odd versions' text
        assert codes(p) == (["PT017"] if p["version"] % 2 else [])
    assert len([m for m in server.messages if m.get("id") == 0]) == 1


@pytest.mark.asyncio(loop_scope="module")
async def test_settings_from_workspace_configuration_reach_the_first_diagnostics(tmp_path):
    """VS Code answers workspace/configuration: the first diagnostics already use it."""
    log = tmp_path / "server.log"
    folder = tmp_path / "proj"
    folder.mkdir()
    async with lsp_session("vscode", folders=[folder], configuration={"": {"ptlint": {"lang": "en"}}},
                           server=SERVER + ["--log-level", "DEBUG", "--log-file", str(log)]) as s:
        uri = (folder / "model.py").as_uri()
        s.open(uri, SOFTMAX)
        (d,) = await s.diagnostics(uri)
        assert d.code == "PT017" and "without dim" in d.message
        s.change(uri, FIXED)
        assert await s.diagnostics(uri) == []
    text = log.read_text()
    assert "fast start: published" in text


@pytest.mark.asyncio(loop_scope="module")
async def test_settings_that_differ_per_folder_wait_for_the_server(tmp_path):
    log = tmp_path / "server.log"
    folder = tmp_path / "proj"
    folder.mkdir()
    async with lsp_session("vscode", folders=[folder],
                           configuration={"": {"ptlint": {"lang": "zh"}}, folder.as_uri(): {"ptlint": {"lang": "en"}}},
                           server=SERVER + ["--log-level", "DEBUG", "--log-file", str(log)]) as s:
        uri = (folder / "model.py").as_uri()
        s.open(uri, SOFTMAX)
        (d,) = await s.diagnostics(uri)
        assert "without dim" in d.message  # the folder's setting, as the server resolves it
    text = log.read_text()
    assert "fast start: answered initialize" in text and "fast start: published" not in text


def test_pull_clients_take_the_normal_path(tmp_path):
    uri = (tmp_path / "pulled.py").as_uri()
    caps = caps_json("neovim@0.11.0")
    server = RawServer(SERVER + DEBUG)
    try:
        assert "result" in server.initialize(caps)
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": SOFTMAX}})
        server.request(3, "textDocument/diagnostic", {"textDocument": {"uri": uri}})
        report = server.response(3)["result"]
        assert [d["code"] for d in report["items"]] == ["PT017"]
        assert server.shutdown() == 0
    finally:
        server.close()
    assert "fast start: answered" not in server.stderr and publishes(server, uri) == []


# ---------------------------------------------------------------------- the pieces
def test_the_writer_drops_only_the_repeats():
    out = io.BytesIO()
    diags = [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "message": "m"}]
    result = {"capabilities": {}}
    writer = bootstrap.HandoverWriter(out, 0, result, {"file:///a.py": (1, diags)})
    sent = [
        {"jsonrpc": "2.0", "id": 0, "result": result},  # pygls's answer to the initialize already answered
        {"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
         "params": {"uri": "file:///a.py", "version": 1, "diagnostics": diags}},  # the client has it
        {"jsonrpc": "2.0", "id": 0, "result": result},  # a later id 0 is someone else's
        {"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
         "params": {"uri": "file:///a.py", "version": 1, "diagnostics": diags}},  # a second repeat is passed on
    ]
    for message in sent:
        writer.write(frame(message))
    assert out.getvalue() == frame(sent[2]) + frame(sent[3])


def test_a_different_publish_for_the_same_version_is_passed_on():
    out = io.BytesIO()
    writer = bootstrap.HandoverWriter(out, None, None, {"file:///a.py": (1, [])})
    other = {"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
             "params": {"uri": "file:///a.py", "version": 1, "diagnostics": [{"message": "x"}]}}
    writer.write(frame(other))
    assert out.getvalue() == frame(other)


def test_intake_frames_and_what_it_leaves_to_pygls():
    read, write = os.pipe()
    try:
        first, second = {"jsonrpc": "2.0", "method": "a"}, {"jsonrpc": "2.0", "method": "b"}
        os.write(write, frame(first) + frame(second)[:10])
        intake = bootstrap.Intake(read)
        intake.fill()
        assert [f.message for f in intake.frames()] == [first]  # the second is not complete yet
        os.write(write, frame(second)[10:] + b"Content-Length: abc\r\n\r\n{}")
        intake.fill()
        assert [f.message for f in intake.frames()] == [second]
        assert intake.broken  # a bad header: pygls's reader, which skips it, gets the bytes
    finally:
        os.close(read)
        os.close(write)


def test_replay_gives_the_kept_bytes_then_the_file():
    read, write = os.pipe()
    try:
        os.write(write, b"rest")
        os.close(write)
        write = -1
        stream = io.BufferedReader(bootstrap.ReplayReader(b"kept:", read))
        assert stream.read() == b"kept:rest"
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)


def test_encoding_is_pygls_choice():
    assert bootstrap.position_encoding({}) == "utf-16"
    assert bootstrap.position_encoding({"general": {"positionEncodings": ["utf-32", "utf-8"]}}) == "utf-32"
    assert bootstrap.position_encoding({"general": {"positionEncodings": ["latin-1"]}}) == "utf-16"
