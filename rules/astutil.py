"""Small, shared helpers over libcst nodes: call arguments and literal values."""
from __future__ import annotations

import ast
import functools
from operator import attrgetter
from typing import Any, Callable, Optional

import libcst as cst

_NOTHING = object()

# Literal tokens whose value is memoised by text: the same few (0, 1, -1, 0.5, "cpu")
# come back thousands of times in a corpus, and libcst's ``evaluated_value`` compiles
# each one anew (``ast.literal_eval``). Long strings (docstrings) are not kept.
_TOKENS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)
_MEMO_CHARS = 64


@functools.lru_cache(maxsize=4096)
def _token_text_value(text: str) -> Any:
    return ast.literal_eval(text)


def token_value(node: cst.BaseExpression) -> Any:
    """``node.evaluated_value`` of a number or string literal, memoised for short tokens.
    Raises what ``evaluated_value`` raises."""
    if type(node) in _TOKENS and len(node.value) <= _MEMO_CHARS:  # type: ignore[attr-defined]
        return _token_text_value(node.value)  # type: ignore[attr-defined]
    return node.evaluated_value  # type: ignore[attr-defined]


def get_arg(call: cst.Call, pos: Optional[int], name: Optional[str]) -> Optional[cst.Arg]:
    """The argument bound to parameter ``name`` / position ``pos``; None if absent.
    Star-args make positions unknowable: then only keywords are trusted."""
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if name is not None and arg.keyword.value == name:
                return arg
            continue
        if arg.star:
            return None if pos is not None and positional <= pos else None
        if pos is not None and positional == pos:
            return arg
        positional += 1
    return None


def has_star_args(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def positional_count(call: cst.Call) -> int:
    return sum(1 for a in call.args if a.keyword is None and not a.star)


def literal_value(node: cst.BaseExpression, default: Any = _NOTHING) -> Any:
    """Python value of a literal expression (numbers, strings, bools, None, tuples and
    lists of those, unary minus). Returns ``default`` (or raises ValueError) otherwise."""
    try:
        return _lit(node)
    except ValueError:
        if default is _NOTHING:
            raise
        return default


def _lit(node: cst.BaseExpression) -> Any:
    if isinstance(node, (cst.Integer, cst.Float)):
        return token_value(node)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        v = _lit(node.expression)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError("not a number")
        return -v if isinstance(node.operator, cst.Minus) else v
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.SimpleString):
        return token_value(node)
    if isinstance(node, cst.ConcatenatedString):
        v = node.evaluated_value
        if v is None:
            raise ValueError("bytes")
        return v
    if isinstance(node, (cst.Tuple, cst.List)):
        vals = []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                raise ValueError("starred")
            vals.append(_lit(el.value))
        return tuple(vals) if isinstance(node, cst.Tuple) else vals
    raise ValueError(f"not a literal: {type(node).__name__}")


def literal_number(node: Optional[cst.BaseExpression]) -> Optional[float]:
    if node is None:
        return None
    v = literal_value(node, None)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v


def method_call(call: cst.Call) -> Optional[tuple[cst.BaseExpression, str]]:
    """(receiver, method) for ``recv.method(...)``."""
    if isinstance(call.func, cst.Attribute):
        return call.func.value, call.func.attr.value
    return None


def comment_block_start(text: str, line: int, indent: str) -> int:
    """The 1-based line where the comment block directly above ``line`` begins (``line``
    itself when there is none): comment lines at the statement's own indentation belong
    to it, so a statement inserted before it goes above them."""
    lines = text.splitlines()
    start = line
    while start - 2 >= 0 and start - 2 < len(lines):
        above = lines[start - 2]
        if not above.startswith(indent) or not above[len(indent):].startswith("#"):
            break
        start -= 1
    return start


def target_names(target: cst.BaseExpression) -> list[str]:
    """The names an assignment/loop/``with``/``del`` target binds, in order: ``a``,
    ``a, (b, *c)``; attributes and subscripts bind no name. The one target scan every
    analysis uses (iterative: a hostile 10,000-deep tuple target does not recurse)."""
    out: list[str] = []
    stack = [target]
    while stack:
        t = stack.pop()
        if isinstance(t, cst.Name):
            out.append(t.value)
        elif isinstance(t, (cst.Tuple, cst.List)):
            stack.extend(el.value for el in reversed(t.elements))
        elif isinstance(t, cst.StarredElement):
            stack.append(t.value)
    return out


# libcst's own ``node.visit(visitor)`` rebuilds every node it passes (even for a read-only
# CSTVisitor) and looks up per-attribute hooks; walking the child fields directly is
# about 4x faster. Each node class's ``_visit_and_replace_children`` names its child
# fields as string constants, in the order libcst visits them: those constants (that are
# also dataclass fields) give the order (tests check it equals ``node.children``); a
# class without that method falls back to ``node.children``.
_CHILD_FIELDS: dict[type, Optional[tuple[str, ...]]] = {}


def _child_fields(cls: type) -> Optional[tuple[str, ...]]:
    try:
        return _CHILD_FIELDS[cls]
    except KeyError:
        pass
    import dataclasses

    try:
        names = {f.name for f in dataclasses.fields(cls)}
        consts = cls._visit_and_replace_children.__code__.co_consts  # type: ignore[attr-defined]
        fields: Optional[tuple[str, ...]] = tuple(dict.fromkeys(c for c in consts if isinstance(c, str) and c in names))
    except (AttributeError, TypeError):
        fields = None
    _CHILD_FIELDS[cls] = fields
    return fields


# libcst's node classes have ABCMeta as metaclass: ``isinstance(v, cst.CSTNode)`` runs
# ABCMeta.__instancecheck__ in Python (about 6% of a corpus run's CPU went there, mostly
# from this walk). A field's value has few distinct types; remember each one's answer.
_IS_NODE: dict[type, bool] = {}


def _is_node_type(cls: type) -> bool:
    known = _IS_NODE.get(cls)
    if known is None:
        known = _IS_NODE[cls] = issubclass(cls, cst.CSTNode)
    return known


# Per node class: a function giving its child fields' values in order (one C call of
# operator.attrgetter rather than a getattr per field), None where ``children`` is used.
_GETTERS: dict[type, Optional[Callable[[cst.CSTNode], tuple]]] = {}


def _getter(cls: type) -> Optional[Callable[[cst.CSTNode], tuple]]:
    fields = _child_fields(cls)
    getter: Optional[Callable[[cst.CSTNode], tuple]]
    if fields is None:
        getter = None
    elif not fields:
        getter = _no_fields
    elif len(fields) == 1:
        one = attrgetter(fields[0])
        getter = lambda node: (one(node),)  # noqa: E731 - attrgetter of one name gives no tuple
    else:
        getter = attrgetter(*fields)
    _GETTERS[cls] = getter
    return getter


def _no_fields(node: cst.CSTNode) -> tuple:
    return ()


def iter_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node.children`` without rebuilding the node: its child nodes in source order."""
    cls = type(node)
    getter = _GETTERS[cls] if cls in _GETTERS else _getter(cls)
    if getter is None:
        return list(node.children)
    out: list[cst.CSTNode] = []
    is_node = _IS_NODE.get
    for value in getter(node):
        kind = type(value)
        if kind is list or kind is tuple:
            for v in value:
                if is_node(type(v)) or _is_node_type(type(v)):
                    out.append(v)
        elif value is None:
            continue
        elif is_node(kind) or _is_node_type(kind):
            out.append(value)
        elif isinstance(value, (list, tuple)):  # a subclass of either: never seen, but allowed
            out.extend(v for v in value if _is_node_type(type(v)))
    return out


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``node.visit(visitor)`` without rebuilding the tree (libcst's own ``visit`` costs
    about as much as parsing); ``visit_*`` / ``leave_*`` / ``on_visit`` work as usual."""
    if visitor.on_visit(node):
        for child in iter_children(node):
            walk(child, visitor)
    visitor.on_leave(node)
