"""The engine's promises as the CLI shows them: a broken rule is contained, syntax
errors are findings at CPython's place, files that never mention torch are skipped."""
import ast
import json
from pathlib import Path

import libcst as cst
import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.findings import Severity
from ptlint.rules.rule import REGISTRY, Docs, Message, Rule, all_rules
from ptlint.server import cli

BUGGY = "import torch.nn as nn\nlayer = nn.Softmax()\ndrop = nn.Dropout(50)\n"


@pytest.fixture
def broken_rule():
    all_rules()
    before = set(REGISTRY)

    class Explodes(Rule):
        code = "PT993"
        name = "test-explodes"
        severity = Severity.WARNING
        message = Message(zh="测试", en="test")
        docs = Docs(zh="", en="")

        def visit_Call(self, node: cst.Call) -> None:
            raise RuntimeError("boom")

    yield
    for code in set(REGISTRY) - before:
        del REGISTRY[code]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_rule_that_raises_is_contained(broken_rule, monkeypatch, capsys, tmp_path, jobs):
    n = 1 if jobs == "1" else 10  # enough files for the process pool
    for i in range(n):
        (tmp_path / f"m{i}.py").write_text(BUGGY + ("# " + "pad " * 60 + "\n") * 120)
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["check", ".", "--no-cache", "--format", "json", "--jobs", jobs])
    out, err = capsys.readouterr()
    assert rc == 2
    codes = [f["code"] for f in json.loads(out)]
    assert codes == ["PT017", "PT027"] * n  # the other rules' findings still come out
    lines = err.strip().splitlines()
    assert len(lines) == n
    assert lines[0] == ("ptlint: internal error: m0.py: rule PT993 failed: RuntimeError: boom "
                        "(the other rules' findings are shown)")


def test_rule_errors_are_not_cached(broken_rule, monkeypatch, capsys, tmp_path):
    (tmp_path / "m.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert cli.main(["check", "m.py"]) == 2
        assert "rule PT993 failed" in capsys.readouterr().err


@pytest.mark.parametrize("src", [
    "import torch\ndef f(:\n    pass\n",
    "import torch\nx = torch.zeros(3\ny = 1\n",
    "import torch\nclass Net(torch.nn.Module)\n    pass\n",
    "import torch\nif True:\n  x = 1\n    y = 2\n",
    "import torch\nprint 'hi'\n",
])
def test_syntax_error_is_reported_where_cpython_reports_it(src):
    with pytest.raises(SyntaxError) as exc:
        ast.parse(src)
    res = lint_text(src, "m.py", Config())
    assert [f.code for f in res.findings] == ["PT000"]
    f = res.findings[0]
    assert (f.line, f.column) == (exc.value.lineno, exc.value.offset - 1)
    assert f.message_en == f"syntax error: {exc.value.msg}"


def test_files_that_never_mention_torch_are_skipped():
    res = lint_text("import numpy as np\ndef f(:\n", "m.py", Config())
    assert res.skipped and res.findings == []
    assert not lint_text(BUGGY, "m.py", Config()).skipped


def test_warm_cache_run_does_not_import_the_parser(tmp_path):
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(BUGGY)
    code = ("import sys\nfrom ptlint.server import cli\nrc = cli.main(['check', 'm.py', '--format', 'json'])\n"
            "print('LIBCST', 'libcst' in sys.modules, file=sys.stderr)\n")
    cold = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    warm = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert "LIBCST True" in cold.stderr and "LIBCST False" in warm.stderr, warm.stderr
    assert json.loads(cold.stdout) == json.loads(warm.stdout) != []


RICH = '''
import torch
from torch import nn as _nn, optim
@torch.no_grad()
async def f[T](a: int, /, b=1, *args, c: "x" = 2, **kw) -> list[T]:
    global g
    x = [i ** 2 for i in range(3) if i] + list({k: v for k, v in kw.items()})
    y = (lambda q, *, r=1: q + r)(1)
    z = f"{x!r:>{b}} {y=} {{}}" + 'a' 'cat'
    async with a as (m, n), b:
        async for i in a:
            await i
    try:
        pass
    except* ValueError as e:
        raise RuntimeError("x") from e
    finally:
        del x[1:2, ::3], y
    match a:
        case {"k": [1, *rest]} | Point(x=0) if rest:
            return
        case _:
            pass
    if (w := 3) > 2 and not b or c is not None:
        a @= b; a <<= 1
    while True:
        break
    else:
        yield from x
    return [*x, *y]
class C(nn.Module, metaclass=M):
    x: int = 1; y = ...
    def __init__(self): super().__init__(); self.t = torch.tensor(1.0)[None, ..., 0]
'''


def test_fast_walk_visits_children_in_libcsts_order():
    from ptlint.rules.engine import iter_children

    def check(node):
        assert iter_children(node) == list(node.children) and all(
            a is b for a, b in zip(iter_children(node), node.children)), type(node).__name__
        for child in node.children:
            check(child)

    sources = [RICH] + [src for rule in all_rules().values() for src in rule.must_flag + rule.must_not_flag
                        if not src.lstrip().startswith("{")]
    sources += [p.read_text() for p in (Path(__file__).resolve().parent.parent / "examples").glob("*.py")]
    for src in sources:
        try:
            module = cst.parse_module(src)
        except cst.ParserSyntaxError:
            continue
        check(module)


def test_one_problem_one_finding_when_a_rule_supersedes_another():
    """Float indices into nn.Embedding: the shape engine (PT005) and the dtype rule
    (PT022) see the same call; only PT022, which says it in dtype terms, is reported.
    PT005 still reports it where PT022 is switched off."""
    from ptlint.rules import Config, lint_text

    src = ("import torch\nimport torch.nn as nn\nemb = nn.Embedding(10, 4)\n"
           "ids = torch.Tensor([1, 2, 3])\nout = emb(ids)\n")
    both = lint_text(src, "m.py", Config(select=("PT005", "PT022")))
    assert [(f.code, f.line) for f in both.findings] == [("PT022", 5)]
    alone = lint_text(src, "m.py", Config(select=("PT005",)))
    assert [(f.code, f.line) for f in alone.findings] == [("PT005", 5)]
