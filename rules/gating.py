"""Cheap per-file gates: a rule whose subject words never appear in a file's text is
left out of that file's traversal."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from ptlint.rules.engine import FileContext


class Gated:
    """Mixin for rules: ``active`` is False when the file's text holds none of the rule's
    ``needs`` words; the engine then leaves the rule out of the file's traversal (and
    shared analyses are never built for files the rule cannot be about)."""

    needs: tuple = ()

    @property
    def active(self) -> bool:
        return text_mentions(self.ctx, self.needs)  # type: ignore[attr-defined]


def text_mentions(ctx: "FileContext", words: Iterable[str]) -> bool:
    """Cheap gate: a rule whose subject never appears in the file's text has nothing to do."""
    text = ctx.source.text
    return any(w in text for w in words)
