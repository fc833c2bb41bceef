"""Incremental re-analysis (rules/incremental.py): the split into top-level statements,
the names they bind and read, and, above all, that an incremental step gives exactly
what a from-scratch analysis of the new text gives, after any edit."""
import random

import pytest

from ptlint.rules import incremental as inc
from ptlint.rules.config import Config
from ptlint.rules.engine import lint_source
from ptlint.rules.source import SourceFile, SourceUnit
from ptlint.server.lsp.worker import Job, analyse

BASE = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return F.softmax(self.fc(x))


def helper(t):
    y = t.t()
    return y.view(-1)


def train(model, loader):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb.float())
        loss.backward()
        opt.step()


net = Net()
w = torch.randn(3, 4, requires_grad=True)
a = w.numpy()
x = torch.randn(2, 3)
v = x.t().view(6)
z = F.log_softmax(x, dim=1)
'''


def full(text: str):
    return lint_source(SourceFile("/tmp/inc.py", [SourceUnit(text)]), Config(), keep_context=True)


def keys(findings) -> list[tuple]:
    return sorted(inc.finding_key(f) for f in findings)


class Walker:
    """Steps through versions of a document like the language server's worker does:
    incrementally from the last clean state when possible, else in full."""

    def __init__(self, text: str) -> None:
        self.state = inc.start(text, full(text))
        assert self.state is not None
        self.steps = 0
        self.fulls = 0
        self.reasons: list[str] = []

    def to(self, text: str) -> list[tuple]:
        """Analyse ``text``; assert the incremental result equals the full one."""
        want = full(text)
        step = inc.reanalyse(self.state, text, "/tmp/inc.py", Config())
        if step is None:
            self.fulls += 1
            self.reasons.append(self.state.gave_up)
            self.state = inc.start(text, want) or self.state
        else:
            self.steps += 1
            assert keys(step.findings) == keys(want.findings), self.state.gave_up
            self.state = inc.advance(self.state, step)
        return [(f.code, f.line) for f in want.findings]


# ---------------------------------------------------------------------- split and names
def test_split_keeps_decorators_comments_and_shared_lines_together():
    text = ("import torch\n\n# about f\n@decorator\n@other(1)\ndef f():\n    return 1\n"
            "a = 1; b = 2\n\n\nclass C:\n    x = 1\n    # end of C\n\n# above g\ndef g(): pass\n# trailing\n")
    layout = inc.full_layout(text)
    spans = [(u.start, u.end) for u in layout.units]
    assert spans == [(0, 1), (1, 7), (7, 8), (8, 13), (13, 17)]
    assert layout.units[1].text.startswith("\n# about f\n@decorator")
    assert layout.units[2].names.binds == {"a", "b"}
    assert layout.units[3].text.endswith("    # end of C\n")  # the class block's own comment
    assert layout.units[4].text.endswith("# trailing\n")  # the file's last lines go to the last unit
    assert "".join(u.text for u in layout.units) == text


def test_names_are_module_level_binds_and_free_reads():
    text = ("import numpy as np\n"
            "def f(a, b=K):\n    c = a + g(b)\n    return [i for i in c if i > LIMIT]\n"
            "class M(Base):\n    size = 3\n    def m(self):\n        return size\n"
            "def setter():\n    global counter\n    counter = 1\n"
            "for k, v in items():\n    total = k\n")
    u = inc.full_layout(text).units
    assert u[0].names.is_import and u[0].names.binds == {"np"}
    assert u[1].names.binds == {"f"}
    assert {"K", "g", "LIMIT"} <= u[1].names.reads and not {"a", "c", "i"} & u[1].names.reads
    assert u[2].names.binds == {"M"}
    assert "Base" in u[2].names.reads and "size" in u[2].names.reads  # a method does not see the class body
    assert u[3].names.binds == {"setter", "counter"}  # `global` binds at module level
    assert u[4].names.binds == {"k", "v", "total"}
    dynamic = inc.full_layout("x = eval('1')\n").units[0]
    assert dynamic.names.dynamic


def test_update_layout_equals_a_fresh_split():
    rng = random.Random(7)
    text = BASE
    layout = inc.full_layout(text)
    cache: dict = {}
    compared = 0
    for _ in range(300):
        lines = text.split("\n")
        i = rng.randrange(len(lines))
        col = rng.randint(0, len(lines[i]))
        piece = rng.choice(["x", " ", "\n", "\n\n", "#", "    ", "(", ")", ":", "\ndef q():\n    pass\n"])
        lines[i] = lines[i][:col] + piece + lines[i][col:]
        new = "\n".join(lines)
        fresh = inc.full_layout(new)
        updated = inc.update_layout(layout, new, cache)
        if updated is not None:
            assert fresh is not None
            assert [(u.start, u.end, u.text) for u in updated[0].units] == \
                [(u.start, u.end, u.text) for u in fresh.units]
            compared += 1
        if fresh is not None:
            text, layout = new, fresh
    assert compared > 50


def test_slice_keeps_every_line_in_place():
    layout = inc.full_layout(BASE)
    keep = {0, 1, 2, 5}
    sliced = inc.slice_text(layout, keep)
    assert sliced.count("\n") == BASE.count("\n")
    for i in keep:
        u = layout.units[i]
        assert sliced.split("\n")[u.start:u.end] == BASE.split("\n")[u.start:u.end]


# ---------------------------------------------------------------------- equality with full
def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


SCRIPTED = [
    ("type inside a function", lambda t: _replace(t, "y.view(-1)", "y.view( -1)")),
    ("rename a function and its use", lambda t: _replace(_replace(t, "def helper(t)", "def helper2(t)"),
                                                        "v = x.t().view(6)", "v = helper2(x)")),
    ("new def", lambda t: t + "\n\ndef extra(q):\n    return q.t().view(-1)\n"),
    ("move code up", lambda t: _replace(t, "def helper2(t):", "x = torch.randn(5, 5)\n\n\ndef helper2(t):")),
    ("break the syntax", lambda t: _replace(t, "def train(model, loader):", "def train(model, loader:")),
    ("restore it", lambda t: _replace(t, "def train(model, loader:", "def train(model, loader):")),
    ("softmax gets its dim (PT010 joins it to the loss in train)",
     lambda t: _replace(t, "F.softmax(self.fc(x))", "F.softmax(self.fc(x), dim=1)")),
    ("the dim goes again", lambda t: _replace(t, "F.softmax(self.fc(x), dim=1)", "F.softmax(self.fc(x))")),
    ("the loss goes", lambda t: _replace(t, "F.cross_entropy(model(xb), yb.float())", "model(xb).sum()")),
    ("a statement inserted between two", lambda t: _replace(t, "net = Net()\n", "net = Net()\nq = 1; r = 2\n")),
    ("comment out a line in a class", lambda t: _replace(t, "        self.fc = nn.Linear(4, 3)",
                                                        "    #    self.fc = nn.Linear(4, 3)")),
    ("an indented line typed under a function", lambda t: _replace(t, "    return y.view( -1)\n",
                                                                  "    return y.view( -1)\n    print(y)\n")),
    ("a rebinding of x far from its uses", lambda t: t + "x = torch.randn(3, 2)\n"),
    ("delete the class", lambda t: t[:t.index("class Net")] + t[t.index("x = torch.randn(5, 5)"):]),
    ("everything after a point deleted", lambda t: t[:t.index("net = Net()")]),
]


def test_scripted_edits_equal_a_fresh_analysis():
    walker = Walker(BASE)
    text = BASE
    for what, edit in SCRIPTED:
        text = edit(text)
        walker.to(text)
    assert walker.steps >= len(SCRIPTED) - 3, (walker.steps, walker.fulls)


def test_an_edit_far_from_a_finding_keeps_it_at_its_moved_line():
    text = BASE
    walker = Walker(text)
    before = walker.to(text)
    text = _replace(text, "import torch.nn.functional as F\n", "import torch.nn.functional as F\n\n\n\n")
    walker.to(text)  # a changed import: analysed in full
    text = _replace(text, "class Net(nn.Module):", "# a model\nclass Net(nn.Module):")
    after = walker.to(text)
    assert walker.steps >= 1
    assert [line for _, line in after] == [line + 4 for _, line in before]


def test_import_edits_and_dynamic_access_fall_back_to_a_full_analysis():
    state = inc.start(BASE, full(BASE))
    assert inc.reanalyse(state, _replace(BASE, "import torch\n", "import torch as T\nimport torch\n"),
                         "/tmp/inc.py", Config()) is None
    assert inc.reanalyse(state, BASE + "g = globals()\n", "/tmp/inc.py", Config()) is None
    assert inc.reanalyse(state, BASE + "# ptlint: disable-file\n", "/tmp/inc.py", Config()) is None
    assert inc.reanalyse(state, _replace(BASE, "x = torch.randn(2, 3)", "F = 1\nx = torch.randn(2, 3)"),
                         "/tmp/inc.py", Config()) is None  # rebinding an imported name


STATEMENTS = [
    "y = x.t()\n", "y = y.view(-1)\n", "x = torch.randn(4, 4)\n", "p = F.softmax(x)\n",
    "def h(q):\n    return q.t().view(-1)\n", "h(x)\n", "n = w.numpy()\n", "w.add_(1)\n",
    "class Tiny(nn.Module):\n    def forward(self, q):\n        return F.softmax(q)\n", "m = Tiny()\n",
    "loss = F.cross_entropy(m(x), x)\n", "del y\n",
]


@pytest.mark.parametrize("seed", [11, 12])
def test_random_statement_edits_equal_a_fresh_analysis(seed):
    """Whole statements inserted, deleted, moved and retyped (valid text most of the time,
    so that the incremental path runs), plus character edits that break and restore it."""
    rng = random.Random(seed)
    text = BASE
    walker = Walker(text)
    for _ in range(25):
        layout = inc.full_layout(text)
        units = layout.units if layout is not None else []
        starts = [u.start for u in units] + [len(text.split("\n")) - 1]
        lines = text.split("\n")
        kind = rng.random()
        at = rng.choice(starts)
        if kind < 0.35:
            lines[at:at] = rng.choice(STATEMENTS).rstrip("\n").split("\n")
        elif kind < 0.55 and len(units) > 4:
            u = rng.choice(units[3:])
            del lines[u.start:u.end]
        elif kind < 0.7 and len(units) > 4:
            u = rng.choice(units[3:])
            moved = lines[u.start:u.end]
            del lines[u.start:u.end]
            to = rng.choice([k for k in starts if k >= 3 and k <= len(lines)] or [len(lines)])
            lines[to:to] = moved
        else:
            i = rng.randrange(len(lines))
            col = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:col] + rng.choice(["x", " ", "(", ".t()", ", dim=1", "y"]) + lines[i][col:]
        before, text = text, "\n".join(lines)
        walker.to(text)
        if inc.full_layout(text) is None:  # broken: restored by the next edit
            text = before
            walker.to(text)
    assert walker.steps >= 10, (walker.steps, walker.reasons)


def test_self_check_reports_agreement():
    assert inc.self_check(BASE, _replace(BASE, "y.view(-1)", "y.reshape(-1)")) is None


# ---------------------------------------------------------------------- the LSP worker
def test_worker_analyses_the_next_version_incrementally_with_the_same_answers():
    uri = "file:///tmp/inc_worker.py"
    first = analyse(Job(uri, 1, 0, "/tmp/inc_worker.py", "python", Config(), text=BASE))
    assert not first.incremental
    edited = _replace(BASE, "y.view(-1)", "y.view( -1)") + "\n\nlate = Net()(torch.randn(2, 4))\n"
    second = analyse(Job(uri, 2, 0, "/tmp/inc_worker.py", "python", Config(), text=edited))
    fresh = analyse(Job("file:///tmp/other.py", 1, 0, "/tmp/inc_worker.py", "python", Config(), text=edited))
    assert second.incremental and not fresh.incremental
    assert keys(second.findings) == keys(fresh.findings)
    assert sorted(map(repr, second.shapes)) == sorted(map(repr, fresh.shapes))
    assert second.shapes  # the shape facts (hover, inlay hints) came through too
    # other settings: never mixed with the remembered analysis
    third = analyse(Job(uri, 3, 1, "/tmp/inc_worker.py", "python", Config(), text=edited + "b = 1\n"))
    assert not third.incremental


def test_process_worker_sends_shape_facts_as_a_delta_that_rebuilds_the_same_list():
    from ptlint.server.lsp.worker import CancelToken, ProcessBackend, ShapeDelta

    uri = "file:///tmp/inc_process.py"
    edited = _replace(BASE, "y.view(-1)", "y.view( -1)")
    backend = ProcessBackend()
    try:
        first = backend.call(Job(uri, 1, 0, "/tmp/inc_process.py", "python", Config(), text=BASE), CancelToken())
        second = backend.call(Job(uri, 2, 0, "/tmp/inc_process.py", "python", Config(), text=edited), CancelToken())
    finally:
        backend.close()
    fresh = analyse(Job("file:///tmp/inc_fresh.py", 1, 0, "/tmp/inc_process.py", "python", Config(), text=edited))
    assert first.shapes and first.crash is None and second.crash is None
    assert second.incremental and not isinstance(second.shapes, ShapeDelta)
    assert sorted(map(repr, second.shapes)) == sorted(map(repr, fresh.shapes))
    assert keys(second.findings) == keys(fresh.findings)
    # the facts the edit did not touch were not sent again: they are the first snapshot's
    reused = {id(f) for f in first.shapes} & {id(f) for f in second.shapes}
    assert len(reused) > len(second.shapes) // 2
