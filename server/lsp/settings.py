"""Editor settings: what ``initializationOptions``, ``workspace/didChangeConfiguration``
and ``workspace/configuration`` may say, validated into one typed object, and how they
combine with ``[tool.ptlint]`` from the file's pyproject.toml.

Every key is optional; a missing key (or ``null``, or an empty list) leaves the value
to pyproject.toml and then to the defaults. Bad values are reported once and ignored,
never fatal: a typo in an editor setting must not stop the server.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

from ptlint.rules.config import Config, ProbeConfig
from ptlint.rules.findings import Severity

PREFERENCES = ("editorFirst", "filesystemFirst", "editorOnly")
DIAGNOSTIC_MODES = ("auto", "push", "pull")
WORKERS = ("process", "thread")
_CODE = re.compile(r"^(ALL|PT\d{0,3})$")
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO,
               "information": Severity.INFO, "hint": Severity.HINT}
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps|meta)$")

# Keys documented in docs/lsp.md; anything else is reported as unknown.
KNOWN = {
    "lang", "select", "ignore", "extendSelect", "severity", "lintOnChange", "lintOnSave",
    "debounceMs", "inlayHints", "probe", "configurationPreference", "ruleDocsUrl",
    "maxFileSize", "diagnosticMode", "worker", "enable", "interpreter", "trace", "analysisTimeout",
}


@dataclass(frozen=True)
class EditorSettings:
    """Settings for one document's scope (global, or one workspace folder)."""

    lang: Optional[str] = None  # None: pyproject's lang, else zh
    select: Optional[tuple[str, ...]] = None
    ignore: Optional[tuple[str, ...]] = None
    extend_select: Optional[tuple[str, ...]] = None
    severity: tuple[tuple[str, Severity], ...] = ()
    lint_on_change: bool = True
    lint_on_save: bool = True
    # None: adaptive — analyse at once when idle, coalesce the edits that arrive while
    # an analysis runs into one more run; a number: wait that long after the last edit.
    debounce_ms: Optional[int] = None
    inlay_shapes: bool = True
    probe: dict[str, Any] = field(default_factory=dict)  # enable/device/python/timeout as given
    preference: str = "editorFirst"
    rule_docs_url: Optional[str] = None  # template with {code} {name} {lang}
    max_file_size: int = 1_000_000  # bytes of text analysed live; larger files are skipped
    diagnostic_mode: str = "auto"
    worker: str = "process"
    analysis_timeout_s: Optional[float] = None  # None: 60 s (or $PTLINT_LSP_ANALYSIS_TIMEOUT)

    def config_for(self, file_config: Config) -> Config:
        """The engine config for a file: pyproject's (already loaded) + these settings."""
        if self.preference == "editorOnly":
            file_config = Config()
        elif self.preference == "filesystemFirst" and file_config.source is not None:
            return file_config
        kw: dict[str, Any] = {}
        if self.select is not None:
            kw["select"] = self.select
        if self.ignore is not None:
            kw["ignore"] = self.ignore
        if self.extend_select is not None:
            kw["extend_select"] = self.extend_select
        if self.lang is not None:
            kw["lang"] = self.lang
        if self.severity:
            ours = dict(self.severity)
            kw["severity"] = tuple((c, s) for c, s in file_config.severity if c not in ours) + self.severity
        if self.probe:
            probe_kw = {k: v for k, v in self.probe.items() if k in ("enable", "device", "python", "timeout")}
            kw["probe"] = replace(file_config.probe, **probe_kw)
        return replace(file_config, **kw) if kw else file_config

    @property
    def probe_config(self) -> ProbeConfig:
        return replace(ProbeConfig(), **{k: v for k, v in self.probe.items()
                                         if k in ("enable", "device", "python", "timeout")})


def unwrap(settings: Any) -> Optional[Mapping[str, Any]]:
    """Clients send either our object or ``{"ptlint": {...}}`` (VS Code sections)."""
    if not isinstance(settings, Mapping):
        return None
    inner = settings.get("ptlint")
    if isinstance(inner, Mapping):
        return inner
    return settings


def parse_settings(raw: Any, base: Optional[EditorSettings] = None) -> tuple[EditorSettings, list[str]]:
    """Validate ``raw`` on top of ``base``. Returns the settings and one message per
    problem (unknown key, bad value); bad values keep the base's value."""
    base = base or EditorSettings()
    problems: list[str] = []
    data = unwrap(raw)
    if data is None:
        if raw is not None:
            problems.append(f"settings must be an object, got {type(raw).__name__}")
        return base, problems
    kw: dict[str, Any] = {}

    def bad(key: str, value: Any, want: str) -> None:
        problems.append(f"setting {key!r}: {value!r} is not {want}; ignored")

    for key, value in data.items():
        if key not in KNOWN:
            problems.append(f"unknown setting {key!r} ignored")
            continue
        if value is None:
            continue
        if key == "lang":
            if value in ("zh", "en"):
                kw["lang"] = value
            else:
                bad(key, value, "'zh' or 'en'")
        elif key in ("select", "ignore", "extendSelect"):
            codes = _codes(value)
            if codes is None:
                bad(key, value, "a list of rule codes or prefixes such as 'PT017' or 'PT0'")
            elif codes:  # an empty list leaves the choice to pyproject.toml
                kw[{"select": "select", "ignore": "ignore", "extendSelect": "extend_select"}[key]] = codes
        elif key == "severity":
            sev = _severity(value)
            if sev is None:
                bad(key, value, "an object of rule code -> error|warning|info|hint")
            else:
                kw["severity"] = sev
        elif key in ("lintOnChange", "lintOnSave"):
            if isinstance(value, bool):
                kw["lint_on_change" if key == "lintOnChange" else "lint_on_save"] = value
            else:
                bad(key, value, "true or false")
        elif key == "debounceMs":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 10_000:
                kw["debounce_ms"] = int(value)
            else:
                bad(key, value, "a number of milliseconds between 0 and 10000")
        elif key == "maxFileSize":
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                kw["max_file_size"] = value
            else:
                bad(key, value, "a positive number of bytes")
        elif key == "analysisTimeout":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 3600:
                kw["analysis_timeout_s"] = float(value)
            else:
                bad(key, value, "a number of seconds between 0 and 3600")
        elif key == "inlayHints":
            if isinstance(value, Mapping) and isinstance(value.get("shapes", True), bool):
                kw["inlay_shapes"] = value.get("shapes", True)
            elif isinstance(value, bool):
                kw["inlay_shapes"] = value
            else:
                bad(key, value, 'an object like {"shapes": true}')
        elif key == "probe":
            probe = _probe(value, problems)
            if probe is not None:
                kw["probe"] = probe
        elif key == "configurationPreference":
            if value in PREFERENCES:
                kw["preference"] = value
            else:
                bad(key, value, " or ".join(PREFERENCES))
        elif key == "ruleDocsUrl":
            if isinstance(value, str) and value:
                kw["rule_docs_url"] = value
            elif value != "":
                bad(key, value, "a URL template such as 'https://example.org/rules/{code}'")
        elif key == "diagnosticMode":
            if value in DIAGNOSTIC_MODES:
                kw["diagnostic_mode"] = value
            else:
                bad(key, value, " or ".join(DIAGNOSTIC_MODES))
        elif key == "worker":
            if value in WORKERS:
                kw["worker"] = value
            else:
                bad(key, value, " or ".join(WORKERS))
        # enable / interpreter / trace belong to the client; accepted and unused here.
    return replace(base, **kw), problems


def _codes(value: Any) -> Optional[tuple[str, ...]]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return None
    codes = tuple(v.strip().upper() for v in value)
    if not all(_CODE.match(c) for c in codes):
        return None
    return codes


def _severity(value: Any) -> Optional[tuple[tuple[str, Severity], ...]]:
    if not isinstance(value, Mapping):
        return None
    out = []
    for code, level in value.items():
        if not isinstance(code, str) or not re.fullmatch(r"PT\d{3}", code.upper()):
            return None
        sev = _SEVERITIES.get(str(level).lower())
        if sev is None:
            return None
        out.append((code.upper(), sev))
    return tuple(out)


def _probe(value: Any, problems: list[str]) -> Optional[dict[str, Any]]:
    if not isinstance(value, Mapping):
        problems.append(f"setting 'probe': {value!r} is not an object; ignored")
        return None
    out: dict[str, Any] = {}
    for key, v in value.items():
        if v is None:
            continue
        if key == "enable" and isinstance(v, bool):
            out["enable"] = v
        elif key == "device" and isinstance(v, str) and _DEVICE.match(v):
            out["device"] = v
        elif key == "python" and isinstance(v, str):
            out["python"] = v
        elif key == "timeout" and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
            out["timeout"] = float(v)
        else:
            problems.append(f"setting 'probe.{key}': {v!r} is not valid; ignored")
    return out
