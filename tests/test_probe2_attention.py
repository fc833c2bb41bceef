"""The probe on the bundled attention example: calls are rebuilt with the tensors the
code passes (``q, k, v = qkv.unbind(0)`` …), and the ``.view`` that PT001 flags runs and
is confirmed instead of reading as a ptlint bug."""
import json
import subprocess
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from ptlint.runtime_probe.compare import AGREE, CONFIRMED, ERROR, NOT_RUN
from ptlint.runtime_probe.probe import ProbeOptions, probe_file
from ptlint.runtime_probe.render import render_file
from ptlint.runtime_probe.worker import default_pool

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "attention_view.py"


@pytest.fixture(scope="module")
def pool():
    return default_pool()


def run_main(capsys, monkeypatch, cwd, *args):
    from ptlint.server.cli import main

    monkeypatch.chdir(cwd)
    rc = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, rc, out.out, out.err)


def test_attention_block_runs_every_step_and_confirms_the_view(pool):
    fp = probe_file(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE), ProbeOptions(device="cpu"), pool=pool,
                    model="SelfAttention")
    (m,) = fp.models
    assert m.status == CONFIRMED, render_file(fp, "en")
    by_line = {}
    for s in m.steps:
        by_line.setdefault((s.range or {}).get("start", {}).get("line"), []).append(s)
    # the unbind, both matmuls, the scale and the softmax ran with the arguments the code passes
    for line in (22, 23, 24, 25):
        assert by_line[line] and all(s.status == AGREE for s in by_line[line]), [(s.label, s.status) for s in by_line[line]]
    (view,) = by_line[26]
    assert view.status == ERROR and view.predicted and view.predicted_code == "PT001"
    assert "view size is not compatible" in view.error["message"]
    assert [s.status for s in by_line[27]] == [NOT_RUN]  # proj: PyTorch raised before it
    (v,) = [e for e in m.errors if e.code == "PT001"]
    assert v.verdict == CONFIRMED
    text = render_file(fp, "zh")
    assert "缺陷" not in text and "missing 1 required positional argument" not in text
    assert "PT001 报错" in text and "已证实" in text


def test_cli_probe_on_the_example_reports_no_ptlint_bug(pool, capsys, monkeypatch):
    proc = run_main(capsys, monkeypatch, EXAMPLE.parent.parent, "probe", "examples/attention_view.py",
                    "--device", "cpu", "--lang", "en")
    assert "ptlint bug" not in proc.stdout and "TypeError" not in proc.stdout, proc.stdout
    assert "PT001 raises" in proc.stdout and "confirmed" in proc.stdout
    assert proc.returncode == 1  # a confirmed error is a problem


def test_check_probe_confirms_the_pt001_of_the_attention_block(pool, capsys, monkeypatch):
    # `--probe FILE`: the file is not taken for the device
    proc = run_main(capsys, monkeypatch, EXAMPLE.parent.parent, "check", "--no-cache", "--format", "json",
                    "--probe", "examples/attention_view.py")
    found = {f["range"]["start"]["line"]: f for f in json.loads(proc.stdout)}
    assert 26 in found
    rec = found[26]["extra"]["probe"]
    assert rec["verdict"] == "confirmed" and "view size is not compatible" in rec["detail"]
    for line, f in found.items():  # any other (the helper's tensor comes from parameters): says why
        if line != 26 and f["code"] == "PT001":
            assert f["extra"]["probe"]["verdict"] == "unverifiable" and f["extra"]["probe"]["detail"]
