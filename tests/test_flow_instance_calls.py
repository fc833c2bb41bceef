"""Model classes of the file, per instance (issue 12: methods of ``nn.Module`` subclasses
summarised per instance): ``Net(5)`` runs ``__init__`` with its arguments, ``model(x)`` runs
``forward`` with ``x`` and that instance's layers, blocks nested in blocks included
(flow/calls.py ``instance_call``, flow/call_sites.py). Each shape the flow gives inside a
``forward`` for a call is checked here against torch running the same model; the file's
summary (what every rule reads unless it asks for call sites) does not change."""
import json

import pytest

from flowcheck import analyse, find

torch = pytest.importorskip("torch")

MODEL = """import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(self.conv(x))


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.b1 = Block(3, 16)
        self.b2 = Block(16, 32)
        self.fc = nn.Linear(32 * 8 * 8, classes)

    def forward(self, x):
        h = self.b2(self.b1(x))
        return self.fc(h.flatten(1))


model = Net(5)
out = model(torch.randn(4, 3, 32, 32))
"""


def literal(value):
    if value.shape is None or not all(d.is_int for d in value.shape):
        return None
    return tuple(d.coef for d in value.shape)


def site_shapes(flow, node):
    return sorted(s for s in (literal(site.value_of(node)) for site in flow.call_sites(node)) if s is not None)


def real_model(src):
    namespace: dict = {}
    exec(compile(src.rsplit("\nmodel = ", 1)[0], "<model>", "exec"), namespace)
    return namespace


def test_each_call_of_a_model_gets_the_shapes_torch_gives_inside_forward():
    flow, module = analyse(MODEL)
    ns = real_model(MODEL)
    net = ns["Net"](5)
    x = torch.randn(4, 3, 32, 32)
    h1 = net.b1(x)
    h2 = net.b2(h1)
    assert site_shapes(flow, find(module, "self.b1(x)")) == [tuple(h1.shape)]
    assert site_shapes(flow, find(module, "self.b2(self.b1(x))")) == [tuple(h2.shape)]
    assert site_shapes(flow, find(module, "h.flatten(1)")) == [tuple(h2.flatten(1).shape)]
    assert site_shapes(flow, find(module, "self.fc(h.flatten(1))")) == [tuple(net(x).shape)] == [(4, 5)]


def test_two_instances_of_one_block_keep_their_own_layers():
    # Block(3, 16) and Block(16, 32): one forward body, two calls, each with its instance's conv
    flow, module = analyse(MODEL)
    ns = real_model(MODEL)
    x = torch.randn(4, 3, 32, 32)
    b1, b2 = ns["Block"](3, 16), ns["Block"](16, 32)
    expected = sorted([tuple(b1.conv(x).shape), tuple(b2.conv(b1(x)).shape)])
    assert site_shapes(flow, find(module, "self.conv(x)")) == expected == [(4, 16, 32, 32), (4, 32, 16, 16)]


def test_the_scripts_call_gets_the_models_output_and_forwards_own_facts_stay_general():
    # out = model(x) is what torch gives; forward's own facts (any input) stay unknown
    flow, module = analyse(MODEL)
    ns = real_model(MODEL)
    real = ns["Net"](5)(torch.randn(4, 3, 32, 32))
    assert literal(flow.value_of(find(module, "model(torch.randn(4, 3, 32, 32))"))) == tuple(real.shape)
    assert flow.value_of(find(module, "self.fc(h.flatten(1))")).shape is None


def test_a_constant_constructor_argument_is_known_where_the_layer_is_built():
    src = ("import torch\nimport torch.nn as nn\nhidden = 8 * 4\nfc = nn.Linear(hidden, 3)\n"
           "out = fc(torch.randn(2, 32))\n")
    flow, module = analyse(src)
    assert literal(flow.value_of(find(module, "fc(torch.randn(2, 32))"))) == (2, 3)


@pytest.mark.parametrize("call", [
    "model(data)",  # an input the flow does not know: no pass, nothing claimed
    "model(*batch)",  # which parameter gets what is unknown
])
def test_nothing_is_claimed_for_a_call_whose_input_is_unknown(call):
    flow, module = analyse(MODEL.replace("out = model(torch.randn(4, 3, 32, 32))", f"out = {call}"))
    assert site_shapes(flow, find(module, "self.fc(h.flatten(1))")) == []


def test_a_block_built_from_a_parameter_of_its_own_init_is_unknown_without_the_instance():
    # Block used without a constructor call the flow sees (a parameter): its conv is unknown
    src = MODEL.replace("model = Net(5)\nout = model(torch.randn(4, 3, 32, 32))\n",
                        "def run(block):\n    return block(torch.randn(4, 3, 32, 32))\n")
    flow, module = analyse(src)
    assert site_shapes(flow, find(module, "self.conv(x)")) == []


LOSS_IN_FORWARD = """import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.crit = nn.CrossEntropyLoss()

    def forward(self, x, y):
        return self.crit(self.fc(x), y)


model = Classifier()
x = torch.randn(8, 4)
y = torch.randint(0, 3, (8,)){cast}
loss = model(x, y)
"""


def lint(run_cli, tmp_path, text):
    path = tmp_path / "train.py"
    path.write_text(text)
    (tmp_path / "pyproject.toml").write_text('[tool.ptlint]\nlang = "en"\n')
    proc = run_cli("train.py", "--format", "json", "--no-cache", "--select", "PT003", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_a_float_target_given_to_a_model_whose_forward_computes_the_loss_is_pt003_naming_the_call(
        run_cli, tmp_path):
    found = lint(run_cli, tmp_path, LOSS_IN_FORWARD.format(cast=".float()"))
    assert [(d["code"], d["range"]["start"]["line"]) for d in found] == [("PT003", 12)]
    related = [(r["range"]["start"]["line"], r["message_en"]) for r in found[0]["related"]]
    assert related == [(18, "`model()` is called here with this target"), (17, "the target is created here")]
    # torch agrees: the call raises for a float target of class indices
    ns = real_model(LOSS_IN_FORWARD.format(cast=".float()"))
    with pytest.raises(RuntimeError):
        ns["Classifier"]()(torch.randn(8, 4), torch.randint(0, 3, (8,)).float())


def test_an_int64_target_given_to_that_model_is_silent(run_cli, tmp_path):
    assert lint(run_cli, tmp_path, LOSS_IN_FORWARD.format(cast="")) == []


# --- nn.Sequential called as a pipeline -------------------------------------------------------

PIPELINE = """import torch
import torch.nn as nn
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
out = net(torch.randn(64, 1, 28, 28))
"""


def test_a_called_sequential_applies_its_layers_in_order():
    flow, module = analyse(PIPELINE)
    ns: dict = {}
    exec(compile(PIPELINE, "<pipeline>", "exec"), ns)
    assert literal(flow.value_of(find(module, "net(torch.randn(64, 1, 28, 28))"))) == tuple(ns["out"].shape) == (64, 10)


def test_a_sequential_of_the_files_blocks_runs_each_block_per_instance():
    src = MODEL.replace("        self.b1 = Block(3, 16)\n        self.b2 = Block(16, 32)\n",
                        "        self.features = nn.Sequential(Block(3, 16), Block(16, 32))\n") \
               .replace("h = self.b2(self.b1(x))", "h = self.features(x)")
    flow, module = analyse(src)
    ns = real_model(src)
    net = ns["Net"](5)
    x = torch.randn(4, 3, 32, 32)
    assert site_shapes(flow, find(module, "self.features(x)")) == [tuple(net.features(x).shape)] == [(4, 32, 8, 8)]
    assert site_shapes(flow, find(module, "self.fc(h.flatten(1))")) == [(4, 5)]


@pytest.mark.parametrize("net", [
    "nn.Sequential(*layers)",  # which layers is not known
    "nn.Sequential(nn.Flatten(), make_head())",  # a module the flow cannot see
    "nn.Sequential(nn.Flatten(), nn.Linear(100, 10))",  # would raise: PT005 reports it, the flow is silent
])
def test_a_pipeline_the_flow_cannot_follow_gives_an_unknown_shape(net):
    src = PIPELINE.replace("nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))", net)
    flow, module = analyse(src)
    assert flow.value_of(find(module, "net(torch.randn(64, 1, 28, 28))")).shape is None


@pytest.mark.parametrize("part, given", [
    ("net[1]", "torch.randn(64, 784)"),
    ("net[-1]", "torch.randn(64, 128)"),
    ("net[:2]", "torch.randn(64, 1, 28, 28)"),
    ("net[1:]", "torch.randn(64, 784)"),
])
def test_indexing_a_sequential_gives_its_layers_as_torch_does(part, given):
    src = PIPELINE + f"piece = {part}\ny = piece({given})\n"
    flow, module = analyse(src)
    ns: dict = {}
    exec(compile(src, "<pipeline>", "exec"), ns)
    assert literal(flow.value_of(find(module, f"piece({given})"))) == tuple(ns["y"].shape)


@pytest.mark.parametrize("change", [
    "model.fc = nn.Linear(2048, 2)",  # transfer learning: a layer replaced
    "model.b1.conv = nn.Conv2d(3, 16, 5, padding=2)",  # a layer of a block replaced
    "model.double()",  # another dtype
    "model.register_forward_hook(hook)",  # a hook may change the output
    "patch(model)",  # a function we cannot see may change the model
])
def test_a_model_changed_after_it_was_built_gets_no_output_from_its_constructor(change):
    src = MODEL.replace("out = model(", f"{change}\nout = model(")
    flow, module = analyse(src)
    assert flow.value_of(find(module, "model(torch.randn(4, 3, 32, 32))")).shape is None


@pytest.mark.parametrize("change", ["model.eval()", "model.to(device)", "model.to('cpu')",
                                    "opt = torch.optim.SGD(model.parameters(), lr=0.1)"])
def test_calls_that_leave_the_model_as_it_was_keep_its_output(change):
    src = MODEL.replace("out = model(", f"device = torch.device('cpu')\n{change}\nout = model(")
    flow, module = analyse(src)
    assert literal(flow.value_of(find(module, "model(torch.randn(4, 3, 32, 32))"))) == (4, 5)


@pytest.mark.parametrize("change", ["net[3] = nn.Linear(128, 2)", "net.append(nn.Softmax(dim=1))"])
def test_a_sequential_changed_after_it_was_built_is_no_longer_followed(change):
    src = PIPELINE.replace("out = net(", f"{change}\nout = net(")
    flow, module = analyse(src)
    assert flow.value_of(find(module, "net(torch.randn(64, 1, 28, 28))")).shape is None


def test_a_model_only_called_on_batches_the_flow_cannot_know_gets_no_pass():
    # the per-instance passes cost time: a model whose inputs are unknown (a loader's batches)
    # is never re-interpreted, its __init__ included
    src = MODEL.replace("out = model(torch.randn(4, 3, 32, 32))", "for x, y in loader:\n    out = model(x)")
    flow, module = analyse(src)
    assert flow.call_sites(find(module, "nn.Linear(32 * 8 * 8, classes)")) == []
    assert flow.call_sites(find(module, "self.fc(h.flatten(1))")) == []
