"""PT005 for a model class of another project file that this file builds and calls with a
literal tensor (issue 13): ``block = ConvBlock(1, 8)`` of models/blocks.py called here with
a 3-channel batch is reported in train.py, at the number that built it when a block's
parameter is the wrong count (``ConvBlock(1, 8)``), else at this file's call, with the
layer in models/blocks.py as a related location. A problem there that needs no input is
models/blocks.py's own to report, never again here; two calls that fail on the same number
are one finding.

Fixture: tests/fixtures/project/ (train.py line 45 builds ``block = ConvBlock(1, 8)``, lines
46-47 call it with 1-channel digits and crops, which fit its channels; Net's Linear on line
14, written for padded blocks, is the fixture's own PT005, tests/test_crossfile.py)."""
import shutil
from pathlib import Path

import pytest

from ptlint.rules.config import ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.source import load_source

FIXTURE = Path(__file__).parent / "fixtures" / "project"
BLOCK_LINE, NET_FC_LINE = 45, 14  # train.py: `block = ConvBlock(1, 8)`, Net's `nn.Linear(32 * 8 * 8, 10)`
CONV_LINE, CONV_CALL_LINE = 13, 18  # models/blocks.py: `nn.Conv2d(c_in, ...)` and `self.conv(x)` in forward
FC_LINE, FC_CALL_LINE = 24, 27  # models/blocks.py: Head's `nn.Linear(n_in, n_classes)` and `self.fc(x)`


@pytest.fixture
def project(tmp_path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(FIXTURE, dest)
    return dest


def findings(path: Path) -> list:
    """PT005 findings, but for the fixture's own one in train.py."""
    result = lint_source(load_source(str(path)), ConfigLoader().for_path(path))
    assert not result.rule_errors
    return [f for f in result.findings if f.code == "PT005" and not (path.name == "train.py" and f.line == NET_FC_LINE)]


def add_to_train(project: Path, code: str) -> tuple[Path, int]:
    """Append ``code`` to train.py; the 1-based line where it starts."""
    train = project / "train.py"
    text = train.read_text()
    train.write_text(text + code)
    return train, text.count("\n") + 1


def related(f, project: Path) -> list[tuple[str, int, str]]:
    return [(Path(r.path).relative_to(project).as_posix() if r.path else "train.py", r.range.start.line,
             r.message_en) for r in f.related]


def text_at(path: Path, f) -> str:
    line = path.read_text().splitlines()[f.line - 1]
    return line[f.range.start.column:f.range.end.column]


# ---------------------------------------------------------------------- must flag
def test_a_foreign_block_fed_the_wrong_channels_points_at_the_number_that_built_it(project):
    train, line = add_to_train(project, "rgb = block(torch.randn(4, 3, 28, 28))\n")
    [f] = findings(train)
    assert f.path == str(train) and (f.line, text_at(train, f)) == (BLOCK_LINE, "1")  # ConvBlock(1, 8)
    assert "the model input (4, 3, 28, 28), with 3 channels, but conv.in_channels = 1" in f.message_en
    assert "模型输入 (4, 3, 28, 28)，有 3 个通道，但 conv.in_channels = 1" in f.message_zh
    assert related(f, project) == [
        ("models/blocks.py", CONV_LINE, "conv is defined here"),
        ("models/blocks.py", CONV_CALL_LINE, "conv is called here with (4, 3, 28, 28)"),
        ("train.py", line, "the input shape comes from here")]
    assert f.fix is None
    assert findings(project / "models" / "blocks.py") == []  # that file never sees train.py's input


def test_a_foreign_block_built_from_a_variable_is_reported_at_this_files_call(project):
    train, line = add_to_train(project, "n_features = 100\nhead = mb.Head(n_features, 10)\n"
                                        "logits = head(torch.randn(2, 50))\n")
    [f] = findings(train)
    assert (f.line, text_at(train, f)) == (line + 2, "head(torch.randn(2, 50))")
    assert "the model input (2, 50), but fc.in_features = 100" in f.message_en
    assert related(f, project) == [
        ("models/blocks.py", FC_CALL_LINE, "where it fails, in the other file"),
        ("models/blocks.py", FC_LINE, "fc is defined here")]
    assert f.related[0].message_zh == "实际出错的位置（在另一个文件中）"
    assert f.fix is None  # the number is in the other file


# ---------------------------------------------------------------------- no double reports
def test_two_calls_failing_on_the_same_number_are_one_finding(project):
    train, _ = add_to_train(project, "rgb = block(torch.randn(4, 3, 28, 28))\n"
                                     "more = block(torch.randn(2, 3, 28, 28))\n")
    assert [(f.line, text_at(train, f)) for f in findings(train)] == [(BLOCK_LINE, "1")]


def test_a_problem_that_needs_no_input_is_the_other_files_own(project):
    (project / "models" / "bad.py").write_text(
        "import torch.nn as nn\n\n\nclass Bad(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.a = nn.Conv2d(3, 16, 3)\n        self.b = nn.Conv2d(32, 8, 3)\n\n"
        "    def forward(self, x):\n        return self.b(self.a(x))\n")
    train, _ = add_to_train(project, "from models.bad import Bad\nbad = Bad()\nz = bad(torch.randn(1, 3, 16, 16))\n")
    assert findings(train) == []
    [f] = findings(project / "models" / "bad.py")  # reported once, where the numbers are
    assert f.line == 8 and "but b.in_channels = 32" in f.message_en


def test_a_foreign_block_fed_what_it_expects_is_silent(project):
    train = project / "train.py"
    assert findings(train) == []  # digits and crops have the block's one channel
    train, _ = add_to_train(project, "head = mb.Head(8, 10)\nlogits = head(torch.randn(2, 8))\n")
    assert findings(train) == []
