"""Teach the server's message converter the LSP messages of a typing session before the
client sends them.

cattrs writes the (un)structuring code of each lsprotocol class the first time a message
of that class passes: 40-60 ms for ``initialize`` (its ClientCapabilities tree), 10-15 ms
each for the first didChange, hover, publishDiagnostics and the rest. Paid on the event
loop, that is a quarter of a second spent right after the hand-over from the fast start
(server/lsp/bootstrap.py), exactly when the user types the first character. The fast
start runs this in its import thread while the worker analyses the first file, so the
code exists before the first real message.

Only the converter's caches change: nothing is sent, no handler runs. The samples are
ordinary messages of the shapes our features receive and send; any sample that fails to
convert is skipped (a newer lsprotocol may have moved a field), the real message then
pays for its own code as before."""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

log = logging.getLogger("ptlint.lsp")

_URI = "file:///warm-up.py"
_DOC = {"uri": _URI}
_RANGE = {"start": {"line": 3, "character": 4}, "end": {"line": 3, "character": 9}}
_POSITION = {"line": 3, "character": 4}
_DIAGNOSTIC = {
    "range": _RANGE, "severity": 1, "code": "PT001", "source": "ptlint", "message": "消息",
    "codeDescription": {"href": "https://example.invalid/PT001"},
    "relatedInformation": [{"location": {"uri": _URI, "range": _RANGE}, "message": "相关"}],
    "data": {"fix": 0}, "tags": [1],
}
_MARKDOWN = {"kind": "markdown", "value": "**PT001**"}
_NO_RESULT = object()

# (method, params of the request or notification, result of a request or _NO_RESULT)
SAMPLES: tuple[tuple[str, Any, Any], ...] = (
    ("initialized", {}, _NO_RESULT),
    ("textDocument/didOpen", {"textDocument": {**_DOC, "languageId": "python", "version": 1, "text": "x = 1\n"}},
     _NO_RESULT),
    ("textDocument/didChange", {"textDocument": {**_DOC, "version": 2},
                                "contentChanges": [{"range": _RANGE, "text": " "}]}, _NO_RESULT),
    ("textDocument/didChange", {"textDocument": {**_DOC, "version": 3},
                                "contentChanges": [{"text": "x = 2\n"}]}, _NO_RESULT),
    ("textDocument/didSave", {"textDocument": _DOC}, _NO_RESULT),
    ("textDocument/didClose", {"textDocument": _DOC}, _NO_RESULT),
    ("workspace/didChangeConfiguration", {"settings": {"ptlint": {"lang": "zh"}}}, _NO_RESULT),
    ("workspace/didChangeWatchedFiles", {"changes": [{"uri": _URI, "type": 2}]}, _NO_RESULT),
    ("textDocument/publishDiagnostics", {"uri": _URI, "version": 2, "diagnostics": [_DIAGNOSTIC]}, _NO_RESULT),
    ("window/logMessage", {"type": 3, "message": "ptlint"}, _NO_RESULT),
    ("window/showMessage", {"type": 2, "message": "ptlint"}, _NO_RESULT),
    ("textDocument/hover", {"textDocument": _DOC, "position": _POSITION},
     {"contents": _MARKDOWN, "range": _RANGE}),
    ("textDocument/inlayHint", {"textDocument": _DOC, "range": _RANGE},
     [{"position": _POSITION, "label": ": (4, 10)", "kind": 1, "paddingLeft": True, "tooltip": _MARKDOWN}]),
    ("textDocument/codeAction", {"textDocument": _DOC, "range": _RANGE,
                                 "context": {"diagnostics": [_DIAGNOSTIC], "only": ["quickfix"], "triggerKind": 1}},
     [{"title": "修复", "kind": "quickfix", "diagnostics": [_DIAGNOSTIC], "isPreferred": True,
       "edit": {"changes": {_URI: [{"range": _RANGE, "newText": "reshape"}]}}}]),
    ("textDocument/codeLens", {"textDocument": _DOC},
     [{"range": _RANGE, "command": {"title": "确认形状", "command": "ptlint.runProbe", "arguments": [_URI]}}]),
    ("workspace/configuration", {"items": [{"section": "ptlint"}, {"scopeUri": _URI, "section": "ptlint"}]},
     [None, {"lang": "zh"}]),
    ("client/registerCapability", {"registrations": [{
        "id": "ptlint-warm-up", "method": "workspace/didChangeWatchedFiles",
        "registerOptions": {"watchers": [{"globPattern": "**/pyproject.toml"}]}}]}, None),
    ("workspace/inlayHint/refresh", None, None),
    ("shutdown", None, None),
)


def warm(converter: Any, initialize_params: Optional[dict] = None, initialize_result: Optional[dict] = None,
         keep_going: Callable[[], bool] = lambda: True) -> int:
    """Run the samples (and the client's own ``initialize`` and our answer to it, where
    known) through ``converter`` both ways, while ``keep_going()`` says so; the number of
    samples that converted."""
    from lsprotocol.types import METHOD_TO_TYPES

    samples = list(SAMPLES)
    if initialize_params is not None:
        samples.insert(0, ("initialize", initialize_params,
                           initialize_result if initialize_result is not None else _NO_RESULT))
    done = 0
    for method, params, result in samples:
        if not keep_going():
            break
        try:
            message_type, response_type, _, _ = METHOD_TO_TYPES[method]
            message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
            if response_type is not None:
                message["id"] = 1
            if params is not None:
                message["params"] = params
            converter.unstructure(converter.structure(message, message_type))
            if result is not _NO_RESULT and response_type is not None:
                response = converter.structure({"jsonrpc": "2.0", "id": 1, "result": result}, response_type)
                converter.unstructure(response)
            done += 1
        except Exception as exc:  # only a cache stays cold: the real message pays for it
            log.debug("warm-up: %s skipped (%s: %s)", method, type(exc).__name__, exc)
    return done


__all__ = ["SAMPLES", "warm"]
