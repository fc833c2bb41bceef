"""Typed results of an analysis: positions, edits, fixes and findings."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


class FixSafety(str, Enum):
    SAFE = "safe"  # keeps the program's meaning (or fixes code that would raise)
    UNSAFE = "unsafe"  # may change what the program computes: never applied without --unsafe-fixes


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 0-based, in code points

    def to_dict(self) -> dict[str, int]:
        return {"line": self.line, "column": self.column}


@dataclass(frozen=True)
class Range:
    start: Position
    end: Position

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.to_dict(), "end": self.end.to_dict()}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Range":
        return Range(Position(**d["start"]), Position(**d["end"]))


@dataclass(frozen=True)
class TextEdit:
    range: Range
    new_text: str

    def to_dict(self) -> dict[str, Any]:
        return {"range": self.range.to_dict(), "new_text": self.new_text}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "TextEdit":
        return TextEdit(Range.from_dict(d["range"]), d["new_text"])


@dataclass(frozen=True)
class Fix:
    edits: tuple[TextEdit, ...]
    safety: FixSafety
    title_zh: str
    title_en: str

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def to_dict(self) -> dict[str, Any]:
        return {
            "edits": [e.to_dict() for e in self.edits],
            "safety": self.safety.value,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Fix":
        return Fix(
            tuple(TextEdit.from_dict(e) for e in d["edits"]),
            FixSafety(d["safety"]),
            d["title_zh"],
            d["title_en"],
        )


@dataclass(frozen=True)
class RelatedLocation:
    range: Range
    message_zh: str
    message_en: str
    cell: Optional[int] = None  # notebook cell (1-based) when the unit is a notebook
    # Another project file (the layer class in models/blocks.py that train.py's finding
    # comes from), written like the finding's own path; None: the finding's own file.
    path: Optional[str] = None

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh

    def path_or(self, own: str) -> str:
        """The file this location is in, given the finding's own path."""
        return own if self.path is None else self.path

    def to_dict(self) -> dict[str, Any]:
        return {
            "range": self.range.to_dict(),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "cell": self.cell,
            "path": self.path,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "RelatedLocation":
        return RelatedLocation(Range.from_dict(d["range"]), d["message_zh"], d["message_en"], d.get("cell"),
                               d.get("path"))


@dataclass(frozen=True)
class Finding:
    code: str
    rule_name: str
    message_zh: str
    message_en: str
    range: Range
    severity: Severity
    path: str = ""
    cell: Optional[int] = None  # 1-based index into the notebook's cells
    related: tuple[RelatedLocation, ...] = ()
    fix: Optional[Fix] = None
    # Other ways to fix the same problem (e.g. `.reshape` beside `.contiguous()`); editors
    # offer them as extra quick fixes, `--fix` only ever applies ``fix``.
    alt_fixes: tuple[Fix, ...] = ()
    # Free-form facts a front end may show (e.g. the probe's verdict); never used for identity.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def line(self) -> int:
        return self.range.start.line

    @property
    def column(self) -> int:
        return self.range.start.column

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule": self.rule_name,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "range": self.range.to_dict(),
            "severity": self.severity.value,
            "path": self.path,
            "cell": self.cell,
            "related": [r.to_dict() for r in self.related],
            "fix": self.fix.to_dict() if self.fix else None,
            "alt_fixes": [a.to_dict() for a in self.alt_fixes],
            "extra": self.extra,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Finding":
        return Finding(
            code=d["code"],
            rule_name=d["rule"],
            message_zh=d["message_zh"],
            message_en=d["message_en"],
            range=Range.from_dict(d["range"]),
            severity=Severity(d["severity"]),
            path=d.get("path", ""),
            cell=d.get("cell"),
            related=tuple(RelatedLocation.from_dict(r) for r in d.get("related", ())),
            fix=Fix.from_dict(d["fix"]) if d.get("fix") else None,
            alt_fixes=tuple(Fix.from_dict(a) for a in d.get("alt_fixes") or ()),
            extra=d.get("extra") or {},
        )
