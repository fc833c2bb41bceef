"""Cross-file analysis (issue 13): a model in train.py built from blocks of models/blocks.py
gets its shapes and its PT005 findings, in the CLI too, and the results cache follows an
edit of the file the finding depends on. An import that cannot be resolved for certain
is unknown: silence."""
import json
import shutil
from pathlib import Path

import pytest

from ptlint.rules import Config
from ptlint.rules.config import ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.source import load_source

FIXTURE = Path(__file__).parent / "fixtures" / "project"
PADDED = "nn.Conv2d(c_in, c_out, kernel_size=KERNEL, padding=1)"
UNPADDED = "nn.Conv2d(c_in, c_out, kernel_size=KERNEL)"


@pytest.fixture
def project(tmp_path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(FIXTURE, dest)
    return dest


def findings_of(path: Path) -> list:
    """What the CLI would find in one file, with the [tool.ptlint] that applies to it."""
    return lint_source(load_source(str(path)), ConfigLoader().for_path(path)).findings


def run_json(run_cli, *args, cwd):
    proc = run_cli(*args, "--format", "json", cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    assert "failed" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def test_cli_reports_train_py_finding_that_comes_from_models_blocks(run_cli, project):
    found = run_json(run_cli, ".", "--no-cache", cwd=project)
    assert [(d["path"], d["code"], d["range"]["start"]["line"]) for d in found] == [("train.py", "PT005", 14)]
    (d,) = found
    # The shape comes from the unpadded ConvBlock of models/blocks.py: 32 -> 30 -> 15 -> 13 -> 6.
    assert "block2.pool" in d["message_en"] and "1152" in d["message_en"] and "2048" in d["message_en"]
    assert [(e["range"]["start"]["line"], e["new_text"]) for e in d["fix"]["edits"]] == [(14, "1152")]
    # Nothing points into the other file: related locations and fixes are train.py's own.
    assert all(r["range"]["start"]["line"] in (19, 36) for r in d["related"])


def test_cli_cache_follows_an_edit_of_the_imported_file(run_cli, project):
    blocks = project / "models" / "blocks.py"
    assert [d["code"] for d in run_json(run_cli, "train.py", cwd=project)] == ["PT005"]
    assert [d["code"] for d in run_json(run_cli, "train.py", cwd=project)] == ["PT005"]  # warm: from the cache
    blocks.write_text(blocks.read_text().replace(UNPADDED, PADDED))  # train.py itself is unchanged
    assert run_json(run_cli, "train.py", cwd=project) == []
    blocks.write_text(blocks.read_text().replace(PADDED, UNPADDED))
    assert [d["code"] for d in run_json(run_cli, "train.py", cwd=project)] == ["PT005"]
    (project / "models" / "blocks.py").unlink()  # the import no longer resolves: unknown, silent
    (project / "models" / "__init__.py").write_text("")
    assert run_json(run_cli, "train.py", cwd=project) == []


def test_names_inside_the_imported_class_are_that_files_own(project):
    train = project / "train.py"
    # train.py's own KERNEL must not leak into ConvBlock, which reads models/blocks.py's KERNEL = 3.
    train.write_text(train.read_text().replace("class Net(", "KERNEL = 5\n\n\nclass Net(", 1))
    (f,) = findings_of(train)
    assert f.code == "PT005" and "1152" in f.message_en


def test_relative_import_inside_a_package(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    shutil.copy(FIXTURE / "models" / "blocks.py", pkg / "blocks.py")
    net = pkg / "net.py"
    net.write_text(
        "import torch\nimport torch.nn as nn\nfrom .blocks import ConvBlock\n\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.block = ConvBlock(3, 16)\n        self.fc = nn.Linear(16 * 16 * 16, 10)\n\n"
        "    def forward(self, x):\n        return self.fc(torch.flatten(self.block(x), 1))\n\n\n"
        "out = Net()(torch.randn(2, 3, 32, 32))\n")
    (f,) = findings_of(net)
    assert f.code == "PT005" and f.line == 10 and "3600" in f.message_en  # 16 * 15 * 15


def test_a_module_that_could_be_two_files_is_unknown(project):
    # Run from the project root or as a script, `models` would be a different file: silent.
    (project / "pyproject.toml").write_text("[tool.ptlint]\n")
    app = project / "app"
    app.mkdir()
    shutil.copytree(project / "models", app / "models")
    shutil.copy(project / "train.py", app / "train.py")
    (app / "models" / "blocks.py").write_text((app / "models" / "blocks.py").read_text().replace(UNPADDED, PADDED))
    assert ConfigLoader().for_path(app / "train.py").root == str(project)
    assert findings_of(app / "train.py") == []
    (project / "models" / "blocks.py").write_text((app / "models" / "blocks.py").read_text())
    assert findings_of(app / "train.py") == []  # the same text in two files is still two files: unknown
    shutil.rmtree(project / "models")
    assert [f.code for f in findings_of(app / "train.py")] == []  # now only app/models: padded, correct
    (app / "models" / "blocks.py").write_text((app / "models" / "blocks.py").read_text().replace(PADDED, UNPADDED))
    assert [f.code for f in findings_of(app / "train.py")] == ["PT005"]


def test_a_file_outside_the_project_is_never_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(FIXTURE / "models" / "blocks.py", outside / "blocks.py")
    proj = tmp_path / "proj"
    shutil.copytree(FIXTURE, proj)
    (proj / "pyproject.toml").write_text("[tool.ptlint]\n")
    (proj / "models" / "blocks.py").unlink()
    (proj / "models" / "blocks.py").symlink_to(outside / "blocks.py")
    result = lint_source(load_source(str(proj / "train.py")), Config(root=str(proj)))
    assert result.findings == [] and not result.rule_errors
    assert not any(p.startswith(str(outside)) for p in result.deps)
