"""``torchsummary.summary`` / ``torchinfo.summary`` run the model once on a tensor of the size
they are given and leave it as it was (rules/flow/model_summaries.py). The flow used to take
them for functions it cannot see, which forgot the model: every later ``model(x)`` of the file
was unknown. Each case is checked against torch running the same model."""
import pytest

from flowcheck import analyse, find

torch = pytest.importorskip("torch")

NET = """import torch
import torch.nn as nn
{IMPORT}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride={STRIDE})
        self.fc = nn.Linear({FC_IN}, 10)

    def forward(self, x):
        x = self.conv(x)
        return self.fc(x.flatten(1))


net = Net()
{SUMMARY}
out = net(torch.randn(2, 1, 28, 28))
"""

TORCHSUMMARY = dict(IMPORT="from torchsummary import summary", SUMMARY="summary(net, (1, 28, 28))")
TORCHINFO = dict(IMPORT="from torchinfo import summary", SUMMARY="summary(net, input_size=(1, 1, 28, 28))")
INPUT_DATA = dict(IMPORT="import torchinfo",
                  SUMMARY="torchinfo.summary(net, input_data=torch.zeros(3, 1, 28, 28))")


def source(style, stride=1, fc_in=4 * 26 * 26):
    return NET.format(STRIDE=stride, FC_IN=fc_in, **style)


def torch_output(stride, fc_in):
    conv, fc = torch.nn.Conv2d(1, 4, 3, stride=stride), torch.nn.Linear(fc_in, 10)
    return tuple(fc(conv(torch.randn(2, 1, 28, 28)).flatten(1)).shape)


@pytest.mark.parametrize("style", [TORCHSUMMARY, TORCHINFO, INPUT_DATA], ids=["torchsummary", "torchinfo", "input_data"])
def test_the_model_is_still_known_after_its_summary(style):
    flow, module = analyse(source(style))
    out = flow.value_of(find(module, "net(torch.randn(2, 1, 28, 28))"))
    assert tuple(d.coef for d in out.shape) == torch_output(1, 4 * 26 * 26) == (2, 10)


@pytest.mark.parametrize("style, summary", [
    (TORCHSUMMARY, "summary(net, (1, 28, 28))"),
    (TORCHINFO, "summary(net, input_size=(1, 1, 28, 28))"),
    (INPUT_DATA, "torchinfo.summary(net, input_data=torch.zeros(3, 1, 28, 28))"),
], ids=["torchsummary", "torchinfo", "input_data"])
def test_the_summary_runs_the_forward_pass(style, summary):
    # stride 2 on 28: conv gives 13x13 and drops row/column 27; fc expects 26x26 features
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        torch_output(2, 4 * 26 * 26)
    flow, module = analyse(source(style, stride=2))
    summary_node = find(module, summary)
    problems = [c for c in flow.layer_problems() if summary_node in c.chain]
    drops = [c for c in flow.layer_drops() if summary_node in c.chain]
    assert [module.code_for_node(c.node) for c in problems] == ["self.fc(x.flatten(1))"]
    assert [module.code_for_node(c.node) for c in drops] == ["self.conv(x)"]


def test_torchsummary_batch_is_a_symbol_unless_given():
    flow, module = analyse(source(TORCHSUMMARY, stride=2))
    [drop] = [c for c in flow.layer_drops() if module.code_for_node(c.chain[0]).startswith("summary")]
    assert not drop.input[0].is_int and [d.coef for d in drop.input[1:]] == [1, 28, 28]
    flow, module = analyse(source(dict(TORCHSUMMARY, SUMMARY="summary(net, (1, 28, 28), batch_size=5)"), stride=2))
    [drop] = [c for c in flow.layer_drops() if module.code_for_node(c.chain[0]).startswith("summary")]
    assert [d.coef for d in drop.input] == [5, 1, 28, 28]


@pytest.mark.parametrize("summary", [
    "summary(net, [(1, 28, 28), (1, 28, 28)])",  # several inputs
    "summary(net, (1, size, size))",  # sizes the flow cannot read
    "summary(net, input_size=(1, 1, 28, 28), batch_dim=0)",  # torchinfo adds a batch dim itself
])
def test_no_pass_for_inputs_it_cannot_read_but_the_model_stays_known(summary):
    style = dict(IMPORT="from torchinfo import summary" if "batch_dim" in summary else "from torchsummary import summary",
                 SUMMARY=summary)
    flow, module = analyse(source(style, stride=2))
    assert not [c for c in flow.layer_drops() if module.code_for_node(c.chain[0]).startswith("summary")]
    assert [module.code_for_node(c.chain[0]) for c in flow.layer_drops()] == ["net(torch.randn(2, 1, 28, 28))"]


def test_a_sequential_is_run_through_its_layers():
    src = ("import torch.nn as nn\nfrom torchsummary import summary\n"
           "seq = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU())\nsummary(seq, (3, 32, 32))\n")
    flow, module = analyse(src)
    assert [(module.code_for_node(c.node), c.outcome.label) for c in flow.layer_drops()] == [
        ("summary(seq, (3, 32, 32))", "Conv2d")]
    assert torch.nn.Conv2d(3, 8, 3, stride=2)(torch.randn(1, 3, 32, 32)).shape[-1] == 15  # (32 - 3) // 2 + 1, row 31 unused
