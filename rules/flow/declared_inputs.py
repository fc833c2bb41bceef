"""``# ptlint: input=(1, 1, 28, 28)``: the input a user declares for a model (on the model
class, or on the statement that builds a module such as a ``Sequential``; read by
``rules/input_comments.py``). Each module built there (``Net()``, ``nn.Sequential(…)``) runs
once on a tensor of that shape (its dtype unknown), after the rest of the file, as ``model(x)`` would run
it; what its layers raise or drop is a flow fact (``layer_problems()`` / ``layer_drops()``,
each ``LayerCall.declared`` the comment). A size name (``N``) is a symbol of the comment.

Only the layer facts are kept: the pass's values are no value of the file (no
``call_sites`` table, nothing of the summary changes), so no other rule sees a forward pass
that the code itself never makes. A module changed after it was built (a layer replaced,
``append``), or a class the file never builds, is not run: unknown.

Contract: ``DeclaredInputs(text)`` per file (``active`` false when the text has no such
comment: nothing is asked per statement then); ``of_class(classdef)`` / ``of_line(stmt)``
give ``(dims, comment)`` or None; the interpreter notes each module built there with
``note(node, module, found)`` and calls ``run_declared_passes(interp)`` when the file is done."""
from __future__ import annotations

from typing import Any, Optional

import libcst as cst

from ..input_comments import comment_input, mentions_input_comment
from ..size_product import Product
from .values import CONTIGUOUS, Kind, Value

Found = tuple[tuple, cst.Comment]


class DeclaredInputs:
    def __init__(self, text: str) -> None:
        self.active = mentions_input_comment(text)
        self._classes: dict[cst.ClassDef, Optional[Found]] = {}
        # constructor call -> (the module built there, the comment): the last evaluation wins
        self.built: dict[cst.CSTNode, tuple[Value, cst.Comment, tuple]] = {}

    def of_class(self, node: cst.ClassDef) -> Optional[Found]:
        if not self.active:
            return None
        if node not in self._classes:
            self._classes[node] = comment_input(node)
        return self._classes[node]

    def of_line(self, stmt: cst.SimpleStatementLine) -> Optional[Found]:
        return comment_input(stmt) if self.active else None

    def note(self, node: cst.CSTNode, module: Value, found: Found) -> None:
        if module.kind is Kind.MODULE:
            self.built[node] = (module, found[1], found[0])


def declared_tensor(dims: tuple, comment: cst.Comment) -> Value:
    """The comment says a shape, not a dtype (an Embedding's input is indices): unknown."""
    shape = tuple(Product(d) if isinstance(d, int) else Product.sym(("declared", id(comment), d)) for d in dims)
    return Value(Kind.TENSOR, dtype=None, shape=shape, layout=CONTIGUOUS,
                 storage=("n", id(comment)), requires_grad=False, is_leaf=True, initialized=True, origin=comment)


def run_declared_passes(interp: Any) -> None:
    fa = interp.fa
    for node, (module, comment, dims) in list(fa.declared_inputs.built.items()):
        if module.origin in fa.changed_modules or not isinstance(node, cst.Call):
            continue
        tables, memo = dict(fa.site_values), dict(fa.site_memo)
        interp.declared_comment = comment
        try:
            interp.module_input_pass(node, module, declared_tensor(dims, comment))
        finally:
            interp.declared_comment = None
            fa.site_values, fa.site_memo = tables, memo
