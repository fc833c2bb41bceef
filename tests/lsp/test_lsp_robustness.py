"""No user input stops the server: half-typed code, 1,000 quick edits, a 5 MB file,
binary garbage, non-Python text, broken notebook JSON, a document closed while it is
analysed, a worker that dies or hangs. Old analyses never overwrite newer ones."""
import asyncio
import random
import time
from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import PLUGIN_SERVER, lsp_session, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")

MODEL = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return F.softmax(self.drop(self.fc(x)), dim=-1)
'''

SOFTMAX = "import torch.nn.functional as F\ny = F.softmax(x)\n"


async def alive(s, tmp_path, name="alive.py"):
    """The server still answers, with correct diagnostics, quickly."""
    uri = (tmp_path / name).as_uri()
    s.open(uri, SOFTMAX)
    t0 = time.monotonic()
    assert [d.code for d in await s.diagnostics(uri, timeout=15)] == ["PT017"]
    return time.monotonic() - t0


async def test_typing_a_model_one_character_at_a_time(session, workdir):
    """~500 edits through every half-typed state, sent as fast as the client can."""
    uri = (workdir / f"typing_{session.profile}.py").as_uri()
    session.open(uri, "")
    line = 0
    for ch in MODEL:
        if ch == "\n":
            session.edit(uri, types.Range(types.Position(line, 0), types.Position(line, 0)), "")  # no-op edit
        text = session.texts[uri]
        last = text.split("\n")[-1]
        pos = types.Position(text.count("\n"), len(last.encode("utf-16-le")) // 2)
        session.edit(uri, types.Range(pos, pos), ch)
    assert session.texts[uri] == MODEL
    assert await session.diagnostics(uri) == []
    if not session.pull:
        versions = [p.version for p in session.client.published[uri]]
        assert versions == sorted(versions), "an older version was published after a newer one"
        assert versions[-1] == session.versions[uri]
        # How many publishes come between depends on the machine's load (one whenever an
        # analysis ends before the next edit arrives); that edits made during an analysis
        # become one more run is tested with a gate below.


async def test_a_thousand_rapid_edits_end_in_the_right_state(session, workdir):
    uri = (workdir / f"rapid_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    await session.diagnostics(uri)
    rng = random.Random(7)
    for i in range(1000):
        # Toggle the dim argument on and off, with junk comments in between.
        if i % 2:
            text = "import torch.nn.functional as F\ny = F.softmax(x, dim=1)\n"
        else:
            text = SOFTMAX + "#" * rng.randint(0, 40) + "\n"
        session.change(uri, text)
    assert session.versions[uri] == 1001
    assert await session.diagnostics(uri) == []  # the last text (odd i) has dim
    if not session.pull:
        versions = [p.version for p in session.client.published[uri]]
        assert versions == sorted(versions)
        assert versions[-1] == 1001


async def test_edits_made_during_an_analysis_become_one_more_run(tmp_path):
    """The adaptive debounce, without a clock: the first analysis waits at a gate until
    all 1,000 edits are sent, so every one of them arrives while it runs. Its result is
    for an old version and is dropped; the edits give exactly one more run."""
    gate = tmp_path / "gate"
    async with lsp_session("vscode", server=PLUGIN_SERVER, env={"PTLINT_TEST_GATE": str(gate)}) as s:
        await alive(s, tmp_path)  # past the fast start: the scheduler runs what follows
        uri = (tmp_path / "gated.py").as_uri()
        s.open(uri, "import torch\ngate_worker()\n" + SOFTMAX)
        await wait_until(lambda: Path(f"{gate}.started").exists(), what="the first analysis to start")
        for i in range(1000):
            s.change(uri, "import torch\ngate_worker()\n" + (SOFTMAX if i % 2 else SOFTMAX.replace("(x)", "(x, dim=1)")))
        # Messages are handled in order: once this answer is in, the server has all edits.
        assert (await s.command("ptlint.explain", "PT017"))
        gate.touch()
        assert [d.code for d in await s.diagnostics(uri)] == ["PT017"]  # the last text has no dim
        assert [p.version for p in s.client.published[uri]] == [1001]


async def test_huge_file_is_not_analysed_live_and_blocks_nothing(session, workdir):
    uri = (workdir / f"huge_{session.profile}.py").as_uri()
    block = MODEL.replace("class Net", "class Net{}")
    text = "".join(block.format(i) for i in range(5 * 1024 * 1024 // len(block) + 1))
    assert len(text) > 5 * 1024 * 1024
    session.open(uri, text)
    assert await session.diagnostics(uri) == []
    await wait_until(lambda: any("huge_" in m.message for m in session.client.messages), what="the message")
    (shown,) = [m for m in session.client.messages if "huge_" in m.message]
    assert shown.type == types.MessageType.Info
    assert "太大" in shown.message and "编辑时不做实时检查" in shown.message and "ptlint check" in shown.message
    assert await alive(session, workdir, f"after_huge_{session.profile}.py") < 10
    session.close(uri)


async def test_binary_garbage_and_non_python_text(session, workdir):
    rng = random.Random(3)
    garbage = "".join(chr(rng.randrange(0, 0x3000)) for _ in range(20000))
    uri = (workdir / f"garbage_{session.profile}.py").as_uri()
    session.open(uri, "import torch\n" + garbage)
    assert await session.diagnostics(uri) == []  # NUL bytes: binary, not checked
    uri2 = (workdir / f"readme_{session.profile}.py").as_uri()
    session.open(uri2, "# Using torch\n\nInstall torch, then run `python train.py` — it's easy!\n")
    diags = await session.diagnostics(uri2)
    assert [d.code for d in diags] == ["PT000"]  # not Python: one syntax error, nothing else
    uri3 = (workdir / f"notes_{session.profile}.md").as_uri()
    session.open(uri3, "torch.nn.Softmax()\n", language_id="markdown")  # not ours at all
    await alive(session, workdir, f"after_garbage_{session.profile}.py")
    if not session.pull:
        assert uri3 not in session.client.published


async def test_broken_notebook_json(session, workdir):
    """An .ipynb opened as text (editors without notebook support): broken JSON is one
    error where the JSON breaks; fixing it clears it."""
    uri = (workdir / f"broken_{session.profile}.ipynb").as_uri()
    text = '{"cells": [{"cell_type": "code", "source": ["import torch\\n"]}],\n "metadata": {,\n}}'
    session.open(uri, text, language_id="json")
    (d,) = await session.diagnostics(uri)
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.message.startswith("notebook 文件不是有效的 JSON")
    assert d.range.start == types.Position(1, 14)
    session.change(uri, text.replace("{,", "{"))
    assert await session.diagnostics(uri) == []


async def test_document_closed_while_it_is_analysed(tmp_path):
    async with lsp_session("vscode", init_options={"debounceMs": 0}) as s:
        uri = (tmp_path / "closing.py").as_uri()
        big = MODEL + "".join(f"y{i} = torch.ones(3) * {i}\n" for i in range(3000))
        s.open(uri, big)
        await asyncio.sleep(0.05)
        s.close(uri)
        await alive(s, tmp_path)  # the worker finished the closed file's run, then this one
        await asyncio.sleep(0.3)
        published = s.client.published.get(uri, [])
        # Whatever came before the close, the last word is "no diagnostics".
        assert published and list(published[-1].diagnostics) == []


async def test_worker_crash_and_hang_are_survived(tmp_path):
    """The budget counts the analysis only (not the new worker's start-up, which takes
    seconds on a busy machine), and each step waits for its event: the publish of the
    version, then the log line."""
    async with lsp_session("vscode", server=PLUGIN_SERVER, env={"PTLINT_LSP_ANALYSIS_TIMEOUT": "5"}) as s:
        uri = (tmp_path / "crash.py").as_uri()
        s.open(uri, "import torch\ncrash_worker()\n")
        assert await s.diagnostics(uri) == []
        await wait_log(s, "analysis worker died (exit code 3)")
        await alive(s, tmp_path, "after_crash.py")
        uri = (tmp_path / "hang.py").as_uri()
        s.open(uri, "import torch\nhang_worker()\n")
        (d,) = await s.diagnostics(uri)
        assert "超过了 5 秒的时间上限" in d.message  # said in the editor, not only in the log
        await wait_log(s, "took longer than 5 s and was stopped")
        # Diagnostics of another file arrive long before the hung rule (30 s) would end.
        assert await alive(s, tmp_path, "after_hang.py") < 20


async def wait_log(s, needle, timeout=60.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not s.logs(needle):
        assert loop.time() < deadline, f"no log line with {needle!r}: {s.logs()}"
        await asyncio.sleep(0.05)


async def test_thread_worker_gives_the_same_results(tmp_path):
    async with lsp_session("neovim", init_options={"worker": "thread"}) as s:
        await alive(s, tmp_path)
        uri = (tmp_path / "syntax.py").as_uri()
        s.open(uri, "import torch\ndef f(:\n")
        assert [d.code for d in await s.diagnostics(uri)] == ["PT000"]
