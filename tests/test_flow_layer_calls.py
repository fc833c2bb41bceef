"""Layer calls in the flow facts (rules/flow/layers.py): ``layer(x)`` for a torch.nn layer
built with literal arguments gets the shape that the shape interpreter's transfer functions
give (one set of output-size formulas for both), checked here against torch itself; where
the flow cannot know, it says nothing."""
import pytest

from flowcheck import analyse, find, value_of

torch = pytest.importorskip("torch")

CASES = [
    ("nn.Linear(10, 5)", "torch.randn(4, 10)"),
    ("nn.Linear(10, 5, bias=False)", "torch.randn(2, 3, 10)"),
    ("nn.Conv2d(3, 8, 3)", "torch.randn(2, 3, 32, 32)"),
    ("nn.Conv2d(3, 8, kernel_size=5, stride=2, padding=1)", "torch.randn(1, 3, 28, 28)"),
    ("nn.Conv2d(3, 8, (3, 5), stride=(2, 1), dilation=2)", "torch.randn(2, 3, 31, 17)"),
    ("nn.Conv1d(4, 6, 3, padding=1)", "torch.randn(2, 4, 50)"),
    ("nn.MaxPool2d(2)", "torch.randn(2, 3, 15, 15)"),
    ("nn.MaxPool2d(3, stride=2, ceil_mode=True)", "torch.randn(1, 3, 16, 16)"),
    ("nn.AvgPool2d(2, 2)", "torch.randn(2, 8, 9, 9)"),
    ("nn.AdaptiveAvgPool2d((1, 1))", "torch.randn(2, 8, 9, 9)"),
    ("nn.ConvTranspose2d(8, 4, 2, stride=2)", "torch.randn(2, 8, 7, 7)"),
    ("nn.Flatten()", "torch.randn(2, 3, 4, 5)"),
    ("nn.ReLU()", "torch.randn(3, 7)"),
    ("nn.Dropout(0.5)", "torch.randn(3, 7)"),
    ("nn.BatchNorm2d(3)", "torch.randn(2, 3, 5, 5)"),
    ("nn.Embedding(100, 16)", "torch.randint(0, 100, (2, 7))"),
]


@pytest.mark.parametrize("layer, given", CASES)
def test_a_layer_call_has_the_output_shape_torch_gives(layer, given):
    src = f"import torch\nimport torch.nn as nn\nlayer = {layer}\nx = {given}\nout = layer(x)\n"
    v = value_of(src, "layer(x)")
    torch.manual_seed(0)
    real = eval(layer, {"nn": torch.nn})(eval(given, {"torch": torch}))
    assert v.shape is not None, layer
    assert tuple(d.coef for d in v.shape) == tuple(real.shape) and all(d.is_int for d in v.shape)
    if v.dtype is not None:
        assert v.dtype == str(real.dtype).removeprefix("torch.")


def test_a_symbolic_batch_dim_is_carried_through_the_layer():
    src = ("import torch\nimport torch.nn as nn\nfc = nn.Linear(10, 5)\n"
           "def f(t):\n    x = t.view(t.size(0), 10)\n    return fc(x)\n")
    flow, module = analyse(src)
    x, out = flow.value_of(find(module, "x")), flow.value_of(find(module, "fc(x)"))
    assert out.shape is not None and out.shape[0] == x.shape[0] and not out.shape[0].is_int
    assert out.shape[1].coef == 5


@pytest.mark.parametrize("layer, given", [
    ("nn.Linear(10, 5)", "torch.randn(4, 3)"),  # would raise: the shape rule reports it, the flow is silent
    ("nn.Linear(n_in, 5)", "torch.randn(4, 10)"),  # a constructor argument that is not a literal
    ("nn.LSTM(10, 20)", "torch.randn(5, 3, 10)"),  # several outputs
    ("nn.Linear(10, 5)", "make()"),  # an input of unknown shape
])
def test_the_flow_says_nothing_where_it_cannot_know(layer, given):
    src = f"import torch\nimport torch.nn as nn\nlayer = {layer}\nx = {given}\nout = layer(x)\n"
    assert value_of(src, "layer(x)").shape is None
