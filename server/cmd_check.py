"""``ptlint check``: lint, optionally fix, report, and choose the exit code."""
from __future__ import annotations

import argparse
import os
import sys

from ptlint.rules.config import ConfigError, ConfigLoader
from ptlint.rules.engine import lint_source
from ptlint.rules.source import SourceError, source_from_text

from .cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from .reporters import get_reporter
from .runner import RunResult, collect, run_paths


def make_loader(args: argparse.Namespace) -> ConfigLoader:
    overrides = {}
    if args.select:
        overrides["select"] = args.select
    if getattr(args, "extend_select", None):
        overrides["extend_select"] = args.extend_select
    if args.ignore:
        overrides["ignore"] = args.ignore
    if args.lang:
        overrides["lang"] = args.lang
    return ConfigLoader(overrides)


def _lint_stdin(args: argparse.Namespace, loader: ConfigLoader, run: RunResult) -> None:
    name = args.stdin_filename or "<stdin>"
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        run.errors.append(f"{name}: not valid UTF-8")
        return
    cfg = loader.for_path(args.stdin_filename or os.getcwd())
    try:
        source = source_from_text(text, name, notebook=name.endswith(".ipynb"))
    except SourceError as exc:
        run.errors.append(str(exc))
        return
    collect(run, lint_source(source, cfg))


def run_check(args: argparse.Namespace) -> int:
    loader = make_loader(args)
    try:
        lang = args.lang or loader.for_path(os.getcwd()).lang
    except ConfigError as exc:
        print(f"ptlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    paths = [p for p in args.paths if p != "-"]
    run = RunResult()
    try:
        if paths:
            run = run_paths(paths, loader, jobs=args.jobs, cache=not args.no_cache)
        if "-" in args.paths:
            _lint_stdin(args, loader, run)
    except ConfigError as exc:
        print(f"ptlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    if args.fix or args.diff:
        from .fixing import apply_fixes

        apply_fixes(run, write=args.fix and not args.diff, unsafe=args.unsafe_fixes, diff=args.diff, lang=lang)

    if args.probe:
        from .cmd_probe import attach_probe

        attach_probe(run, args.probe)

    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    reporter = get_reporter(args.format)
    if not args.diff or args.format != "text":
        sys.stdout.write(reporter(run, lang=lang, color=color))
    for err in run.errors:
        print(f"ptlint: error: {err}", file=sys.stderr)
    for rerr in run.rule_errors:
        print(f"ptlint: internal error: {rerr}", file=sys.stderr)
    sys.stdout.flush()

    if run.errors or run.rule_errors:
        return EXIT_ERROR
    if run.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK
