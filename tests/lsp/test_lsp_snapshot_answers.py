"""Hover, inlay hints and quick fixes answer at once from the last analysis while the
new one runs, with positions mapped through the edits made since; the mapping itself is
checked against random edits."""
import random
import time

import pytest
from lsprotocol import types

from ptlint.server.lsp.snapview import Change, View, text_extent

from .conftest import PLUGIN_SERVER, lsp_session


TEXT = """import torch
import torch.nn as nn
import torch.nn.functional as F

seq = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
out = seq(torch.randn(1, 3, 10, 10))


def f(x):
    return F.softmax(x)
"""


@pytest.mark.asyncio(loop_scope="module")
async def test_answers_come_from_the_last_analysis_while_a_new_one_hangs(tmp_path):
    """The new version's analysis never finishes (a rule that hangs): hover, inlay hints
    and the quick fix still answer at once, at the positions the edits moved them to."""
    async with lsp_session("vscode", server=PLUGIN_SERVER, env={"PTLINT_LSP_ANALYSIS_TIMEOUT": "60"}) as s:
        uri = (tmp_path / "m.py").as_uri()
        s.open(uri, TEXT)
        (d,) = await s.diagnostics(uri)
        assert d.code == "PT017" and d.range.start.line == 9
        hints = [(h.position.line, h.label) for h in await s.inlay(uri)]
        assert hints == [(4, ": (1, 8, 8, 8)"), (4, ": (1, 8, 8, 8)")]
        # Two lines above everything, one of which makes the next analysis hang, and a
        # statement typed on the softmax line before the call.
        s.edit(uri, types.Range(types.Position(3, 0), types.Position(3, 0)), "hang_worker()\n# note\n")
        s.edit(uri, types.Range(types.Position(11, 4), types.Position(11, 4)), "y = 1; ")
        assert s.texts[uri].splitlines()[11] == "    y = 1; return F.softmax(x)"
        t0 = time.monotonic()
        hover = await s.hover(uri, s.pos(uri, 11, "softmax"))
        assert hover is not None and hover.contents.value.startswith("**PT017")
        assert hover.range == types.Range(s.pos(uri, 11, "F.softmax"), s.pos(uri, 11, "F.softmax(x)", 12))
        hints = [(h.position.line, h.label) for h in await s.inlay(uri)]
        assert hints == [(6, ": (1, 8, 8, 8)"), (6, ": (1, 8, 8, 8)")]
        rng = types.Range(s.pos(uri, 11, "F.softmax"), s.pos(uri, 11, "F.softmax"))
        fixes = [a for a in await s.actions(uri, rng) if a.edit and "dim" in a.title]
        assert fixes
        s.apply(fixes[0].edit)
        assert "F.softmax(x, dim=-1)" in s.texts[uri].splitlines()[11]
        # None of it waited for the hung analysis (which would take 30 s).
        assert time.monotonic() - t0 < 20


def positions(text):
    out, line, col = [], 0, 0
    for ch in text:
        out.append((line, col))
        line, col = (line + 1, 0) if ch == "\n" else (line, col + 1)
    return out


def test_mapping_through_random_edits_matches_the_text():
    """Every character that survives random edits is found again: mapping its new
    position back gives its old one, and mapping the old one forward gives the new."""
    rng = random.Random(11)
    for _ in range(300):
        old = "\n".join("".join(rng.choice("ab c") for _ in range(rng.randint(0, 6)))
                        for _ in range(rng.randint(1, 6)))
        text, origin, changes = old, positions(old), []
        for _ in range(rng.randint(1, 5)):
            where = positions(text) + [positions(text + "!")[-1]]
            start_off = rng.randrange(len(where))
            end_off = rng.randint(start_off, min(len(where) - 1, start_off + rng.randint(0, 8)))
            new = rng.choice(["", "x", "\n", "yy\nz", "q\n", "ab"])
            changes.append(Change(where[start_off], where[end_off], text_extent(where[start_off], new, "utf-16")))
            text = text[:start_off] + new + text[end_off:]
            origin = origin[:start_off] + [None] * len(new) + origin[end_off:]
        view = View(None, None, changes, False)
        for now, was in zip(positions(text), origin):
            if was is None:
                continue
            back = view.to_old(types.Position(*now))
            assert back is not None and (back.line, back.character) == was, (old, text, changes)
            fwd = view.to_new(types.Position(*was))
            assert fwd is not None and (fwd.line, fwd.character) == now, (old, text, changes)
