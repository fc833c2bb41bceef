"""A ``nn.Sequential`` built by a function of another project file and called here
(``net = make_features()`` of models/features.py, then ``net(torch.randn(...))``): what fails
for this file's tensor is reported in this file, at the call that fed it, with the layer in
the other file as a related location (PT005; a dropped remainder, PT006, the same way). A
problem inside it that needs no input is not this call's, and an input that fits finds
nothing."""
from pathlib import Path

import pytest

from ptlint.rules.config import ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.source import load_source

FEATURES = """import torch.nn as nn


def make_features():
    return nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 26 * 26, 10))


def make_pooled():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.MaxPool2d(2))


def make_broken_head():
    return nn.Sequential(nn.Linear(128, 64), nn.Linear(32, 10))
"""


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.ptlint]\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "features.py").write_text(FEATURES)
    return tmp_path


def check(project: Path, body: str) -> list:
    train = project / "train.py"
    train.write_text("import torch\nfrom models.features import make_broken_head, make_features, make_pooled\n\n" + body)
    result = lint_source(load_source(str(train)), ConfigLoader().for_path(train))
    assert not result.rule_errors
    return [f for f in result.findings if f.code in ("PT005", "PT006")]


def where(project: Path, f) -> list[tuple[str, int]]:
    return [(Path(r.path).relative_to(project).as_posix() if r.path else "train.py", r.range.start.line)
            for r in f.related]


def test_wrong_channels_for_a_foreign_built_sequential_are_reported_at_this_call(project):
    found = check(project, "net = make_features()\nout = net(torch.randn(1, 1, 28, 28))\n")
    assert [(f.code, f.line) for f in found] == [("PT005", 5)]
    assert "(1, 1, 28, 28)" in found[0].message_en and "in_channels" in found[0].message_en
    assert ("models/features.py", 5) in where(project, found[0])  # the Conv2d(3, ...) there
    assert found[0].fix is None  # the number to change is in the other file


def test_an_input_that_fits_finds_nothing(project):
    assert check(project, "net = make_features()\nout = net(torch.randn(4, 3, 28, 28))\n") == []


def test_a_dropped_remainder_is_reported_at_this_call(project):
    found = check(project, "net = make_pooled()\nout = net(torch.randn(1, 3, 31, 31))\n")  # 29 -> pool 2 drops a row
    assert [(f.code, f.line) for f in found] == [("PT006", 5)]
    assert ("models/features.py", 9) in where(project, found[0])


def test_a_problem_that_needs_no_input_is_not_this_calls(project):
    # Linear(128, 64) then Linear(32, 10) fails whatever the input: not this file's tensor's doing
    assert check(project, "head = make_broken_head()\nout = head(torch.randn(2, 128))\n") == []
