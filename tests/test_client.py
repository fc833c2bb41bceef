"""The VS Code extension in client/: its node:test suites (unit and end-to-end against the
real server, the bundled one included), eslint + tsc. Each runs npm inside client/ and
asserts on the JUnit report that client/scripts/run-tests.mjs writes. The .vsix itself is
built and tried in tests/test_vsix_bundled.py."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
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
        "not installed with fromEnvironment: the first button switches to the bundled server",
        "bundled server and a Python outside its range: one clear message naming both versions",
        "the status item shows for Python and notebook editors only",
        "with ptlint installed the real LanguageClient starts the server and reports running",
        "multi-root: linting settings are per folder, the interpreter per machine, the server per window",
        "import strategy: bundled when the build has a bundle, else the interpreter",
    ])
    assert len(results) >= 25


def test_extension_lint_and_types(node_modules):
    lint = npm("run", "lint")
    assert lint.returncode == 0, _show(lint)
    types = npm("run", "typecheck")
    assert types.returncode == 0, _show(types)


@pytest.fixture(scope="module")
def bundled_libs(node_modules) -> Path:
    """client/bundled/libs, as `npm run package` builds it (a no-op when the sources are unchanged)."""
    proc = npm("run", "bundle-python", timeout=900)
    assert proc.returncode == 0, _show(proc)
    return CLIENT / "bundled" / "libs"


def test_extension_end_to_end(node_modules, bundled_libs):
    """node:test drives `<python> -m ptlint.server` over stdio with the extension's own
    command line and initializationOptions: push and pull diagnostics, Chinese hovers, a
    quick fix applied and re-checked clean, shape inlay hints, doc search, a notebook, and
    the bundled server run by a bare venv."""
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
        "notebook: the second cell gets PT001 (the tensor from the first cell is transposed)",
        "bundled: the bare interpreter really has nothing installed",
        "bundled: diagnostics are published for an opened file",
        "bundled without torch: the probe says torch is missing when run, not at start-up",
    ])
