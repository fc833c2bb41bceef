"""Subcommands that other parts of ptlint add: ``shapes``, ``probe`` and ``server``.
Each lives in its own module; this file only wires them into argparse."""
from __future__ import annotations

import argparse
import importlib

# subcommand -> module in ptlint.server that defines add_parser(sub) and run(args)
EXTRA = {"shapes": "cmd_shapes", "probe": "cmd_probe", "server": "cmd_server"}


# What ``ptlint -h`` and a usage error say about them when their modules are not loaded.
SUMMARY = {
    "shapes": "show the static tensor shapes of each model in a file",
    "probe": "confirm the static shapes with torch (runs generated snippets, never your code)",
    "server": "run the language server (stdio; --tcp PORT for debugging)",
}


def add_placeholders(sub: argparse._SubParsersAction) -> None:
    """Name the other subcommands without importing them, so that the usage line of a
    ``check`` run that is never going to use them still lists every subcommand."""
    for name in EXTRA:
        sub.add_parser(name, help=SUMMARY[name])


def add_parsers(sub: argparse._SubParsersAction) -> None:
    for name, mod in EXTRA.items():
        try:
            m = importlib.import_module(f"ptlint.server.{mod}")
        except ImportError:
            continue
        m.add_parser(sub)


def run(args: argparse.Namespace) -> int:
    m = importlib.import_module(f"ptlint.server.{EXTRA[args.command]}")
    return m.run(args)
