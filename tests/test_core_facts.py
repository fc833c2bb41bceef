"""Facts the analysis core answers for rules (issue 12: rules ask the core, they do not walk
the tree for facts): schedulers and the optimizer they drive (PT018), where a value's batch
dim comes from (PT025), requires_grad through ops and lists (PT014), and what the callers
of a helper pass for a parameter (PT024)."""
import pytest

from ptlint.rules.flow import Kind
from ptlint.rules.flow.schedulers import driven_optimizer
from rulecheck import lines
from test_flow_core import value

_HF_HEAD = ("import torch\nfrom transformers import get_linear_schedule_with_warmup, get_scheduler\n"
            "model = torch.nn.Linear(2, 1)\nopt_a = torch.optim.AdamW(model.parameters())\n"
            "opt_b = torch.optim.SGD(model.parameters(), lr=0.1)\n")


@pytest.mark.parametrize("ctor, driven", [
    ("get_linear_schedule_with_warmup(opt_a, 0, 10)", "opt_a"),
    ("get_scheduler('linear', opt_b, num_warmup_steps=0, num_training_steps=10)", "opt_b"),
    ("get_scheduler('linear', optimizer=opt_a)", "opt_a"),
    ("torch.optim.lr_scheduler.StepLR(opt_b, step_size=3)", "opt_b"),
])
def test_schedule_factories_of_transformers_and_torch_build_a_scheduler_bound_to_its_optimizer(ctor, driven):
    v = value(_HF_HEAD + f"sched = {ctor}\nsched\n", "sched")
    assert v.kind is Kind.SCHEDULER
    assert driven_optimizer(v) == driven


@pytest.mark.parametrize("src", [
    "import torch\nfrom mylib import get_linear_schedule_with_warmup\nopt = torch.optim.SGD([], lr=1)\n"
    "sched = get_linear_schedule_with_warmup(opt, 0, 10)\nsched\n",
    "import torch\nfrom transformers import get_linear_schedule_with_warmup\nargs = (opt, 0, 10)\n"
    "sched = get_linear_schedule_with_warmup(*args)\nsched\n",  # which one is the optimizer?
    "import torch\nsched = torch.optim.lr_scheduler.lr_lambda_helper(opt)\nsched\n",
])
def test_other_calls_build_no_scheduler(src):
    v = value(src, "sched")
    assert v.kind is not Kind.SCHEDULER and driven_optimizer(v) is None


_TWO_OPTS = (_HF_HEAD + "sched = get_scheduler('linear', opt_b, num_warmup_steps=0, num_training_steps=10)\n"
             "for x in data:\n    model(x).sum().backward()\n{body}")


def test_pt018_judges_a_get_scheduler_against_the_optimizer_passed_second():
    # get_scheduler(name, optimizer, ...): the schedule drives opt_b, which steps after it
    body = "    opt_a.step()\n    sched.step()  # <-\n    opt_b.step()\n"
    assert lines(_TWO_OPTS.format(body=body), "PT018") == [10]


def test_pt018_is_silent_when_the_optimizer_a_get_scheduler_drives_stepped_first():
    body = "    opt_b.step()\n    sched.step()\n    opt_a.step()\n"
    assert lines(_TWO_OPTS.format(body=body), "PT018") == []


# ---------------------------------------------------------------- batch origins
def _origin(src, code):
    """BatchOrigins' answer for the last expression whose source is ``code``, asked where it is."""
    import libcst as cst

    from ptlint.rules import Config
    from ptlint.rules.batch_origin import BatchOrigins
    from ptlint.rules.engine import FileContext
    from ptlint.rules.source import source_from_text

    source = source_from_text(src, "t.py", notebook=False)
    module = cst.parse_module(source.units[0].text)
    ctx = FileContext(source, Config(), module, [(source.units[0], module)])
    hits = []

    class V(cst.CSTVisitor):
        def __init__(self):
            super().__init__()
            self.stack = []

        def on_visit(self, node):
            self.stack.append(node)
            if isinstance(node, cst.BaseExpression) and module.code_for_node(node) == code:
                hits.append((node, list(self.stack)))
            return True

        def on_leave(self, node):
            self.stack.pop()

    module.visit(V())
    assert hits, code
    node, ancestors = hits[-1]
    found = ctx.analysis(BatchOrigins).origin(node, ancestors)
    return module.code_for_node(found).splitlines()[0] if found is not None else None


_NET = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nclass Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 1)\n"
        "        self.rnn = nn.LSTM(8, 8)\n    def forward(self, x):\n{body}")


@pytest.mark.parametrize("body, expr, origin", [
    ("        y = torch.sigmoid(self.fc(x))\n        return y\n", "y", "nn.Linear(8, 1)"),
    ("        return x.permute(0, 2, 1).mean((2,))\n", "x.permute(0, 2, 1).mean((2,))", "def forward(self, x):"),
    ("        return F.avg_pool2d(x, 2) * 2\n", "F.avg_pool2d(x, 2) * 2", "def forward(self, x):"),
])
def test_batch_origin_follows_names_elementwise_steps_and_dim0_keeping_methods(body, expr, origin):
    assert _origin(_NET.format(body=body), expr) == origin


@pytest.mark.parametrize("body, expr", [
    ("        out, _ = self.rnn(x)\n        return self.rnn(x)\n", "self.rnn(x)"),  # dim 0 is time
    ("        return x.mean(0)\n", "x.mean(0)"),  # the batch is reduced away
    ("        return x.transpose(0, 1)\n", "x.transpose(0, 1)"),
    ("        return x @ x\n", "x @ x"),
])
def test_batch_origin_is_unknown_where_dim0_is_not_or_may_not_be_the_batch(body, expr):
    assert _origin(_NET.format(body=body), expr) is None


def test_batch_origin_of_a_loader_batch_and_not_of_a_full_batch_tensor_the_file_builds():
    src = ("import torch\nfrom torch.utils.data import DataLoader\nmodel = torch.nn.Linear(2, 1)\n"
           "train_x = torch.randn(200, 2)\nfull = model(train_x)\n"
           "for xb, yb in DataLoader(ds, batch_size=8):\n    part = model(xb)\n")
    assert _origin(src, "full") is None
    assert _origin(src, "part") == "torch.nn.Linear(2, 1)"


# ---------------------------------------------------------------- gradients through ops and lists
def _grad(src):
    """(GradFacts, module) for ``src``."""
    import libcst as cst

    from ptlint.rules import Config
    from ptlint.rules.engine import FileContext
    from ptlint.rules.grad_facts import GradFacts
    from ptlint.rules.source import source_from_text

    source = source_from_text(src, "t.py", notebook=False)
    module = cst.parse_module(source.units[0].text)
    ctx = FileContext(source, Config(), module, [(source.units[0], module)])
    return ctx.analysis(GradFacts), module


def _last(module, code):
    from test_flow_core import find

    return find(module, code)


_TRAIN = ("import torch\nimport numpy as np\nmodel = torch.nn.Linear(2, 1)\ncriterion = torch.nn.MSELoss()\n"
          "def train(loader):\n    losses = []\n    for x, y in loader:\n        out = model(x)\n{body}"
          "        loss.backward()\n    return np.mean(losses)\n")


@pytest.mark.parametrize("line, expected", [
    ("        loss = criterion(out, y)\n", True),   # a loss object called on it
    ("        loss = ((out - y) ** 2).mean()\n", True),  # arithmetic, then a differentiable method
    ("        loss = (out > y).sum()\n", None),  # a comparison has no gradient
    ("        with torch.no_grad():\n            loss = criterion(out, y)\n", None),
])
def test_requires_grad_through_ops_follows_what_a_training_loop_computes(line, expected):
    grad, module = _grad(_TRAIN.format(body=line))
    assert grad.requires_grad_through_ops(_last(module, "loss")) is expected


def _item(src, harmless=lambda call: True):
    from ptlint.rules.node_index import NodeIndex

    grad, module = _grad(src)
    arg = _last(module, "losses")
    anc = grad.ctx.analysis(NodeIndex).ancestors(arg)  # what ctx.ancestors is when a rule visits arg
    item = grad.grad_item(arg, anc, harmless) if grad.trains_here(anc) else None
    return module.code_for_node(item) if item is not None else None


def test_grad_item_is_the_append_that_put_a_tensor_requiring_grad_in_the_list():
    src = _TRAIN.format(body="        loss = criterion(out, y)\n        losses.append(loss)\n")
    assert _item(src) == "loss"


@pytest.mark.parametrize("body, harmless", [
    ("        loss = criterion(out, y)\n        losses.append(loss.item())\n", True),  # a number
    ("        loss = criterion(out, y)\n        losses.append(loss)\n        helper(losses)\n", False),
    ("        loss = criterion(out, y)\n        losses.append(loss)\n        losses = [l.item() for l in losses]\n",
     True),  # rebound to plain numbers before it is read
])
def test_grad_item_is_unknown_for_numbers_or_a_list_used_elsewhere(body, harmless):
    assert _item(_TRAIN.format(body=body), lambda call: harmless) is None


def test_grad_item_of_an_evaluation_helper_that_does_not_train_is_not_trusted():
    src = _TRAIN.format(body="        loss = criterion(out, y)\n        losses.append(loss)\n").replace(
        "        loss.backward()\n", "")
    assert _item(src) is None


# ---------------------------------------------------------------- what callers pass
def _passed(src, fn_name="helper", param="x"):
    import libcst as cst

    from ptlint.rules.call_sites import CallSites

    grad, module = _grad(src)  # any analysis gives the file context
    fn = next(s for s in module.body if isinstance(s, cst.FunctionDef) and s.name.value == fn_name)
    passed = grad.ctx.analysis(CallSites).arguments_for(fn, param)
    return None if passed is None else [module.code_for_node(p.value) for p in passed]


def test_arguments_for_lists_what_every_call_passes_positionally_or_by_keyword():
    src = ("def helper(a, x, *, k=1):\n    return x\nhelper(1, [1, 2])\ndef main(t):\n    return helper(0, x=t)\n"
           "class C:\n    def m(self):\n        return helper(2, self.w)\n")
    assert _passed(src) == ["[1, 2]", "t", "self.w"]


def test_arguments_for_an_attribute_or_keyword_named_like_the_helper_is_not_a_use_of_it():
    # ``obj.helper`` is another object's attribute and ``f(helper=1)`` a keyword: the module's
    # helper is still only called
    src = "def helper(x):\n    return x\nhelper(3)\nobj.helper(4)\nf(helper=1)\n"
    assert _passed(src) == ["3"]


@pytest.mark.parametrize("src", [
    "def helper(x):\n    return x\nhelper(1)\nf = helper\n",  # handed on: not every call is seen
    "def helper(x=0):\n    return x\nhelper(1)\nhelper()\n",  # a call takes the default
    "def helper(x):\n    return x\nargs = [1]\nhelper(*args)\n",
    "def helper(x):\n    return helper(x - 1) if x else 0\nhelper(3)\n",  # calls itself
    "import functools\n@functools.cache\ndef helper(x):\n    return x\nhelper(1)\n",
    "from lib import helper\ndef helper(x):\n    return x\nhelper(1)\n",
    "def helper(x):\n    return x\ndef helper(x):\n    return -x\nhelper(1)\n",
    "def helper(x):\n    return x\ndef main():\n    helper = print\n    helper(1)\n",
    "def helper(x):\n    return x\n",  # never called
])
def test_arguments_for_is_unknown_when_some_caller_is_not_seen(src):
    assert _passed(src) is None


# ---------------------------------------------------------------- where a name is read next
def test_loads_after_gives_the_later_reads_of_a_name_until_it_is_rebound():
    import libcst as cst

    from ptlint.rules.name_uses import loads_after

    module = cst.parse_module("y = f()\nprint(y[0])\ng = lambda: y\nz = y.t()\ny = 3\nprint(y)\n")
    uses = loads_after(module, module.body[0], "y")
    assert [(type(u.parent).__name__, module.code_for_node(u.grandparent)) for u in uses] == [
        ("Subscript", "y[0]"), ("Attribute", "y.t()")]  # not inside the lambda, not after ``y = 3``
    assert loads_after(module, module.body[1].body[0], "y") is None  # not a statement of the block


def test_an_attribute_or_keyword_named_like_the_variable_is_not_a_read_of_it():
    import libcst as cst

    from ptlint.rules.name_uses import loads_after

    module = cst.parse_module("h = f()\nself.h = g(h=1)\nout = act(h)\n")
    uses = loads_after(module, module.body[0], "h")
    assert [(u.statement is module.body[2], module.code_for_node(u.grandparent)) for u in uses] == [(True, "act(h)")]
    assert loads_after(list(module.body), module.body[0], "h") == uses  # a statement list works too


def test_pt025_on_a_one_line_if_is_silent_and_does_not_fail():
    src = ("import torch.nn as nn\nmodel = nn.Linear(8, 1)\ndef first(x, c):\n"
           "    if c: p = model(x).squeeze()\n    return p[0]\n")
    assert lines(src, "PT025") == []  # lint() also asserts the rule raised nothing


# ---------------------------------------------------------------- tensors through NumPy ufuncs
def _through_numpy(src, code):
    from ptlint.rules.bindings import LocalFacts

    grad, module = _grad(src)
    facts = grad.ctx.analysis(LocalFacts)
    return facts.is_tensor_through_numpy(_last(module, code), facts.module_scope)


@pytest.mark.parametrize("expr, expected", [
    ("np.exp(t)", True),
    ("np.add(t, -1) * 2", True),
    ("np.maximum(t, t)", True),
    ("np.exp(np.ones(3))", False),  # an array stays an array
    ("np.add(t, a)", False),  # with an array operand the result is not known to be a tensor
    ("np.exp(t, out=a)", False),  # the result is whatever out= is
    ("np.mean(t)", False),  # not a ufunc
])
def test_numpy_ufuncs_of_tensors_are_tensors(expr, expected):
    import numpy as np
    import torch

    t, a = torch.ones(3), np.zeros(3)
    if expected:  # what the claim rests on
        assert isinstance(eval(expr, {"np": np, "t": t, "a": a}), torch.Tensor)
    src = f"import numpy as np\nimport torch\nt = torch.ones(3)\na = np.zeros(3)\ny = {expr}\ny\n"
    assert _through_numpy(src, "y") is expected
