"""End-to-end harness for the language server: a real ``python -m ptlint.server``
subprocess driven by a pytest-lsp client with a real editor's capabilities.

Profiles (from pytest-lsp's recorded client capabilities):

- ``vscode``: VS Code 1.65 — push diagnostics, UTF-16 columns, dynamic registration;
  plus the notebook sync and inlay hint capabilities later VS Code versions add.
- ``neovim``: Neovim 0.11 — pull diagnostics (``textDocument/diagnostic``), offers
  UTF-8 columns first, no dynamic registration, no notebooks.
- ``vscode-pull``: the VS Code profile with pull diagnostics (vscode-languageclient 8+).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Optional

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SERVER = [sys.executable, "-m", "ptlint.server"]
PLUGIN_SERVER = [sys.executable, str(HERE / "plugin_server.py")]
TIMEOUT = 30.0

PROFILES = ("vscode", "neovim")


def capabilities(profile: str) -> types.ClientCapabilities:
    if profile.startswith("vscode"):
        caps = client_capabilities("visual-studio-code")
        caps.notebook_document = types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities(
                dynamic_registration=True, execution_summary_support=True))
        caps.text_document.inlay_hint = types.InlayHintClientCapabilities(dynamic_registration=True)
        caps.workspace.inlay_hint = types.InlayHintWorkspaceClientCapabilities(refresh_support=True)
        if profile == "vscode-pull":
            caps.text_document.diagnostic = types.DiagnosticClientCapabilities(
                dynamic_registration=True, related_document_support=False)
            caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
        return caps
    if profile == "neovim":
        return client_capabilities("neovim@0.11")
    raise ValueError(profile)


def make_client() -> LanguageClient:
    """pytest-lsp's client, recording every publish (with its version), registrations
    and applied edits."""
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features.pop(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    register_lsp_features(client, features)
    client.published = defaultdict(list)
    client.registrations = []
    client.applied_edits = []
    client.refreshes = defaultdict(int)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published[params.uri].append(params)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        client.registrations.append(params)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def on_inlay_refresh(params: Any = None) -> None:
        client.refreshes["inlay"] += 1

    return client


# ---------------------------------------------------------------------- text helpers
def utf_units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def lines_of(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def to_offset(text: str, pos: types.Position, encoding: str) -> int:
    """Offset into ``text`` of an LSP position (counting client units)."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if pos.line >= len(starts):
        return len(text)
    line = lines_of(text)[pos.line]
    units, i = 0, 0
    while i < len(line) and units < pos.character:
        units += utf_units(line[i], encoding)
        i += 1
    return starts[pos.line] + i


def apply_text_edits(text: str, edits, encoding: str) -> str:
    spans = sorted(((to_offset(text, e.range.start, encoding), to_offset(text, e.range.end, encoding), e.new_text)
                    for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_of(edit: types.WorkspaceEdit) -> dict[str, list[types.TextEdit]]:
    out: dict[str, list] = defaultdict(list)
    for uri, edits in (edit.changes or {}).items():
        out[uri].extend(edits)
    for change in edit.document_changes or []:
        out[change.text_document.uri].extend(change.edits)
    return dict(out)


# ---------------------------------------------------------------------- the session
class Session:
    def __init__(self, client: LanguageClient, profile: str, result: types.InitializeResult) -> None:
        self.client = client
        self.profile = profile
        self.result = result
        self.encoding = str(result.capabilities.position_encoding or "utf-16")
        self.pull = result.capabilities.diagnostic_provider is not None
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}

    # documents
    def open(self, uri: str, text: str, language_id: str = "python", version: int = 1) -> None:
        self.texts[uri] = text
        self.versions[uri] = version
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)))

    def change(self, uri: str, text: str) -> int:
        """Replace the whole text (one incremental edit over the whole document)."""
        old = self.texts[uri]
        lines = lines_of(old)
        end = types.Position(len(lines) - 1, utf_units(lines[-1], self.encoding))
        return self.edit(uri, types.Range(types.Position(0, 0), end), text)

    def edit(self, uri: str, rng: types.Range, new_text: str) -> int:
        self.texts[uri] = apply_text_edits(self.texts[uri], [types.TextEdit(rng, new_text)], self.encoding)
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new_text)]))
        return self.versions[uri]

    def apply(self, edit: types.WorkspaceEdit) -> None:
        """Apply a workspace edit the way an editor does: edit, then didChange."""
        for uri, edits in edits_of(edit).items():
            new = apply_text_edits(self.texts[uri], edits, self.encoding)
            self.change(uri, new)

    def save(self, uri: str) -> None:
        self.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    # positions
    def pos(self, uri: str, line: int, needle: str, offset: int = 0) -> types.Position:
        """Position (client units) of ``needle`` on 0-based ``line``, plus ``offset`` chars."""
        text = lines_of(self.texts[uri])[line]
        col = text.index(needle) + offset
        return types.Position(line, utf_units(text[:col], self.encoding))

    # features
    async def diagnostics(self, uri: str, timeout: float = TIMEOUT) -> list[types.Diagnostic]:
        """The diagnostics for the document's current version, however the client gets them."""
        if self.pull:
            # A busy server may answer with the last analysis it has; the report's
            # result id names its version: ask again until it is the current one.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            version = self.versions.get(uri)
            while True:
                report = await asyncio.wait_for(self.client.text_document_diagnostic_async(
                    types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))),
                    max(deadline - loop.time(), 1.0))
                assert report.kind == "full", report
                rid = report.result_id
                if version is None or rid is None or rid.split(".")[0] == str(version):
                    return list(report.items)
                assert loop.time() < deadline, f"no diagnostics of version {version} for {uri}; last {rid}"
                await asyncio.sleep(0.05)
        version = self.versions.get(uri)
        return await self.wait_published(uri, lambda p: p.version == version, timeout)

    async def wait_published(self, uri: str, pred, timeout: float = TIMEOUT) -> list[types.Diagnostic]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for params in reversed(self.client.published.get(uri, [])):
                if pred(params):
                    return list(params.diagnostics)
            await asyncio.sleep(0.02)
        raise AssertionError(f"no diagnostics published for {uri} matching the condition; got "
                             f"{[(p.version, len(p.diagnostics)) for p in self.client.published.get(uri, [])]}")

    async def hover(self, uri: str, pos: types.Position) -> Optional[types.Hover]:
        return await asyncio.wait_for(self.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=pos)), TIMEOUT)

    async def actions(self, uri: str, rng: types.Range, diagnostics=(), only=None) -> list[types.CodeAction]:
        result = await asyncio.wait_for(self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=only))), TIMEOUT)
        return list(result or [])

    async def inlay(self, uri: str) -> list[types.InlayHint]:
        n = len(lines_of(self.texts[uri]))
        result = await asyncio.wait_for(self.client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, 0), types.Position(n, 0)))), TIMEOUT)
        return list(result or [])

    async def command(self, name: str, *args) -> Any:
        return await asyncio.wait_for(self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(args))), TIMEOUT)

    def logs(self, needle: str = "") -> list[str]:
        return [m.message for m in self.client.log_messages if needle in m.message]


async def wait_until(pred, timeout: float = TIMEOUT, what: str = "the condition") -> None:
    """Wait for an event the test can only observe by polling (a log line, a refresh
    request): generous deadline, short poll interval."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not pred():
        assert loop.time() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def lsp_session(profile: str, *, init_options: Optional[dict] = None, folders: Optional[list[Path]] = None,
                      server: Optional[list[str]] = None, env: Optional[dict[str, str]] = None,
                      configuration: Optional[dict[str, Any]] = None, caps: Optional[types.ClientCapabilities] = None):
    """Start a server, initialize it as ``profile`` would, yield a Session, shut it down."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH")]))
    full_env.update(env or {})
    config = ClientServerConfig(server_command=server or SERVER, client_factory=make_client, server_env=full_env)
    client = await config.start()
    if configuration:
        for scope, value in configuration.items():
            client.set_configuration(value, scope_uri=scope or None)
    folders = folders or []
    params = types.InitializeParams(
        capabilities=caps or capabilities(profile),
        initialization_options=init_options,
        root_uri=folders[0].as_uri() if folders else None,
        workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders] or None,
    )
    try:
        result = await asyncio.wait_for(client.initialize_session(params), TIMEOUT)
        try:
            yield Session(client, profile, result)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.shutdown_session(), 10)
    finally:
        proc = client._server
        if proc is not None and proc.returncode is None:
            proc.kill()  # a server that did not exit on its own is a failure already reported
        await client.stop()


@pytest_asyncio.fixture(params=PROFILES, loop_scope="module", scope="module")
async def session(request):
    """One server per profile, shared by a module's tests (each test uses its own URIs)."""
    async with lsp_session(request.param) as s:
        yield s


def file_uri(tmp: Path, name: str) -> str:
    return (tmp / name).as_uri()


def write_notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps({"cells": [{"cell_type": k, "metadata": {}, "source": s, **(
        {"outputs": [], "execution_count": None} if k == "code" else {})} for k, s in cells],
        "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lsp")
