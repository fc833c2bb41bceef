"""Pull diagnostics (``textDocument/diagnostic``) for clients that declare them.

Registered only for those clients, and then nothing is pushed: a client that gets
both shows every problem twice (Neovim does). Notebook cells are the exception: VS Code
pulls for text documents but not for cells, so cells are pushed to until the client
pulls one of them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from . import diagnostics as diag_mod
from .documents import NOTEBOOK

if TYPE_CHECKING:
    from .server import PtlintServer


def register_pull(server: "PtlintServer") -> None:
    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                    types.DiagnosticOptions(identifier="ptlint", inter_file_dependencies=False,
                                            workspace_diagnostics=False))
    async def document_diagnostic(params: types.DocumentDiagnosticParams):
        uri = params.text_document.uri
        doc = server.doc_for(uri)
        if doc is None or server.scheduler is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if doc.kind == NOTEBOOK and uri != doc.uri and not doc.cells_pulled:
            # This client pulls cells after all: take back what was pushed to them.
            server.clear(doc, set(doc.published))
            doc.published.clear()
            doc.cells_pulled = True
        settings = server.settings_for(uri)
        if settings.lint_on_change or doc.snapshot is None:
            snap = await server.scheduler.current(doc)
        else:
            snap = doc.snapshot  # lint on save only: keep showing the last saved analysis
        if snap is None:
            snap = doc.snapshot
        if snap is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result_id = snap.result_id
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        items = diag_mod.diagnostics_by_uri(server, doc, snap).get(uri, [])
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)
