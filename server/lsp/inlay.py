"""Inlay hints: the output shape after each layer call in ``forward`` and after each
entry of an ``nn.Sequential`` (``: (N, 16, 13, 13)``), when the shape engine knows it.
Setting ``inlayHints.shapes: false`` turns them off."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from lsprotocol import types

from . import snapview
from .shapes import format_shape, fully_known

if TYPE_CHECKING:
    from .server import PtlintServer


async def inlay_hints(server: "PtlintServer", params: types.InlayHintParams) -> Optional[list[types.InlayHint]]:
    uri = params.text_document.uri
    doc = server.doc_for(uri)
    if doc is None or server.scheduler is None or not server.settings_for(uri).inlay_shapes:
        return []
    view = snapview.view_of(server, doc, uri)  # the last analysis, mapped onto the text on screen
    if view is None:
        await server.scheduler.current(doc, 5.0)
        view = snapview.view_of(server, doc, uri)
    if view is None or not view.snap.shapes:
        return []
    cell = server.cell_index(doc, uri)
    first = params.range.start.line
    last = params.range.end.line
    hints = []
    seen = set()
    for fact in view.inlay_candidates(cell, first, last):
        if fact.cell != cell or fact.inlay is None or not fully_known(fact.shape):
            continue
        pos = view.to_client(fact.inlay)
        if pos is None or not first <= pos.line <= last or (pos.line, pos.character) in seen:
            continue
        seen.add((pos.line, pos.character))
        hints.append(types.InlayHint(position=pos, label=f": {format_shape(fact.shape)}",
                                     kind=types.InlayHintKind.Type, padding_left=False))
    return hints


def register(server: "PtlintServer") -> None:
    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def on_inlay_hint(params: types.InlayHintParams):
        return await inlay_hints(server, params)
