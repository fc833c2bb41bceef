"""ptlint's analysis core: engine, configuration, shared facts and the rule catalog.

Nothing here imports torch: the static path must start fast and work without it.
"""
from .config import Config, ConfigError, ConfigLoader
from .engine import FileContext, LintResult, RuleError, lint_source, lint_text
from .findings import Finding, Fix, FixSafety, Position, Range, RelatedLocation, Severity, TextEdit
from .rule import Docs, Message, Rule, all_rules, get_rule
from .source import SourceError, SourceFile, SourceUnit, load_source

__all__ = [
    "Config", "ConfigError", "ConfigLoader", "Docs", "FileContext", "Finding", "Fix", "FixSafety",
    "LintResult", "Message", "Position", "Range", "RelatedLocation", "Rule", "RuleError", "Severity",
    "SourceError", "SourceFile", "SourceUnit", "TextEdit", "all_rules", "get_rule", "lint_source",
    "lint_text", "load_source",
]
