"""Configuration: initializationOptions, didChangeConfiguration, workspace/configuration
per folder, [tool.ptlint] per file, pyproject.toml changes, multi-root."""
import asyncio
import os
import time

import pytest
from lsprotocol import types

from .conftest import lsp_session, wait_until
from .test_lsp_hover import LENET

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOFTMAX = "import torch.nn.functional as F\n\ndef f(x):\n    return F.softmax(x)\n"


def project(root, name, table=None):
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    if table is not None:
        (folder / "pyproject.toml").write_text(f"[project]\nname = '{name}'\n\n[tool.ptlint]\n{table}\n")
    (folder / "model.py").write_text(SOFTMAX)
    return folder


def bump_mtime(path):
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


async def settle(s, uri, pred, timeout=20.0):
    """Pull clients ask again; push clients wait for the next publish."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if s.pull:
            diags = await s.diagnostics(uri)
        else:
            diags = s.client.diagnostics.get(uri, [])
        if pred(diags):
            return diags
        assert loop.time() < deadline, diags
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_did_change_configuration_relints_open_documents(profile, tmp_path):
    async with lsp_session(profile) as s:
        uri = (tmp_path / "m.py").as_uri()
        s.open(uri, SOFTMAX)
        (d,) = await s.diagnostics(uri)
        assert "没有指定 dim" in d.message
        s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"ptlint": {"lang": "en", "severity": {"PT017": "hint"}}}))
        (d,) = await settle(s, uri, lambda ds: ds and ds[0].message.startswith("`F.softmax(x)` without dim"))
        assert d.severity == types.DiagnosticSeverity.Hint
        s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"ptlint": {"ignore": ["PT017"]}}))
        assert list(await settle(s, uri, lambda ds: len(ds) == 0)) == []


async def test_pull_clients_are_asked_to_pull_again_after_a_settings_change(tmp_path):
    """A pull client that supports workspace/diagnostic/refresh (VS Code) is told."""
    async with lsp_session("vscode-pull") as s:
        uri = (tmp_path / "m.py").as_uri()
        s.open(uri, SOFTMAX)
        assert [d.code for d in await s.diagnostics(uri)] == ["PT017"]
        assert s.client.diagnostic_refresh_count == 0
        s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"ptlint": {"ignore": ["PT017"]}}))
        await wait_until(lambda: s.client.diagnostic_refresh_count, what="a diagnostic refresh")
        assert s.client.diagnostic_refresh_count == 1
        assert await s.diagnostics(uri) == []
        assert uri not in s.client.published  # pull only, never pushed


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_each_root_of_a_multi_root_workspace_uses_its_own_config(profile, tmp_path):
    quiet = project(tmp_path, "quiet", 'ignore = ["PT017"]')
    loud = project(tmp_path, "loud", 'severity = { PT017 = "error" }')
    english = project(tmp_path, "english")
    async with lsp_session(profile, folders=[quiet, loud, english],
                           configuration={english.as_uri(): {"ptlint": {"lang": "en"}}}) as s:
        for folder in (quiet, loud, english):
            s.open((folder / "model.py").as_uri(), SOFTMAX)
        assert await s.diagnostics((quiet / "model.py").as_uri()) == []
        (d,) = await s.diagnostics((loud / "model.py").as_uri())
        assert d.severity == types.DiagnosticSeverity.Error and "没有指定 dim" in d.message
        (d,) = await s.diagnostics((english / "model.py").as_uri())
        assert d.severity == types.DiagnosticSeverity.Warning and "without dim" in d.message


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_settings_are_asked_per_document_with_its_uri_as_scope(profile, tmp_path):
    """Resource-scoped settings: workspace/configuration is asked with each document's
    URI, so a file gets its own scope's settings (here: one file of a folder, and a
    file outside every workspace folder), next to its folder's pyproject.toml."""
    first = project(tmp_path, "first", 'severity = { PT017 = "error" }')
    second = project(tmp_path, "second")
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "x.py").write_text(SOFTMAX)
    english_file = (second / "english.py")
    english_file.write_text(SOFTMAX)
    async with lsp_session(profile, folders=[first, second], configuration={
            "": {"ptlint": {}},
            english_file.as_uri(): {"ptlint": {"lang": "en"}},
            loose.as_uri(): {"ptlint": {"ignore": ["PT017"]}}}) as s:
        for path in (first / "model.py", second / "model.py", english_file, loose / "x.py"):
            s.open(path.as_uri(), SOFTMAX)
        (d,) = await s.diagnostics((first / "model.py").as_uri())
        assert d.severity == types.DiagnosticSeverity.Error and "没有指定 dim" in d.message
        (d,) = await s.diagnostics((second / "model.py").as_uri())
        assert d.severity == types.DiagnosticSeverity.Warning and "没有指定 dim" in d.message
        (d,) = await s.diagnostics(english_file.as_uri())
        assert "without dim" in d.message
        assert await s.diagnostics((loose / "x.py").as_uri()) == []


async def test_pyproject_change_seen_through_the_file_watcher(tmp_path):
    """VS Code: the server registers a **/pyproject.toml watcher and re-lints on change."""
    folder = project(tmp_path, "watched", 'select = ["PT"]')
    async with lsp_session("vscode", folders=[folder]) as s:
        uri = (folder / "model.py").as_uri()
        s.open(uri, SOFTMAX)
        assert [d.code for d in await s.diagnostics(uri)] == ["PT017"]
        # The first diagnostics may come from the fast start, before pygls registers it.
        await wait_until(lambda: s.client.registrations, what="the watcher registration")
        (reg,) = [r for p in s.client.registrations for r in p.registrations]
        assert reg.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        # **/*.py: a project file another open document read (server/lsp/dependents.py)
        assert [w["globPattern"] for w in reg.register_options["watchers"]] == ["**/pyproject.toml", "**/*.py"]
        project(tmp_path, "watched", 'ignore = ["PT017"]')
        s.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=(folder / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
        await s.wait_published(uri, lambda p: list(p.diagnostics) == [])


async def test_pyproject_change_without_a_watcher(tmp_path):
    """Neovim registers no watchers: the next analysis notices the changed file."""
    folder = project(tmp_path, "polled", 'select = ["PT"]')
    async with lsp_session("neovim", folders=[folder]) as s:
        assert s.client.registrations == []
        uri = (folder / "model.py").as_uri()
        s.open(uri, SOFTMAX)
        assert [d.code for d in await s.diagnostics(uri)] == ["PT017"]
        project(tmp_path, "polled", 'ignore = ["PT017"]')
        bump_mtime(folder / "pyproject.toml")
        s.change(uri, SOFTMAX + "\n")
        assert await s.diagnostics(uri) == []


async def test_broken_pyproject_is_reported_once_and_defaults_apply(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[tool.ptlint]\nselect = 'PT017'\n")
    async with lsp_session("vscode", folders=[folder]) as s:
        uri = (folder / "a.py").as_uri()
        s.open(uri, SOFTMAX)
        assert [d.code for d in await s.diagnostics(uri)] == ["PT017"]
        s.change(uri, SOFTMAX + "\n")
        await s.diagnostics(uri)
        shown = [m.message for m in s.client.messages if "pyproject.toml" in m.message]
        assert len(shown) == 1
        assert shown[0].startswith("ptlint 配置有误，已改用默认配置：") and "select" in shown[0]


async def test_bad_settings_are_reported_and_ignored(tmp_path):
    async with lsp_session("vscode", init_options={"lang": "fr", "debounceMs": "soon", "colour": "red",
                                                   "severity": {"PT017": "error"}}) as s:
        uri = (tmp_path / "m.py").as_uri()
        s.open(uri, SOFTMAX)
        (d,) = await s.diagnostics(uri)
        assert d.severity == types.DiagnosticSeverity.Error  # the valid part still applies
        assert "没有指定 dim" in d.message  # lang 'fr' ignored
        logs = "\n".join(s.logs())
        assert "'lang': 'fr'" in logs and "debounceMs" in logs and "unknown setting 'colour'" in logs


async def test_inlay_hints_setting(tmp_path):
    async with lsp_session("vscode", init_options={"inlayHints": {"shapes": False}}) as s:
        uri = (tmp_path / "net.py").as_uri()
        s.open(uri, LENET)
        await s.diagnostics(uri)
        assert await s.inlay(uri) == []
        s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"ptlint": {"inlayHints": {"shapes": True}}}))
        await wait_until(lambda: s.client.refreshes["inlay"], what="an inlay hint refresh")
        assert s.client.refreshes["inlay"] >= 1  # the client is told to ask again
        assert len(await s.inlay(uri)) == 5


async def test_debounce_waits_for_a_pause(tmp_path):
    """With a long debounce nothing is analysed while edits keep coming."""
    async with lsp_session("vscode", init_options={"debounceMs": 1500}) as s:
        uri = (tmp_path / "m.py").as_uri()
        s.open(uri, SOFTMAX)
        await s.diagnostics(uri)
        # Only pygls answers hover: the fast start is over, edits now meet the scheduler
        # (edits that arrive before it exists are analysed once it is ready, undebounced).
        await s.hover(uri, types.Position(0, 0))
        t0 = time.monotonic()
        for i in range(5):
            s.change(uri, SOFTMAX + "#" * (i + 1) + "\n")
            await asyncio.sleep(0.1)
        await s.diagnostics(uri)
        # Only the open and the last version were published: every edit restarted the timer.
        assert [p.version for p in s.client.published[uri]] == [1, 6]
        assert time.monotonic() - t0 >= 0.4 + 1.5 - 0.05
