"""``ptlint server``: the language server, on stdio for editors (default) or on a TCP
port for debugging. ``python -m ptlint.server`` starts the same thing."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    configure(sub.add_parser("server", help="run the language server (stdio; --tcp PORT for debugging)"))


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    p.add_argument("--tcp", type=int, metavar="PORT", help="listen on a TCP port instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on with --tcp (default 127.0.0.1)")
    p.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                   help="server log level (logs go to stderr or --log-file, never to stdout)")
    p.add_argument("--log-file", help="write the server log to this file")


def run(args: argparse.Namespace) -> int:
    from ptlint.server.lsp import main

    return main(tcp=args.tcp, host=args.host, log_level=args.log_level, log_file=args.log_file)
