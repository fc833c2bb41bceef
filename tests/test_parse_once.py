"""One parse per file and content in a process (issue 12): a file that is both analysed
and imported by another analysed file of the project (models/blocks.py, looked into by
train.py) is parsed by libcst once, whichever of the two analyses comes first, and what
the user sees is exactly what two separate parses gave (the engine's own parse stands in
for ``_shared_key`` returning None). Broken files still get the engine's own PT000 and
notices, an import cycle back to the analysed file still reports that file's own code, a
BOM, CRLF or a coding comment does not change the key, and the cache stays bounded."""
import codecs
import collections
import hashlib
import shutil
import threading
from pathlib import Path

import libcst
import pytest

from ptlint.rules import engine, project
from ptlint.rules.config import Config, ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.project import ProjectIndex, _ParseCache, shared_key
from ptlint.rules.project_digest import file_digest, text_digest
from ptlint.rules.source import SourceFile, SourceUnit, load_source, source_from_text
from ptlint.server.runner import run_paths

FIXTURE = Path(__file__).parent / "fixtures" / "project"


@pytest.fixture
def copy(tmp_path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(FIXTURE, dest)
    return dest


@pytest.fixture
def parses(monkeypatch):
    """libcst parses of this test, by text (a fresh cache, so earlier tests count for nothing)."""
    monkeypatch.setattr(project, "PARSED", _ParseCache())
    counts: collections.Counter = collections.Counter()
    real = libcst.parse_module

    def counting(text, *args, **kwargs):
        counts[hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()] += 1
        return real(text, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", counting)
    return counts


def of(path: Path) -> str:
    """The counting key of a file's text as the parser gets it."""
    return hashlib.sha256(load_source(str(path)).units[0].text.encode("utf-8")).hexdigest()


def check(paths):
    """What `ptlint check --jobs 1 --no-cache` finds, run in this process: every finding
    with its related places, and the notices and errors (one line each)."""
    run = run_paths([str(p) for p in paths], ConfigLoader(), jobs=1, cache=False)
    return [f.to_dict() for f in run.findings], run.errors


def unshared(paths, tmp_path):
    """The same run with the engine parsing for itself (as before the cache was shared),
    in a fresh cache of its own."""
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(project, "PARSED", _ParseCache())
        mp.setattr(engine, "_shared_key", lambda source: None)
        run = run_paths([str(p) for p in paths], ConfigLoader(), jobs=1, cache=False)
    finally:
        mp.undo()
    return [f.to_dict() for f in run.findings], run.errors


def py_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


# ---------------------------------------------------------------------- one parse each
def test_a_run_over_the_fixture_project_parses_each_file_once(copy, parses, tmp_path):
    found, errors = check([copy])
    assert any((r.get("path") or "").endswith("models/blocks.py") for f in found for r in f["related"]), \
        "train.py's findings come from models/blocks.py: the index looked into it"
    assert found  # blocks.py, collate.py and train.py are analysed, models/__init__.py is read
    assert set(parses.values()) == {1}, parses
    parsed = {of(p) for p in py_files(copy)} & set(parses)
    assert of(copy / "train.py") in parsed and of(copy / "models" / "blocks.py") in parsed
    assert project.PARSED.parses == sum(parses.values())
    assert (found, errors) == unshared([copy], tmp_path)


@pytest.mark.parametrize("order", [("models/blocks.py", "train.py"), ("train.py", "models/blocks.py")])
def test_the_analysed_file_and_its_importer_share_the_parse_in_either_order(copy, parses, order, tmp_path):
    paths = [copy / p for p in order]
    found, errors = check(paths)
    blocks = of(copy / "models" / "blocks.py")
    assert parses[blocks] == 1 and parses[of(copy / "train.py")] == 1
    assert set(parses.values()) == {1}, parses
    assert (found, errors) == unshared(paths, tmp_path)


def test_an_editor_buffer_is_shared_by_its_own_analysis_and_an_importer_reading_it(copy, parses):
    blocks = (copy / "models" / "blocks.py").resolve()
    typed = blocks.read_text() + "\nEXTRA = 1\n"  # unsaved: the editor's text, not the disk's
    buffers = {str(blocks): typed}.get
    train = copy / "train.py"
    lint_source(SourceFile(str(blocks), [SourceUnit(typed)]), Config(),
                project=ProjectIndex.for_file(str(blocks), read_text=buffers))
    result = lint_source(SourceFile(str(train), [SourceUnit(train.read_text())]), Config(),
                         project=ProjectIndex.for_file(str(train), read_text=buffers))
    assert result.deps[str(blocks)] == text_digest(typed)  # train.py read the buffer
    assert parses[hashlib.sha256(typed.encode()).hexdigest()] == 1
    assert set(parses.values()) == {1}, parses


# ---------------------------------------------------------------------- the same bytes
def _rewrite_blocks(copy: Path, encode) -> Path:
    blocks = copy / "models" / "blocks.py"
    blocks.write_bytes(encode(blocks.read_text()))
    return blocks


@pytest.mark.parametrize("encode", [
    lambda t: codecs.BOM_UTF8 + t.replace("\n", "\r\n").encode("utf-8"),  # Windows Notepad
    lambda t: ("# -*- coding: gbk -*-\n# 卷积块\n" + t).encode("gbk"),  # Chinese course material
], ids=["bom-crlf", "gbk"])
def test_a_file_read_from_disk_is_keyed_by_the_digest_of_its_bytes(copy, parses, encode, tmp_path):
    blocks = _rewrite_blocks(copy, encode)
    key = shared_key(load_source(str(blocks)))
    assert key == ("disk", str(blocks.resolve()), file_digest(str(blocks))[0])  # what the index records
    found, errors = check([blocks, copy / "train.py"])
    assert set(parses.values()) == {1}, parses
    assert (found, errors) == unshared([blocks, copy / "train.py"], tmp_path)


def test_a_text_that_is_not_what_the_files_bytes_decode_to_is_keyed_by_its_own_digest(copy):
    blocks = copy / "models" / "blocks.py"
    text = "# -*- coding: gbk -*-\n# 卷积块\n" + blocks.read_text()
    blocks.write_bytes(text.encode("utf-8"))  # declared gbk, saved as UTF-8: the bytes read as other text
    key = shared_key(source_from_text(text, str(blocks)))
    assert key == ("text", str(blocks.resolve()), text_digest(text))
    assert shared_key(source_from_text(text, "<stdin>")) is None


def test_notebooks_slices_and_stdin_keep_their_own_parse(copy):
    assert shared_key(source_from_text("import torch\n", "<stdin>")) is None
    nb = '{"cells": [{"cell_type": "code", "source": "import torch"}], "metadata": {}}'
    (copy / "nb.ipynb").write_text(nb)
    assert engine._shared_key(load_source(str(copy / "nb.ipynb"))) is None
    whole = (copy / "train.py").read_text()

    class Slice(SourceFile):  # rules/incremental.py: a part of the file, gated on the whole text
        @property
        def text(self):
            return whole

    assert shared_key(Slice(str(copy / "train.py"), [SourceUnit(whole[:200])])) is None


# ---------------------------------------------------------------------- error paths
def _both_orders(copy, name):
    return [[copy / name, copy / "train.py"], [copy / "train.py", copy / name]]


@pytest.mark.parametrize("first", [0, 1])
def test_a_broken_imported_file_still_gets_the_engines_syntax_finding(copy, first, tmp_path):
    blocks = copy / "models" / "blocks.py"
    text = blocks.read_text()
    blocks.write_text(text.replace("def forward(self, x):", "def forward(self, x)", 1))
    line = text[:text.index("def forward(self, x):")].count("\n") + 1
    paths = _both_orders(copy, "models/blocks.py")[first]
    found, errors = check(paths)
    syntax = [f for f in found if f["code"] == "PT000"]
    assert [(Path(f["path"]).name, f["range"]["start"]["line"]) for f in syntax] == [("blocks.py", line)]
    assert "expected ':'" in syntax[0]["message_en"]
    assert not any((r.get("path") or "").endswith("models/blocks.py") for f in found for r in f["related"])
    assert (found, errors) == unshared(paths, tmp_path)


@pytest.mark.parametrize("first", [0, 1])
def test_a_file_the_engine_refuses_gives_the_same_finding_or_notice(copy, first, tmp_path):
    deep = "import torch\nx = " + "(" * 250 + "1" + ")" * 250 + "\n"  # CPython: too many nested parentheses
    chain = "import torch\nx = " + " + ".join(["1"] * 1500) + "\n"  # valid, beyond ptlint's depth
    (copy / "models" / "deep.py").write_text(deep)
    (copy / "models" / "chain.py").write_text(chain)
    (copy / "train.py").write_text((copy / "train.py").read_text() + "\nfrom models.deep import x\n"
                                   "from models.chain import x as y\n")
    for paths in (_both_orders(copy, "models/deep.py")[first], _both_orders(copy, "models/chain.py")[first]):
        found, errors = check(paths)
        assert (found, errors) == unshared(paths, tmp_path)
    found, errors = check([copy / "models" / "deep.py", copy / "models" / "chain.py"])
    assert [f["code"] for f in found] == ["PT000"] and "parenthes" in found[0]["message_en"]
    assert len(errors) == 1 and "chain.py" in errors[0] and "没有检查" in errors[0]  # the default language


CYCLE = """import torch
import torch.nn as nn
import pkg


class ConvBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel_size=3)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        y = self.pool(self.conv(x))
        return y.permute(0, 2, 3, 1).view(8, -1)


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = pkg.ConvBlock(3, 16)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(self.block(x))


Tower()(torch.randn(8, 3, 32, 32))
"""


def test_an_import_cycle_back_to_the_analysed_file_reports_its_own_code(tmp_path, parses):
    # pkg/blocks.py builds Tower from ``pkg.ConvBlock``, which the package re-exports from
    # blocks.py itself: the index reads the file being analysed and its ConvBlock is
    # followed as another file's code. The PT001 inside ConvBlock is still this file's own.
    root = tmp_path / "cyc"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.ptlint]\n")
    (root / "pkg" / "__init__.py").write_text("from .blocks import ConvBlock\n")
    blocks = root / "pkg" / "blocks.py"
    blocks.write_text(CYCLE)
    found, errors = check([blocks])
    assert [(f["code"], f["range"]["start"]["line"]) for f in found] == [("PT001", 14), ("PT005", 21)]
    assert (found, errors) == unshared([blocks], tmp_path)
    result = lint_source(load_source(str(blocks)), ConfigLoader().for_path(blocks), keep_context=True)
    assert [f.code for f in result.findings] == ["PT001", "PT005"]
    copy = result.context.project.load(str(blocks))
    assert copy is not None and copy.module is not result.context.module  # the index's own copy


# ---------------------------------------------------------------------- bounds, threads
def test_the_cache_stays_bounded_over_a_large_run(tmp_path, monkeypatch):
    # Budgets of a few files (tests/test_parse_cache_budget.py: the defaults' bytes).
    monkeypatch.setattr(project, "PARSED", _ParseCache(budget=2000, fresh_budget=1000))
    root = tmp_path / "many"
    root.mkdir()
    for i in range(96):
        (root / f"m{i}.py").write_text(f"import torch\nfrom m{(i + 1) % 7} import f\n\ndef f{i}(x):\n"
                                       f"    return torch.relu(x) + {i}\n")
    check([root])
    cache = project.PARSED
    assert cache.fresh and cache.kept <= 2000 and cache.fresh_kept <= 1000
    assert cache.kept == sum(cache.weights[k] for k in cache.entries)
    assert cache.fresh_kept == sum(cache.weights[k] for k in cache.fresh)


def test_analyses_on_threads_share_the_cache_safely(copy, parses, tmp_path):
    paths = [copy / "train.py", copy / "models" / "blocks.py", copy / "data" / "collate.py"]
    want = {p: [f.to_dict() for f in lint_source(load_source(str(p)), Config()).findings] for p in paths}
    project.PARSED.clear()
    got: dict = collections.defaultdict(list)

    def work(p):
        got[p].append([f.to_dict() for f in lint_source(load_source(str(p)), Config()).findings])

    threads = [threading.Thread(target=work, args=(p,)) for _ in range(3) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(runs == [want[p]] * 3 for p, runs in got.items()), got
