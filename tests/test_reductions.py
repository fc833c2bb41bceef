"""Reductions in both interpreters (issue 12: one value model): which methods reduce and
where they take ``dim`` and ``keepdim`` is one table (``shape_arith.REDUCTION_ARGS``), the
result's sizes one function (``shape_arith.reduce_sizes``). Checked against torch itself:
before, the shape interpreter read ``x.std(0, True)``'s ``unbiased`` as ``keepdim`` and the
flow read ``x.norm(2, 1)``'s ``p`` as the dim."""
import itertools

import pytest

from flowcheck import file_context, find
from ptlint.rules.flow import FlowAnalysis
from ptlint.rules.shapes import ShapeAnalysis

torch = pytest.importorskip("torch")

_CALLS = [
    *(f"x.{m}({a})" for m, a in itertools.product(
        ("sum", "mean", "nansum", "prod", "amax", "amin", "logsumexp", "any", "all", "argmax", "argmin"),
        ("1", "-1", "0, True", "dim=2, keepdim=True"))),
    *(f"x.{m}({a})" for m, a in itertools.product(
        ("sum", "mean", "amax", "nansum", "all", "any"), ("", "(0, 2)", "(-1, 0), True", "dim=(1,)"))),
    "x.std(0, True)", "x.std(1, False, True)", "x.var(2, True)", "x.var(dim=0, keepdim=True)", "x.std()",
    "x.norm(2, 1)", "x.norm(2, 1, True)", "x.norm()", "x.norm(dim=(1, 2))", "x.norm(1)",
    "x.count_nonzero()", "x.count_nonzero(1)", "x.count_nonzero(dim=(0, 2))",
    "x.cumsum(1)", "x.cumprod(dim=0)", "x.logcumsumexp(2)",
    "x.max()", "x.min()",
]


def _facts(expr):
    src = f"import torch\nx = torch.rand(3, 4, 5)\ny = {expr}\n"
    ctx, module = file_context(src)
    node = find(module, expr)
    return ctx.analysis(FlowAnalysis).check().value_of(node), ctx.analysis(ShapeAnalysis).shapes_of(node)


@pytest.mark.parametrize("expr", _CALLS)
def test_both_interpreters_give_the_reduced_shape_torch_gives(expr):
    x = torch.rand(3, 4, 5) > 0.5 if ".all(" in expr or ".any(" in expr else torch.rand(3, 4, 5)
    real = tuple(eval(expr, {"x": x}).shape)
    flow, shapes = _facts(expr)
    assert flow.shape is not None and tuple(d.coef for d in flow.shape) == real and all(d.is_int for d in flow.shape)
    text = "(" + ", ".join(map(str, real)) + ("," if len(real) == 1 else "") + ")"
    assert shapes == [text]


@pytest.mark.parametrize("expr", ["x.max(1)", "x.sum((0, 0))", "x.sum(n)", "x.std(n, True)"])
def test_the_flow_claims_no_shape_where_it_is_not_one_known_tensor(expr):
    # max(dim) is a (values, indices) pair; a dim named twice raises; n is not known
    flow, _ = _facts(expr)
    assert flow.shape is None


def test_the_shape_interpreter_gives_max_with_a_dim_as_a_pair_and_nothing_for_a_repeated_dim():
    assert _facts("x.max(1)")[1] == ["((3, 5), (3, 5))"]
    with pytest.raises(RuntimeError, match="multiple times"):
        torch.rand(3, 4, 5).sum((0, 0))
    assert _facts("x.sum((0, 0))")[1] == []


@pytest.mark.parametrize("expr", ["x.sum(dtype=torch.float64)", "x.sum(1, dtype=torch.float16)",
                                  "x.mean(0, dtype=torch.float64)", "x.prod(dtype=torch.int32)",
                                  "x.cumsum(0, dtype=torch.float64)", "x.sum(dtype=None)", "x.sum(1)"])
def test_a_reductions_dtype_argument_gives_the_result_dtype(expr):
    # x is int64 here: without dtype= an integer sum is int64, mean refuses integers
    src = f"import torch\nx = torch.randint(0, 5, (3, 4))\ny = {expr}\n"
    ctx, module = file_context(src)
    node = find(module, expr)
    flow = ctx.analysis(FlowAnalysis).check().value_of(node)
    shapes = ctx.analysis(ShapeAnalysis).dtypes_of(node)
    real = str(eval(expr, {"torch": torch, "x": torch.randint(0, 5, (3, 4))}).dtype).removeprefix("torch.")
    assert flow.dtype == real
    assert shapes == [real]
