"""``ptlint shapes`` on the models people write, checked layer by layer against real torch
forward hooks.

Each fixture in ``tests/fixtures/models/`` is written in the style of a public model (LeNet,
AlexNet, VGG built by a cfg factory, torchvision-style ResNet-18/50, DenseNet-121,
MobileNetV2, UNet with ``F.pad``, DCGAN, a ViT, transformer / attention text models,
Conv1d / Conv3d models, LSTM / GRU models) and names its models in ``MODELS``:
``{class name: (factory, input shape[, "tokens"])}``. The test runs the real CLI
(``ptlint shapes FILE --format json``), imports the fixture, runs the model with hooks on
every module and compares every layer step with what torch saw.

A *unit* is one call of a module that the static analysis shows as a layer, or of a leaf
module not inside such a layer (the sub-modules of a ``TransformerEncoderLayer`` are
covered by the layer's own step). Every unit must be known and equal to torch; a known
shape that differs from torch is a failure in any case."""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "tests" / "fixtures" / "models"
FIXTURES = sorted(p.stem for p in MODELS_DIR.glob("*.py") if not p.stem.startswith("_"))


def _static(path: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "ptlint", "shapes", str(path), "--format", "json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_ptlint_model_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def _shape_tree(out: Any) -> Any:
    if isinstance(out, torch.Tensor):
        return list(out.shape)
    if isinstance(out, (tuple, list)):
        return [_shape_tree(o) for o in out]
    return None


def _first(tree: Any) -> Any:
    while isinstance(tree, list) and tree and isinstance(tree[0], list):
        tree = tree[0]
    return tree


def _torch_calls(model, inp) -> tuple[list[tuple[str, Any]], set[str]]:
    calls: list[tuple[str, Any]] = []
    leaves = {name for name, m in model.named_modules() if not list(m.children())}
    hooks = []
    for name, m in model.named_modules():
        if name:
            hooks.append(m.register_forward_hook(
                lambda mod, args, out, name=name: calls.append((name, _shape_tree(out)))))
    model.train()  # the plain (non fast-path) transformer code, so sub-modules are called
    torch.manual_seed(0)
    with torch.no_grad():
        model(inp)
    for h in hooks:
        h.remove()
    return calls, leaves


def _bind(dims: list, real: list, env: dict) -> bool:
    """Static dims (ints, symbols) against torch's: symbols must bind consistently."""
    if dims is None or len(dims) != len(real):
        return False
    for d, r in zip(dims, real):
        if d is None:
            return False
        if isinstance(d, str):
            if env.setdefault(d, r) != r:
                return False
        elif d != r:
            return False
    return True


def compare(fixture: str, name: str) -> dict[str, Any]:
    path = MODELS_DIR / f"{fixture}.py"
    doc = _static(path)
    mod = _load(path)
    spec = mod.MODELS[name]
    factory, shape = spec[0], spec[1]
    tokens = len(spec) > 2 and spec[2] == "tokens"
    torch.manual_seed(0)
    model = factory()
    inp = torch.randint(0, 50, shape) if tokens else torch.randn(*shape)
    calls, leaves = _torch_calls(model, inp)
    entry = next((m for m in doc["models"] if m["name"] == name), None)
    assert entry is not None, f"{fixture}: no model {name} in {[m['name'] for m in doc['models']]}"
    static: dict[str, list[dict]] = {}
    for s in entry["steps"]:
        if s["op"] == "layer":
            static.setdefault(s["layer"], []).append(s)
    layer_names = set(static)

    def covered_by_ancestor(n: str) -> bool:
        parts = n.split(".")
        return any(".".join(parts[:i]) in layer_names for i in range(1, len(parts)))

    units = [(n, out) for n, out in calls
             if (n in layer_names or n in leaves) and not covered_by_ancestor(n)]
    seen: dict[str, int] = {}
    known, wrong, missing = 0, [], []
    env: dict = {}
    for n, out in units:
        i = seen.get(n, 0)
        seen[n] = i + 1
        steps = static.get(n, [])
        if i >= len(steps):
            missing.append(f"{n}#{i} (no step)")
            continue
        st = steps[i]
        real = _first(out)
        if st.get("output") is None or any(d is None for d in st["output"]):
            missing.append(f"{n}#{i} static {st.get('output') or st.get('output_tail')} torch {real}")
            continue
        if _bind(st["output"], real, env):
            known += 1
        else:
            wrong.append(f"{n}#{i}: static {st['output']} torch {real}")
    return {"known": known, "total": len(units), "wrong": wrong, "missing": missing,
            "errors": entry["errors"], "layers": [la["name"] for la in entry["layers"]]}


CASES = []
for _fx in FIXTURES:
    _src = (MODELS_DIR / f"{_fx}.py").read_text(encoding="utf-8")
    for _name in re.findall(r'"(\w+)": \(lambda', _src):
        CASES.append((_fx, _name))


@pytest.mark.parametrize("fixture,name", CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_every_layer_matches_torch(fixture, name):
    r = compare(fixture, name)
    assert not r["wrong"], "static shapes that differ from torch:\n" + "\n".join(r["wrong"])
    assert not r["errors"], f"PT005 on a model torch runs: {r['errors']}"
    assert r["known"] == r["total"], f"{r['known']}/{r['total']} layers known; missing:\n" + "\n".join(r["missing"])


def test_fixture_list_is_complete():
    names = {b for _, b in CASES}
    for expected in ("LeNet", "AlexNet", "VGG", "ResNet", "DenseNet", "MobileNetV2", "UNet", "Generator",
                     "Discriminator", "VisionTransformer", "TransformerClassifier", "AttentionPool", "AudioCNN",
                     "VideoCNN", "LSTMClassifier", "GRURegressor"):
        assert expected in names
    assert sum(1 for a, b in CASES if b == "ResNet") == 2  # ResNet-18 and ResNet-50


if __name__ == "__main__":  # coverage table for the report
    for fx, nm in CASES:
        res = compare(fx, nm)
        print(f"{fx:18} {nm:22} {res['known']:4}/{res['total']:<4} wrong={len(res['wrong'])}"
              f" errors={len(res['errors'])} {res['missing'][:2]}")
