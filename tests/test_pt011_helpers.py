"""PT011 through a helper that gets the model and the criterion as parameters (issue 13):
``def train_one(model, criterion, ...)`` is checked once per call site with the model and
the loss that call passes (flow/call_sites.py). The finding sits at the loss call in the
helper and names the failing call site; the quick fix edits the call site's
``nn.BCELoss()`` only when nothing else uses that loss object."""
import pytest

from rulecheck import fixed, lint
from ptlint.rules.fixes import fix_text

torch = pytest.importorskip("torch")

NET = """import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 3)
    def forward(self, x):
        return self.fc(x)

class ProbNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 3)
    def forward(self, x):
        return torch.sigmoid(self.fc(x))

"""
HELPER = NET + """def train_one(model, criterion, optimizer, x, y):
    optimizer.zero_grad()
    out = model(x)
    loss = criterion(out, y)
    loss.backward()
    optimizer.step()
    return loss

"""
HELPER_LOSS_LINE = HELPER.splitlines().index("    loss = criterion(out, y)") + 1


def line_no(src, text, nth=0):
    return [i for i, line in enumerate(src.splitlines(), 1) if text in line][nth]


def related(f):
    return [(r.range.start.line, r.message_en) for r in f.related]


def site(call):
    return HELPER + call + "\n"


BRIEF = site("net = Net()\ntrain_one(net, nn.BCELoss(), torch.optim.SGD(net.parameters(), lr=0.1), "
             "torch.randn(4, 10), torch.rand(4, 3))")


# ---------------------------------------------------------------------- must flag
def test_the_brief_example_is_reported_in_the_helper_naming_the_call_site_and_really_raises():
    assert "criterion(out, y)" in BRIEF.splitlines()[HELPER_LOSS_LINE - 1]
    (f,) = lint(BRIEF, "PT011")
    assert f.line == HELPER_LOSS_LINE and f.severity.value == "error"
    assert f.message_en.startswith("`nn.BCELoss` gets the raw output of the model `Net`, not passed through a sigmoid")
    call = line_no(BRIEF, "train_one(net,")
    assert related(f) == [(call, "`train_one()` is called here with this model"),
                          (line_no(BRIEF, "self.fc = nn.Linear"), "this layer's output has no sigmoid"),
                          (call, "the `nn.BCELoss` is created here")]
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        exec(BRIEF, {})
    # the fix edits the call site's loss (used nowhere else); the fixed program runs
    new = fixed(BRIEF, "PT011", unsafe=True)
    assert "train_one(net, nn.BCEWithLogitsLoss(), " in new and "criterion(out, y)" in new
    ns: dict = {}
    exec(new, ns)
    # as clear as the same code without the helper
    inline = NET + ("net = Net()\ncrit = nn.BCELoss()\nout = net(torch.randn(4, 10))\n"
                    "loss = crit(out, torch.rand(4, 3))\n")
    assert [g.message_en for g in lint(inline, "PT011")] == [f.message_en]


def test_the_fix_is_unsafe_only():
    (f,) = lint(BRIEF, "PT011")
    assert f.fix is not None and f.fix.safety.value == "unsafe"
    assert fix_text(BRIEF, [f], unsafe=False)[0] == BRIEF


def test_criterion_passed_by_keyword():
    src = site("net = Net()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
               "train_one(net, criterion=nn.BCELoss(), optimizer=opt, x=torch.randn(4, 10), y=torch.rand(4, 3))")
    (f,) = lint(src, "PT011")
    assert f.line == HELPER_LOSS_LINE
    assert related(f)[0] == (line_no(src, "train_one(net, criterion="), "`train_one()` is called here with this model")
    assert "criterion=nn.BCEWithLogitsLoss()" in fixed(src, "PT011", unsafe=True)


def test_a_criterion_bound_to_a_name_used_only_there_keeps_the_fix():
    src = site("net = Net()\ncrit = nn.BCELoss()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
               "for _ in range(3):\n    train_one(net, crit, opt, torch.randn(4, 10), torch.rand(4, 3))")
    (f,) = lint(src, "PT011")
    assert related(f)[0] == (line_no(src, "    train_one(net, crit"), "`train_one()` is called here with this model")
    assert "crit = nn.BCEWithLogitsLoss()" in fixed(src, "PT011", unsafe=True)


def test_only_the_call_site_passing_the_raw_model_is_named():
    src = site("good, bad = ProbNet(), Net()\n"
               "train_one(good, nn.BCELoss(), torch.optim.SGD(good.parameters(), lr=0.1), torch.randn(4, 10), "
               "torch.rand(4, 3))\n"
               "train_one(bad, nn.BCELoss(), torch.optim.SGD(bad.parameters(), lr=0.1), torch.randn(4, 10), "
               "torch.rand(4, 3))")
    (f,) = lint(src, "PT011")
    assert f.line == HELPER_LOSS_LINE
    sites = [line for line, msg in related(f) if msg.startswith("`train_one()` is called here")]
    assert sites == [line_no(src, "train_one(bad,")]
    # the fix changes the bad call site's own loss, not the good one's
    new = fixed(src, "PT011", unsafe=True)
    assert "train_one(good, nn.BCELoss()," in new and "train_one(bad, nn.BCEWithLogitsLoss()," in new


def test_a_loss_object_shared_with_a_correct_call_site_gets_no_fix():
    src = site("good, bad = ProbNet(), Net()\ncrit = nn.BCELoss()\nopt = torch.optim.SGD(bad.parameters(), lr=0.1)\n"
               "train_one(good, crit, opt, torch.randn(4, 10), torch.rand(4, 3))\n"
               "train_one(bad, crit, opt, torch.randn(4, 10), torch.rand(4, 3))")
    (f,) = lint(src, "PT011")
    assert [line for line, msg in related(f) if "is called here" in msg] == [line_no(src, "train_one(bad,")]
    assert f.fix is None  # BCEWithLogitsLoss would apply a second sigmoid to ProbNet's probabilities


def test_a_loss_object_also_used_outside_the_helper_gets_no_fix():
    src = site("net = Net()\ncrit = nn.BCELoss()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
               "train_one(net, crit, opt, torch.randn(4, 10), torch.rand(4, 3))\n"
               "val = crit(torch.rand(4, 3), torch.rand(4, 3))")
    (f,) = lint(src, "PT011")
    assert f.line == HELPER_LOSS_LINE and f.fix is None


def test_functional_loss_in_the_helper_with_the_model_passed_in_has_no_fix():
    src = NET + ("def step(model, x, y):\n    return F.binary_cross_entropy(model(x), y)\n\n"
                 "step(nn.Sequential(nn.Linear(10, 4), nn.ReLU(), nn.Linear(4, 1)), torch.randn(4, 10), torch.rand(4, 1))\n")
    (f,) = lint(src, "PT011")
    assert f.line == line_no(src, "return F.binary_cross_entropy")
    assert "a model ending in `nn.Linear`" in f.message_en and "F.binary_cross_entropy_with_logits" in f.message_en
    assert related(f)[0] == (line_no(src, "step(nn.Sequential"), "`step()` is called here with this model")
    assert f.fix is None  # an edit in the helper would change every caller


def test_model_output_made_by_the_caller():
    src = NET + ("def loss_of(criterion, out, y):\n    return criterion(out, y)\n\n"
                 "net = Net().to('cpu')\nloss_of(nn.BCELoss(), net(torch.randn(4, 10)), torch.rand(4, 3))\n")
    (f,) = lint(src, "PT011")
    assert f.line == line_no(src, "return criterion(out, y)") and "the model `Net`" in f.message_en


def test_shapes_that_differ_at_the_call_site():
    src = NET + ("def loss_of(criterion, p, y):\n    return criterion(p, y)\n\n"
                 "loss_of(nn.BCELoss(), torch.rand(4, 1), torch.rand(4))\n")
    (f,) = lint(src, "PT011")
    assert f.line == line_no(src, "return criterion(p, y)")
    assert "input shape (4, 1) differs from target shape (4,)" in f.message_en
    assert related(f) == [(line_no(src, "loss_of(nn.BCELoss()"), "`loss_of()` is called here with these tensors")]
    assert f.fix is None
    with pytest.raises(ValueError, match="same size"):
        exec(src, {})


# ---------------------------------------------------------------------- must not flag
@pytest.mark.parametrize("call", [
    # the model ends in a sigmoid
    "net = ProbNet()\ntrain_one(net, nn.BCELoss(), torch.optim.SGD(net.parameters(), lr=0.1), torch.randn(4, 10), "
    "torch.rand(4, 3))",
    # the loss applies the sigmoid itself
    "net = Net()\ntrain_one(net, nn.BCEWithLogitsLoss(), torch.optim.SGD(net.parameters(), lr=0.1), "
    "torch.randn(4, 10), torch.rand(4, 3))",
    # the criterion is the caller's own parameter, and no call of the caller tells what it is
    # (``fit(Net(), nn.BCELoss())`` is checked through both helpers: tests/test_flow_nested_sites.py)
    "def fit(net, crit):\n    opt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
    "    train_one(net, crit, opt, torch.randn(4, 10), torch.rand(4, 3))\n\nfit(Net(), make_loss())",
    # the model is unknown at the call site
    "def fit(net):\n    train_one(net, nn.BCELoss(), torch.optim.SGD(net.parameters(), lr=0.1), "
    "torch.randn(4, 10), torch.rand(4, 3))",
    # another loss
    "net = Net()\ntrain_one(net, nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.1), torch.randn(4, 10), "
    "torch.rand(4, 3))",
])
def test_a_right_or_unknown_call_site_is_silent(call):
    assert lint(site(call), "PT011") == []


def test_a_helper_never_called_is_silent():
    assert lint(HELPER, "PT011") == []


def test_an_output_made_probabilities_in_place_is_silent():
    src = NET + ("def step(model, criterion, x, y):\n    out = model(x)\n    out.sigmoid_()\n"
                 "    return criterion(out, y)\n\n"
                 "step(Net(), nn.BCELoss(), torch.randn(4, 10), torch.rand(4, 3))\n")
    assert lint(src, "PT011") == []
    # and without a helper
    inline = NET + "net = Net()\nout = net(torch.randn(4, 10))\nout.sigmoid_()\nloss = nn.BCELoss()(out, torch.rand(4, 3))\n"
    assert lint(inline, "PT011") == []


LOADER = """import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

def train_one(model, criterion, xb, yb):
    out = model(xb)
    return criterion(out, yb)

X = torch.randn(100, 10)
y = torch.randint(0, 2, ({labels})).float()
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(10, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())
crit = nn.BCELoss()
for xb, yb in loader:
    train_one(model, crit, xb, yb)
"""


def test_model_output_of_n_by_1_against_loader_labels_through_the_helper():
    src = LOADER.format(labels="100,")
    (f,) = lint(src, "PT011")
    assert f.line == line_no(src, "return criterion(out, yb)")
    assert "gets an input of (N, 1)" in f.message_en and "a target of (N,) (labels from the DataLoader)" in f.message_en
    assert related(f)[:2] == [(line_no(src, "    train_one(model, crit"), "`train_one()` is called here with these tensors"),
                              (line_no(src, "model = nn.Sequential"), "the model's last linear layer")]
    assert f.fix is None
    with pytest.raises(ValueError, match="same size"):
        exec(src, {})


def test_loader_labels_of_the_output_shape_through_the_helper_are_silent():
    assert lint(LOADER.format(labels="100, 1"), "PT011") == []
