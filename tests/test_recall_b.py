"""Recall of PT018, PT020, PT022–PT025 on the bug patterns of issue 13, each written from
real posted code: the rule flags the pattern, stays silent on its correct twin, and the
behaviour the finding claims is checked against torch / Python themselves."""
import os
import subprocess
import sys
import warnings

import pytest

from ptlint.rules import Config, lint_text

torch = pytest.importorskip("torch")


def lint(src, code):
    res = lint_text(src, "t.py", Config(select=(code,)))
    assert not res.rule_errors, res.rule_errors
    return res.findings


def lines(src, code):
    return [f.line for f in lint(src, code)]


def run(src, **env):
    return subprocess.run([sys.executable, "-c", src], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


# ---------------------------------------------------------------- PT022
STACKED_EMBEDDINGS = """import torch
import torch.nn as nn
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_emb = nn.Embedding(100, 16)
        self.pos_emb = nn.Embedding(100, 16)
    def forward(self, x):
        e = self.word_emb(x)
        return e + self.pos_emb(e)
"""


def test_pt022_an_embedding_fed_another_embeddings_output_raises():
    found = lint(STACKED_EMBEDDINGS, "PT022")
    assert [f.line for f in found] == [10]
    assert "self.word_emb" in found[0].message_en and found[0].fix is None
    assert {r.range.start.line for r in found[0].related} == {6, 9}
    ns = {}
    exec(STACKED_EMBEDDINGS, ns)
    with pytest.raises(RuntimeError, match="Long, Int"):
        ns["Encoder"]()(torch.tensor([[1, 2, 3]]))


def test_pt022_the_ids_of_the_first_embedding_are_fine():
    ok = STACKED_EMBEDDINGS.replace("self.pos_emb(e)", "self.pos_emb(x)")
    assert lines(ok, "PT022") == []
    ns = {}
    exec(ok, ns)
    assert ns["Encoder"]()(torch.tensor([[1, 2, 3]])).shape == (1, 3, 16)
