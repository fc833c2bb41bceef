"""A helper of the file called with known arguments: its call gets what the body returns in
that call's pass (flow/calls.py ``call_local``), so ``x, y = get_toy_data(1000)`` in the
script has the shapes torch gives. The summary of the helper's own body (every parameter
unknown) is unchanged. Each shape is checked against running the same code."""
import numpy as np
import pytest

from flowcheck import analyse, find
from rulecheck import line_of, lines

torch = pytest.importorskip("torch")

TOY = """import numpy as np
import torch


def get_toy_data(batch_size):
    x_data = np.random.normal(size=(batch_size, 2))
    y_targets = np.zeros(batch_size)
    return torch.tensor(x_data, dtype=torch.float32), torch.tensor(y_targets, dtype=torch.float32)


def columns(t):
    return t.t()


x, y = get_toy_data({N})
z = columns(x)
"""


def literal(value):
    if value.shape is None or not all(d.is_int for d in value.shape):
        return None
    return tuple(d.coef for d in value.shape)


def run(src):
    namespace: dict = {"np": np, "torch": torch}
    exec(compile(src, "<toy>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("n", [1000, 3])
def test_a_helpers_call_has_the_value_its_body_returns_for_these_arguments(n):
    src = TOY.replace("{N}", str(n))
    flow, module = analyse(src)
    ns = run(src)
    assert literal(flow.value_of(find(module, "x"))) == tuple(ns["x"].shape) == (n, 2)
    assert literal(flow.value_of(find(module, "y"))) == tuple(ns["y"].shape) == (n,)
    assert flow.value_of(find(module, "x")).dtype == "float32" == str(ns["x"].dtype).removeprefix("torch.")
    # a helper's result passed to another helper: that pass sees the rows too
    assert literal(flow.value_of(find(module, "columns(x)"))) == tuple(ns["z"].shape) == (2, n)


def test_the_helpers_own_body_keeps_its_summary():
    flow, module = analyse(TOY.replace("{N}", "1000"))
    # inside get_toy_data the batch size is a parameter: unknown in the summary
    assert literal(flow.value_of(find(module, "np.random.normal(size=(batch_size, 2))"))) is None


def test_an_unknown_argument_leaves_the_call_unknown():
    src = TOY.replace("x, y = get_toy_data({N})", "def load(n):\n    return get_toy_data(n)\n\n\nx, y = load(int(input()))")
    flow, module = analyse(src)
    assert literal(flow.value_of(find(module, "x"))) is None


def test_tensor_of_an_array_with_a_dtype_keeps_the_arrays_shape():
    src = "import numpy as np\nimport torch\na = np.zeros((5, 3))\nt = torch.tensor(a, dtype=torch.float32)\n"
    flow, module = analyse(src)
    ns = run(src)
    assert literal(flow.value_of(find(module, "torch.tensor(a, dtype=torch.float32)"))) == tuple(ns["t"].shape)


SQUEEZE = """import numpy as np
import torch
import torch.nn as nn


def get_toy_data(batch_size):
    x_data = np.random.normal(size=(batch_size, 2))
    return torch.tensor(x_data, dtype=torch.float32), torch.tensor(np.zeros(batch_size), dtype=torch.float32)


model = nn.Linear(2, 1)
bce = nn.BCEWithLogitsLoss()
for epoch in range(5):
    x_data, y_target = get_toy_data({N})
    y_pred = model(x_data).squeeze()
    loss = bce(y_pred, y_target)
"""


def test_squeeze_of_a_fixed_batch_of_rows_is_silent_and_of_one_row_is_pt025():
    # torch 2.13: (1000, 1).squeeze() is (1000,), like the target; (1, 1).squeeze() is (), and
    # BCEWithLogitsLoss raises against the (1,) target
    assert lines(SQUEEZE.replace("{N}", "1000"), "PT025") == []
    src = SQUEEZE.replace("{N}", "1")
    assert lines(src, "PT025") == [line_of(src, "y_pred = model(x_data).squeeze()")]
    with pytest.raises(ValueError, match="must be the same as input size"):
        run(src)
