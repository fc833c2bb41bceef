"""Related locations in other project files (issue 13, "Where a finding points"): train.py's
PT005 links to the pool layer of models/blocks.py that loses the pixels, its PT001 to the
permute in data/collate.py, its PT006 (a block's pool that drops a row, reported at
train.py's call) to that pool's call and definition. The link names that file (written like the finding's own path)
in the findings, every CLI format, the results cache, moved findings of the incremental
engine and ``ptlint shapes``; a finding whose related places are all in its own file has
no path on them and no extra lines."""
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from ptlint.rules.config import ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.findings import Finding, Position, Range, RelatedLocation, Severity
from ptlint.rules.incremental import move_finding
from ptlint.rules.source import load_source

from test_formats import sarif_schema  # noqa: F401  (the session fixture: the official SARIF schema)

FIXTURE = Path(__file__).parent / "fixtures" / "project"
POOL_LINE, POOL_CALL_LINE, PERMUTE_LINE = 15, 18, 13  # in models/blocks.py, data/collate.py
SINGLE = "import torch\n\ny = torch.rand(4, 3).t()\nz = y.view(12)\n"  # PT001, its permute in the same file


@pytest.fixture
def project(tmp_path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(FIXTURE, dest)
    return dest


def run_json(run_cli, *args, cwd):
    proc = run_cli(*args, "--format", "json", "--lang", "en", cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def text_at(path: Path, rng: dict) -> str:
    """The source text a (single-line) range covers."""
    line = path.read_text().splitlines()[rng["start"]["line"] - 1]
    assert rng["end"]["line"] == rng["start"]["line"]
    return line[rng["start"]["column"]:rng["end"]["column"]]


def elsewhere(finding: dict) -> list[dict]:
    return [r for r in finding["related"] if r["path"] is not None]


def pt005_pt001(found: list[dict]) -> list[dict]:
    """The fixture's PT005 and PT001, in that order (its PT006 remainders have their own tests)."""
    return [d for d in found if d["code"] in ("PT005", "PT001")]


# ---------------------------------------------------------------------- the findings
def test_json_links_to_the_layer_and_the_permute_in_their_own_files(run_cli, project):
    found = run_json(run_cli, ".", "--no-cache", cwd=project)
    pt005, pt001 = pt005_pt001(found)
    (pool,) = elsewhere(pt005)
    assert pool["path"] == "models/blocks.py" and pool["cell"] is None
    assert pool["range"]["start"]["line"] == POOL_LINE and pool["message_en"] == "block2.pool is defined here"
    assert text_at(project / "models" / "blocks.py", pool["range"]) == "nn.MaxPool2d(2)"
    (permute,) = elsewhere(pt001)
    assert permute["path"] == "data/collate.py" and permute["range"]["start"]["line"] == PERMUTE_LINE
    assert text_at(project / "data" / "collate.py", permute["range"]) == "images.permute(0, 3, 1, 2)"
    # train.py's own places keep no path: the call of fc and the input
    assert [(r["path"], r["range"]["start"]["line"]) for r in pt005["related"][:2]] == [(None, 19), (None, 36)]
    # PT006 at train.py's `self.block2(...)`: the pool's call, then its definition, in models/blocks.py
    (drop,) = [d for d in found if d["code"] == "PT006" and d["range"]["start"]["line"] == 17]
    assert [(r["path"], r["range"]["start"]["line"], r["message_en"]) for r in drop["related"]] == [
        ("models/blocks.py", POOL_CALL_LINE, "where the input's last rows are dropped, in the other file"),
        ("models/blocks.py", POOL_LINE, "block2.pool is defined here")]
    assert text_at(project / "models" / "blocks.py", drop["related"][0]["range"]).startswith("self.pool(")


def test_the_path_is_written_like_the_findings_own(run_cli, project):
    """Relative from the parent folder, absolute for an absolute argument."""
    pt005, _ = pt005_pt001(run_json(run_cli, "project/train.py", "--no-cache", cwd=project.parent))
    assert pt005["path"] == "project/train.py" and elsewhere(pt005)[0]["path"] == "project/models/blocks.py"
    absolute = str(project / "train.py")
    pt005, _ = pt005_pt001(run_json(run_cli, absolute, "--no-cache", cwd=project.parent))
    assert pt005["path"] == absolute and elsewhere(pt005)[0]["path"] == str(project / "models" / "blocks.py")


def test_a_single_file_finding_has_no_path_on_its_related_places(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(SINGLE)
    (f,) = [f for f in lint_source(load_source(str(path)), ConfigLoader().for_path(path)).findings if f.code == "PT001"]
    assert f.related and all(r.path is None for r in f.related)
    assert f.related[0].range.start.line == 3


def test_an_edit_of_the_other_file_moves_the_link_in_the_same_process(project):
    """Positions in models/blocks.py are kept between analyses; an edit there is a new file."""
    train, blocks = project / "train.py", project / "models" / "blocks.py"

    def pool_link() -> tuple:
        (f,) = [f for f in lint_source(load_source(str(train)), ConfigLoader().for_path(train)).findings
                if f.code == "PT005"]
        (r,) = [r for r in f.related if r.path is not None]
        return r.path, r.range.start.line, r.range.start.column

    assert pool_link() == pool_link() == (str(blocks), POOL_LINE, 20)
    blocks.write_text('"""Blocks."""\n\n' + blocks.read_text().replace("self.pool = nn", "self.pool =  nn"))
    assert pool_link() == (str(blocks), POOL_LINE + 2, 21)


def test_round_trip_and_entries_written_before_the_path_existed():
    rel = RelatedLocation(Range(Position(15, 20), Position(15, 35)), "在这里", "here", path="models/blocks.py")
    f = Finding("PT005", "shape-mismatch", "zh", "en", Range(Position(14, 28), Position(14, 38)), Severity.ERROR,
                path="train.py", related=(rel,))
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f
    old = rel.to_dict()
    del old["path"]
    assert RelatedLocation.from_dict(old).path is None


def test_moving_a_finding_moves_its_own_places_only():
    own = RelatedLocation(Range(Position(19, 15), Position(19, 25)), "zh", "en")
    other = RelatedLocation(Range(Position(15, 20), Position(15, 35)), "zh", "en", path="models/blocks.py")
    f = Finding("PT005", "shape-mismatch", "zh", "en", Range(Position(14, 28), Position(14, 38)), Severity.ERROR,
                path="train.py", related=(own, other))
    moved = move_finding(f, lambda line: line + 3)  # three lines inserted above, in train.py
    assert moved.line == 17 and moved.related[0].range.start.line == 22
    assert moved.related[1] == other  # models/blocks.py did not change


# ---------------------------------------------------------------------- the formats
def test_text_lists_the_other_files_places_as_note_lines(run_cli, project):
    en = run_cli(".", "--no-cache", "--lang", "en", cwd=project).stdout.splitlines()
    assert en[0].startswith("train.py:14:29: PT005 ")
    assert en[1] == "models/blocks.py:15:21: note: block2.pool is defined here"
    assert en[2].startswith("train.py:17:13: PT006 block2.pool gets (8, 32, 13, 13)")
    assert en[3] == "models/blocks.py:18:16: note: where the input's last rows are dropped, in the other file"
    assert en[4] == "models/blocks.py:15:21: note: block2.pool is defined here"
    pt001 = en.index(next(line for line in en if " PT001 " in line))
    assert en[pt001].startswith("train.py:41:8: PT001 ")
    assert en[pt001 + 1] == "data/collate.py:13:12: note: the permute happens here"
    assert en[-1].startswith("Found 5 problems")
    zh = run_cli(".", "--no-cache", cwd=project).stdout.splitlines()
    assert zh[1] == "models/blocks.py:15:21: 相关位置：block2.pool 在这里定义"
    assert zh[3] == "models/blocks.py:18:16: 相关位置：输入的最后几行在这里被丢掉（在另一个文件中）"


def test_text_adds_no_lines_for_places_in_the_same_file(run_cli, tmp_path):
    (tmp_path / "m.py").write_text(SINGLE)
    lines = run_cli("m.py", "--no-cache", "--lang", "en", cwd=tmp_path).stdout.splitlines()
    assert [line.split(" ")[1] for line in lines[:-1]] == ["PT001"] and lines[-1].startswith("Found 1 problem")


def test_sarif_related_locations_name_the_other_artifact(run_cli, project, sarif_schema):  # noqa: F811
    proc = run_cli(".", "--no-cache", "--format", "sarif", "--lang", "en", cwd=project)
    log = json.loads(proc.stdout)
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    pt005, pt001 = [r for r in log["runs"][0]["results"] if r["ruleId"] in ("PT005", "PT001")]
    uris = [r["physicalLocation"]["artifactLocation"]["uri"] for r in pt005["relatedLocations"]]
    assert uris == ["train.py", "train.py", "models/blocks.py"]
    pool = pt005["relatedLocations"][2]["physicalLocation"]
    assert pool["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert pool["region"] == {"startLine": 15, "startColumn": 21, "endLine": 15, "endColumn": 36}
    assert pt001["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "data/collate.py"
    # fixes still edit train.py only
    assert pt005["fixes"][0]["artifactChanges"][0]["artifactLocation"]["uri"] == "train.py"


def test_github_annotation_names_the_other_file_in_its_text(run_cli, project):
    lines = run_cli(".", "--no-cache", "--format", "github", "--lang", "en", cwd=project).stdout.splitlines()
    assert len(lines) == 5
    assert lines[0].startswith("::error file=train.py,line=14,col=29,")
    assert lines[0].endswith("%0Amodels/blocks.py:15:21: note: block2.pool is defined here")
    assert lines[1].startswith("::notice file=train.py,line=17,col=13,") and "title=PT006 " in lines[1]
    assert lines[1].endswith("%0Amodels/blocks.py:15:21: note: block2.pool is defined here")
    assert lines[3].endswith("%0Adata/collate.py:13:12: note: the permute happens here")


def test_github_annotation_of_a_single_file_finding_is_one_line(run_cli, tmp_path):
    (tmp_path / "m.py").write_text(SINGLE)
    lines = run_cli("m.py", "--no-cache", "--format", "github", cwd=tmp_path).stdout.splitlines()
    assert len(lines) == 1 and "%0A" not in lines[0]


def test_the_cache_keeps_the_other_files_path(run_cli, project):
    cold = run_json(run_cli, ".", cwd=project)
    entries = list((project / ".ptlint_cache").glob("v*-*/*.json"))
    cached = [json.loads(e.read_bytes().partition(b"\n")[2]) for e in entries]  # after the entry's HMAC line
    train = [c for c in cached if any(f["code"] == "PT005" for f in c.get("findings", ()))]
    assert len(train) == 1 and elsewhere(train[0]["findings"][0])[0]["path"] == "models/blocks.py"
    warm = run_json(run_cli, ".", cwd=project)
    assert warm == cold and elsewhere(warm[0])[0]["path"] == "models/blocks.py"


# ---------------------------------------------------------------------- ptlint shapes
def shapes(run_cli, *args, cwd):
    proc = run_cli("shapes", *args, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_shapes_places_a_note_inside_another_files_layer(run_cli, project):
    en = shapes(run_cli, "train.py", "--lang", "en", cwd=project)
    notes = [line.strip() for line in en.splitlines() if "PT006" in line]
    assert len(notes) == 2 and "PT006 ?" not in en
    assert notes[0].startswith("ℹ PT006 models/blocks.py, line 18: block2.pool gets (8, 32, 13, 13)")
    assert notes[1].startswith("ℹ PT006 models/blocks.py, line 18: features.1.pool gets (8, 8, 13, 13)")
    zh = shapes(run_cli, "train.py", cwd=project)
    assert "ℹ PT006 models/blocks.py 第 18 行：block2.pool 的输入是 (8, 32, 13, 13)" in zh
    doc = json.loads(shapes(run_cli, "train.py", "--format", "json", cwd=project))
    note = doc["models"][0]["notes"][0]
    # range stays this file's (null: the LSP and the probe place ranges in train.py)
    assert note["range"] is None and note["elsewhere"]["path"] == "models/blocks.py"
    assert text_at(project / "models" / "blocks.py", note["elsewhere"]).startswith("self.pool(")


def test_shapes_notes_in_the_file_itself_keep_their_line(run_cli, tmp_path):
    (tmp_path / "m.py").write_text("import torch\nimport torch.nn as nn\n\n"
                                   "net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2))\n"
                                   "y = net(torch.randn(1, 1, 15, 15))\n")
    out = shapes(run_cli, "m.py", "--lang", "en", cwd=tmp_path)
    assert "ℹ PT006 line 4: [1] MaxPool2d gets (1, 4, 13, 13)" in out
    note = json.loads(shapes(run_cli, "m.py", "--format", "json", cwd=tmp_path))["models"][0]["notes"][0]
    assert note["range"]["start"]["line"] == 4 and "elsewhere" not in note


def test_the_pool_really_drops_the_last_row_and_column():
    """What the PT006 note claims, against real torch: a 2x2 pool over 13x13 gives 6x6 and
    the 13th row and column never reach the output."""
    torch = pytest.importorskip("torch")
    x = torch.randn(8, 32, 13, 13)
    pool = torch.nn.MaxPool2d(2)
    y = pool(x)
    assert tuple(y.shape) == (8, 32, 6, 6)
    x2 = x.clone()
    x2[..., 12, :] = 1e6
    x2[..., :, 12] = 1e6
    assert torch.equal(pool(x2), y)
