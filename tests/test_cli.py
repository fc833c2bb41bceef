"""The `ptlint` command line as a user runs it: output, flags, exit codes, bad input."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BUGGY = "import torch.nn as nn\nimport torch.nn.functional as F\n\nlayer = nn.Softmax()\ndrop = nn.Dropout(50)\n"
CLEAN = "import torch.nn as nn\n\nlayer = nn.Softmax(dim=1)\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def as_json(proc):
    return json.loads(proc.stdout)


# ---------------------------------------------------------------------- text output
def test_text_output_lines_summary_and_exit_code(run_cli, tmp_path):
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("m.py", "--no-cache")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("m.py:4:9: PT017 `nn.Softmax()` 没有指定 dim")
    assert not lines[0].endswith("[*]")  # PT017's fix is unsafe: --fix alone would not apply it
    assert lines[1].startswith("m.py:5:19: PT027 ")
    assert re.fullmatch(r"发现 2 个问题，检查了 1 个文件（\d+\.\d\d 秒）。另有 1 个可用 --fix --unsafe-fixes 修复.*", lines[2])
    assert "\033[" not in proc.stdout  # not a terminal: no colour


def test_unsafe_fixes_flag_marks_fixable_and_english_summary(run_cli, tmp_path):
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("check", "m.py", "--no-cache", "--lang", "en", "--unsafe-fixes")
    assert proc.returncode == 1
    first, _, summary = proc.stdout.splitlines()
    assert first.endswith("[*]") and "without dim" in first
    assert re.fullmatch(r"Found 2 problems in 1 file checked \(\d+\.\d\ds\)\. \[\*\] 1 fixable with --fix\.", summary)


def test_clean_file_exits_zero_with_summary(run_cli, tmp_path):
    write(tmp_path / "ok.py", CLEAN)
    proc = run_cli("ok.py", "--no-cache", "--lang", "en")
    assert proc.returncode == 0
    assert proc.stdout.startswith("All checks passed: 1 file checked")


def test_colour_on_a_terminal_only(tmp_path):
    import pty

    write(tmp_path / "m.py", BUGGY)
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.Popen([sys.executable, "-m", "ptlint", "m.py", "--no-cache"], cwd=tmp_path,
                            stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    out = b"".join(chunks).decode()
    assert "\033[1;33mPT017\033[0m" in out and "\033[1;31mPT027\033[0m" in out
    # NO_COLOR turns it off even on a terminal; --color always forces it through a pipe.
    piped = subprocess.run([sys.executable, "-m", "ptlint", "m.py", "--no-cache", "--color", "always"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert "\033[1;33mPT017" in piped.stdout


def test_exit_zero_and_default_subcommand(run_cli, tmp_path):
    write(tmp_path / "m.py", BUGGY)
    assert run_cli("m.py", "--no-cache", "--exit-zero").returncode == 0
    # no arguments at all: check the current folder
    proc = run_cli("--no-cache")
    assert proc.returncode == 1 and "m.py:4:9: PT017" in proc.stdout


def test_usage_error_exits_two(run_cli, tmp_path):
    proc = run_cli("check", "--no-such-flag")
    assert proc.returncode == 2 and "unrecognized arguments" in proc.stderr
    assert run_cli("check", "--jobs", "-3").returncode == 2


# ---------------------------------------------------------------------- selection flags
def test_select_ignore_extend_select(run_cli, tmp_path):
    write(tmp_path / "m.py", BUGGY)
    codes = lambda *a: [f["code"] for f in as_json(run_cli("m.py", "--no-cache", "--format", "json", *a))]
    assert codes() == ["PT017", "PT027"]
    assert codes("--select", "PT017") == ["PT017"]
    assert codes("--ignore", "pt017") == ["PT027"]
    assert codes("--select", "PT01") == ["PT017"]  # a prefix
    assert codes("--select", "PT017", "--extend-select", "PT027") == ["PT017", "PT027"]
    assert codes("--ignore", "PT0") == []


def test_lang_en_messages(run_cli, tmp_path):
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("m.py", "--no-cache", "--lang", "en")
    assert "PT027 dropout probability p=50 is outside [0, 1]" in proc.stdout


# ---------------------------------------------------------------------- stdin
def test_stdin_with_filename(run_cli, tmp_path):
    proc = run_cli("-", "--stdin-filename", "model.py", "--no-cache", input=BUGGY)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0].startswith("model.py:4:9: PT017")
    nb = json.dumps({"cells": [{"cell_type": "code", "source": "import torch\ny = torch.softmax(x)\n",
                                "metadata": {}, "outputs": [], "execution_count": None}],
                     "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    proc = run_cli("-", "--stdin-filename", "nb.ipynb", "--no-cache", input=nb)
    assert proc.stdout.startswith("nb.ipynb:cell 1:2:5: PT017"), proc.stdout


def test_stdin_fix_prints_fixed_source(run_cli, tmp_path):
    proc = run_cli("-", "--stdin-filename", "m.py", "--fix", "--unsafe-fixes", "--no-cache", input=BUGGY)
    assert "layer = nn.Softmax(dim=-1)\n" in proc.stdout
    assert "drop = nn.Dropout(50)" in proc.stdout
    assert "PT027" in proc.stderr and "PT017" not in proc.stderr  # what is left goes to stderr
    assert proc.returncode == 1


# ---------------------------------------------------------------------- bad input
def test_missing_path_is_one_line_and_others_still_checked(run_cli, tmp_path):
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("nope.py", "m.py", "--no-cache", "--lang", "en")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "ptlint: error: nope.py: no such file or directory"
    assert "m.py:4:9: PT017" in proc.stdout


def test_non_utf8_binary_and_huge_files(run_cli, tmp_path):
    write(tmp_path / "src" / "good.py", BUGGY)
    (tmp_path / "src" / "latin.py").write_bytes(b"import torch\n# caf\xe9\n")
    (tmp_path / "src" / "blob.py").write_bytes(b"import torch\x00\x01\x02")
    with open(tmp_path / "src" / "huge.py", "wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    proc = run_cli("src", "--no-cache", "--lang", "en")
    assert proc.returncode == 2
    err = proc.stderr.splitlines()
    assert len(err) == 3, proc.stderr
    assert any(e.startswith("ptlint: error: src/latin.py: not valid UTF-8 (byte 0xe9") for e in err)
    assert any(e.startswith("ptlint: error: src/blob.py: binary file") for e in err)
    assert any(e.startswith("ptlint: error: src/huge.py: file too large") for e in err)
    assert "src/good.py:4:9: PT017" in proc.stdout


def test_declared_encoding_is_honoured(run_cli, tmp_path):
    src = "# -*- coding: gbk -*-\nimport torch.nn as nn\n# 激活层\nlayer = nn.Softmax()\n"
    (tmp_path / "gbk.py").write_bytes(src.encode("gbk"))
    proc = run_cli("gbk.py", "--no-cache")
    assert proc.returncode == 1 and "gbk.py:4:9: PT017" in proc.stdout


def test_unreadable_file_is_reported_and_others_checked(tmp_path, monkeypatch, capsys):
    # Running as root, chmod cannot make a file unreadable: make reading it fail instead.
    from ptlint.server import cli

    write(tmp_path / "a.py", BUGGY)
    write(tmp_path / "secret.py", BUGGY)
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.chdir(tmp_path)
    rc = cli.main([".", "--no-cache", "--lang", "en"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert err.strip() == "ptlint: error: secret.py: permission denied"
    assert "a.py:4:9: PT017" in out


def test_syntax_error_is_pt000_at_cpythons_place_and_others_go_on(run_cli, tmp_path):
    write(tmp_path / "a_broken.py", "import torch\nx = torch.zeros(3\ny = 2\n")
    write(tmp_path / "b.py", BUGGY)
    proc = run_cli(".", "--no-cache", "--lang", "en")
    assert proc.returncode == 1
    first = proc.stdout.splitlines()[0]
    assert first == "a_broken.py:2:16: PT000 syntax error: '(' was never closed"
    assert "b.py:4:9: PT017" in proc.stdout


# ---------------------------------------------------------------------- walking
def test_walk_honours_exclude_and_nested_gitignore(run_cli, tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path / ".gitignore", "generated/\n*.skip.py\n!keep.skip.py\n")
    write(tmp_path / "pkg" / ".gitignore", "/local.py\nsub/**/deep.py\n")
    for rel in ("a.py", "generated/g.py", "x.skip.py", "keep.skip.py", "pkg/local.py", "pkg/sub/local.py",
                "pkg/sub/x/deep.py", "pkg/ok.py", "build/b.py", "third_party/t.py", "nb/n.ipynb", "notes.txt"):
        write(tmp_path / rel, BUGGY if rel.endswith(".py") else "")
    (tmp_path / "nb" / "n.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                          "nbformat_minor": 5}))
    proc = run_cli(".", "--no-cache", "--format", "json", "--extend-exclude", "third_party")
    files = sorted({f["path"] for f in as_json(proc)})
    assert files == ["a.py", "keep.skip.py", "pkg/ok.py", "pkg/sub/local.py"]
    # A file named explicitly is checked even if ignored, unless --force-exclude.
    proc = run_cli("build/b.py", "--no-cache")
    assert "build/b.py:4:9" in proc.stdout
    proc = run_cli("build/b.py", "--no-cache", "--force-exclude")
    assert proc.returncode == 0 and "0 个文件" in proc.stdout


# ---------------------------------------------------------------------- parallel
def test_jobs_give_the_same_findings(run_cli, tmp_path):
    for i in range(24):
        write(tmp_path / f"m{i:02d}.py", BUGGY + "\n" * i + "y = F.softmax(x)\n" + ("# " + "pad " * 60 + "\n") * 50)
    serial = as_json(run_cli(".", "--no-cache", "--format", "json", "--jobs", "1"))
    pooled = as_json(run_cli(".", "--no-cache", "--format", "json", "--jobs", "2"))
    auto = as_json(run_cli(".", "--no-cache", "--format", "json"))
    assert len(serial) == 24 * 3
    assert serial == pooled == auto
    assert [f["path"] for f in serial] == sorted(f["path"] for f in serial)  # input order kept


# ---------------------------------------------------------------------- other subcommands
def test_rules_table_and_json(run_cli):
    proc = run_cli("rules")
    assert proc.returncode == 0
    assert re.search(r"^PT017\s+softmax-without-dim\s+warning\s+safe/unsafe$", proc.stdout, re.M)
    assert re.search(r"^PT027\s+dropout-p-range\s+error\s+-$", proc.stdout, re.M)
    rows = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {"code": "PT000", "name": "syntax-error", "severity": "error", "fixable": False,
            "fix_safety": None, "fix_safeties": []} in rows


def test_explain(run_cli):
    zh = run_cli("explain", "PT017")
    assert zh.returncode == 0 and zh.stdout.startswith("# PT017 softmax-without-dim")
    assert "## 它检查什么" in zh.stdout and "## 如何修复" in zh.stdout
    en = run_cli("explain", "pt017", "--lang", "en")
    assert "## What it finds" in en.stdout and "## 它检查什么" not in en.stdout
    missing = run_cli("explain", "PT999")
    assert missing.returncode == 2 and "no rule PT999" in missing.stderr


def test_version_and_module_entry_point(run_cli):
    from ptlint import __version__

    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"ptlint {__version__}"
    script = Path(sys.executable).parent / "ptlint"
    if script.exists():  # the console script of the editable install
        out = subprocess.run([str(script), "--version"], capture_output=True, text=True)
        assert out.stdout.strip() == f"ptlint {__version__}"


CHECK_IMPORTS = r"""
import sys
from ptlint.server import cli
rc = cli.main(["check", "--no-cache", "--format", "json", sys.argv[1]])
heavy = sorted(m for m in ("torch", "pygls", "lsprotocol", "jieba") if m in sys.modules)
print("HEAVY", heavy, file=sys.stderr)
"""


def test_check_path_imports_no_lsp_or_jieba(tmp_path):
    write(tmp_path / "m.py", BUGGY)
    proc = subprocess.run([sys.executable, "-c", CHECK_IMPORTS, str(tmp_path / "m.py")], capture_output=True,
                          text=True, cwd=tmp_path)
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_examples_show_every_rule(run_cli):
    """README's first command: every shipped rule shows up on examples/."""
    from ptlint.rules.rule import all_rules

    proc = run_cli(str(ROOT / "examples"), "--no-cache", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    shown = {f["code"] for f in as_json(proc)}
    missing = sorted(set(all_rules()) - shown)
    assert not missing, f"no example in examples/ triggers {missing}"
