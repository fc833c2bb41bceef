"""The typed entry point for front ends: ``analyse(source, config) -> FileReport``.

The CLI, the language server and the runtime probe read one file's results from
here: findings, notices, shape facts per expression (hover, inlay hints), the
models' shape documents (``ptlint shapes`` JSON v1, docs/shapes.md) and the typed
probe requests of the findings (``rules/probe_requests.py``). It runs the engine
(``engine.lint_source``) once and reads the shared analyses through their public
queries; front ends never reach into the engine's context.

Nothing here imports torch."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

from .config import Config
from .engine import AnalysisFailed, LintResult, RuleError, lint_source
from .findings import Finding, Position, Range
from .notices import Notice
from .probe_requests import ProbeRequest, requests_for
from .source import SourceFile, source_from_text

if TYPE_CHECKING:
    from .engine import FileContext
    from .names import ImportTable
    from .project import ProjectIndex
    from .rule import Rule

SHAPES_VERSION = 1  # the version of the shapes JSON document (docs/shapes.md)


@dataclass(frozen=True)
class ShapeFact:
    """One expression whose shape the analysis computed."""

    range: Range  # in the coordinates of its unit (the file, or its notebook cell)
    cell: Optional[int]
    dims: tuple[Any, ...]  # the best shape: ints, symbols such as "N", None where unknown
    shapes: tuple[tuple[Any, ...], ...]  # every distinct shape (a block used twice may see two)
    text: str  # as people read it: "(N, 16, 8, 8)", or a tuple result's nesting
    code: str  # the expression, shortened
    formula: Optional[str] = None  # how a conv / pool output size was computed
    model: Optional[str] = None  # the model whose forward computed it
    inlay: Optional[Position] = None  # where an inlay hint goes; None: hover only


@dataclass(frozen=True)
class FileReport:
    """Everything a front end reads about one analysed file."""

    path: str
    findings: tuple[Finding, ...] = ()
    # Units (file or cell) that were not analysed, and why (rules/notices.py): shown, never
    # silent; ``notice_lines(lang)`` gives them as one line each.
    notices: tuple[Notice, ...] = ()
    errors: tuple[RuleError, ...] = ()  # a rule or shared analysis that raised
    skipped: bool = False  # the text mentions none of the libraries the rules are about
    shape_facts: tuple[ShapeFact, ...] = ()
    models: tuple[Mapping[str, Any], ...] = ()  # shapes JSON v1 model objects, in source order
    model_names: tuple[str, ...] = ()  # every model found, also when ``models`` is one of them
    # Index into ``findings`` -> the request that lets the runtime probe check it.
    probe_requests: Mapping[int, ProbeRequest] = field(default_factory=dict)
    imports: Optional["ImportTable"] = field(default=None, compare=False)  # names of the parse (API hover)
    source: Optional[SourceFile] = field(default=None, compare=False)

    def notice_lines(self, lang: str = "zh") -> tuple[str, ...]:
        """The notices as the CLI prints them (``path: place: reason``), in ``lang``."""
        return tuple(n.text(lang) for n in self.notices)

    def shapes_document(self) -> dict[str, Any]:
        """The ``ptlint shapes --format json`` document (contract v1)."""
        return {"version": SHAPES_VERSION, "path": self.path, "models": [dict(m) for m in self.models]}


def analyse(source: Union[str, SourceFile], config: Optional[Config] = None, *, path: str = "<stdin>",
            notebook: bool = False, rules: Optional[Sequence[type["Rule"]]] = None,
            input_shape: Optional[Sequence[Any]] = None, model: Optional[str] = None,
            facts: bool = True, models: bool = False, project: Optional["ProjectIndex"] = None) -> FileReport:
    """Analyse one file (text, or a loaded :class:`SourceFile`). Never raises for bad
    user code. ``rules``: only these (default: the config's enabled rules);
    ``input_shape``: the models' input, overriding what the file says; ``facts``: shape
    facts for hover and inlay hints; ``models``: the shape documents (only ``model``'s);
    ``project``: the files it may import from (default: the engine's, for a file on disk)."""
    src = source if isinstance(source, SourceFile) else source_from_text(source, path, notebook=notebook)
    result = lint_source(src, config or Config(), rules=list(rules) if rules is not None else None,
                         keep_context=True, project=project)
    return report_of(result, facts=facts, models=models, input_shape=input_shape, model=model)


def report_of(result: LintResult, *, facts: bool = True, models: bool = False,
              input_shape: Optional[Sequence[Any]] = None, model: Optional[str] = None) -> FileReport:
    """The report of an engine run that kept its context (``keep_context=True``)."""
    ctx = result.context
    shape_facts: tuple[ShapeFact, ...] = ()
    docs: tuple[Mapping[str, Any], ...] = ()
    names: tuple[str, ...] = ()
    if ctx is not None and (facts or models):
        analysis = _shape_analysis(ctx, result, input_shape)
        if analysis is not None:
            if facts:
                shape_facts = _facts_of(analysis, ctx)
            if models:
                from .shapes.report import build_report

                docs = tuple(build_report(analysis, result.path, model=model)["models"])
                names = tuple(m.name for m in analysis.models)
    findings = tuple(result.findings)
    return FileReport(
        path=result.path, findings=findings, notices=tuple(result.notices), errors=tuple(result.rule_errors),
        skipped=result.skipped, shape_facts=shape_facts, models=docs, model_names=names,
        probe_requests=requests_for(findings), imports=ctx.imports if ctx is not None else None,
        source=result.source)


def shape_facts(ctx: "FileContext") -> tuple[ShapeFact, ...]:
    """The shape facts of a file the engine analysed with ``keep_context=True``. A
    failing shape analysis raises :class:`AnalysisFailed` (the caller says so)."""
    from .shapes import ShapeAnalysis

    return _facts_of(ctx.analysis(ShapeAnalysis), ctx)


def _shape_analysis(ctx: "FileContext", result: LintResult, input_shape: Optional[Sequence[Any]]):
    from .shapes import Shape, ShapeAnalysis

    if input_shape is None:
        try:
            return ctx.analysis(ShapeAnalysis)  # shared with the rules that asked for it already
        except AnalysisFailed:  # already in result.rule_errors, through the engine's callback
            return None
    import traceback

    shape = input_shape if isinstance(input_shape, Shape) else Shape(tuple(input_shape))
    try:
        return ShapeAnalysis(ctx, input_shape=shape)
    except Exception as exc:  # one broken analysis: the findings still come out
        result.rule_errors.append(RuleError(ShapeAnalysis.__name__, result.path, f"{type(exc).__name__}: {exc}",
                                            traceback.format_exc()))
        return None


def _facts_of(analysis: Any, ctx: "FileContext") -> tuple[ShapeFact, ...]:
    """The shape trace's facts (models' forward passes, with formulas and inlay hints), then
    the flow's literal tensor shapes at the places the trace says nothing about."""
    out = []
    for d in analysis.shape_facts():
        inlay = d.get("inlay")
        out.append(ShapeFact(
            range=Range.from_dict(d["range"]), cell=d.get("cell"), dims=tuple(d["dims"]),
            shapes=tuple(tuple(s) for s in d.get("shapes") or ()), text=d["text"], code=d.get("code", ""),
            formula=d.get("formula"), model=d.get("model"), inlay=Position(**inlay) if inlay else None))
    taken = {(f.cell, f.range) for f in out}
    merged = out + [f for f in _flow_facts(ctx) if (f.cell, f.range) not in taken]
    merged.sort(key=lambda f: (f.cell or 0, f.range.start.line, f.range.start.column))
    return tuple(merged)


def _flow_facts(ctx: "FileContext") -> list[ShapeFact]:
    from .flow import FlowAnalysis, shape_str
    from .shapes.analysis import short_code

    flow = ctx.analysis(FlowAnalysis)
    if flow.error is not None:
        return []  # already reported by the rules that asked for it
    out = []
    for node, value in flow.literal_tensors():
        try:
            cell, rng = ctx.locate(node)
        except KeyError:  # a node of another project file (a cross-file summary)
            continue
        dims = tuple(d.coef for d in value.shape)
        out.append(ShapeFact(range=rng, cell=cell, dims=dims, shapes=(dims,), text=shape_str(value.shape),
                             code=short_code(ctx, node)))
    return out


__all__ = ["FileReport", "SHAPES_VERSION", "ShapeFact", "analyse", "report_of", "shape_facts"]
