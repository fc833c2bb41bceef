"""Cloning a repository and running ptlint on it must be safe: a project's own
configuration never chooses a program to run. The probe's interpreter comes only from
the user (--probe-python, $PTLINT_PROBE_PYTHON, ~/.config/ptlint/config.toml, the editor)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ptlint.rules.config import ConfigError, config_from_table, load_user_config, trusted_probe_python

MODEL = ("import torch\nimport torch.nn as nn\n\n"
         "net = nn.Sequential(nn.Linear(4, 2), nn.Linear(3, 1))\nout = net(torch.randn(1, 4))\n")


def _script(path: Path, marker: Path) -> Path:
    """A stand-in "interpreter" that only leaves a marker (and then fails to be a worker)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 3\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return h


def _run(args, cwd, home, extra_env=None):
    env = {k: v for k, v in os.environ.items() if k not in ("PTLINT_PROBE_PYTHON", "XDG_CONFIG_HOME")}
    env["HOME"] = str(home)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "ptlint", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.parametrize("spelling", ["absolute", "relative", "home"])
def test_project_config_cannot_choose_the_probe_interpreter(tmp_path, home, spelling):
    repo = tmp_path / "work" / "deep" / "repo"
    repo.mkdir(parents=True)
    marker = tmp_path / "marker"
    if spelling == "absolute":
        value = str(_script(tmp_path / "evil.sh", marker))
    elif spelling == "relative":
        _script(tmp_path / "work" / "x", marker)
        value = "../../x"
    else:
        _script(home / "x", marker)
        value = "~/x"
    (repo / "pyproject.toml").write_text(f'[tool.ptlint.probe]\npython = "{value}"\n', encoding="utf-8")
    (repo / "model.py").write_text(MODEL, encoding="utf-8")
    for args in (["probe", "model.py"], ["check", "--no-cache", "--probe", "model.py"],
                 ["check", "--no-cache", "--probe=cpu", "model.py"]):
        proc = _run(args, repo, home)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "python is not allowed in a project's configuration" in proc.stderr
        assert "could make ptlint run any program" in proc.stderr
        assert "--probe-python" in proc.stderr and "PTLINT_PROBE_PYTHON" in proc.stderr
        assert str(repo / "pyproject.toml") in proc.stderr
        assert not marker.exists(), args
    # plain linting of that repository stops at the same configuration error
    proc = _run(["check", "--no-cache", "model.py"], repo, home)
    assert proc.returncode == 2 and "not allowed" in proc.stderr and not marker.exists()


def _repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "model.py").write_text(MODEL, encoding="utf-8")
    return repo


@pytest.mark.parametrize("how", ["flag", "env", "user-config", "xdg-user-config"])
@pytest.mark.parametrize("command", ["probe", "check"])
def test_the_users_own_choice_is_honoured(tmp_path, home, how, command):
    repo = _repo(tmp_path)
    marker = tmp_path / "marker"
    mine = _script(tmp_path / "bin" / "mypython", marker)
    args = ["probe", "model.py"] if command == "probe" else ["check", "--no-cache", "--probe", "model.py"]
    env = {}
    if how == "flag":
        args += ["--probe-python", os.path.relpath(mine, repo)]  # relative to the working folder
    elif how == "env":
        env["PTLINT_PROBE_PYTHON"] = str(mine)
    elif how == "user-config":
        (home / ".config" / "ptlint").mkdir(parents=True)
        (home / ".config" / "ptlint" / "config.toml").write_text(f'[probe]\npython = "{mine}"\n', encoding="utf-8")
    else:
        xdg = tmp_path / "xdg"
        (xdg / "ptlint").mkdir(parents=True)
        (xdg / "ptlint" / "config.toml").write_text(f'[probe]\npython = "{mine}"\n', encoding="utf-8")
        env["XDG_CONFIG_HOME"] = str(xdg)
    proc = _run(args, repo, home, env)
    assert marker.exists(), (proc.stdout, proc.stderr)
    assert "not allowed" not in proc.stderr


def test_precedence_flag_then_env_then_user_config(tmp_path, monkeypatch):
    xdg = tmp_path / "xdg"
    (xdg / "ptlint").mkdir(parents=True)
    (xdg / "ptlint" / "config.toml").write_text('[probe]\npython = "~/py/user"\n', encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PTLINT_PROBE_PYTHON", raising=False)
    assert trusted_probe_python(None) == str(tmp_path / "py" / "user")
    monkeypatch.setenv("PTLINT_PROBE_PYTHON", "/opt/env/python")
    assert trusted_probe_python(None) == "/opt/env/python"
    assert trusted_probe_python("/usr/bin/python3") == "/usr/bin/python3"
    assert trusted_probe_python("python3") == "python3"  # a bare name: looked up on PATH


def test_user_config_is_validated(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text('[probe]\npyhton = "/x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key \[probe\] 'pyhton'"):
        load_user_config(bad)
    bad.write_text('[tool.ptlint]\nselect = ["PT"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown table \[tool\]"):
        load_user_config(bad)
    assert load_user_config(tmp_path / "absent.toml").probe_python is None


def test_editor_settings_may_name_the_interpreter_a_project_may_not():
    with pytest.raises(ConfigError, match="not allowed"):
        config_from_table({"probe": {"python": "/x"}}, "pyproject.toml", root="/repo")
    assert config_from_table({"probe": {"python": "/x"}}, "editor", trusted=True).probe.python == "/x"
