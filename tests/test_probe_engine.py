"""The probe end to end: real source files through the shape engine (``shapes_report``),
the worker with real torch, and the ``ptlint probe`` / ``ptlint check --probe`` CLI."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")  # CI installs the CPU wheel; the probe needs it

from ptlint.rules.shapes import layers as engine_layers
from ptlint.rules.shapes import shapes_report
from ptlint.runtime_probe.allowlist import LAYERS
from ptlint.runtime_probe.compare import AGREE, CONFIRMED, OK, UNVERIFIABLE
from ptlint.runtime_probe.probe import ProbeOptions, probe_file
from ptlint.runtime_probe.worker import default_pool

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def pool():
    return default_pool()


def probe(pool, name, device="cpu", **kw):
    path = FIX / name
    return probe_file(path.read_text(encoding="utf-8"), str(path), ProbeOptions(device=device), pool=pool, **kw)


def statuses(fp):
    return {m.name: m.status for m in fp.models}


# ---------------------------------------------------------------------- the classic nets
@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_lenet_at_its_size_agrees_step_by_step(pool, device):
    fp = probe(pool, "probe_lenet.py", device)
    (m,) = fp.models
    assert m.status == OK and fp.device == device and fp.torch == torch.__version__
    assert {s.status for s in m.steps} == {AGREE}
    assert m.steps[-1].static == [["N", 10]] and m.steps[-1].actual == [[2, 10]]
    assert sum(l.actual_params for l in m.layers) == sum(l.static_params for l in m.layers) == 62006


def test_lenet_at_the_wrong_size_is_confirmed_with_pytorchs_message(pool):
    fp = probe(pool, "probe_lenet.py", input_shape=[1, 3, 28, 28])
    (m,) = fp.models
    (v,) = m.errors
    assert v.verdict == CONFIRMED and v.code == "PT005"
    assert v.detail == "mat1 and mat2 shapes cannot be multiplied (1x256 and 400x120)"
    assert v.range["start"]["line"] in (13, 21)  # where the finding is: fc1's in_features, or the fc1 call


def test_text_classifier_lstm_items_and_indexing(pool):
    (m,) = probe(pool, "probe_textcls.py").models
    assert m.status == CONFIRMED, m.reason_en
    lstm = next(s for s in m.steps if s.label == "lstm")
    assert lstm.status == AGREE and lstm.actual == [[2, 20, 256], [4, 2, 128], [4, 2, 128]]
    assert m.errors[0].detail == "mat1 and mat2 shapes cannot be multiplied (2x256 and 128x4)"


def test_real_device_keeps_the_batch_small_meta_keeps_it_as_written(pool):
    cpu = probe(pool, "probe_mnist.py", "cpu").models[0]
    meta = probe(pool, "probe_mnist.py", "meta").models[0]
    assert cpu.input == [2, 1, 28, 28] and meta.input == [64, 1, 28, 28]
    assert cpu.status == meta.status == CONFIRMED
    assert cpu.errors[0].detail == "mat1 and mat2 shapes cannot be multiplied (2x2304 and 3136x128)"
    assert all(s.status == AGREE for s in cpu.steps[:7])  # the static side was recomputed for batch 2
    assert cpu.steps[1].label == "0 (Conv2d)"


def test_resnet18_agrees(pool):
    fp = probe(pool, "resnet18.py", "meta")
    resnet = next(m for m in fp.models if m.name == "ResNet")
    assert resnet.status == OK and len(resnet.steps) > 60
    assert all(s.status == AGREE for s in resnet.steps)
    assert sum(l.actual_params for l in resnet.layers) == 11173962
    # the block class has no input of its own: it is listed under the model that ran it
    assert "BasicBlock" not in {m.name for m in fp.models} and resnet.parts == ["BasicBlock"]


def test_every_layer_kind_the_engine_models_is_allowed_and_agrees(pool):
    engine_layers._ensure_loaded()
    modelled = {f"torch.nn.{k}" for k in engine_layers.REGISTRY}
    assert modelled <= set(LAYERS), sorted(modelled - set(LAYERS))
    text = (FIX / "probe_layers.py").read_text(encoding="utf-8")
    covered = {f"torch.nn.{line.split('nn.')[2].split('(')[0]}" for line in text.splitlines() if "nn.Sequential(" in line}
    # several inputs (or a layer built from another module): not a Sequential layer of literals
    assert modelled - covered <= {"torch.nn.Bilinear", "torch.nn.MultiheadAttention", "torch.nn.TransformerEncoder"}
    for device in ("cpu", "meta"):
        fp = probe(pool, "probe_layers.py", device)
        assert len(fp.models) == len(covered)
        bad = [(m.name, m.status, m.reason_en, [(s.label, s.static, s.actual) for s in m.steps if s.status != AGREE])
               for m in fp.models if m.status != OK or any(s.status != AGREE for s in m.steps)]
        assert not bad, (device, bad)


# ---------------------------------------------------------------------- nothing from the file runs
def test_injection_attempts_end_unverifiable_and_run_nothing(pool, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fp = probe(pool, "probe_injection.py")
    assert statuses(fp) == {n: UNVERIFIABLE for n in ("Pwned", "Passwd", "ClassTrick", "StringTrick", "LambdaTrick")}
    reasons = " ".join(m.reason_en for m in fp.models)
    assert '__import__("os").system("touch PWNED_MARK")' in reasons  # shown to the reader as text
    assert all(not m.snippet for m in fp.models)  # nothing was even generated
    assert not list(tmp_path.iterdir()) and not (FIX / "PWNED_MARK").exists() and not Path("PWNED_MARK").exists()


# ---------------------------------------------------------------------- the CLI
def cli(*args, cwd, env=None):
    e = {**os.environ, **(env or {})}
    e.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "ptlint", *args], cwd=cwd, capture_output=True, text=True,
                          env=e, timeout=180)


def run_main(capsys, *args):
    """The CLI in this process: the session's warm worker is reused (a subprocess would
    import torch again). Two tests below go through a real ``python -m ptlint``."""
    from ptlint.server.cli import main

    rc = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, rc, out.out, out.err)


@pytest.fixture
def lenet28(tmp_path):
    text = (FIX / "probe_lenet.py").read_text(encoding="utf-8").replace("input=(N, 3, 32, 32)", "input=(N, 3, 28, 28)")
    (tmp_path / "net.py").write_text(text, encoding="utf-8")
    return tmp_path / "net.py"


def test_cli_probe_prints_both_tables_and_pytorchs_error(lenet28):
    proc = cli("probe", "net.py", "--device", "cpu", cwd=lenet28.parent)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert "模型 Net" in out and "设备 cpu" in out and f"torch {torch.__version__}" in out
    assert "静态分析" in out and "PyTorch 实际" in out
    assert re.search(r"pool +\(N, 16, 4, 4\) +\(2, 16, 4, 4\) +一致", out)  # side by side
    assert "PT005 报错" in out and "已证实" in out
    assert "mat1 and mat2 shapes cannot be multiplied (2x256 and 400x120)" in out


def test_cli_probe_input_json_snippet_and_exit_codes(lenet28, pool, capsys, monkeypatch):
    monkeypatch.chdir(lenet28.parent)
    proc = run_main(capsys, "probe", "net.py", "--device", "meta", "--input", "1,3,32,32", "--format", "json",
                    "--show-snippet")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (m,) = doc["models"]
    assert m["status"] == "ok" and m["device"] == "meta" and m["input"] == [1, 3, 32, 32]
    assert "torch.nn.Linear(400, 120)" in m["snippet"] and "def forward(rt, L):" in m["snippet"]  # the code that ran
    proc = run_main(capsys, "probe", "net.py", "--model", "Nope")
    assert proc.returncode == 2 and "Nope" in proc.stderr
    with pytest.raises(SystemExit) as exit_info:
        run_main(capsys, "probe", "net.py", "--device", "tpu")
    assert exit_info.value.code == 2 and "unknown device" in capsys.readouterr().err


def test_check_probe_puts_the_verdict_on_the_finding(lenet28, pool, capsys, monkeypatch):
    proc = cli("check", "--no-cache", "net.py", "--probe=cpu", cwd=lenet28.parent)  # the real entry point
    assert proc.returncode == 1, proc.stderr
    assert "PT005" in proc.stdout
    assert "已由 PyTorch 证实：mat1 and mat2 shapes cannot be multiplied (2x256 and 400x120)" in proc.stdout
    monkeypatch.chdir(lenet28.parent)
    proc = run_main(capsys, "check", "--no-cache", "net.py", "--probe=meta", "--format", "json")
    (f,) = [f for f in json.loads(proc.stdout) if f["code"] == "PT005"]
    assert f["extra"]["probe"]["verdict"] == "confirmed" and f["extra"]["probe"]["device"] == "meta"
    assert f["extra"]["probe"]["torch"] == torch.__version__


def test_check_probe_on_a_notebook_matches_findings_by_cell(tmp_path, pool, capsys, monkeypatch):
    src = (FIX / "probe_lenet.py").read_text(encoding="utf-8").replace("input=(N, 3, 32, 32)", "input=(N, 3, 28, 28)")
    head, _, body = src.partition("\n\n\nclass")
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# LeNet"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["%matplotlib inline\n", head]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["class" + body]}]
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                                       encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    proc = run_main(capsys, "check", "--no-cache", "nb.ipynb", "--probe=meta", "--format", "json")
    (f,) = [f for f in json.loads(proc.stdout) if f["code"] == "PT005"]
    assert f["cell"] == 3 and f["extra"]["probe"]["verdict"] == "confirmed", proc.stderr
    assert "[2, 256] X [400, 120]" in f["extra"]["probe"]["detail"]


def test_check_probe_unverifiable_findings(tmp_path, pool, capsys, monkeypatch):
    text = (FIX / "probe_lenet.py").read_text(encoding="utf-8").replace(
        "input=(N, 3, 32, 32)", "input=(N, 3, 28, 28)").replace("nn.Linear(84, 10)", "nn.Linear(84, int('10'))")
    (tmp_path / "net.py").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    proc = run_main(capsys, "check", "--no-cache", "net.py", "--probe=cpu", "--format", "json", "--lang", "en")
    findings = [f for f in json.loads(proc.stdout) if f["code"] == "PT005"]
    assert findings
    for f in findings:
        assert f["extra"]["probe"]["verdict"] == "unverifiable" and "int('10')" in f["extra"]["probe"]["detail_en"]


def test_missing_torch_is_one_message_and_linting_goes_on(lenet28, tmp_path_factory, capsys, monkeypatch):
    venv = tmp_path_factory.mktemp("no-torch")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    monkeypatch.chdir(lenet28.parent)
    proc = run_main(capsys, "probe", "net.py", "--python", py)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout
    assert 'pip install torch' in proc.stderr and "probe.python" in proc.stderr
    # the interpreter comes from the user (here the environment), never from pyproject.toml
    proc = cli("check", "--no-cache", "net.py", "--probe", "--lang", "en", cwd=lenet28.parent,
               env={"PTLINT_PROBE_PYTHON": py})
    assert proc.returncode == 1 and "PT005" in proc.stdout  # the finding is still reported
    assert proc.stderr.count('pip install torch') == 1 and "Traceback" not in proc.stderr
    assert "    probe failed: the probe needs torch" in proc.stdout


def test_shapes_report_fields_the_probe_relies_on():
    """The parts of contract v1 the probe reads, as the engine writes them."""
    doc = shapes_report((FIX / "probe_textcls.py").read_text(encoding="utf-8"), "t.py")
    assert doc["version"] == 1
    (m,) = doc["models"]
    assert m["input"]["shape"] == ["N", 20] and m["input"]["source"] == "comment"
    assert {"name", "type", "args", "kwargs", "literal", "range", "params"} <= set(m["layers"][0])
    ops = [s["op"] for s in m["steps"]]
    assert ops[:2] == ["input", "layer"] and "item" in ops and "getitem" in ops and ops[-1] == "output"
    lstm = next(s for s in m["steps"] if s.get("layer") == "lstm")
    assert lstm["outputs"] == [["N", 20, 256], [[4, "N", 128], [4, "N", 128]]]
    assert {"step", "code", "message_zh", "message_en", "range"} <= set(m["errors"][0])


def test_check_probe_verdict_reaches_sarif_and_follows_lang(lenet28, pool, capsys, monkeypatch):
    monkeypatch.chdir(lenet28.parent)
    proc = run_main(capsys, "check", "--no-cache", "net.py", "--probe=meta", "--format", "sarif", "--lang", "en")
    results = [r for r in json.loads(proc.stdout)["runs"][0]["results"] if r["ruleId"] == "PT005"]
    assert results and results[0]["properties"]["probe"]["verdict"] == "confirmed"
    detail = results[0]["properties"]["probe"]["detail"]
    assert detail == results[0]["properties"]["probe"]["detail_en"]  # --lang en reaches the probe's text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in detail)
