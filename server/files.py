"""Finding the files to check: walk folders, honour exclude/extend-exclude and .gitignore."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator, Optional

from ptlint.rules.config import Config, ConfigLoader
from ptlint.rules.source import SourceError

SUFFIXES = (".py", ".pyi", ".ipynb")


def _translate(pattern: str) -> re.Pattern[str]:
    """A gitignore glob as a regex: ``*`` and ``?`` stay inside one path part, ``**``
    crosses folders, ``[...]`` classes as in fnmatch."""
    i, n, out = 0, len(pattern), []
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                after = pattern[i + 2: i + 3]
                if at_start and after == "/":
                    out.append("(?:.*/)?")  # **/ : zero or more folders
                    i += 3
                    continue
                if at_start and after == "":
                    out.append(".*")  # trailing /** : everything inside
                    i += 2
                    continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1: j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


class _Rule:
    __slots__ = ("negate", "dir_only", "anchored", "regex")

    def __init__(self, line: str) -> None:
        self.negate = line.startswith("!")
        if self.negate:
            line = line[1:]
        elif line.startswith("\\"):
            line = line[1:] if line[1:2] in ("!", "#") else line
        self.dir_only = line.endswith("/")
        line = line.rstrip("/")
        self.anchored = "/" in line
        self.regex = _translate(line.lstrip("/"))

    def matches(self, rel: str, name: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        return bool(self.regex.match(rel if self.anchored else name))


def _parse(text: str) -> list[_Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip(" ") if not raw.endswith("\\ ") else raw
        if not line or line.startswith("#"):
            continue
        rules.append(_Rule(line))
    return rules


def _git_root(start: Path) -> Optional[Path]:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


class GitIgnore:
    """The .gitignore files from the repository root (or the walk root outside a
    repository) down to each folder, plus ``.git/info/exclude``; a deeper file and a
    later line win, ``!`` re-includes, ``dir/`` matches folders only."""

    def __init__(self) -> None:
        self._cache: dict[Path, list[_Rule]] = {}

    def _rules(self, folder: Path) -> list[_Rule]:
        rules = self._cache.get(folder)
        if rules is None:
            rules = []
            for f in (folder / ".git" / "info" / "exclude", folder / ".gitignore"):
                if f.is_file():
                    try:
                        rules.extend(_parse(f.read_text(encoding="utf-8", errors="replace")))
                    except OSError:
                        pass
            self._cache[folder] = rules
        return rules

    def ignored(self, path: Path, top: Path, is_dir: bool) -> bool:
        """``path`` lies under ``top`` (the repository root or the walk root)."""
        try:
            parts = path.relative_to(top).parts
        except ValueError:
            return False
        result = False
        folder = top
        for depth in range(len(parts)):
            rules = self._rules(folder)
            if rules:
                rel = "/".join(parts[depth:])
                for rule in rules:
                    if rule.negate == result and rule.matches(rel, path.name, is_dir):
                        result = not rule.negate
            folder = folder / parts[depth]
        return result


def _named_ignored(gi: GitIgnore, path: Path) -> bool:
    """Whether git ignores a file named on the command line (for --force-exclude): the
    file itself or a folder above it, up to the repository root (outside a repository,
    up to the working folder when the file lies in it, else the file's own folder)."""
    absp = Path(os.path.abspath(path))
    top = _git_root(absp.parent)
    if top is None:
        cwd = Path(os.getcwd())
        top = cwd if cwd in absp.parents else absp.parent
    folders = [d for d in reversed(absp.parents) if top in d.parents]
    return any(gi.ignored(d, top, True) for d in folders) or gi.ignored(absp, top, False)


def discover(paths: list[str], loader: ConfigLoader, *, force_exclude: bool = False
             ) -> Iterator[tuple[str, Optional[SourceError]]]:
    """Yield (path, error) for every file to check, each once. Files named explicitly
    are always checked (like ruff) unless ``force_exclude`` and the configuration
    excludes them; folders are walked, pruning excluded and git-ignored entries."""
    gi = GitIgnore()
    seen: set[str] = set()

    def once(path: str) -> bool:
        key = os.path.realpath(path)
        if key in seen:
            return False
        seen.add(key)
        return True

    for given in paths:
        p = Path(given)
        if not p.exists():
            yield given, SourceError(f"{given}: no such file or directory", f"{given}: 文件或目录不存在")
            continue
        if not p.is_dir():
            if force_exclude and (loader.for_path(p).is_excluded(str(p), parents=True) or _named_ignored(gi, p)):
                continue
            if once(given):
                yield given, None
            continue
        absroot = Path(os.path.abspath(p))
        top = _git_root(absroot) or absroot
        for dirpath, dirnames, filenames in os.walk(p):
            d = Path(dirpath)
            absd = Path(os.path.abspath(d))
            cfg: Config = loader.for_path(d)
            keep = []
            for name in sorted(dirnames):
                sub = d / name
                if cfg.is_excluded(str(sub)) or gi.ignored(absd / name, top, True):
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in sorted(filenames):
                if not name.endswith(SUFFIXES):
                    continue
                f = d / name
                if cfg.is_excluded(str(f)) or gi.ignored(absd / name, top, False):
                    continue
                if once(str(f)):
                    yield str(f), None
