"""Hover text for torch API names: which name the cursor is on, what it resolves to
through the file's imports, and the docs for it (``ptlint.rules.docs.api``).

Works on the line's text and the import table of the last successful parse, so it
answers instantly and keeps answering while the file is half-typed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Token:
    parts: tuple[str, ...]  # the dotted chain up to and including the hovered word
    start: int  # code-point columns of the hovered word on its line
    end: int
    on_expression: bool  # the chain hangs off an expression: ``f(x).view`` / ``t[0].item``


def _is_id(c: str) -> bool:
    return c.isalnum() or c == "_"


def in_code(line: str, col: int) -> bool:
    """False when ``col`` is inside a comment or a string on this line."""
    quote: Optional[str] = None
    i = 0
    while i < col and i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif c == "#":
            return False
        elif c in "\"'":
            quote = c * 3 if line.startswith(c * 3, i) else c
            i += len(quote)
            continue
        i += 1
    return quote is None


def token_at(line: str, col: int) -> Optional[Token]:
    n = len(line)
    i = col
    if i >= n or not _is_id(line[i]):
        if i > 0 and i - 1 < n and _is_id(line[i - 1]):
            i -= 1
        else:
            return None
    s = i
    while s > 0 and _is_id(line[s - 1]):
        s -= 1
    e = i
    while e < n and _is_id(line[e]):
        e += 1
    word = line[s:e]
    if not word or word[0].isdigit() or not in_code(line, s):
        return None
    parts = [word]
    j = s
    on_expr = False
    while j > 0 and line[j - 1] == ".":
        k = j - 1
        if k > 0 and _is_id(line[k - 1]):
            ps = k
            while ps > 0 and _is_id(line[ps - 1]):
                ps -= 1
            head = line[ps:k]
            if head[0].isdigit():
                return None  # 1.5
            parts.insert(0, head)
            j = ps
        else:
            on_expr = k > 0 and line[k - 1] in ")]\"'"
            if not on_expr:
                return None
            break
    return Token(tuple(parts), s, e, on_expr)


def _api() -> Any:
    try:
        from ptlint.rules.docs import api
    except ImportError:
        return None
    return api


def available() -> bool:
    return _api() is not None


def resolve_doc(token: Token, imports: Any) -> Optional[Any]:
    """The ApiDoc for a token, or None. Module-level names go through the import table
    (``F.relu`` -> ``torch.nn.functional.relu``); attributes of local values (``x.view``,
    ``loss.backward``) are looked up as tensor / module / optimizer methods."""
    api = _api()
    if api is None:
        return None
    word = token.parts[-1]
    torch_file = imports is not None and imports.mentions("torch")
    if token.on_expression:
        return api.method_doc(word) if torch_file else None
    qualname = imports.resolve(".".join(token.parts)) if imports is not None else None
    if qualname is not None:
        if not qualname.startswith("torch"):
            return None
        return api.api_doc(qualname)
    if len(token.parts) >= 2 and torch_file:
        return api.method_doc(word)
    return None


def matmul_doc(imports: Any) -> Optional[Any]:
    api = _api()
    if api is None or imports is None or not imports.mentions("torch"):
        return None
    return api.api_doc("torch.matmul")


def markdown(doc: Any, lang: str) -> str:
    return _api().api_hover_markdown(doc, lang)
