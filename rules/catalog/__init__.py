"""The rule catalog: one module per rule (``ptNNN_kebab_name.py``). Importing a module
registers its rule; :func:`load_all` imports them all."""
from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("pt"):
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True
