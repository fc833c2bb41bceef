"""``--fix`` and odd files on disk (issue 11): symlinks are written through, hard links
kept, temp files a killed run left behind are cleaned up, CR-only files are fixed."""
import os
import time

import pytest

from ptlint.rules import fsutil

BAD = "import torch\nx = torch.randn(2, 3).t().view(-1)\n"
FIXED = "import torch\nx = torch.randn(2, 3).t().contiguous().view(-1)\n"

posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks and hard links as on POSIX")


@posix_only
def test_fix_through_a_symlink_fixes_the_target_and_keeps_the_link(run_cli, tmp_path):
    (tmp_path / "real.py").write_text(BAD)
    (tmp_path / "link.py").symlink_to("real.py")
    proc = run_cli("--fix", "--no-cache", "link.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "link.py").is_symlink()
    assert os.readlink(tmp_path / "link.py") == "real.py"
    assert (tmp_path / "real.py").read_text() == FIXED


@posix_only
def test_fix_keeps_hard_links(run_cli, tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    os.link(tmp_path / "a.py", tmp_path / "b.py")
    inode = (tmp_path / "a.py").stat().st_ino
    proc = run_cli("--fix", "--no-cache", "b.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "b.py").stat().st_ino == inode and (tmp_path / "a.py").stat().st_nlink == 2
    assert (tmp_path / "a.py").read_text() == FIXED


def test_stale_temp_files_of_a_killed_fix_are_removed_on_the_next_run(run_cli, tmp_path):
    old = time.time() - 3600
    stale = tmp_path / ".ptlint-abcd_123.tmp"  # what tempfile.mkstemp names ours
    stale.write_text("half a file")
    os.utime(stale, (old, old))
    lookalikes = [tmp_path / ".ptlint-notours.tmp", tmp_path / ".ptlint-abcd1234.tmp.bak", tmp_path / "x.ptlint-abcd1234.tmp"]
    for p in lookalikes:
        p.write_text("user data")
        os.utime(p, (old, old))
    (tmp_path / "m.py").write_text(BAD)
    proc = run_cli("--fix", "--no-cache", "m.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not stale.exists()
    assert all(p.read_text() == "user data" for p in lookalikes)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == [
        ".ptlint-notours.tmp", "x.ptlint-abcd1234.tmp"]  # no temp file of this run is left either


def test_a_temp_file_newer_than_this_process_is_left_alone(tmp_path):
    young = tmp_path / ".ptlint-zzzz9999.tmp"  # perhaps another ptlint writing right now
    young.write_text("in use")
    assert fsutil.clean_stale_temps(tmp_path) == []
    assert young.exists()


@pytest.mark.skipif(fsutil.fcntl is None, reason="advisory locks")
def test_a_locked_temp_file_is_left_alone(tmp_path):
    held = tmp_path / ".ptlint-lock0000.tmp"
    held.write_text("being written")
    old = time.time() - 3600
    os.utime(held, (old, old))
    fd = os.open(held, os.O_RDONLY)
    try:
        fsutil.fcntl.flock(fd, fsutil.fcntl.LOCK_EX)
        # flock locks belong to the open file description: a second open in this
        # process conflicts just as another process would
        assert fsutil.clean_stale_temps(tmp_path) == []
        assert held.exists()
    finally:
        os.close(fd)
    assert fsutil.clean_stale_temps(tmp_path) == [held.name]


def test_cr_only_file_is_fixed_and_keeps_cr(run_cli, tmp_path):
    raw = BAD.replace("\n", "\r").encode()
    compile(raw, "cr.py", "exec")  # valid Python
    (tmp_path / "cr.py").write_bytes(raw)
    proc = run_cli("--fix", "--no-cache", "cr.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would not parse" not in proc.stderr
    assert (tmp_path / "cr.py").read_bytes() == FIXED.replace("\n", "\r").encode()
