"""Incremental re-analysis: after an edit, analyse only the top-level statements the
edit can have changed, and keep the earlier results of the others.

A document is split into *units*: one top-level statement each (its decorators, and the
comment and blank lines above it, included; statements sharing a line through ``;``
are one unit). For each unit we record the module-level names it binds and the free
names it reads (``ast``, cached by the unit's text).

On a new version, the units whose text changed are re-split from a small region around
the edit (only that region is parsed). Units are linked when they share a module-level
name (one binds what the other binds or reads), in both directions: a function's
findings can depend on its callers (call-site context) as well as on what it calls.
Every unit linked, transitively, to a changed unit (new or old version) is re-reported;
the analysis runs on a *slice*: those units plus every import, with every other
unit's lines replaced by one string literal of the same number of lines, so that
every position, and every line number a message quotes, is the one a from-scratch
analysis gives. The whole-text gates of the engine (rule ``needs`` words, the default
dtype, grad mode) still read the whole text (:class:`SliceSource`). Findings located in
the re-reported units come from the slice; the others are the previous ones, shifted
by the number of lines inserted above them.

Whenever the slice could differ from the whole file, the caller gets ``None`` and runs
a full analysis: a region that does not parse, a changed import, a module-level rebinding
of an imported name, ``globals()``/``exec``/``eval``, a per-file ``disable-file``
comment, line endings the split does not model, files near the token limit, findings
of an import that changed in the slice, anything the slice analysis reports as a
notice or a rule error, and a file from the project (rules/project.py) that the previous
analysis read and that now reads differently (an unchanged statement's findings may
rest on it). :func:`self_check` compares one step with a full analysis
(``PTLINT_INCREMENTAL_CHECK=1`` makes the language server's worker do it every time).
"""
from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from .findings import Finding, Fix, Position, Range, TextEdit
from .limits import MAX_TOKENS
from .project_digest import file_digest
from .source import SourceFile, SourceUnit

if TYPE_CHECKING:
    from .engine import LintResult
    from .project import ProjectIndex

# Names whose use means the file may reach its module namespace by string.
DYNAMIC_NAMES = frozenset({"globals", "locals", "vars", "exec", "eval", "__import__"})
# A file longer than this (in characters) may be beyond the engine's token limit, where a
# full analysis would refuse it and a slice would not: such files are always analysed whole.
MAX_INCREMENTAL_CHARS = MAX_TOKENS  # count_tokens counts at most one token per character
# Rules whose findings join statements by something other than a name (PT010: a
# forward returning softmax + any cross-entropy loss of the file). When the file mentions
# the rule's gate words (it runs), every unit whose text mentions one of the unit words
# is linked to every other one that does, as if through a name.
@dataclass(frozen=True)
class Coupling:
    gate: tuple[str, ...]
    words: tuple[str, ...]


WHOLE_FILE_COUPLINGS: dict[str, Coupling] = {
    "#PT010": Coupling(("CrossEntropyLoss", "cross_entropy"),
                       ("CrossEntropyLoss", "cross_entropy", "softmax", "Softmax")),
}
# How many units around the edit are re-split with it (a statement above can grow into
# the edited lines: an indented line typed under a class belongs to the class).
CONTEXT_UNITS = 1


# ---------------------------------------------------------------------- names of a unit
@dataclass(frozen=True)
class UnitNames:
    binds: frozenset[str]  # module-level names the unit binds
    reads: frozenset[str]  # free names it reads (locals of its functions excluded)
    stores: frozenset[str]  # every name it binds at any depth (the import table's ``rebound``)
    is_import: bool  # an import, or an if/try holding one (the engine's import scan reads those)
    dynamic: bool  # uses globals()/exec/eval/...


def _target_names(node: ast.AST, out: set[str]) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
        elif isinstance(sub, ast.Starred) and isinstance(sub.value, ast.Name):
            out.add(sub.value.id)


def _function_locals(fn: ast.AST) -> set[str]:
    """Names local to a function (parameters and what its own body binds)."""
    out: set[str] = set()
    args = fn.args  # type: ignore[attr-defined]
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if a is not None:
            out.add(a.arg)
    body = fn.body if isinstance(fn.body, list) else [fn.body]  # type: ignore[attr-defined]
    declared: set[str] = set()
    for stmt in body:
        _shallow_binds(stmt, out, declared)
    return out - declared


def _shallow_binds(node: ast.AST, out: set[str], declared: set[str]) -> None:
    """What a statement binds in its own scope (nested function/class bodies excluded)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            stack.extend(n.decorator_list)
            if not isinstance(n, ast.ClassDef):
                stack.extend(d for d in (*n.args.defaults, *n.args.kw_defaults) if d is not None)
            else:
                stack.extend(n.bases)
                stack.extend(k.value for k in n.keywords)
            continue
        if isinstance(n, ast.Lambda):
            continue
        if isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            for sub in ast.walk(n):  # a walrus in a comprehension binds in this scope
                if isinstance(sub, ast.NamedExpr):
                    _target_names(sub.target, out)
            continue
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            declared.update(n.names)
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for alias in n.names:
                if alias.name != "*":
                    out.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            out.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            out.add(n.rest)
        stack.extend(ast.iter_child_nodes(n))


class _FreeNames:
    """Free names read anywhere in a statement, with a scope stack: a name local to an
    enclosing function is not free; class bodies are not visible to their methods."""

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.stores: set[str] = set()
        self.globals: set[str] = set()

    def visit(self, node: ast.AST, scopes: tuple[tuple[str, frozenset[str]], ...]) -> None:
        stack: list[tuple[ast.AST, tuple]] = [(node, scopes)]
        while stack:
            n, sc = stack.pop()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if not isinstance(n, ast.Lambda):
                    self.stores.add(n.name)
                    stack.extend((d, sc) for d in n.decorator_list)
                    if n.returns is not None:
                        stack.append((n.returns, sc))
                    for a in (*n.args.posonlyargs, *n.args.args, *n.args.kwonlyargs, n.args.vararg, n.args.kwarg):
                        if a is not None and a.annotation is not None:
                            stack.append((a.annotation, sc))
                stack.extend((d, sc) for d in (*n.args.defaults, *n.args.kw_defaults) if d is not None)
                inner = sc + (("function", frozenset(_function_locals(n))),)
                body = n.body if isinstance(n.body, list) else [n.body]
                stack.extend((s, inner) for s in body)
                continue
            if isinstance(n, ast.ClassDef):
                self.stores.add(n.name)
                stack.extend((d, sc) for d in (*n.decorator_list, *n.bases, *(k.value for k in n.keywords)))
                own: set[str] = set()
                for s in n.body:
                    _shallow_binds(s, own, set())
                inner = sc + (("class", frozenset(own)),)
                stack.extend((s, inner) for s in n.body)
                continue
            if isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                targets: set[str] = set()
                for gen in n.generators:
                    _target_names(gen.target, targets)
                # the first iterable is evaluated outside; the rest is the comprehension's scope
                stack.append((n.generators[0].iter, sc))
                inner = sc + (("function", frozenset(targets)),)
                for gen in n.generators:
                    stack.append((gen.target, inner))
                    stack.extend((c, inner) for c in gen.ifs)
                stack.extend((g.iter, inner) for g in n.generators[1:])
                parts = [n.key, n.value] if isinstance(n, ast.DictComp) else [n.elt]
                stack.extend((p, inner) for p in parts)
                continue
            if isinstance(n, (ast.Global, ast.Nonlocal)):
                if isinstance(n, ast.Global):
                    self.globals.update(n.names)
                self.reads.update(n.names)
                continue
            if isinstance(n, ast.Name):
                if isinstance(n.ctx, ast.Load):
                    if not _is_local(n.id, sc):
                        self.reads.add(n.id)
                else:
                    self.stores.add(n.id)
                    if not sc:
                        self.reads.add(n.id)  # a module-level store links like a read
                continue
            stack.extend((c, sc) for c in ast.iter_child_nodes(n))


def _is_local(name: str, scopes: tuple[tuple[str, frozenset[str]], ...]) -> bool:
    for i, (kind, names) in enumerate(reversed(scopes)):
        if kind == "class" and i > 0:
            continue  # a method does not see its class body's names
        if name in names:
            return True
    return False


def _holds_import(stmt: ast.stmt) -> bool:
    """The engine's import scan (names.py ``_scan_imports``) reads imports at module level
    and inside module-level ``if``/``try`` blocks."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, ast.If):
        return any(_holds_import(s) for s in (*stmt.body, *stmt.orelse))
    if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
        return any(_holds_import(s) for s in (*stmt.body, *(s for h in stmt.handlers for s in h.body)))  # type: ignore[attr-defined]
    return False


def names_of(stmts: list[ast.stmt]) -> UnitNames:
    binds: set[str] = set()
    for stmt in stmts:
        _shallow_binds(stmt, binds, set())
    free = _FreeNames()
    for stmt in stmts:
        free.visit(stmt, ())
    binds |= free.globals
    reads = free.reads | free.globals
    return UnitNames(frozenset(binds), frozenset(reads), frozenset(free.stores | binds),
                     any(_holds_import(s) for s in stmts), bool(reads & DYNAMIC_NAMES))


def _with_couplings(names: UnitNames, text: str) -> UnitNames:
    extra = {key for key, c in WHOLE_FILE_COUPLINGS.items() if any(w in text for w in c.words)}
    return replace(names, binds=names.binds | extra) if extra else names


# ---------------------------------------------------------------------- units and layouts
@dataclass(frozen=True)
class Unit:
    start: int  # first line, 0-based
    end: int  # one past its last line
    text: str
    names: UnitNames


@dataclass
class Layout:
    """A document split into units; ``lines`` keep their line endings."""

    text: str
    lines: list[str]
    units: list[Unit]


def split_lines(text: str) -> list[str]:
    out = text.split("\n")
    last = out.pop()
    lines = [line + "\n" for line in out]
    if last:
        lines.append(last)
    return lines


def _parse(text: str) -> Optional[ast.Module]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _split_region(lines: list[str], first: int, last: int, at_eof: bool,
                  cache: dict[str, UnitNames]) -> Optional[list[Unit]]:
    """Units of lines[first:last] (a run of whole top-level statements); None when the
    run does not parse, or ends with lines that would belong to the unit after it."""
    text = "".join(lines[first:last])
    tree = _parse(text)
    if tree is None:
        return None
    groups: list[tuple[int, int, list[ast.stmt]]] = []  # (first line, end line, statements), region-relative
    for stmt in tree.body:
        start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))]) - 1
        end = stmt.end_lineno or stmt.lineno
        if groups and start < groups[-1][1]:  # statements sharing a line: one unit
            s, e, members = groups[-1]
            groups[-1] = (s, max(e, end), members + [stmt])
        else:
            groups.append((start, end, [stmt]))
    if not groups:
        return [] if first == last or at_eof else None
    units: list[Unit] = []
    cursor = 0
    for i, (s, e, members) in enumerate(groups):
        begin = cursor
        end = e
        if i + 1 < len(groups):
            end = _footer_end(lines, first, e, groups[i + 1][0], members[-1])
        cursor = end
        unit_text = "".join(lines[first + begin:first + end])
        names = cache.get(unit_text)
        if names is None:
            names = _with_couplings(names_of(members), unit_text)
            cache[unit_text] = names
        units.append(Unit(first + begin, first + end, unit_text, names))
    tail = last - first - cursor
    if tail:
        if not at_eof:
            return None  # trailing comments belong to the next unit: the caller widens the region
        u = units[-1]
        units[-1] = Unit(u.start, last, u.text + "".join(lines[first + cursor:last]), u.names)
    return units


def _footer_end(lines: list[str], first: int, end: int, next_start: int, stmt: ast.stmt) -> int:
    """Where a unit ends: after its statement, plus the indented comment lines that
    libcst gives to a compound statement's block (the rest goes to the next unit)."""
    if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For,
                             ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)):
        return end
    last_indented = end
    for k in range(end, next_start):
        line = lines[first + k]
        stripped = line.lstrip(" \t")
        if not stripped.strip():
            continue
        if stripped is line or len(stripped) == len(line):
            break  # a comment at column 0: this and what follows are the next statement's
        last_indented = k + 1
    return last_indented


def full_layout(text: str, cache: Optional[dict[str, UnitNames]] = None) -> Optional[Layout]:
    if not _modelled(text):
        return None
    lines = split_lines(text)
    units = _split_region(lines, 0, len(lines), True, cache if cache is not None else {})
    return None if units is None else Layout(text, lines, units)


def _modelled(text: str) -> bool:
    """Line ends the split models (``\\n``, ``\\r\\n``), nothing near the token limit, and
    no per-file directive (whose reach is the whole file)."""
    if len(text) > MAX_INCREMENTAL_CHARS:
        return False
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return False
    return "disable-file" not in text.lower()


@dataclass
class Edit:
    """How a new layout relates to the old one: old units [lo, old_hi) became new units
    [lo, new_hi); the units after them moved by ``delta`` lines."""

    lo: int
    old_hi: int
    new_hi: int
    delta: int


def update_layout(old: Layout, text: str, cache: dict[str, UnitNames]) -> Optional[tuple[Layout, Edit]]:
    """The new text's layout, re-splitting only around the lines that changed."""
    if not _modelled(text):
        return None
    lines = split_lines(text)
    olines = old.lines
    n, m = len(olines), len(lines)
    top = 0
    limit = min(n, m)
    while top < limit and olines[top] == lines[top]:
        top += 1
    bottom = 0
    while bottom < limit - top and olines[n - 1 - bottom] == lines[m - 1 - bottom]:
        bottom += 1
    if top == n == m:
        return Layout(text, lines, list(old.units)), Edit(len(old.units), len(old.units), len(old.units), 0)
    units = old.units
    if not units:
        return None
    # old units touching old lines [top, n - bottom), widened by the context units
    lo = _unit_at(units, top)
    hi = _unit_at(units, max(n - bottom - 1, top)) + 1
    lo, hi = max(lo - CONTEXT_UNITS, 0), min(hi + CONTEXT_UNITS, len(units))
    delta = m - n
    while True:
        first = units[lo].start
        old_last = units[hi - 1].end if hi < len(units) else n
        new_last = old_last + delta
        if new_last < first or (hi < len(units) and units[hi].start + delta < top) \
                or first > top:
            return None
        region = _split_region(lines, first, new_last, hi == len(units), cache)
        if region == [] and new_last > first:
            return None  # only comments left: the unit before would own them (a fresh split knows)
        if region is not None:
            break
        if hi == len(units):
            return None  # does not parse: the full analysis says why (PT000)
        hi += 1  # maybe the next statement is part of it (comments, an `else:` ...)
        if hi - lo > 8:
            return None
    moved = [Unit(u.start + delta, u.end + delta, u.text, u.names) for u in units[hi:]]
    new_units = units[:lo] + region + moved
    # units of the re-split region equal on both sides are not part of the change
    removed = units[lo:hi]
    a = 0
    while a < len(removed) and a < len(region) and removed[a].text == region[a].text:
        a += 1
    b = 0
    while b < len(removed) - a and b < len(region) - a and removed[-1 - b].text == region[-1 - b].text:
        b += 1
    return Layout(text, lines, new_units), Edit(lo + a, hi - b, lo + len(region) - b, delta)


def _unit_at(units: list[Unit], line: int) -> int:
    lo, hi = 0, len(units) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if units[mid].start <= line:
            lo = mid
        else:
            hi = mid - 1
    return lo


# ---------------------------------------------------------------------- what to re-analyse
@dataclass
class Plan:
    report: set[int]  # new unit indices whose findings come from the slice
    slice: set[int]  # new unit indices analysed (report + imports)
    imports: set[int]


def plan(old: Layout, new: Layout, edit: Edit) -> Optional[Plan]:
    units = new.units
    changed_old = old.units[edit.lo:edit.old_hi]
    changed_new = list(range(edit.lo, edit.new_hi))
    if any(u.names.is_import or u.names.dynamic for u in changed_old) \
            or any(units[i].names.is_import for i in changed_new):
        return None
    imports = {i for i, u in enumerate(units) if u.names.is_import}
    imported = set().union(*(units[i].names.binds for i in imports)) if imports else set()
    binders: dict[str, list[int]] = {}
    readers: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        if i in imports:
            continue
        if u.names.dynamic or u.names.stores & imported:
            return None  # the import table would see the rebinding; a slice might not
        for name in u.names.binds:
            binders.setdefault(name, []).append(i)
        for name in u.names.reads:
            readers.setdefault(name, []).append(i)
    parent = list(range(len(units)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    idle = {key for key, c in WHOLE_FILE_COUPLINGS.items() if not any(w in new.text for w in c.gate)}
    for name, bound in binders.items():
        if name in idle:
            continue
        root = find(bound[0])
        for j in (*bound[1:], *readers.get(name, ())):
            rj = find(j)
            if rj != root:
                parent[rj] = root
    seeds = set(changed_new)
    old_binds = set().union(*(u.names.binds for u in changed_old)) if changed_old else set()
    old_reads = set().union(*(u.names.reads for u in changed_old)) if changed_old else set()
    old_binds -= idle
    for name in old_binds:
        seeds.update(binders.get(name, ()))
        seeds.update(readers.get(name, ()))
    for name in old_reads:
        seeds.update(binders.get(name, ()))
    roots = {find(i) for i in seeds}
    report = {i for i in range(len(units)) if i not in imports and find(i) in roots}
    return Plan(report, report | imports, imports)


def slice_text(layout: Layout, keep: set[int]) -> str:
    """The document with every unit outside ``keep`` replaced by one string literal of
    as many lines (libcst parses one string token far faster than as many blank lines)."""
    parts: list[str] = []
    run = 0
    for i, u in enumerate(layout.units):
        if i in keep:
            if run:
                parts.append(_filler(run))
                run = 0
            parts.append(u.text)
        else:
            run += u.end - u.start
    if run:
        parts.append(_filler(run))
    return "".join(parts)


def _filler(lines: int) -> str:
    if lines == 1:
        return "''\n"
    return "'''" + "\n" * (lines - 1) + "'''\n"


class SliceSource(SourceFile):
    """A slice to analyse, whose whole-text gates (``source.text``) read the whole document."""

    def __init__(self, path: str, slice_text: str, whole_text: str, newline: str) -> None:
        super().__init__(path, [SourceUnit(slice_text)], newline=newline)
        self.whole_text = whole_text

    @property
    def text(self) -> str:  # type: ignore[override]
        return self.whole_text


# ---------------------------------------------------------------------- moving results
LineMap = Callable[[int], Optional[int]]  # old 1-based line -> new 1-based line, None: it changed


def line_map(old: Layout, edit: Edit) -> LineMap:
    first_changed = old.units[edit.lo].start if edit.lo < len(old.units) else len(old.lines)
    after = old.units[edit.old_hi].start if edit.old_hi < len(old.units) else len(old.lines)

    def move(line: int) -> Optional[int]:
        k = line - 1
        if k < first_changed:
            return line
        if k >= after:
            return line + edit.delta
        return None
    return move


def _pos(p: Position, move: LineMap) -> Position:
    line = move(p.line)
    if line is None:
        raise _Unmapped
    return p if line == p.line else Position(line, p.column)


def _rng(r: Range, move: LineMap) -> Range:
    return Range(_pos(r.start, move), _pos(r.end, move))


def _fix(f: Fix, move: LineMap) -> Fix:
    return replace(f, edits=tuple(TextEdit(_rng(e.range, move), e.new_text) for e in f.edits))


class _Unmapped(Exception):
    """A kept result points into a unit that changed."""


def move_finding(f: Finding, move: LineMap) -> Finding:
    return replace(f, range=_rng(f.range, move),
                   related=tuple(r if r.path is not None else replace(r, range=_rng(r.range, move))
                                 for r in f.related),  # another file's place did not move
                   fix=_fix(f.fix, move) if f.fix is not None else None,
                   alt_fixes=tuple(_fix(a, move) for a in f.alt_fixes))


def unit_lines(layout: Layout, indices: Iterable[int]) -> list[tuple[int, int]]:
    """1-based inclusive line spans of the given units."""
    return [(layout.units[i].start + 1, layout.units[i].end) for i in sorted(indices)]


def in_spans(line: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= line <= e for s, e in spans)


@dataclass
class Merge:
    """Results of a step, or why it gave up."""

    findings: Optional[list[Finding]] = None
    reason: str = ""


def merge_findings(old_findings: list[Finding], new_slice: list[Finding], old: Layout, new: Layout,
                   edit: Edit, steps: Plan) -> Merge:
    """Slice findings of the re-reported units + the previous findings of the others."""
    move = line_map(old, edit)
    report_spans = unit_lines(new, steps.report)
    import_spans = unit_lines(new, steps.imports)
    out = [f for f in new_slice if in_spans(f.line, report_spans)]
    kept_imports: list[Finding] = []
    try:
        for f in old_findings:
            line = move(f.line)
            if line is None:
                continue  # in a changed unit: re-reported
            if in_spans(line, report_spans):
                continue
            moved = move_finding(f, move)
            if in_spans(line, import_spans):
                kept_imports.append(moved)
            out.append(moved)
    except _Unmapped:
        return Merge(reason="a kept finding points into a changed statement")
    slice_imports = [f for f in new_slice if in_spans(f.line, import_spans)]
    if sorted(slice_imports, key=finding_key) != sorted(kept_imports, key=finding_key):
        return Merge(reason="findings of an import changed")
    out.sort(key=lambda f: (f.cell or 0, f.line, f.column, f.code))
    return Merge(findings=out)


def finding_key(f: Finding) -> tuple:
    return (f.code, f.range.start.line, f.range.start.column, f.range.end.line, f.range.end.column,
            f.message_en, f.message_zh, f.related, f.fix, f.alt_fixes)


def keep_by_line(items: list, line_of: Callable[[object], int], relocate: Callable[[object, LineMap], object],
                 new_items: list, old: Layout, new: Layout, edit: Edit, steps: Plan) -> Optional[list]:
    """The same merge for other located results (shape facts, thousands in a large
    file): new ones in re-reported units, old ones elsewhere, moved. A result lies within
    one statement: one that starts on the line it started on has not moved at all."""
    move = line_map(old, edit)
    spans = unit_lines(new, steps.report)
    out = [x for x in new_items if in_spans(line_of(x), spans)]
    try:
        for x in items:
            was = line_of(x)
            line = move(was)
            if line is None or in_spans(line, spans):
                continue
            out.append(x if line == was else relocate(x, move))
    except _Unmapped:
        return None
    return out


def relocate_range(r: Range, move: LineMap) -> Range:
    return _rng(r, move)


def relocate_position(p: Position, move: LineMap) -> Position:
    return _pos(p, move)


# ---------------------------------------------------------------------- one step
@dataclass
class State:
    """The last clean analysis of a document (parsed, no notices, no rule errors): what
    the next version's step starts from."""

    layout: Layout
    findings: list[Finding]
    cache: dict[str, UnitNames] = field(default_factory=dict)
    gave_up: str = ""  # why the last step fell back to a full analysis (for tests and logs)
    deps: dict[str, str] = field(default_factory=dict)  # project file -> digest its findings rest on


@dataclass
class Step:
    """One incremental step: the merged findings, the slice's own result (its context
    answers what the front end asks further, e.g. shape facts) and how to move the rest."""

    findings: list[Finding]
    result: "LintResult"
    layout: Layout
    old: Layout
    edit: Edit
    plan: Plan

    deps: dict[str, str] = field(default_factory=dict)  # what the merged findings rest on

    def keep(self, items: list, line_of: Callable, relocate: Callable, new_items: list) -> Optional[list]:
        return keep_by_line(items, line_of, relocate, new_items, self.old, self.layout, self.edit, self.plan)


def clean(result: "LintResult") -> bool:
    """A result a next step may start from (and a slice result that may be merged)."""
    return (result.context is not None and not result.skipped and not result.notices
            and not result.rule_errors
            and not any(f.code == "PT000" for f in result.findings))


def start(text: str, result: "LintResult", cache: Optional[dict[str, UnitNames]] = None) -> Optional[State]:
    """The state after a full analysis of ``text``, or None if no step may start from it."""
    if not clean(result):
        return None
    cache = {} if cache is None else cache
    layout = full_layout(text, cache)
    if layout is None:
        return None
    _bound(cache, layout)
    return State(layout, list(result.findings), cache, deps=dict(result.deps))


def _bound(cache: dict[str, UnitNames], layout: Layout) -> None:
    """Keep the names cache to what the document holds now (plus a margin for undo)."""
    if len(cache) > 4 * len(layout.units) + 256:
        live = {u.text for u in layout.units}
        for key in [k for k in cache if k not in live]:
            del cache[key]


def reanalyse(state: State, text: str, path: str, config, newline: str = "\n",
              project: Optional["ProjectIndex"] = None) -> Optional[Step]:
    """The analysis of ``text`` from the state of an earlier version, or None when only a
    full analysis can be trusted. ``project``: as for ``lint_source`` (the editor passes
    one that reads its open buffers)."""
    from .engine import lint_source

    updated = update_layout(state.layout, text, state.cache)
    if updated is None:
        return _give_up(state, "the edited statements do not parse alone, or the text is not modelled")
    layout, edit = updated
    steps = plan(state.layout, layout, edit)
    if steps is None:
        return _give_up(state, "an import, a rebound import name or dynamic namespace access")
    result = lint_source(SliceSource(path, slice_text(layout, steps.slice), text, newline), config,
                         keep_context=True, project=project)
    if not clean(result):
        return _give_up(state, "the slice's analysis was not clean")
    deps = _deps_still_hold(state.deps, result.deps, project)
    if deps is None:
        return _give_up(state, "a project file read by the last analysis has changed")
    merged = merge_findings(state.findings, result.findings, state.layout, layout, edit, steps)
    if merged.findings is None:
        return _give_up(state, merged.reason)
    _bound(state.cache, layout)
    state.gave_up = ""
    return Step(merged.findings, result, layout, state.layout, edit, steps, deps)


def _deps_still_hold(before: dict[str, str], now: dict[str, str],
                     project: Optional["ProjectIndex"]) -> Optional[dict[str, str]]:
    """Every project file the kept findings rest on, with the digest the slice saw (or
    would see: it may not have needed that file), when all are unchanged; else None."""
    merged = dict(before)
    for file, digest in before.items():
        seen = now.get(file)
        if seen is None:
            seen = project.digest_now(file) if project is not None else file_digest(file)[0]
        if seen != digest:
            return None
    merged.update(now)
    return merged


def _give_up(state: State, reason: str) -> None:
    state.gave_up = reason
    return None


def advance(state: State, step: Step) -> State:
    return State(step.layout, step.findings, state.cache, deps=dict(step.deps))


def self_check(before: str, after: str, path: str = "<check>.py", config=None) -> Optional[str]:
    """Compare one incremental step with a full analysis of ``after``: None when they
    agree (or no step was possible), else a description of the first difference."""
    from .config import Config
    from .engine import lint_source
    from .source import detect_newline

    config = config or Config()

    def full(text: str) -> "LintResult":
        return lint_source(SourceFile(path, [SourceUnit(text)], newline=detect_newline(text)), config,
                           keep_context=True)

    state = start(before, full(before))
    if state is None:
        return None
    step = reanalyse(state, after, path, config, detect_newline(after))
    if step is None:
        return None
    want = sorted(full(after).findings, key=finding_key)
    got = sorted(step.findings, key=finding_key)
    if want == got:
        return None
    missing = [f for f in want if f not in got]
    extra = [f for f in got if f not in want]
    return f"missing {[(f.code, f.line) for f in missing]}, extra {[(f.code, f.line) for f in extra]}"
