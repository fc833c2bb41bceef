"""Cross-file base classes in the language server (issue 13): train.py's Stem inherits from
_Block of models/base.py, its ResBlock of models/blocks.py inherits from the same class.
Typing in models/base.py (unsaved) and closing it re-check the open train.py."""
import shutil
from pathlib import Path

import pytest

from .test_lsp_crossfile import codes_become

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "project_inherit"
STRIDED = "stride=stride, padding=1"
UNSTRIDED = "stride=1, padding=1"  # _Block ignores its stride: ResBlock's shortcut still halves


@pytest.fixture
def project(workdir, request) -> Path:
    dest = workdir / f"project_{request.node.name}"
    shutil.copytree(FIXTURE, dest)
    return dest


async def test_typing_in_the_base_classes_file_updates_train_py(session, project):
    train, base = project / "train.py", project / "models" / "base.py"
    train_uri, base_uri = train.as_uri(), base.as_uri()
    session.open(train_uri, train.read_text())
    (d,) = await codes_become(session, train_uri, [("PT005", 24)])  # ResNetSmall's fc (0-based line)
    assert "1024" in d.message

    text = base.read_text()
    session.open(base_uri, text)
    await codes_become(session, base_uri, [])
    session.change(base_uri, text.replace(STRIDED, UNSTRIDED))
    # conv2 (16 x 16) + shortcut (8 x 8) inside ResBlock.forward: reported at self.layer1(...)
    (d,) = await codes_become(session, train_uri, [("PT005", 27)])
    assert "16" in d.message and "8" in d.message
    session.close(base_uri)  # the unsaved edit is gone: the disk's file counts again
    await codes_become(session, train_uri, [("PT005", 24)])
