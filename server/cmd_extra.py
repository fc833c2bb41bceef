"""Subcommands that other parts of ptlint add: ``shapes``, ``probe`` and ``server``.
Each lives in its own module; this file only wires them into argparse."""
from __future__ import annotations

import argparse
import importlib

# subcommand -> module in ptlint.server that defines add_parser(sub) and run(args)
EXTRA = {"shapes": "cmd_shapes", "probe": "cmd_probe", "server": "cmd_server"}


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
