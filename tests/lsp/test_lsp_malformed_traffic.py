"""What a buggy client (or a broken pipe) sends must never wedge the server, kill it
or pop up errors at the user: invalid positions get an error response, changes to
documents that were never opened are logged, broken frame headers are skipped, and an
analysis that runs past its time budget says so in the editor."""
import pytest

from .conftest import lsp_session
from .rawlsp import RawServer

URI = "file:///tmp/ptlint_raw/model.py"
TEXT = "import torch.nn.functional as F\ny = F.softmax(x)\n"


@pytest.fixture
def raw():
    server = RawServer()
    yield server
    server.close()


def open_doc(raw, uri=URI, text=TEXT):
    raw.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                         "text": text}})


def test_requests_with_negative_positions_get_an_error_response_not_silence(raw):
    raw.initialize()
    open_doc(raw)
    td = {"uri": URI}
    bad = {"line": -1, "character": -5}
    raw.request(1, "textDocument/hover", {"textDocument": td, "position": bad})
    raw.request(2, "textDocument/inlayHint", {"textDocument": td, "range": {"start": bad, "end": {"line": 3,
                                                                                                  "character": 0}}})
    raw.request(3, "textDocument/codeAction", {"textDocument": td, "range": {"start": bad, "end": bad},
                                               "context": {"diagnostics": []}})
    raw.request(4, "textDocument/hover", {"textDocument": td, "position": {"line": 1, "character": -1}})
    for msg_id in (1, 2, 3, 4):
        reply = raw.response(msg_id)
        assert reply.get("error", {}).get("code") == -32602 or "result" in reply, reply
        if "error" in reply:
            assert "Position" in reply["error"]["message"]
    # A valid request afterwards is answered normally.
    raw.request(5, "textDocument/hover", {"textDocument": td, "position": {"line": 1, "character": 7}})
    assert "result" in raw.response(5)
    assert raw.shutdown() == 0
    assert raw.popups() == []


def test_changes_to_unknown_documents_and_cells_are_logged_without_a_popup(raw):
    raw.initialize({"notebookDocument": {"synchronization": {}}})
    raw.notify("textDocument/didChange", {"textDocument": {"uri": "file:///tmp/ptlint_raw/never.py", "version": 2},
                                          "contentChanges": [{"text": "x = 1\n"}]})
    nb = "file:///tmp/ptlint_raw/nb.ipynb"
    cell = "vscode-notebook-cell:/tmp/ptlint_raw/nb.ipynb#c1"
    raw.notify("notebookDocument/didOpen", {
        "notebookDocument": {"uri": nb, "notebookType": "jupyter-notebook", "version": 1,
                             "cells": [{"kind": 2, "document": cell}]},
        "cellTextDocuments": [{"uri": cell, "languageId": "python", "version": 1, "text": TEXT}]})
    raw.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": nb, "version": 2},
        "change": {"cells": {"textContent": [{
            "document": {"uri": "vscode-notebook-cell:/tmp/ptlint_raw/nb.ipynb#nope", "version": 2},
            "changes": [{"text": "y = 2\n"}]}]}}})
    raw.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": "file:///tmp/ptlint_raw/other.ipynb", "version": 2},
        "change": {"cells": {"textContent": []}}})
    # The notebook itself still works: its cell gets PT017.
    published = raw.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == cell and m["params"]["diagnostics"])
    assert [d["code"] for d in published["params"]["diagnostics"]] == ["PT017"]
    assert raw.shutdown() == 0
    assert raw.popups() == []
    assert raw.logs("never.py") and raw.logs("#nope") and raw.logs("other.ipynb")


@pytest.mark.parametrize("header", [b"Content-Length: abc", b"Content-Length: -10",
                                    b"Content-Length: 99999999999999999999", b"Content-Length:"])
def test_broken_frame_headers_are_skipped_and_the_server_keeps_answering(raw, header):
    raw.initialize()
    raw.write(header + b"\r\n\r\n" + b'{"jsonrpc": "2.0", "id": 77, "method": "shutdown"}')
    raw.write(b"garbage that is no header at all\r\n")
    raw.request(1, "textDocument/hover", {"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}})
    assert "result" in raw.response(1)  # the frame after the broken one is read
    assert raw.shutdown() == 0
    assert raw.popups() == []
    assert raw.logs("invalid Content-Length")


def test_input_ending_inside_a_frame_ends_the_server_cleanly(raw):
    raw.initialize()
    raw.write(b"Content-Length: 500\r\n\r\n{\"jsonrpc\": ")
    raw.proc.stdin.close()
    assert raw.proc.wait(60) == 0
    assert "input ended inside a frame" in raw.stderr


async def test_analysis_over_the_time_budget_is_reported_at_line_one(tmp_path):
    """A file under the size limit whose analysis runs past the budget (a 37k-line file
    with the default 60 s; here any file with a budget of a millisecond) is not silently
    "clean": one information diagnostic at line 1 says what was not checked and why."""
    async with lsp_session("vscode", init_options={"analysisTimeout": 0.001}) as s:
        uri = (tmp_path / "slow.py").as_uri()
        s.open(uri, TEXT * 50)
        (d,) = await s.diagnostics(uri)
        assert d.range.start.line == 0 and d.range.start.character == 0
        assert "超过了 0.001 秒的时间上限" in d.message and "analysisTimeout" in d.message
        assert s.logs("took longer than 0.001 s and was stopped")
        assert s.client.messages == []  # no popup
