"""The probe with real torch: verdicts on hand-written shape reports (contract v1),
every allow-listed layer kind, and the worker's sandbox and failure modes."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")  # CI installs the CPU wheel; the probe needs it

from ptlint.runtime_probe.compare import AGREE, CONFIRMED, ERROR, FAILED, MISMATCH, NOT_RUN, OK, RAISES, REFUTED, UNVERIFIABLE
from dataclasses import replace

from ptlint.rules.findings import Finding, Range, Severity
from ptlint.rules.probe_requests import LossRequest, ViewRequest
from ptlint.runtime_probe.probe import Prober, ProbeOptions, check_request, finding_verdicts, probe_report
from ptlint.runtime_probe.synth import make_snippet
from ptlint.runtime_probe.worker import ProbeFailed, WorkerPool, default_pool, scrubbed_env

_spec = importlib.util.spec_from_file_location("probe_contracts", Path(__file__).parent / "fixtures" / "probe_contracts.py")
C = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(C)


@pytest.fixture(scope="session")
def pool():
    """One long-lived worker for the whole session (torch is imported once)."""
    return default_pool()


def probe(pool, *models, device="cpu", **kw):
    return probe_report(C.report(*models), ProbeOptions(device=device, **kw), pool=pool)


# ---------------------------------------------------------------------- classic nets
@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_lenet_at_the_right_size_agrees_everywhere(pool, device):
    fp = probe(pool, C.lenet(32), device=device)
    m = fp.models[0]
    assert m.status == OK, m
    assert all(s.status == AGREE for s in m.steps), [(s.label, s.status) for s in m.steps]
    assert m.steps[-1].actual == [[2, 10]] and m.bindings == {"N": 2}
    assert [l.actual_params for l in m.layers] == [456, 0, 2416, 48120, 10164, 850]
    assert m.layers[0].calls == [[[2, 6, 28, 28]]]  # the forward hook saw conv1's output
    assert m.layers[1].calls == [[[2, 6, 14, 14]], [[2, 16, 5, 5]]]  # pool is used twice
    assert fp.device == device and fp.torch == torch.__version__


def test_lenet_at_the_wrong_size_confirms_pt005_with_pytorchs_words(pool):
    m = probe(pool, C.lenet(28)).models[0]
    assert m.status == CONFIRMED
    (v,) = m.errors
    assert v.verdict == CONFIRMED and v.code == "PT005"
    assert v.detail == "mat1 and mat2 shapes cannot be multiplied (2x256 and 400x120)"
    fc1 = next(s for s in m.steps if s.label == "fc1")
    assert fc1.status == ERROR and fc1.predicted
    assert [s.status for s in m.steps if s.id > 8] == [NOT_RUN] * 3


def test_meta_device_confirms_with_its_own_message(pool):
    m = probe(pool, C.lenet(28), device="meta").models[0]
    assert m.errors[0].verdict == CONFIRMED and "[2, 256] X [400, 120]" in m.errors[0].detail


def test_concrete_batch_one_is_kept(pool):
    m = probe(pool, C.lenet(28, batch=1)).models[0]
    assert m.errors[0].detail == "mat1 and mat2 shapes cannot be multiplied (1x256 and 400x120)"


def test_a_wrong_static_error_is_refuted_loudly(pool):
    model = C.lenet(32)
    model["errors"] = [{"step": 8, "code": "PT005", "message_zh": "错", "message_en": "wrong"}]
    m = probe(pool, model).models[0]
    assert m.status == MISMATCH and m.errors[0].verdict == REFUTED


def test_a_wrong_static_shape_is_a_reported_disagreement(pool):
    model = C.lenet(32)
    model["steps"][4]["output"] = ["N", 16, 11, 11]  # conv2 really gives 10x10
    m = probe(pool, model).models[0]
    assert m.status == MISMATCH
    assert [(s.label, s.static, s.actual) for s in m.disagreements] == [("conv2", [["N", 16, 11, 11]], [[2, 16, 10, 10]])]


def test_a_wrong_static_parameter_count_is_reported(pool):
    model = C.lenet(32)
    model["layers"][0]["params"] = 450
    m = probe(pool, model).models[0]
    assert m.status == MISMATCH and [l.name for l in m.param_mismatches] == ["conv1"]


def test_an_error_the_static_side_missed_is_reported(pool):
    model = C.lenet(28)
    model["errors"] = []
    model["steps"][8]["output"] = ["N", 120]  # static claims fc1 works
    m = probe(pool, model).models[0]
    assert m.status == MISMATCH
    model["steps"][8]["output"] = None  # static did not know: PyTorch just raises
    assert probe(pool, model).models[0].status == RAISES


def test_unverifiable_models_are_not_run_but_others_are(pool):
    bad = C.lenet(32)
    bad["name"] = "Bad"
    bad["layers"][3]["args"] = [{"unknown": "int(os.environ['FEATURES'])"}, 120]
    bad["errors"] = [{"step": 8, "code": "PT005", "message_zh": "", "message_en": ""}]
    fp = probe(pool, bad, C.lenet(32))
    assert [m.status for m in fp.models] == [UNVERIFIABLE, OK]
    assert fp.models[0].errors[0].verdict == UNVERIFIABLE and "fc1" in fp.models[0].reason_en
    assert fp.models[0].steps == []


# ---------------------------------------------------------------------- every layer kind
L = C.single_layer
LAYER_CASES = [
    L("torch.nn.Conv1d", [4, 8, 3], [2, 4, 10], [2, 8, 8]),
    L("torch.nn.Conv2d", [3, 8, 3], [2, 3, 9, 9], [2, 8, 4, 4], kwargs={"stride": 2}),
    L("torch.nn.Conv2d", [3, 8, 3], [2, 3, 9, 9], [2, 8, 9, 9], kwargs={"padding": "same", "dilation": 2}),
    L("torch.nn.Conv3d", [2, 4, [1, 3, 3]], [1, 2, 4, 8, 8], [1, 4, 4, 6, 6]),
    L("torch.nn.ConvTranspose2d", [8, 4, 2], [1, 8, 5, 5], [1, 4, 10, 10], kwargs={"stride": 2}),
    L("torch.nn.ConvTranspose1d", [8, 4, 3], [1, 8, 5], [1, 4, 12], kwargs={"stride": 2, "output_padding": 1, "padding": 0}),
    L("torch.nn.Linear", [16, 4], [2, 3, 16], [2, 3, 4]),
    L("torch.nn.Flatten", [], [2, 3, 4, 5], [2, 60]),
    L("torch.nn.Unflatten", [1, [3, 4]], [2, 12], [2, 3, 4]),
    L("torch.nn.Identity", [], [2, 3], [2, 3]),
    L("torch.nn.MaxPool2d", [3, 2, 1], [1, 3, 8, 8], [1, 3, 4, 4]),
    L("torch.nn.MaxPool2d", [2], [1, 3, 7, 7], [1, 3, 4, 4], kwargs={"ceil_mode": True}),
    L("torch.nn.MaxPool1d", [2], [1, 3, 9], [1, 3, 4]),
    L("torch.nn.MaxPool2d", [2], [1, 3, 8, 8], [1, 3, 4, 4], kwargs={"return_indices": True},
      outputs=[[1, 3, 4, 4], [1, 3, 4, 4]]),
    L("torch.nn.AvgPool2d", [2], [1, 3, 8, 8], [1, 3, 4, 4]),
    L("torch.nn.AdaptiveAvgPool2d", [[1, 1]], [1, 3, 8, 8], [1, 3, 1, 1]),
    L("torch.nn.AdaptiveMaxPool1d", [5], [1, 3, 20], [1, 3, 5]),
    L("torch.nn.BatchNorm1d", [3], [2, 3, 5], [2, 3, 5]),
    L("torch.nn.BatchNorm2d", [3], [2, 3, 4, 4], [2, 3, 4, 4], params=6),
    L("torch.nn.LayerNorm", [[4, 4]], [2, 3, 4, 4], [2, 3, 4, 4], params=32),
    L("torch.nn.GroupNorm", [2, 4], [2, 4, 3, 3], [2, 4, 3, 3]),
    L("torch.nn.InstanceNorm2d", [3], [2, 3, 4, 4], [2, 3, 4, 4]),
    L("torch.nn.Dropout", [0.5], [2, 7], [2, 7]),
    L("torch.nn.Dropout2d", [], [2, 3, 4, 4], [2, 3, 4, 4]),
    L("torch.nn.ReLU", [], [2, 7], [2, 7], kwargs={"inplace": True}),
    L("torch.nn.LeakyReLU", [0.1], [2, 7], [2, 7]),
    L("torch.nn.GELU", [], [2, 7], [2, 7], kwargs={"approximate": "tanh"}),
    L("torch.nn.Softmax", [], [2, 7], [2, 7], kwargs={"dim": 1}),
    L("torch.nn.LogSoftmax", [1], [2, 7], [2, 7]),
    L("torch.nn.Sigmoid", [], [2, 7], [2, 7]),
    L("torch.nn.Tanh", [], [2, 7], [2, 7]),
    L("torch.nn.PReLU", [], [2, 7], [2, 7], params=1),
    L("torch.nn.Embedding", [100, 16], [2, 7], [2, 7, 16], params=1600),
    L("torch.nn.Embedding", [10, 4], [3], [3, 4], kwargs={"padding_idx": 0}),
    L("torch.nn.RNN", [8, 16], [5, 2, 8], [5, 2, 16], outputs=[[5, 2, 16], [1, 2, 16]]),
    L("torch.nn.LSTM", [8, 16], [2, 5, 8], [2, 5, 16], kwargs={"batch_first": True},
      outputs=[[2, 5, 16], [[1, 2, 16], [1, 2, 16]]]),
    L("torch.nn.LSTM", [8, 16, 2], [2, 5, 8], [2, 5, 32], kwargs={"batch_first": True, "bidirectional": True},
      outputs=[[2, 5, 32], [[4, 2, 16], [4, 2, 16]]]),
    L("torch.nn.GRU", [8, 16], [5, 2, 8], [5, 2, 16], kwargs={"num_layers": 3}, outputs=[[5, 2, 16], [3, 2, 16]]),
    L("torch.nn.LSTMCell", [8, 16], [2, 8], [2, 16], outputs=[[2, 16], [2, 16]]),
    L("torch.nn.Upsample", [], [1, 3, 4, 4], [1, 3, 8, 8], kwargs={"scale_factor": 2, "mode": "nearest"}),
    L("torch.nn.PixelShuffle", [2], [1, 8, 3, 3], [1, 2, 6, 6]),
    L("torch.nn.ZeroPad2d", [[1, 1, 2, 2]], [1, 3, 4, 4], [1, 3, 8, 6]),
    L("torch.nn.ReflectionPad1d", [2], [1, 3, 5], [1, 3, 9]),
]


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_every_allowlisted_layer_kind_agrees(pool, device):
    fp = probe(pool, *LAYER_CASES, device=device)
    bad = [(m.name, m.status, m.reason_en, m.runtime_error, [(s.static, s.actual) for s in m.steps])
           for m in fp.models if m.status != OK]
    assert not bad


def test_calls_methods_and_binary_steps_agree(pool):
    ops = [
        {"op": "call", "fn": "torch.nn.functional.max_pool2d", "args": [2], "output": ["N", 4, 4, 4]},
        {"op": "method", "method": "permute", "args": [0, 2, 3, 1], "output": ["N", 4, 4, 4]},
        {"op": "method", "method": "contiguous", "output": ["N", 4, 4, 4]},
        {"op": "method", "method": "reshape", "args": [{"size_of": 3, "dim": 0}, -1], "output": ["N", 64]},
        {"op": "call", "fn": "torch.cat", "with": [4], "kwargs": {"dim": 1}, "output": ["N", 128]},
        {"op": "binary", "operator": "*", "args": [0.5], "output": ["N", 128]},
        {"op": "call", "fn": "torch.nn.functional.softmax", "kwargs": {"dim": -1}, "output": ["N", 128]},
        {"op": "method", "method": "unsqueeze", "args": [1], "output": ["N", 1, 128]},
        {"op": "call", "fn": "torch.flatten", "args": [1], "output": ["N", 128]},
        {"op": "binary", "operator": "+", "with": [9], "output": ["N", 128]},
        {"op": "method", "method": "chunk", "args": [2], "kwargs": {"dim": 1}, "outputs": [["N", 64], ["N", 64]]},
    ]
    m = probe(pool, C.chain(["N", 4, 8, 8], ops)).models[0]
    assert m.status == OK, [(s.label, s.status, s.static, s.actual, s.error) for s in m.steps]
    assert m.steps[-1].actual == [[2, 64], [2, 64]]


def test_lstm_items_and_indexing_agree(pool):
    """out, (h, c) = self.lstm(x); self.fc(out[:, -1, :])"""
    model = C.single_layer("torch.nn.LSTM", [8, 16], ["N", 5, 8], ["N", 5, 16], kwargs={"batch_first": True},
                           name="lstm", outputs=[["N", 5, 16], [[1, "N", 16], [1, "N", 16]]])
    model["layers"].append(C.layer("fc", "torch.nn.Linear", [16, 3]))
    model["steps"][2:] = [
        {"id": 2, "op": "item", "inputs": [1], "index": [0], "output": ["N", 5, 16]},
        {"id": 3, "op": "item", "inputs": [1], "index": [1, 1], "output": [1, "N", 16]},
        {"id": 4, "op": "getitem", "inputs": [2], "index": [{"slice": [None, None, None]}, -1, {"slice": [None, None, None]}],
         "output": ["N", 16]},
        {"id": 5, "op": "getitem", "inputs": [3], "index": ["...", None, {"slice": [1, None, 2]}], "output": [1, "N", 1, 8]},
        {"id": 6, "op": "layer", "layer": "fc", "inputs": [4], "output": ["N", 3]},
        {"id": 7, "op": "output", "inputs": [6]},
    ]
    m = probe(pool, model).models[0]
    assert m.status == OK, [(s.label, s.status, s.static, s.actual, s.error) for s in m.steps]
    assert m.steps[1].actual == [[2, 5, 16], [1, 2, 16], [1, 2, 16]]


def test_a_view_on_a_permuted_tensor_is_confirmed(pool):
    ops = [{"op": "method", "method": "transpose", "args": [1, 2], "output": ["N", 8, 4]},
           {"op": "method", "method": "view", "args": [{"size_of": 1, "dim": 0}, -1], "output": None}]
    model = C.chain(["N", 4, 8], ops)
    model["errors"] = [{"step": 2, "code": "PT005", "message_zh": "", "message_en": ""}]
    m = probe(pool, model).models[0]
    assert m.errors[0].verdict == CONFIRMED and "view size is not compatible" in m.errors[0].detail


# ---------------------------------------------------------------------- PT001 / PT003 checks
AT = Range.from_dict(C.rng(5))


def test_a_view_request_is_confirmed_refuted_or_unverifiable(pool):
    prober = Prober(ProbeOptions(device="cpu"), pool)
    view = ViewRequest("PT001", AT, shape=("N", 3, 4), chain=({"method": "transpose", "args": [1, 2]},
                                                            {"method": "view", "args": [-1]}))
    rec = check_request(view, prober, "en")
    assert rec["verdict"] == CONFIRMED and "view size is not compatible" in rec["detail"] and rec["device"] == "cpu"
    rec = check_request(replace(view, shape=(2, 1, 4), chain=({"method": "transpose", "args": [0, 1]},
                                                              {"method": "view", "args": [-1]})), prober, "en")
    assert rec["verdict"] == REFUTED and "the view succeeded" in rec["detail"]  # a size-1 dim keeps it viewable
    rec = check_request(replace(view, shape=None), prober, "en")
    assert rec["verdict"] == UNVERIFIABLE and rec["detail"] == "the shape of the tensor is not known"


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_a_loss_request_checks_the_target_dtype(pool, device):
    prober = Prober(ProbeOptions(device=device), pool)
    loss = LossRequest("PT003", AT, loss="torch.nn.CrossEntropyLoss", input_shape=("N", 10), target_shape=("N",),
                       target_dtype="int32")
    rec = check_request(loss, prober, "en")
    # torch 2.13: "expected target dtype to be Long or Byte, but got Int"; 2.11: "expected scalar type Long but found Int"
    assert rec["verdict"] == CONFIRMED and "Long" in rec["detail"] and "Int" in rec["detail"]
    assert rec["device"] == "cpu"  # meta skips dtype checks, so losses always run on the CPU
    assert check_request(replace(loss, target_dtype="int64"), prober, "en")["verdict"] == REFUTED
    rec = check_request(replace(loss, loss="torch.nn.functional.nll_loss", target_dtype="float32"), prober, "zh")
    assert rec["verdict"] == CONFIRMED


# ---------------------------------------------------------------------- findings
def finding(code, rng, cell=None, extra=None):
    return Finding(code=code, rule_name="", message_zh="", message_en="", range=Range.from_dict(rng),
                   severity=Severity.ERROR, cell=cell, extra=extra or {})


def test_finding_verdicts_match_pt005_findings_by_range(pool):
    wrong = C.lenet(28)
    wrong["errors"][0]["range"] = C.rng(17, 12, 25)
    claimed = C.lenet(32)
    claimed["name"] = "Claimed"
    claimed["errors"] = [{"step": 8, "code": "PT005", "message_zh": "", "message_en": "", "range": C.rng(40, 12, 25)}]
    for s in claimed["steps"]:
        if s.get("range"):
            s["range"] = C.rng(s["range"]["start"]["line"] + 23)
    findings = [finding("PT005", C.rng(17, 12, 25)), finding("PT005", C.rng(40, 12, 25)),
                finding("PT005", C.rng(99)), finding("PT017", C.rng(17)),
                finding("PT003", C.rng(50), extra={"loss": "torch.nn.NLLLoss", "input_shape": [2, 5],
                                                      "target_shape": [2], "target_dtype": "float32"})]
    records, fp = finding_verdicts(findings, "", "m.py", ProbeOptions(device="cpu"), lang="en", pool=pool,
                                   shapes=lambda text, path, **kw: C.report(wrong, claimed))
    assert sorted(records) == [0, 1, 2, 4]  # PT017 is not the probe's business
    assert records[0]["verdict"] == CONFIRMED and "(2x256 and 400x120)" in records[0]["detail"]
    assert records[1]["verdict"] == REFUTED and "ptlint bug" in records[1]["detail"]
    assert "ptlint 的缺陷" in records[1]["detail_zh"]
    assert records[2]["verdict"] == UNVERIFIABLE  # no step of the report is there
    assert records[4]["verdict"] == CONFIRMED and records[4]["device"] == "cpu"
    assert [m.name for m in fp.models] == ["Net", "Claimed"] and fp.device == "cpu"


# ---------------------------------------------------------------------- the worker
def test_results_are_cached_by_snippet_hash(pool):
    opts = ProbeOptions(device="cpu")
    first = probe_report(C.report(C.lenet(36)), opts, pool=pool).models[0]
    starts = pool.starts
    again = probe_report(C.report(C.lenet(36)), opts, pool=pool).models[0]
    assert again.cached and not first.cached and pool.starts == starts
    assert [s.actual for s in again.steps] == [s.actual for s in first.steps]


def _raw(pool, code, **kw):
    return pool.run(code, make_snippet(code).key, device=kw.pop("device", "cpu"), use_cache=False, **kw)


SANDBOX = """
import os, sys
def forward(rt, L):
    rt.at(0)
    v0 = rt.input((1,), 'float')
    rt.out(0, v0)
    rt.outputs['env'] = {'keys': sorted(os.environ)}
    rt.outputs['cwd'] = {'path': os.getcwd(), 'files': os.listdir('.')}
    rt.outputs['stdin'] = {'read': os.read(0, 10).decode()}
    rt.outputs['path'] = {'sys': [p for p in sys.path if p]}
"""


def test_worker_sandbox_env_cwd_stdin(pool, monkeypatch):
    monkeypatch.setenv("PTLINT_TEST_SECRET", "hunter2")
    monkeypatch.setenv("PYTHONPATH", "/nonexistent/shim")
    assert "PTLINT_TEST_SECRET" not in scrubbed_env() and "PYTHONPATH" not in scrubbed_env()
    own = WorkerPool()
    try:
        out = _raw(own, SANDBOX)["outputs"]
        assert "PTLINT_TEST_SECRET" not in out["env"]["keys"] and "PYTHONPATH" not in out["env"]["keys"]
        cwd = out["cwd"]["path"]
        assert "ptlint-probe-" in cwd and out["cwd"]["files"] == [] and cwd != os.getcwd()
        assert out["stdin"]["read"] == ""  # /dev/null, not our pipe
        assert "/nonexistent/shim" not in out["path"]["sys"]
    finally:
        own.close()
    assert not os.path.exists(cwd)  # the temporary folder goes with the worker


def test_timeout_stops_the_worker_and_the_next_run_starts_fresh():
    own = WorkerPool()
    try:
        with pytest.raises(ProbeFailed) as info:
            _raw(own, "import time\ndef forward(rt, L):\n    time.sleep(60)\n", timeout=1.5)
        assert "within 1.5 s" in info.value.en and "1.5 秒" in info.value.zh
        m = probe_report(C.report(C.lenet(32)), ProbeOptions(device="cpu"), pool=own).models[0]
        assert m.status == OK and own.starts == 2
    finally:
        own.close()


@pytest.mark.parametrize("code,expected", [
    ("import os\ndef forward(rt, L):\n    os._exit(3)\n", "exit code 3"),
    ("import os, signal\ndef forward(rt, L):\n    os.kill(os.getpid(), signal.SIGSEGV)\n", "SIGSEGV"),
])
def test_a_crashing_worker_is_reported_not_raised(code, expected):
    own = WorkerPool()
    try:
        with pytest.raises(ProbeFailed) as info:
            _raw(own, code)
        assert expected in info.value.en and info.value.en.startswith("the worker exited")
    finally:
        own.close()


def test_out_of_memory_is_a_probe_failure():
    own = WorkerPool()
    try:
        huge = C.single_layer("torch.nn.ReLU", [], [64, 64, 1024, 1024], [64, 64, 1024, 1024])  # 16 GiB of floats
        m = probe_report(C.report(huge), ProbeOptions(device="cpu", memory_mb=1024), pool=own).models[0]
        assert m.status == FAILED and "out of memory" in m.reason_en
        assert "内存不足" in m.reason_zh
    finally:
        own.close()


def test_unavailable_device_is_a_clear_failure(pool):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    m = probe(pool, C.lenet(32), device="cuda").models[0]
    assert m.status == FAILED and "CUDA is not available" in m.reason_en


def test_auto_device_is_resolved_and_reported(pool):
    fp = probe(pool, C.lenet(32), device="auto")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert fp.device == expected and fp.models[0].device == expected


@pytest.fixture(scope="module")
def python_without_torch(tmp_path_factory):
    venv = tmp_path_factory.mktemp("venv-no-torch")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    assert subprocess.run([str(py), "-c", "import torch"], capture_output=True).returncode != 0
    return str(py)


def test_missing_torch_gives_one_clear_message(python_without_torch):
    own = WorkerPool()
    try:
        fp = probe_report(C.report(C.lenet(32), C.lenet(28)), ProbeOptions(device="cpu", python=python_without_torch),
                          pool=own)
    finally:
        own.close()
    assert fp.torch_missing and [m.status for m in fp.models] == [FAILED, FAILED]
    assert 'pip install torch' in fp.failed_en and python_without_torch in fp.failed_en
    assert "probe.python" in fp.failed_zh and "Traceback" not in fp.failed_en
    assert own.starts == 1  # not retried per model


def test_an_interpreter_that_does_not_exist_is_a_clear_failure(tmp_path):
    own = WorkerPool()
    fp = probe_report(C.report(C.lenet(32)), ProbeOptions(device="cpu", python=str(tmp_path / "nope" / "python")),
                      pool=own)
    assert fp.models[0].status == FAILED and "cannot start the interpreter" in fp.models[0].reason_en
