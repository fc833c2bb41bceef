"""Every notebook location ptlint prints names the cell (issue 16): PT004's "read
afterwards (…)" and related locations in the json and sarif output."""
import json


def _notebook(path):
    cells = ["import numpy as np\nimport torch", "pixels = np.zeros((2, 2))\nbatch = torch.from_numpy(pixels)\npixels += 1",
             "print(batch.sum())"]
    path.write_text(json.dumps({
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# shared memory"}] + [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c} for c in cells],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")


def test_pt004_message_names_the_cell_of_the_read(run_cli, tmp_path):
    _notebook(tmp_path / "nb.ipynb")
    zh = run_cli("check", "nb.ipynb", "--no-cache", "--select", "PT004")
    assert zh.returncode == 1, zh.stderr
    assert zh.stdout.startswith("nb.ipynb:cell 3:3:1: PT004 ")
    assert "随后又被读取（第 4 个单元格第 1 行）" in zh.stdout
    en = run_cli("check", "nb.ipynb", "--no-cache", "--select", "PT004", "--lang", "en")
    assert "which is read afterwards (cell 4, line 1)" in en.stdout


def test_related_locations_name_their_cell_in_json_and_sarif(run_cli, tmp_path):
    _notebook(tmp_path / "nb.ipynb")
    (f,) = json.loads(run_cli("check", "nb.ipynb", "--no-cache", "--select", "PT004", "--format", "json").stdout)
    assert [(r["cell"], r["range"]["start"]["line"]) for r in f["related"]] == [(3, 2), (4, 1)]
    log = json.loads(run_cli("check", "nb.ipynb", "--no-cache", "--select", "PT004", "--format", "sarif",
                             "--lang", "en").stdout)
    (res,) = log["runs"][0]["results"]
    texts = [r["message"]["text"] for r in res["relatedLocations"]]
    assert texts[0].startswith("cell 3:2:") and "shared view is created here" in texts[0]
    assert texts[1].startswith("cell 4:1:7: ") and "read here afterwards" in texts[1]
    assert [r["properties"]["cell"] for r in res["relatedLocations"]] == [3, 4]


def test_python_files_keep_plain_lines(run_cli, tmp_path):
    (tmp_path / "m.py").write_text("import numpy as np\nimport torch\npixels = np.zeros((2, 2))\n"
                                   "batch = torch.from_numpy(pixels)\npixels += 1\nprint(batch.sum())\n")
    proc = run_cli("check", "m.py", "--no-cache", "--select", "PT004", "--lang", "en")
    assert "read afterwards (line 6)" in proc.stdout
