"""PT001 and PT003 confirmed by PyTorch: the rules put the facts the runtime probe replays
into ``Finding.extra`` (PT001: the tensor's literal shape and dtype and every operation up
to the failing ``.view``; PT003: the loss, its literal arguments, the input's and target's
shapes and dtypes), ``ptlint check --probe=cpu`` runs them with real torch and the
finding gets PyTorch's own error. Facts the flow analysis does not know as literals are
left out, and the verdict is "unverifiable", never a guess."""
import json
import subprocess

import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.catalog.pt001_view_on_noncontiguous import ViewOnNoncontiguous
from ptlint.rules.catalog.pt003_loss_target_dtype import LossTargetDtype

VIEW_ERROR = "view size is not compatible with input tensor's size and stride"


def lint(src, codes=("PT001", "PT003")):
    res = lint_text(src, "t.py", Config(select=codes))
    assert not res.rule_errors, res.rule_errors
    return res.findings


def facts(src, code):
    """``extra`` of the findings of ``code``, by line, without the alternative fixes."""
    return {f.range.start.line: dict(f.extra)
            for f in lint(src) if f.code == code}


# ---------------------------------------------------------------------- the facts (no torch needed)
def test_pt001_records_shape_dtype_and_every_operation_up_to_the_view():
    src = ("import torch\n"
           "x = torch.randn(3, 4)\n"
           "a = x.transpose(0, 1).view(-1)\n"                       # 3
           "y = x.t() * 2\n"
           "b = (-y).to(torch.float64).T.mT.view(12)\n"              # 5
           "c = torch.transpose(x, 0, 1).clone().view(-1)\n"         # 6
           "z = torch.arange(24).view(2, 3, 4)\n"
           "B = z.size(0)\n"
           "d = z.permute(0, 2, 1).view(B, -1)\n"                    # 9
           "w = torch.randn(3, 4, dtype=torch.float64)\n"
           "w.t_()\n"
           "e = w.view(12)\n")                                       # 12
    got = facts(src, "PT001")
    assert got[3] == {"shape": [3, 4], "dtype": "float32", "chain": [
        {"method": "transpose", "args": [0, 1]}, {"method": "view", "args": [-1]}]}
    assert got[5]["chain"] == [{"method": "t", "args": []}, {"method": "mul", "args": [2]},
                               {"method": "neg", "args": []}, {"method": "double", "args": []},
                               {"attr": "T"}, {"attr": "mT"}, {"method": "view", "args": [12]}]
    assert got[6]["chain"][:2] == [{"method": "transpose", "args": [0, 1]}, {"method": "clone", "args": []}]
    assert got[9] == {"shape": [24], "dtype": "int64", "chain": [  # B = z.size(0) is known to be 2
        {"method": "view", "args": [2, 3, 4]}, {"method": "permute", "args": [0, 2, 1]},
        {"method": "view", "args": [2, -1]}]}
    assert got[12] == {"shape": [3, 4], "dtype": "float64", "chain": [
        {"method": "t", "args": []}, {"method": "view", "args": [12]}]}
    json.dumps(got)  # goes into the JSON report as is


@pytest.mark.parametrize("src", [
    # a parameter: its shape is not known
    "import torch\ndef f(x):\n    return x.t().view(-1)\n",
    # slicing and split have no link the probe can replay
    "import torch\nx = torch.randn(3, 5)\ny = x[:, ::2].view(-1)\n",
    "import torch\nx = torch.randn(3, 4)\na, b = torch.split(x, 2, dim=1)\nc = a.view(-1)\n",
    # a tensor operand is not a literal
    "import torch\nx = torch.randn(3, 4)\nc = torch.randn(4, 3)\nz = (x.t() + c).view(-1)\n",
    # two different histories joined: which one ran is not known
    "import torch\ndef f(flag):\n    x = torch.randn(3, 4)\n    y = x.t()\n    if flag:\n        y = y * 2\n"
    "    return y.view(-1)\n",
    "import torch\nx = torch.randn(3, 4)\nfor _ in range(3):\n    x = x * 2\nz = x.t().view(-1)\n",
    # a device we do not know
    "import torch\ndef f(dev):\n    x = torch.randn(3, 4)\n    return x.t().to(dev).view(-1)\n",
])
def test_pt001_leaves_out_what_is_not_a_literal(src):
    (only,) = facts(src, "PT001").values()
    assert only == {}


def test_pt003_records_the_loss_its_arguments_and_both_tensors():
    src = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
           "criterion = nn.CrossEntropyLoss(reduction='sum', label_smoothing=0.1)\n"
           "logits = torch.randn(3, 5)\n"
           "loss = criterion(logits, torch.Tensor([1, 0, 4]))\n"                                  # 6
           "a = F.cross_entropy(logits, torch.tensor([1, 0, 2], dtype=torch.int32), None, None, -1)\n"  # 7
           "def g(x):\n"
           "    n = x.size(0)\n"
           "    return F.nll_loss(torch.randn(n, 4).log_softmax(1), torch.zeros(n))\n")        # 10
    got = facts(src, "PT003")
    assert got[6] == {"loss": "torch.nn.CrossEntropyLoss", "loss_kwargs": {"reduction": "sum", "label_smoothing": 0.1},
                      "input_shape": [3, 5], "input_dtype": "float32", "target_shape": [3], "target_dtype": "float32"}
    assert got[7]["loss"] == "torch.nn.functional.cross_entropy"
    assert got[7]["loss_kwargs"] == {"ignore_index": -1}  # weight=None and size_average=None are the defaults
    assert got[7]["target_dtype"] == "int32"
    # the same symbolic batch in dim 0 of both: the probe picks a small size for it
    assert got[10]["input_shape"] == ["N", 4] and got[10]["target_shape"] == ["N"]


def test_pt003_leaves_out_what_is_not_a_literal():
    src = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
           "def f(out, y):\n"
           "    return F.cross_entropy(out, y.float())\n"                                          # 5
           "w = torch.ones(5)\n"
           "c = nn.CrossEntropyLoss(weight=w)(torch.randn(3, 5), torch.zeros(3))\n"               # 7
           "def g(a, b):\n"
           "    return F.cross_entropy(torch.randn(a.size(0), 5), torch.zeros(b.size(0)))\n")     # 9
    got = facts(src, "PT003")
    assert got[5] == {"loss": "torch.nn.functional.cross_entropy", "loss_kwargs": {}, "target_dtype": "float32"}
    assert "loss" not in got[7] and got[7]["input_shape"] == [3, 5]  # weight is a tensor
    assert "input_shape" not in got[9] and "target_shape" not in got[9]  # two batch sizes that may differ


# ---------------------------------------------------------------------- with PyTorch
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")  # CI installs the CPU wheel; the probe needs it


@pytest.fixture(scope="module")
def pool(torch):
    from ptlint.runtime_probe.worker import default_pool

    return default_pool()


def check_probe(tmp_path, monkeypatch, capsys, text, *extra_args):
    """``ptlint check --probe=cpu --format json`` in this process (the warm worker is reused)."""
    from ptlint.server.cli import main

    (tmp_path / "t.py").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    rc = main(["check", "--no-cache", "t.py", "--probe=cpu", "--format", "json", *extra_args])
    out = capsys.readouterr()
    return subprocess.CompletedProcess([], rc, out.out, out.err)


def verdicts(proc, code):
    return {f["range"]["start"]["line"]: f["extra"]["probe"] for f in json.loads(proc.stdout) if f["code"] == code}


KNOWN_VIEWS = """import torch
x = torch.randn(3, 4)
a = x.transpose(0, 1).view(-1)
b = (-(x.t() * 2)).to(torch.float64).T.mT.view(12)
c = torch.transpose(x, 0, 1).clone().view(-1)
z = torch.arange(24).view(2, 3, 4)
B = z.size(0)
d = z.permute(0, 2, 1).view(B, -1)
e = torch.randn(3, 1).expand(3, 4).view(-1)
f = x.narrow(1, 0, 2).view(-1)
for i in range(2):
    g = x.movedim(0, 1).view(-1)
"""


def test_pt001_with_known_shapes_is_confirmed_with_pytorchs_error(torch, pool, tmp_path, monkeypatch, capsys):
    proc = check_probe(tmp_path, monkeypatch, capsys, KNOWN_VIEWS)
    got = verdicts(proc, "PT001")
    assert sorted(got) == [3, 4, 5, 8, 9, 10, 12], proc.stderr
    for line, rec in got.items():
        assert rec["verdict"] == "confirmed", (line, rec)
        assert rec["detail"].startswith(VIEW_ERROR) and rec["device"] == "cpu" and rec["torch"] == torch.__version__
    assert "refuted" not in proc.stderr
    assert proc.returncode == 1  # the findings themselves; the probe never changes the exit status


def test_pt001_with_unknown_shapes_is_unverifiable(pool, tmp_path, monkeypatch, capsys):
    text = ("import torch\n"
            "def f(x):\n"
            "    return x.t().view(-1)\n"                      # 3: the shape of x is not known
            "y = torch.randn(3, 5)[:, ::2].view(-1)\n"         # 4: slicing is not replayed
            "w = torch.randn(3, 4).swapdims(0, 1).view(-1)\n")  # 5: swapdims is not on the probe's allow-list
    got = verdicts(check_probe(tmp_path, monkeypatch, capsys, text, "--lang", "en"), "PT001")
    assert {line: rec["verdict"] for line, rec in got.items()} == {3: "unverifiable", 4: "unverifiable",
                                                                   5: "unverifiable"}
    assert "cannot be rebuilt from literals" in got[3]["detail_en"]
    assert got[3]["detail_zh"].startswith("无法只用字面量重建这个张量")
    assert "swapdims" in got[5]["detail_en"]


KNOWN_LOSSES = """import torch
import torch.nn as nn
import torch.nn.functional as F
criterion = nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)
logits = torch.randn(3, 5)
l1 = criterion(logits, torch.Tensor([1, 0, 4]))
l2 = F.cross_entropy(logits, torch.tensor([1, 0, 2], dtype=torch.int32), ignore_index=-1)
l3 = nn.CrossEntropyLoss()(torch.randn(2, 3), torch.tensor([True, False]))
def g(x):
    n = x.size(0)
    return F.nll_loss(torch.randn(n, 4).log_softmax(1), torch.zeros(n))
"""


def test_pt003_with_known_shapes_is_confirmed_with_pytorchs_error(pool, tmp_path, monkeypatch, capsys):
    proc = check_probe(tmp_path, monkeypatch, capsys, KNOWN_LOSSES)
    got = verdicts(proc, "PT003")
    assert sorted(got) == [6, 7, 8, 11], proc.stderr
    assert all(rec["verdict"] == "confirmed" and rec["device"] == "cpu" for rec in got.values()), got
    # PyTorch's words: torch 2.13 "expected target dtype to be Long or Byte, but got Float";
    # 2.11 on the CPU "expected scalar type Long but found Float" (checked on a GPU machine too,
    # where CUDA says '"nll_loss_forward_reduce_cuda_kernel_2d_index" not implemented for 'Float'')
    for line, word in ((6, "Float"), (7, "Int"), (8, "Bool"), (11, "Float")):
        assert "Long" in got[line]["detail"] and word in got[line]["detail"], got[line]
    assert "refuted" not in proc.stderr


def test_pt003_with_unknown_shapes_or_arguments_is_unverifiable(pool, tmp_path, monkeypatch, capsys):
    text = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
            "def f(out, y):\n"
            "    return F.cross_entropy(out, y.float())\n"                                   # 5
            "w = torch.ones(5)\n"
            "c = nn.CrossEntropyLoss(weight=w)(torch.randn(3, 5), torch.zeros(3))\n")       # 7
    got = verdicts(check_probe(tmp_path, monkeypatch, capsys, text, "--lang", "en"), "PT003")
    assert {line: rec["verdict"] for line, rec in got.items()} == {5: "unverifiable", 7: "unverifiable"}
    assert got[5]["detail_en"] == "the shape of the input is not known"
    assert "cannot be rebuilt from literals" in got[7]["detail_en"] and "weight" in got[7]["detail_zh"]


def test_no_must_flag_example_is_refuted_by_pytorch(pool):
    """Every PT001/PT003 must-flag example: whenever the rule hands the probe complete
    facts, PyTorch raises — a refuted verdict would be a false positive of ours (or a
    wrong chain)."""
    from ptlint.rules.probe_requests import request_for
    from ptlint.runtime_probe.probe import ProbeOptions, Prober, check_request

    prober = Prober(ProbeOptions(device="cpu"), pool)
    seen = {"confirmed": 0, "unverifiable": 0}
    for rule in (ViewOnNoncontiguous, LossTargetDtype):
        for src in rule.must_flag:
            for f in lint(src, (rule.code,)):
                rec = check_request(request_for(f), prober, "en")
                assert rec["verdict"] in seen, (src, f.extra, rec)
                seen[rec["verdict"]] += 1
    assert seen["confirmed"] >= 12, seen  # the examples with literal shapes
