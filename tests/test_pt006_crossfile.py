"""PT006 across files (issue 13): a conv / pool layer of a model class of another project
file (``ConvBlock`` of models/blocks.py) that drops input rows on train.py's input is
reported in train.py, at train.py's call that fed it (or the block's construction in a
top-level Sequential), with the layer's call and definition in models/blocks.py as
related locations. Silent when every size divides, when the input size is unknown, and
in models/blocks.py itself, which never sees train.py's input.

Fixture: tests/fixtures/project/ (Net and Classifier run two unpadded ConvBlocks on 32x32:
32 -> 30 -> 15 -> 13 -> 6, the second pool drops a row; ``block`` runs one on 28x28 and on
27x27 crops)."""
import shutil
from pathlib import Path

import pytest

from ptlint.rules.config import ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.source import load_source

FIXTURE = Path(__file__).parent / "fixtures" / "project"
POOL_LINE, POOL_CALL_LINE = 15, 18  # models/blocks.py: `nn.MaxPool2d(2)` and `self.pool(...)`
NET_CALL, CLASSIFIER_CALL, CROPS_CALL, DIGITS_CALL = 17, 29, 47, 46  # train.py


@pytest.fixture
def project(tmp_path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(FIXTURE, dest)
    return dest


def drops(path: Path) -> list:
    result = lint_source(load_source(str(path)), ConfigLoader().for_path(path))
    assert not result.rule_errors
    return [f for f in result.findings if f.code == "PT006"]


def add_to_train(project: Path, code: str) -> Path:
    train = project / "train.py"
    train.write_text(train.read_text() + "\n" + code)
    return train


def lines_of(path: Path) -> list[int]:
    return [f.line for f in drops(path)]


# ---------------------------------------------------------------------- must flag
def test_a_foreign_block_called_on_its_own_drops_the_crops_last_row(project):
    train = project / "train.py"
    (f,) = [f for f in drops(train) if f.line == CROPS_CALL]
    assert f.path == str(train) and train.read_text().splitlines()[CROPS_CALL - 1][f.range.start.column:].startswith(
        "block(torch.randn(4, 1, 27, 27))")
    assert "pool gets (4, 8, 25, 25)" in f.message_en and "(25 + 2×0 − 1×(2 − 1) − 1) mod 2 = 1" in f.message_en
    assert "pool 的输入是 (4, 8, 25, 25)" in f.message_zh and "最后 1 行" in f.message_zh
    blocks = str(project / "models" / "blocks.py")
    assert [(r.path, r.range.start.line, r.message_en) for r in f.related] == [
        (blocks, POOL_CALL_LINE, "where the input's last rows are dropped, in the other file"),
        (blocks, POOL_LINE, "pool is defined here")]
    assert f.related[0].message_zh == "输入的最后几行在这里被丢掉（在另一个文件中）"


def test_a_foreign_block_inside_a_model_of_this_file_is_reported_at_its_call(project):
    train = project / "train.py"
    found = {f.line: f for f in drops(train)}
    assert sorted(found) == [NET_CALL, CLASSIFIER_CALL, CROPS_CALL]
    net, clf = found[NET_CALL], found[CLASSIFIER_CALL]
    text = train.read_text().splitlines()
    assert text[NET_CALL - 1][net.range.start.column:].startswith("self.block2(self.block1(x))")
    assert text[CLASSIFIER_CALL - 1][clf.range.start.column:].startswith("self.features(x)")
    assert "block2.pool gets (8, 32, 13, 13)" in net.message_en
    assert "features.1.pool gets (8, 8, 13, 13)" in clf.message_en


def test_the_cli_shows_it_in_train_py(run_cli, project):
    out = run_cli("train.py", "--no-cache", "--lang", "en", cwd=project).stdout.splitlines()
    at = next(i for i, line in enumerate(out) if line.startswith(f"train.py:{CROPS_CALL}:9: PT006 pool gets"))
    assert out[at + 1] == f"models/blocks.py:{POOL_CALL_LINE}:16: note: where the input's last rows are dropped, " \
                          "in the other file"
    assert out[at + 2] == f"models/blocks.py:{POOL_LINE}:21: note: pool is defined here"
    assert not any(line.startswith("models/blocks.py") and " PT006 " in line for line in out)


def test_a_call_inside_a_function_and_through_forward(project):
    train = add_to_train(project, "\ndef augment():\n    blk = ConvBlock(3, 4)\n"
                                  "    blk(torch.randn(2, 3, 29, 29))\n    blk.forward(torch.randn(2, 3, 31, 31))\n")
    n = len(FIXTURE.joinpath("train.py").read_text().splitlines())
    # 29 -> 27 -> 13 and 31 -> 29 -> 14: both pools leave a row out
    assert lines_of(train) == [NET_CALL, CLASSIFIER_CALL, CROPS_CALL, n + 5, n + 6]


def test_foreign_blocks_in_a_sequential_of_this_file_report_at_the_block(project):
    train = add_to_train(project, "stack = nn.Sequential(ConvBlock(1, 8), ConvBlock(8, 8))  "
                                  "# ptlint: input=(4, 1, 28, 28)\n")
    n = len(FIXTURE.joinpath("train.py").read_text().splitlines()) + 2
    # 28 -> 26 -> 13 -> 11 -> 5: the second block's pool drops a row; the finding sits at it
    (f,) = [f for f in drops(train) if f.line == n]
    assert train.read_text().splitlines()[n - 1][f.range.start.column:].startswith("ConvBlock(8, 8))")
    assert "1.pool gets (4, 8, 11, 11)" in f.message_en


def test_a_noqa_on_train_pys_line_silences_it(project):
    train = project / "train.py"
    train.write_text(train.read_text().replace("27, 27))\n", "27, 27))  # noqa: PT006\n"))
    assert lines_of(train) == [NET_CALL, CLASSIFIER_CALL]


# ---------------------------------------------------------------------- must not flag
def test_sizes_that_divide_say_nothing(project):
    # 28x28 digits through the same block (line 46): 28 -> 26 -> 13, every row is covered
    assert DIGITS_CALL not in lines_of(project / "train.py")
    blocks = project / "models" / "blocks.py"
    blocks.write_text(blocks.read_text().replace("kernel_size=KERNEL)", "kernel_size=KERNEL, padding=1)"))
    train = project / "train.py"
    train.write_text(train.read_text().replace("27, 27))", "26, 26))"))
    assert lines_of(train) == []  # padded on 32x32: 32 -> 16 -> 8; 26 -> 13


def test_an_unknown_input_size_says_nothing(project):
    train = project / "train.py"
    text = train.read_text().replace("crops = block(torch.randn(4, 1, 27, 27))", "")
    train.write_text(text + "\n\ndef run(batch):\n    return block(batch)\n\n\n"
                            "def run_sized(h):\n    return block(torch.randn(4, 1, h, h))\n")
    assert lines_of(train) == [NET_CALL, CLASSIFIER_CALL]


def test_a_block_changed_after_construction_says_nothing(project):
    train = project / "train.py"
    train.write_text(train.read_text().replace("block = ConvBlock(1, 8)\n",
                                               "block = ConvBlock(1, 8)\nblock.pool = nn.Identity()\n"))
    assert lines_of(train) == [NET_CALL, CLASSIFIER_CALL]


def test_the_block_file_itself_says_nothing(project):
    assert drops(project / "models" / "blocks.py") == []


def test_each_place_is_reported_once(project):
    train = project / "train.py"
    found = [(f.line, f.column) for f in drops(train)]
    assert len(found) == len(set(found))
    # the block's two calls are two places: each its own finding, the 28x28 one none
    train.write_text(train.read_text() + "again = block(torch.randn(4, 1, 27, 27))\n")
    n = len(train.read_text().splitlines())
    assert lines_of(train) == [NET_CALL, CLASSIFIER_CALL, CROPS_CALL, n]


def test_what_the_finding_claims_holds_in_torch():
    """ConvBlock(1, 8) as models/blocks.py writes it: on 27x27 the 27th row and column never
    reach the output, on 28x28 every row does."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    conv, pool = nn.Conv2d(1, 8, kernel_size=3), nn.MaxPool2d(2)
    block = nn.Sequential(conv, nn.BatchNorm2d(8).eval(), nn.ReLU(), pool)
    with torch.no_grad():
        x = torch.randn(4, 1, 27, 27)
        y = block(x)
        assert tuple(y.shape) == (4, 8, 12, 12)
        x2 = x.clone()
        x2[..., 26, :] = 1e6
        x2[..., :, 26] = 1e6
        assert torch.equal(block(x2), y)
        x = torch.randn(4, 1, 28, 28)
        x2 = x.clone()
        x2[..., 27, :] = 1e6
        assert not torch.equal(block(x2), block(x))
