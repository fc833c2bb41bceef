"""Open documents as the server tracks them: a Python file, a Jupyter notebook synced
cell by cell (``notebookDocument/*``), or an ``.ipynb`` opened as JSON text by a client
without notebook support. Text lives in pygls' workspace; this holds versions, the
last analysis and the scheduling state."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import unquote, urlparse

from .worker import CancelToken, Snapshot

if TYPE_CHECKING:  # the start-up path (bootstrap.py) uses this module before lsprotocol is loaded
    from lsprotocol import types

PYTHON, NOTEBOOK, IPYNB = "python", "notebook", "ipynb"


@dataclass
class Doc:
    uri: str  # the text document's URI, or the notebook's
    kind: str
    path: str
    version: int
    snapshot: Optional[Snapshot] = None  # the analysis of the version last published
    last_imports: Any = None  # import table of the last version that parsed (hover while typing)
    closed: bool = False
    timer: Optional[asyncio.TimerHandle] = None
    running: bool = False
    rerun: bool = False
    token: Optional[CancelToken] = None
    waiters: list[asyncio.Future] = field(default_factory=list)
    published: set[str] = field(default_factory=set)  # URIs that got non-empty diagnostics
    # Pull mode: VS Code pulls diagnostics for text documents but not for notebook
    # cells, so a notebook's cells are pushed to until the client pulls one of them.
    cells_pulled: bool = False
    # Edits since the snapshot's version [(version, [snapview.Change])], None when they
    # cannot be mapped (a whole-text change); and the snapshot's text (Python files).
    pending: Optional[list] = field(default_factory=list)
    snapshot_text: Optional[str] = None
    settings_pending: bool = False  # its own workspace/configuration has not answered yet

    def is_current(self, generation: int) -> bool:
        s = self.snapshot
        return s is not None and s.version == self.version and s.generation == generation


def uri_to_path(uri: str) -> str:
    """Filesystem path for a file: URI; other schemes (untitled:, vscode-notebook-cell:)
    keep the URI's path so that names like ``Untitled-1.ipynb`` still say what they are."""
    parsed = urlparse(uri)
    if parsed.scheme in ("file", ""):
        path = unquote(parsed.path)
        if len(path) >= 3 and path[0] == "/" and path[2] == ":":  # file:///C:/x on Windows
            path = path[1:]
        return path or uri
    return unquote(parsed.path) or uri


def kind_for(uri: str, language_id: Optional[str]) -> Optional[str]:
    """What to analyse a text document as; None for documents that are not ours."""
    path = uri_to_path(uri)
    if path.endswith(".ipynb"):
        return IPYNB
    if language_id in (None, "", "python") or path.endswith((".py", ".pyi")):
        return PYTHON
    return None


def notebook_code_cells(server, notebook: "types.NotebookDocument") -> list[tuple[str, str]]:
    """(cell URI, text) of the notebook's Python code cells, in notebook order."""
    from lsprotocol import types

    out = []
    for cell in notebook.cells:
        if cell.kind != types.NotebookCellKind.Code:
            continue
        doc = server.text_document(cell.document)
        if doc is None:
            continue
        if doc.language_id not in (None, "", "python"):
            continue
        out.append((cell.document, doc.source))
    return out
