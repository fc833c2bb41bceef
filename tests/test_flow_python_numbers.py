"""Python numbers in the flow are Python's: ``1 / 2`` is a float (true division), so
``torch.arange(-8, 9, 1 / sampling_frequency)`` with an int frequency is a float tensor, as torch
makes it. The agreement bench found the flow calling it int64 in skorch's Gaussian-process
notebook (the shape trace said float32)."""
import pytest

from flowcheck import value_of

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("expr, kind, const", [
    ("1 / s", "FLOAT", 0.5), ("4 / 2", "FLOAT", 2.0), ("7 // 2", "INT", 3), ("3 ** 2", "INT", 9),
])
def test_int_arithmetic_follows_python(expr, kind, const):
    s = 2  # noqa: F841 - the expression reads it
    assert eval(expr) == const and type(eval(expr)).__name__.upper() == kind
    got = value_of(f"s = 2\nv = {expr}\n", expr)
    assert got.kind.name == kind and got.const == const


def test_an_exponent_of_unknown_sign_is_no_int():
    assert (2 ** -1) == 0.5
    assert value_of("def f(n):\n    return 2 ** n\n", "2 ** n").kind.name == "UNKNOWN"


def test_arange_with_a_divided_step_is_a_float_tensor():
    sampling_frequency = 2
    t = torch.arange(-8, 9, 1 / sampling_frequency)
    v = value_of("import torch\nsampling_frequency = 2\nX = torch.arange(-8, 9, 1 / sampling_frequency)\n",
                 "torch.arange(-8, 9, 1 / sampling_frequency)")
    assert v.dtype == str(t.dtype).removeprefix("torch.") == "float32"
    assert tuple(d.coef for d in v.shape) == tuple(t.shape) == (34,)
