"""The ``ptlint`` command line. Thin: it parses flags, calls the engine through the
runner and formats findings with a reporter."""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Optional, Sequence

from ptlint import __version__

SUBCOMMANDS = ("check", "rules", "explain", "shapes", "probe", "server")

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in value.split(",") if c.strip())


def _globs(value: str) -> tuple[str, ...]:
    return tuple(g.strip() for g in value.split(",") if g.strip())


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 (automatic) or more")
    return n


def build_parser(extras: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ptlint", description="PyTorch 代码检查工具 / a linter for PyTorch code")
    parser.add_argument("--version", action="version", version=f"ptlint {__version__}")
    sub = parser.add_subparsers(dest="command")

    check = sub.add_parser("check", help="check files and folders (default)")
    check.add_argument("paths", nargs="*", default=[], help="files or folders (default: .); '-' reads stdin")
    check.add_argument("--format", default="text", choices=("text", "json", "sarif", "github"))
    check.add_argument("--select", type=_codes, help="codes or prefixes to enable, comma-separated")
    check.add_argument("--extend-select", type=_codes)
    check.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    check.add_argument("--lang", choices=("zh", "en"), help="language of messages (default zh)")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes (with --fix / --diff)")
    check.add_argument("--diff", action="store_true", help="print fixes as a diff, write nothing")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems are found")
    check.add_argument("--jobs", "-j", type=_jobs, default=None,
                       help="worker processes (default 0: automatic, by file count and CPUs)")
    check.add_argument("--no-cache", action="store_true", help="do not read or write .ptlint_cache/")
    check.add_argument("--cache-dir", help="cache folder (default: .ptlint_cache in the project root; env PTLINT_CACHE_DIR)")
    check.add_argument("--extend-exclude", type=_globs, help="more glob patterns to exclude, comma-separated")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply exclude settings to files named on the command line too (pre-commit)")
    check.add_argument("--stdin-filename", help="name to use for '-' (also selects .ipynb handling)")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.add_argument("--probe", nargs="?", const="auto", default=None, metavar="DEVICE",
                       help="confirm shape findings with torch on DEVICE (auto, cpu, cuda, mps, meta)")
    check.add_argument("--probe-python", metavar="PATH",
                       help="interpreter with torch for --probe (default: $PTLINT_PROBE_PYTHON, else [probe] python "
                            "in ~/.config/ptlint/config.toml, else this one; never the project's pyproject.toml)")

    sub.add_parser("rules", help="list the rules").add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="show a rule's docs, or search the docs")
    explain.add_argument("query", nargs="+", help="a rule code (PT001) or search words")
    explain.add_argument("--lang", choices=("zh", "en"), default=None)

    from . import cmd_extra  # light: it imports the other front ends only when asked

    if extras:  # other front ends' subcommands; `check` never needs to import them
        cmd_extra.add_parsers(sub)
    else:
        cmd_extra.add_placeholders(sub)
    return parser


def normalize_argv(argv: Sequence[str]) -> list[str]:
    argv = list(argv)
    if argv and argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version"):
        argv.insert(0, "check")
    return argv


def main(argv: Optional[Sequence[str]] = None) -> int:
    started = time.perf_counter()
    argv = normalize_argv(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["check"]
    parser = build_parser(extras=argv[0] not in ("check", "rules", "explain"))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    args.started = started  # summaries report the whole command's wall time
    try:
        if args.command == "check":
            from .cmd_check import run_check

            return run_check(args)
        if args.command == "rules":
            from .cmd_rules import run_rules

            return run_rules(args)
        if args.command == "explain":
            from .cmd_rules import run_explain

            return run_explain(args)
        from . import cmd_extra

        return cmd_extra.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug of ours: one clear line, exit 2, no traceback wall
        if os.environ.get("PTLINT_DEBUG"):
            raise
        print(f"ptlint: internal error: {type(exc).__name__}: {exc} (set PTLINT_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
