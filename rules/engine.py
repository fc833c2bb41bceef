"""The engine: one libcst parse per source unit, every enabled rule in one traversal,
positions computed only when something is reported."""
from __future__ import annotations

import logging
import os
import threading
import traceback
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, TypeVar

import libcst as cst

from .config import Config
from .dtypes import file_default_float
from .astutil import iter_children
from .findings import Finding, Fix, Position, Range, RelatedLocation, TextEdit
from .names import ImportTable
from .rule import (
    FixSpec, InsertAfter, InsertBefore, InsertStatementBefore, Replace, Report, Rule, all_rules,
)
from . import nesting, notices
from .limits import MAX_EXPRESSION_DEPTH, MAX_TOKENS
from .notices import Notice
from .source import SourceFile, SourceUnit, source_from_text
from .suppression import Suppressions

if TYPE_CHECKING:
    from .positions import UnitPositions
    from .project import ProjectIndex, ProjectModule

log = logging.getLogger("ptlint")

SYNTAX_CODE = "PT000"
A = TypeVar("A")


@dataclass
class RuleError:
    """A rule raised: its findings for this file are dropped, the others still come out."""

    code: str
    path: str
    error: str
    traceback: str

    def __str__(self) -> str:
        what = "rule" if self.code.startswith("PT") else "analysis"  # a shared analysis is named by its class
        return f"{self.path}: {what} {self.code} failed: {self.error}"


@dataclass
class LintResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    rule_errors: list[RuleError] = field(default_factory=list)
    skipped: bool = False  # the text mentions none of the libraries the rules are about
    # A unit (file or notebook cell) that was valid but not analysed, beyond a limit of
    # rules/limits.py, or a notebook cell left out while loading (rules/notices.py). Front
    # ends show them in the user's language; never silence.
    notices: list[Notice] = field(default_factory=list)
    source: Optional[SourceFile] = None
    context: Optional["FileContext"] = None  # kept for front ends that ask more (hover, shapes)
    # Other project files the analysis read (rules/project.py): path -> digest of what it
    # saw ("" for a file that was absent). A cached result is stale when one of them changed.
    deps: dict[str, str] = field(default_factory=dict)


class AnalysisFailed(Exception):
    """A shared analysis raised while being built: the rules that ask for it lose their
    findings for this file, the others do not (the failure is reported once)."""

    def __init__(self, cls: type, error: BaseException) -> None:
        super().__init__(f"analysis {cls.__name__} failed: {type(error).__name__}: {error}")
        self.cls = cls
        self.error = error


class FileContext:
    """What rules may ask about the file being analysed."""

    def __init__(self, source: SourceFile, config: Config, module: cst.Module,
                 unit_modules: list[tuple[SourceUnit, cst.Module]], project: Optional["ProjectIndex"] = None) -> None:
        self.source = source
        self.path = source.path
        self.config = config
        self.lang = config.lang
        self.module = module  # for a notebook: every parsed cell's statements, in order
        self.unit_modules = unit_modules
        self.imports = ImportTable()
        self.imports.scan_statements(module.body)
        self.ancestors: list[cst.CSTNode] = []
        self._analyses: dict[type, Any] = {}
        self.analysis_errors: dict[type, AnalysisFailed] = {}
        self.on_analysis_error: Optional[Callable[[AnalysisFailed, str], None]] = None
        self._positions: dict[int, Any] = {}
        self._unit_of_top: Optional[dict[int, int]] = None
        self.top_of: dict[int, cst.CSTNode] = {}  # id(node) -> its top-level statement (filled by the traversal)
        self.project = project  # the other files of the project (rules/project.py), None: this file alone
        # Code of other project files an analysis follows (a layer class from models/):
        # id(node) -> its file; the adopted roots are kept so that the ids stay theirs.
        self.foreign: dict[int, "ProjectModule"] = {}
        self._adopted: list[cst.CSTNode] = []
        self._foreign_top: dict[int, cst.CSTNode] = {}  # id(node) -> its top-level statement there
        # torch's default float in this file (rules/dtypes.py): float32, or None when the file
        # may change it (torch.set_default_dtype); flow, shapes and PT016/PT022 read it
        self.default_float: Optional[str] = file_default_float(source.text if source is not None else "")

    # ------------------------------------------------------------------ names
    def qualname(self, node: cst.BaseExpression) -> Optional[str]:
        owner = self.foreign.get(id(node)) if self.foreign else None
        return (owner.imports if owner is not None else self.imports).qualname(node)

    def adopt(self, root: cst.CSTNode, owner: "ProjectModule") -> None:
        """Mark another file's code (a class definition) as that file's: its names resolve
        through that file's imports, and nothing is reported at its nodes here."""
        if id(root) in self.foreign:
            return
        self._adopted.append(root)
        # A top-level class or function there: a related location in it is placed by
        # generating that statement alone, not by walking the whole file for its owner.
        top = root if any(stmt is root for stmt in owner.module.body) else None
        stack = [root]
        while stack:
            node = stack.pop()
            self.foreign[id(node)] = owner
            if top is not None:
                self._foreign_top[id(node)] = top
            stack.extend(iter_children(node))

    def is_foreign(self, node: cst.CSTNode) -> bool:
        return bool(self.foreign) and id(node) in self.foreign

    def call_qualname(self, call: cst.Call) -> Optional[str]:
        return self.imports.qualname(call.func)

    @property
    def parent(self) -> Optional[cst.CSTNode]:
        """Parent of the node being visited (valid inside visit_/leave_ handlers)."""
        return self.ancestors[-2] if len(self.ancestors) >= 2 else None

    def code_for(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # ------------------------------------------------------------------ shared analyses
    def analysis(self, cls: Callable[["FileContext"], A]) -> A:
        """A shared analysis (data flow, shapes, …), built once per file on first use."""
        inst = self._analyses.get(cls)  # type: ignore[arg-type]
        if inst is None:
            failed = self.analysis_errors.get(cls)  # type: ignore[arg-type]
            if failed is not None:
                raise failed
            try:
                inst = cls(self)
            except Exception as exc:  # contained here: one broken analysis, not every rule
                failed = AnalysisFailed(cls, exc)  # type: ignore[arg-type]
                self.analysis_errors[cls] = failed  # type: ignore[index]
                if self.on_analysis_error is not None:
                    self.on_analysis_error(failed, traceback.format_exc())
                raise failed from exc
            self._analyses[cls] = inst  # type: ignore[index]
        return inst

    # ------------------------------------------------------------------ positions
    def _unit_positions(self, index: int) -> "UnitPositions":
        pos = self._positions.get(index)
        if pos is None:
            from .positions import UnitPositions

            unit, module = self.unit_modules[index]
            pos = UnitPositions(module, unit.text, self.top_of)
            self._positions[index] = pos
        return pos

    def _unit_index(self, node: cst.CSTNode) -> Optional[int]:
        """Which unit holds the node, from its top-level statement (no search: a notebook
        of 20,000 cells must not try every cell for every finding)."""
        if self._unit_of_top is None:
            self._unit_of_top = {id(stmt): i for i, (_, m) in enumerate(self.unit_modules) for stmt in m.body}
        top = self.top_of.get(id(node))
        return self._unit_of_top.get(id(top)) if top is not None else None

    def locate(self, node: cst.CSTNode) -> tuple[Optional[int], Range]:
        """(cell, range) of a node; only the top-level statement holding it is placed."""
        index = self._unit_index(node) if len(self.unit_modules) > 1 else 0
        candidates = [index] if index is not None else range(len(self.unit_modules))
        for i in candidates:
            r = self._unit_positions(i).get(node)
            if r is not None:
                unit = self.unit_modules[i][0]
                return unit.cell, _real_range(unit, r)
        if index is not None:  # the index was wrong (a node the traversal did not record): search
            for i in range(len(self.unit_modules)):
                r = self._unit_positions(i).get(node)
                if r is not None:
                    unit = self.unit_modules[i][0]
                    return unit.cell, _real_range(unit, r)
        raise KeyError("node not in this file")

    def range_of(self, node: cst.CSTNode) -> Range:
        return self.locate(node)[1]

    def locate_foreign(self, node: cst.CSTNode) -> Optional[tuple[str, Range]]:
        """(path, range) of a node of another project file, the path written like this
        file's own (``models/blocks.py`` beside ``train.py``); None for this file's nodes."""
        owner = self.foreign.get(id(node)) if self.foreign else None
        if owner is None:
            return None
        pos = _positions_of(owner)
        top = self._foreign_top.get(id(node))
        if top is not None:
            pos.top_of[id(node)] = top  # a fact of that file's tree, whoever adopted it
        r = pos.get(node)
        if r is None:
            return None
        return _path_beside(self.path, owner.path), Range(Position(r.start.line, r.start.column),
                                                          Position(r.end.line, r.end.column))


# Positions in other project files, kept while the parsed file is (rules/project.py keeps
# parsed files between analyses): an editor re-checking train.py on every keystroke anchors
# models/blocks.py's statements once, not once per analysis. Two analyses placing the same
# node at once compute the same ranges, so the lock guards only the table.
_FOREIGN_POSITIONS: "weakref.WeakKeyDictionary[ProjectModule, UnitPositions]" = weakref.WeakKeyDictionary()
_FOREIGN_LOCK = threading.Lock()


def _positions_of(owner: "ProjectModule") -> "UnitPositions":
    from .positions import UnitPositions

    with _FOREIGN_LOCK:
        pos = _FOREIGN_POSITIONS.get(owner)
        if pos is None:
            # Anchored on the file's text, only the statement holding a node is generated.
            pos = UnitPositions(owner.module, owner.text, {})
            _FOREIGN_POSITIONS[owner] = pos
        return pos


def _path_beside(here: str, other: str) -> str:
    """``other`` (absolute, links resolved) written relative to where ``here`` is written
    relative to: ``train.py`` and /p/models/blocks.py give ``models/blocks.py``."""
    try:
        rel = os.path.relpath(other, os.path.dirname(os.path.realpath(here)))
    except ValueError:  # another drive (Windows): only the absolute path names it
        return other
    return os.path.normpath(os.path.join(os.path.dirname(here), rel))


def _real_range(unit: SourceUnit, r) -> Range:
    """A range in the unit's parsed text, placed in its real text (a dedented cell)."""
    return Range(Position(r.start.line, unit.real_column(r.start.line, r.start.column)),
                 Position(r.end.line, unit.real_column(r.end.line, r.end.column)))


class _Dispatcher(cst.CSTVisitor):
    def __init__(self, ctx: FileContext, rules: list[Rule], on_error: Callable[[Rule, BaseException], None]) -> None:
        super().__init__()
        self.ctx = ctx
        self.on_error = on_error
        self.visit: dict[str, list[tuple[Rule, Callable]]] = {}
        self.leave: dict[str, list[tuple[Rule, Callable]]] = {}
        for rule in rules:
            for name in rule._handlers:
                kind, _, node_type = name.partition("_")
                table = self.visit if kind == "visit" else self.leave
                table.setdefault(node_type, []).append((rule, getattr(rule, name)))
        self.dead: set[int] = set()
        self.top: Optional[cst.CSTNode] = None
        self.rules = rules
        # Token subtrees are not visited while no rule handles a token type (see
        # _TOKEN_TYPES); one that does may be nested in any other (a comment in the
        # whitespace after a comma), so then every node is visited.
        asked = any(t.__name__ in self.visit or t.__name__ in self.leave for t in _TOKEN_TYPES)
        self.skip = frozenset() if asked else _TOKEN_TYPES
        # How many reports each rule had when the current top-level statement began: a
        # rule that raises keeps what it found in the statements before (complete and
        # consistent) and loses only the failing statement's and later ones.
        self.marks: dict[int, int] = {}

    def fail(self, rule: Rule, exc: BaseException) -> None:
        self.dead.add(id(rule))
        del rule.reports[self.marks.get(id(rule), 0):]
        if not isinstance(exc, AnalysisFailed):  # that one is reported once, by FileContext
            self.on_error(rule, exc)

    def _call(self, handlers: list[tuple[Rule, Callable]], node: cst.CSTNode) -> None:
        for rule, fn in handlers:
            if id(rule) in self.dead:
                continue
            try:
                fn(node)
            except Exception as exc:  # a broken rule must not take the others down
                self.fail(rule, exc)

    def on_visit(self, node: cst.CSTNode) -> bool:
        ancestors = self.ctx.ancestors
        ancestors.append(node)
        # Remember each node's top-level statement, so that placing a reported node
        # later regenerates only that statement (see positions.py).
        depth = len(ancestors)
        if depth == 2:
            self.top = node
            self.marks = {id(r): len(r.reports) for r in self.rules if id(r) not in self.dead}
        if depth >= 2:
            self.ctx.top_of[id(node)] = self.top
        name = type(node).__name__
        if name == "Import":
            self.ctx.imports.add_import(node)  # type: ignore[arg-type]
        elif name == "ImportFrom":
            self.ctx.imports.add_import_from(node)  # type: ignore[arg-type]
        handlers = self.visit.get(name)
        if handlers:
            self._call(handlers, node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        handlers = self.leave.get(type(original_node).__name__)
        if handlers:
            self._call(handlers, original_node)
        self.ctx.ancestors.pop()


# ---------------------------------------------------------------------- traversal
# Whitespace, comments, commas, dots, brackets and operator tokens: about two thirds of
# the nodes of a typical file, and nothing in them but more of the same. The traversal
# does not visit them unless a rule asks for one of these types; a finding placed on one
# is still located (positions.py finds the statement of a node the traversal skipped).
def _token_types() -> frozenset:
    import inspect

    import libcst._nodes.op as op_nodes
    import libcst._nodes.whitespace as whitespace_nodes

    found = {cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
             cst.LeftCurlyBrace, cst.RightCurlyBrace}
    for module in (op_nodes, whitespace_nodes):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, cst.CSTNode) and cls.__module__ == module.__name__ and not inspect.isabstract(cls):
                found.add(cls)
    return frozenset(found)


_TOKEN_TYPES = _token_types()


def _walk(root: cst.CSTNode, dispatcher: "_Dispatcher") -> None:
    # An explicit stack: a deep tree that CPython accepts (and nesting.py lets through)
    # must not run into Python's recursion limit. Same order as the recursive walk.
    skip = dispatcher.skip
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            dispatcher.on_leave(node)
            continue
        descend = dispatcher.on_visit(node)
        stack.append((node, True))
        if descend:
            stack.extend([(child, False) for child in reversed(iter_children(node)) if type(child) not in skip])


def mentions_relevant(text: str, rules: Iterable[type[Rule]]) -> bool:
    words = {w for r in rules for w in r.mentions}
    return any(w in text for w in words)


def enabled_rules(config: Config, path: Optional[str] = None) -> list[type[Rule]]:
    return [r for code, r in all_rules().items() if code != SYNTAX_CODE and config.is_enabled(code, path)]


def _syntax_location(exc: cst.ParserSyntaxError, text: str) -> tuple[int, int, str]:
    """CPython's own parser gives far better places and messages ("'(' was never
    closed", "expected ':'") than libcst's; use it when it agrees the code is broken."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as se:
        line = se.lineno or 1
        col = max((se.offset or 1) - 1, 0)
        return line, col, se.msg
    except (ValueError, RecursionError, MemoryError):
        pass
    return exc.raw_line, max(exc.raw_column, 0), exc.message


def _refusal_finding(refusal: "nesting.Refusal", path: str, unit: SourceUnit, config: Config) -> Finding:
    from .catalog.pt000_syntax_error import SyntaxErrorRule

    zh, en = SyntaxErrorRule.message.format(detail=refusal.message)
    start = Position(refusal.line, refusal.column)
    return Finding(
        code=SYNTAX_CODE, rule_name=SyntaxErrorRule.name, message_zh=zh, message_en=en,
        range=Range(start, Position(refusal.line, refusal.column + 1)),
        severity=config.severity_for(SYNTAX_CODE, SyntaxErrorRule.severity), path=path, cell=unit.cell,
    )


def _syntax_finding(exc: cst.ParserSyntaxError, path: str, unit: SourceUnit, config: Config) -> Finding:
    from .catalog.pt000_syntax_error import SyntaxErrorRule

    line, col, detail = _syntax_location(exc, unit.text)
    lines = unit.text.splitlines() or [""]
    if line > len(lines):
        line, col = len(lines), len(lines[-1])
    col = min(col, len(lines[line - 1])) if lines else 0
    zh, en = SyntaxErrorRule.message.format(detail=detail)
    return Finding(
        code=SYNTAX_CODE, rule_name=SyntaxErrorRule.name, message_zh=zh, message_en=en,
        range=Range(Position(line, col), Position(line, col + 1)),
        severity=config.severity_for(SYNTAX_CODE, SyntaxErrorRule.severity), path=path, cell=unit.cell,
    )


def _shared_key(source: SourceFile) -> Optional[tuple]:
    """The project cache's key for this file's parse (rules/project.py), None: not shared."""
    if source.kind != "python" or len(source.units) != 1:
        return None  # notebooks: the project index never reads them (no import needed here)
    from .project import shared_key

    return shared_key(source)


def _parse_unit(unit: SourceUnit, shared: Optional[tuple]) -> cst.Module:
    """libcst's parse of a unit, or the one a project index already made of the same
    content (an importing file looked into it): one parse per file and content in a process."""
    if shared is None:
        return cst.parse_module(unit.text)
    from .project import PARSED

    return PARSED.module(shared, unit.text)


def lint_source(source: SourceFile, config: Config, *, rules: Optional[list[type[Rule]]] = None,
                keep_context: bool = False, project: Optional["ProjectIndex"] = None) -> LintResult:
    """Analyse one file (or notebook). Never raises for bad user code. ``project``: the
    other files it may import from; by default the project of a file on disk."""
    path = source.path
    result = LintResult(path, source=source)
    result.notices.extend(source.notes)  # notebook cells left out while loading
    selected = rules if rules is not None else enabled_rules(config, path)
    syntax_on = config.is_enabled(SYNTAX_CODE, path)
    relevant = mentions_relevant(source.text, selected) or (syntax_on and "torch" in source.text)
    if not relevant:
        result.skipped = True
        return result
    if source.encoding_error is not None:  # CPython stops before reading a line of it
        if syntax_on:
            result.findings.append(_refusal_finding(nesting.Refusal(1, 0, source.encoding_error, True),
                                                    path, source.units[0], config))
        return result
    tokens = sum(nesting.count_tokens(u.text, MAX_TOKENS // max(len(source.units), 1)) for u in source.units)
    if tokens > MAX_TOKENS:  # libcst's memory grows with the tokens: bounded, and said so
        result.notices.append(notices.too_large(path, tokens, MAX_TOKENS))
        return result
    unit_modules: list[tuple[SourceUnit, cst.Module]] = []
    shared = _shared_key(source)
    for unit in source.units:
        refusal = nesting.check(unit.text)  # libcst would crash or blow up on it
        if refusal is not None:
            if refusal.syntax_error:
                if syntax_on:
                    result.findings.append(_refusal_finding(refusal, path, unit, config))
            else:
                result.notices.append(notices.too_deep(path, unit.cell, refusal.line, refusal.depth,
                                                       MAX_EXPRESSION_DEPTH))
            continue
        try:
            unit_modules.append((unit, _parse_unit(unit, shared)))
        except cst.ParserSyntaxError as exc:
            if nesting.cpython_verdict(unit.text) is None:
                # libcst refuses a few things CPython accepts: valid Python, so not a
                # syntax error, but not analysed either.
                result.notices.append(notices.libcst_only(path, unit.cell))
            elif syntax_on:
                result.findings.append(_syntax_finding(exc, path, unit, config))
        except RecursionError:
            result.notices.append(notices.parser_recursion(path, unit.cell))
    if not unit_modules:
        return result
    if len(unit_modules) == 1:
        module = unit_modules[0][1]
    else:
        first = unit_modules[0][1]
        module = first.with_changes(body=[s for _, m in unit_modules for s in m.body], header=(), footer=())

    if project is None and source.kind != "notebook":
        from .project import ProjectIndex

        project = ProjectIndex.for_file(path, config.root)
    if project is not None and shared is not None:
        project.analysing(module)  # the cache's module: an import cycle back here gets a copy
    ctx = FileContext(source, config, module, unit_modules, project)
    if keep_context:
        result.context = ctx
    def on_error(rule: Rule, exc: BaseException) -> None:
        err = RuleError(rule.code, path, f"{type(exc).__name__}: {exc}", traceback.format_exc())
        result.rule_errors.append(err)
        log.error("%s", err)

    def on_analysis_error(failed: AnalysisFailed, tb: str) -> None:
        err = RuleError(failed.cls.__name__, path, f"{type(failed.error).__name__}: {failed.error}", tb)
        result.rule_errors.append(err)
        log.error("%s", err)

    ctx.on_analysis_error = on_analysis_error
    instances = []
    for r in selected:
        try:
            rule = r(ctx)
            if rule.active:
                instances.append(rule)
        except Exception as exc:  # a rule whose set-up raises is left out, the others run
            on_error(r, exc)  # type: ignore[arg-type]  # only its code is read

    dispatcher = _Dispatcher(ctx, instances, on_error)
    _walk(module, dispatcher)
    for rule in instances:
        if id(rule) not in dispatcher.dead:
            dispatcher.marks[id(rule)] = len(rule.reports)
            try:
                rule.finish()
            except Exception as exc:
                dispatcher.fail(rule, exc)

    suppressions = _LazySuppressions(unit_modules)
    for rule in instances:
        for rep in rule.reports:
            if ctx.is_foreign(rep.node):
                continue  # another project file's code: that file's own analysis speaks for it
            try:
                finding = _to_finding(rep, ctx, config)
            except Exception as exc:  # a report against a node we cannot place
                on_error(rule, exc)
                break
            sup = suppressions.get(finding.cell)
            if sup and sup.suppressed(finding.code, finding.range.start.line, finding.range.end.line):
                continue
            result.findings.append(finding)
    result.findings.sort(key=lambda f: (f.cell or 0, f.line, f.column, f.code))
    # One finding per (code, place): two paths to the same conclusion are one problem.
    unique, seen = [], set()
    for f in result.findings:
        key = (f.code, f.cell, f.range)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    result.findings = _drop_superseded(unique, instances)
    if project is not None:
        result.deps = dict(project.reads)
    return result


def _drop_superseded(findings: list[Finding], rules: list[Rule]) -> list[Finding]:
    by_code = {r.code: r.supersedes for r in rules if r.supersedes}
    if not by_code:
        return findings
    covered = {(code, f.cell, f.range.start) for f in findings for code in by_code.get(f.code, ())}
    return [f for f in findings if (f.code, f.cell, f.range.start) not in covered]


class _LazySuppressions:
    """noqa / disable comments, read only when some rule reported something. In a
    notebook a ``disable-file`` comment in any cell covers every cell."""

    def __init__(self, unit_modules: list[tuple[SourceUnit, cst.Module]]) -> None:
        self._units = [u for u, _ in unit_modules]
        self._by_cell: Optional[dict[Optional[int], Suppressions]] = None

    def get(self, cell: Optional[int]) -> Optional[Suppressions]:
        if self._by_cell is None:
            self._by_cell = {u.cell: Suppressions.from_text(u.real_text) for u in self._units}
            if len(self._by_cell) > 1:
                file_wide = set().union(*(s.file for s in self._by_cell.values()))
                for s in self._by_cell.values():
                    s.file |= file_wide
        return self._by_cell.get(cell)


def _to_finding(rep: Report, ctx: FileContext, config: Config) -> Finding:
    cell, rng = ctx.locate(rep.node)
    related = []
    for rel in rep.related:
        if ctx.is_foreign(rel.node):
            # Another project file's code (the layer in models/blocks.py): a link into it.
            where = ctx.locate_foreign(rel.node)
            if where is not None:
                related.append(RelatedLocation(where[1], rel.message_zh, rel.message_en, path=where[0]))
            continue
        rcell, rrange = ctx.locate(rel.node)
        related.append(RelatedLocation(rrange, rel.message_zh, rel.message_en, rcell))
    fix = _resolve_fix(rep.fix, ctx, cell) if rep.fix else None
    alt_fixes = tuple(a for a in (_resolve_fix(s, ctx, cell) for s in rep.alt_fixes) if a is not None)
    return Finding(
        code=rep.rule.code,
        rule_name=rep.rule.name,
        message_zh=rep.message_zh,
        message_en=rep.message_en,
        range=rng,
        severity=config.severity_for(rep.rule.code, rep.severity),
        path=ctx.path,
        cell=cell,
        related=tuple(related),
        fix=fix,
        alt_fixes=alt_fixes,
        extra=rep.extra,
    )


def _resolve_fix(spec: FixSpec, ctx: FileContext, cell: Optional[int]) -> Optional[Fix]:
    from .astutil import comment_block_start

    edits = []
    for e in spec.edits:
        if ctx.is_foreign(e.stmt if isinstance(e, InsertStatementBefore) else e.node):
            return None  # fixes edit only the file reported on
        if isinstance(e, Replace):
            ecell, r = ctx.locate(e.node)
            text = e.new if isinstance(e.new, str) else ctx.code_for(e.new)
            edits.append(TextEdit(r, text))
        elif isinstance(e, InsertBefore):
            ecell, r = ctx.locate(e.node)
            edits.append(TextEdit(Range(r.start, r.start), e.text))
        elif isinstance(e, InsertAfter):
            ecell, r = ctx.locate(e.node)
            edits.append(TextEdit(Range(r.end, r.end), e.text))
        elif isinstance(e, InsertStatementBefore):
            ecell, r = ctx.locate(e.stmt)
            indent = " " * r.start.column
            unit = next((u for u, _ in ctx.unit_modules if u.cell == ecell), None)
            line = comment_block_start(unit.text, r.start.line, indent) if unit is not None else r.start.line
            start = Position(line, 0)  # above the comments that describe the statement
            edits.append(TextEdit(Range(start, start), f"{indent}{e.code}{ctx.source.newline}"))
        else:  # pragma: no cover - a new EditSpec kind without support here
            raise TypeError(f"unknown edit {e!r}")
        if ecell != cell:
            return None  # fixes never span notebook cells
        if any(u.dedent for u, _ in ctx.unit_modules if u.cell == ecell):
            return None  # new code would carry the dedented cell's indentation, not the real one
    return Fix(tuple(edits), spec.safety, spec.title_zh, spec.title_en)


def lint_text(text: str, path: str = "<stdin>", config: Optional[Config] = None, *,
              notebook: bool = False, keep_context: bool = False) -> LintResult:
    """Convenience for tests, stdin and the LSP: lint text that is not on disk."""
    config = config or Config()
    try:
        source = source_from_text(text, path, notebook=notebook)
    except Exception:
        raise
    return lint_source(source, config, keep_context=keep_context)
