"""Do the two interpreters agree on real code? (issue 12: one value model)

``rules/flow`` (data flow: dtypes, layouts, storage) and ``rules/shapes`` (the layer shapes of
PT005/PT006 and ``ptlint shapes``) both compute tensor shapes. They share the size model and
the shape arithmetic (``rules/size_product.py``, ``rules/shape_arith.py``) but still walk the
file separately. This harness runs both over every ``--every``-th file of the extracted
precision corpus (``bench/.work/precision``, made by ``bench/bench_precision.py``) and, for
every expression that both give one fully literal tensor shape, compares the two; the same
for the dtypes both know exactly (``rules/dtypes.py`` names). Each disagreement is a bug in
one of them; it is listed with its place so it can be read.

    .venv/bin/python bench/bench_agreement.py --every 2
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import libcst as cst

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "bench" / ".work" / "precision"
OUT = ROOT / "bench" / "results" / "agreement.md"
_LITERAL = re.compile(r"^\((\d+(?:, \d+)*)?,?\)$")
_NODE_TYPES = (cst.Call, cst.Subscript, cst.BinaryOperation)
_COUNTS = ("flow", "shapes", "dtypes", "dtypes_differ", "sites", "problems", "problems_same", "drops", "drops_same",
           "drops_shapes_only", "errors_shapes_only")


def literal_shape(text: str | None) -> tuple[int, ...] | None:
    m = _LITERAL.match(text or "")
    if not m:
        return None
    return tuple(int(p) for p in m.group(1).split(", ")) if m.group(1) else ()


def flow_literal(value) -> tuple[int, ...] | None:
    if value.shape is None or not all(d.is_int for d in value.shape):
        return None
    return tuple(d.coef for d in value.shape)


def flow_site_literal(flow, node) -> tuple[int, ...] | None:
    """Inside a function or a model's ``forward``: the one literal shape every call-site
    pass of flow gives ``node`` (what shapes computes per call of a model), else None."""
    shapes = {flow_literal(site.value_of(node)) for site in flow.call_sites(node)}
    return shapes.pop() if len(shapes) == 1 else None


def compare_file(path: Path) -> tuple[int, list[tuple], dict[str, int]]:
    """(shapes compared, disagreements, counts): ``counts`` holds ``flow`` / ``shapes`` (a
    literal shape known to that one only) and ``dtypes`` / ``dtypes_differ`` (exact dtypes
    both know, and how many differ; those are listed in the disagreements too)."""
    from ptlint.rules import Config
    from ptlint.rules.dtypes import EXACT
    from ptlint.rules.engine import FileContext
    from ptlint.rules.flow import FlowAnalysis
    from ptlint.rules.node_index import NodeIndex
    from ptlint.rules.shapes import ShapeAnalysis
    from ptlint.rules.source import SourceError, load_source

    try:
        source = load_source(path)
    except SourceError:
        return 0, [], {}  # a broken notebook: nothing for either interpreter
    units = []
    for unit in source.units:
        try:
            units.append((unit, cst.parse_module(unit.text)))
        except Exception:
            return 0, [], {}
    if not units or "torch" not in "".join(u.text for u, _ in units):
        return 0, [], {}
    module = units[0][1] if len(units) == 1 else cst.Module(body=[s for _, m in units for s in m.body])
    ctx = FileContext(source, Config(), module, units)
    try:
        flow = ctx.analysis(FlowAnalysis).check()
        shapes = ctx.analysis(ShapeAnalysis)
    except Exception:
        return 0, [], {}
    compared, differ = 0, []
    alone = dict.fromkeys(_COUNTS, 0)
    todo: list[cst.CSTNode] = [m for _, m in units]
    while todo:
        node = todo.pop()
        todo.extend(node.children)
        if not isinstance(node, _NODE_TYPES):
            continue
        value = flow.value_of(node)
        kinds = shapes.dtypes_of(node)
        if len(kinds) == 1 and kinds[0] in EXACT and value.dtype in EXACT:
            alone["dtypes"] += 1
            if kinds[0] != value.dtype:
                alone["dtypes_differ"] += 1
                differ.append((shapes.line_of(node) or 0, _code(units, node), value.dtype, kinds[0]))
        texts = shapes.shapes_of(node)
        theirs = literal_shape(texts[0]) if len(texts) == 1 else None
        ours = flow_literal(value)
        if ours is None and theirs is not None:
            ours = flow_site_literal(flow, node)
            alone["sites"] += ours is not None
        if theirs is None or ours is None:
            if (theirs is None) != (ours is None) and not texts[1:]:
                alone["flow" if theirs is None else "shapes"] += 1
            continue
        compared += 1
        if ours != theirs:
            differ.append((shapes.line_of(node) or 0, _code(units, node), ours, theirs))
    alone["shapes_only_places"] = _compare_layer_facts(flow, shapes, units, alone, differ, ctx.analysis(NodeIndex))
    return compared, differ, alone


def _compare_layer_facts(flow, shapes, units, alone: dict, differ: list, index) -> list[tuple]:
    """Layer calls that raise (PT005's layer problems) and windows that drop rows (PT006):
    each one flow finds, is it one shapes reports? A shapes error sits on the number to
    change or on the call, with the call and the layer as related places, so a flow problem
    matches when its call or its layer's constructor is among the error's places, or holds one
    (the number to change, in a pipeline's layer). Drops are
    reported at the layer call in both. Returns the (line, code, what) of the drops and
    forward-pass errors shapes reports and flow does not find: the inputs flow still lacks."""
    placed = set()
    for err in shapes.errors:
        placed.add(err.node)
        placed.update(n for n, _, _ in err.related)
        if err.defined is not None:
            placed.add(err.defined)
    for c in flow.layer_problems():
        if c.outcome.problem.symbolic:
            continue
        alone["problems"] += 1
        if c.node in placed or c.layer in placed or any(index.encloses(c.layer, n) for n in placed if n is not None):
            alone["problems_same"] += 1
        else:
            differ.append((shapes.line_of(c.node) or 0, _code(units, c.node), "raises", "no error"))
    # shapes reports a drop at the layer call, or at the layer of a pipeline it ran
    drop_places = [{d.node, *(n for n, _, _ in d.related)} for d in shapes.drops]
    dropped_at = set().union(*drop_places)
    flow_drops = {c.node: c for c in flow.layer_drops()}
    for node, c in flow_drops.items():
        alone["drops"] += 1
        if node in dropped_at or c.layer in dropped_at:
            alone["drops_same"] += 1
        else:
            differ.append((shapes.line_of(node) or 0, _code(units, node), "drops rows", "no drop"))
    flow_places = set(flow_drops) | {c.layer for c in flow_drops.values()}
    shapes_only = [(shapes.line_of(d.node) or 0, _code(units, d.node), "drop")
                   for d, places in zip(shapes.drops, drop_places) if not places & flow_places]
    flow_raising = {c.node for c in flow.layer_problems()} | {c.layer for c in flow.layer_problems()}

    def found_by_flow(err) -> bool:
        places = {err.node, err.defined, *(n for n, _, _ in err.related)} - {None}
        return bool(places & flow_raising) or any(index.encloses(c.layer, n) for c in flow.layer_problems() for n in places)

    shapes_only += [(shapes.line_of(err.node) or 0, _code(units, err.node), "error")
                    for err in shapes.errors if err.kind == "forward" and not found_by_flow(err)]
    alone["drops_shapes_only"] += sum(1 for *_, what in shapes_only if what == "drop")
    alone["errors_shapes_only"] += sum(1 for *_, what in shapes_only if what == "error")
    return shapes_only


def _code(units: list, node: cst.CSTNode) -> str:
    code = units[0][1].code_for_node(node) if len(units) == 1 else "<cell>"
    return code.strip().replace("\n", " ")[:80]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=2, help="take every N-th file of the corpus")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not CORPUS.exists():
        print(f"{CORPUS} is missing: run bench/bench_precision.py first", file=sys.stderr)
        return 2
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".py", ".ipynb") and p.is_file())[:: args.every]
    started = time.perf_counter()
    total, rows, alone, shapes_only = 0, [], dict.fromkeys(_COUNTS, 0), []
    for path in files:
        compared, differ, only = compare_file(path)
        total += compared
        shapes_only.extend((path.relative_to(CORPUS), *place) for place in only.pop("shapes_only_places", ()))
        for k, n in only.items():
            alone[k] += n
        rows.extend((path.relative_to(CORPUS), *d) for d in differ)
    seconds = time.perf_counter() - started
    layer_differ = (alone["problems"] - alone["problems_same"]) + (alone["drops"] - alone["drops_same"])
    agree = total - (len(rows) - alone["dtypes_differ"] - layer_differ)
    lines = [
        "# Flow and shapes: the same shape for the same expression",
        "",
        f"`bench/bench_agreement.py --every {args.every}`: {len(files)} files of the precision corpus, "
        f"{seconds:.0f} s. Expressions (calls, subscripts, operators) that both interpreters give one "
        f"fully literal tensor shape: **{total}**; the same shape: **{agree}**"
        + (f" ({100 * agree / total:.1f}%)" if total else "") + f"; different: **{total - agree}**.",
        f"Of those, {alone['sites']} flow knows only in a call-site pass (a helper's body or a model's "
        "`forward` run for one call, with that call's arguments), where shapes follows the call too.",
        "",
        f"Expressions both give an exact dtype (`float32`, `int64`, …): **{alone['dtypes']}**; "
        f"different: **{alone['dtypes_differ']}**.",
        "",
        f"Known (literal) to one of them only: flow {alone['flow']}, shapes {alone['shapes']} expressions "
        "(not disagreements: the other stays unknown, which silences its rules).",
        "",
        f"Layer calls that raise in flow's passes (the transfer functions' `Problem`: PT005's facts): "
        f"**{alone['problems']}**, of which shapes reports **{alone['problems_same']}**. Conv and pooling "
        f"calls whose window drops input rows (PT006's facts): **{alone['drops']}**, of which shapes "
        f"reports **{alone['drops_same']}**. Reported by shapes and not found by flow: {alone['drops_shapes_only']} "
        f"drops, {alone['errors_shapes_only']} forward-pass errors (not disagreements: shapes knows inputs flow "
        "does not, such as input comments, dataset samples, `torchsummary`, and checks more than layer calls).",
        "",
    ]
    if rows:
        lines += ["Disagreements (shape or dtype):", "",
                  "| file | line | expression | flow | shapes |", "|---|---|---|---|---|"]
        for rel, line, code, ours, theirs in rows[:60]:
            lines.append(f"| {rel} | {line} | `{code.replace('|', '/')}` | {ours} | {theirs} |")
        lines.append("")
    if shapes_only:
        lines += ["Drops and forward-pass errors only shapes finds (the inputs flow does not know yet):", "",
                  "| file | line | call | fact |", "|---|---|---|---|"]
        for rel, line, code, what in shapes_only[:60]:
            lines.append(f"| {rel} | {line} | `{code.replace('|', '/')}` | {what} |")
        lines.append("")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:4]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
