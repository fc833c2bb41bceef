"""Related information into other project files (issue 13): train.py's PT005 links to the
pool layer of models/blocks.py, its PT001 to the permute of data/collate.py, each with
that file's URI and a range in the client's column units, read from the editor's buffer
when the file is open (typed, unsaved) and from disk when it is not; the hover names
the file. Places in train.py itself keep train.py's URI."""
import asyncio
import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import TIMEOUT, utf_units

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "project"
POOL = "        self.pool = nn.MaxPool2d(2)"
PREFIX = '        注 = "温度😀"; '  # wide characters before the layer: code points, UTF-16 and UTF-8 differ


@pytest.fixture
def project(workdir, request) -> Path:
    dest = workdir / f"related_{request.node.name}"
    shutil.copytree(FIXTURE, dest)
    return dest


async def related_become(session, uri: str, pred, timeout: float = TIMEOUT) -> list[types.Diagnostic]:
    """Wait until the document's diagnostics satisfy ``pred`` (a re-check it did not ask for)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        diags = await session.diagnostics(uri, timeout=max(deadline - loop.time(), 1.0))
        if pred(diags):
            return diags
        assert loop.time() < deadline, f"{uri}: diagnostics stayed {[(d.code, d.related_information) for d in diags]}"
        await asyncio.sleep(0.05)


def codes(diags) -> list[str]:
    return [str(d.code) for d in diags]


def checked(diags) -> bool:
    """train.py's diagnostics are in: PT005, PT001 and the PT006 remainders of its blocks."""
    return codes(diags) == ["PT005", "PT006", "PT006", "PT001", "PT006"]


def pt005_pt001(diags) -> list[types.Diagnostic]:
    return [d for d in diags if str(d.code) in ("PT005", "PT001")]


def links(d: types.Diagnostic) -> list[tuple[str, int, int, int]]:
    return [(r.location.uri, r.location.range.start.line, r.location.range.start.character,
             r.location.range.end.character) for r in d.related_information or ()]


async def test_links_into_closed_files_use_their_uri_and_the_disk_text(session, project):
    train = project / "train.py"
    train_uri = train.as_uri()
    blocks_uri = (project / "models" / "blocks.py").as_uri()
    collate_uri = (project / "data" / "collate.py").as_uri()
    session.open(train_uri, train.read_text())
    pt005, pt001 = pt005_pt001(await related_become(session, train_uri, checked))
    # 0-based lines: fc's call (19) and the input (36) in train.py, `nn.MaxPool2d(2)` in blocks.py line 15
    assert links(pt005) == [(train_uri, 18, 15, 25), (train_uri, 35, 6, 12), (blocks_uri, 14, 20, 35)]
    assert pt005.related_information[2].message == "block2.pool 在这里定义"
    assert links(pt001) == [(collate_uri, 12, 11, 37)]  # `images.permute(0, 3, 1, 2)`


async def test_an_open_buffer_of_the_other_file_places_the_link_in_client_units(session, project):
    train, blocks = project / "train.py", project / "models" / "blocks.py"
    train_uri, blocks_uri = train.as_uri(), blocks.as_uri()
    session.open(train_uri, train.read_text())
    await related_become(session, train_uri, checked)
    text = blocks.read_text()
    session.open(blocks_uri, text)
    session.change(blocks_uri, text.replace(POOL, PREFIX + POOL.lstrip()))  # typed, not saved
    start = utf_units(PREFIX, session.encoding)
    end = start + len("nn.MaxPool2d(2)")
    start += utf_units("self.pool = ", session.encoding)
    end += utf_units("self.pool = ", session.encoding)

    def moved(diags) -> bool:
        return codes(diags)[:1] == ["PT005"] and (blocks_uri, 14, start, end) in links(diags[0])

    await related_become(session, train_uri, moved)
    session.close(blocks_uri)  # the disk's text counts again
    await related_become(session, train_uri, lambda ds: codes(ds)[:1] == ["PT005"]
                         and (blocks_uri, 14, 20, 35) in links(ds[0]))


async def test_hover_names_the_other_file(session, project):
    train = project / "train.py"
    uri = train.as_uri()
    session.open(uri, train.read_text())
    await related_become(session, uri, checked)
    hover = await session.hover(uri, session.pos(uri, 13, "32 * 8 * 8"))
    value = hover.contents.value
    assert "- 相关位置：models/blocks.py 第 15 行：block2.pool 在这里定义" in value
    assert "- 相关位置：第 19 行：fc 在这里被调用" in value  # train.py's own place: no file name
