"""``# ptlint: input=(…)`` (rules/flow/declared_inputs.py): the flow runs the module built where
the comment is once on a tensor of that shape, as the shape trace does, so both interpreters
know the same layer facts; the pass changes nothing else of the file. Shapes checked
against torch where torch can say."""
import pytest

from flowcheck import analyse, find
from rulecheck import lint

from ptlint.rules.rule import Rule

LENET = """import torch.nn as nn

class Net(nn.Module):  # ptlint: input=(1, 1, 28, 28)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 5)
        self.fc = nn.Linear({FC_IN}, 10)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))

{BUILD}
"""


def lenet(fc_in=4 * 20 * 20, build="net = Net()"):
    return LENET.format(FC_IN=fc_in, BUILD=build)


def test_a_declared_class_input_runs_the_built_model_once():
    # conv 5x5 on 28x28 gives 24x24: 4 * 24 * 24 = 2304 features, not 1600
    flow, module = analyse(lenet())
    [call] = flow.layer_problems()
    assert call.declared is not None and "input=(1, 1, 28, 28)" in call.declared.value
    assert call.node is find(module, "self.fc(self.conv(x).flatten(1))")
    assert tuple(d.coef for d in call.input) == (1, 2304)
    assert call.chain == (find(module, "Net()"),)


def test_the_right_model_has_no_problem_and_its_pass_leaves_the_file_as_it_was():
    flow, module = analyse(lenet(fc_in=4 * 24 * 24))
    assert flow.layer_problems() == []
    # the pass is no value of the file: forward's body has no call-site table of its own
    assert flow.call_sites(find(module, "self.conv(x)")) == []
    assert not flow.value_of(find(module, "self.conv(x)")).shape


def test_pt005_reports_the_declared_input_problem_once():
    findings = lint(lenet(), "PT005")
    assert len(findings) == 1
    assert "2304" in findings[0].message_en and "1600" in findings[0].message_en


@pytest.mark.parametrize("build", [
    "",  # never built: which arguments it would get is not known
    "net = Net()\nnet.fc = nn.Linear(2304, 10)",  # changed after it was built
], ids=["never-built", "changed"])
def test_a_model_the_flow_cannot_follow_is_not_run(build):
    flow, _ = analyse(lenet(build=build))
    assert flow.layer_problems() == []


def test_a_declared_sequential_input():
    torch = pytest.importorskip("torch")
    src = ("import torch.nn as nn\n"
           "seq = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))  # ptlint: input=(N, 3, 31, 31)\n")
    flow, module = analyse(src)
    [call] = flow.layer_problems()
    assert call.node is find(module, "nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))")
    assert call.layer is find(module, "nn.Linear(8 * 30 * 30, 10)")
    got = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Flatten())(torch.zeros(2, 3, 31, 31))
    assert call.input[1].coef == got.shape[1] == 6728 and not call.input[0].is_int  # N stays a size name
    assert len(lint(src, "PT005")) == 1


def test_a_declared_input_has_no_dtype():
    # the comment gives a shape: an Embedding model's input is indices, not a float tensor
    src = ("import torch.nn as nn\n"
           "emb = nn.Sequential(nn.Embedding(100, 16))  # ptlint: input=(2, 7)\n")
    flow, _ = analyse(src)
    assert flow.layer_problems() == []
    assert lint(src, "PT005") == []


def test_related_locations_name_the_comment_not_the_constructor():
    flow, module = analyse(lenet())
    [call] = flow.layer_problems()
    related = Rule.layer_call_related(call)
    assert [(r.node, r.message_en) for r in related][-1] == (call.declared, "the input shape comes from this ptlint comment")
    assert all(r.node is not find(module, "Net()") for r in related)


def test_a_file_without_the_comment_asks_nothing_per_statement():
    flow, _ = analyse("import torch.nn as nn\nnet = nn.Sequential(nn.Linear(3, 4))\n")
    assert not flow.declared_inputs.active and flow.declared_inputs.built == {}
