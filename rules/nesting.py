"""A cheap scan of a unit's tokens before libcst sees it, so deep nesting is refused
instead of crashing the process.

libcst's parser recurses natively: 2,000 nested brackets or a 10,000-term ``a+a+…``
kill the process with SIGSEGV, and 2,000 nested conditional expressions take 700 MB.
CPython refuses such code too, and says so: more than 200 open brackets is "too many
nested parentheses", 100 indentation levels is "too many levels of indentation", an
expression about 3,000 levels deep does not compile. The scan here finds the bracket
depth, the indentation depth and an upper estimate of the expression depth in one
regular-expression pass that skips strings and comments; only when one exceeds its
limit (rules/limits.py) is CPython's own parser asked for its verdict, so the report
carries exactly what ``compile()`` says.
"""
from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import Optional

from .limits import CPYTHON_MAX_BRACKET_DEPTH, CPYTHON_MAX_INDENT, MAX_EXPRESSION_DEPTH

# Only what changes nesting is matched; everything else (names, numbers, spaces) is
# skipped by the search itself. Strings and comments are consumed whole so that their
# brackets do not count; an unterminated triple-quoted string runs to the end.
_TOKEN = re.compile(
    r"""(?P<comment>\#[^\r\n]*)
      | (?P<string>'''(?:[^'\\]|\\[\s\S]|'(?!''))*(?:'''|\Z)
                  |\"\"\"(?:[^"\\]|\\[\s\S]|"(?!""))*(?:\"\"\"|\Z)
                  |'(?:[^'\\\r\n]|\\(?:\r\n|[\s\S]))*'?
                  |"(?:[^"\\\r\n]|\\(?:\r\n|[\s\S]))*"?)
      | (?P<cont>\\(?:\r\n|\r|\n))
      | (?P<newline>\r\n|\r|\n)
      | (?P<keyword>\b(?:not|and|or|if|lambda|await)\b)
      | (?P<open>[(\[{])
      | (?P<close>[)\]}])
      | (?P<reset>[,;])
      | (?P<op>[-+*/%@&|^~<>!=.:]+)
    """,
    re.VERBOSE,
)
_INDENT = re.compile(r"[ \t\f]*")
_ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "//=", "%=", "@=", "&=", "|=", "^=", ">>=", "<<=", "**="})
_NEWLINES = re.compile(r"\r\n|\r|\n")
_WORD_OR_SYMBOL = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str, enough: int) -> int:
    """About how many tokens ``text`` has (a word or one symbol each; a string literal
    counts its words). Exact enough to bound libcst's memory, and at C speed; a text
    shorter than ``enough`` characters is not counted (it cannot have more tokens)."""
    if len(text) <= enough:
        return 0
    return _WORD_OR_SYMBOL.subn("", text)[1]


@dataclass(frozen=True)
class Depths:
    """The deepest points of a unit (offsets into its text)."""

    brackets: int = 0
    brackets_at: int = 0  # offset of the first bracket beyond CPython's limit, else of the deepest
    indent: int = 0
    indent_at: int = 0
    expression: int = 0  # an upper estimate of libcst's expression nesting
    expression_at: int = 0


@dataclass(frozen=True)
class Refusal:
    """Why a unit is not given to libcst."""

    line: int
    column: int
    message: str  # CPython's message (PT000); for a unit beyond ptlint's limit, the English notice
    syntax_error: bool  # CPython refuses the code too (PT000); else valid but beyond ptlint's limit
    depth: int = 0  # beyond ptlint's limit: about how deep the unit nests (the notice says it in both languages)


def _op_weight(run: str) -> int:
    """How many expression levels a run of operator characters may add."""
    if run in _ASSIGN_OPS or run in (":", "->", "..."):
        return 0
    return sum(1 for c in run if c not in "=:!") or 1


def scan(text: str) -> Depths:
    """Bracket, indentation and (estimated) expression depth in one pass."""
    brackets = max_brackets = brackets_at = 0
    indents = [0]
    max_indent = indent_at = 0
    # Expression estimate: ``cur`` counts the operators since the last comma (or
    # statement start) at this bracket level; ``stack`` keeps the enclosing levels'.
    stack: list[int] = []
    base = cur = 0
    max_expr = expr_at = 0
    prev_string = False
    line_start = True
    pos = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if line_start:
            line_start = False
            level, at = _indent(text, pos, indents)
            if level > max_indent:
                max_indent = level
                if level <= CPYTHON_MAX_INDENT:
                    indent_at = at
        if kind == "string":
            if prev_string:
                cur += 1  # implicit concatenation nests in libcst
            prev_string = True
        else:
            prev_string = False
            if kind == "newline":
                if brackets == 0:
                    cur = 0
                    line_start = True
                    pos = m.end()
            elif kind == "keyword":
                cur += 1
            elif kind == "open":
                brackets += 1
                if brackets > max_brackets:
                    max_brackets = brackets
                    if brackets <= CPYTHON_MAX_BRACKET_DEPTH + 1:
                        brackets_at = m.start()
                stack.append(cur)
                base += cur + 2
                cur = 0
            elif kind == "close":
                if stack:
                    brackets -= 1
                    cur = stack.pop()
                    base -= cur + 2
                    cur += 1  # the call, subscript or parenthesised atom wraps what came before
            elif kind == "reset":
                cur = 0
            elif kind == "op":
                run = m.group()
                if run in _ASSIGN_OPS:
                    cur = 0
                else:
                    cur += _op_weight(run)
        depth = base + cur
        if depth > max_expr:
            max_expr, expr_at = depth, m.start()
    if line_start:  # a last line without a newline
        level, at = _indent(text, pos, indents)
        if level > max_indent:
            max_indent, indent_at = level, at
    return Depths(max_brackets, brackets_at, max_indent, indent_at, max_expr, expr_at)


def _indent(text: str, pos: int, indents: list[int]) -> tuple[int, int]:
    """Update the indentation stack for the logical line starting at ``pos``; returns
    (level, offset of its first character). Blank and comment lines change nothing."""
    ws = _INDENT.match(text, pos).group()  # type: ignore[union-attr]
    after = pos + len(ws)
    if after >= len(text) or text[after] in "\r\n#":
        return len(indents) - 1, after
    width = 0
    for c in ws:  # CPython's rule: a tab moves to the next multiple of 8
        width = (width // 8 + 1) * 8 if c == "\t" else (0 if c == "\f" else width + 1)
    if width > indents[-1]:
        indents.append(width)
    else:
        while len(indents) > 1 and width < indents[-1]:
            indents.pop()
    return len(indents) - 1, after


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line, start = 1, 0
    for m in _NEWLINES.finditer(text, 0, offset):
        line, start = line + 1, m.end()
    return line, offset - start


def cpython_verdict(text: str) -> Optional[tuple[Optional[int], Optional[int], str]]:
    """(line, 0-based column, message) of CPython's refusal of ``text``; None if it compiles
    to an AST. The position is None when CPython gives none (recursion, parser stack)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as exc:  # IndentationError included
        col = max((exc.offset or 1) - 1, 0) if exc.lineno else None
        return exc.lineno, col, exc.msg
    except RecursionError as exc:
        return None, None, f"{exc} (RecursionError)"
    except MemoryError:
        # 3.11 raises a bare MemoryError when its parser's stack overflows.
        return None, None, "too complex for Python's parser (MemoryError: parser stack overflow)"
    except ValueError as exc:  # "source code string cannot contain null bytes"
        return None, None, str(exc)
    return None


def check(text: str) -> Optional[Refusal]:
    """A Refusal when the unit must not be given to libcst, else None."""
    if "\ufeff" in text:
        # A second BOM (or a stray U+FEFF) that libcst reads as whitespace and CPython
        # refuses ("invalid non-printable character U+FEFF").
        verdict = cpython_verdict(text)
        if verdict is not None and "U+FEFF" in verdict[2]:
            line, col, message = verdict
            return Refusal(line or 1, col or 0, message, syntax_error=True)
    d = scan(text)
    if (d.brackets <= CPYTHON_MAX_BRACKET_DEPTH and d.indent < CPYTHON_MAX_INDENT
            and d.expression <= MAX_EXPRESSION_DEPTH):
        return None
    if d.brackets > CPYTHON_MAX_BRACKET_DEPTH:
        where = d.brackets_at
    elif d.indent >= CPYTHON_MAX_INDENT:
        where = d.indent_at
    else:
        where = d.expression_at
    verdict = cpython_verdict(text)
    if verdict is not None:
        line, col, message = verdict
        if line is None or col is None:
            line, col = _line_col(text, where)
        return Refusal(line, col, message, syntax_error=True)
    line, col = _line_col(text, where)
    deepest = max(d.expression, d.brackets)
    return Refusal(line, col, f"nested about {deepest} levels deep (ptlint analyses up to {MAX_EXPRESSION_DEPTH}); "
                              "not checked", syntax_error=False, depth=deepest)
