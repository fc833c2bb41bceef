"""Incremental steps for files that import project files (rules/incremental.py): the
kept findings rest on what the previous analysis read from other files, so a step is
taken only while every such file reads the same; a change there means a full analysis."""
import shutil
from pathlib import Path

from ptlint.rules.config import Config
from ptlint.rules.engine import lint_source
from ptlint.rules.incremental import finding_key, reanalyse, start
from ptlint.rules.project import ProjectIndex
from ptlint.rules.source import SourceFile, SourceUnit

FIXTURE = Path(__file__).parent / "fixtures" / "project"
TAIL = "\n\ndef helper(n):\n    return n + 1\n"


def _full(path: Path, text: str):
    return lint_source(SourceFile(str(path), [SourceUnit(text)]), Config(), keep_context=True)


def _codes(findings):
    return sorted((f.code, f.line) for f in findings)


def _project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    train = root / "train.py"
    return root, train, train.read_text() + TAIL


def test_an_edit_beside_cross_file_findings_is_a_step_with_the_same_findings(tmp_path):
    root, train, text = _project(tmp_path)
    first = _full(train, text)
    assert first.deps, "the fixture's train.py reads models/ and data/"
    assert any(f.code == "PT005" for f in first.findings)  # from models/blocks.py
    state = start(text, first)
    assert state is not None and state.deps == first.deps
    edited = text.replace("return n + 1", "return n + 2")
    step = reanalyse(state, edited, str(train), Config(), project=ProjectIndex.for_file(str(train)))
    assert step is not None, state.gave_up
    want = _full(train, edited)
    assert sorted(step.findings, key=finding_key) == sorted(want.findings, key=finding_key)
    assert set(step.deps) >= set(first.deps)


def test_a_changed_project_file_means_a_full_analysis(tmp_path):
    root, train, text = _project(tmp_path)
    state = start(text, _full(train, text))
    blocks = root / "models" / "blocks.py"
    blocks.write_text(blocks.read_text() + "\n# touched\n")
    edited = text.replace("return n + 1", "return n + 2")
    assert reanalyse(state, edited, str(train), Config(), project=ProjectIndex.for_file(str(train))) is None
    assert state.gave_up == "a project file read by the last analysis has changed"


def test_an_open_buffer_of_a_project_file_counts_as_what_is_read(tmp_path):
    root, train, text = _project(tmp_path)
    state = start(text, _full(train, text))
    blocks = str((root / "models" / "blocks.py").resolve())
    typed = Path(blocks).read_text() + "\nEXTRA = 1\n"  # unsaved in the editor, not on disk
    project = ProjectIndex.for_file(str(train), read_text={blocks: typed}.get)
    edited = text.replace("return n + 1", "return n + 2")
    assert reanalyse(state, edited, str(train), Config(), project=project) is None
    assert state.gave_up == "a project file read by the last analysis has changed"
