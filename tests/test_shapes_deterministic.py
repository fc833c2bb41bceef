"""``ptlint shapes`` lists a model's layers in the same order on every run: the output is
read by people and diffed by CI, so it must not depend on Python's per-process string hash
(a join of two branches' attributes once went through a ``set``)."""
import json
import os
import subprocess
import sys
from pathlib import Path

MODEL = Path(__file__).resolve().parent / "fixtures" / "models" / "resnet18.py"


def shapes_json(seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-m", "ptlint", "shapes", "--format", "json", str(MODEL)],
                         capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out)


def test_layer_order_does_not_depend_on_the_hash_seed():
    runs = [shapes_json(seed) for seed in ("1", "2", "3")]
    orders = [[[layer["name"] for layer in m["layers"]] for m in run["models"]] for run in runs]
    assert orders[0] == orders[1] == orders[2]
    resnet = next(m for m in runs[0]["models"] if m["name"] == "ResNet")
    names = [layer["name"] for layer in resnet["layers"]]
    assert names.index("conv1") < names.index("layer1.0.conv1") < names.index("layer4.1.bn2") < names.index("fc")
