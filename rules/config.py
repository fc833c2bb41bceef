"""``[tool.ptlint]`` configuration: loading, validation and code selection."""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

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
        """The most specific selector wins; on a tie ``ignore`` wins (like ruff)."""
        def best(prefixes) -> int:
            return max((len(p) if p != "ALL" else 0 for p in prefixes if code.startswith(p) or p == "ALL"),
                       default=-1)

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
        """``path`` relative to the config's folder (else to the working folder), posix."""
        p = Path(os.path.abspath(path))
        for base in (self.root, os.getcwd()):
            if base:
                try:
                    return p.relative_to(base).as_posix()
                except ValueError:
                    continue
        return Path(path).as_posix()

    def is_excluded(self, path: str, *, parents: bool = False) -> bool:
        """Whether ``path`` matches exclude/extend-exclude. A pattern without ``/``
        matches an entry's name; one with ``/`` the path relative to the config's
        folder. Folder walks prune excluded folders, so only the entry itself is tested
        unless ``parents`` (an explicitly named file under --force-exclude)."""
        rel = self.relative(path)
        names = rel.split("/") if parents else [rel.rsplit("/", 1)[-1]]
        if parents and names and names[0] == "..":
            names = [names[-1]]
        for pattern in self.exclude + self.extend_exclude:
            pattern = pattern.rstrip("/")
            if "/" in pattern:
                if _glob_match(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.lstrip("/") + "/*"):
                    return True
            elif any(fnmatch.fnmatchcase(n, pattern) for n in names):
                return True
        return False

    def with_overrides(self, **kw: Any) -> "Config":
        kw = {k: v for k, v in kw.items() if v is not None}
        return replace(self, **kw) if kw else self

    def with_cli(self, cli: dict[str, Any]) -> "Config":
        """Apply command-line flags. As in ruff, ``--select`` starts the selection afresh
        (the file's ``ignore`` no longer applies), ``--ignore`` and ``--extend-select``
        add to what the file says."""
        kw: dict[str, Any] = {}
        if cli.get("select") is not None:
            kw["select"] = tuple(cli["select"])
            kw["extend_select"] = ()
            kw["ignore"] = tuple(cli.get("ignore") or ())
        elif cli.get("ignore"):
            kw["ignore"] = self.ignore + tuple(cli["ignore"])
        if cli.get("extend_select"):
            kw["extend_select"] = kw.get("extend_select", self.extend_select) + tuple(cli["extend_select"])
        if cli.get("lang"):
            kw["lang"] = cli["lang"]
        if cli.get("extend_exclude"):
            kw["extend_exclude"] = self.extend_exclude + tuple(cli["extend_exclude"])
        return replace(self, **kw) if kw else self


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if pattern.startswith("/"):
        pattern = pattern[1:]
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    if pattern.startswith("**/") and fnmatch.fnmatchcase(rel, pattern[3:]):
        return True
    return "/" not in pattern and fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pattern)


_CODE_KEYS = {"select", "ignore", "extend-select"}
_CODE = re.compile(r"PT\d*")


def known_codes() -> frozenset[str]:
    """Every rule code, read from the catalog's file names (``pt017_….py``) without
    importing the rules (a run answered from the cache never loads libcst), plus any
    rule already registered by other means."""
    import pkgutil
    import sys

    from . import catalog

    codes = {m.name[:5].upper() for m in pkgutil.iter_modules(catalog.__path__)
             if re.match(r"pt\d{3}_", m.name)}
    rule_mod = sys.modules.get(f"{__package__}.rule")
    if rule_mod is not None:
        codes |= set(getattr(rule_mod, "REGISTRY", {}))
    return frozenset(codes)


def unknown_selectors(codes: Any) -> list[str]:
    """The selectors in ``codes`` that match no rule: a selector is ``ALL`` or a prefix
    of some code (``PT``, ``PT0``, ``PT01``, ``PT017``)."""
    known = known_codes()
    return [c for c in codes if c != "ALL" and not any(k.startswith(c) for k in known)]


def unknown_selector_message(where: str, code: str) -> str:
    return f"{where}: {code!r} is not a rule code or prefix of one (e.g. 'PT017', 'PT0'; see `ptlint rules`)"


def _codes(value: Any, key: str, src: str, warnings: Optional[list[str]] = None) -> tuple[str, ...]:
    """Validate a list of selectors. Selecting what does not exist is an error (a typo
    would otherwise silently turn every check off); ignoring it only a warning."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{src}: [tool.ptlint] {key} must be a list of rule codes or prefixes, got {value!r}")
    out = []
    for v in value:
        u = v.strip().upper()
        if not (u == "ALL" or _CODE.fullmatch(u)):
            raise ConfigError(f"{src}: [tool.ptlint] {key}: {v!r} is not a rule code or prefix (e.g. 'PT001', 'PT0')")
        out.append(u)
    for u in unknown_selectors(out):
        msg = unknown_selector_message(f"{src}: [tool.ptlint] {key}", u)
        if key in ("select", "extend-select"):
            raise ConfigError(msg)
        if warnings is not None:
            warnings.append(msg)
    return tuple(out)


def _strings(value: Any, key: str, src: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{src}: [tool.ptlint] {key} must be a list of strings, got {value!r}")
    return tuple(value)


def config_from_table(table: dict[str, Any], src: str = "<config>", root: Optional[str] = None,
                      base: Optional[Config] = None, *, trusted: bool = False,
                      warnings: Optional[list[str]] = None) -> Config:
    """Validate a ``[tool.ptlint]`` table. ``trusted``: the table comes from the user
    (editor settings), not from a project, so it may name the probe interpreter."""
    cfg = base or Config()
    kw: dict[str, Any] = {}
    for key, value in table.items():
        if key in _CODE_KEYS:
            kw[key.replace("-", "_")] = _codes(value, key, src, warnings)
        elif key in ("exclude", "extend-exclude"):
            kw[key.replace("-", "_")] = _strings(value, key, src)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{src}: [tool.ptlint] per-file-ignores must be a table of glob = [codes], got {value!r}")
            kw["per_file_ignores"] = tuple((g, _codes(c, f"per-file-ignores.{g!r}", src, warnings)) for g, c in value.items())
        elif key == "lang":
            if value not in ("zh", "en"):
                raise ConfigError(f"{src}: [tool.ptlint] lang must be 'zh' or 'en', got {value!r}")
            kw["lang"] = value
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{src}: [tool.ptlint] severity must be a table of code = level, got {value!r}")
            sev = []
            for code, level in value.items():
                if not re.fullmatch(r"PT\d{3}", code):
                    raise ConfigError(f"{src}: [tool.ptlint] severity: {code!r} is not a rule code (e.g. 'PT017')")
                try:
                    sev.append((code, Severity(level)))
                except ValueError:
                    raise ConfigError(
                        f"{src}: [tool.ptlint] severity.{code}: {level!r} is not one of error, warning, info, hint") from None
            kw["severity"] = tuple(sev)
        elif key == "probe":
            kw["probe"] = _probe(value, src, trusted)
        else:
            raise ConfigError(f"{src}: unknown key [tool.ptlint] {key!r} (known: {', '.join(sorted(KNOWN_KEYS))})")
    kw["root"] = root if root is not None else cfg.root
    kw["source"] = src if root is not None else cfg.source
    return replace(cfg, **kw)


KNOWN_KEYS = _CODE_KEYS | {"exclude", "extend-exclude", "per-file-ignores", "lang", "severity", "probe"}
_PROBE_KEYS = {"enable": bool, "device": str, "python": str, "timeout": (int, float), "memory-mb": int}


def _probe(value: Any, src: str, trusted: bool = False) -> ProbeConfig:
    if not isinstance(value, dict):
        raise ConfigError(f"{src}: [tool.ptlint.probe] must be a table")
    kw = {}
    for key, v in value.items():
        if key == "python" and not trusted:
            raise ConfigError(untrusted_python_message(src))
        typ = _PROBE_KEYS.get(key)
        if typ is None:
            raise ConfigError(f"{src}: unknown key [tool.ptlint.probe] {key!r} (known: {', '.join(sorted(_PROBE_KEYS))})")
        if not isinstance(v, typ) or (typ is not bool and isinstance(v, bool)):
            raise ConfigError(f"{src}: [tool.ptlint.probe] {key} has the wrong type: {v!r}")
        kw[key.replace("-", "_")] = v
    if "device" in kw and not valid_device(kw["device"]):
        raise ConfigError(f"{src}: [tool.ptlint.probe] device {kw['device']!r} is not auto, cpu, cuda[:n], mps or meta")
    if "timeout" in kw and kw["timeout"] <= 0:
        raise ConfigError(f"{src}: [tool.ptlint.probe] timeout must be positive, got {kw['timeout']!r}")
    if "memory_mb" in kw and kw["memory_mb"] <= 0:
        raise ConfigError(f"{src}: [tool.ptlint.probe] memory-mb must be positive, got {kw['memory_mb']!r}")
    return ProbeConfig(**kw)


def valid_device(d: str) -> bool:
    if d in ("auto", "cpu", "cuda", "mps", "meta"):
        return True
    return d.startswith("cuda:") and d[5:].isdigit()


def _read_toml(path: Path) -> dict[str, Any]:
    try:  # imported here: most runs never meet a pyproject.toml that configures ptlint
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    src = str(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{src}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{src}: cannot read: {exc}") from None


def _ptlint_table(path: Path) -> Optional[dict[str, Any]]:
    """The file's ``[tool.ptlint]`` table, None when it has none. A pyproject.toml that
    does not even mention ptlint is not ours to judge, so its TOML errors are ignored."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "ptlint" not in text:
        return None
    data = _read_toml(path)
    tool = data.get("tool", {})
    table = tool.get("ptlint") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.ptlint] must be a table")
    return table


def find_pyproject(start: str | Path) -> Optional[Path]:
    """The nearest pyproject.toml with a ``[tool.ptlint]`` table, walking up."""
    p = Path(os.path.abspath(start))
    if p.is_file() or not p.exists():
        p = p.parent
    for d in (p, *p.parents):
        f = d / "pyproject.toml"
        if f.is_file() and _ptlint_table(f) is not None:
            return f
    return None


class ConfigLoader:
    """Finds and caches the nearest ``[tool.ptlint]`` for each folder, then applies the
    command line's flags (``cli``: select, ignore, extend_select, lang, extend_exclude)."""

    def __init__(self, overrides: Optional[dict[str, Any]] = None, base: Optional[Config] = None) -> None:
        self.overrides = overrides or {}
        self.base = base or Config()
        self._by_file: dict[Optional[Path], Config] = {}
        self._by_dir: dict[Path, Config] = {}
        self.warnings: list[str] = []  # one line each (e.g. an ignored code that matches no rule)

    def for_path(self, path: str | Path) -> Config:
        """Config for a file (or, given a folder that exists, for files in it)."""
        p = Path(os.path.abspath(path))
        folder = p if p.is_dir() else p.parent
        cfg = self._by_dir.get(folder)
        if cfg is None:
            cfg = self._for_folder(folder)
            self._by_dir[folder] = cfg
        return cfg

    def _for_folder(self, folder: Path) -> Config:
        pyproject = None
        for d in (folder, *folder.parents):
            known = self._by_dir.get(d)
            if known is not None and d != folder:
                return known
            f = d / "pyproject.toml"
            if f.is_file() and _ptlint_table(f) is not None:
                pyproject = f
                break
        cfg = self._by_file.get(pyproject)
        if cfg is None:
            base = self.base if pyproject is None else load_pyproject(pyproject, self.base, self.warnings)
            cfg = base.with_cli(self.overrides)
            self._by_file[pyproject] = cfg
        return cfg

    @property
    def files(self) -> list[str]:
        """The pyproject.toml files used so far (for cache keys and messages)."""
        return sorted(str(p) for p in self._by_file if p is not None)


def load_pyproject(path: Path, base: Optional[Config] = None, warnings: Optional[list[str]] = None) -> Config:
    src = str(path)
    data = _read_toml(path)
    tool = data.get("tool", {})
    table = tool.get("ptlint") if isinstance(tool, dict) else None
    if table is None:
        return (base or Config()).with_overrides(root=str(path.parent))
    if not isinstance(table, dict):
        raise ConfigError(f"{src}: [tool.ptlint] must be a table")
    return config_from_table(table, src, root=str(path.parent), base=base, warnings=warnings)


# ---------------------------------------------------------------------- trusted settings
# A project's pyproject.toml comes with whatever repository was cloned, so nothing in it
# may choose a program to run. The probe interpreter comes only from the user: the
# command line, the environment, the user-level config file, or the editor's setting.
PROBE_PYTHON_ENV = "PTLINT_PROBE_PYTHON"


def user_config_path() -> Path:
    """``$XDG_CONFIG_HOME/ptlint/config.toml``, by default ``~/.config/ptlint/config.toml``."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ptlint" / "config.toml"


def untrusted_python_message(src: str) -> str:
    return (f"{src}: [tool.ptlint.probe] python is not allowed in a project's configuration: "
            f"a cloned repository could make ptlint run any program. Choose the probe's interpreter yourself "
            f"with --probe-python PATH, the {PROBE_PYTHON_ENV} environment variable, [probe] python = \"...\" "
            f"in {user_config_path()}, or your editor's ptlint.probe.python setting")


@dataclass(frozen=True)
class UserConfig:
    """``~/.config/ptlint/config.toml``: settings that belong to the user, not to a project."""

    probe_python: Optional[str] = None
    source: Optional[str] = None


_USER_KEYS = {"probe": {"python": str}}


def load_user_config(path: Optional[Path] = None) -> UserConfig:
    """The user-level config; an absent file is an empty one. Bad content is a ConfigError."""
    path = path or user_config_path()
    if not path.is_file():
        return UserConfig()
    src = str(path)
    data = _read_toml(path)
    python = None
    for table, body in data.items():
        keys = _USER_KEYS.get(table)
        if keys is None or not isinstance(body, dict):
            raise ConfigError(f"{src}: unknown table [{table}] (known: {', '.join(f'[{k}]' for k in _USER_KEYS)})")
        for key, v in body.items():
            if key not in keys:
                raise ConfigError(f"{src}: unknown key [{table}] {key!r} (known: {', '.join(sorted(keys))})")
            if not isinstance(v, keys[key]) or not v.strip():
                raise ConfigError(f"{src}: [{table}] {key} must be a non-empty string, got {v!r}")
        python = body.get("python") if table == "probe" else python
    return UserConfig(os.path.expanduser(python) if python else None, src)


def trusted_probe_python(cli_value: Optional[str] = None) -> Optional[str]:
    """The probe interpreter the user chose, or None (the interpreter running ptlint):
    ``--probe-python``, else ``$PTLINT_PROBE_PYTHON``, else ``[probe] python`` in the
    user-level config. Never anything from a project. (The language server puts the
    editor's ``probe.python`` setting in ``Config.probe.python`` itself.)"""
    if cli_value:
        return _program(cli_value)
    env = os.environ.get(PROBE_PYTHON_ENV, "").strip()
    if env:
        return _program(env)
    return load_user_config().probe_python


def _program(value: str) -> str:
    """A path is taken relative to the working folder (the worker runs elsewhere); a bare
    name such as ``python3`` is looked up on PATH when it starts."""
    value = os.path.expanduser(value)
    return os.path.abspath(value) if os.sep in value or (os.altsep and os.altsep in value) else value
