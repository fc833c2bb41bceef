"""Cross-file analysis (issue 13): a model in train.py built from blocks of models/blocks.py
gets its shapes, its PT005 findings and the PT006 remainders its blocks drop (at train.py's
call, tests/test_pt006_crossfile.py), in the CLI too, and the results cache follows an
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


def findings_of(path: Path, code: str = "PT005") -> list:
    """What the CLI would find in one file (one rule's findings), with its [tool.ptlint]."""
    return [f for f in lint_source(load_source(str(path)), ConfigLoader().for_path(path)).findings if f.code == code]


def run_json(run_cli, *args, cwd):
    proc = run_cli(*args, "--format", "json", cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    assert "failed" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


# train.py's PT006 remainders: the unpadded blocks' pool on 13x13 in Net (line 17) and in
# Classifier (line 29), and the block called on its own with 27x27 crops (line 47).
UNPADDED_DROPS = [("PT006", 17), ("PT006", 29), ("PT006", 47)]
PADDED_DROPS = [("PT006", 47)]  # padded: 32 -> 16 -> 8 divides, 27 -> 27 -> 13 still drops


def test_cli_reports_train_py_finding_that_comes_from_models_blocks(run_cli, project):
    found = run_json(run_cli, ".", "--no-cache", cwd=project)
    assert [(d["path"], d["code"], d["range"]["start"]["line"]) for d in found] == [
        ("train.py", "PT005", 14), ("train.py", "PT006", 17), ("train.py", "PT006", 29), ("train.py", "PT001", 41),
        ("train.py", "PT006", 47)]
    d = found[0]
    # The shape comes from the unpadded ConvBlock of models/blocks.py: 32 -> 30 -> 15 -> 13 -> 6.
    assert "block2.pool" in d["message_en"] and "1152" in d["message_en"] and "2048" in d["message_en"]
    assert [(e["range"]["start"]["line"], e["new_text"]) for e in d["fix"]["edits"]] == [(14, "1152")]
    # The fix edits train.py only; the related locations are train.py's call and input, and
    # the pool layer in models/blocks.py that loses the pixels (tests/test_related_paths.py).
    assert [(r["path"], r["range"]["start"]["line"]) for r in d["related"]] == [
        (None, 19), (None, 36), ("models/blocks.py", 15)]


def test_cli_cache_follows_an_edit_of_the_imported_file(run_cli, project):
    blocks = project / "models" / "blocks.py"
    def codes():
        return [d["code"] for d in run_json(run_cli, "train.py", cwd=project)]

    def places():
        return [(d["code"], d["range"]["start"]["line"]) for d in run_json(run_cli, "train.py", cwd=project)]

    def drops():
        return [p for p in places() if p[0] == "PT006"]

    assert codes() == ["PT005", "PT006", "PT006", "PT001", "PT006"]
    assert places() == sorted([("PT005", 14), ("PT001", 41)] + UNPADDED_DROPS, key=lambda p: p[1])  # warm
    blocks.write_text(blocks.read_text().replace(UNPADDED, PADDED))  # train.py itself is unchanged
    # Net is right now; Classifier's mb.Head(8 * 6 * 6) was written for unpadded blocks: its call
    # fails, and the number to change is that 8 * 6 * 6 (line 26, issue 13)
    assert [p for p in places() if p[0] != "PT006"] == [("PT005", 26), ("PT001", 41)]
    assert drops() == PADDED_DROPS
    blocks.write_text(blocks.read_text().replace(PADDED, UNPADDED))
    assert drops() == UNPADDED_DROPS and [c for c in codes() if c != "PT006"] == ["PT005", "PT001"]
    (project / "models" / "blocks.py").unlink()  # the import no longer resolves: unknown, silent
    (project / "models" / "__init__.py").write_text("")
    assert codes() == ["PT001"]
    collate = project / "data" / "collate.py"
    collate.write_text(collate.read_text().replace("images.permute(0, 3, 1, 2)", "images.permute(0, 3, 1, 2).contiguous()"))
    assert codes() == []


def test_names_inside_the_imported_class_are_that_files_own(project):
    train = project / "train.py"
    # train.py's own KERNEL must not leak into ConvBlock, which reads models/blocks.py's KERNEL = 3.
    train.write_text(train.read_text().replace("class Net(", "KERNEL = 5\n\n\nclass Net(", 1))
    (f,) = findings_of(train)
    assert "1152" in f.message_en


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
    assert f.line == 10 and "3600" in f.message_en  # 16 * 15 * 15


def test_a_module_that_could_be_two_files_is_unknown(project):
    # Run from the project root or as a script, `models` would be a different file: silent.
    (project / "pyproject.toml").write_text("[tool.ptlint]\n")
    app = project / "app"
    app.mkdir()
    shutil.copytree(project / "models", app / "models")
    shutil.copy(project / "train.py", app / "train.py")
    (app / "models" / "blocks.py").write_text((app / "models" / "blocks.py").read_text().replace(UNPADDED, PADDED))
    assert ConfigLoader().for_path(app / "train.py").root == str(project)
    assert findings_of(app / "train.py") == [] and findings_of(app / "train.py", "PT006") == []
    (project / "models" / "blocks.py").write_text((app / "models" / "blocks.py").read_text())
    assert findings_of(app / "train.py") == []  # the same text in two files is still two files: unknown
    assert findings_of(app / "train.py", "PT006") == []
    shutil.rmtree(project / "models")
    # now only app/models, padded: Net is right, Classifier's head (written for 6x6) fails; its
    # number is mb.Head(8 * 6 * 6, 10) on line 26
    assert [(f.code, f.line) for f in findings_of(app / "train.py")] == [("PT005", 26)]
    assert [(f.code, f.line) for f in findings_of(app / "train.py", "PT006")] == PADDED_DROPS
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
    assert [f.code for f in result.findings] == ["PT001"] and not result.rule_errors  # data/ is inside
    assert not any(p.startswith(str(outside)) for p in result.deps)


HELPER_CALLER = """import torch

from helpers import channels_first

pixels = torch.rand(8, 32, 32, 3)
flat = channels_first(pixels).view(8, -1)
"""


def flow_findings(tmp_path: Path, helper: str, caller: str = HELPER_CALLER) -> list[str]:
    (tmp_path / "helpers.py").write_text(helper)
    (tmp_path / "train.py").write_text(caller)
    return [(f.code, f.line) for f in lint_source(load_source(str(tmp_path / "train.py")), Config()).findings]


def test_flow_follows_a_self_contained_helper_of_another_file(tmp_path):
    helper = "def channels_first(images):\n    return images.permute(0, 3, 1, 2)\n"
    assert flow_findings(tmp_path, helper) == [("PT001", 6)]
    assert flow_findings(tmp_path, helper.replace("2)", "2).contiguous()")) == []


def test_flow_leaves_a_helper_unknown_when_its_names_mean_something_else_here(tmp_path):
    # The helper reads its own module's LAST = 1 (transpose(1, 1): nothing moves); run with
    # train.py's LAST = 3 it would look non-contiguous: not followed, silent.
    reads_constant = "LAST = 1\n\n\ndef channels_first(images):\n    return images.transpose(1, LAST)\n"
    caller = HELPER_CALLER.replace("pixels =", "LAST = 3\npixels =")
    assert flow_findings(tmp_path, reads_constant, caller) == []
    # `torch` is a different name in the two files: not followed either.
    other_torch = "import torch as T\n\n\ndef channels_first(images):\n    return T.permute(images, (0, 3, 1, 2))\n"
    assert flow_findings(tmp_path, other_torch) == []


def test_import_cycles_and_reexport_loops_end_in_silence(tmp_path):
    pkg = tmp_path / "models"
    pkg.mkdir()
    # `ConvBlock` is re-exported in a circle and never defined: unknown, no finding, no error.
    (pkg / "__init__.py").write_text("from .a import ConvBlock\n")
    (pkg / "a.py").write_text("from .b import ConvBlock\n")
    (pkg / "b.py").write_text("from models import ConvBlock\n")
    train = tmp_path / "train.py"
    train.write_text((FIXTURE / "train.py").read_text())
    result = lint_source(load_source(str(train)), Config())
    assert [f.code for f in result.findings if f.code in ("PT005", "PT006")] == [] and not result.rule_errors
    assert str(pkg / "a.py") in result.deps and str(pkg / "b.py") in result.deps
