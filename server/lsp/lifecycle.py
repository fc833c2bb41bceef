"""Lifecycle and settings traffic: initialize (push or pull diagnostics, the worker),
initialized (pyproject.toml watcher, first workspace/configuration), shutdown/exit,
configuration changes, watched files, workspace folders."""
from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from . import diagnostics as diag_mod
from .scheduler import Scheduler

if TYPE_CHECKING:
    from .server import PtlintServer

log = logging.getLogger("ptlint.lsp")

PYPROJECT_WATCH_ID = "ptlint-watch-pyproject"


def register(server: "PtlintServer") -> None:
    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server._init_raw = params.initialization_options
        server.recompute_settings()
        caps = params.capabilities
        server.diagnostic_support = diag_mod.ClientSupport(caps)
        wants_pull = bool(caps and caps.text_document and caps.text_document.diagnostic is not None)
        mode = server.global_settings.diagnostic_mode
        server.mode = "pull" if (mode == "pull" or (mode == "auto" and wants_pull)) else "push"
        if server.mode == "pull":
            from .pull import register_pull

            register_pull(server)
        server.scheduler = Scheduler(server, server.global_settings.worker)
        server.scheduler.start()
        ws = caps.workspace if caps else None
        server.ready = not (ws and ws.configuration)
        if not server.ready:  # a client that never sends `initialized` still gets analyses
            asyncio.get_running_loop().call_later(10.0, server.make_ready)

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        caps = server.client_capabilities
        ws = caps.workspace if caps else None
        if ws and ws.did_change_watched_files and ws.did_change_watched_files.dynamic_registration:
            try:
                await server.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(
                        id=PYPROJECT_WATCH_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[types.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
                                      types.FileSystemWatcher(glob_pattern="**/*.py")]))]))
            except Exception as exc:
                log.info("client did not accept the pyproject.toml watcher: %s", exc)
        try:
            await asyncio.wait_for(pull_configuration(server, relint=True), 5.0)
        except asyncio.TimeoutError:
            log.warning("the client did not answer workspace/configuration; using initializationOptions")
        finally:
            server.make_ready()

    @server.feature(types.SHUTDOWN)
    def shutdown(params: Any = None) -> None:
        server.shutdown_worker()

    @server.feature(types.EXIT)
    def on_exit(params: Any = None) -> None:
        server.shutdown_worker()
        if server.tcp:
            # pygls ends a TCP session with sys.exit() inside the connection's task, which
            # asyncio reports as an unhandled exception; the client asked us to go, so go.
            logging.shutdown()
            os._exit(0 if getattr(server.protocol, "_shutdown", False) else 1)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and settings:
            server._pushed_raw = settings
        await pull_configuration(server, relint=False)
        server.recompute_settings()
        server.generation += 1
        server.relint_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        if any(c.uri.endswith("pyproject.toml") for c in params.changes):
            server.invalidate_config()
        from .documents import uri_to_path

        server.dependents.files_changed([uri_to_path(c.uri) for c in params.changes if c.uri.endswith(".py")])

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:
        for f in params.event.removed:
            server._pulled_folders.pop(f.uri, None)
        await pull_configuration(server, relint=True)


async def pull_configuration(server: "PtlintServer", relint: bool) -> None:
    """Ask the client for the ``ptlint`` section, globally and for each workspace
    folder (multi-root workspaces may differ per folder)."""
    caps = server.client_capabilities
    if not (caps and caps.workspace and caps.workspace.configuration):
        return
    folders = list(server.workspace.folders.values())
    docs = list(server.docs)
    items = [types.ConfigurationItem(section="ptlint")]
    items += [types.ConfigurationItem(scope_uri=f.uri, section="ptlint") for f in folders]
    items += [types.ConfigurationItem(scope_uri=uri, section="ptlint") for uri in docs]
    try:
        result = await server.workspace_configuration_async(types.ConfigurationParams(items=items))
    except Exception as exc:
        log.info("workspace/configuration failed: %s", exc)
        return
    if not isinstance(result, (list, tuple)) or len(result) != len(items):
        return
    before = (server.global_settings, dict(server.folder_settings), dict(server.doc_settings))
    server._pulled_global = result[0]
    server._pulled_folders = {f.uri: r for f, r in zip(folders, result[1:]) if r is not None and r != result[0]}
    server._pulled_docs = {}
    for uri, r in zip(docs, result[1 + len(folders):]):
        if r is not None and r != _scope_raw(server, uri):
            server._pulled_docs[uri] = r
    server.recompute_settings()
    if relint and before != (server.global_settings, server.folder_settings, server.doc_settings):
        server.generation += 1
        server.relint_all()


def _scope_raw(server: "PtlintServer", uri: str) -> Any:
    """What the client answered for the folder holding ``uri`` (or globally)."""
    from .documents import uri_to_path

    path, best, best_len = uri_to_path(uri), server._pulled_global, -1
    for folder_uri, raw in server._pulled_folders.items():
        root = uri_to_path(folder_uri).rstrip("/")
        if (path == root or path.startswith(root + "/")) and len(root) > best_len:
            best, best_len = raw, len(root)
    return best


def wants_document_configuration(server: "PtlintServer") -> bool:
    caps = server.client_capabilities
    return bool(caps and caps.workspace and caps.workspace.configuration)


async def pull_document_configuration(server: "PtlintServer", uri: str) -> None:
    """The ``ptlint`` section with the document as scopeUri, asked when it opens; its
    first analysis waits for the answer (at most a few seconds) so that it is never
    published with the wrong folder's settings."""
    try:
        result = await asyncio.wait_for(server.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(scope_uri=uri, section="ptlint")])), 5.0)
    except Exception as exc:
        log.info("workspace/configuration for %s failed: %s", uri, exc)
        return
    if uri not in server.docs or not isinstance(result, (list, tuple)) or len(result) != 1:
        return
    raw = result[0]
    if raw is not None and raw != _scope_raw(server, uri):
        server._pulled_docs[uri] = raw
    else:
        server._pulled_docs.pop(uri, None)
    server.recompute_settings()
