"""Notebooks: cell by cell with earlier cells' names visible, magics skipped, clear
errors for broken JSON, and `nb.ipynb:cell N:line:col` locations."""
import json

import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.source import mask_magics


def notebook(*cells, language="python"):
    out = []
    for c in cells:
        if c.startswith("md:"):
            out.append({"cell_type": "markdown", "metadata": {}, "source": c[3:]})
        else:
            lines = c.split("\n")
            out.append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": [ln + "\n" for ln in lines[:-1]] + [lines[-1]]})
    return json.dumps({"cells": out, "metadata": {"language_info": {"name": language}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_names_from_earlier_cells_and_cell_locations(run_cli, tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook(
        "import torch\nimport torch.nn.functional as F",
        "md:# 注意力",
        "x = torch.randn(2, 3)\n\ny = F.softmax(x)",  # F comes from cell 1
    ))
    proc = run_cli("nb.ipynb", "--no-cache")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("nb.ipynb:cell 3:3:5: PT017 ")


def test_magics_are_skipped_without_errors(run_cli, tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook(
        "%matplotlib inline\n!pip install torch\nfiles = !ls\nimport torch\nimport torch.nn as nn",
        "%%time\nm = nn.Softmax()",                          # python body: linted
        "%%bash\necho (((",                                   # not python: skipped
        "torch.zeros?\n??torch.ones\nfor i in range(2):\n    %time nn.Dropout(2)",
        "msg = ('%d items'\n       % 3)\nx = nn.Softmax(dim=1)",  # a % continuation stays Python
    ))
    proc = run_cli("nb.ipynb", "--no-cache", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    got = [(f["cell"], f["range"]["start"]["line"], f["code"]) for f in json.loads(proc.stdout)]
    assert got == [(2, 2, "PT017")]  # no PT000 anywhere; `%time nn.Dropout(2)` is masked too


def test_mask_keeps_lines_and_columns():
    src = "!ls\nx = 1\n  %time f()"
    masked = mask_magics(src)
    assert masked == "pass\nx = 1\n  pass"
    assert mask_magics("%%writefile a.py\nprint(1)") is None


@pytest.mark.parametrize("text,needle", [
    ("{not json", "broken notebook: invalid JSON at line 1 column 2"),
    ('{"cells": 3}', "broken notebook: no 'cells' list"),
    ("[1, 2]", "broken notebook: top level is not an object"),
    ('{"cells": [{"cell_type": "code", "source": 7}]}', "cell 1: broken notebook: the cell has no text source; cell skipped"),
])
def test_broken_notebook_is_a_one_line_error(run_cli, tmp_path, text, needle):
    (tmp_path / "bad.ipynb").write_text(text)
    (tmp_path / "m.py").write_text("import torch.nn as nn\nnn.Softmax()\n")
    proc = run_cli(".", "--no-cache", "--lang", "en")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"ptlint: error: bad.ipynb: {needle}"
    assert "m.py:2:1: PT017" in proc.stdout


def test_syntax_error_in_a_cell_is_pt000_there_and_other_cells_go_on():
    res = lint_text(notebook("import torch.nn as nn", "def f(:\n    pass", "m = nn.Softmax()"), "nb.ipynb",
                    Config(), notebook=True)
    got = [(f.cell, f.line, f.code) for f in res.findings]
    assert got == [(2, 1, "PT000"), (3, 1, "PT017")]


def test_other_languages_are_not_checked():
    res = lint_text(notebook("library(torch)\nx <- nn.Softmax()", language="R"), "r.ipynb", Config(),
                    notebook=True)
    assert res.findings == []


def test_a_cell_whose_first_line_is_indented_runs_dedented_as_in_jupyter():
    # IPython's leading_empty_lines + leading_indent cleanups: Jupyter runs this cell (code
    # pasted from inside a function), so it is no syntax error; findings keep the real columns.
    cell = "\n    import torch.nn as nn\n    m = nn.Softmax()\n    if m:\n        s = nn.Softmax()"
    res = lint_text(notebook(cell), "nb.ipynb", Config(), notebook=True)
    got = [(f.cell, f.line, f.column, f.code) for f in res.findings]
    assert got == [(1, 3, 8, "PT017"), (1, 5, 12, "PT017")]


def test_an_indented_cell_is_still_an_error_where_jupyter_rejects_it():
    # a later line indented less than the first is left as it is by IPython: IndentationError
    res = lint_text(notebook("    import torch\n  y = 2"), "nb.ipynb", Config(), notebook=True)
    assert [(f.cell, f.line, f.code) for f in res.findings] == [(1, 2, "PT000")]


def test_an_indented_cell_gets_no_fix_that_would_write_dedented_code():
    cell = "    import torch\n    t = torch.Tensor([1, 2])"
    res = lint_text(notebook(cell), "nb.ipynb", Config(), notebook=True)
    legacy = [f for f in res.findings if f.code == "PT016"]
    assert legacy and all(f.fix is None for f in legacy)
    assert lint_text(notebook("import torch\nt = torch.Tensor([1, 2])"), "nb.ipynb", Config(),
                     notebook=True).findings[0].fix is not None


# Valid IPython that masking missed (precision corpus, 2026-12): a shell escape or magic
# continued with a backslash (IPython joins the lines; peft's examples), and the %psearch
# wildcard form ``torch.*Tensor?`` (Atcold/NYU-DLSP20). Jupyter runs both.
def test_backslash_continued_shell_escape_is_one_magic():
    cell = ("! python preprocess.py --data_dir data/training \\\n"
            "                       --data_split train \\\n"
            "                       --max_len 510\n"
            "\n"
            "! python preprocess.py \\\n"
            "    --data_split test")
    assert mask_magics(cell) == "pass\n\n\n\npass\n"


def test_continued_magic_inside_a_block_keeps_the_block_parsing():
    cell = "for i in range(2):\n    !echo a \\\n        b\n    print(i)"
    assert mask_magics(cell) == "for i in range(2):\n    pass\n\n    print(i)"


def test_psearch_wildcard_is_help_not_a_syntax_error():
    assert mask_magics("# all the Tensor types\ntorch.*Tensor?") == "# all the Tensor types\npass"


def test_cells_with_them_lint_without_pt000_and_later_lines_keep_their_numbers():
    res = lint_text(notebook("import torch.nn as nn",
                             "! pip install x \\\n      --upgrade\nm = nn.Softmax()",
                             "torch.*Tensor?\nn = nn.Softmax()"),
                    "nb.ipynb", Config(), notebook=True)
    assert [(f.cell, f.line, f.code) for f in res.findings] == [(2, 3, "PT017"), (3, 2, "PT017")]


def test_a_python_line_continued_after_a_magic_line_is_still_python():
    # only the magic's own backslash continues it; an ordinary statement after it is linted
    res = lint_text(notebook("import torch.nn as nn", "!ls\nm = nn.Softmax(\n)"),
                    "nb.ipynb", Config(), notebook=True)
    assert [(f.cell, f.line, f.code) for f in res.findings] == [(2, 2, "PT017")]
