"""Index-returning tensor methods in the flow facts, checked against torch itself: argsort
keeps the input's shape, multinomial(n) puts n in place of the last dim, nonzero's row count
depends on the data, count_nonzero reduces like sum, all are int64. (The flow took
``x.argsort()`` and ``x.nonzero()`` for 0-d tensors and ``x.multinomial(1)`` for a
reduction over dim 1; their dtype now comes from the one dtype model, rules/dtypes.py.)"""
import pytest

from flowcheck import value_of

torch = pytest.importorskip("torch")

SRC = "import torch\nx = torch.rand(3, 5)\ny = {EXPR}\n"


@pytest.mark.parametrize("expr", [
    "x.argsort()", "x.argsort(dim=0)", "x.argsort(1, descending=True)",
    "x.multinomial(1)", "x.multinomial(4)", "x.multinomial(num_samples=2)",
    "x.argmax()", "x.argmax(1)", "x.argmin(0)",
    "x.count_nonzero()", "x.count_nonzero(dim=1)", "x.count_nonzero(0)",
])
def test_shape_and_dtype_of_an_index_result_are_torchs(expr):
    v = value_of(SRC.format(EXPR=expr), expr)
    real = eval(expr, {"x": torch.rand(3, 5)})
    assert v.dtype == str(real.dtype).removeprefix("torch.")
    assert v.shape is not None and tuple(d.coef for d in v.shape) == tuple(real.shape)
    assert all(d.is_int for d in v.shape)


def test_nonzero_is_int64_with_a_row_count_the_analysis_does_not_claim():
    v = value_of(SRC.format(EXPR="x.nonzero()"), "x.nonzero()")
    assert (v.dtype, v.shape) == ("int64", None)
    assert torch.rand(3, 5).nonzero().dtype == torch.int64
    tup = value_of(SRC.format(EXPR="x.nonzero(as_tuple=True)"), "x.nonzero(as_tuple=True)")
    assert tup.dtype is None and tup.shape is None  # a tuple of index tensors, not one tensor
