"""Facts the analysis core answers for rules (issue 12: rules ask the core, they do not walk
the tree for facts): schedulers and the optimizer they drive, ..."""
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
