"""One language per run for every line the probe prints, and no doubled "probe failed"."""
import json
import subprocess

import pytest

torch = pytest.importorskip("torch")

from ptlint.runtime_probe.compare import FAILED
from ptlint.runtime_probe.probe import ProbeOptions, probe_file
from ptlint.runtime_probe.render import render_file
from ptlint.runtime_probe.worker import default_pool

LOSS = ("import torch\nimport torch.nn as nn\n\ncriterion = nn.CrossEntropyLoss()\n\n\ndef step(logits, labels):\n"
        "    return criterion(logits, labels.float())\n")
NET = ("import torch\nimport torch.nn as nn\n\nnet = nn.Sequential(nn.Linear(8, 4))  # ptlint: input=(2, 8)\n")


@pytest.fixture(scope="module")
def pool():
    return default_pool()


def cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def run_main(capsys, monkeypatch, cwd, *args):
    from ptlint.server.cli import main

    monkeypatch.chdir(cwd)
    rc = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, rc, out.out, out.err)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cuda_missing_says_probe_failed_once_in_one_language(pool, lang, tmp_path, capsys, monkeypatch):
    (tmp_path / "net.py").write_text(NET, encoding="utf-8")
    fp = probe_file(NET, "net.py", ProbeOptions(device="cuda"), pool=pool)
    (m,) = fp.models
    assert m.status == FAILED
    text = render_file(fp, lang)
    assert text.count("探针失败") + text.count("Probe failed") + text.count("probe failed") == 1, text
    proc = run_main(capsys, monkeypatch, tmp_path, "probe", "net.py", "--device", "cuda", "--lang", lang)
    out = proc.stdout + proc.stderr
    assert "探针失败：探针失败" not in out and "probe failed: probe failed" not in out.lower()
    if lang == "en":
        assert not cjk(out) and "CUDA is not available" in out, out
    else:
        assert "无法使用 CUDA" in out and "CUDA is not available" not in out, out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_check_probe_lines_and_records_are_in_the_run_language(pool, lang, tmp_path, capsys, monkeypatch):
    (tmp_path / "loss.py").write_text(LOSS, encoding="utf-8")
    proc = run_main(capsys, monkeypatch, tmp_path, "check", "--no-cache", "--probe=cpu", "--lang", lang, "loss.py")
    lines = [l for l in proc.stdout.splitlines() if l.startswith("    ")]
    assert lines, proc.stdout
    for line in lines:  # "probe: unverifiable 输入的形状未知" mixed two languages
        if lang == "en":
            assert line.startswith("    probe") and not cjk(line), line
        else:
            assert line.startswith("    探针") and "unverifiable" not in line and "probe" not in line, line
    proc = run_main(capsys, monkeypatch, tmp_path, "check", "--no-cache", "--probe=cpu", "--lang", lang,
                    "--format", "sarif", "loss.py")
    for res in json.loads(proc.stdout)["runs"][0]["results"]:
        rec = res["properties"]["probe"]
        assert cjk(rec["detail"]) == (lang == "zh") and cjk(rec["text"]) == (lang == "zh"), rec
