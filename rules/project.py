"""The project index: the other files of the user's project that one file imports.

``from models.blocks import _Block``, ``from .blocks import _Block`` and ``import
models.blocks as mb`` are resolved to files under the project root, read (never
executed), parsed once with libcst and kept by path and the digest of the bytes read
(or of the text of an editor's open buffer). What a file exposes is its unique top-level
bindings: classes, functions, literal constants and what it imports itself (a package's
``__init__.py`` re-exporting ``from .blocks import _Block`` is followed, a bounded number
of links).

Precision first: a module that could be two files (the project root and the file's own
folder both have one), a name bound twice at module level, a file outside the root
(a link pointing out of it, ``..`` beyond the top), a file that does not parse or is
too big: all of them are unknown, and unknown is silence.

Every file the index looked at, found or not, is recorded in ``reads`` with the digest
of what was seen ("" for absent), so a results cache can tell when a finding of the
importing file became stale.

One parse per file and content in a process: the engine takes the module of a file it
analyses from the same cache (:meth:`_ParseCache.module`, keys from :func:`shared_key`), so
``train.py`` looking into models/blocks.py and models/blocks.py's own analysis share one
parse, whichever comes first. The saving is per process: the CLI's pool workers
(server/runner.py) each keep their own cache, and a file and its importers analysed in two
workers are parsed in each.
"""
from __future__ import annotations

import ast
import os
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Optional

import libcst as cst

from . import nesting
from .astutil import iter_children, target_names
from .names import ImportTable, dotted_name, other_bindings
from .project_digest import ABSENT, MAX_BYTES, bytes_digest, file_digest, text_digest
from .source import SourceError, SourceFile, decode

# Bounds: files parsed for one analysis and links followed for one name (the size of a
# file worth reading: project_digest.py).
MAX_FILES = 64
MAX_DEPTH = 8
# The parsed files kept between analyses, bounded by memory rather than by a number of
# files (one big file weighs as much as a hundred small ones): the characters of source of
# the modules kept. A kept module takes about BYTES_PER_CHAR bytes per character of its
# text (libcst's tree, the scan and the text; tracemalloc over all files parsed and kept:
# detectron2 27.8, fairseq 29.2), so CACHE_CHARS is about 56 MB of parsed modules (it holds
# the biggest file an index reads, MAX_BYTES) and FRESH_CHARS about 7 MB. Measured with
# `ptlint check --jobs 1 --no-cache` on detectron2 (issue 12; 616 parses with 64 + 16
# entries): 351 parses; a 1M-character fresh area 337 (fairseq: the same parses, peak RSS
# +13%), none 382; keeping 3M or 4M characters saves nothing over 2M, 1M parses 53 more.
BYTES_PER_CHAR = 28
CACHE_CHARS = 2_000_000
# Files the engine parsed, kept for an importer analysed soon after (rules/engine.py).
FRESH_CHARS = 1 << 18
# What one entry weighs at least (a file that does not parse is a key and None), so that
# the number of entries stays bounded too.
MIN_CHARS = 256


# Top-level names that are never the project's own modules: the libraries the rules are
# about and the standard library (a project's ``utils/`` is looked up, its ``torch`` is not).
EXTERNAL = frozenset(("torch", "torchvision", "torchaudio", "torchtext", "numpy", "scipy", "pandas", "sklearn",
                      "transformers", "timm", "PIL", "cv2", "matplotlib", "tqdm", "jieba", "__future__")) \
    | frozenset(getattr(sys, "stdlib_module_names", ()))

ReadText = Callable[[str], Optional[str]]


@dataclass(frozen=True)
class ImportedName:
    """Where a module-level name of a file comes from: ``from <module> import <name>``
    (``level`` dots before it), or ``import <module> as x`` (``name`` None)."""

    level: int
    module: str
    name: Optional[str]


@dataclass(eq=False)
class ProjectModule:
    """One parsed project file and its unique top-level bindings."""

    path: str  # absolute, links resolved
    module: cst.Module
    digest: str
    imports: ImportTable
    classes: dict[str, cst.ClassDef] = field(default_factory=dict)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    constants: dict[str, object] = field(default_factory=dict)  # literal values only
    imported: dict[str, ImportedName] = field(default_factory=dict)
    stars: list[ImportedName] = field(default_factory=list)  # from x import *
    text: str = ""  # what was parsed: places this file's nodes in related locations of another file's findings

    @property
    def folder(self) -> str:
        return os.path.dirname(self.path)

    @property
    def is_package(self) -> bool:
        return os.path.basename(self.path) == "__init__.py"


@dataclass(frozen=True)
class Symbol:
    """A project name resolved: a class, function or constant of ``module``, or the
    module itself (``kind == "module"``)."""

    kind: str
    name: str
    module: ProjectModule
    node: Optional[cst.CSTNode] = None
    value: object = None  # a constant's value


def scan_module(path: str, module: cst.Module, digest: str) -> ProjectModule:
    """The unique top-level bindings of a parsed file. A name bound twice at module
    level, or bound inside a compound statement (``if``/``try``/``for``), is left out."""
    imports = ImportTable()
    imports.scan_statements(module.body)
    pm = ProjectModule(path, module, digest, imports)
    counts: dict[str, int] = {}
    found: dict[str, tuple[str, object]] = {}

    def bind(name: str, kind: str, what: object) -> None:
        counts[name] = counts.get(name, 0) + 1
        found[name] = (kind, what)

    nested: list[cst.CSTNode] = []
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            bind(stmt.name.value, "class", stmt)
        elif isinstance(stmt, cst.FunctionDef):
            bind(stmt.name.value, "function", stmt)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                _bind_small(small, bind)
        else:
            nested.append(stmt)
    for name in other_bindings(nested):  # conditional definitions: which one holds is unknown
        counts[name] = counts.get(name, 0) + 2
    for stmt in nested:
        for name in _nested_imports(stmt):
            counts[name] = counts.get(name, 0) + 2
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
                    pm.stars.append(ImportedName(len(small.relative),
                                                 dotted_name(small.module) if small.module is not None else "", None))
    for name, (kind, what) in found.items():
        if counts.get(name) != 1:
            continue
        if kind == "class":
            pm.classes[name] = what  # type: ignore[assignment]
        elif kind == "function":
            pm.functions[name] = what  # type: ignore[assignment]
        elif kind == "constant":
            pm.constants[name] = what
        elif kind == "import":
            pm.imported[name] = what  # type: ignore[assignment]
    return pm


_NOT_LITERAL = object()


def _literal(module_code: str) -> object:
    try:
        return ast.literal_eval(module_code)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _bind_small(small: cst.BaseSmallStatement, bind) -> None:
    if isinstance(small, cst.Import):
        for alias in small.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bind(alias.asname.name.value, "import", ImportedName(0, full, None))
            else:
                top = full.split(".")[0]
                bind(top, "import", ImportedName(0, top, None))
    elif isinstance(small, cst.ImportFrom):
        level = len(small.relative)
        mod = dotted_name(small.module) if small.module is not None else ""
        if isinstance(small.names, cst.ImportStar):
            bind("*", "star", ImportedName(level, mod or "", None))
            return
        for alias in small.names:
            name = dotted_name(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            bind(local, "import", ImportedName(level, mod or "", name))
    elif isinstance(small, cst.Assign):
        names = [n for t in small.targets for n in target_names(t.target)]
        single = len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
        value = _literal(cst.Module(body=[]).code_for_node(small.value)) if single else _NOT_LITERAL
        for n in names:
            if single and value is not _NOT_LITERAL:
                bind(n, "constant", value)
            else:
                bind(n, "other", None)
    elif isinstance(small, (cst.AnnAssign, cst.AugAssign, cst.Del)):
        for n in target_names(small.target):
            bind(n, "other", None)


def _nested_imports(stmt: cst.CSTNode) -> set[str]:
    """Names imported inside a compound top-level statement (``try: import x``)."""
    out: set[str] = set()
    stack = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Import):
            for alias in node.names:
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    out.add(alias.asname.name.value)
                else:
                    out.add((dotted_name(alias.name) or "").split(".")[0])
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    out.add(alias.asname.name.value)
                else:
                    out.add(dotted_name(alias.name) or "")
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue  # their imports are local to them
        else:
            stack.extend(iter_children(node))
    return out


# ---------------------------------------------------------------------- parsed-file cache
@dataclass(eq=False)
class _Parsed:
    """A file the engine parsed for its own analysis, not yet scanned as a project file:
    scanning (about a tenth of a parse) is left to the first index that reads it."""

    module: cst.Module
    text: str


class _ParseCache:
    """Parsed files shared by the analyses of one process, least recently used dropped
    first. Keys are ("disk", path, digest of the bytes) for a file read from disk and
    ("text", path, digest of the text) for an editor's buffer: the same content at the same
    path is one entry, whoever parsed it first (an importing file's index or the engine).

    What indexes read (``entries``: a ProjectModule, or None for a file that does not
    parse) and what the engine parsed that no index has read yet (``fresh``) are bounded
    apart, each by the characters of source it keeps (``budget``, ``fresh_budget``; an
    entry weighs at least MIN_CHARS): a run over many files, or an editor's keystrokes,
    must not push the project's files out, and the engine's parse of a file is kept only a
    little while for an importer that may come next. A file heavier than its area's whole
    budget is handed to its caller and not kept."""

    def __init__(self, budget: int = CACHE_CHARS, fresh_budget: int = FRESH_CHARS) -> None:
        self.budget = budget
        self.fresh_budget = fresh_budget
        self.entries: "OrderedDict[tuple, Optional[ProjectModule]]" = OrderedDict()
        self.fresh: "OrderedDict[tuple, Optional[_Parsed]]" = OrderedDict()
        self.weights: dict[tuple, int] = {}  # key -> its weight, in whichever area it is
        # (kind, path) -> the one key of ``entries`` for it: an edited buffer or a saved file
        # replaces its earlier content, which no analysis asks for again (in an editor, the
        # budget would otherwise fill with the keystrokes of one imported file).
        self.latest: dict[tuple, tuple] = {}
        self.kept = 0  # weight of ``entries``
        self.fresh_kept = 0  # weight of ``fresh``
        self.lock = threading.Lock()
        self.parses = 0  # files parsed, by an index or the engine (tests and benchmarks read it)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.fresh.clear()
            self.weights.clear()
            self.latest.clear()
            self.kept = self.fresh_kept = 0

    def _drop_fresh(self, key: tuple) -> None:
        """Under the lock."""
        if key in self.fresh:
            del self.fresh[key]
            self.fresh_kept -= self.weights.pop(key)

    def _keep(self, key: tuple, pm: Optional[ProjectModule]) -> None:
        """Under the lock; ``key`` is not in ``entries``."""
        self._drop_fresh(key)
        earlier = self.latest.get(key[:2])
        if earlier is not None:
            self._drop(earlier)
        weight = _weight(pm.text if pm is not None else "")
        if weight > self.budget:
            return
        self.entries[key] = pm
        self.weights[key] = weight
        self.latest[key[:2]] = key
        self.kept += weight
        while self.kept > self.budget:
            self._drop(next(iter(self.entries)))

    def _drop(self, key: tuple) -> None:
        """Under the lock; ``key`` is in ``entries``."""
        del self.entries[key]
        self.kept -= self.weights.pop(key)
        if self.latest.get(key[:2]) == key:
            del self.latest[key[:2]]

    def get(self, key: tuple, build: Callable[[], Optional[ProjectModule]]) -> Optional[ProjectModule]:
        """The project file of ``key``: kept, scanned from the engine's parse, or built."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
            parsed = self.fresh.get(key, _MISSING)
        if parsed is _MISSING:
            pm = build()
            with self.lock:
                self.parses += 1
                if key in self.entries:
                    return self.entries[key]  # another thread was first: one ProjectModule per entry
                self._keep(key, pm)
            return pm
        pm = None
        if parsed is not None:  # None: the engine's parse failed, as _parse's would
            pm = scan_module(key[1], parsed.module, key[2])
            pm.text = parsed.text
        with self.lock:
            if key in self.entries:
                return self.entries[key]  # another thread was first: one ProjectModule per entry
            self._keep(key, pm)
        return pm

    def module(self, key: tuple, text: str) -> cst.Module:
        """The engine's parse of ``text`` (the whole content of ``key``): the module already
        parsed for it, else ``cst.parse_module(text)``, kept a while for the indexes. Raises
        what libcst raises; a content that an index could not parse is parsed again here,
        so the engine reports its syntax error (its own message and place) as ever."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                pm = self.entries[key]
                if pm is not None:
                    return pm.module
                known = True
            else:
                parsed = self.fresh.get(key)
                if parsed is not None:
                    return parsed.module
                known = key in self.fresh
            self.parses += 1
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            if not known:
                self._fresh(key, None)  # an index need not try: _parse would give None too
            raise
        if not known:  # an index's None (a RecursionError deeper in its stack) stays its answer
            self._fresh(key, _Parsed(module, text))
        return module

    def _fresh(self, key: tuple, parsed: Optional[_Parsed]) -> None:
        weight = _weight(parsed.text if parsed is not None else "")
        if weight > self.fresh_budget:
            return
        with self.lock:
            if key in self.entries or key in self.fresh:
                return
            self.fresh[key] = parsed
            self.weights[key] = weight
            self.fresh_kept += weight
            while self.fresh_kept > self.fresh_budget:
                old, _ = self.fresh.popitem(last=False)
                self.fresh_kept -= self.weights.pop(old)

    def private(self, pm: ProjectModule) -> Optional[ProjectModule]:
        """A second parse of ``pm``'s text, kept by nobody but the caller."""
        with self.lock:
            self.parses += 1
        return _parse(pm.path, pm.text, pm.digest)


def _weight(text: str) -> int:
    return max(len(text), MIN_CHARS)


_MISSING = object()


PARSED = _ParseCache()


def shared_key(source: SourceFile) -> Optional[tuple]:
    """The cache key of what the engine parses of ``source``, as an index reading that
    file would look it up, when the parse may be shared (a whole .py file, on disk); None:
    the parse is the engine's alone (a notebook, stdin, a slice of an editor's buffer, a
    file too big for the index).

    A file read from disk is keyed by the digest of its bytes, like :meth:`ProjectIndex._read`,
    only when they decode to exactly the text parsed (BOM, CRLF and coding comments are the
    same ``decode``); any other text by its own digest, like an editor's buffer."""
    if source.kind != "python" or len(source.units) != 1 or source.encoding_error is not None:
        return None
    unit = source.units[0]
    path = source.path
    if unit.original is not None or unit.dedent or not path.endswith(".py"):
        return None
    text = unit.text
    if source.text != text or not os.path.isfile(path):
        return None  # a slice of the file (rules/incremental.py), or no file the index could read
    real = os.path.realpath(path)
    raw = source.raw
    if raw and len(raw) <= MAX_BYTES:
        try:
            same = decode(raw, real)[0] == text
        except SourceError:
            same = False
        if same:
            return ("disk", real, bytes_digest(raw))
    if len(text) > MAX_BYTES:
        return None
    try:
        return ("text", real, text_digest(text))
    except UnicodeError:
        return None


def _parse(path: str, text: str, digest: str) -> Optional[ProjectModule]:
    if nesting.check(text) is not None:
        return None
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return None
    pm = scan_module(path, module, digest)
    pm.text = text
    return pm


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


# ---------------------------------------------------------------------- the index
class ProjectIndex:
    """The project one analysis may look into; cheap to make (nothing is read until a
    name is looked up)."""

    def __init__(self, root: str, read_text: Optional[ReadText] = None) -> None:
        self.root = os.path.realpath(root)
        self.read_text = read_text  # an editor's open buffers, by absolute path
        self.reads: dict[str, str] = {}  # path -> digest of what was seen (ABSENT: no file)
        self._loaded: dict[str, Optional[ProjectModule]] = {}
        self._views: dict[int, ProjectModule] = {}
        self._modules: dict[tuple[str, int, str], Optional[ProjectModule]] = {}
        self._own: dict[int, cst.Module] = {}  # id -> the analysed file's module (:meth:`analysing`)

    @classmethod
    def for_file(cls, path: str, config_root: Optional[str] = None,
                 read_text: Optional[ReadText] = None) -> Optional["ProjectIndex"]:
        """The project of a file on disk: the config's folder when the file is inside it,
        else the file's own folder; None for text that is not a file."""
        if not os.path.isfile(path):
            return None
        here = os.path.dirname(os.path.realpath(path))
        root = here
        if config_root:
            real_root = os.path.realpath(config_root)
            if _inside(here, real_root):
                root = real_root
        return cls(root, read_text)

    # ------------------------------------------------------------------ files
    def load(self, path: str) -> Optional[ProjectModule]:
        """The parsed file at ``path`` (inside the root), or None; recorded in ``reads``."""
        real = os.path.realpath(path)
        if real in self._loaded:
            return self._loaded[real]
        if not _inside(real, self.root) or not real.endswith(".py"):
            return None
        if len(self._loaded) >= MAX_FILES:
            return None
        pm = self._read(real)
        if pm is not None and id(pm.module) in self._own:
            # The analysed file itself, reached through an import cycle, whose module the
            # engine shares with the cache: a copy of its own, so that adopting code of it
            # never marks the analysed file's nodes as another file's (as before sharing).
            pm = PARSED.private(pm)
        self._loaded[real] = pm
        return pm

    def analysing(self, module: cst.Module) -> None:
        """The module of the file being analysed (maybe the cache's: see :meth:`load`)."""
        self._own[id(module)] = module

    def _read(self, real: str) -> Optional[ProjectModule]:
        text = self.read_text(real) if self.read_text is not None else None
        if text is not None:
            digest = text_digest(text)
            self.reads[real] = digest
            return PARSED.get(("text", real, digest), lambda: _parse(real, text, digest))
        digest, raw = file_digest(real)
        self.reads[real] = digest
        if raw is None:
            return None

        def build() -> Optional[ProjectModule]:
            try:
                text, _, _ = decode(raw, real)
            except SourceError:
                return None
            return _parse(real, text, digest)

        return PARSED.get(("disk", real, digest), build)

    def digest_now(self, path: str) -> str:
        """The digest :meth:`load` would record for ``path`` now (open buffer first, then
        disk), without parsing: how a later analysis checks that an earlier read still holds."""
        text = self.read_text(path) if self.read_text is not None else None
        return text_digest(text) if text is not None else file_digest(path)[0]

    def view(self, path: str, module: cst.Module) -> ProjectModule:
        """The file being analysed, seen like a project file (from its parsed text)."""
        pm = self._views.get(id(module))
        if pm is None:
            self.analysing(module)
            pm = scan_module(os.path.realpath(path) if os.path.exists(path) else path, module, "")
            self._views[id(module)] = pm
        return pm

    # ------------------------------------------------------------------ modules
    def _module_file(self, folder: str, parts: list[str]) -> Optional[str]:
        """``folder/a/b.py`` or ``folder/a/b/__init__.py`` for ``a.b``, recording misses."""
        if not parts or any(not p.isidentifier() for p in parts):
            return None
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            real = os.path.realpath(candidate)
            if not _inside(real, self.root):
                return None
            if os.path.isfile(real):
                return real
            self.reads.setdefault(real, ABSENT)
        return None

    def resolve_module(self, importer: ProjectModule, level: int, dotted: str) -> Optional[ProjectModule]:
        """The project file that ``from <dots><dotted> import …`` in ``importer`` means."""
        key = (importer.path, level, dotted)
        if key not in self._modules:
            self._modules[key] = self._resolve_module(importer, level, dotted)
        return self._modules[key]

    def _resolve_module(self, importer: ProjectModule, level: int, dotted: str) -> Optional[ProjectModule]:
        if level == 0 and dotted.split(".")[0] in EXTERNAL:
            return None
        parts = [p for p in dotted.split(".") if p] if dotted else []
        if level > 0:
            folder = os.path.dirname(importer.path)
            for _ in range(level - 1):
                folder = os.path.dirname(folder)
            if not _inside(os.path.realpath(folder), self.root):
                return None
            if not parts:
                found = self._module_file(os.path.dirname(folder), [os.path.basename(folder)])
            else:
                found = self._module_file(folder, parts)
        else:
            # Python looks in the script's folder first and in the project root when the
            # project is installed or run from there: two different files is unknown.
            hits = {self._module_file(base, parts) for base in dict.fromkeys((importer.folder, self.root))}
            hits.discard(None)
            if len(hits) != 1:
                return None
            found = hits.pop()
        return self.load(found) if found else None

    # ------------------------------------------------------------------ names
    def lookup(self, module: ProjectModule, name: str, depth: int = 0) -> Optional[Symbol]:
        """What ``name`` means at module level in ``module``, following its imports."""
        if depth > MAX_DEPTH:
            return None
        if any(self.resolve_module(module, s.level, s.module) is not None for s in module.stars):
            return None  # a project module's * may rebind any name: unknown
        if name in module.classes:
            return Symbol("class", name, module, module.classes[name])
        if name in module.functions:
            return Symbol("function", name, module, module.functions[name])
        if name in module.constants:
            return Symbol("constant", name, module, None, module.constants[name])
        imp = module.imported.get(name)
        if imp is None:
            return None
        if imp.name is None:  # import a.b as name
            target = self.resolve_module(module, imp.level, imp.module)
            return Symbol("module", name, target) if target is not None else None
        source = self.resolve_module(module, imp.level, imp.module) if (imp.level or imp.module) else None
        if source is not None and source is not module:
            hit = self.lookup(source, imp.name, depth + 1)
            if hit is not None:
                return hit
        # from package import submodule
        sub = self.resolve_module(module, imp.level, f"{imp.module}.{imp.name}" if imp.module else imp.name)
        return Symbol("module", imp.name, sub) if sub is not None else None

    def lookup_chain(self, module: ProjectModule, parts: list[str]) -> Optional[Symbol]:
        """``mb._Block`` (``["mb", "_Block"]``) from ``module``'s point of view."""
        if not parts:
            return None
        sym = self.lookup(module, parts[0])
        for part in parts[1:]:
            if sym is None or sym.kind != "module":
                return None
            inner = self.lookup(sym.module, part)
            if inner is None and sym.module.is_package:  # import models.blocks; models.blocks.X
                sub = self._module_file(sym.module.folder, [part])
                loaded = self.load(sub) if sub else None
                inner = Symbol("module", part, loaded) if loaded is not None else None
            sym = inner
        return sym
