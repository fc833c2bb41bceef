"""``# ptlint: input=(1, 3, 32, 32)``: the input shape a user declares for a model, read
from the comment on (or just above) a model class or the statement that builds a
``Sequential``. Both interpreters read it here: shapes takes it as a model entry's input
(``shapes/inputs.py``), flow runs the model built there once on it (``flow/declared_inputs.py``).

Contract: ``comment_input(stmt)`` is ``(dims, comment)`` — each dim an int or a size name
(``N``) — or None; ``parse_dims(text)`` reads ``1, 3, 32, 32`` / ``(N, 1, 28, 28)`` the same
way (``ptlint shapes --input`` too). ``mentions_input_comment(text)`` is the cheap test a
caller makes once per file before asking per statement."""
from __future__ import annotations

import re
from typing import Optional, Union

import libcst as cst

DeclaredDim = Union[int, str]
_COMMENT = re.compile(r"#\s*ptlint:\s*input\s*=\s*\(?\s*([^)#]*?)\s*\)?\s*(?:#|$)")


def mentions_input_comment(text: str) -> bool:
    return "ptlint" in text and re.search(r"ptlint:\s*input\s*=", text) is not None


def parse_dims(text: str) -> Optional[tuple[DeclaredDim, ...]]:
    """``1, 3, 32, 32`` / ``N, 1, 28, 28`` → dims; None when it is not a shape."""
    parts = [p.strip() for p in text.strip().strip("()[]").split(",")]
    if parts and parts[-1] == "":
        parts.pop()
    dims: list[DeclaredDim] = []
    for p in parts:
        if re.fullmatch(r"\d+", p):
            dims.append(int(p))
        elif re.fullmatch(r"[A-Za-z_]\w*", p):
            dims.append(p)
        else:
            return None
    return tuple(dims) if dims else None


def comment_input(stmt: cst.CSTNode) -> Optional[tuple[tuple[DeclaredDim, ...], cst.Comment]]:
    """A ``# ptlint: input=…`` comment directly above the statement or on its first line."""
    candidates: list[cst.Comment] = []
    for line in getattr(stmt, "leading_lines", ()):
        if line.comment is not None:
            candidates.append(line.comment)
    if isinstance(stmt, cst.ClassDef):
        for dec in stmt.decorators:
            candidates.extend(line.comment for line in dec.leading_lines if line.comment is not None)
        for line in stmt.lines_after_decorators:
            if line.comment is not None:
                candidates.append(line.comment)
        header = getattr(stmt.body, "header", None)
        if header is not None and header.comment is not None:
            candidates.append(header.comment)
    elif isinstance(stmt, cst.SimpleStatementLine):
        first = _first_line_comment(stmt)
        if first is not None:
            candidates.append(first)
    for c in reversed(candidates):
        m = _COMMENT.search(c.value)
        if m:
            dims = parse_dims(m.group(1))
            if dims is not None:
                return dims, c
    return None


def _first_line_comment(stmt: cst.SimpleStatementLine) -> Optional[cst.Comment]:
    """The comment that ends the statement's first line (single-line statements, or the
    ``nn.Sequential(  # ptlint: input=…`` form)."""
    if stmt.trailing_whitespace.comment is not None:
        found: list[cst.Comment] = []

        class _Newlines(cst.CSTVisitor):
            def visit_ParenthesizedWhitespace(self, node: cst.ParenthesizedWhitespace) -> bool:
                found.append(node)  # type: ignore[arg-type]
                return False

        stmt.visit(_Newlines())
        if not found:
            return stmt.trailing_whitespace.comment

    first: list[cst.Comment] = []

    class _First(cst.CSTVisitor):
        def visit_ParenthesizedWhitespace(self, node: cst.ParenthesizedWhitespace) -> bool:
            if not first:
                first.append(node.first_line.comment)  # type: ignore[arg-type]
            return False

    stmt.visit(_First())
    return first[0] if first and first[0] is not None else None
