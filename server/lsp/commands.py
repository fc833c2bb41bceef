"""``workspace/executeCommand``: ``ptlint.explain``, ``ptlint.fixAll``,
``ptlint.searchDocs`` (``ptlint.runProbe`` comes from the probe's own module)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from lsprotocol import types

from .actions import fix_all_edits, workspace_edit

if TYPE_CHECKING:
    from .server import PtlintServer

EXPLAIN, FIX_ALL, SEARCH_DOCS = "ptlint.explain", "ptlint.fixAll", "ptlint.searchDocs"


def command_arg(args: tuple, key: str, index: int = 0) -> Any:
    """Commands take positional arguments or one object: ``["PT017"]`` or
    ``[{"code": "PT017"}]`` both work."""
    if args and isinstance(args[0], dict):
        return args[0].get(key)
    return args[index] if len(args) > index else None


def explain(server: "PtlintServer", code: Any, lang: Optional[str]) -> Optional[dict[str, Any]]:
    from ptlint.rules.rule import get_rule

    if not isinstance(code, str):
        return None
    rule = get_rule(code.strip())
    if rule is None:
        return None
    lang = lang if lang in ("zh", "en") else (server.global_settings.lang or "zh")
    return {
        "code": rule.code, "name": rule.name, "severity": rule.severity.value,
        "fixable": rule.fix_safety is not None,
        "markdown": f"# {rule.code} {rule.name}\n\n{rule.docs.get(lang).strip()}\n",
    }


def search_docs(query: Any, limit: Any, lang: str) -> dict[str, Any]:
    if not isinstance(query, str) or not query.strip():
        return {"query": query, "results": []}
    limit = limit if isinstance(limit, int) and 0 < limit <= 100 else 10
    try:
        from ptlint.rules.docs.search import search
    except ImportError:
        return {"query": query, "results": _search_rule_docs(query, limit, lang)}
    return {"query": query, "results": [r.to_dict(lang) for r in search(query, limit)]}


def _search_rule_docs(query: str, limit: int, lang: str) -> list[dict[str, Any]]:
    """Plain substring search over rule docs, for installs without the docs index."""
    from ptlint.rules.rule import all_rules

    q = query.lower()
    hits = []
    for code, rule in all_rules().items():
        text = f"{code} {rule.name} {rule.docs.zh} {rule.docs.en}".lower()
        if q in text:
            hits.append({"kind": "rule", "key": code, "title": f"{code} {rule.name}",
                         "snippet": rule.docs.get(lang).strip().split("\n")[1][:120]})
    return hits[:limit]


async def fix_all(server: "PtlintServer", uri: Any) -> dict[str, Any]:
    if not isinstance(uri, str):
        return {"applied": False, "fixes": 0, "reason": "expected a document URI"}
    doc = server.doc_for(uri)
    if doc is None or server.scheduler is None:
        return {"applied": False, "fixes": 0, "reason": "document is not open"}
    snap = await server.scheduler.current(doc, 10.0)
    if snap is None or snap.version != doc.version:
        return {"applied": False, "fixes": 0, "reason": "analysis not available"}
    edits, count = fix_all_edits(server, doc, snap)
    if not count:
        return {"applied": False, "fixes": 0}
    label = "ptlint: 应用全部安全修复" if snap.lang != "en" else "ptlint: apply all safe fixes"
    result = await server.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=workspace_edit(server, edits), label=label))
    applied = bool(getattr(result, "applied", False))
    return {"applied": applied, "fixes": count if applied else 0}


def register(server: "PtlintServer") -> None:
    @server.command(EXPLAIN)
    def on_explain(*args):
        return explain(server, command_arg(args, "code"), command_arg(args, "lang", 1))

    @server.command(SEARCH_DOCS)
    def on_search(*args):
        lang = command_arg(args, "lang", 2)
        if lang not in ("zh", "en"):
            lang = server.global_settings.lang or "zh"
        return search_docs(command_arg(args, "query"), command_arg(args, "limit", 1), lang)

    @server.command(FIX_ALL)
    async def on_fix_all(*args):
        return await fix_all(server, command_arg(args, "uri"))
