"""``[tool.ptlint]``: nearest pyproject per file, every key, CLI overrides, clear errors."""
import json
from pathlib import Path

import pytest

from ptlint.rules.config import Config, ConfigError, ConfigLoader, config_from_table

BUGGY = "import torch.nn as nn\n\nlayer = nn.Softmax()\ndrop = nn.Dropout(50)\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def findings(run_cli, *args):
    proc = run_cli(*args, "--no-cache", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return [(f["path"], f["code"], f["severity"]) for f in json.loads(proc.stdout)]


def test_nearest_pyproject_applies_to_each_file(run_cli, tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.ptlint]\nignore = ["PT027"]\n')
    write(tmp_path / "a.py", BUGGY)
    write(tmp_path / "sub" / "pyproject.toml", '[tool.ptlint]\nselect = ["PT027"]\n')
    write(tmp_path / "sub" / "b.py", BUGGY)
    # a pyproject.toml without [tool.ptlint] (another tool's) does not hide the one above
    write(tmp_path / "other" / "pyproject.toml", '[project]\nname = "x"\n')
    write(tmp_path / "other" / "c.py", BUGGY)
    got = findings(run_cli, ".")
    assert got == [("a.py", "PT017", "warning"), ("other/c.py", "PT017", "warning"), ("sub/b.py", "PT027", "error")]


def test_per_file_ignores_severity_and_lang(run_cli, tmp_path):
    write(tmp_path / "pyproject.toml", """
[tool.ptlint]
lang = "en"
per-file-ignores = { "tests/*" = ["PT017"], "legacy_*.py" = ["PT0"] }
severity = { PT017 = "error" }
""")
    for rel in ("m.py", "tests/t.py", "pkg/legacy_x.py"):
        write(tmp_path / rel, BUGGY)
    got = findings(run_cli, ".")
    assert got == [("m.py", "PT017", "error"), ("m.py", "PT027", "error"), ("tests/t.py", "PT027", "error")]
    text = run_cli(".", "--no-cache").stdout
    assert "without dim" in text and "Found 3 problems" in text  # lang from the file
    assert "没有指定" in run_cli(".", "--no-cache", "--lang", "zh").stdout  # the flag wins


def test_exclude_and_extend_exclude(run_cli, tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.ptlint]\nextend-exclude = ["gen", "scripts/old_*.py"]\n')
    for rel in ("m.py", "gen/x.py", "scripts/old_a.py", "scripts/new.py", "build/b.py"):
        write(tmp_path / rel, BUGGY)
    assert sorted({p for p, _, _ in findings(run_cli, ".")}) == ["m.py", "scripts/new.py"]
    # exclude replaces the defaults: build/ is checked again
    write(tmp_path / "pyproject.toml", '[tool.ptlint]\nexclude = ["gen"]\n')
    assert sorted({p for p, _, _ in findings(run_cli, ".")}) == ["build/b.py", "m.py", "scripts/new.py",
                                                                 "scripts/old_a.py"]


def test_cli_select_starts_afresh_ignore_adds(run_cli, tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.ptlint]\nignore = ["PT017"]\n')
    write(tmp_path / "m.py", BUGGY)
    assert [c for _, c, _ in findings(run_cli, "m.py")] == ["PT027"]
    assert [c for _, c, _ in findings(run_cli, "m.py", "--select", "PT017")] == ["PT017"]
    assert [c for _, c, _ in findings(run_cli, "m.py", "--ignore", "PT027")] == []


@pytest.mark.parametrize("table,needle", [
    ('[tool.ptlint]\nselct = ["PT0"]\n', "unknown key [tool.ptlint] 'selct'"),
    ('[tool.ptlint]\nselect = "PT017"\n', "[tool.ptlint] select must be a list"),
    ('[tool.ptlint]\nignore = ["E501"]\n', "ignore: 'E501' is not a rule code"),
    ('[tool.ptlint]\nlang = "fr"\n', "lang must be 'zh' or 'en', got 'fr'"),
    ('[tool.ptlint]\nseverity = { PT017 = "fatal" }\n', "severity.PT017: 'fatal' is not one of"),
    ('[tool.ptlint]\nper-file-ignores = ["x"]\n', "per-file-ignores must be a table"),
    ('[tool.ptlint.probe]\ndevice = "tpu"\n', "device 'tpu' is not auto, cpu"),
    ('[tool.ptlint.probe]\ntimeout = "5"\n', "[tool.ptlint.probe] timeout has the wrong type"),
    ('[tool.ptlint.probe]\ngpu = true\n', "unknown key [tool.ptlint.probe] 'gpu'"),
    ('[tool.ptlint]\nselect = [\n', "invalid TOML"),
])
def test_bad_config_is_a_clear_error_exit_2(run_cli, tmp_path, table, needle):
    pyproject = write(tmp_path / "pyproject.toml", table)
    write(tmp_path / "m.py", BUGGY)
    proc = run_cli("m.py", "--no-cache")
    assert proc.returncode == 2
    assert proc.stdout == ""
    line = proc.stderr.strip()
    assert "\n" not in line
    assert line.startswith(f"ptlint: error: {pyproject}: ") and needle in line, line


def test_probe_table_is_read():
    cfg = config_from_table({"probe": {"enable": True, "device": "cuda:1", "timeout": 5, "memory-mb": 512}}, "x")
    assert (cfg.probe.enable, cfg.probe.device, cfg.probe.timeout, cfg.probe.memory_mb) == (True, "cuda:1", 5, 512)
    with pytest.raises(ConfigError, match="memory-mb has the wrong type"):
        config_from_table({"probe": {"memory-mb": True}}, "x")


def test_selection_rules():
    cfg = Config(select=("PT0",), ignore=("PT01",))
    assert cfg.is_enabled("PT027") and not cfg.is_enabled("PT017")
    assert Config(select=("PT017",), ignore=("PT01",)).is_enabled("PT017")  # more specific select wins
    assert not Config(select=("PT017",), ignore=("PT017",)).is_enabled("PT017")  # a tie: ignore wins
    assert Config(select=("ALL",)).is_enabled("PT123")
    assert not Config(select=("PT1",)).is_enabled("PT017")


def test_loader_caches_and_walks_up(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.ptlint]\nlang = "en"\n')
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    loader = ConfigLoader({"ignore": ("PT017",)})
    cfg = loader.for_path(deep / "x.py")
    assert cfg.lang == "en" and cfg.root == str(tmp_path) and cfg.ignore == ("PT017",)
    assert loader.for_path(tmp_path / "a" / "y.py") is cfg
