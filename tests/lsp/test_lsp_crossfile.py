"""Cross-file diagnostics in the language server (issue 13): train.py's PT005 comes from the
ConvBlock of models/blocks.py; editing that file (typed, unsaved), closing it, or changing
it on disk re-checks the open train.py, as VS Code (push) and Neovim (pull) see it."""
import asyncio
import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import TIMEOUT

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "project"
PADDED = "nn.Conv2d(c_in, c_out, kernel_size=KERNEL, padding=1)"
UNPADDED = "nn.Conv2d(c_in, c_out, kernel_size=KERNEL)"


# train.py's diagnostics (code, 0-based line): with the unpadded blocks of the fixture, Net's
# Linear (line 14) gets the wrong in_features; with padded blocks Net is right, but
# Classifier's mb.Head(8 * 6 * 6) (written for 6x6 maps) fails at its call (line 29): the
# finding is on that 8 * 6 * 6 (line 26), the number to change.
# PT001 (line 41) comes from a helper of data/collate.py either way. PT006: the unpadded
# blocks' pool drops a row at Net's and Classifier's calls (lines 17, 29); the block run on
# 27x27 crops (line 47) drops one either way.
UNPADDED_PLACES = [("PT005", 13), ("PT006", 16), ("PT006", 28), ("PT001", 40), ("PT006", 46)]
PADDED_PLACES = [("PT005", 25), ("PT001", 40), ("PT006", 46)]


async def codes_become(session, uri: str, expected: list, timeout: float = TIMEOUT) -> list[types.Diagnostic]:
    """Wait until the document's diagnostics have these codes, or (code, line) places
    (a re-check it did not ask for)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        diags = await session.diagnostics(uri, timeout=max(deadline - loop.time(), 1.0))
        codes = [str(d.code) if isinstance(e, str) else (str(d.code), d.range.start.line)
                 for d, e in zip(diags, expected)] if len(diags) == len(expected) else [str(d.code) for d in diags]
        if codes == expected:
            return diags
        assert loop.time() < deadline, f"{uri}: diagnostics stayed {codes}, expected {expected}"
        await asyncio.sleep(0.05)


@pytest.fixture
def project(workdir, request) -> Path:
    dest = workdir / f"project_{request.node.name}"
    shutil.copytree(FIXTURE, dest)
    return dest


async def test_editing_the_imported_file_updates_train_py(session, project):
    train, blocks = project / "train.py", project / "models" / "blocks.py"
    train_uri, blocks_uri = train.as_uri(), blocks.as_uri()
    session.open(train_uri, train.read_text())
    d = (await codes_become(session, train_uri, UNPADDED_PLACES))[0]  # PT001: a helper of data/collate.py
    assert d.range.start.line == 13 and "1152" in d.message  # the Linear's in_features, from ConvBlock's shape

    unpadded = blocks.read_text()
    session.open(blocks_uri, unpadded)
    assert await codes_become(session, blocks_uri, []) == []
    session.change(blocks_uri, unpadded.replace(UNPADDED, PADDED))  # typed, not saved
    await codes_become(session, train_uri, PADDED_PLACES)
    session.change(blocks_uri, unpadded)
    await codes_become(session, train_uri, UNPADDED_PLACES)

    session.change(blocks_uri, unpadded.replace(UNPADDED, PADDED))
    await codes_become(session, train_uri, PADDED_PLACES)
    session.close(blocks_uri)  # the unsaved edit is gone: the disk's file counts again
    await codes_become(session, train_uri, UNPADDED_PLACES)


async def test_a_change_on_disk_updates_train_py(session, project):
    train, blocks = project / "train.py", project / "models" / "blocks.py"
    train_uri = train.as_uri()
    session.open(train_uri, train.read_text())
    await codes_become(session, train_uri, UNPADDED_PLACES)
    blocks.write_text(blocks.read_text().replace(UNPADDED, PADDED))  # another tool, a git checkout
    session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=blocks.as_uri(), type=types.FileChangeType.Changed)]))
    await codes_become(session, train_uri, PADDED_PLACES)
