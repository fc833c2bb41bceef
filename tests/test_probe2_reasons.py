"""Unverifiable reasons name the real cause: steps after a predicted shape error are not
run (instead of blaming `out.size(0)`), a lost tensor is called lost, a module passed into
a block's constructor (ResNet's `downsample`) is found in the layer list, and a sub-block
class of a model that ran is folded under it."""
import copy
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from ptlint.rules.shapes import shapes_report
from ptlint.runtime_probe.compare import CONFIRMED, NOT_RUN, OK, UNVERIFIABLE
from ptlint.runtime_probe.probe import ProbeOptions, probe_file, probe_report
from ptlint.runtime_probe.render import render_file
from ptlint.runtime_probe.worker import default_pool

FIX = Path(__file__).parent / "fixtures"

AFTER_ERROR = '''import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc1 = nn.Linear(100, 20)
        self.fc2 = nn.Linear(20, 10)

    def forward(self, x):
        out = self.conv(x)
        out = out.view(out.size(0), -1)
        out = self.fc1(out)
        out = out.view(out.size(0), -1)
        return self.fc2(out)


net = Net()
net(torch.randn(1, 3, 32, 32))
'''

LOST = '''import torch
import torch.nn as nn


def mystery(t):
    return t.numpy()


class Net(nn.Module):  # ptlint: input=(1, 8)
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        out = mystery(self.fc1(x))
        return self.fc2(out)
'''


@pytest.fixture(scope="module")
def pool():
    return default_pool()


def run(pool, text, name="net.py", **kw):
    return probe_file(text, name, ProbeOptions(device="cpu"), pool=pool, **kw)


def test_steps_after_a_confirmed_error_are_not_run_not_blamed(pool):
    (m,) = run(pool, AFTER_ERROR).models
    assert m.status == CONFIRMED
    text = render_file(run(pool, AFTER_ERROR), "en")
    assert "out.size(0)" not in text and "not a literal" not in text, text
    assert [s.status for s in m.steps if (s.range or {}).get("start", {}).get("line") in (16, 17)] == [NOT_RUN, NOT_RUN]


def test_a_layer_whose_input_was_lost_says_so(pool):
    (m,) = run(pool, LOST).models
    assert m.status == UNVERIFIABLE
    assert m.reason_en == ("`fc2` (line 17): the static analysis lost track of the tensor passed to it; "
                           "the probe cannot rebuild this call")
    assert "静态分析没有跟踪到传给它的张量" in m.reason_zh
    assert "ptlint bug" not in render_file(run(pool, LOST), "en")


def test_a_variable_lost_before_a_call_is_not_called_a_non_literal(pool):
    text = (FIX / "probe_tvresnet.py").read_text(encoding="utf-8")
    text = text.replace("x = self.avgpool(x)", "x = torch.nn.functional.adaptive_avg_pool2d(self.opaque(x), 1)")
    text = text.replace("self.fc = nn.Linear", "self.opaque = torch.jit.script(nn.Identity())\n        self.fc = nn.Linear")
    (m,) = [m for m in run(pool, text).models if m.name == "ResNet"]
    assert m.status == UNVERIFIABLE
    assert "not a literal" not in m.reason_en and "does not know what `self.opaque(x)` returns" in m.reason_en, m.reason_en


def test_a_downsample_named_relative_to_its_block_is_found_in_the_layer_list(pool):
    path = FIX / "probe_tvresnet.py"
    report = shapes_report(path.read_text(encoding="utf-8"), str(path), model="ResNet")
    old = copy.deepcopy(report)  # what an engine that loses the constructor-argument path says
    renamed = 0
    for step in old["models"][0]["steps"]:
        if step.get("op") == "layer" and ".downsample." in step.get("layer", ""):
            step["layer"] = step["layer"].split(".", 2)[-1]
            renamed += 1
    assert renamed == 2  # layer2.0.downsample.0 and .1
    for rep in (report, old):
        (m,) = probe_report(rep, ProbeOptions(device="cpu"), pool=pool).models
        assert m.status == OK, m.reason_en
        assert "layer2.0.downsample.0 (Conv2d)" in [s.label for s in m.steps] or rep is old


def test_sub_block_classes_fold_under_the_model_that_ran(pool):
    path = FIX / "probe_tvresnet.py"
    fp = run(pool, path.read_text(encoding="utf-8"), str(path))
    assert [m.name for m in fp.models] == ["ResNet"]
    assert fp.models[0].parts == ["BasicBlock"]
    text = render_file(fp, "zh")
    assert "输入形状" in text and "不知道模型 `BasicBlock`" not in text
    # asked for by name, the block still says why it cannot run alone
    (b,) = run(pool, path.read_text(encoding="utf-8"), str(path), model="BasicBlock").models
    assert b.status == UNVERIFIABLE and "input shape of `BasicBlock` is unknown" in b.reason_en
