"""Findings on the 15 projects of round 53 (bench/precision/manifest.toml), reduced to their
patterns.

Round 53 was course homework (UIUC IE534, CMU 11-785, SUTD, UW, NCTU, two Chinese
universities), Chinese learner notes (d2l re-implementations, learn_pytorch), two Kaggle
Bengali.AI solutions and two research repos (CTC speech, DLA segmentation): 491 files, linted
with this stop's final tree. It gave 41 analysis findings: 38 true (PT017 ×16, PT006 ×7,
PT004 ×3, PT018 ×3, PT001 ×2, PT003 ×2, PT015 ×2, PT005, PT010, PT012) and 3 false (PT020).

False, fixed after the round was scored (the must-not-flag test passes beside its must-flag
twin):
- jianli-Alex's d2l notes (×2): ``vocab = list(set(corpus_chars))`` then ``if sort:
  vocab.sort()``, with ``sort=True`` the default every caller keeps. A list sorted in place on
  some path may well have a fixed order: PT020 now stays silent.

False, not fixed:
- yflfly's BERT script: ``word_list = list(set(" ".join(sentences).split()))`` numbered with
  ``enumerate``. The ids do change from run to run, but the script saves nothing and is
  unseeded anyway, so the message's consequence (saved embeddings that no longer match) does
  not arise. Whether the rule should ask for a save is a question of its scope, left open."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rulecheck import line_of, lines

pytest.importorskip("torch")  # the programs import it, as the notes' code does

VOCAB = """import torch


def load(chars, sort=True):
    vocab = list(set(chars))
{SORT}
    return {c: i for i, c in enumerate(vocab)}


print(load("深度学习很有意思"))
"""


def _two_runs(src):
    """The program's output under two different string hash seeds."""
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", src], env=env, capture_output=True, text=True, check=True).stdout)
    return outs


def test_a_vocabulary_sorted_in_place_on_the_callers_path_is_not_flagged():
    src = VOCAB.replace("{SORT}", "    if sort:\n        vocab.sort()")
    assert len(_two_runs(src)) == 1  # the same ids in every run
    assert lines(src, "PT020") == []


def test_an_unsorted_vocabulary_is_flagged():
    src = VOCAB.replace("{SORT}", "    pass")
    assert len(_two_runs(src)) == 2  # ids depend on the hash seed
    assert lines(src, "PT020") == [line_of(src, "vocab = list(set(chars))")]
