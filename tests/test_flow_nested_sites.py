"""Per-call-site passes nest (issue 13, across functions): a helper called from another
helper is checked with the values the outer call passes (``train_epoch(model, crit,
batches)`` -> ``step(model, criterion, x, y)``), up to ``MAX_DEPTH`` calls in a chain,
memoised by function and argument values at each level, bounded by the same per-function
and per-file caps (flow/call_sites.py). PT003 and PT011 report inside the innermost helper
and name the chain of calls as related locations, innermost first (from the finding out to
where the value comes from). An argument unknown at any level keeps the rules silent; a
recursive helper keeps its summary where it calls itself."""
import libcst as cst
import pytest

from ptlint.rules import Config
from ptlint.rules.engine import FileContext
from ptlint.rules.flow import FlowAnalysis
from ptlint.rules.flow.call_sites import MAX_DEPTH, PER_FILE, PER_FUNCTION
from ptlint.rules.source import source_from_text
from rulecheck import lint

torch = pytest.importorskip("torch")

STEP = """import torch
import torch.nn as nn

def step(model, criterion, x, y):
    loss = criterion(model(x), y)
    loss.backward()

def train_epoch(model, criterion, batches):
    for x, y in batches:
        step(model, criterion, x, y)

"""
BRIEF = STEP + """model = nn.Linear(10, 3)
train_epoch(model, nn.CrossEntropyLoss(), [(torch.randn(4, 10), torch.randint(0, 3, (4,)).float())])
"""
# a driver around both helpers: three calls in the chain
DRIVER = STEP + """def main(lr):
    model = nn.Linear(10, 3)
    batches = [(torch.randn(4, 10), torch.randint(0, 3, (4,)).float())]
    train_epoch(model, nn.CrossEntropyLoss(), batches)

main(0.1)
"""
BCE = """import torch
import torch.nn as nn

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

def train_one(model, criterion, optimizer, x, y):
    optimizer.zero_grad()
    out = model(x)
    loss = criterion(out, y)
    loss.backward()
    optimizer.step()

def train_epoch(model, criterion, optimizer, batches):
    for x, y in batches:
        train_one(model, criterion, optimizer, x, y)

"""


def line_no(src, text, nth=0):
    return [i for i, line in enumerate(src.splitlines(), 1) if text in line][nth]


def related(f):
    return [(r.range.start.line, r.message_en) for r in f.related]


def analyse(src):
    module = cst.parse_module(src)
    source = source_from_text(src, "t.py")
    return FlowAnalysis(FileContext(source, Config(), module, [(source.units[0], module)])).check()


def chain(levels, target):
    """``l1`` -> ``l2`` -> … -> ``l{levels}``, the last one calling the loss."""
    src = "import torch\nimport torch.nn as nn\n\n"
    src += f"def l{levels}(model, criterion, x, y):\n    loss = criterion(model(x), y)\n    loss.backward()\n\n"
    for i in range(levels - 1, 0, -1):
        src += f"def l{i}(model, criterion, x, y):\n    l{i + 1}(model, criterion, x, y)\n\n"
    return src + ("model = nn.Linear(10, 3)\n"
                  f"l1(model, nn.CrossEntropyLoss(), torch.randn(4, 10), torch.randint(0, 3, (4,)){target})\n")


# ---------------------------------------------------------------------- PT003 must flag
def test_the_brief_example_is_pt003_in_the_inner_helper_naming_both_calls_and_really_raises():
    (f,) = lint(BRIEF, "PT003")
    assert f.line == line_no(BRIEF, "loss = criterion(model(x), y)") and f.severity.value == "error"
    assert f.message_en.startswith("the target of `CrossEntropyLoss` is floating point (float32)")
    outer = line_no(BRIEF, "train_epoch(model, nn.CrossEntropyLoss()")
    assert related(f) == [(line_no(BRIEF, "        step(model"), "`step()` is called here with this target"),
                          (outer, "`train_epoch()` is called here and calls `step()`"),
                          (outer, "the target is created here")]
    assert [r.message_zh for r in f.related][:2] == ["`step()` 在这里被调用，传入了这个目标",
                                                     "`train_epoch()` 在这里被调用，它又调用了 `step()`"]
    assert f.fix is None  # .long() in the helper would change every caller
    with pytest.raises(RuntimeError, match="expected scalar type Long|Long or Byte|expected .*Long"):
        exec(BRIEF, {})


def test_three_calls_in_the_chain_are_named_innermost_first():
    (f,) = lint(DRIVER, "PT003")
    assert f.line == line_no(DRIVER, "loss = criterion(model(x), y)")
    assert related(f) == [(line_no(DRIVER, "        step(model"), "`step()` is called here with this target"),
                          (line_no(DRIVER, "    train_epoch(model"), "`train_epoch()` is called here and calls `step()`"),
                          (line_no(DRIVER, "main(0.1)"), "`main()` is called here and calls `train_epoch()`"),
                          (line_no(DRIVER, "batches = ["), "the target is created here")]


def test_two_outer_calls_with_the_same_values_are_both_named():
    # the second call of train_epoch reuses the memoised passes of the first
    src = STEP + ("model = nn.Linear(10, 3)\ncrit = nn.CrossEntropyLoss()\n"
                  "batches = [(torch.randn(4, 10), torch.randint(0, 3, (4,)).float())]\n"
                  "train_epoch(model, crit, batches)\ntrain_epoch(model, crit, batches)\n")
    (f,) = lint(src, "PT003")
    outer = [line_no(src, "train_epoch(model, crit,", n) for n in (0, 1)]
    assert related(f)[:3] == [(line_no(src, "        step(model"), "`step()` is called here with this target"),
                              (outer[0], "`train_epoch()` is called here and calls `step()`"),
                              (outer[1], "`train_epoch()` is called here and calls `step()`")]


def test_only_the_outer_call_passing_the_wrong_target_is_named():
    src = STEP + ("model = nn.Linear(10, 3)\ncrit = nn.CrossEntropyLoss()\n"
                  "train_epoch(model, crit, [(torch.randn(4, 10), torch.randint(0, 3, (4,)))])\n"
                  "train_epoch(model, crit, [(torch.randn(4, 10), torch.randint(0, 3, (4,)).half())])\n")
    (f,) = lint(src, "PT003")
    good, bad = (line_no(src, "train_epoch(model, crit,", n) for n in (0, 1))
    assert (bad, "`train_epoch()` is called here and calls `step()`") in related(f)
    assert good not in [line for line, _ in related(f)]


# ---------------------------------------------------------------------- PT003 must not flag
@pytest.mark.parametrize("src", [
    BRIEF.replace(".float())])", ".long())])"),  # class indices of the right dtype
    BRIEF.replace(".float())])", ")])"),  # randint is int64 already
    BRIEF.replace("nn.CrossEntropyLoss()", "nn.MSELoss()"),  # a float target is what MSELoss wants
    DRIVER.replace(".float())]", ".long())]"),
    # unknown at the outer level: the criterion comes from a function we cannot see
    BRIEF.replace("nn.CrossEntropyLoss()", "make_criterion()"),
    # unknown at the middle level: train_epoch passes on what an unknown function returns
    BRIEF.replace("step(model, criterion, x, y)", "step(model, criterion, x, relabel(y))"),
    # unknown at the outer level: main's own parameter
    DRIVER.replace("def main(lr):", "def main(batches):").replace(
        "    batches = [(torch.randn(4, 10), torch.randint(0, 3, (4,)).float())]\n", ""),
])
def test_a_right_or_unknown_value_at_any_level_is_silent(src):
    assert lint(src, "PT003") == []


# ---------------------------------------------------------------------- bounds
def test_a_chain_deeper_than_the_bound_stops_there_without_error():
    assert MAX_DEPTH == 3
    src = chain(5, ".float()")
    assert lint(src, "PT003") == []  # l5 is five calls deep: it keeps its summary
    flow = analyse(src)
    assert flow.error is None and not flow.skipped
    assert max(len(c) for c in flow.site_values) == MAX_DEPTH
    # within the bound the same chain is reported
    (f,) = lint(chain(3, ".float()"), "PT003")
    assert [m for _, m in related(f)] == ["`l3()` is called here with this target",
                                          "`l2()` is called here and calls `l3()`",
                                          "`l1()` is called here and calls `l2()`",
                                          "the target is created here"]


RECURSIVE = """import torch
import torch.nn as nn

def step(model, criterion, x, y, n):
    loss = criterion(model(x), y)
    loss.backward()
    if n > 0:
        step(model, criterion, x, y, n - 1)
        again(model, criterion, x, y, n - 1)

def again(model, criterion, x, y, n):
    step(model, criterion, x, y, n)

model = nn.Linear(10, 3)
step(model, nn.CrossEntropyLoss(), torch.randn(4, 10), torch.randint(0, 3, (4,)){cast}, 3)
"""


def test_a_recursive_helper_terminates_and_is_checked_at_its_first_call():
    src = RECURSIVE.format(cast=".float()")
    (f,) = lint(src, "PT003")
    assert f.line == line_no(src, "loss = criterion(model(x), y)")
    assert related(f)[0] == (line_no(src, "step(model, nn.CrossEntropyLoss()"),
                             "`step()` is called here with this target")
    flow = analyse(src)
    assert flow.error is None
    # step calls itself and again(), which calls step: step is passed once, at the module's call
    assert flow.site_counts[next(fn for fn in flow.functions if fn.name.value == "step")] == 1
    assert lint(RECURSIVE.format(cast=""), "PT003") == []


def test_nested_passes_stay_within_the_per_function_and_per_file_caps():
    calls = "".join(f"train_epoch(model, crit, [(torch.randn({n}, 10), torch.randint(0, 3, ({n},)).float())])\n"
                    for n in range(2, 2 + 3 * PER_FILE))
    src = STEP + "model = nn.Linear(10, 3)\ncrit = nn.CrossEntropyLoss()\n" + calls
    flow = analyse(src)
    assert all(n <= PER_FUNCTION for n in flow.site_counts.values())
    assert sum(flow.site_counts.values()) <= PER_FILE
    (f,) = lint(src, "PT003")  # the first call sites are still checked
    assert related(f)[0] == (line_no(src, "        step(model"), "`step()` is called here with this target")


# ---------------------------------------------------------------------- PT011 through two helpers
BCE_BRIEF = BCE + ("net = Net()\ntrain_epoch(net, nn.BCELoss(), torch.optim.SGD(net.parameters(), lr=0.1), "
                   "[(torch.randn(4, 10), torch.rand(4, 3))])\n")


def test_pt011_through_two_helpers_names_both_calls_and_really_raises():
    (f,) = lint(BCE_BRIEF, "PT011")
    assert f.line == line_no(BCE_BRIEF, "loss = criterion(out, y)") and f.severity.value == "error"
    assert f.message_en.startswith("`nn.BCELoss` gets the raw output of the model `Net`, not passed through a sigmoid")
    outer = line_no(BCE_BRIEF, "train_epoch(net, nn.BCELoss()")
    assert related(f) == [(line_no(BCE_BRIEF, "        train_one(model"), "`train_one()` is called here with this model"),
                          (outer, "`train_epoch()` is called here and calls `train_one()`"),
                          (line_no(BCE_BRIEF, "self.fc = nn.Linear"), "this layer's output has no sigmoid"),
                          (outer, "the `nn.BCELoss` is created here")]
    # no fix: the loss goes through train_epoch first, which may use it for something else too
    assert f.fix is None
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        exec(BCE_BRIEF, {})


def test_pt011_the_caller_s_own_parameter_is_checked_at_the_caller_s_call():
    # fit's criterion is its parameter: known once fit itself is called with nn.BCELoss()
    src = BCE + ("def fit(net, crit):\n    opt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
                 "    train_one(net, crit, opt, torch.randn(4, 10), torch.rand(4, 3))\n\nfit(Net(), nn.BCELoss())\n")
    (f,) = lint(src, "PT011")
    assert [m for _, m in related(f)][:2] == ["`train_one()` is called here with this model",
                                              "`fit()` is called here and calls `train_one()`"]


@pytest.mark.parametrize("call", [
    # the model ends in a sigmoid
    "net = ProbNet()\ntrain_epoch(net, nn.BCELoss(), torch.optim.SGD(net.parameters(), lr=0.1), "
    "[(torch.randn(4, 10), torch.rand(4, 3))])",
    # the loss applies the sigmoid itself
    "net = Net()\ntrain_epoch(net, nn.BCEWithLogitsLoss(), torch.optim.SGD(net.parameters(), lr=0.1), "
    "[(torch.randn(4, 10), torch.rand(4, 3))])",
    # the criterion is unknown at the outer call
    "net = Net()\ntrain_epoch(net, make_loss(), torch.optim.SGD(net.parameters(), lr=0.1), "
    "[(torch.randn(4, 10), torch.rand(4, 3))])",
    # the model is unknown at the outer call
    "net = load_model()\ntrain_epoch(net, nn.BCELoss(), torch.optim.SGD(net.parameters(), lr=0.1), "
    "[(torch.randn(4, 10), torch.rand(4, 3))])",
])
def test_pt011_a_right_or_unknown_outer_call_is_silent(call):
    assert lint(BCE + call + "\n", "PT011") == []


def test_a_nested_pass_too_deep_for_python_costs_only_that_pass(monkeypatch):
    # the nesting stacks passes on Python's stack: when only a nested pass overflows it, that
    # call keeps its summary; the file's analysis and the outer pass go on
    from ptlint.rules.flow.interp import Interpreter
    real = Interpreter.eval_function

    def eval_function(self, info):
        if len(self.site_chain) > 1:
            raise RecursionError("maximum recursion depth exceeded")
        return real(self, info)

    monkeypatch.setattr(Interpreter, "eval_function", eval_function)
    flow = analyse(BRIEF)
    assert flow.error is None
    assert [len(c) for c in flow.site_values] == [1]  # train_epoch's pass is there, step's is not
    assert lint(BRIEF, "PT003") == []
    # a helper called from the module keeps its finding
    (f,) = lint(STEP + "step(nn.Linear(10, 3), nn.CrossEntropyLoss(), torch.randn(4, 10), torch.ones(4))\n", "PT003")
    assert related(f)[0][1] == "`step()` is called here with this target"


CALLBACK = """import torch
import torch.nn as nn

def apply(fn, x):
    return fn(x)

def labels(x):
    crit = nn.CrossEntropyLoss()
    return crit(torch.randn(4, 3), torch.Tensor([1, 0, 2, 1]))

def fit(model, opt, data):
    for x in data:
        loss = model(x).sum()
        loss.backward()
        opt.step()
{calls}"""


@pytest.mark.parametrize("calls", ["", "\napply(labels, torch.randn(3))\napply(fit, torch.randn(3))\n"])
def test_a_function_first_reached_through_a_callback_keeps_its_own_findings(calls):
    # apply's call-site pass reaches labels() and fit() through its parameter before their
    # summaries are made: they are made outside the pass, as if apply were never called
    src = CALLBACK.format(calls=calls)
    (f,) = lint(src, "PT003")
    assert f.line == line_no(src, "torch.Tensor([1, 0, 2, 1])") and f.related == ()
    assert f.fix is not None
    (g,) = lint(src, "PT002")
    assert g.line == line_no(src, "opt.step()")
