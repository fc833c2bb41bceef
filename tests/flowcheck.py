"""Helpers the tests of the flow facts share: analyse one snippet (a script or a notebook)
with ``FlowAnalysis`` as a rule would get it, and find an expression node by its source."""
import libcst as cst

from ptlint.rules import Config
from ptlint.rules.engine import FileContext
from ptlint.rules.flow import FlowAnalysis
from ptlint.rules.source import source_from_text


def file_context(src, notebook=False, path="t.py"):
    """The FileContext a rule gets for ``src`` (for a notebook: every cell's statements in
    one module), and that module."""
    source = source_from_text(src, path, notebook=notebook)
    mods = [(u, cst.parse_module(u.text)) for u in source.units]
    module = mods[0][1] if len(mods) == 1 else mods[0][1].with_changes(body=[s for _, m in mods for s in m.body])
    return FileContext(source, Config(), module, mods), module


def analyse(src, notebook=False, path="t.py"):
    ctx, module = file_context(src, notebook, path)
    return ctx.analysis(FlowAnalysis).check(), module


def find(module, code):
    """The expression node whose source is ``code`` (the last one, in program order)."""
    hits = []

    class V(cst.CSTVisitor):
        def on_visit(self, node):
            if isinstance(node, cst.BaseExpression) and module.code_for_node(node) == code:
                hits.append(node)
            return True

    module.visit(V())
    assert hits, code
    return hits[-1]


def value_of(src, code):
    """What the flow facts say the expression ``code`` of ``src`` evaluates to."""
    flow, module = analyse(src)
    return flow.value_of(find(module, code))
