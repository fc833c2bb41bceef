"""Output formats for the CLI. Each reporter takes the run's results and returns text."""
from __future__ import annotations

from typing import Callable

from .text import render_text
from .jsonfmt import render_json

REPORTERS: dict[str, Callable] = {"text": render_text, "json": render_json}


def register(name: str, fn: Callable) -> None:
    REPORTERS[name] = fn


def get_reporter(name: str) -> Callable:
    if name not in REPORTERS:
        # Optional formats live in their own modules and register on import.
        try:
            __import__(f"{__name__}.{name}")
        except ImportError:
            pass
    return REPORTERS[name]
