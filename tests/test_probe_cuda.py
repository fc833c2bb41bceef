"""The probe on a CUDA device. Runs only where torch sees a GPU (CI has none: these are
the checks made on a GPU machine); the CPU and meta behaviour is tested everywhere."""
import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA device here", allow_module_level=True)

from ptlint.runtime_probe.compare import CONFIRMED, FAILED, OK
from ptlint.rules.findings import Position, Range
from ptlint.rules.probe_requests import LossRequest
from ptlint.runtime_probe.probe import Prober, ProbeOptions, check_request, probe_report
from ptlint.runtime_probe.worker import WorkerPool

_spec = importlib.util.spec_from_file_location("probe_contracts", Path(__file__).parent / "fixtures" / "probe_contracts.py")
C = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(C)


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool()
    yield p
    p.close()


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "auto"])
def test_cuda_runs_under_the_memory_limit_and_confirms(pool, device):
    # The worker's default rlimit (4 GiB of data) must leave CUDA's start-up alone.
    fp = probe_report(C.report(C.lenet(32), C.lenet(28)), ProbeOptions(device=device, memory_mb=4096), pool=pool)
    assert fp.device == ("cuda:0" if device == "cuda:0" else "cuda")
    ok, bad = fp.models
    assert ok.status == OK and bad.status == CONFIRMED, (ok.reason_en, bad.reason_en)
    assert bad.errors[0].detail == "mat1 and mat2 shapes cannot be multiplied (2x256 and 400x120)"


def test_every_layer_kind_on_cuda(pool):
    from test_probe_runtime import LAYER_CASES

    fp = probe_report(C.report(*LAYER_CASES), ProbeOptions(device="cuda"), pool=pool)
    assert [(m.name, m.status, m.reason_en) for m in fp.models if m.status != OK] == []


def test_a_device_that_is_not_there(pool):
    n = torch.cuda.device_count()
    m = probe_report(C.report(C.lenet(32)), ProbeOptions(device=f"cuda:{n}"), pool=pool).models[0]
    assert m.status == FAILED and f"no CUDA device cuda:{n}" in m.reason_en


def test_loss_dtype_check_on_cuda(pool):
    prober = Prober(ProbeOptions(device="cuda"), pool)
    at = Range(Position(1, 0), Position(1, 1))
    rec = check_request(LossRequest("PT003", at, loss="torch.nn.CrossEntropyLoss", input_shape=("N", 10),
                                    target_shape=("N",), target_dtype="int32"), prober, "en")
    assert rec["verdict"] == CONFIRMED and rec["device"] == "cuda"
