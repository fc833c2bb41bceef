"""Jupyter notebooks through notebookDocument/* sync: each cell analysed with the
earlier cells' names in scope; diagnostics, hover, actions and hints per cell URI."""
import asyncio

import pytest
import pytest_asyncio
from lsprotocol import types

from .conftest import TIMEOUT, apply_text_edits, edits_of, lsp_session

pytestmark = pytest.mark.asyncio(loop_scope="module")


class Notebook:
    """A notebook as VS Code syncs it: one notebook document, one text document per cell."""

    def __init__(self, session, path, cells):
        self.s = session
        self.uri = path.as_uri()
        self.version = 1
        self.cells = []  # [kind, uri, text, version]
        for i, (kind, text) in enumerate(cells):
            self.cells.append([kind, f"vscode-notebook-cell:{path}#C{i}", text, 1])
        self.mark()
        self.s.client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=self.uri, notebook_type="jupyter-notebook", version=1,
                cells=[types.NotebookCell(kind=self._kind(k), document=u) for k, u, _, _ in self.cells]),
            cell_text_documents=[types.TextDocumentItem(uri=u, language_id="python" if k == "code" else "markdown",
                                                        version=1, text=t) for k, u, t, _ in self.cells]))

    @staticmethod
    def _kind(k):
        return types.NotebookCellKind.Code if k == "code" else types.NotebookCellKind.Markup

    def uri_of(self, i):
        return self.cells[i][1]

    def text_of(self, i):
        return self.cells[i][2]

    def set_text(self, i, text):
        cell = self.cells[i]
        cell[2], cell[3] = text, cell[3] + 1
        self.version += 1
        self.mark()
        self.s.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=self.version, uri=self.uri),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
                types.NotebookDocumentCellContentChanges(
                    document=types.VersionedTextDocumentIdentifier(uri=cell[1], version=cell[3]),
                    changes=[types.TextDocumentContentChangeWholeDocument(text=text)])]))))

    def remove(self, i):
        kind, uri, _, _ = self.cells.pop(i)
        self.version += 1
        self.s.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=self.version, uri=self.uri),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
                structure=types.NotebookDocumentCellChangeStructure(
                    array=types.NotebookCellArrayChange(start=i, delete_count=1),
                    did_close=[types.TextDocumentIdentifier(uri=uri)])))))

    def close(self):
        self.s.client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=self.uri),
            cell_text_documents=[types.TextDocumentIdentifier(uri=u) for _, u, _, _ in self.cells]))

    def mark(self):
        """Remember how many publishes each cell had before a change."""
        self.marks = {u: len(self.s.client.published.get(u, [])) for _, u, _, _ in self.cells}

    async def diagnostics(self, i, wait=True):
        """The cell's diagnostics for the notebook's current version. Push: a cell gets a
        publish when it has diagnostics or just lost them, so ``wait`` for one; a cell that
        never had any gets none (``wait=False`` once the notebook has been analysed)."""
        uri = self.uri_of(i)
        if self.s.pull:
            report = await asyncio.wait_for(self.s.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))), TIMEOUT)
            return list(report.items)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while wait and len(self.s.client.published.get(uri, [])) <= self.marks.get(uri, 0):
            assert loop.time() < deadline, f"no diagnostics published for {uri}"
            await asyncio.sleep(0.02)
        published = self.s.client.published.get(uri)
        return list(published[-1].diagnostics) if published else []


@pytest_asyncio.fixture(params=["vscode", "vscode-pull"], loop_scope="module", scope="module")
async def nb_session(request):
    async with lsp_session(request.param, init_options={"debounceMs": 0}) as s:
        yield s


CELLS = [
    ("code", "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F"),
    ("markdown", "# 说明\n下面的单元格用到了上面的 `F`。"),
    ("code", "%matplotlib inline\nx = torch.randn(2, 3)\ny = F.softmax(x)"),
    ("code", "z = F.softmax(x, dim=-1)"),
]


async def test_cells_see_earlier_cells_and_get_their_own_diagnostics(nb_session, workdir):
    nb = Notebook(nb_session, workdir / f"a_{nb_session.profile}.ipynb", CELLS)
    (d,) = await nb.diagnostics(2)
    assert d.code == "PT017"
    # Positions are inside the cell (the magic line is line 0 of cell 3).
    assert d.range == types.Range(types.Position(2, 4), types.Position(2, 16))
    assert "没有指定 dim" in d.message
    assert await nb.diagnostics(0, wait=False) == []
    assert await nb.diagnostics(3, wait=False) == []
    nb.close()


async def test_hover_and_quick_fix_inside_a_cell(nb_session, workdir):
    nb = Notebook(nb_session, workdir / f"b_{nb_session.profile}.ipynb", CELLS)
    (d,) = await nb.diagnostics(2)
    cell = nb.uri_of(2)
    hover = await nb_session.hover(cell, types.Position(2, 8))
    assert hover.contents.value.startswith("**PT017 softmax-without-dim")
    # F resolves through the import in cell 1.
    hover = await nb_session.hover(cell, types.Position(2, 6))
    assert any("torch.nn.functional.softmax(" in part for part in hover.contents.value.split("---"))
    actions = await nb_session.actions(cell, d.range, [d])
    fix = next(a for a in actions if a.title.startswith("PT017："))
    (edits,) = edits_of(fix.edit).values()
    assert list(edits_of(fix.edit)) == [cell]
    nb.set_text(2, apply_text_edits(nb.text_of(2), edits, "utf-16"))
    assert nb.text_of(2).endswith("y = F.softmax(x, dim=-1)")
    assert await nb.diagnostics(2) == []
    nb.close()


async def test_removing_a_cell_clears_its_diagnostics(nb_session, workdir):
    nb = Notebook(nb_session, workdir / f"c_{nb_session.profile}.ipynb", CELLS)
    (d,) = await nb.diagnostics(2)
    gone = nb.uri_of(2)
    nb.remove(2)
    if nb_session.pull:
        report = await nb_session.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=gone)))
        assert list(report.items) == []
    else:
        await nb_session.wait_published(gone, lambda p: not p.diagnostics)
    nb.close()


async def test_inlay_hints_per_cell(nb_session, workdir):
    nb = Notebook(nb_session, workdir / f"e_{nb_session.profile}.ipynb", [
        ("code", "import torch\nimport torch.nn as nn"),
        ("code", "seq = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())\nout = seq(torch.randn(1, 3, 10, 10))"),
    ])
    result = await nb_session.client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=nb.uri_of(1)),
        range=types.Range(types.Position(0, 0), types.Position(2, 0))))
    assert [(h.position.line, h.position.character, h.label) for h in result] == [
        (0, 38, ": (1, 8, 8, 8)"), (0, 49, ": (1, 8, 8, 8)")]
    nb.close()


async def test_closing_a_notebook_clears_its_cells(nb_session, workdir):
    nb = Notebook(nb_session, workdir / f"f_{nb_session.profile}.ipynb", CELLS)
    await nb.diagnostics(2)
    cell = nb.uri_of(2)
    nb.close()
    if not nb_session.pull:
        await nb_session.wait_published(cell, lambda p: not p.diagnostics)


PT001_CELLS = [
    ("code", "import torch"),
    ("code", "x = torch.randn(2, 3).t()\ny = x.view(6)"),
]


async def test_pull_client_that_never_pulls_cells_still_gets_their_diagnostics(tmp_path):
    """VS Code pulls diagnostics for files but never for notebook cells: the server
    pushes to cells, so the notebook's PT001 shows; once the client pulls a cell, the
    pushed diagnostics are taken back (no duplicates) and the pulled report has it."""
    async with lsp_session("vscode-pull", init_options={"debounceMs": 0}) as s:
        assert s.pull
        nb = Notebook(s, tmp_path / "pulled.ipynb", PT001_CELLS)
        cell = nb.uri_of(1)
        (d,) = await s.wait_published(cell, lambda p: p.diagnostics)
        assert d.code == "PT001" and d.range.start.line == 1
        # A pull for the cell: the same finding, and the pushed copy is cleared.
        (pulled,) = await nb.diagnostics(1)
        assert pulled.code == "PT001" and pulled.range == d.range
        await s.wait_published(cell, lambda p: not p.diagnostics)
        # From now on the client pulls this notebook: edits push nothing more.
        count = len(s.client.published[cell])
        nb.set_text(1, "x = torch.randn(2, 3).t()\ny = x.view(6)\nz = x.view(-1)")
        assert [d.code for d in await nb.diagnostics(1)] == ["PT001", "PT001"]
        assert len(s.client.published[cell]) == count
