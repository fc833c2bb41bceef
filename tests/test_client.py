"""The VS Code extension in client/: its node:test suites (unit and end-to-end against the
real server), eslint + tsc, and the .vsix that `vsce package` builds. Each runs npm inside
client/ and asserts on the JUnit report that client/scripts/run-tests.mjs writes."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "client"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # the node tests start the server with this Python, exactly as the extension would
    env["PTLINT_PYTHON"] = sys.executable
    env.pop("NODE_OPTIONS", None)
    env["NO_COLOR"] = "1"
    return env


def npm(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    npm_bin = shutil.which("npm")
    assert npm_bin, "npm is required for the client tests (CI installs node)"
    return subprocess.run([npm_bin, *args], cwd=CLIENT, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


def _show(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-4000:]}"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """client/node_modules from the committed lock file (CI has run `npm ci` already)."""
    marker = CLIENT / "node_modules" / ".package-lock.json"
    if not marker.exists():
        proc = npm("ci", "--no-audit", "--no-fund", "--loglevel=error", timeout=600)
        assert proc.returncode == 0, _show(proc)
    return CLIENT / "node_modules"


def junit(suite: str) -> dict[str, str]:
    """test name -> 'passed' | 'failed' | 'skipped', from out/test-results/<suite>.xml."""
    tree = ET.parse(CLIENT / "out" / "test-results" / f"{suite}.xml")
    out: dict[str, str] = {}
    for case in tree.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            status = "failed"
        elif case.find("skipped") is not None:
            status = "skipped"
        else:
            status = "passed"
        out[case.get("name", "")] = status
    return out


def _assert_suite(suite: str, proc: subprocess.CompletedProcess, expected: list[str]) -> dict[str, str]:
    results = junit(suite)
    failed = sorted(n for n, s in results.items() if s != "passed")
    assert proc.returncode == 0 and not failed, f"failed: {failed}\n{_show(proc)}"
    for name in expected:
        assert results.get(name) == "passed", f"{name!r} did not run and pass: {sorted(results)}"
    return results


def test_extension_unit_tests(node_modules):
    """Pure logic (settings -> initializationOptions, interpreter order, trust gating) and
    the bundled extension activated against a stand-in vscode module."""
    proc = npm("test")
    results = _assert_suite("unit", proc, [
        "package.json defaults give the documented initializationOptions",
        "the probe never runs in an untrusted workspace",
        "interpreter resolution order: setting, then Python extension, then python3",
        "a missing interpreter and a Python without ptlint are told apart",
        "ptlint not installed: the notification gives the install command and copies it",
        "missing interpreter: one notification with a button to the setting, no restart loop",
        "untrusted workspaces: limited support, probe and interpreter restricted",
    ])
    assert len(results) >= 25


def test_extension_lint_and_types(node_modules):
    lint = npm("run", "lint")
    assert lint.returncode == 0, _show(lint)
    types = npm("run", "typecheck")
    assert types.returncode == 0, _show(types)


def test_vsix_package(node_modules):
    """`vsce package` builds ptlint-<version>.vsix: the bundle, manifest and texts only."""
    version = json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))["version"]
    vsix = CLIENT / f"ptlint-{version}.vsix"
    vsix.unlink(missing_ok=True)
    proc = npm("run", "package")
    assert proc.returncode == 0, _show(proc)
    assert vsix.is_file(), _show(proc)
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("extension/package.json"))
        vsixmanifest = z.read("extension.vsixmanifest").decode("utf-8")
        bundle = z.read("extension/dist/extension.js")
    entry = "extension/" + manifest["main"].removeprefix("./")
    assert entry in names
    assert 'Path="extension/package.json"' in vsixmanifest
    assert "extension/package.nls.zh-cn.json" in names and "extension/package.nls.json" in names
    # bundled: no node_modules, no sources or tests, and the client library is inside the bundle
    assert not [n for n in names if "node_modules" in n]
    assert not [n for n in names if n.endswith(".ts") or "/src/" in n or "/out/" in n]
    assert b"vscode-languageclient" in bundle or b"LanguageClient" in bundle
    assert vsix.stat().st_size < 1_000_000, vsix.stat().st_size
    assert manifest["engines"]["vscode"].startswith("^1.")


def test_extension_end_to_end(node_modules):
    """node:test drives `<python> -m ptlint.server` over stdio with the extension's own
    command line and initializationOptions: push and pull diagnostics, Chinese hovers, a
    quick fix applied and re-checked clean, shape inlay hints, doc search."""
    proc = npm("run", "test:e2e", timeout=400)
    _assert_suite("e2e", proc, [
        "pull: diagnostics for a buggy file, in Chinese, with code and source",
        "pull clients get no pushed diagnostics as well (no duplicates)",
        "push: diagnostics are published for an opened file",
        "hover on a diagnostic shows the rule docs in Chinese",
        "hover on torch.from_numpy explains shared memory in Chinese",
        "quick fix applied, then the file re-checks clean",
        "a settings change reaches the running server (lang = en)",
        "inlay hints show output shapes of layer calls",
        "doc search through the server command ptlint.searchDocs",
        "the probe code lens appears in a trusted workspace only, whatever pyproject.toml says",
        "trusted workspace: the code lens runs the probe with real torch on cpu",
    ])
