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


async def codes_become(session, uri: str, expected: list[str], timeout: float = TIMEOUT) -> list[types.Diagnostic]:
    """Wait until the document's diagnostics have these codes (a re-check it did not ask for)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        diags = await session.diagnostics(uri, timeout=max(deadline - loop.time(), 1.0))
        codes = [str(d.code) for d in diags]
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
    d, _ = await codes_become(session, train_uri, ["PT005", "PT001"])  # PT001: a helper of data/collate.py
    assert d.range.start.line == 13 and "1152" in d.message  # the Linear's in_features, from ConvBlock's shape

    unpadded = blocks.read_text()
    session.open(blocks_uri, unpadded)
    assert await codes_become(session, blocks_uri, []) == []
    session.change(blocks_uri, unpadded.replace(UNPADDED, PADDED))  # typed, not saved
    await codes_become(session, train_uri, ["PT001"])
    session.change(blocks_uri, unpadded)
    await codes_become(session, train_uri, ["PT005", "PT001"])

    session.change(blocks_uri, unpadded.replace(UNPADDED, PADDED))
    await codes_become(session, train_uri, ["PT001"])
    session.close(blocks_uri)  # the unsaved edit is gone: the disk's file counts again
    await codes_become(session, train_uri, ["PT005", "PT001"])


async def test_a_change_on_disk_updates_train_py(session, project):
    train, blocks = project / "train.py", project / "models" / "blocks.py"
    train_uri = train.as_uri()
    session.open(train_uri, train.read_text())
    await codes_become(session, train_uri, ["PT005", "PT001"])
    blocks.write_text(blocks.read_text().replace(UNPADDED, PADDED))  # another tool, a git checkout
    session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=blocks.as_uri(), type=types.FileChangeType.Changed)]))
    await codes_become(session, train_uri, ["PT001"])
