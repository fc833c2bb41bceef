"""``[tool.ptlint]`` configuration: loading, validation and code selection."""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .findings import Severity

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules",
    "build", "dist", ".eggs", "*.egg-info", ".ptlint_cache", ".mypy_cache", ".pytest_cache",
    ".ipynb_checkpoints",
)


class ConfigError(Exception):
    """Bad configuration: the message names the key and the file."""


@dataclass(frozen=True)
class ProbeConfig:
    enable: bool = False
    device: str = "auto"
    python: Optional[str] = None
    timeout: float = 20.0
    memory_mb: int = 4096


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("PT",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    lang: str = "zh"
    severity: tuple[tuple[str, Severity], ...] = ()
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    root: Optional[str] = None  # folder of the pyproject.toml it came from
    source: Optional[str] = None  # that pyproject.toml

    # ------------------------------------------------------------------ selection
    def is_enabled(self, code: str, path: Optional[str] = None) -> bool:
        def best(prefixes) -> int:
            return max((len(p) for p in prefixes if code.startswith(p) or p == "ALL"), default=-1)

        sel = best(self.select + self.extend_select)
        ign = best(self.ignore)
        if sel < 0 or ign >= sel:
            return False
        if path and self.per_file_ignores:
            rel = self.relative(path)
            for pattern, codes in self.per_file_ignores:
                if _glob_match(rel, pattern) and any(code.startswith(c) or c == "ALL" for c in codes):
                    return False
        return True

    def severity_for(self, code: str, default: Severity) -> Severity:
        for c, sev in self.severity:
            if c == code:
                return sev
        return default

    def relative(self, path: str) -> str:
        p = os.path.abspath(path)
        if self.root:
            try:
                return Path(p).relative_to(self.root).as_posix()
            except ValueError:
                pass
        return Path(path).as_posix()

    def is_excluded(self, path: str) -> bool:
        rel = self.relative(path)
        parts = rel.split("/")
        for pattern in self.exclude + self.extend_exclude:
            if _glob_match(rel, pattern) or any(fnmatch.fnmatchcase(part, pattern) for part in parts):
                return True
        return False

    def with_overrides(self, **kw: Any) -> "Config":
        kw = {k: v for k, v in kw.items() if v is not None}
        return replace(self, **kw) if kw else self


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    if pattern.startswith("**/") and fnmatch.fnmatchcase(rel, pattern[3:]):
        return True
    return "/" not in pattern and fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pattern)


_CODE_KEYS = {"select", "ignore", "extend-select"}


def _codes(value: Any, key: str, src: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{src}: [tool.ptlint] {key} must be a list of rule codes or prefixes, got {value!r}")
    for v in value:
        if not (v == "ALL" or (v.startswith("PT") and v[2:].isdigit()) or v == "PT"):
            raise ConfigError(f"{src}: [tool.ptlint] {key}: {v!r} is not a rule code or prefix (e.g. 'PT001', 'PT0')")
    return tuple(value)


def _strings(value: Any, key: str, src: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{src}: [tool.ptlint] {key} must be a list of strings, got {value!r}")
    return tuple(value)


def config_from_table(table: dict[str, Any], src: str = "<config>", root: Optional[str] = None,
                      base: Optional[Config] = None) -> Config:
    """Validate a ``[tool.ptlint]`` table (also used for LSP settings)."""
    cfg = base or Config()
    kw: dict[str, Any] = {}
    for key, value in table.items():
        if key in _CODE_KEYS:
            kw[key.replace("-", "_")] = _codes(value, key, src)
        elif key in ("exclude", "extend-exclude"):
            kw[key.replace("-", "_")] = _strings(value, key, src)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{src}: [tool.ptlint] per-file-ignores must be a table of glob = [codes]")
            kw["per_file_ignores"] = tuple((g, _codes(c, f"per-file-ignores.{g}", src)) for g, c in value.items())
        elif key == "lang":
            if value not in ("zh", "en"):
                raise ConfigError(f"{src}: [tool.ptlint] lang must be 'zh' or 'en', got {value!r}")
            kw["lang"] = value
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{src}: [tool.ptlint] severity must be a table of code = level")
            sev = []
            for code, level in value.items():
                try:
                    sev.append((code, Severity(level)))
                except ValueError:
                    raise ConfigError(
                        f"{src}: [tool.ptlint] severity.{code}: {level!r} is not one of error, warning, info, hint") from None
            kw["severity"] = tuple(sev)
        elif key == "probe":
            kw["probe"] = _probe(value, src)
        else:
            raise ConfigError(f"{src}: unknown key [tool.ptlint] {key!r} (known: {', '.join(sorted(KNOWN_KEYS))})")
    kw["root"] = root if root is not None else cfg.root
    kw["source"] = src if root is not None else cfg.source
    return replace(cfg, **kw)


KNOWN_KEYS = _CODE_KEYS | {"exclude", "extend-exclude", "per-file-ignores", "lang", "severity", "probe"}
_PROBE_KEYS = {"enable": bool, "device": str, "python": str, "timeout": (int, float), "memory-mb": int}


def _probe(value: Any, src: str) -> ProbeConfig:
    if not isinstance(value, dict):
        raise ConfigError(f"{src}: [tool.ptlint.probe] must be a table")
    kw = {}
    for key, v in value.items():
        typ = _PROBE_KEYS.get(key)
        if typ is None:
            raise ConfigError(f"{src}: unknown key [tool.ptlint.probe] {key!r} (known: {', '.join(sorted(_PROBE_KEYS))})")
        if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
            raise ConfigError(f"{src}: [tool.ptlint.probe] {key} has the wrong type: {v!r}")
        kw[key.replace("-", "_")] = v
    if "device" in kw and not _valid_device(kw["device"]):
        raise ConfigError(f"{src}: [tool.ptlint.probe] device {kw['device']!r} is not auto, cpu, cuda[:n], mps or meta")
    return ProbeConfig(**kw)


def _valid_device(d: str) -> bool:
    if d in ("auto", "cpu", "cuda", "mps", "meta"):
        return True
    return d.startswith("cuda:") and d[5:].isdigit()


def find_pyproject(start: str | Path) -> Optional[Path]:
    p = Path(start).resolve()
    if p.is_file() or not p.exists():
        p = p.parent
    for d in (p, *p.parents):
        f = d / "pyproject.toml"
        if f.is_file():
            return f
    return None


class ConfigLoader:
    """Finds and caches the nearest ``[tool.ptlint]`` for each folder."""

    def __init__(self, overrides: Optional[dict[str, Any]] = None, base: Optional[Config] = None) -> None:
        self.overrides = overrides or {}
        self.base = base or Config()
        self._by_file: dict[Path, Config] = {}

    def for_path(self, path: str | Path) -> Config:
        pyproject = find_pyproject(path)
        if pyproject is None:
            return self.base.with_overrides(**self.overrides)
        cfg = self._by_file.get(pyproject)
        if cfg is None:
            cfg = load_pyproject(pyproject, self.base).with_overrides(**self.overrides)
            self._by_file[pyproject] = cfg
        return cfg


def load_pyproject(path: Path, base: Optional[Config] = None) -> Config:
    src = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{src}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{src}: cannot read: {exc}") from None
    table = data.get("tool", {}).get("ptlint")
    if table is None:
        return (base or Config()).with_overrides(root=str(path.parent))
    if not isinstance(table, dict):
        raise ConfigError(f"{src}: [tool.ptlint] must be a table")
    return config_from_table(table, src, root=str(path.parent), base=base)
