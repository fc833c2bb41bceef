"""Bounded fuzzing of the engine (issue 11): programs from hypothesmith (any Python the
grammar allows) and from a generator of PyTorch idioms (imports and aliases, view and
transpose chains, training loops, Sequential models, numpy interop, losses).

For every program: no exception escapes ``lint_text``; every offered fix (alternatives
included) leaves code that parses; applying the safe fixes is idempotent (fix, analyse
again, fix again: nothing changes). Fixed seed (derandomize), a few hundred programs.
"""
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptlint.rules.config import Config
from ptlint.rules.engine import lint_text
from ptlint.rules.fixes import apply_edits
from ptlint.rules.source import source_from_text
from ptlint.server.fixing import fix_source

hypothesmith = pytest.importorskip("hypothesmith")  # dev extra; skipped where it is absent

def fuzz(n: int) -> settings:
    return settings(derandomize=True, deadline=None, database=None, print_blob=True, max_examples=n,
                    suppress_health_check=list(HealthCheck))
CONFIG = Config()


def _parses(text: str) -> bool:
    try:
        cst.parse_module(text)
        return True
    except cst.ParserSyntaxError:
        return False


def check_program(text: str, *, rules_must_not_fail: bool) -> None:
    res = lint_text(text, "fuzz.py", CONFIG)  # must not raise, whatever the text
    if rules_must_not_fail:
        assert not res.rule_errors, "\n".join(f"{e}\n{e.traceback}" for e in res.rule_errors)
    if not _parses(text):
        return  # nothing offers fixes for a unit that did not parse
    for f in res.findings:
        for fix in (f.fix, *f.alt_fixes):
            if fix is None:
                continue
            fixed = apply_edits(text, fix.edits)
            assert fixed is not None, f"{f.code}: overlapping edits in one fix"
            assert _parses(fixed), f"{f.code} fix does not parse:\n{fixed}"
    once = fix_source(source_from_text(text, "fuzz.py"), CONFIG, res.findings, unsafe=False)
    if once.new is None:
        return
    assert _parses(once.new), once.new
    again_res = lint_text(once.new, "fuzz.py", CONFIG)
    twice = fix_source(source_from_text(once.new, "fuzz.py"), CONFIG, again_res.findings, unsafe=False)
    assert twice.new is None or twice.new == once.new, f"fixing is not idempotent:\n{once.new}\n---\n{twice.new}"


# ---------------------------------------------------------------------- any Python
@fuzz(60)
@given(hypothesmith.from_grammar() | hypothesmith.from_node())
def test_fuzz_grammar_programs(code):
    # prefixed so the engine does not skip the file as unrelated to torch
    check_program("import torch\n" + code, rules_must_not_fail=False)


# ---------------------------------------------------------------------- PyTorch idioms
IMPORTS = [
    "import torch", "import torch as T", "import torch.nn as nn", "from torch import nn",
    "import torch.nn.functional as F", "from torch.nn import CrossEntropyLoss as CE", "import numpy as np",
    "from torch import optim", "import torch.optim as optim",
]
NAMES = ["x", "y", "h", "out", "logits", "w"]
METHODS = [".t()", ".transpose(0, 1)", ".permute(1, 0)", ".contiguous()", ".view(-1)", ".reshape(-1)",
           ".float()", ".long()", ".numpy()", ".detach()", ".cuda()", ".T", ".mT", ".unsqueeze(0)",
           ".squeeze()", ".flatten()", ".view({a}, {b})", ".permute(2, 0, 1)", ".expand({a}, {b})", ".clone()"]
STATEMENTS = [
    "{n} = torch.randn({a}, {b}){m1}{m2}{m3}",
    "{n} = torch.zeros({a}, {b}, dtype=torch.float32){m1}",
    "{n} = torch.tensor([[1, 2], [3, 4]]){m1}{m2}",
    "{n} = {n2}{m1}{m2}",
    "{n} = torch.from_numpy(np.zeros(({a}, {b}))){m1}",
    "arr = {n}.numpy()\narr[0] = 1",
    "{n} = np.ones({a})\n{n2} = torch.from_numpy({n})\n{n}[0] = 5",
    "model = nn.Sequential(nn.Linear({a}, {b}), nn.ReLU(), nn.Linear({b}, {c}))",
    "model = nn.Sequential(nn.Conv2d(3, {a}, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear({a} * {b}, {c}))",
    "model = nn.Sequential(nn.Linear({a}, {b}), nn.Softmax(dim=1))",
    "layer = nn.Conv2d({a}, {b}, kernel_size={c}, stride=2, padding=1)",
    "emb = nn.Embedding({a}, {b})\n{n} = emb(torch.randn(4, 5))",
    "loss_fn = nn.CrossEntropyLoss()\nloss = loss_fn(torch.randn({a}, {b}), torch.randn({a}))",
    "loss = F.cross_entropy(F.softmax(torch.randn({a}, {b}), dim=1), torch.zeros({a}).long())",
    "loss = nn.NLLLoss()(torch.randn({a}, {b}), torch.zeros({a}, dtype=torch.float32))",
    "crit = CE()\nloss = crit({n}, {n2}.float())",
    "opt = optim.SGD(model.parameters(), lr=0.1)",
    "for epoch in range({a}):\n    out = model({n})\n    loss = out.sum()\n    loss.backward()\n    opt.step()",
    "for xb, yb in loader:\n    opt.zero_grad()\n    loss = F.mse_loss(model(xb), yb)\n    loss.backward()\n    opt.step()",
    "with torch.no_grad():\n    {n} = model({n2}){m1}",
    "def f({n}):\n    return {n}{m1}{m2}",
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear({a}, {b})\n"
    "    def forward(self, x):\n        return self.fc(x{m1}{m2})",
    "{n} = torch.cat([{n2}, {n2}{m1}], dim={d})",
    "{n} = {n2}.sum(dim={d}){m1}",
    "if {n}.shape[0] > {a}:\n    {n} = {n}{m1}\nelse:\n    {n} = {n2}",
    "{n}.requires_grad = True\n{n2} = {n} * 2\n{n2}.backward()",
    "sched = optim.lr_scheduler.StepLR(opt, step_size={a})\nsched.step()\nopt.step()",
    "nn.init.xavier_uniform_(layer.weight{m1})",
    "{n} = {n2}.data{m1}\n{n}.add_(1)",
]


@st.composite
def torch_programs(draw):
    imports = draw(st.lists(st.sampled_from(IMPORTS), min_size=1, max_size=5, unique=True))
    lines = ["import torch", *imports]
    for _ in range(draw(st.integers(1, 8))):
        template = draw(st.sampled_from(STATEMENTS))
        ints = {k: draw(st.integers(1, 7)) for k in "abc"}
        methods = {f"m{i}": draw(st.sampled_from(["", *METHODS])).format(**ints) for i in (1, 2, 3)}
        lines.append(template.format(n=draw(st.sampled_from(NAMES)), n2=draw(st.sampled_from(NAMES)),
                                     d=draw(st.integers(-2, 2)), **ints, **methods))
    return "\n".join(lines) + "\n"


@fuzz(240)
@given(torch_programs())
def test_fuzz_torch_idioms(code):
    check_program(code, rules_must_not_fail=True)


def test_generator_makes_valid_python():
    # the idiom generator itself must produce code that parses, or the test above proves little
    @fuzz(30)
    @given(torch_programs())
    def inner(code):
        compile(code, "gen.py", "exec")

    inner()
