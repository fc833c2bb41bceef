"""Cross-file model classes (issue 13): a model in train.py that inherits from a block class
of models/ (``class Stem(_Block)``, ``_Block`` in models/base.py), a block of models/blocks.py
that itself inherits from models/base.py (``class ResBlock(_Block)``), an ``nn.Sequential``
subclass of models/blocks.py (``ConvBNReLU``) and a factory reached through a module
(``blocks.make_layers(cfg)``, ``mb.ResBlock(...)``) get the shapes and the PT005 findings
the same code gets in one file. The static shapes are checked against real torch; a base
that cannot be resolved for certain leaves its class unknown: silence. A mismatch inside the
other file's code that this file's call runs (its input or arguments come from here) is
reported at that call, with the place in the other file as a related location."""
from __future__ import annotations

import contextlib
import importlib
import json
import shutil
import sys
from pathlib import Path

import pytest

from ptlint.rules.api import analyse
from ptlint.rules.config import ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.source import load_source

FIXTURE = Path(__file__).parent / "fixtures" / "project_inherit"
WRONG_FC = "nn.Linear(64 * 8 * 8, num_classes)"
RIGHT_FC = "nn.Linear(64 * 4 * 4, num_classes)"
FC_LINE = 25  # ResNetSmall's fc in train.py


@pytest.fixture
def project(tmp_path) -> Path:
    dest = tmp_path / "project_inherit"
    shutil.copytree(FIXTURE, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def findings_of(path: Path) -> list[tuple[str, int]]:
    result = lint_source(load_source(str(path)), ConfigLoader().for_path(path))
    assert not result.rule_errors
    return [(f.code, f.line) for f in result.findings]


def models_of(path: Path) -> dict[str, dict]:
    """``ptlint shapes --format json`` models of a file, by name (in process)."""
    report = analyse(load_source(str(path)), ConfigLoader().for_path(path), models=True)
    return {m["name"]: m for m in report.models}


def layer_steps(model: dict) -> dict[str, list]:
    """Layer name -> the output shape of its first call."""
    out: dict[str, list] = {}
    for step in model["steps"]:
        if step["op"] == "layer" and step.get("layer") and step["layer"] not in out:
            out[step["layer"]] = step["output"]
    return out


@contextlib.contextmanager
def imported_fixture(root: Path, script: str = "train"):
    """A script of the fixture imported with real torch; it and the ``models`` package must
    not stay in sys.modules (other fixtures have packages of the same name)."""
    before = set(sys.modules)
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(script)
    finally:
        sys.path.remove(str(root))
        for name in set(sys.modules) - before:
            if name == script or name == "models" or name.startswith("models."):
                del sys.modules[name]


def torch_layers(model, shape) -> tuple[dict[str, list], set[str]]:
    """Leaf module name -> the output shape of its first call, and every leaf's name."""
    import torch

    seen: dict[str, list] = {}

    def hook_for(name: str):
        def record(module, args, out) -> None:  # returns None: the output is left alone
            seen.setdefault(name, list(out.shape))
        return record

    hooks = [m.register_forward_hook(hook_for(name))
             for name, m in model.named_modules() if name and not list(m.children())]
    with torch.no_grad():
        model(torch.randn(*shape))
    for h in hooks:
        h.remove()
    return seen, {name for name, m in model.named_modules() if name and not list(m.children())}


# ---------------------------------------------------------------------- must flag
def test_cli_reports_the_mismatch_behind_an_inherited_block(run_cli, project):
    proc = run_cli(".", "--no-cache", "--format", "json", cwd=project)
    assert proc.returncode == 1, proc.stderr
    found = json.loads(proc.stdout)
    assert [(d["path"], d["code"], d["range"]["start"]["line"]) for d in found] == [("train.py", "PT005", FC_LINE)]
    d = found[0]
    # Stem(_Block) with stride 2 and a pool, then ResBlock(_Block) with stride 2: 32 -> 16 -> 8 -> 4.
    assert "(8, 64, 4, 4)" in d["message_en"] and "1024" in d["message_en"] and "4096" in d["message_en"]
    assert [(e["range"]["start"]["line"], e["new_text"]) for e in d["fix"]["edits"]] == [(FC_LINE, "1024")]


def test_a_subclass_of_a_subclass_through_a_module_attribute(project):
    train = project / "train.py"
    # class Deep(mb.ResBlock): its __init__ and forward come from models/blocks.py, whose
    # own base comes from models/base.py; 8 -> 4 (ResBlock) -> 2 (the extra pool).
    edit(train, "x = torch.randn(8, 3, 32, 32)\n", (
        "class Deep(mb.ResBlock):\n"
        "    def __init__(self):\n"
        "        super().__init__(3, 8, stride=2)\n"
        "        self.pool = nn.MaxPool2d(2)\n"
        "        self.fc = nn.Linear(8 * 4 * 4, 10)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(torch.flatten(self.pool(super().forward(x)), 1))\n\n\n"
        "deep = Deep()\n"
        "scores = deep(torch.randn(2, 3, 8, 8))\n"
        "x = torch.randn(8, 3, 32, 32)\n"))
    edit(train, WRONG_FC, RIGHT_FC)
    lines = train.read_text().splitlines()
    deep_fc = next(i for i, line in enumerate(lines, 1) if "nn.Linear(8 * 4 * 4" in line)
    assert findings_of(train) == [("PT005", deep_fc)]
    deep = models_of(train)["Deep"]
    assert layer_steps(deep)["pool"] == [2, 8, 2, 2]
    edit(train, "nn.Linear(8 * 4 * 4, 10)", "nn.Linear(8 * 2 * 2, 10)")
    assert findings_of(train) == []


@pytest.mark.parametrize("old, new, line, layer", [
    # Stem hands _Block one input channel; the images have three: fails in _Block.forward
    ("super().__init__(3, width, stride=2)", "super().__init__(1, width, stride=2)", 17, "stem.conv1"),
    # the stem gives 32 channels, the block of models/blocks.py is built for 16
    ("mb.ResBlock(32, 64, stride=2)", "mb.ResBlock(16, 64, stride=2)", 28, "layer1.conv1"),
])
def test_a_mismatch_inside_the_other_files_code_is_reported_at_this_files_call(project, old, new, line, layer):
    train = project / "train.py"
    edit(train, WRONG_FC, RIGHT_FC)
    edit(train, old, new)
    result = lint_source(load_source(str(train)), ConfigLoader().for_path(train))
    (f,) = result.findings
    assert (f.code, f.line) == ("PT005", line)  # super().forward(x) / self.layer1(...) in train.py
    assert f"{layer}.in_channels" in f.message_en and f.fix is None  # the layer is in another file
    # where it fails and the layer, both in models/base.py, are related locations into that file
    assert [(Path(r.path).relative_to(project).as_posix(), r.range.start.line) for r in f.related[:2]] == [
        ("models/base.py", 14), ("models/base.py", 10)]
    pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="channels"):  # train.py runs the model at import
        with imported_fixture(project):
            pass


def test_a_layer_of_the_other_file_built_wrong_with_this_files_arguments(project):
    train = project / "train.py"
    edit(train, WRONG_FC, RIGHT_FC)
    edit(train, "ConvBNReLU(16, 16, groups=16)", "ConvBNReLU(16, 24, groups=16)")
    result = lint_source(load_source(str(train)), ConfigLoader().for_path(train))
    first = result.findings[0]
    # reported at this file's ConvBNReLU(...) call: the Conv2d it builds is in models/blocks.py
    assert (first.code, first.line) == ("PT005", 37) and "groups = 16" in first.message_en
    assert [(Path(r.path).relative_to(project).as_posix(), r.range.start.line) for r in first.related] == [
        ("models/blocks.py", 31)]
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="divisible by groups"):
        with imported_fixture(project):
            pass


MODULE_ACCESS = """import torch
import torch.nn as nn

import models.blocks
from models import blocks


class Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = blocks.ResBlock(3, 16, stride=2)
        self.b = models.blocks.ResBlock(16, 32, stride=2)
        self.c = blocks.ConvBNReLU(32, 32)
        self.fc = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.c(self.b(self.a(x))), 1))


class Three(models.blocks.ResBlock):
    def __init__(self):
        super().__init__(3, 16)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(super().forward(x), 1))


two = Two()
three = Three()
y = two(torch.randn(2, 3, 32, 32))
z = three(torch.randn(2, 3, 16, 16))
"""


def test_blocks_through_module_attributes(project):
    # `from models import blocks` / `import models.blocks`: blocks.ResBlock(...),
    # models.blocks.ResBlock(...) and a class whose base is models.blocks.ResBlock.
    # Written wrong: 32 -> 16 -> 8 leaves 32 * 8 * 8; a stride-1 block keeps 16 x 16.
    script = project / "by_module.py"
    script.write_text(MODULE_ACCESS)
    assert findings_of(script) == [("PT005", 14), ("PT005", 23)]
    fixed = MODULE_ACCESS.replace("32 * 4 * 4", "32 * 8 * 8").replace("16 * 8 * 8", "16 * 16 * 16")
    script.write_text(fixed)
    assert findings_of(script) == []
    static = models_of(script)
    assert static["Two"]["steps"][-1]["output"] == [2, 10] and static["Three"]["steps"][-1]["output"] == [2, 10]
    pytest.importorskip("torch")
    with imported_fixture(project, "by_module") as ran:  # torch runs the corrected script
        assert list(ran.y.shape) == [2, 10] and list(ran.z.shape) == [2, 10]
        for name, model, inp in (("Two", ran.two, (2, 3, 32, 32)), ("Three", ran.three, (2, 3, 16, 16))):
            seen, _ = torch_layers(model, inp)
            assert layer_steps(static[name]) == seen, name


# ---------------------------------------------------------------------- must not flag
def test_the_corrected_model_through_the_same_classes_is_silent(project):
    train = project / "train.py"
    edit(train, WRONG_FC, RIGHT_FC)
    assert findings_of(train) == []
    names = models_of(train)
    assert {"Stem", "ResNetSmall", "MobileNetTiny", "VGGTiny"} <= set(names)
    assert names["ResNetSmall"]["steps"][-1]["output"] == [8, 10]


def test_a_base_that_cannot_be_resolved_leaves_its_class_unknown(project):
    train = project / "train.py"
    (project / "models" / "base.py").unlink()
    assert findings_of(train) == []
    names = models_of(train)
    assert "Stem" not in names  # its base is gone: not a model
    # the Sequential subclass and the factory do not depend on models/base.py
    assert layer_steps(names["MobileNetTiny"])["features.2.0"] == [8, 32, 16, 16]


def test_a_base_defined_twice_or_rebound_is_unknown(project):
    base = project / "models" / "base.py"
    train = project / "train.py"
    original = base.read_text()
    # which of the two classes exists depends on a runtime condition: unknown
    base.write_text(original + "\n\nif not USE_BN:\n    class _Block(nn.Module):\n        pass\n")
    assert findings_of(train) == [] and "Stem" not in models_of(train)
    base.write_text(original)
    assert findings_of(train) == [("PT005", FC_LINE)]
    # train.py binds the name again after importing it: not the imported class any more
    edit(train, "from models.base import _Block\n", "from models.base import _Block\n\n_Block = nn.Identity\n")
    assert findings_of(train) == [] and "Stem" not in models_of(train)


def test_a_base_that_is_not_a_model_is_no_model(project):
    (project / "models" / "base.py").write_text(
        "class _Block:\n    def __init__(self, c_in, c_out, stride=1):\n        self.c_out = c_out\n")
    train = project / "train.py"
    assert findings_of(train) == [] and "Stem" not in models_of(train)


def test_bases_in_an_import_cycle_end_in_silence(project):
    models = project / "models"
    (models / "a.py").write_text("import torch.nn as nn\n\nfrom .b import B\n\n\nclass A(B):\n    pass\n")
    (models / "b.py").write_text("import torch.nn as nn\n\nfrom .a import A\n\n\nclass B(A):\n    pass\n")
    train = project / "train.py"
    edit(train, "from models.base import _Block\n", "from models.a import A as _Block\n")
    assert findings_of(train) == [] and "Stem" not in models_of(train)


# ---------------------------------------------------------------------- shapes vs torch
def test_shapes_know_every_layer_of_the_inherited_models_as_torch_runs_them(project):
    edit(project / "train.py", WRONG_FC, RIGHT_FC)  # torch must be able to run it
    static = models_of(project / "train.py")
    pytest.importorskip("torch")
    with imported_fixture(project) as train:
        for name, model in (("ResNetSmall", train.resnet), ("MobileNetTiny", train.mobilenet), ("VGGTiny", train.vgg)):
            doc = static[name]
            assert doc["input"]["shape"] == [8, 3, 32, 32]
            seen, leaves = torch_layers(model, (8, 3, 32, 32))
            assert {layer["name"] for layer in doc["layers"]} == leaves, name
            # every leaf torch calls is a step with torch's output shape (activations too)
            assert layer_steps(doc) == seen, name
            assert doc["params"] == sum(p.numel() for p in model.parameters()), name


def test_the_cache_follows_an_edit_of_the_base_classes_file(run_cli, project):
    base = project / "models" / "base.py"
    original = base.read_text()

    def codes():
        proc = run_cli("train.py", "--format", "json", cwd=project)
        assert proc.returncode in (0, 1), proc.stderr
        return [d["code"] for d in json.loads(proc.stdout)]

    assert codes() == ["PT005"]
    assert codes() == ["PT005"]  # warm
    base.unlink()  # train.py itself is unchanged; Stem's base is gone
    assert codes() == []
    base.write_text(original)
    assert codes() == ["PT005"]


def test_a_relative_base_inside_the_package(project):
    net = project / "models" / "net.py"
    net.write_text(
        "import torch\nimport torch.nn as nn\n\nfrom .blocks import ResBlock\n\n\n"
        "class Net(ResBlock):\n    def __init__(self):\n        super().__init__(3, 16, stride=2)\n"
        "        self.fc = nn.Linear(16 * 8 * 8, 10)\n\n"
        "    def forward(self, x):\n        return self.fc(torch.flatten(super().forward(x), 1))\n\n\n"
        "out = Net()(torch.randn(2, 3, 32, 32))\n")
    assert findings_of(net) == [("PT005", 10)]  # 32 -> 16 with stride 2: 16 * 16 * 16
    edit(net, "16 * 8 * 8", "16 * 16 * 16")
    assert findings_of(net) == []
