"""Document sync: text documents (Python files, .ipynb opened as JSON) and notebooks
(notebookDocument/*), each change handed to the scheduler."""
from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from . import snapview
from .documents import NOTEBOOK, Doc, kind_for, uri_to_path

if TYPE_CHECKING:
    from .server import PtlintServer


def register(server: "PtlintServer") -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        td = params.text_document
        if server.workspace.get_notebook_document(cell_uri=td.uri) is not None:
            return  # a notebook cell: analysed with its notebook
        kind = kind_for(td.uri, td.language_id)
        if kind is None:
            return
        server.opened(Doc(td.uri, kind, uri_to_path(td.uri), td.version))

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        doc = server.docs.get(params.text_document.uri)
        if doc is not None:  # remembered so that hover can answer from the last analysis
            snapview.record(doc, params.text_document.version, params.content_changes, server.position_encoding)
        server.changed(params.text_document.uri, params.text_document.version)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        server.saved(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.closed(params.text_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def nb_open(params: types.DidOpenNotebookDocumentParams) -> None:
        nb = params.notebook_document
        server.opened(Doc(nb.uri, NOTEBOOK, uri_to_path(nb.uri), nb.version))

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def nb_change(params: types.DidChangeNotebookDocumentParams) -> None:
        uri = params.notebook_document.uri
        doc = server.docs.get(uri)
        cells = params.change.cells
        if doc is not None and cells is not None and cells.structure is not None:
            # Removed cells lose their diagnostics now; the others update after analysis.
            gone = {c.uri for c in (cells.structure.did_close or [])}
            server.clear(doc, gone & doc.published)
            doc.published -= gone
        server.changed(uri, params.notebook_document.version)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def nb_save(params: types.DidSaveNotebookDocumentParams) -> None:
        server.saved(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def nb_close(params: types.DidCloseNotebookDocumentParams) -> None:
        server.closed(params.notebook_document.uri, [c.uri for c in params.cell_text_documents])
