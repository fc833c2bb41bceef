"""After any sequence of edits — sent as fast as a client can, across several top-level
statements, breaking and restoring the syntax — the diagnostics the server publishes
for a version equal a from-scratch analysis of that version's text."""
import random

import pytest
from lsprotocol import types

from ptlint.rules.config import Config
from ptlint.server.lsp.worker import Job, analyse

from .conftest import lines_of, lsp_session

pytestmark = pytest.mark.asyncio(loop_scope="module")

START = '''import torch
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


x = torch.randn(2, 3)
z = F.log_softmax(x, dim=1)
'''

PIECES = ["x", " ", "(", ")", ":", "\n", ", dim=1", "#", ".t()", "    ", "F.softmax(x)", "\n\n"]


def from_scratch(text: str) -> list[tuple]:
    snap = analyse(Job("file:///r.py", 1, 0, "/tmp/r.py", "python", Config(), text=text))
    out = [(f.code, f.range.start.line - 1, f.range.start.column, f.range.end.line - 1, f.range.end.column)
           for f in snap.findings]
    if snap.error:
        out.append(("error", snap.error))
    return sorted(out)


def published(diags) -> list[tuple]:
    return sorted((d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
                  for d in diags)


async def test_300_random_edits_end_where_a_fresh_analysis_ends(tmp_path):
    rng = random.Random(20240)
    async with lsp_session("vscode") as s:
        uri = (tmp_path / "random.py").as_uri()
        s.open(uri, START)
        broke = 0
        for i in range(1, 301):
            text = s.texts[uri]
            lines = lines_of(text)
            line = rng.randrange(len(lines))
            col = rng.randint(0, len(lines[line]))
            if rng.random() < 0.6 or not text:
                s.edit(uri, types.Range(types.Position(line, col), types.Position(line, col)), rng.choice(PIECES))
            else:
                end = min(col + rng.randint(1, 6), len(lines[line]))
                s.edit(uri, types.Range(types.Position(line, col), types.Position(line, end)), "")
            if i % 60 == 0:
                diags = await s.diagnostics(uri)
                expected = from_scratch(s.texts[uri])
                broke += any(c[0] == "PT000" for c in expected)
                assert published(diags) == expected, f"after edit {i}"
            if i % 100 == 0:  # restore the text now and then: back to findings that parse
                s.change(uri, START)
        diags = await s.diagnostics(uri)
        assert published(diags) == from_scratch(s.texts[uri])
        assert broke, "the random edits never broke the syntax: the test would prove less"


STATEMENTS = ["y = x.t()\n", "v = y.view(-1)\n", "x = torch.randn(4, 4)\n", "p = F.softmax(x)\n",
              "def h(q):\n    return q.t().view(-1)\n", "h(x)\n", "m = Net()\n", "out = m(x)\n", "del y\n",
              "loss = F.cross_entropy(p, x)\n"]


def starts_of_syntax_errors(found: list[tuple]) -> list[tuple]:
    """A syntax error at the end of a line ends there on screen (the server keeps ranges
    inside the line), one past it in the engine: compared by where it starts. Syntax
    errors always come from a full analysis, never from an incremental one."""
    return sorted(f[:3] if f[0] == "PT000" else f for f in found)


async def test_300_statement_edits_that_keep_the_syntax_end_where_a_fresh_analysis_ends(tmp_path):
    """Whole statements typed in between the others, deleted and retyped (the text stays
    valid most of the time, so the server re-analyses incrementally), with a character
    typed into a random line now and then."""
    from ptlint.rules.incremental import full_layout

    rng = random.Random(20241)
    async with lsp_session("vscode") as s:
        uri = (tmp_path / "statements.py").as_uri()
        s.open(uri, START)
        good = START
        for i in range(1, 301):
            text = s.texts[uri]
            lines = lines_of(text)
            layout = full_layout(text)
            if layout is not None:
                good = text
            starts = [u.start for u in layout.units[3:]] if layout is not None else []
            kind = rng.random()
            if layout is None and kind < 0.5:
                s.change(uri, good)  # the broken syntax is restored
            elif starts and kind < 0.5:
                at = rng.choice(starts + [len(lines)])
                s.edit(uri, types.Range(types.Position(at, 0), types.Position(at, 0)), rng.choice(STATEMENTS))
            elif starts and kind < 0.75:
                u = rng.choice(layout.units[3:])
                s.edit(uri, types.Range(types.Position(u.start, 0), types.Position(u.end, 0)), "")
            else:
                line = rng.randrange(len(lines))
                col = rng.randint(0, len(lines[line]))
                s.edit(uri, types.Range(types.Position(line, col), types.Position(line, col)), rng.choice(PIECES))
            if i % 30 == 0:
                diags = await s.diagnostics(uri)
                assert starts_of_syntax_errors(published(diags)) == \
                    starts_of_syntax_errors(from_scratch(s.texts[uri])), f"after edit {i}"
            if i % 100 == 0:
                s.change(uri, START)
        diags = await s.diagnostics(uri)
        assert starts_of_syntax_errors(published(diags)) == starts_of_syntax_errors(from_scratch(s.texts[uri]))
