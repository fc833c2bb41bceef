"""The flow's layer calls carry the problems of the shapes' transfer functions (issue 12: one
interpreter): ``flow.layer_problems()`` lists every layer call that raises when it runs, in
the file's summary or in a model instance's pass, and ``flow.layer_drops()`` every conv or
pooling call whose window never covers its input's last rows. Each case runs the same model
in torch: it raises at that layer exactly when the flow says so."""
import pytest

from flowcheck import analyse

torch = pytest.importorskip("torch")

NET = """import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, c_in):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, 6, 5)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d({CONV2_IN}, 16, 5)
        self.fc1 = nn.Linear({FC_IN}, 120)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = x.flatten(1)
        return self.fc1(x)


net = Net({C_IN})
out = net(torch.randn({INPUT}))
"""

CASES = {
    # LeNet's 16 * 5 * 5 written for 32x32, fed MNIST's 28x28: fc1 gets 256 features
    "in_features": (dict(CONV2_IN="6", FC_IN="16 * 5 * 5", C_IN="1", INPUT="8, 1, 28, 28"), "self.fc1(x)"),
    "channels": (dict(CONV2_IN="8", FC_IN="16 * 5 * 5", C_IN="1", INPUT="8, 1, 32, 32"), "self.conv2(x)"),
    "instance_argument": (dict(CONV2_IN="6", FC_IN="16 * 5 * 5", C_IN="3", INPUT="8, 1, 32, 32"), "self.conv1(x)"),
    "kernel_larger_than_input": (dict(CONV2_IN="6", FC_IN="16", C_IN="1", INPUT="8, 1, 12, 12"), "self.conv2(x)"),
}


def build(params):
    src = NET
    for key, value in params.items():
        src = src.replace("{" + key + "}", value)
    return src


def torch_raises_at(src):
    """The attribute name of the layer whose call raises when the script runs, or None."""
    namespace: dict = {}
    exec(compile(src.rsplit("\nnet = ", 1)[0], "<net>", "exec"), namespace)
    script = src.rsplit("\nnet = ", 1)[1]
    net = eval(script.split("\n")[0], namespace)
    failed = []

    def hook(name):
        def pre(module, args):
            failed.append(name)
        return pre

    for name, module in net.named_children():
        module.register_forward_pre_hook(hook(name))
    x = eval(script.split("net(", 1)[1].rsplit(")", 1)[0], namespace)
    try:
        net(x)
    except RuntimeError:
        return failed[-1]
    return None


def problems(src):
    flow, module = analyse(src)
    return [(module.code_for_node(c.node), c.outcome.problem) for c in flow.layer_problems()]


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_layer_call_that_raises_in_torch_is_a_layer_problem_in_the_instance_pass(case):
    params, call = CASES[case]
    src = build(params)
    assert torch_raises_at(src) == call.split(".")[1].split("(")[0]
    found = problems(src)
    assert [code for code, _ in found] == [call]
    assert not found[0][1].symbolic


def test_a_model_torch_runs_has_no_layer_problem():
    src = build(dict(CONV2_IN="6", FC_IN="16 * 5 * 5", C_IN="1", INPUT="8, 1, 32, 32"))
    assert torch_raises_at(src) is None
    assert problems(src) == []


def test_the_problem_names_the_numbers_torch_complains_about():
    src = build(CASES["in_features"][0])
    with pytest.raises(RuntimeError, match=r"8x256 and 400x120"):
        exec(compile(src, "<net>", "exec"), {})
    (_, problem), = problems(src)
    assert "in_features" in problem.en and "400" in problem.en
    assert problem.fix == ("in_features", 256)


def test_a_pipeline_reports_the_layer_inside_it():
    src = ("import torch\nimport torch.nn as nn\n"
           "net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))\n"
           "out = net(torch.randn(2, 3, 28, 28))\n")
    with pytest.raises(RuntimeError, match=r"2x5408 and 7200x10"):
        exec(compile(src, "<net>", "exec"), {})
    flow, module = analyse(src)
    found = flow.layer_problems()
    assert [module.code_for_node(c.node) for c in found] == ["net(torch.randn(2, 3, 28, 28))"]
    assert module.code_for_node(found[0].layer) == "nn.Linear(8 * 30 * 30, 10)"


@pytest.mark.parametrize("size, lost", [(7, 1), (8, 0), (33, 1)])
def test_a_pooling_window_that_misses_the_last_row_is_a_layer_drop(size, lost):
    src = f"import torch\nimport torch.nn as nn\npool = nn.MaxPool2d(2)\ny = pool(torch.randn(2, 3, {size}, {size}))\n"
    namespace: dict = {}
    exec(compile(src, "<pool>", "exec"), namespace)
    # torch 2.13: the output covers 2 * (size // 2) rows of the input
    assert size - 2 * namespace["y"].shape[2] == lost
    flow, _ = analyse(src)
    drops = flow.layer_drops()
    assert [d.lost for c in drops for d in c.outcome.dropped] == ([lost, lost] if lost else [])
