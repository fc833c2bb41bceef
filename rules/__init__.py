"""ptlint's analysis core: engine, configuration, shared facts and the rule catalog.

Nothing here imports torch: the static path must start fast and work without it.
The names below load on first use, so that ``ptlint.rules.config`` (and a run answered
wholly from the cache) does not pay for importing libcst and the rule catalog.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Config": "config", "ConfigError": "config", "ConfigLoader": "config",
    "FileContext": "engine", "LintResult": "engine", "RuleError": "engine", "lint_source": "engine",
    "lint_text": "engine",
    "Finding": "findings", "Fix": "findings", "FixSafety": "findings", "Position": "findings",
    "Range": "findings", "RelatedLocation": "findings", "Severity": "findings", "TextEdit": "findings",
    "Docs": "rule", "Message": "rule", "Rule": "rule", "all_rules": "rule", "get_rule": "rule",
    "SourceError": "source", "SourceFile": "source", "SourceUnit": "source", "load_source": "source",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
