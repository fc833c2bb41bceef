"""Findings on the eight projects added to bench/precision/manifest.toml in round 41, reduced to
their patterns.

Round 41 (Chinese learner code: tianmaoyu's pytorch-learning, BaiSongt's pytorch_learn,
goodboyyes2009's Pytorch_Study; English course and tutorial code: fastai's course22p2 notebooks,
Anikhet's pytorch-tutorial; research code: Megvii's YOLOX, tomgoldstein's loss-landscape;
library: a slice of OpenNMT-py; 617 files) gave 18 analysis findings on code the rules had never
seen: 15 true (loss-landscape's MSE branch never clears its gradients, PT005 ×3, PT012 ×3,
PT017 ×3, PT026 ×2, PT001, PT006, PT013), 3 false (PT003, PT002 ×2).

False (fixed after the round was scored; each must-not-flag test passes beside its must-flag twin):
- goodboyyes cnn/text_cnn.py:119 (PT003, with a PT005 twin in the reduced pattern):
  ``features, labels = zip(*batch)``: the flow read ``zip(*batch)`` as ``zip()`` of nothing, so
  both names were empty and ``torch.tensor(labels)`` a float32 (0,). A builtin given ``*args``
  is now unknown.
- OpenNMT-py onmt/tests/test_copy_generator.py:75 and test_embeddings.py:153 (PT002): each
  iteration builds a new model and a new optimizer over its trainable parameters
  (``{n: p for n, p in cgen.named_parameters() if p.requires_grad}``), one backward, one step:
  nothing accumulates. Such a loop is no longer reported; a model built before the loop still is."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

ZIP = """import torch
import torch.nn as nn

model = nn.Linear(2, 3)
batch = [([0.5, 0.1], 1), ([0.2, 0.9], 0)]
features, labels = zip(*batch)
logits = model(torch.tensor(features))
loss = nn.CrossEntropyLoss()(logits, torch.tensor({LABELS}))
"""


def test_names_unpacked_from_zip_star_are_not_empty_float_tensors():
    batch = [([0.5, 0.1], 1), ([0.2, 0.9], 0)]
    features, labels = zip(*batch)
    assert torch.tensor(labels).dtype == torch.int64 and tuple(torch.tensor(features).shape) == (2, 2)
    src = ZIP.replace("{LABELS}", "labels")
    assert lines(src, "PT003") == [] and lines(src, "PT005") == []


def test_a_float_target_written_out_is_still_flagged():
    src = ZIP.replace("{LABELS}", "[1.0, 0.0]")
    assert lines(src, "PT003") == [line_of(src, "loss = nn.CrossEntropyLoss()")]


FRESH = """import torch
import torch.nn as nn

{BEFORE}for seed in range(3):
    torch.manual_seed(seed)
    {INSIDE}loss = model(torch.randn(8, 4)).sum()
    loss.backward()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    opt.step()
"""


def test_a_new_model_and_optimizer_every_iteration_is_not_flagged():
    for seed in range(2):
        model = torch.nn.Linear(4, 2)
        assert model.weight.grad is None  # new parameters: nothing from the last iteration
        model(torch.randn(8, 4)).sum().backward()
    assert lines(FRESH.replace("{BEFORE}", "").replace("{INSIDE}", "model = nn.Linear(4, 2)\n    "), "PT002") == []


def test_a_model_built_once_before_the_loop_is_flagged():
    src = FRESH.replace("{BEFORE}", "model = nn.Linear(4, 2)\n").replace("{INSIDE}", "")
    assert lines(src, "PT002") == [line_of(src, "opt.step()")]


TRAINABLE = """import torch
import torch.nn as nn

{BEFORE}for case in range(3):
    {INSIDE}trainable = {n: p for n, p in cgen.named_parameters() if p.requires_grad}
    cgen(torch.randn(2, 4)).sum().backward()
    dummy_optim = torch.optim.SGD(trainable.values(), 1)
    dummy_optim.step()
"""


def test_a_fresh_models_trainable_parameters_each_iteration_are_not_flagged():
    src = TRAINABLE.replace("{BEFORE}", "").replace("{INSIDE}", "cgen = nn.Linear(4, 2)\n    ")
    assert lines(src, "PT002") == []


def test_the_same_parameters_of_a_model_built_before_the_loop_are_flagged():
    src = TRAINABLE.replace("{BEFORE}", "cgen = nn.Linear(4, 2)\n").replace("{INSIDE}", "")
    assert lines(src, "PT002") == [line_of(src, "dummy_optim.step()")]


def test_a_list_of_an_outside_models_parameters_made_in_the_loop_is_flagged():
    src = FRESH.replace("{BEFORE}", "model = nn.Linear(4, 2)\n").replace("{INSIDE}", "params = list(model.parameters())\n    ")
    src = src.replace("torch.optim.SGD(model.parameters(), lr=1.0)", "torch.optim.SGD(params, lr=1.0)")
    assert lines(src, "PT002") == [line_of(src, "opt.step()")]


def test_a_list_of_a_fresh_models_parameters_is_not_flagged():
    src = FRESH.replace("{BEFORE}", "").replace("{INSIDE}", "model = nn.Linear(4, 2)\n    params = list(model.parameters())\n    ")
    src = src.replace("torch.optim.SGD(model.parameters(), lr=1.0)", "torch.optim.SGD(params, lr=1.0)")
    assert lines(src, "PT002") == []
