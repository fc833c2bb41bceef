"""``# noqa``, ``# noqa: PT001,PT003``, ``# ptlint: disable=PT001`` on a line and
``# ptlint: disable-file=PT004`` (or everything) anywhere in a file.

Directives count only inside comments: ``"# noqa"`` in a string suppresses nothing.
``# noqa: E501`` (another tool's code only) suppresses no ptlint finding, as in ruff.
"""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Optional

ALL = "ALL"

_DIRECTIVE = re.compile(
    r"#\s*(?:"
    r"(?P<noqa>noqa)(?::\s*(?P<noqa_codes>[A-Za-z]+[0-9]+(?:[,\s]+[A-Za-z]+[0-9]+)*))?"
    r"|ptlint:\s*(?P<kind>disable-file|disable)(?:\s*=\s*(?P<codes>[A-Za-z]+[0-9]*(?:[,\s]+[A-Za-z]+[0-9]*)*))?"
    r")",
    re.IGNORECASE,
)


def _codes(raw: Optional[str]) -> set[str]:
    """Codes named by a directive: {ALL} when none (or ``all``) is named; only PT codes
    otherwise (so ``noqa: E501`` gives the empty set)."""
    if raw is None:
        return {ALL}
    names = {c.upper() for c in re.split(r"[,\s]+", raw.strip()) if c}
    if ALL in names:
        return {ALL}
    return {c for c in names if re.fullmatch(r"PT\d+", c)}


def _comments(text: str) -> Optional[list[tuple[int, str]]]:
    """(line, comment text) for every real comment; None when the text does not tokenize
    (then the line-based scan is trusted)."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.string))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return out


@dataclass
class Suppressions:
    lines: dict[int, set[str]] = field(default_factory=dict)  # 1-based line -> codes or {ALL}
    file: set[str] = field(default_factory=set)

    @classmethod
    def from_text(cls, text: str) -> "Suppressions":
        s = cls()
        lowered = text.lower()
        if "noqa" not in lowered and "ptlint:" not in lowered:
            return s
        comments = _comments(text)
        if comments is None:
            comments = [(n, line[line.index("#"):]) for n, line in enumerate(text.splitlines(), start=1) if "#" in line]
        for lineno, comment in comments:
            for m in _DIRECTIVE.finditer(comment):
                if m.group("noqa"):
                    s.lines.setdefault(lineno, set()).update(_codes(m.group("noqa_codes")))
                elif m.group("kind").lower() == "disable-file":
                    s.file |= _codes(m.group("codes"))
                else:
                    s.lines.setdefault(lineno, set()).update(_codes(m.group("codes")))
        return s

    def suppressed(self, code: str, start_line: int, end_line: int) -> bool:
        if ALL in self.file or code in self.file:
            return True
        for ln in {start_line, end_line}:
            codes = self.lines.get(ln)
            if codes and (ALL in codes or code in codes):
                return True
        return False
