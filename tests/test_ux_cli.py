"""What a new user trips over on the command line (issue 16): selectors that match no
rule, the summary's time, the usage message, --force-exclude and .gitignore."""
import re
import subprocess
import time
from pathlib import Path

import pytest

BUGGY = "import torch.nn as nn\n\nlayer = nn.Softmax()\ndrop = nn.Dropout(50)\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------- B. unknown codes
@pytest.mark.parametrize("flags", [("--select", "PT999"), ("--select", "E501"), ("--select", "PT017,PT3"),
                                   ("--extend-select", "PT999"), ("--select", "PT0000")])
def test_selecting_an_unknown_code_is_a_usage_error(run_cli, tmp_path, flags):
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("check", "m.py", "--no-cache", *flags)
    assert proc.returncode == 2, proc.stdout
    assert proc.stdout == ""  # no "no problems" summary that would turn CI green
    bad = flags[1].split(",")[-1]
    assert f"ptlint: error: {flags[0]}: {bad!r} is not a rule code or prefix" in proc.stderr


@pytest.mark.parametrize("prefix", ["PT", "PT0", "PT01", "PT017", "ALL"])
def test_prefixes_of_real_codes_are_valid(run_cli, tmp_path, prefix):
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("check", "m.py", "--no-cache", "--select", prefix)
    assert proc.returncode == 1 and "PT017" in proc.stdout and "error" not in proc.stderr


def test_ignoring_an_unknown_code_is_a_warning(run_cli, tmp_path):
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("check", "m.py", "--no-cache", "--ignore", "PT999")
    assert proc.returncode == 1 and "PT017" in proc.stdout
    assert "ptlint: warning: --ignore: 'PT999' is not a rule code or prefix" in proc.stderr


@pytest.mark.parametrize("key", ["select", "extend-select"])
def test_pyproject_selecting_an_unknown_code_is_an_error(run_cli, tmp_path, key):
    write(tmp_path / "pyproject.toml", f'[tool.ptlint]\n{key} = ["PT999"]\n')
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("check", "m.py", "--no-cache")
    assert proc.returncode == 2
    assert f"pyproject.toml: [tool.ptlint] {key}: 'PT999' is not a rule code or prefix" in proc.stderr


def test_pyproject_ignoring_an_unknown_code_is_a_warning(run_cli, tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.ptlint]\nignore = ["PT999"]\nper-file-ignores = { "x/*" = ["PT88"] }\n')
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("check", "m.py", "--no-cache")
    assert proc.returncode == 1 and "PT017" in proc.stdout
    assert "ptlint: warning:" in proc.stderr and "ignore: 'PT999'" in proc.stderr and "'PT88'" in proc.stderr


# ---------------------------------------------------------------------- G. summary time
def _summary_seconds(text: str) -> float:
    m = re.search(r"（(\d+\.\d\d) 秒）|\((\d+\.\d\d)s\)", text)
    assert m, text
    return float(m.group(1) or m.group(2))


def test_summary_time_includes_fix_writes(tmp_path, monkeypatch, capsys):
    from ptlint.server import fixing
    from ptlint.server.cli import main

    write(tmp_path / "m.py", "import torch\nx = torch.FloatTensor([1, 2])\n")
    real = fixing.apply_fixes

    def slow(*a, **kw):  # stands in for writing many big files
        time.sleep(0.6)
        return real(*a, **kw)

    monkeypatch.setattr(fixing, "apply_fixes", slow)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "m.py", "--no-cache", "--fix"]) == 0
    assert "torch.tensor([1, 2], dtype=torch.float32)" in (tmp_path / "m.py").read_text(encoding="utf-8")
    assert _summary_seconds(capsys.readouterr().out) >= 0.6


def test_summary_time_of_a_stdin_run_is_not_zero(run_cli, tmp_path):
    proc = run_cli("-", "--stdin-filename", "m.py", "--no-cache", input=BUGGY)
    assert proc.returncode == 1
    assert _summary_seconds(proc.stdout) > 0  # the old summary always said 0.00


# ---------------------------------------------------------------------- H. usage message
def test_usage_error_lists_every_subcommand(run_cli, tmp_path):
    proc = run_cli("check", "--bogus")
    assert proc.returncode == 2 and "unrecognized arguments: --bogus" in proc.stderr
    assert "{check,rules,explain,shapes,probe,server}" in proc.stderr


def test_check_still_imports_no_other_front_end(tmp_path):
    """Listing the subcommands must not cost `check` the import of the LSP or the probe."""
    import sys

    write(tmp_path / "m.py", BUGGY)
    code = ("import sys; from ptlint.server.cli import main; main(['check', 'm.py', '--no-cache']); "
            "print(sorted(m for m in sys.modules if m.startswith(('pygls', 'ptlint.runtime_probe', "
            "'ptlint.server.lsp', 'ptlint.server.cmd_probe', 'torch'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


# ---------------------------------------------------------------------- I. --force-exclude
def test_force_exclude_applies_gitignore_to_named_files(run_cli, tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "generated/\nscratch_*.py\n")
    write(tmp_path / "generated" / "m.py", BUGGY)
    write(tmp_path / "scratch_1.py", BUGGY)
    write(tmp_path / "sub" / ".gitignore", "local.py\n")
    write(tmp_path / "sub" / "local.py", BUGGY)
    write(tmp_path / "kept.py", BUGGY)
    named = ("generated/m.py", "scratch_1.py", "sub/local.py", "kept.py")
    proc = run_cli("check", "--no-cache", "--force-exclude", *named)
    assert proc.returncode == 1
    files = {line.split(":", 1)[0] for line in proc.stdout.splitlines() if ": PT" in line}
    assert files == {"kept.py"}, proc.stdout
    # without the flag, files named on the command line are always checked (like ruff)
    proc = run_cli("check", "--no-cache", *named)
    files = {line.split(":", 1)[0] for line in proc.stdout.splitlines() if ": PT" in line}
    assert files == set(named)
