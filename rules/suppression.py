"""``# noqa``, ``# noqa: PT001,PT003``, ``# ptlint: disable=PT001`` on a line and
``# ptlint: disable-file=PT004`` (or everything) anywhere in a file."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(
    r"#\s*(?:noqa(?P<noqa>\s*:\s*[A-Za-z0-9,\s]+)?|ptlint:\s*disable=(?P<dis>[A-Za-z0-9,\s]+))",
)
_FILE = re.compile(r"#\s*ptlint:\s*disable-file(?:=(?P<codes>[A-Za-z0-9,\s]+))?")
ALL = "ALL"


def _split(codes: str) -> set[str]:
    return {c.strip().upper() for c in re.split(r"[,\s]+", codes) if c.strip()}


@dataclass
class Suppressions:
    lines: dict[int, set[str]] = field(default_factory=dict)  # 1-based line -> codes or {ALL}
    file: set[str] = field(default_factory=set)

    @classmethod
    def from_text(cls, text: str) -> "Suppressions":
        s = cls()
        if "noqa" not in text and "ptlint:" not in text:
            return s
        for lineno, line in enumerate(text.splitlines(), start=1):
            if "#" not in line:
                continue
            m = _FILE.search(line)
            if m:
                s.file |= _split(m.group("codes")) if m.group("codes") else {ALL}
                continue
            m = _LINE.search(line)
            if m:
                codes = m.group("noqa") or m.group("dis")
                if codes:
                    codes = codes.lstrip().lstrip(":")
                    parsed = {c for c in _split(codes) if re.fullmatch(r"PT\d+", c)}
                    s.lines[lineno] = parsed or {ALL}
                else:
                    s.lines[lineno] = {ALL}
        return s

    def suppressed(self, code: str, start_line: int, end_line: int) -> bool:
        if ALL in self.file or code in self.file:
            return True
        for ln in {start_line, end_line}:
            codes = self.lines.get(ln)
            if codes and (ALL in codes or code in codes):
                return True
        return False
