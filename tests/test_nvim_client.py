"""Neovim 0.7 (Debian's `neovim`, built-in vim.lsp, no plugins) as a real client of
`ptlint server`: tests/nvim/lsp_check.lua opens a buggy file headless, waits for
diagnostics, hovers, asks for code actions and applies the quick fix; this test asserts
on the JSON it writes."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "nvim" / "lsp_check.lua"

BUGGY = """\
import numpy as np
import torch
import torch.nn.functional as F

logits = torch.randn(4, 10)
probs = F.softmax(logits)
arr = np.ones(3)
t = torch.from_numpy(arr)
"""

CJK = re.compile(r"[\u4e00-\u9fff]")


def server_cmd() -> list[str]:
    """`ptlint server` from the interpreter running the tests (its console script when
    installed next to it, else `python -m ptlint server`)."""
    script = Path(sys.executable).parent / "ptlint"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "server"]
    return [sys.executable, "-m", "ptlint", "server"]


def run_nvim(tmp_path: Path, source: str, init: dict, fix_code: str = "PT017",
             hover_word: str = "from_numpy") -> dict:
    nvim = shutil.which("nvim")
    assert nvim, "neovim is required (scripts/test.sh installs it with apt)"
    path = tmp_path / "buggy.py"
    path.write_text(source, encoding="utf-8")
    out = tmp_path / "nvim-result.json"
    env = dict(os.environ)
    env.update({
        "PTLINT_NVIM_CMD": json.dumps(server_cmd()),
        "PTLINT_NVIM_FILE": str(path),
        "PTLINT_NVIM_OUT": str(out),
        "PTLINT_NVIM_INIT": json.dumps(init),
        "PTLINT_NVIM_FIX_CODE": fix_code,
        "PTLINT_NVIM_HOVER_WORD": hover_word,
        "PTLINT_NVIM_TIMEOUT": "30000",
        "HOME": str(tmp_path),  # no user config, shada or log in the real home
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    })
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-n", "-i", "NONE", "-u", "NONE", "-c", f"luafile {SCRIPT}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=150, stdin=subprocess.DEVNULL,
    )
    assert out.is_file(), f"nvim wrote no result (exit {proc.returncode})\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert not result["errors"], "\n".join(result["errors"]) + "\n" + "\n".join(result.get("log", []))
    assert proc.returncode == 0, proc.stderr
    return result


@pytest.fixture(scope="module")
def zh_result(tmp_path_factory) -> dict:
    return run_nvim(tmp_path_factory.mktemp("nvim-zh"), BUGGY, {})


def test_nvim_is_a_0_7_client(zh_result):
    v = zh_result["nvim"]
    assert (v["major"], v["minor"]) >= (0, 7)
    # 0.7 has no pull diagnostics: the server must push to it, and only push
    assert zh_result["pushes"] >= 1


def test_nvim_gets_diagnostics_with_pt_codes(zh_result):
    diags = zh_result["diagnostics"]
    codes = {d.get("code") for d in diags}
    assert "PT017" in codes, diags
    d = next(d for d in diags if d.get("code") == "PT017")
    assert d["source"] == "ptlint"
    assert d["range"]["start"]["line"] == 5
    assert CJK.search(d["message"]), d["message"]
    assert zh_result["vim_diagnostic_count"] >= 1  # and Neovim shows them


def test_nvim_hover_is_chinese(zh_result):
    hover = zh_result.get("hover_diagnostic")
    assert hover and "PT017" in hover, zh_result.get("hover_diagnostic_error")
    assert "它检查什么" in hover and "如何修复" in hover, hover


def test_nvim_hover_on_torch_api(zh_result):
    hover = zh_result.get("hover_word")
    assert hover and "from_numpy" in hover, zh_result.get("hover_word_error")
    assert "共享内存" in hover, hover


def test_nvim_quick_fix_offered_and_applied(zh_result):
    actions = zh_result["code_actions"]
    fixes = [a for a in actions if a["kind"] == "quickfix" and a["has_edit"]]
    assert fixes, actions
    assert any(CJK.search(a["title"]) for a in fixes), actions
    assert any("PT017" in a["title"] for a in actions), actions
    assert zh_result["applied_fix"]
    assert "F.softmax(logits, dim=" in zh_result["fixed_text"]
    assert zh_result["fix_cleared"], zh_result["after_fix"]
    assert all(d.get("code") != "PT017" for d in zh_result["after_fix"])


def test_nvim_english_init_options(tmp_path):
    result = run_nvim(tmp_path, BUGGY, {"lang": "en"}, hover_word="")
    d = next(d for d in result["diagnostics"] if d.get("code") == "PT017")
    assert not CJK.search(d["message"]), d["message"]
    assert "dim" in d["message"]
    hover = result.get("hover_diagnostic")
    assert hover and "What it finds" in hover, result.get("hover_diagnostic_error")
