"""Findings on the seven projects added to bench/precision/manifest.toml in round 22, reduced to
their patterns.

Round 22 gave one analysis finding on code the rules had never seen, and it is true: the
shared-memory demo of rasbt/LLMs-from-scratch (appendix A, code-part1.ipynb, cells 11–13) makes
``tensor3d_2 = torch.tensor(ary3d)`` (a copy) and ``tensor3d_3 = torch.from_numpy(ary3d)``
(shares memory), writes ``ary3d[0, 0, 0] = 999`` and prints both. PT004 reports the write because
``tensor3d_3`` is read afterwards, and stays quiet about the copy. No false positive and no real
bug came out of this round, so there is no xfail here; these two tests keep that finding and its
silent twin as they are."""
from __future__ import annotations

from rulecheck import line_of, lines


SHARED = """import numpy as np
import torch

ary3d = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
tensor3d = {MAKE}(ary3d)
ary3d[0, 0, 0] = 999
print(tensor3d)
"""


def test_write_to_an_array_shared_with_a_from_numpy_tensor_read_later_is_flagged():
    src = SHARED.replace("{MAKE}", "torch.from_numpy")
    assert lines(src, "PT004") == [line_of(src, "ary3d[0, 0, 0] = 999")]


def test_write_to_an_array_copied_by_torch_tensor_is_not_flagged():
    # torch.tensor(ndarray) copies: tensor3d keeps 1 (verified with torch 2.13).
    assert lines(SHARED.replace("{MAKE}", "torch.tensor"), "PT004") == []
