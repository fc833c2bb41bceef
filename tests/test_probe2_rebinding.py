"""The probe checks the names it rebuilds: when the file rebinds `nn`, `torch`, `F` or a
layer/function name it imported from torch, verifying torch's own model would say "ok"
about code that runs something else, so the model (or finding) is unverifiable and the
reason names the binding and its line."""
import json
import subprocess

import pytest

torch = pytest.importorskip("torch")

from ptlint.runtime_probe.compare import OK, UNVERIFIABLE
from ptlint.runtime_probe.probe import ProbeOptions, probe_file
from ptlint.runtime_probe.worker import default_pool

BASE = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):  # ptlint: input=(1, 3, 32, 32)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8 * 30 * 30, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        return self.fc(torch.flatten(x, 1))
'''

CASES = {
    # (file text, rebound name, its line)
    "nn = Evil()": (BASE.replace("import torch.nn.functional as F\n", "import torch.nn.functional as F\nnn = object()\n"),
                    "nn", 4),
    "def F": (BASE + "\n\ndef F():\n    pass\n", "F", 17),
    "nn.Conv2d = …": (BASE + "\nnn.Conv2d = dict\n", "nn.Conv2d", 16),
    "torch = …": (BASE + "\ntorch = None\n", "torch", 16),
    "def relu shadows an imported relu": (
        BASE.replace("import torch.nn.functional as F\n", "from torch.nn.functional import relu\n")
        .replace("F.relu(", "relu(") + "\n\ndef relu(x):\n    return x\n", "relu", 17),
    "class Conv2d shadows an imported Conv2d": (
        BASE.replace("import torch.nn as nn\n", "import torch.nn as nn\nfrom torch.nn import Conv2d\n")
        .replace("nn.Conv2d(3", "Conv2d(3") + "\n\nclass Conv2d(nn.Module):\n    pass\n", "Conv2d", 18),
    "with … as F in a function": (BASE + "\n\ndef helper(path):\n    with open(path) as F:\n        return F.read()\n", "F", 18),
}


@pytest.fixture(scope="module")
def pool():
    return default_pool()


def probe(pool, text, tmp_path):
    path = tmp_path / "net.py"
    path.write_text(text, encoding="utf-8")
    return probe_file(text, str(path), ProbeOptions(device="cpu"), pool=pool)


def test_the_unmodified_file_is_verified(pool, tmp_path):
    assert [m.status for m in probe(pool, BASE, tmp_path).models] == [OK]


def test_a_local_class_named_like_a_layer_it_does_not_use_is_no_rebinding(pool, tmp_path):
    # `nn.Conv2d` is spelled through `nn`: a file's own `class Conv2d` does not change it
    assert [m.status for m in probe(pool, BASE + "\n\nclass Conv2d:\n    pass\n", tmp_path).models] == [OK]


@pytest.mark.parametrize("case", list(CASES))
def test_a_rebound_name_makes_the_model_unverifiable_and_says_where(pool, tmp_path, case):
    text, name, line = CASES[case]
    (m,) = probe(pool, text, tmp_path).models
    assert m.status == UNVERIFIABLE, (case, m.status)
    assert m.reason_en.startswith(f"`{name}` is rebound on line {line}"), m.reason_en
    assert m.reason_zh.startswith(f"第 {line} 行重新绑定了 `{name}`"), m.reason_zh
    assert not m.snippet  # nothing ran


def test_check_probe_finding_in_a_file_with_a_rebound_torch_name_is_unverifiable(pool, tmp_path, capsys, monkeypatch):
    from ptlint.server.cli import main

    # `F` is rebound, not the `nn` the finding spells (a rebound `nn` silences the static
    # rule itself): the probe's literal rebuild uses torch's names, so it cannot vouch.
    (tmp_path / "loss.py").write_text(
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ncriterion = nn.CrossEntropyLoss()\n"
        "logits = torch.randn(6, 8)\nlabels = torch.tensor([1., 0., 3., 2., 5., 4.])\nloss = criterion(logits, labels)\n"
        "F = __import__('os')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    rc = main(["check", "--no-cache", "--format", "json", "--lang", "en", "--probe=cpu", "loss.py"])
    out = capsys.readouterr().out
    recs = [f["extra"].get("probe") for f in json.loads(out) if f["code"] == "PT003"]
    assert recs and all(r["verdict"] == "unverifiable" for r in recs), out
    assert recs[0]["detail"].startswith("`F` is rebound on line 8"), recs[0]


def test_static_rules_are_silent_where_the_spelled_name_is_rebound(tmp_path, capsys, monkeypatch):
    from ptlint.server.cli import main

    (tmp_path / "loss.py").write_text(
        "import torch\nimport torch.nn as nn\n\ncriterion = nn.CrossEntropyLoss()\nlogits = torch.randn(6, 8)\n"
        "labels = torch.tensor([1., 0., 3., 2., 5., 4.])\nloss = criterion(logits, labels)\n"
        "nn = __import__('os')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    main(["check", "--no-cache", "--format", "json", "loss.py"])
    assert [f["code"] for f in json.loads(capsys.readouterr().out)] == []
