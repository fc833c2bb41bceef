"""Output formats for the CLI. Each reporter takes the run's results and keyword
options (``lang``, ``color``, ``unsafe``) and returns the text to print."""
from __future__ import annotations

import importlib
from typing import Callable

# name -> module in this package that defines ``render(run, **options)``
FORMATS = {"text": "text", "json": "jsonfmt", "sarif": "sarif", "github": "github"}
REPORTERS: dict[str, Callable] = {}


def register(name: str, fn: Callable) -> None:
    REPORTERS[name] = fn


def get_reporter(name: str) -> Callable:
    fn = REPORTERS.get(name)
    if fn is None:
        fn = importlib.import_module(f"{__name__}.{FORMATS[name]}").render
        REPORTERS[name] = fn
    return fn
