"""Findings on the eight projects added to bench/precision/manifest.toml in round 35, reduced to
their patterns.

Round 35 (Chinese learner code: TingsongYu's PyTorch-Tutorial-2nd, datawhalechina's joyrl-book;
English course material: yandexdataschool's Practical_RL, DTU's 02456 deep learning notebooks;
research code: facebookresearch/pycls, Stability-AI/generative-models; libraries: slices of
XPixelGroup/BasicSR and asteroid; 502 files) gave 9 analysis findings on code the rules had
never seen: 7 true (PT013, PT014, PT015, PT004 ×2, PT006 ×2: the DTU GAN discriminator on
28×28 drops a row and a column at two layers), 2 false (PT005).

False (fixed after the round was scored; the must-not-flag test passes beside its must-flag twin):
- PyTorch-Tutorial-2nd DDPM/Diffusion/Model.py:26 and DiffusionFreeGuidence/ModelCondition.py:35:
  ``torch.arange(0, d_model, step=2)`` was read without its ``step=`` keyword (both interpreters
  read arange's bounds positionally only), so the time embedding looked twice as wide and its
  ``view(T, d_model)`` looked wrong. ``rules/shape_arith.arange_bounds`` now binds arange's
  bounds as torch's overloads do, keywords included, for both."""
from __future__ import annotations

import math

import pytest

from rulecheck import line_of, lines

from ptlint.rules.shape_arith import arange_bounds

torch = pytest.importorskip("torch")

TIME_EMBEDDING = """import math
import torch
import torch.nn as nn


class TimeEmbedding(nn.Module):
    def __init__(self, T, d_model, dim):
        super().__init__()
        emb = torch.arange(0, d_model{STEP}) / d_model * math.log(10000)
        emb = torch.exp(-emb)
        pos = torch.arange(T).float()
        emb = pos[:, None] * emb[None, :]
        emb = torch.stack([torch.sin(emb), torch.cos(emb)], dim=-1)
        emb = emb.view(T, d_model)
        self.emb = nn.Embedding.from_pretrained(emb)


te = TimeEmbedding(1000, 128, 512)
"""


def torch_embedding(T, d_model, step):
    emb = torch.exp(-(torch.arange(0, d_model, step=step) / d_model * math.log(10000)))
    emb = torch.arange(T).float()[:, None] * emb[None, :]
    return torch.stack([torch.sin(emb), torch.cos(emb)], dim=-1)


def test_the_step_keyword_of_arange_counts():
    assert tuple(torch_embedding(1000, 128, 2).view(1000, 128).shape) == (1000, 128)
    assert lines(TIME_EMBEDDING.replace("{STEP}", ", step=2"), "PT005") == []


def test_the_same_embedding_without_the_step_is_flagged():
    with pytest.raises(RuntimeError):
        torch_embedding(1000, 128, 1).view(1000, 128)
    src = TIME_EMBEDDING.replace("{STEP}", "")
    assert lines(src, "PT005") == [line_of(src, "emb = emb.view(T, d_model)")]


@pytest.mark.parametrize("pos, kw", [
    ((0, 128), {"step": 2}), ((5,), {"end": 10}), ((), {"end": 7}), ((), {"start": 1, "end": 10, "step": 2}),
    ((0, 1), {"step": 0.25}), ((5,), {"step": 2}), ((), {"end": 10, "step": 2}), ((10,), {"start": 0}),
    ((3,), {}), ((1, 9, 2), {}),
])
def test_arange_bounds_bind_as_torch_binds_them(pos, kw):
    try:
        expected = len(torch.arange(*pos, **kw))
    except TypeError:
        expected = None
    bounds = arange_bounds(pos, kw)
    if expected is None:
        assert bounds is None
    else:
        start, end, step = (0, bounds[0], 1) if len(bounds) == 1 else (*bounds[:2], bounds[2] if len(bounds) == 3 else 1)
        assert max(0, math.ceil((end - start) / step)) == expected
