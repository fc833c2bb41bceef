"""Facts about a loop itself, which PT018 asks the flow instead of reading the loop's syntax
(issue 12: rules hold decisions only): does it iterate a DataLoader's batches, does an event
run in its first iteration, is a call a statement of its body by itself."""
import pytest

from flowcheck import analyse
from ptlint.rules.flow import SCHEDULER_STEP, is_body_statement, iteration_events, skipped_in_first_iteration
from ptlint.rules.flow.events import walk

HEAD = """import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, 10)
loader = DataLoader(TensorDataset(torch.randn(64, 4)), batch_size=8)
"""


def loops(src):
    flow, module = analyse(HEAD + src)
    return flow, [(module.code_for_node(b.node.iter) if hasattr(b.node, "iter") else "while", b)
                  for b in flow.loop_blocks()]


@pytest.mark.parametrize("iterable, batches", [
    ("loader", True),
    ("enumerate(loader)", True),
    ("tqdm(loader)", True),
    ("enumerate(tqdm(loader))", True),
    ("range(10)", False),
    ("[1, 2, 3]", False),
])
def test_iterates_batches(iterable, batches):
    flow, found = loops(f"for b in {iterable}:\n    sched.step()\n")
    [(_, loop)] = found
    assert flow.iterates_batches(loop) is batches


def test_while_loop_is_no_batch_loop():
    flow, [(_, loop)] = loops("while True:\n    sched.step()\n    break\n")
    assert flow.iterates_batches(loop) is False


@pytest.mark.parametrize("start, test, skipped", [
    ("1, 10", "epoch > 5", True),  # the first epoch (1) fails the test
    ("1, 10", "5 < epoch", True),  # the same test written the other way round
    ("10", "epoch >= 1", True),  # range(10) starts at 0
    ("10", "epoch > args.warm", True),  # an unknown bound is taken to exclude the start
    ("6, 10", "epoch > 5", False),  # the first epoch passes
    ("10", "epoch != 3", False),
    ("n, 10", "epoch > 5", False),  # where the loop starts is not known
    ("n", "epoch > 5", True),  # range(n) starts at 0, whatever n is
    ("10", "flag", False),  # not a test of the counter
])
def test_skipped_in_first_iteration(start, test, skipped):
    flow, [(_, loop)] = loops(f"for epoch in range({start}):\n    opt.step()\n    if {test}:\n        sched.step()\n")
    [step] = [e for e in walk(loop.body) if e.kind == SCHEDULER_STEP]
    assert skipped_in_first_iteration(loop, step) is skipped


def test_else_arm_is_not_guarded_by_the_test():
    flow, [(_, loop)] = loops("for epoch in range(1, 10):\n    if epoch > 5:\n        pass\n"
                              "    else:\n        sched.step()\n")
    [step] = [e for e in walk(loop.body) if e.kind == SCHEDULER_STEP]
    assert skipped_in_first_iteration(loop, step) is False


def test_body_statement_and_iteration_events():
    flow, found = loops("for epoch in range(3):\n    sched.step()\n    if epoch:\n        sched.step()\n"
                        "    for b in loader:\n        sched.step()\n")
    outer = next(loop for code, loop in found if code == "range(3)")
    own = [e for e in iteration_events(outer.body) if e.kind == SCHEDULER_STEP]
    assert len(own) == 2  # the nested loop's step is the nested loop's
    assert [is_body_statement(outer, e.node) for e in own] == [True, False]
