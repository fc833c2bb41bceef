"""Runs the engine over many files for the CLI (and pre-commit): one engine API call
per file, errors collected, results in input order."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

from ptlint.rules.config import Config, ConfigError, ConfigLoader
from ptlint.rules.engine import LintResult, RuleError, lint_source
from ptlint.rules.findings import Finding
from ptlint.rules.source import SourceError, load_source


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each, for stderr
    rule_errors: list[RuleError] = field(default_factory=list)
    results: list[LintResult] = field(default_factory=list)
    files_checked: int = 0
    fixed: int = 0
    elapsed: float = 0.0


def lint_path(path: str, config: Config) -> LintResult:
    """Load and lint one file; SourceError propagates to the caller."""
    source = load_source(path)
    return lint_source(source, config)


def run_paths(paths: list[str], loader: ConfigLoader, *, jobs: Optional[int] = None,
              cache: bool = True) -> RunResult:
    from .files import discover

    t0 = time.perf_counter()
    run = RunResult()
    files: list[tuple[str, Config]] = []
    for path, err in discover(paths, loader):
        if err:
            run.errors.append(err)
            continue
        try:
            files.append((path, loader.for_path(path)))
        except ConfigError as exc:
            run.errors.append(str(exc))
    for path, cfg in files:
        try:
            res = lint_path(path, cfg)
        except SourceError as exc:
            run.errors.append(str(exc))
            continue
        collect(run, res)
    run.elapsed = time.perf_counter() - t0
    return run


def collect(run: RunResult, res: LintResult) -> None:
    run.results.append(res)
    run.files_checked += 1
    run.findings.extend(res.findings)
    run.rule_errors.extend(res.rule_errors)
