"""ptlint: a linter and language server for PyTorch code.

In an installed wheel the subpackages live inside this package. In a source checkout
they are the top-level folders ``rules/``, ``server/`` and ``runtime_probe/``; extending
``__path__`` with the checkout root lets ``import ptlint.rules`` find them there too.
"""
from pathlib import Path as _Path

__version__ = "0.1.0"

_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "rules" / "__init__.py").is_file() and not (_Path(__file__).parent / "rules").exists():
    __path__.append(str(_checkout))  # type: ignore[name-defined]
