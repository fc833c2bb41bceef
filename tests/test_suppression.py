"""Suppression comments, checked through the CLI as a user writes them."""
import json

from ptlint.rules.suppression import ALL, Suppressions


def codes_by_line(run_cli, tmp_path, text, name="m.py"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    proc = run_cli(name, "--no-cache", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return sorted((f["range"]["start"]["line"], f["code"]) for f in json.loads(proc.stdout))


HEAD = "import torch.nn as nn\n"


def test_line_directives(run_cli, tmp_path):
    text = HEAD + (
        "a = nn.Softmax()  # noqa\n"                               # 2: everything
        "b = nn.Softmax()  # noqa: PT017\n"                        # 3: that code
        "c = nn.Softmax()  # noqa: PT027\n"                        # 4: another code: still flagged
        "d = nn.Softmax()  # NOQA:pt017,PT027\n"                   # 5: case and spacing
        "e = nn.Softmax()  # noqa: E501\n"                         # 6: another tool's code only
        "f = nn.Softmax()  # ptlint: disable=PT017\n"              # 7
        "g = nn.Sequential(nn.Softmax(), nn.Dropout(2))  # noqa: PT027\n"  # 8: only PT027 goes
        's = "# noqa"; h = nn.Softmax()\n'                         # 9: not a comment
        "i = nn.Sequential(\n    nn.Softmax(),  # noqa: PT017\n)\n"  # 11: on the finding's own line
    )
    assert codes_by_line(run_cli, tmp_path, text) == [
        (4, "PT017"), (6, "PT017"), (8, "PT017"), (9, "PT017")]


def test_file_directives(run_cli, tmp_path):
    body = "a = nn.Softmax()\nb = nn.Dropout(5)\n"
    assert codes_by_line(run_cli, tmp_path, HEAD + body + "# ptlint: disable-file=PT027\n") == [(2, "PT017")]
    assert codes_by_line(run_cli, tmp_path, "# ptlint: disable-file\n" + HEAD + body) == []
    assert codes_by_line(run_cli, tmp_path, HEAD + "# ptlint: disable-file=PT017, PT027\n" + body) == []


def test_disable_file_in_one_cell_covers_the_notebook(run_cli, tmp_path):
    nb = {"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "# ptlint: disable-file=PT017\nimport torch.nn as nn\n"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "a = nn.Softmax()\nb = nn.Dropout(5)\n"},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert codes_by_line(run_cli, tmp_path, json.dumps(nb), "nb.ipynb") == [(2, "PT027")]


def test_parser_units():
    s = Suppressions.from_text("x = 1  # noqa: PT001 PT003 because reasons\ny = 2  # noqa:\n")
    assert s.lines == {1: {"PT001", "PT003"}, 2: {ALL}}
    assert Suppressions.from_text("z = 'no comment here'\n").lines == {}
