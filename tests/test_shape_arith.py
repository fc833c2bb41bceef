"""The one shape arithmetic (``ptlint.rules.shape_arith``): broadcasting and the matrix
products against PyTorch itself, and both interpreters (``rules/shapes`` and
``rules/flow``) giving the same answer because they call it."""
import random

import libcst as cst
import pytest

from ptlint.rules import Config
from ptlint.rules.engine import FileContext
from ptlint.rules.flow import FlowAnalysis
from ptlint.rules.shape_arith import (
    BATCH, INNER, RANK, Mismatch, bmm_sizes, broadcast_sizes, matmul_sizes, merge_sizes, mm_sizes,
)
from ptlint.rules.shapes import ops
from ptlint.rules.shapes.dims import Shape, broadcast
from ptlint.rules.source import source_from_text

torch = pytest.importorskip("torch")

PRODUCTS = {"matmul": (matmul_sizes, torch.matmul), "mm": (mm_sizes, torch.mm), "bmm": (bmm_sizes, torch.bmm)}


def _torch_shape(fn, *shapes):
    """The result shape PyTorch gives (meta tensors: no data), or None when it raises."""
    try:
        return tuple(fn(*(torch.empty(s, device="meta") for s in shapes)).shape)
    except RuntimeError:
        return None


def _random_shape(rng, max_rank=4):
    return tuple(rng.choice((1, 2, 3)) for _ in range(rng.randint(0, max_rank)))


# ---------------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_products_agree_with_torch_on_random_shapes(name):
    ours, theirs = PRODUCTS[name]
    rng = random.Random(12)
    for _ in range(600):
        a, b = _random_shape(rng), _random_shape(rng)
        sizes, why = ours(a, b)
        expected = _torch_shape(theirs, a, b)
        assert sizes == expected, (name, a, b, sizes, why)
        assert (why is None) == (expected is not None), (name, a, b, why)


def test_broadcast_agrees_with_torch_on_random_shapes():
    rng = random.Random(7)
    for _ in range(600):
        a, b = _random_shape(rng), _random_shape(rng)
        sizes, clash = broadcast_sizes(a, b)
        try:
            expected = tuple(torch.broadcast_shapes(a, b))
        except RuntimeError:
            expected = None
        assert sizes == expected, (a, b, sizes)
        assert (clash is None) == (expected is not None), (a, b, clash)


# ---------------------------------------------------------------------- symbols and unknowns
def test_symbols_never_clash_and_stay_when_equal():
    assert merge_sizes("N", "N") == ("N", True)
    assert merge_sizes("N", 1) == ("N", True)
    assert merge_sizes("N", 5) == (None, True)  # N may be 1 or 5
    assert merge_sizes(3, 4) == (None, False)
    assert broadcast_sizes(("N", 1, 4), (3, 1)) == (("N", 3, 4), None)
    assert broadcast_sizes((3, 4), (5, 4)) == (None, (-2, 3, 5))
    assert matmul_sizes(("B", "T", 8), (8, 16)) == (("B", "T", 16), None)
    assert matmul_sizes(("B", 3, "K"), ("B", "J", 5)) == (("B", 3, 5), None)  # K vs J: may be equal


def test_mismatch_says_why():
    assert matmul_sizes((3, 4), (5, 6)) == (None, Mismatch(INNER, 4, 5))
    assert matmul_sizes((), (3,)) == (None, Mismatch(RANK, ()))
    assert matmul_sizes((2, 3, 4), (3, 4, 5)) == (None, Mismatch(BATCH, (2,), (3,)))
    assert mm_sizes((2, 3, 4), (4, 5)) == (None, Mismatch(RANK, (2, 3, 4)))
    assert bmm_sizes((2, 3, 4), (5, 4, 6)) == (None, Mismatch(BATCH, 2, 5))
    assert bmm_sizes((2, 3, 4), (2, 5, 6)) == (None, Mismatch(INNER, 4, 5))


def test_inexact_shapes_keep_only_what_is_known():
    # (…, 4) + (3, 1, 4): the leading dims of the first are unknown, so only the shared tail is
    out, clash = broadcast(Shape((4,), exact=False), Shape((3, 1, 4)))
    assert clash is None and out == Shape((4,), exact=False)


# ---------------------------------------------------------------------- both interpreters, one answer
def _flow_shape(src, expr):
    source = source_from_text(src, "t.py")
    module = cst.parse_module(source.units[0].text)
    flow = FlowAnalysis(FileContext(source, Config(), module, [(source.units[0], module)])).check()
    hits = []

    class Find(cst.CSTVisitor):
        def on_visit(self, node):
            if isinstance(node, cst.BaseExpression) and module.code_for_node(node) == expr:
                hits.append(node)
            return True

    module.visit(Find())
    shape = flow.value_of(hits[-1]).shape
    return None if shape is None else tuple(d.coef if d.is_int else None for d in shape)


@pytest.mark.parametrize("a,b", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 6)),
                                 ((3, 4), (4,)), ((3, 4), (5, 6)), ((2, 3, 4), (3, 4, 5))])
def test_flow_and_shapes_give_the_same_matmul_shape(a, b):
    src = f"import torch\na = torch.randn{a}\nb = torch.randn{b}\nc = a @ b\n".replace(",)", ")")
    shapes_answer, _ = ops.matmul(Shape(a), Shape(b))
    expected = None if shapes_answer is None else shapes_answer.dims
    assert _flow_shape(src, "a @ b") == expected == _torch_shape(torch.matmul, a, b)


@pytest.mark.parametrize("a,b", [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((3,), (4,)), ((5, 1, 2), (3, 1))])
def test_flow_and_shapes_give_the_same_broadcast_shape(a, b):
    src = f"import torch\na = torch.randn{a}\nb = torch.randn{b}\nc = a + b\n".replace(",)", ")")
    shapes_answer, _ = broadcast(Shape(a), Shape(b))
    expected = None if shapes_answer is None else shapes_answer.dims
    assert _flow_shape(src, "a + b") == expected


def test_flow_keeps_a_symbolic_size_through_a_product():
    src = ("import torch\ndef f(x):\n    B, T, C = x.shape\n    w = torch.randn(C, 16)\n    y = x @ w\n"
           "    return y.view(B * T, 16)\n")
    source = source_from_text(src, "t.py")
    module = cst.parse_module(source.units[0].text)
    flow = FlowAnalysis(FileContext(source, Config(), module, [(source.units[0], module)])).check()
    found = []

    class Find(cst.CSTVisitor):
        def visit_BinaryOperation(self, node):
            if isinstance(node.operator, cst.MatrixMultiply):
                found.append(flow.value_of(node).shape)

    module.visit(Find())
    (shape,) = found
    assert shape is not None and len(shape) == 3 and shape[2].is_int and shape[2].coef == 16
    assert not shape[0].is_int and not shape[1].is_int and shape[0] != shape[1]
