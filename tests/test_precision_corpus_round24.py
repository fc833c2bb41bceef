"""Findings on the eight projects added to bench/precision/manifest.toml in round 24, reduced to
their patterns.

Round 24 (530 files, 111K lines: Datawhale happy-llm and learn-nlp-with-transformers,
bubbliiiing faster-rcnn-pytorch, the UvA deep-learning notebooks, taming-transformers,
score_sde_pytorch, DeiT, and PyG's nn package with its examples) gave four analysis findings on
code the rules had never seen: three true, one false.

True (each kept as a must-flag test with its silent twin):
- phlippe/uvadlc_notebooks tutorial 2 (and its exercise copy): ``x = torch.Tensor(2, 3, 4)``
  then ``print(x)`` (PT015; the notebook's next cell says the constructor "reuses any values
  that have already been in the memory").
- phlippe/uvadlc_notebooks DL2 sampling/graphs (NRI's ``my_softmax``): ``F.softmax(trans_input)``
  without ``dim`` after moving the wanted axis to 0 (PT017; deprecated, warns on every call, and
  right only because the input is 3-D).

False, fixed after this round was scored (the must-not-flag tests below, with must-flag twins):
- pyg-team/pytorch_geometric examples/multi_gpu/pcqm4m_ogb.py:
  ``self.virtualnode_embedding(torch.zeros(n).to(edge_index.dtype))`` (PT005: the shape
  interpreter takes an unknown positional ``.to()`` argument for a device, so the indices stay
  float32; ``edge_index`` is int64 and torch 2.13 runs this). Now only an argument that names a
  device (``x.device``, ``device``, ``'cuda'``, ``0``, ``torch.device(...)``) keeps the dtype;
  ``.to(<something>.dtype)`` or ``.to(<a tensor we cannot see>)`` makes it unknown."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines


# --- PT015: torch.Tensor(sizes) allocates uninitialised memory ------------------------------

SIZED_TENSOR = """import torch

x = torch.Tensor(2, 3, 4)
{WRITE}print(x)
"""


def test_printing_a_sized_torch_tensor_before_any_write_is_flagged():
    src = SIZED_TENSOR.replace("{WRITE}", "")
    assert lines(src, "PT015") == [line_of(src, "print(x)")]


def test_printing_a_sized_torch_tensor_after_filling_it_is_not_flagged():
    assert lines(SIZED_TENSOR.replace("{WRITE}", "x.uniform_()\n"), "PT015") == []


def test_torch_tensor_from_a_nested_list_is_initialised():
    # The notebook's next example: torch.Tensor([[1, 2], [3, 4]]) copies the list.
    assert lines("import torch\nx = torch.Tensor([[1, 2], [3, 4]])\nprint(x)\n", "PT015") == []


# --- PT017: softmax without dim after moving the axis to 0 ----------------------------------

MY_SOFTMAX = """import torch.nn.functional as F


def my_softmax(input, axis=1):
    trans_input = input.transpose(axis, 0).contiguous()
    soft_max_1d = F.softmax(trans_input{DIM})
    return soft_max_1d.transpose(axis, 0)
"""


def test_softmax_of_a_transposed_input_without_dim_is_flagged():
    src = MY_SOFTMAX.replace("{DIM}", "")
    assert lines(src, "PT017") == [line_of(src, "soft_max_1d = F.softmax(")]


def test_softmax_of_a_transposed_input_with_dim_zero_is_not_flagged():
    assert lines(MY_SOFTMAX.replace("{DIM}", ", dim=0"), "PT017") == []


# --- PT005 false positive: .to(other.dtype) is a dtype cast, not a device move -------------

VIRTUAL_NODE = """import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(1, 8)

    def forward(self, x, edge_index):
        return self.emb(torch.zeros(x.size(0)){CAST})
"""


def test_float_indices_moved_to_a_device_are_flagged():
    # A device move keeps float32: torch 2.13 raises "Expected tensor for argument #1 'indices'
    # to have one of the following scalar types: Long, Int".
    src = VIRTUAL_NODE.replace("{CAST}", ".to(x.device)")
    assert lines(src, "PT005") == [line_of(src, "return self.emb(")]


def test_indices_cast_with_a_dtype_keyword_from_another_tensor_are_not_flagged():
    assert lines(VIRTUAL_NODE.replace("{CAST}", ".to(dtype=edge_index.dtype)"), "PT005") == []


@pytest.mark.parametrize("cast", [".to(edge_index.dtype)", ".to(edge_index)", ".to(edge_index.dtype).to(x.device)"])
def test_indices_cast_to_another_tensors_dtype_positionally_are_not_flagged(cast):
    # pcqm4m_ogb.py: torch.zeros(n).to(edge_index.dtype).to(edge_index.device) with PyG's int64
    # edge_index; both spellings give int64 indices (verified with torch 2.13).
    assert lines(VIRTUAL_NODE.replace("{CAST}", cast), "PT005") == []


@pytest.mark.parametrize("move", [".to(device)", ".to(self.device)", ".to('cuda')", ".to(0)",
                                  ".to(torch.device('cpu'))", ".to(args.local_rank)"])
def test_float_indices_moved_by_any_spelling_of_a_device_are_flagged(move):
    src = VIRTUAL_NODE.replace("{CAST}", move)
    assert lines(src, "PT005") == [line_of(src, "return self.emb(")]
