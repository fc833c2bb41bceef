"""``ptlint shapes FILE [--input 1,3,32,32] [--model NAME] [--format text|json]``: the
static shape of every layer of every model in a file, torchsummary-style. The JSON form
is the contract the language server and the runtime probe read (docs/shapes.md)."""
from __future__ import annotations

import argparse
import json
import sys


def _dims(text: str):
    from ptlint.rules.input_comments import parse_dims

    dims = parse_dims(text)
    if dims is None:
        raise argparse.ArgumentTypeError(f"not a shape: {text!r} (expected e.g. 1,3,32,32 or N,1,28,28)")
    return dims


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("shapes", help="show the static tensor shapes of each model in a file")
    p.add_argument("file", help="a .py file or notebook ('-' reads stdin)")
    p.add_argument("--input", type=_dims, default=None, metavar="DIMS",
                   help="input shape, e.g. 1,3,32,32 (overrides what the file says)")
    p.add_argument("--model", default=None, metavar="NAME", help="only this model (class or variable name)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="language of messages (default zh)")
    p.add_argument("--stdin-filename", default=None, help="name to use for '-'")


def run(args: argparse.Namespace) -> int:
    from ptlint.rules.api import analyse
    from ptlint.rules.config import ConfigError, ConfigLoader
    from ptlint.rules.shapes.report import format_text
    from ptlint.rules.source import SourceError, load_source, source_from_bytes

    from .cli import EXIT_ERROR, EXIT_OK

    path = args.file
    try:
        if path == "-":
            name = args.stdin_filename or "<stdin>"
            source = source_from_bytes(sys.stdin.buffer.read(), name, notebook=name.endswith(".ipynb"))
            path = name
        else:
            source = load_source(path)
    except (SourceError, OSError) as exc:
        print(f"ptlint: error: {path}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    loader = ConfigLoader()
    try:
        config = loader.for_path(path) if args.file != "-" else loader.base
    except ConfigError as exc:
        print(f"ptlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    # No rule runs: the shape facts alone (the same analysis the rules would share).
    report = analyse(source, config, rules=[], input_shape=args.input or None, model=args.model,
                     facts=False, models=True)
    for err in report.errors:
        print(f"ptlint: {err}", file=sys.stderr)
    doc = report.shapes_document()
    if args.model is not None and not doc["models"]:
        known = ", ".join(report.model_names)
        print(f"ptlint: error: no model named {args.model!r} in {path}" + (f" (models: {known})" if known else ""),
              file=sys.stderr)
        return EXIT_ERROR
    if args.format == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        lang = args.lang or config.lang
        sys.stdout.write(format_text(doc, lang))
    return EXIT_OK
