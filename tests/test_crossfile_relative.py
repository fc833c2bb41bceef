"""Helpers of a package reached through relative imports (issue 13): ``from . import
collate; collate.to_channels_first(x)`` and ``from .collate import to_channels_first``
follow the helper the same way as ``from data import collate`` (tests/test_crossfile_flow.py).
Fixture: tests/fixtures/project_relative/ (pipeline/collate.py permutes a channels-last
batch; pipeline/train.py ``.view``s it)."""
import json
import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "project_relative"


@pytest.fixture
def project(tmp_path) -> Path:
    dest = tmp_path / "project_relative"
    shutil.copytree(FIXTURE, dest)
    return dest


def run_json(run_cli, *args, cwd) -> list:
    proc = run_cli(*args, "--format", "json", "--no-cache", cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    assert "failed" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def test_cli_flags_the_callers_view_of_a_batch_permuted_by_a_relative_helper(run_cli, project):
    found = run_json(run_cli, ".", cwd=project)
    # a = collate.to_channels_first(pixels).view (from . import collate), line 8
    # b = to_channels_first(pixels).view (from .collate import ...), line 9
    # must not flag: the helpers that return .contiguous() (lines 10, 11), and the
    # parameter named ``collate`` in shadowed() (not the module)
    assert [(d["path"], d["code"], d["range"]["start"]["line"]) for d in found] == [
        ("pipeline/train.py", "PT001", 8),
        ("pipeline/train.py", "PT001", 9),
    ]
    for d in found:
        assert "after `permute()` the tensor is not contiguous" in d["message_en"]
        related = [(Path(r["path"]).as_posix().split("project_relative/")[-1], r["range"]["start"]["line"])
                   for r in d.get("related", [])]
        assert ("pipeline/collate.py", 5) in related, d


def test_cli_is_silent_when_the_relative_helper_returns_contiguous(run_cli, project):
    collate = project / "pipeline" / "collate.py"
    collate.write_text(collate.read_text().replace(
        "    return images.permute(0, 3, 1, 2)\n", "    return images.permute(0, 3, 1, 2).contiguous()\n", 1))
    assert run_json(run_cli, ".", cwd=project) == []


def test_cli_follows_a_relative_import_from_a_subpackage(run_cli, project):
    (project / "pipeline" / "steps").mkdir()
    (project / "pipeline" / "steps" / "__init__.py").write_text("")
    (project / "pipeline" / "steps" / "load.py").write_text(
        "import torch\n\nfrom .. import collate\n\n"
        "pixels = torch.rand(8, 32, 32, 3)\n"
        "flat = collate.to_channels_first(pixels).view(8, -1)\n"
        "ok = collate.to_channels_first_contiguous(pixels).view(8, -1)\n")
    found = run_json(run_cli, "pipeline/steps/load.py", cwd=project)
    assert [(d["code"], d["range"]["start"]["line"]) for d in found] == [("PT001", 6)]
