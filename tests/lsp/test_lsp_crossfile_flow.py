"""A training loop split across files in the language server (issue 13): per_batch.py's
PT002 comes from engine.py's train_batch(), which never clears the optimizer; typing the
missing zero_grad() into engine.py (unsaved) clears the finding of the open per_batch.py,
and closing engine.py without saving brings it back."""
import shutil
from pathlib import Path

import pytest

from .test_lsp_crossfile import codes_become

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "project_flow"
STEP = "    loss.backward()\n    optimizer.step()\n\n\ndef train_batch_clearing"
CLEARED = STEP.replace("    optimizer.step()\n", "    optimizer.step()\n    optimizer.zero_grad()\n")


@pytest.fixture
def project(workdir, request) -> Path:
    dest = workdir / f"project_flow_{request.node.name}"
    shutil.copytree(FIXTURE, dest)
    return dest


async def test_editing_the_helpers_file_updates_the_loop_that_calls_it(session, project):
    per_batch, engine = project / "per_batch.py", project / "engine.py"
    per_batch_uri, engine_uri = per_batch.as_uri(), engine.as_uri()
    session.open(per_batch_uri, per_batch.read_text())
    d, _ = await codes_become(session, per_batch_uri, ["PT002", "PT019"])
    assert d.range.start.line == 15 and "train_batch()" in d.message  # the call in the first loop

    text = engine.read_text()
    assert STEP in text
    session.open(engine_uri, text)
    await codes_become(session, engine_uri, ["PT002"])  # train_epoch_forgetful loops itself: engine.py's own
    session.change(engine_uri, text.replace(STEP, CLEARED))  # typed, not saved
    await codes_become(session, per_batch_uri, ["PT019"])
    session.close(engine_uri)  # the unsaved edit is gone: the disk's file counts again
    await codes_become(session, per_batch_uri, ["PT002", "PT019"])
