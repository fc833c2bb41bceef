"""The ptlint language server (pygls 2): diagnostics, Chinese hover, quick fixes,
shape inlay hints and notebooks for any LSP editor. See docs/lsp.md.

Importing this package is cheap and never imports torch; :func:`main` starts it."""
from __future__ import annotations

import logging
import sys
from typing import Optional


def main(tcp: Optional[int] = None, host: str = "127.0.0.1", log_level: str = "WARNING",
         log_file: Optional[str] = None) -> int:
    """Run the server on stdio (default) or on a TCP port; returns the exit status."""
    handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file \
        else logging.StreamHandler(sys.stderr)  # stdout is the LSP channel
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(getattr(logging, log_level.upper(), logging.WARNING))

    from .worker import prestart

    prestart()  # the worker imports the rules while this process imports pygls
    stdin = stdout = server = None
    if tcp is None:
        from .bootstrap import start

        # initialize and the first diagnostics, answered while pygls is imported
        stdin, stdout, server = start()
    if server is None:
        from .server import create_server

        server = create_server()
    try:
        if tcp is not None:
            server.tcp = True
            server.start_tcp(host, tcp)
        else:
            server.start_io(stdin, stdout)
    finally:
        server.shutdown_worker()
    return 0


__all__ = ["main"]
