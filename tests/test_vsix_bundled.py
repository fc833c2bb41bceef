"""The .vsix as a user gets it: built from a clean checkout with README's command
(`cd client && npm ci && npm run package`), unpacked, and its bundled server started by a
bare `python3 -m venv` interpreter that has nothing installed, which must publish
diagnostics. Building needs PyPI for the platform wheels (pip's cache makes reruns fast)."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
# `npm run package` builds for the machine it runs on (vsce target, CPython's .so suffix)
MACHINE = {"x86_64": ("linux-x64", "x86_64-linux-gnu"), "aarch64": ("linux-arm64", "aarch64-linux-gnu")}
TARGET, SO_ARCH = MACHINE.get(platform.machine(), MACHINE["x86_64"])


def clean_checkout(dest: Path) -> Path:
    """The files git would commit (tracked and new, never ignored: no node_modules, no bundle)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file() and not rel.startswith(("bench/", "tests/", "examples/")):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def _run(cmd: list[str], cwd: Path, timeout: int, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def vsix(tmp_path_factory) -> Path:
    npm = shutil.which("npm")
    assert npm, "npm is required to build the .vsix (CI installs node)"
    src = clean_checkout(tmp_path_factory.mktemp("checkout"))
    client = src / "client"
    assert not (client / "node_modules").exists() and not (client / "bundled").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "PYTHONPATH")}
    env["PTLINT_PYTHON"] = sys.executable  # a Python with pip, as README's set-up leaves one
    env.pop("PTLINT_VSIX_TARGET", None)
    _run([npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], client, 900, env)
    _run([npm, "run", "package"], client, 900, env)
    version = json.loads((client / "package.json").read_text(encoding="utf-8"))["version"]
    built = client / f"ptlint-{TARGET}-{version}.vsix"
    assert built.is_file(), sorted(p.name for p in client.iterdir())
    return built


def test_vsix_carries_ptlint_and_its_dependencies(vsix):
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("extension/package.json"))
        bundle = json.loads(z.read("extension/bundled/libs/ptlint-bundle.json"))
        vsixmanifest = z.read("extension.vsixmanifest").decode("utf-8")
    libs = "extension/bundled/libs/"
    for pkg in ("ptlint", "ptlint/rules", "ptlint/server/lsp", "ptlint/runtime_probe", "libcst", "pygls",
                "lsprotocol", "jieba", "yaml", "cattrs", "attrs"):
        assert f"{libs}{pkg}/__init__.py" in names, pkg
    assert f"{libs}jieba/dict.txt" in names
    # native code for every supported CPython of the platform
    for v in PYTHONS:
        tag = v.replace(".", "")
        assert f"{libs}libcst/native.cpython-{tag}-{SO_ARCH}.so" in names, v
        assert f"{libs}yaml/_yaml.cpython-{tag}-{SO_ARCH}.so" in names, v
    assert bundle["pythons"] == list(PYTHONS) and bundle["target"] == TARGET
    assert f'TargetPlatform="{TARGET}"' in vsixmanifest
    assert not [n for n in names if n.startswith(libs + "torch")]  # torch stays the user's (probe only)
    # the extension itself: the esbuild bundle, no node_modules, sources, tests or build stamps
    assert "extension/" + manifest["main"].removeprefix("./") in names
    assert not [n for n in names if "node_modules" in n or n.endswith(".ts") or "/src/" in n or "/out/" in n]
    assert not [n for n in names if n.endswith((".stamp", ".pyc"))]
    assert manifest["contributes"]["configuration"]["properties"]["ptlint.importStrategy"]["default"] == "useBundled"
    size = vsix.stat().st_size
    print(f"vsix: {size / 1e6:.1f} MB, {len(names)} files")
    assert size < 40_000_000, size


class LspPipe:
    """Just enough of an LSP client over stdio: send messages, collect what comes back."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.messages: list[dict] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                k, _, v = line.decode().partition(":")
                headers[k.lower()] = v.strip()
            body = json.loads(out.read(int(headers["content-length"])))
            if "id" in body and "method" in body:  # a request from the server: answer like VS Code
                result = [None] * len(body.get("params", {}).get("items", [])) \
                    if body["method"] == "workspace/configuration" else None
                self.send({"jsonrpc": "2.0", "id": body["id"], "result": result})
            with self.cond:
                self.messages.append(body)
                self.cond.notify_all()

    def send(self, msg: dict) -> None:
        data = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def wait(self, pred, timeout: float = 120) -> dict:
        with self.cond:
            ok = self.cond.wait_for(lambda: any(pred(m) for m in self.messages), timeout)
            assert ok, f"no matching message; got {json.dumps(self.messages)[-3000:]}"
            return next(m for m in self.messages if pred(m))


def test_bundled_server_runs_with_a_bare_venv(vsix, tmp_path):
    ext_root = tmp_path / "unpacked"
    with zipfile.ZipFile(vsix) as z:
        z.extractall(ext_root)
    extension = ext_root / "extension"
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    nothing = subprocess.run([str(python), "-c", "import importlib.util as u; print([m for m in "
                              "('ptlint', 'libcst', 'pygls', 'jieba', 'torch') if u.find_spec(m)])"],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
    assert nothing.stdout.strip() == "[]", nothing.stdout + nothing.stderr
    # what the extension runs with importStrategy useBundled (client/src/core/interpreter.ts)
    env.update(PYTHONPATH=str(extension / "bundled" / "libs"), PYTHONSAFEPATH="1", PYTHONIOENCODING="utf-8")
    work = tmp_path / "ws"
    work.mkdir()
    model = work / "model.py"
    text = "import torch\nx = torch.randn(4, 6).t()\ny = x.view(24)\n"
    model.write_text(text)
    proc = subprocess.Popen([str(python), "-m", "ptlint.server"], cwd=extension, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lsp = LspPipe(proc)
        lsp.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": os.getpid(), "rootUri": work.as_uri(), "capabilities": {},
            "initializationOptions": {"lang": "en"}}})
        init = lsp.wait(lambda m: m.get("id") == 1)
        assert "capabilities" in init.get("result", {}), init
        lsp.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        lsp.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": model.as_uri(), "languageId": "python", "version": 1, "text": text}}})
        pushed = lsp.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == model.as_uri() and m["params"]["diagnostics"])
        diags = pushed["params"]["diagnostics"]
        assert [d["code"] for d in diags] == ["PT001"], diags
        assert diags[0]["range"]["start"]["line"] == 2 and "view" in diags[0]["message"]
        lsp.send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        lsp.wait(lambda m: m.get("id") == 2)
        lsp.send({"jsonrpc": "2.0", "method": "exit"})
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read().decode(errors="replace")
    assert "Traceback" not in stderr, stderr
