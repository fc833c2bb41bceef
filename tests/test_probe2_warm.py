"""The probe's worker stays warm: in the language server a second "confirm shapes" run
on an unchanged torch reuses the same worker process (torch is imported once), the
worker is restarted only when torch or the interpreter changed on disk, and it is gone
once the server exits."""
import asyncio
import os

import pytest

torch = pytest.importorskip("torch")

from lsp.conftest import lsp_session
from test_probe_lsp import LENET28, PROBE_ON, code_lenses

from ptlint.runtime_probe import worker as worker_mod
from ptlint.runtime_probe.probe import ProbeOptions, probe_report
from ptlint.runtime_probe.worker import WorkerPool


async def gone(pid, timeout=60.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # reaped by nobody yet: a zombie has exited too
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except OSError:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_second_probe_run_in_the_server_reuses_the_warm_worker(tmp_path):
    uri = (tmp_path / "net.py").as_uri()
    async with lsp_session("vscode", init_options=PROBE_ON) as s:
        s.open(uri, LENET28)
        await s.diagnostics(uri)
        (lens,) = await code_lenses(s, uri)
        first = await s.command(lens.command.command, *lens.command.arguments)
        second = await s.command(lens.command.command, *lens.command.arguments)
        # a changed model is a new snippet: it must really run in the worker, still no new import
        s.change(uri, LENET28.replace("nn.Linear(120, 84)", "nn.Linear(120, 80)").replace("nn.Linear(84, 10)",
                                                                                            "nn.Linear(80, 10)"))
        await s.diagnostics(uri)
        third = await s.command(lens.command.command, *lens.command.arguments)
        pid = first["worker"]["pid"]
        assert isinstance(pid, int) and pid > 0
        assert [r["worker"]["pid"] for r in (first, second, third)] == [pid] * 3
        assert [r["worker"]["starts"] for r in (first, second, third)] == [1, 1, 1]  # torch imported once
        assert third["models"][0]["status"] == "confirmed"
    assert await gone(pid), "the probe worker outlived the server"


def test_worker_restarts_only_when_torch_or_the_interpreter_changed(monkeypatch):
    import test_probe_runtime as R

    pool = WorkerPool()
    try:
        opts = ProbeOptions(device="cpu", use_cache=False)
        probe_report(R.C.report(R.C.lenet(32)), opts, pool=pool)
        first = pool.info().pid
        probe_report(R.C.report(R.C.lenet(32)), opts, pool=pool)
        assert pool.starts == 1 and pool.info().pid == first
        real = worker_mod.install_fingerprint
        monkeypatch.setattr(worker_mod, "install_fingerprint", lambda py, tf: real(py, tf) + (("upgraded",),))
        m = probe_report(R.C.report(R.C.lenet(32)), opts, pool=pool).models[0]
        assert m.status == "ok" and pool.starts == 2 and pool.restarts_for_change == 1
        assert pool.info().pid != first
        probe_report(R.C.report(R.C.lenet(32)), opts, pool=pool)  # the new worker's fingerprint is current
        assert pool.starts == 2
    finally:
        pool.close()
