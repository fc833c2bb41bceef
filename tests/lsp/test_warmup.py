"""The converter warm-up of the fast start (server/lsp/warmup.py)."""
from __future__ import annotations

from lsprotocol import types
from pygls.protocol import default_converter

from ptlint.server.lsp import bootstrap, warmup

CAPS = {"textDocument": {"hover": {"contentFormat": ["markdown"]}, "synchronization": {"didSave": True},
                         "publishDiagnostics": {"relatedInformation": True, "versionSupport": True}},
        "workspace": {"configuration": True}, "general": {"positionEncodings": ["utf-16"]}}


def test_every_sample_converts_with_the_installed_lsprotocol():
    """A sample that no longer converts would be skipped silently and its message would
    pay for its code at the first keystroke again: all must go through."""
    params = {"processId": None, "rootUri": None, "capabilities": CAPS}
    result = bootstrap.initialize_result(params)
    assert result is not None
    converted = warmup.warm(default_converter(), params, result)
    assert converted == len(warmup.SAMPLES) + 1


def test_the_warm_converter_still_converts_real_messages_the_same():
    warm, cold = default_converter(), default_converter()
    warmup.warm(warm)
    message = {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": "file:///b.py", "version": 7},
        "contentChanges": [{"range": {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 3}},
                            "text": "x"}]}}
    a = warm.structure(message, types.DidChangeTextDocumentNotification)
    b = cold.structure(message, types.DidChangeTextDocumentNotification)
    assert a == b and a.params.text_document.version == 7


def test_it_stops_as_soon_as_it_is_told_to():
    assert warmup.warm(default_converter(), keep_going=lambda: False) == 0
