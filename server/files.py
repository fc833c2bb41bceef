"""Finding the files to check: walk folders, honour exclude and .gitignore."""
from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Iterator, Optional

from ptlint.rules.config import Config, ConfigLoader

SUFFIXES = (".py", ".pyi", ".ipynb")


class GitIgnore:
    """A small .gitignore reader (patterns, negation, anchored and folder-only rules)."""

    def __init__(self) -> None:
        self._cache: dict[Path, list[tuple[bool, bool, bool, str]]] = {}

    def _rules(self, folder: Path) -> list[tuple[bool, bool, bool, str]]:
        rules = self._cache.get(folder)
        if rules is None:
            rules = []
            f = folder / ".gitignore"
            if f.is_file():
                try:
                    lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
                except OSError:
                    lines = []
                for line in lines:
                    line = line.rstrip()
                    if not line or line.startswith("#"):
                        continue
                    neg = line.startswith("!")
                    if neg:
                        line = line[1:]
                    dir_only = line.endswith("/")
                    line = line.rstrip("/")
                    anchored = "/" in line
                    rules.append((neg, dir_only, anchored, line.lstrip("/")))
            self._cache[folder] = rules
        return rules

    def ignored(self, path: Path, root: Path, is_dir: bool) -> bool:
        result = False
        # Every folder from the walk root down to the path's parent may hold a .gitignore.
        try:
            rel_parts = path.relative_to(root).parts
        except ValueError:
            return False
        folder = root
        chain = [root]
        for part in rel_parts[:-1]:
            folder = folder / part
            chain.append(folder)
        for base in chain:
            rel = path.relative_to(base).as_posix()
            for neg, dir_only, anchored, pattern in self._rules(base):
                if dir_only and not is_dir:
                    continue
                hit = fnmatch.fnmatchcase(rel, pattern) if anchored else fnmatch.fnmatchcase(path.name, pattern)
                if not hit and pattern.startswith("**/"):
                    hit = fnmatch.fnmatchcase(rel, pattern[3:])
                if hit:
                    result = not neg
        return result


def discover(paths: list[str], loader: ConfigLoader, *, force: bool = False) -> Iterator[tuple[str, Optional[str]]]:
    """Yield (path, error). Paths named explicitly are always checked (like ruff) unless
    excluded by configuration with ``force``; folders are walked."""
    gi = GitIgnore()
    for given in paths:
        p = Path(given)
        if not p.exists():
            yield given, f"{given}: no such file or directory"
            continue
        if p.is_file():
            cfg = loader.for_path(p)
            if force and cfg.is_excluded(str(p)):
                continue
            yield given, None
            continue
        root = p
        for dirpath, dirnames, filenames in os.walk(p):
            d = Path(dirpath)
            cfg: Config = loader.for_path(d / "__init__.py")
            keep = []
            for name in sorted(dirnames):
                sub = d / name
                if cfg.is_excluded(str(sub)) or gi.ignored(sub, root, True):
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in sorted(filenames):
                if not name.endswith(SUFFIXES):
                    continue
                f = d / name
                if cfg.is_excluded(str(f)) or gi.ignored(f, root, False):
                    continue
                yield str(f), None
