"""The one shape arithmetic (``ptlint.rules.shape_arith``) and size model
(``ptlint.rules.size_product``): broadcasting, the matrix products and the dim re-orderings
(permute, transpose, movedim, unsqueeze, select, flatten, a view's ``-1``) against PyTorch
itself, and both interpreters (``rules/shapes`` and ``rules/flow``) giving the same answer
because they call it."""
import random

import libcst as cst
import pytest

from ptlint.rules import Config
from ptlint.rules.engine import FileContext
from ptlint.rules.flow import FlowAnalysis
from ptlint.rules.shape_arith import (
    BATCH, CAT_DIM, INNER, RANK, Mismatch, bmm_sizes, broadcast_sizes, cat_sizes, drop_dim, expand_sizes, flatten_sizes, index_sizes,
    inferred_size, matmul_sizes, merge_sizes, mm_sizes, movedim_sizes, permute_sizes, stack_sizes, transpose_sizes,
    unsqueeze_sizes,
)
from ptlint.rules.shapes import ops
from ptlint.rules.shapes.dims import Shape, broadcast
from ptlint.rules.size_product import Product, product_of
from ptlint.rules.source import source_from_text

from flowcheck import value_of

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
    shape = value_of(src, expr).shape
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


# ---------------------------------------------------------------------- dim re-orderings, one size model
def _torch_op_shape(op, shape):
    try:
        return tuple(op(torch.empty(shape, device="meta")).shape)
    except (RuntimeError, IndexError):
        return None


def test_reorderings_agree_with_torch_on_random_shapes():
    rng = random.Random(5)
    for _ in range(400):
        shape = _random_shape(rng)
        r = len(shape)
        a, b = rng.randint(-r - 1, r), rng.randint(-r - 1, r)
        order = [rng.randint(-r, max(r - 1, 0)) for _ in range(r)] if rng.random() < 0.3 else \
            rng.sample(range(r), r)
        cases = [
            (permute_sizes(shape, order), lambda t: t.permute(order)),
            (transpose_sizes(shape, a, b), lambda t: t.transpose(a, b)),
            (movedim_sizes(shape, a, b), lambda t: t.movedim(a, b)),
            (unsqueeze_sizes(shape, a), lambda t: t.unsqueeze(a)),
            (drop_dim(shape, a), lambda t: t.select(a, 0)),
            (flatten_sizes(shape, a, b), lambda t: t.flatten(a, b)),
        ]
        for ours, op in cases:
            assert ours == _torch_op_shape(op, shape), (shape, a, b, order, ours)


def test_expand_agrees_with_torch_on_random_shapes():
    rng = random.Random(9)
    for _ in range(400):
        shape = _random_shape(rng, 3)
        targets = [rng.choice((-1, 1, 2, 3)) for _ in range(rng.randint(0, 2))] + \
            [rng.choice((-1, d, 1, 2, 3)) for d in shape]
        sizes, clash = expand_sizes(shape, targets)
        expected = _torch_op_shape(lambda t: t.expand(tuple(targets)), shape)
        assert sizes == expected, (shape, targets, sizes)
        if clash is not None:
            assert expected is None and shape[clash] != 1
    assert expand_sizes(("N", 1), (-1, 5)) == (("N", 5), None)
    assert expand_sizes((3, 1), (None, 5)) == (None, None)  # an unknown target: unknown


def test_the_minus_one_of_a_view_is_the_quotient_or_unknown():
    assert inferred_size((4, 6), (3,)) == 8
    assert inferred_size(("N", 1, 28, 28), (784,)) == "N"
    assert inferred_size(("N", 3, 32, 32), (32, 32)) == Product(3, ("N",))  # a product stays whole
    assert inferred_size((4, 6), (5,)) is None  # does not divide: torch raises
    assert inferred_size(("N", 8), ("M",)) is None  # the symbols do not decide
    assert inferred_size((None, 8), (8,)) is None


def test_both_interpreters_hold_sizes_as_one_product_type():
    # flow's dims and the shapes ops' element counts are the same class, with the same algebra
    src = "import torch\ndef f(x):\n    B, C, H, W = x.shape\n    return x.flatten(1)\n"
    source = source_from_text(src, "t.py")
    module = cst.parse_module(source.units[0].text)
    flow = FlowAnalysis(FileContext(source, Config(), module, [(source.units[0], module)])).check()
    call = module.body[1].body.body[1].body[0].value
    shape = flow.value_of(call).shape
    assert len(shape) == 2 and all(isinstance(d, Product) for d in shape)
    c, h, w = (Product.sym(k) for k in shape[1].syms)
    assert shape[1] == c * h * w and shape[1].divide(c * h) == w
    assert product_of(ops.flatten(Shape(("N", 3, 32, 32)), 1, -1)[0].dims) == Product(3072, ("N",))


@pytest.mark.parametrize("shape,method", [
    ((2, 3, 4), "permute(2, 0, 1)"), ((2, 3, 4), "permute(0, 0, 1)"), ((2, 3, 4), "transpose(0, -1)"),
    ((2, 3, 4), "movedim(0, -1)"), ((2, 3, 4), "movedim(-1, 1)"), ((2, 3, 4), "unsqueeze(-1)"),
    ((2, 3, 4), "unsqueeze(1)"), ((2, 3, 4, 5), "flatten(1, 2)"), ((2, 3, 4), "flatten(1)"),
    ((2, 3, 4), "view(-1, 4)"), ((2, 3, 4), "view(4, -1)"), ((2, 3, 4), "select(1, 0)"),
])
def test_flow_and_shapes_give_the_same_reordered_shape(shape, method):
    src = f"import torch\nx = torch.randn{shape}\ny = x.{method}\n"
    name, _, rest = method.partition("(")
    args = [int(a) for a in rest.rstrip(")").split(",")]
    s = Shape(shape)
    answer = {
        "permute": lambda: ops.permute(s, args), "transpose": lambda: ops.transpose(s, *args),
        "movedim": lambda: ops.movedim(s, *args), "unsqueeze": lambda: ops.unsqueeze(s, *args),
        "flatten": lambda: ops.flatten(s, args[0], args[1] if len(args) > 1 else -1),
        "view": lambda: ops.view(s, args), "select": lambda: (Shape(drop_dim(shape, args[0])), None),
    }[name]()[0]
    expected = _torch_op_shape(lambda t: eval(f"t.{method}"), shape)
    assert (None if answer is None else answer.dims) == expected
    assert _flow_shape(src, f"x.{method}") == expected


def _random_index(rng, rank):
    items: list = []
    for _ in range(rng.randint(0, rank + 1)):
        items.append(rng.choice((None, 0, -1, 1, 2, slice(None), slice(1, None), slice(None, -1), slice(0, 3, 2),
                                 slice(-2, None))))
    if rng.random() < 0.4:
        items.insert(rng.randint(0, len(items)), Ellipsis)
    return tuple(items)


def test_basic_indexing_agrees_with_torch_on_random_shapes():
    rng = random.Random(3)
    for _ in range(600):
        shape = _random_shape(rng)
        index = _random_index(rng, len(shape))
        expected = _torch_op_shape(lambda t: t[index], shape)
        assert index_sizes(shape, index) == expected, (shape, index)


@pytest.mark.parametrize("shape,index", [
    ((2, 3), "[None, ..., 0]"), ((2, 3, 4), "[..., 1:]"), ((2, 3, 4), "[:, None, 0]"), ((2, 3, 4), "[0, ..., None]"),
    ((4, 5), "[::2, -1]"), ((2, 3, 4), "[..., None, :2]"), ((2, 3), "[:, :, None]"),
])
def test_flow_and_shapes_give_the_same_indexed_shape(shape, index):
    # x[None, ..., 0] on (2, 3) is (1, 2): the ellipsis covers the dims the other items leave
    src = f"import torch\nx = torch.randn{shape}\ny = x{index}\n"
    items = _parse_index(index)
    expected = _torch_op_shape(lambda t: t[items], shape)
    shapes_answer, _ = ops.getitem(Shape(shape), items)
    assert (None if shapes_answer is None else shapes_answer.dims) == expected
    assert _flow_shape(src, f"x{index}") == expected


def _parse_index(text):
    """``"[None, ..., 0]"`` as the tuple Python passes to ``__getitem__``."""
    class Grab:
        def __getitem__(self, key):
            return key if isinstance(key, tuple) else (key,)
    return eval("Grab()" + text, {"Grab": Grab})


def test_an_operand_of_unknown_kind_may_be_a_tensor_that_broadcasts():
    # zero-to-mastery's hand-written ReLU: flow said () for the parameter's unknown x (bench_agreement)
    src = "import torch\ndef relu(x):\n    return torch.maximum(torch.tensor(0), x)\n"
    assert _flow_shape(src, "torch.maximum(torch.tensor(0), x)") is None
    src = "import torch\nx = torch.randn(20)\ny = torch.maximum(torch.tensor(0), x)\nz = x * 2\n"
    assert _flow_shape(src, "torch.maximum(torch.tensor(0), x)") == (20,) == _torch_shape(torch.maximum, (), (20,))
    assert _flow_shape(src, "x * 2") == (20,)


def _joined(fn, shapes, dim):
    try:
        return tuple(fn([torch.empty(s, device="meta") for s in shapes], dim).shape)
    except (RuntimeError, IndexError):
        return None


def test_cat_and_stack_agree_with_torch_on_random_shapes():
    rng = random.Random(12)
    rules = {"cat": (cat_sizes, torch.cat), "stack": (stack_sizes, torch.stack)}
    for _ in range(400):
        name = rng.choice(sorted(rules))
        ours_fn, theirs_fn = rules[name]
        rank = rng.randint(1, 3)
        base = _random_shape(rng, rank) or (2,)
        shapes = [tuple(rng.choice((d, d, d + 1)) for d in base) for _ in range(rng.randint(1, 3))]
        dim = rng.randint(-len(base), len(base) - 1)
        sizes, why = ours_fn(shapes, dim)
        expected = _joined(theirs_fn, shapes, dim)
        if expected is None:
            assert why is not None, (name, shapes, dim)
        else:
            assert why is None and sizes == expected, (name, shapes, dim, sizes, expected)


def test_cat_of_different_ranks_or_sizes_says_why():
    assert cat_sizes([(2, 3), (2, 3, 1)], 0)[1].kind == RANK
    assert cat_sizes([(2, 3), (2, 4)], 0)[1] == Mismatch(CAT_DIM, 1, (3, 4))
    # a symbol may be any size: nothing clashes, but the sum is unknown
    assert cat_sizes([("n", 3), (2, 3)], 0) == ((None, 3), None)


@pytest.mark.parametrize("src, result", [
    ("torch.cat([a, b])", "c"), ("torch.cat((a, a), dim=1)", "d"), ("torch.stack([a, a, a], 1)", "e"),
    ("torch.cat([a, b], -2)", "f"),
])
def test_flow_and_shapes_give_torchs_joined_shape(src, result):
    code = ("import torch\na = torch.randn(4, 3)\nb = torch.randn(6, 3)\nc = torch.cat([a, b])\n"
            "d = torch.cat((a, a), dim=1)\ne = torch.stack([a, a, a], 1)\nf = torch.cat([a, b], -2)\n")
    namespace: dict = {}
    exec(compile(code, "<join>", "exec"), namespace)
    expected = tuple(namespace[result].shape)
    v = value_of(code, src)
    assert tuple(d.coef for d in v.shape) == expected
    a, b = Shape((4, 3)), Shape((6, 3))
    shapes_rule = {"c": ops.cat([a, b], 0), "d": ops.cat([a, a], 1), "e": ops.stack([a, a, a], 1),
                   "f": ops.cat([a, b], -2)}[result]
    assert shapes_rule[0].dims == expected
