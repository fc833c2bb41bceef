"""The CLI analyses with a raised gen-0 threshold (server/gc_policy.py): fewer collections,
same findings."""
import subprocess
import sys

from ptlint.server.gc_policy import ANALYSIS_THRESHOLDS

PROGRAM = """
import gc, sys
from ptlint.server.cli import main
rc = main(["check", "--no-cache", "--jobs", "1", sys.argv[1]])
print("THRESHOLDS", gc.get_threshold(), "FROZEN", gc.get_freeze_count() > 0)
"""


def test_check_raises_the_threshold_and_keeps_findings(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("import torch\nx = torch.randn(2, 3).t().view(-1)\n")
    proc = subprocess.run([sys.executable, "-c", PROGRAM, str(src)], capture_output=True, text=True)
    assert "m.py:2:5: PT001" in proc.stdout
    assert f"THRESHOLDS {ANALYSIS_THRESHOLDS} FROZEN True" in proc.stdout


def test_nothing_to_analyse_leaves_the_collector_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("no python here\n")
    proc = subprocess.run([sys.executable, "-c", PROGRAM, str(tmp_path)], capture_output=True, text=True)
    assert "THRESHOLDS (700, 10, 10) FROZEN False" in proc.stdout


IDLE_PROGRAM = """
import gc, weakref
from ptlint.server.gc_policy import IdleCollector

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)

collector = IdleCollector(idle_s=0.01, least=50, most=5000)
collector.start()
print("AUTOMATIC", gc.isenabled(), "FROZEN", gc.get_freeze_count() > 0)  # the first job must not wait
collector.job_done()  # after the first answer: what is alive now is frozen
print("FIRST JOB", "FROZEN", gc.get_freeze_count() > 0)
few = [cycle() for _ in range(100)]
collector.wait(lambda timeout: True)  # a job is waiting and not much piled up: answer it first
print("BUSY", sum(r() is not None for r in few), collector.collections)
collector.wait(lambda timeout: False)  # nothing came for idle_s: collect now
print("IDLE", sum(r() is not None for r in few), collector.collections)
many = [cycle() for _ in range(3000)]
collector.wait(lambda timeout: True)  # busy, but too much piled up to wait for a pause
print("PILED", sum(r() is not None for r in many), collector.collections)
"""


def test_the_lsp_worker_collects_when_idle_or_when_garbage_piles_up():
    """The analysis worker's policy: no automatic collections (their pauses landed on
    keystrokes); cyclic garbage goes when the worker is idle, or while busy once enough
    has piled up to matter for memory."""
    proc = subprocess.run([sys.executable, "-c", IDLE_PROGRAM], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines == ["AUTOMATIC False FROZEN False", "FIRST JOB FROZEN True", "BUSY 100 0", "IDLE 0 1", "PILED 0 2"]
