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
