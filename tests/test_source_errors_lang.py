"""Files that cannot be read or decoded (rules/source.py ``SourceError``) are reported in
the run's language: Chinese by default, English with ``--lang en``, through the process
pool as well."""
from __future__ import annotations

import pickle

import pytest

from ptlint.rules.source import SourceError, read_bytes, source_from_text

GOOD = "import torch\nx = torch.randn(2, 3).t().view(-1)\n"


def _bad_files(tmp_path):
    (tmp_path / "latin.py").write_bytes(b"import torch\n# caf\xe9\n")
    (tmp_path / "blob.py").write_bytes(b"import torch\x00\x01\x02")
    (tmp_path / "rot.py").write_bytes(b"# -*- coding: rot13 -*-\nimport torch\n")
    (tmp_path / "nb.ipynb").write_text("{not json", encoding="utf-8")
    (tmp_path / "ok.py").write_text(GOOD, encoding="utf-8")


ZH = {
    "latin.py": "latin.py: 不是有效的 UTF-8（偏移 18 处的字节 0xe9）；请把文件另存为 UTF-8，或者在文件开头声明编码",
    "blob.py": "blob.py: 二进制文件（含有 NUL 字节），没有检查",
    "rot.py": "rot.py: 编码声明有问题：rot13（不是文本编码，Python 也拒绝读取这个文件），没有检查",
    "nb.ipynb": "nb.ipynb: notebook 已损坏：第 1 行第 2 列不是有效的 JSON",
    "nope.py": "nope.py: 文件或目录不存在",
}
EN = {
    "latin.py": "latin.py: not valid UTF-8 (byte 0xe9 at offset 18)",
    "blob.py": "blob.py: binary file (contains NUL bytes), not checked",
    "rot.py": "rot.py: encoding problem: rot13 (not a text encoding; Python refuses this file), not checked",
    "nb.ipynb": "nb.ipynb: broken notebook: invalid JSON at line 1 column 2",
    "nope.py": "nope.py: no such file or directory",
}


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("lang,expected", [(None, ZH), ("en", EN)])
def test_unreadable_files_are_reported_in_the_runs_language(run_cli, tmp_path, jobs, lang, expected):
    _bad_files(tmp_path)
    args = ["latin.py", "blob.py", "rot.py", "nb.ipynb", "nope.py", "ok.py", "--no-cache", "--jobs", jobs]
    proc = run_cli(*args, *(["--lang", lang] if lang else []))
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == len(expected), proc.stderr
    for name, text in expected.items():
        assert any(line.startswith("ptlint: error: " + text) for line in lines), (name, proc.stderr)
    assert "ok.py:2:" in proc.stdout  # the others are still checked


def test_the_config_language_applies_when_no_flag_is_given(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.ptlint]\nlang = "en"\n', encoding="utf-8")
    (tmp_path / "blob.py").write_bytes(b"import torch\x00")
    proc = run_cli("blob.py", "--no-cache")
    assert proc.stderr.strip() == "ptlint: error: blob.py: binary file (contains NUL bytes), not checked"


def test_a_source_error_keeps_both_texts_through_pickle(tmp_path):
    with pytest.raises(SourceError) as info:
        read_bytes(tmp_path / "missing.py", "missing.py")
    err = pickle.loads(pickle.dumps(info.value))
    assert (err.text("zh"), err.text("en"), str(err)) == ("missing.py: 文件不存在", "missing.py: no such file",
                                                          "missing.py: no such file")
    with pytest.raises(SourceError) as info:
        source_from_text("[1, 2]", "a.ipynb", notebook=True)
    assert info.value.text("zh") == "a.ipynb: notebook 已损坏：最外层不是 JSON 对象"
