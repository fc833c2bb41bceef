"""Documentation the editor shows: hover text for torch APIs (``api``) and, elsewhere in
this package, the docs search.

Import-light on purpose: no torch, no jieba. The API texts load on the first lookup.
"""
from .api import (
    ApiDoc,
    all_api_docs,
    api_doc,
    api_hover_markdown,
    method_doc,
    method_receivers,
    operator_doc,
)

__all__ = [
    "ApiDoc", "all_api_docs", "api_doc", "api_hover_markdown", "method_doc",
    "method_receivers", "operator_doc",
]
