"""``ptlint check``: lint, optionally fix, report, and choose the exit code.

Exit codes: 0 no findings (or --exit-zero), 1 findings, 2 a usage, configuration, file
or internal error (findings found in the other files are still printed)."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from ptlint.rules.config import (
    ConfigError, ConfigLoader, trusted_probe_python, unknown_selector_message, unknown_selectors,
)
from ptlint.rules.source import SourceError, is_notebook_path, source_from_bytes

from .cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from .reporters import get_reporter
from .runner import RunResult, collect, run_paths


def cli_overrides(args: argparse.Namespace) -> dict:
    return {
        "select": args.select,
        "ignore": args.ignore,
        "extend_select": getattr(args, "extend_select", None),
        "lang": args.lang,
        "extend_exclude": getattr(args, "extend_exclude", None),
    }


def make_loader(args: argparse.Namespace) -> ConfigLoader:
    return ConfigLoader(cli_overrides(args))


def _lint_stdin(args: argparse.Namespace, loader: ConfigLoader, run: RunResult, lang: str):
    """Lint standard input; returns (source, config) for --fix, or None."""
    from ptlint.rules.engine import lint_source

    name = args.stdin_filename or "<stdin>"
    raw = sys.stdin.buffer.read()
    cfg = loader.for_path(args.stdin_filename or os.path.join(os.getcwd(), "stdin.py"))
    try:
        source = source_from_bytes(raw, name, notebook=is_notebook_path(name))
    except SourceError as exc:
        run.errors.append(exc.text(lang))
        return None
    res = lint_source(source, cfg)
    collect(run, res, lang)
    return source, cfg, res


def _load_sources(run: RunResult) -> None:
    """Results answered from the cache or a worker process carry no source text; the
    probe needs it for files with findings (same bytes: the cache is keyed on them)."""
    from ptlint.rules.source import load_source

    for res in run.results:
        if getattr(res, "source", None) is None and res.findings:
            try:
                res.source = load_source(res.path)
            except SourceError:
                continue


def _use_color(args: argparse.Namespace) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty() or bool(os.environ.get("FORCE_COLOR"))


def _selector_problems(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """(errors, warnings) for codes on the command line that match no rule: selecting one
    is an error (a typo would silently disable every check), ignoring one a warning."""
    errors, warnings = [], []
    for flag, codes in (("--select", args.select), ("--extend-select", getattr(args, "extend_select", None)),
                        ("--ignore", args.ignore)):
        for code in unknown_selectors(codes or ()):
            (warnings if flag == "--ignore" else errors).append(unknown_selector_message(flag, code))
    return errors, warnings


def run_check(args: argparse.Namespace) -> int:
    # The summary's time is the whole command's wall time (fix writes, stdin and probe included).
    started = getattr(args, "started", None) or time.perf_counter()
    errors, warnings = _selector_problems(args)
    for w in warnings:
        print(f"ptlint: warning: {w}", file=sys.stderr)
    if errors:
        for e in errors:
            print(f"ptlint: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    # The engine logs a failing rule; we print it ourselves, once, below.
    logging.getLogger("ptlint").addHandler(logging.NullHandler())
    logging.getLogger("ptlint").propagate = False

    loader = make_loader(args)
    probe = getattr(args, "probe", None)
    if probe and probe != "auto" and (probe == "-" or os.path.exists(probe)):
        # `check --probe model.py`: argparse gave the path to --probe's optional DEVICE
        args.paths, args.probe = [probe, *args.paths], "auto"
    use_stdin = "-" in args.paths or (args.stdin_filename is not None and not args.paths)
    paths = [p for p in args.paths if p != "-"] or ([] if use_stdin else ["."])
    try:
        lang = args.lang or loader.for_path(os.getcwd()).lang
        # The probe's interpreter is the user's choice only (flag, env, user config), never the project's.
        probe_python = trusted_probe_python(args.probe_python) if getattr(args, "probe", None) else None
        run = RunResult()
        if getattr(args, "probe", None):
            from .cmd_probe import prestart_probe

            prestart_probe(loader, args.probe, paths, python=probe_python)
        if paths:
            run = run_paths(paths, loader, jobs=args.jobs, cache=not args.no_cache, cache_dir=args.cache_dir,
                            force_exclude=args.force_exclude, lang=lang)
        stdin_parts = _lint_stdin(args, loader, run, lang) if use_stdin else None
    except ConfigError as exc:
        print(f"ptlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for w in loader.warnings:
        print(f"ptlint: warning: {w}", file=sys.stderr)

    out = sys.stdout
    if stdin_parts is not None and args.fix and not args.diff:
        # Like ruff: the fixed source goes to stdout, the report to stderr.
        from .fixing import fix_stdin_text

        source, cfg, res = stdin_parts
        text, count = fix_stdin_text(source, cfg, res.findings, args.unsafe_fixes)
        sys.stdout.write(text)
        sys.stdout.flush()
        if count:
            from ptlint.rules.engine import lint_source
            from ptlint.rules.source import source_from_text

            again = lint_source(source_from_text(text, source.path, notebook=source.is_notebook), cfg)
            run.results = [again if r is res else r for r in run.results]
            run.findings = [f for r in run.results for f in r.findings]
            run.fixed += count
            stdin_parts = (source, cfg, again)
        out = sys.stderr

    skip = (stdin_parts[2],) if stdin_parts is not None else ()  # stdin is never written back
    if args.diff:
        from .fixing import apply_fixes

        would = apply_fixes(run, loader, write=False, unsafe=args.unsafe_fixes, diff=True, lang=lang, skip=skip)
        sys.stdout.flush()
        for err in run.errors:
            print(f"ptlint: error: {err}", file=sys.stderr)
        if lang == "en":
            print(f"Would fix {would} problem{'s' if would != 1 else ''} (nothing written).", file=sys.stderr)
        else:
            print(f"可修复 {would} 个问题（--diff 只显示差异，没有写入文件）。", file=sys.stderr)
        if run.errors or run.rule_errors:
            return EXIT_ERROR
        return EXIT_FINDINGS if would and not args.exit_zero else EXIT_OK

    if args.fix:
        from .fixing import apply_fixes

        apply_fixes(run, loader, write=True, unsafe=args.unsafe_fixes, diff=False, lang=lang, skip=skip)

    if getattr(args, "probe", None):
        from .cmd_probe import attach_probe  # the runtime probe's front end

        _load_sources(run)
        attach_probe(run, args.probe, lang=lang, python=probe_python)

    run.elapsed = time.perf_counter() - started
    reporter = get_reporter(args.format)
    out.write(reporter(run, lang=lang, color=_use_color(args) and out is sys.stdout, unsafe=args.unsafe_fixes))
    out.flush()
    for err in run.errors:
        print(f"ptlint: error: {err}", file=sys.stderr)
    for rerr in run.rule_errors:
        print(f"ptlint: internal error: {rerr} (the other rules' findings are shown)", file=sys.stderr)

    if run.errors or run.rule_errors:
        return EXIT_ERROR
    if run.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK
