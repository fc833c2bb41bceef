"""The analysis worker never outlives its server: an editor that kills the server (a crash,
a window closed, ``kill -9``) must not leave ptlint processes behind. The first worker is
forked (Linux), so it holds a copy of every pipe end the server had; it must close the
server's end, or it never sees the pipe close and waits forever."""
import os
import sys
import time

import pytest

from .rawlsp import RawServer

SERVER_NORMAL = [sys.executable, "-c",
                 "import os, sys; os.environ['PTLINT_FAST_START'] = '0'; "
                 "from ptlint.server.__main__ import _main; sys.exit(_main([]))"]
PUSH_CAPS = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}
SOFTMAX = "import torch.nn.functional as F\n\n\ndef f(x):\n    return F.softmax(x)\n"


def children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(c) for c in f.read().split()]
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the fork start is Linux-only")
@pytest.mark.parametrize("command", [None, SERVER_NORMAL], ids=["fast-start", "pygls-start"])
def test_the_worker_ends_when_its_server_is_killed(tmp_path, command):
    uri = (tmp_path / "model.py").as_uri()
    server = RawServer(command)
    try:
        server.initialize(PUSH_CAPS)
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": SOFTMAX}})
        server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        workers = children(server.proc.pid)
        assert workers, "the server analyses in a worker process"
        server.proc.kill()
        server.proc.wait(60)
    finally:
        server.close()
    # the worker sees the pipe close and exits; waiting on that event, not on a fixed delay
    deadline = time.monotonic() + 120
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [w for w in workers if alive(w)] == []
