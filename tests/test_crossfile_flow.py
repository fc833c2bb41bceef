"""Flow facts across files (issue 13): helpers of another project file reached through
their module (``dc.pad_batch(x)``), and training loops split across modules (the loop in
one file, ``optimizer.step()`` in engine.py's helper). A finding is reported once, in the
file whose code proves it: the helper's own loop is engine.py's, a per-batch helper's
step is the calling loop's. A callee that cannot be resolved for certain is silence.
Fixture: tests/fixtures/project_flow/."""
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from ptlint.rules.config import ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.source import load_source

FIXTURE = Path(__file__).parent / "fixtures" / "project_flow"
TRAIN_BATCH_STEP = "    loss.backward()\n    optimizer.step()\n\n\ndef train_batch_clearing"


@pytest.fixture
def project(tmp_path) -> Path:
    dest = tmp_path / "project_flow"
    shutil.copytree(FIXTURE, dest)
    return dest


def findings(path: Path) -> list:
    return lint_source(load_source(str(path)), ConfigLoader().for_path(path)).findings


def places(path: Path) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in findings(path)]


def write(project: Path, name: str, text: str) -> Path:
    path = project / name
    path.write_text(text)
    return path


def run_json(run_cli, *args, cwd) -> list:
    proc = run_cli(*args, "--format", "json", cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    assert "failed" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


# ---------------------------------------------------------------- the fixture through the CLI
def test_cli_reports_each_bug_once_in_the_file_that_proves_it(run_cli, project):
    found = run_json(run_cli, ".", "--no-cache", cwd=project)
    assert [(d["path"], d["code"], d["range"]["start"]["line"]) for d in found] == [
        ("collate_calls.py", "PT001", 10),  # dc.pad_batch(pixels).view
        ("collate_calls.py", "PT001", 11),  # collate.pad_batch(pixels).view
        ("collate_calls.py", "PT001", 12),  # data.collate.pad_batch(pixels).view
        ("engine.py", "PT002", 20),  # train_epoch_forgetful loops itself: engine.py's finding
        ("per_batch.py", "PT002", 16),  # train_batch stepped per batch by per_batch.py's loop
        ("per_batch.py", "PT019", 26),  # engine.train_batch_step_first steps before backward
        ("schedule_first.py", "PT018", 16),  # scheduler.step() before engine.train_epoch(...)
    ]  # main.py, the correct split loop, has none
    by_place = {(d["path"], d["range"]["start"]["line"]): d for d in found}
    pt002 = by_place[("per_batch.py", 16)]
    assert "`train_batch()` (engine.py) runs `optimizer.step()` in this loop" in pt002["message_en"]
    assert "`train_batch()`（engine.py）会执行 `optimizer.step()`" in pt002["message_zh"]
    # The unsafe fix clears the optimizer at the top of this file's loop (line 16, before the call).
    assert [(e["range"]["start"]["line"], e["new_text"].strip()) for e in pt002["fix"]["edits"]] == [
        (16, "optimizer.zero_grad()")]
    pt019 = by_place[("per_batch.py", 26)]
    assert "`engine.train_batch_step_first()` (engine.py) runs `optimizer.step()`" in pt019["message_en"]


def test_cli_fix_of_the_split_loop_clears_gradients_in_the_calling_loop(run_cli, project):
    proc = run_cli("per_batch.py", "--select", "PT002", "--fix", "--unsafe-fixes", cwd=project)
    assert proc.returncode in (0, 1), proc.stderr
    text = (project / "per_batch.py").read_text()
    assert ("for images, labels in loader:\n    optimizer.zero_grad()\n"
            "    train_batch(model, optimizer, criterion, images, labels)\n") in text
    assert places(project / "per_batch.py") == [("PT019", 27)]  # one line further down


def test_cache_follows_an_edit_of_the_helpers_file(run_cli, project):
    def codes():
        return [(d["code"], d["range"]["start"]["line"]) for d in run_json(run_cli, "per_batch.py", cwd=project)]

    assert codes() == [("PT002", 16), ("PT019", 26)]
    assert codes() == [("PT002", 16), ("PT019", 26)]  # warm
    engine = project / "engine.py"
    engine.write_text(engine.read_text().replace(
        TRAIN_BATCH_STEP, TRAIN_BATCH_STEP.replace("    optimizer.step()", "    optimizer.step()\n    optimizer.zero_grad()")))
    assert codes() == [("PT019", 26)]  # per_batch.py itself is unchanged


# ---------------------------------------------------------------- split training loops
SPLIT_LOOP = """import torch
import torch.nn as nn

{imports}

model = nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
criterion = nn.CrossEntropyLoss()
loader = torch.utils.data.DataLoader(range(64), batch_size=8)

for epoch in range(30):
{body}
"""


def split_loop(project: Path, imports: str, *body: str) -> list[tuple[str, int]]:
    path = write(project, "run.py", SPLIT_LOOP.format(imports=imports, body="\n".join("    " + b for b in body)))
    return places(path)


@pytest.mark.parametrize("imports,call", [
    ("from engine import train_epoch", "train_epoch(model, loader, optimizer, criterion)"),
    ("import engine", "engine.train_epoch(model, loader, optimizer, criterion)"),
    ("import engine as eng", "eng.train_epoch(model, loader, optimizer, criterion)"),
])
def test_scheduler_order_sees_the_optimizer_step_of_another_files_train(project, imports, call):
    assert split_loop(project, imports, "scheduler.step()", call) == [("PT018", 13)]
    assert split_loop(project, imports, call, "scheduler.step()") == []


def test_per_batch_helpers_in_this_files_loop(project):
    imports = "from engine import train_batch, train_batch_clearing"
    batch_loop = ["for images, labels in loader:"]
    # must flag: nothing clears the optimizer that train_batch() steps
    assert split_loop(project, imports, *batch_loop, "    train_batch(model, optimizer, criterion, images, labels)") \
        == [("PT002", 14)]
    # two loops of this file calling it: each call is a finding
    assert split_loop(project, imports, *batch_loop, "    train_batch(model, optimizer, criterion, images, labels)",
                      *batch_loop, "    train_batch(model, optimizer, criterion, images, labels)") \
        == [("PT002", 14), ("PT002", 16)]
    # must not flag: this loop clears; the helper clears the model (which the optimizer was built from)
    assert split_loop(project, imports, *batch_loop, "    optimizer.zero_grad()",
                      "    train_batch(model, optimizer, criterion, images, labels)") == []
    assert split_loop(project, imports, *batch_loop,
                      "    train_batch_clearing(model, optimizer, criterion, images, labels)") == []
    # must not flag: called once, not in a loop of this file
    path = write(project, "once.py", SPLIT_LOOP.format(imports=imports, body="    pass").replace(
        "for epoch in range(30):\n    pass\n", "train_batch(model, optimizer, criterion, x, y)\n"))
    assert "for" not in path.read_text().split("loader =")[1] and places(path) == []


def test_a_helper_that_loops_itself_is_reported_in_its_own_file_only(project):
    engine = project / "engine.py"
    engine.write_text(engine.read_text().replace(
        "    for images, labels in loader:\n        optimizer.zero_grad()\n", "    for images, labels in loader:\n", 1))
    assert [c for c in places(engine) if c[0] == "PT002"] == [("PT002", 11), ("PT002", 19)]
    assert places(project / "main.py") == []  # the loop that repeats the step is engine.py's
    # the same for an epoch loop of this file around the helper's own batch loop
    assert split_loop(project, "from engine import train_epoch_forgetful",
                      "train_epoch_forgetful(model, loader, optimizer, criterion)", "scheduler.step()") == []


def test_an_epoch_scheduler_stepped_per_batch_around_another_files_helper(project):
    imports = "from engine import train_batch_clearing"
    call = "    train_batch_clearing(model, optimizer, criterion, images, labels)"
    assert split_loop(project, imports, "for images, labels in loader:", call, "    scheduler.step()") \
        == [("PT018", 15)]
    assert split_loop(project, imports, "for images, labels in loader:", call, "scheduler.step()") == []


def test_a_callee_that_cannot_be_resolved_for_certain_is_silent(project):
    body = ("for images, labels in loader:", "    train_batch(model, optimizer, criterion, images, labels)")
    assert split_loop(project, "from engine import train_batch", *body) == [("PT002", 14)]
    # train_batch reads a name of its own module: run here, it could mean something else
    engine = project / "engine.py"
    original = engine.read_text()
    engine.write_text(original.replace(TRAIN_BATCH_STEP, TRAIN_BATCH_STEP.replace("step()\n", "step()\n    log(loss)\n"), 1)
                      + "\n\ndef log(loss):\n    print(loss)\n")
    assert split_loop(project, "from engine import train_batch", *body) == []
    engine.write_text(original)
    # two definitions of train_batch: which one runs is unknown
    engine.write_text(original + "\n\nif torch.cuda.is_available():\n    def train_batch(*args):\n        pass\n")
    assert split_loop(project, "from engine import train_batch", *body) == []
    engine.write_text(original)
    # the module is not a project file; a name the module does not define
    assert split_loop(project, "from trainers import train_batch", *body) == []
    assert split_loop(project, "import engine", "for images, labels in loader:",
                      "    engine.missing(model, optimizer, criterion, images, labels)") == []


# ---------------------------------------------------------------- helpers through their module
COLLATE = """import torch

{imports}

pixels = torch.rand(8, 32, 32, 3)
flat = {call}(pixels).view(8, -1)
"""


def collate_places(project: Path, imports: str, call: str) -> list[tuple[str, int]]:
    return places(write(project, "use.py", COLLATE.format(imports=imports, call=call)))


@pytest.mark.parametrize("imports,call", [
    ("import data.collate as dc", "dc.pad_batch"),
    ("from data import collate", "collate.pad_batch"),
    ("from data import collate as col", "col.pad_batch"),
    ("import data.collate", "data.collate.pad_batch"),
    ("from data.collate import pad_batch", "pad_batch"),
])
def test_a_helper_reached_through_its_module_is_followed(project, imports, call):
    assert collate_places(project, imports, call) == [("PT001", 6)]
    assert collate_places(project, imports, call.replace("pad_batch", "pad_batch_contiguous")) == []


def test_a_module_attribute_that_is_not_certain_is_silent(project):
    # swap_last reads data/collate.py's LAST = 1; use.py binds LAST = 3: not followed
    assert places(write(project, "use.py", COLLATE.format(imports="import data.collate as dc", call="dc.swap_last")
                        .replace("pixels =", "LAST = 3\npixels ="))) == []
    # dc rebound in the file, or a parameter named dc: not the module
    assert collate_places(project, "import data.collate as dc\ndc = None", "dc.pad_batch") == []
    shadowed = ("import torch\nimport data.collate as dc\n\n\ndef f(dc):\n"
                "    return dc.pad_batch(torch.rand(8, 32, 32, 3)).view(8, -1)\n")
    assert places(write(project, "use.py", shadowed)) == []
    # a library module of the same name is never the project's
    (project / "numpy").mkdir()
    (project / "numpy" / "__init__.py").write_text("def pad_batch(images):\n    return images.permute(0, 3, 1, 2)\n")
    assert collate_places(project, "import numpy as np", "np.pad_batch") == []


# ---------------------------------------------------------------- the claims, in torch
def _fixture_module(name: str):
    spec = importlib.util.spec_from_file_location(f"project_flow_{name}", FIXTURE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fixtures_bugs_are_real_in_torch():
    torch = pytest.importorskip("torch")
    collate = _fixture_module("data/collate")
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        collate.pad_batch(torch.rand(8, 32, 32, 3)).view(8, -1)
    assert collate.pad_batch_contiguous(torch.rand(8, 32, 32, 3)).view(8, -1).shape == (8, 3072)
    engine = _fixture_module("engine")
    model = torch.nn.Linear(4, 1, bias=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the gradient alone is watched

    def criterion(out, target):
        return out.sum()

    x = torch.ones(2, 4)
    engine.train_batch(model, optimizer, criterion, x, None)
    once = model.weight.grad.clone()
    engine.train_batch(model, optimizer, criterion, x, None)
    assert torch.equal(model.weight.grad, 2 * once)  # the second step used the sum of both
    engine.train_batch_clearing(model, optimizer, criterion, x, None)
    assert torch.equal(model.weight.grad, once)
