"""``ptlint shapes``: the torchsummary-style table, the JSON contract the LSP and the
probe read (validated against a schema), --input / --model / stdin / errors, and the
Python API (``shapes_report``, hover and inlay hints)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from ptlint.rules import lint_text
from ptlint.rules.shapes import ShapeAnalysis, shapes_report

ROOT = Path(__file__).resolve().parent.parent
LENET = ROOT / "examples" / "lenet_mnist.py"
RESNET = ROOT / "tests" / "fixtures" / "resnet18.py"

RANGE = {"type": "object", "required": ["start", "end"], "properties": {
    "start": {"type": "object", "required": ["line", "column"], "properties": {
        "line": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 0}}},
    "end": {"type": "object", "required": ["line", "column"]},
    "cell": {"type": "integer", "minimum": 1}}}
DIM = {"type": ["integer", "string", "null"]}
SHAPE = {"type": ["array", "null"], "items": DIM}
SCHEMA = {
    "type": "object", "required": ["version", "path", "models"],
    "properties": {
        "version": {"const": 1}, "path": {"type": "string"},
        "models": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "kind", "range", "input", "layers", "steps", "complete", "errors"],
            "properties": {
                "name": {"type": "string"}, "kind": {"enum": ["module", "sequential"]}, "range": RANGE,
                "input": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["shape", "source", "range"],
                                                       "properties": {"shape": {"type": "array", "items": DIM},
                                                                      "source": {"enum": ["comment", "call", "summary",
                                                                                          "dataset", "cli"]}}}]},
                "layers": {"type": "array", "items": {
                    "type": "object", "required": ["name", "type", "args", "kwargs", "literal", "range", "params"],
                    "properties": {"name": {"type": "string"}, "type": {"type": "string", "pattern": r"^torch\.nn\."},
                                   "args": {"type": "array"}, "kwargs": {"type": "object"},
                                   "literal": {"type": "boolean"}, "range": RANGE,
                                   "params": {"type": ["integer", "null"]}}}},
                "steps": {"type": "array", "items": {
                    "type": "object", "required": ["id", "op", "inputs"],
                    "properties": {
                        "id": {"type": "integer"},
                        "op": {"enum": ["input", "layer", "call", "method", "binary", "getitem", "item", "unknown",
                                        "output"]},
                        "inputs": {"type": "array", "items": {"type": "integer"}},
                        "output": SHAPE, "range": {"oneOf": [{"type": "null"}, RANGE]},
                        "layer": {"type": "string"}, "fn": {"type": "string"}, "method": {"type": "string"},
                        "operator": {"type": "string"}, "args": {"type": "array"}, "kwargs": {"type": "object"},
                        "params": {"type": ["integer", "null"]}, "formula": {"type": "string"},
                        "outputs": {"type": "array"}, "inputs_in_args": {"const": True}}}},
                "complete": {"type": "boolean"}, "executable": {"type": "boolean"},
                "errors": {"type": "array", "items": {
                    "type": "object", "required": ["step", "code", "message_zh", "message_en"],
                    "properties": {"step": {"type": ["integer", "null"]}, "code": {"const": "PT005"}}}}}}}}}


def cli(*args, input=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "ptlint", "shapes", *args], capture_output=True, text=True,
                          input=input, cwd=cwd or ROOT, timeout=120)


# ---------------------------------------------------------------------- text
def test_text_table_has_layer_line_shape_params_and_formula():
    proc = cli(str(RESNET), "--model", "ResNet", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ResNet  (module, line 34)  · input (1, 3, 32, 32) (call, line 73)" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("conv1 (Conv2d)"))
    assert row.split()[2:4] == ["56", "(1,"] and "1,728" in row
    assert "OH = ⌊(32 + 2×1 − 1×(3 − 1) − 1) / 1⌋ + 1 = 32" in row
    assert any("layer4.1.bn2 (BatchNorm2d)" in line and "(1, 512, 4, 4)" in line for line in out.splitlines())
    assert "linear (Linear)" in out and "(1, 10)" in out
    assert "Total params: 11,173,962" in out


def test_text_shows_the_error_in_chinese_by_default():
    proc = cli(str(LENET))
    assert proc.returncode == 0
    assert "输入 (N, 1, 28, 28)（数据集" in proc.stdout
    assert "✗ PT005 第 21 行：pool 输出 (N, 16, 4, 4) → 展平得 256，但 fc1.in_features = 400" in proc.stdout


def test_params_match_torch_for_resnet18():
    torch = pytest.importorskip("torch")
    doc = shapes_report(RESNET.read_text(encoding="utf-8"), str(RESNET), model="ResNet")
    ns: dict = {}
    exec(compile(RESNET.read_text(encoding="utf-8").split("if __name__")[0], str(RESNET), "exec"), ns)  # noqa: S102
    net = ns["ResNet18"]()
    assert doc["models"][0]["params"] == sum(p.numel() for p in net.parameters())
    assert doc["models"][0]["steps"][-2]["output"] == list(net(torch.randn(1, 3, 32, 32)).shape)


# ---------------------------------------------------------------------- JSON contract
@pytest.mark.parametrize("path", [LENET, RESNET, ROOT / "examples" / "conv_drops_remainder.py"])
def test_json_follows_the_documented_contract(path):
    proc = cli(str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["path"] == str(path)
    for m in doc["models"]:
        ids = [s["id"] for s in m["steps"]]
        assert ids == list(range(len(ids)))
        for s in m["steps"]:
            assert all(i < s["id"] for i in s["inputs"])  # a graph in execution order
        names = {la["name"] for la in m["layers"]}
        assert all(s["layer"] in names for s in m["steps"] if s["op"] == "layer")


def test_json_steps_of_a_module_forward():
    doc = shapes_report(LENET.read_text(encoding="utf-8"), "lenet.py", input_shape=(1, 1, 32, 32), model="LeNet")
    m = doc["models"][0]
    assert m["input"] == {"shape": [1, 1, 32, 32], "source": "cli", "range": None}
    assert m["complete"] and m["executable"] and m["errors"] == []
    steps = m["steps"]
    assert steps[0] == {"id": 0, "op": "input", "inputs": [], "output": [1, 1, 32, 32]}
    conv1 = steps[1]
    assert conv1["op"] == "layer" and conv1["layer"] == "conv1" and conv1["inputs"] == [0]
    assert conv1["output"] == [1, 6, 28, 28] and conv1["params"] == 156
    assert conv1["formula"] == "OH = ⌊(32 + 2×0 − 1×(5 − 1) − 1) / 1⌋ + 1 = 28"
    assert conv1["range"]["start"] == {"line": 26, "column": 29}
    relu = steps[2]
    assert relu["op"] == "call" and relu["fn"] == "torch.nn.functional.relu" and relu["inputs"] == [1]
    assert relu["args"] == [] and relu["kwargs"] == {}
    flat = next(s for s in steps if s.get("fn") == "torch.flatten")
    assert flat["args"] == [1] and flat["output"] == [1, 400]
    assert steps[-1]["op"] == "output" and steps[-1]["inputs"] == [steps[-2]["id"]]
    layer = m["layers"][0]
    assert layer == {"name": "conv1", "type": "torch.nn.Conv2d", "args": [1, 6], "kwargs": {"kernel_size": 5},
                     "literal": True, "range": layer["range"], "params": 156}


def test_json_method_args_binary_item_and_getitem():
    src = """import torch
import torch.nn as nn
class M(nn.Module):  # ptlint: input=(N, 5, 8)
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 6, batch_first=True)
        self.fc = nn.Linear(6, 2)
    def forward(self, x):
        out, (h, c) = self.lstm(x)
        y = out.reshape(x.size(0), -1) * 2
        return self.fc(out[:, -1]) + self.fc(h[-1])
"""
    m = shapes_report(src, "m.py")["models"][0]
    by_op = {}
    for s in m["steps"]:
        by_op.setdefault(s["op"], []).append(s)
    lstm = by_op["layer"][0]
    assert lstm["output"] == ["N", 5, 6] and lstm["outputs"] == [["N", 5, 6], [[1, "N", 6], [1, "N", 6]]]
    reshape = next(s for s in by_op["method"] if s["method"] == "reshape")
    assert reshape["args"] == [{"size_of": 0, "dim": 0}, -1] and reshape["output"] == ["N", 30]
    mul = by_op["binary"][0]
    assert mul["operator"] == "*" and mul["operands"] == [{"step": reshape["id"]}, 2]
    items = by_op["item"]
    assert [s["index"] for s in items] == [[0], [1, 0]] and all(s["inputs"] == [lstm["id"]] for s in items)
    getitems = by_op["getitem"]
    assert getitems[0]["index"] == [{"slice": [None, None, None]}, -1] and getitems[0]["output"] == ["N", 6]
    assert getitems[1]["index"] == [-1] and getitems[1]["output"] == ["N", 6]
    assert by_op["binary"][-1]["operator"] == "+" and m["steps"][-1]["op"] == "output"


def test_json_cat_puts_its_inputs_in_args():
    src = """import torch
import torch.nn as nn
class M(nn.Module):  # ptlint: input=(1, 3, 4, 4)
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 2, 1)
    def forward(self, x):
        return torch.cat([x, self.a(x)], dim=1)
"""
    m = shapes_report(src, "m.py")["models"][0]
    cat = next(s for s in m["steps"] if s.get("fn") == "torch.cat")
    assert cat["inputs_in_args"] is True and cat["inputs"] == [0, 1]
    assert cat["args"] == [[{"step": 0}, {"step": 1}]] and cat["kwargs"] == {"dim": 1}
    assert cat["output"] == [1, 5, 4, 4]


def test_json_sequential_steps_are_one_layer_each():
    src = ("import torch.nn as nn\nfrom collections import OrderedDict\n"
           "net = nn.Sequential(OrderedDict([('fc', nn.Linear(4, 3)), ('act', nn.ReLU())]))  # ptlint: input=(2, 4)\n")
    m = shapes_report(src, "s.py")["models"][0]
    assert m["kind"] == "sequential" and m["name"] == "net"
    assert [(s["op"], s.get("layer")) for s in m["steps"]] == [("input", None), ("layer", "fc"), ("layer", "act"),
                                                               ("output", None)]
    assert m["steps"][1]["range"] == m["layers"][0]["range"]  # a Sequential entry's step is its definition


def test_json_unknown_input_and_non_literal_layers():
    src = "import torch.nn as nn\ndef make(c):\n    return nn.Sequential(nn.Conv2d(c, 8, 3), nn.ReLU())\n" \
          "net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Linear(n_out, 4))\n"
    doc = shapes_report(src, "u.py")
    m = next(x for x in doc["models"] if x["name"] == "net")
    assert m["input"] is None and m["complete"] is False and m["executable"] is False
    assert m["steps"][1]["output"] is None and m["steps"][1]["output_tail"] == [8, None, None]
    linear = m["layers"][1]
    assert linear["literal"] is False and linear["args"] == [{"unknown": "n_out"}, 4] and linear["params"] is None


def test_json_errors_point_at_their_step():
    doc = shapes_report(LENET.read_text(encoding="utf-8"), "lenet.py", model="LeNet")
    [err] = doc["models"][0]["errors"]
    step = doc["models"][0]["steps"][err["step"]]
    assert step["op"] == "layer" and step["layer"] == "fc1" and step["output"] is None
    assert err["code"] == "PT005" and "fc1.in_features = 400" in err["message_en"]
    assert doc["models"][0]["complete"] is False


# ---------------------------------------------------------------------- CLI options and errors
def test_input_option_and_model_option():
    proc = cli(str(LENET), "--input", "2,1,32,32", "--format", "json", "--model", "LeNet")
    m = json.loads(proc.stdout)["models"][0]
    assert m["input"]["source"] == "cli" and m["errors"] == [] and m["steps"][-2]["output"] == [2, 10]
    proc = cli(str(LENET), "--model", "Nope")
    assert proc.returncode == 2 and "no model named 'Nope'" in proc.stderr and "LeNet" in proc.stderr
    proc = cli(str(LENET), "--input", "1,x+1")
    assert proc.returncode == 2 and "not a shape" in proc.stderr


def test_stdin_missing_file_and_syntax_errors():
    src = "import torch.nn as nn\nnet = nn.Sequential(nn.Linear(4, 2))  # ptlint: input=(1, 4)\n"
    proc = cli("-", "--format", "json", input=src)
    assert proc.returncode == 0 and json.loads(proc.stdout)["models"][0]["steps"][1]["output"] == [1, 2]
    proc = cli("does/not/exist.py")
    assert proc.returncode == 2 and "exist.py" in proc.stderr
    proc = cli("-", "--format", "json", input="import torch\ndef broken(:\n")
    assert proc.returncode == 0 and json.loads(proc.stdout)["models"] == []


def test_shapes_cli_does_not_import_torch(tmp_path):
    code = ("import sys\nfrom ptlint.server import cli\ncli.main(['shapes', %r, '--format', 'json'])\n"
            "print('TORCH_LOADED' if 'torch' in sys.modules else 'TORCH_ABSENT', file=sys.stderr)\n") % str(RESNET)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert "TORCH_ABSENT" in proc.stderr, proc.stderr


# ---------------------------------------------------------------------- API for the LSP
def _analysis(src: str) -> ShapeAnalysis:
    res = lint_text(src, "m.py", keep_context=True)
    return res.context.analysis(ShapeAnalysis)


def test_inlay_hints_after_each_layer_call_and_sequential_entry():
    src = LENET.read_text(encoding="utf-8")
    hints = _analysis(src).inlay_hints()
    labels = [(h["position"]["line"], h["label"]) for h in hints]
    assert (26, "→ (N, 6, 24, 24)") in labels and (26, "→ (N, 6, 12, 12)") in labels
    assert (27, "→ (N, 16, 4, 4)") in labels
    assert not any(line == 29 for line, _ in labels)  # fc1 fails: no shape to show
    seq = "import torch.nn as nn\nnet = nn.Sequential(  # ptlint: input=(1, 4)\n    nn.Linear(4, 8),\n    nn.ReLU(),\n)\n"
    hints = _analysis(seq).inlay_hints()
    assert [(h["position"], h["shape"]) for h in hints] == [({"line": 3, "column": 19}, "(1, 8)"),
                                                           ({"line": 4, "column": 13}, "(1, 8)")]


def test_hover_gives_the_innermost_shape_and_formula():
    a = _analysis(LENET.read_text(encoding="utf-8"))
    h = a.hover_at(27, 35)  # inside self.conv2(x)
    assert h["shape"] == "(N, 16, 8, 8)" and h["formula"] == "OH = ⌊(12 + 2×0 − 1×(5 − 1) − 1) / 1⌋ + 1 = 8"
    assert h["code"] == "self.conv2(x)"
    h = a.hover_at(27, 12)  # on the outer self.pool(...)
    assert h["shape"] == "(N, 16, 4, 4)"
    assert a.hover_at(1, 0) is None


def test_hover_on_a_block_used_with_several_shapes_lists_them():
    a = _analysis(RESNET.read_text(encoding="utf-8"))
    h = a.hover_at(27, 35)  # self.conv1(x) inside BasicBlock.forward
    assert "(1, 64, 32, 32)" in h["shape"] and "(1, 128, 16, 16)" in h["shape"]


def test_notebooks_name_their_cells(tmp_path):
    cells = [["import torch\n", "import torch.nn as nn\n"],
             ["%matplotlib inline\n", "net = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2), nn.Flatten(), nn.Linear(8, 10))\n"],
             ["y = net(torch.randn(1, 1, 28, 28))\n"]]
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                    for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    doc = json.loads(cli(str(path), "--format", "json").stdout)
    m = doc["models"][0]
    assert m["range"]["cell"] == 2 and m["range"]["start"]["line"] == 2
    assert m["input"]["range"]["cell"] == 3 and m["steps"][1]["range"]["cell"] == 2
    assert "cell 3, line 1" in m["errors"][0]["message_en"]
    out = cli(str(path), "--lang", "en").stdout
    assert "net  (sequential, cell 2, line 2)  · input (1, 1, 28, 28) (call, cell 3, line 1)" in out
    assert ("✗ PT005 cell 2, line 2: [0] Conv2d outputs (1, 8, 13, 13) → flattened to 1352, but in_features of "
            "[2] Linear = 8 (input (1, 1, 28, 28), from the call on cell 3, line 1)") in out
    assert "ℹ PT006 cell 2, line 2: [0] Conv2d gets (1, 1, 28, 28)" in out


def test_hover_on_the_call_that_feeds_a_model_shows_its_output():
    a = _analysis(RESNET.read_text(encoding="utf-8"))
    h = a.hover_at(73, 9)  # on `net` in: y = net(torch.randn(1, 3, 32, 32))
    assert h["shape"] == "(1, 10)" and h["code"] == "net(torch.randn(1, 3, 32, 32))"


def test_shape_facts_for_the_language_server():
    facts = _analysis(LENET.read_text(encoding="utf-8")).shape_facts()
    conv2 = next(f for f in facts if f["code"] == "self.conv2(x)")
    assert conv2["dims"] == ["N", 16, 8, 8] and conv2["text"] == "(N, 16, 8, 8)" and conv2["model"] == "LeNet"
    assert conv2["inlay"] == {"line": 27, "column": 42} and conv2["cell"] is None
    assert conv2["formula"] == "OH = ⌊(12 + 2×0 − 1×(5 − 1) − 1) / 1⌋ + 1 = 8"
    assigned = [f for f in facts if f["code"] == "x" and f["range"]["start"]["line"] == 28]
    assert assigned and assigned[0]["dims"] == ["N", 256] and assigned[0]["inlay"] is None  # hover on the name
    lstm = "import torch.nn as nn\nnet = nn.Sequential(nn.LSTM(4, 3))  # ptlint: input=(5, 2, 4)\n"
    [f] = [x for x in _analysis(lstm).shape_facts() if x["inlay"]]
    assert f["dims"] == [5, 2, 3] and f["text"] == "((5, 2, 3), ((1, 2, 3), (1, 2, 3)))"
