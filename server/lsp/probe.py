"""The runtime probe in the editor: the ``ptlint.runProbe`` command and a code lens
``▶ 运行形状探针`` above each model (only while the ``probe.enable`` setting is on).

A run rebuilds the document's models from the static shape facts and runs them in
the probe's long-lived worker (torch imported once, results cached by snippet hash),
using the ``probe.python`` interpreter — the workspace's, where torch lives. Verdicts
are attached to the PT005 / PT001 / PT003 findings of the analysed version: they show
in the diagnostic message and the hover until the text changes. torch is never
imported in this process."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from lsprotocol import types

from ptlint.runtime_probe.words import VERDICT_WORDS, verdict_line  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from .server import PtlintServer

log = logging.getLogger("ptlint.lsp")

RUN_PROBE = "ptlint.runProbe"
LENS_TITLE = {"zh": "▶ 运行形状探针", "en": "▶ Run shape probe"}
NOT_PYTHON = {"zh": "形状探针目前只在 .py 文件中运行", "en": "the shape probe runs on .py files only for now"}
NOT_OPEN = {"zh": "文档未打开或尚未分析完", "en": "the document is not open or not analysed yet"}


@dataclass
class DocProbe:
    version: int
    records: dict[tuple, dict[str, Any]] = field(default_factory=dict)  # (code, line, col) -> extra["probe"]


@dataclass
class ProbeState:
    by_uri: dict[str, DocProbe] = field(default_factory=dict)
    lenses: dict[str, tuple[int, list]] = field(default_factory=dict)  # uri -> (version, [(name, line)])


def _key(f: Any) -> tuple:
    return (f.code, f.range.start.line, f.range.start.column, f.cell)


def verdict_suffix(rec: dict[str, Any], lang: str) -> str:
    return " · " + verdict_line(rec, lang)


def annotate(findings: list, records: dict[tuple, dict[str, Any]]) -> list:
    """Findings with the probe's verdict in ``extra["probe"]`` and in both messages."""
    out = []
    for f in findings:
        rec = records.get(_key(f))
        if rec is None or (isinstance(f.extra, dict) and "probe" in f.extra):
            out.append(f)
            continue
        out.append(dataclasses.replace(
            f, message_zh=f.message_zh + verdict_suffix(rec, "zh"), message_en=f.message_en + verdict_suffix(rec, "en"),
            extra={**(f.extra or {}), "probe": rec}))
    return out


def _options(server: "PtlintServer", doc: Any, device: Optional[str]):
    from ptlint.runtime_probe.probe import ProbeOptions, valid_device

    cfg = server.config_for(doc)
    if device is not None and not (isinstance(device, str) and valid_device(device)):
        device = None
    return ProbeOptions.from_config(cfg.probe, device=device), cfg.probe.enable


def _model_lines(text: str, path: str) -> list[tuple[str, int]]:
    from ptlint.rules.api import analyse

    report = analyse(text, path=path, rules=[], facts=False, models=True)  # the models alone: no rule runs
    out = []
    for m in report.models:
        try:
            out.append((str(m["name"]), int(m["range"]["start"]["line"])))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _run_blocking(server: "PtlintServer", doc: Any, snap: Any, text: str, options: Any, lang: str,
                  model: Optional[str]):
    from ptlint.runtime_probe.probe import finding_verdicts, probe_file
    from ptlint.runtime_probe.render import render_file, verdict_summary
    from ptlint.runtime_probe.worker import default_pool

    records, fp = finding_verdicts(list(snap.findings), text, doc.path, options, lang=lang)
    if not fp.models and not fp.torch_missing:  # no PT005 finding: probe the models anyway
        fp = probe_file(text, doc.path, options, model=model)
    elif model:
        fp.models = [m for m in fp.models if m.name == model]
    keyed = {_key(snap.findings[i]): rec for i, rec in records.items()}
    result = {
        "uri": doc.uri, "version": snap.version, "device": fp.device, "torch": fp.torch,
        "failed": fp.failed(lang) if fp.failed_en else None, "torchMissing": fp.torch_missing,
        "models": [{"name": m.name, "status": m.status, "summary": verdict_summary(m, lang),
                    "disagreements": len(m.disagreements)} for m in fp.models],
        "findings": [{"code": snap.findings[i].code, "line": snap.findings[i].range.start.line, **rec}
                     for i, rec in sorted(records.items())],
        "table": render_file(fp, lang),
    }
    # The worker stays warm in this process between runs (torch is imported once); it is
    # restarted only when the interpreter or torch changed on disk. Reported for editors' logs.
    pool = default_pool()
    info = pool.info(options.python, options.memory_mb)
    result["worker"] = {"pid": info.pid if info else None, "torch": info.torch if info else "",
                        "starts": pool.starts, "restartsForChange": pool.restarts_for_change}
    return keyed, result


class ProbeListener:
    """The probe's part in the server's analysis cycle (an ``AnalysisListener``): every
    analysis of a probed version keeps that version's verdicts; shutdown stops the
    probe's worker."""

    def __init__(self, state: ProbeState) -> None:
        self.state = state

    def analysed(self, doc: Any, snap: Any) -> None:
        dp = self.state.by_uri.get(doc.uri)
        if dp is None:
            return
        if dp.version == snap.version and snap.findings:
            snap.findings = annotate(snap.findings, dp.records)
        elif dp.version != snap.version:
            self.state.by_uri.pop(doc.uri, None)  # the text changed: old verdicts no longer apply

    def closing(self) -> None:
        from ptlint.runtime_probe.worker import default_pool

        default_pool().close()


def register_probe(server: "PtlintServer") -> ProbeListener:
    state = ProbeState()
    listener = ProbeListener(state)
    server.add_listener(listener)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(params: types.CodeLensParams) -> Optional[list[types.CodeLens]]:
        from .documents import PYTHON

        uri = params.text_document.uri
        doc = server.doc_for(uri)
        if doc is None or doc.kind != PYTHON:
            return []
        _, enabled = _options(server, doc, None)
        if not enabled:
            return []
        cached = state.lenses.get(uri)
        if cached is not None and cached[0] == doc.version:
            models = cached[1]
        else:
            text = server.text_of(uri)
            if "torch" not in text:
                return []
            loop = asyncio.get_running_loop()
            try:
                models = await loop.run_in_executor(None, _model_lines, text, doc.path)
            except Exception:
                log.exception("shape facts for code lenses failed on %s", doc.path)
                return []
            state.lenses[uri] = (doc.version, models)
        title = LENS_TITLE["en" if server.lang_for(uri) == "en" else "zh"]
        return [types.CodeLens(
            range=types.Range(start=types.Position(line=line - 1, character=0), end=types.Position(line=line - 1, character=0)),
            command=types.Command(title=title, command=RUN_PROBE, arguments=[{"uri": uri, "model": name}]))
            for name, line in models]

    @server.command(RUN_PROBE)
    async def run_probe(*args: Any) -> dict[str, Any]:
        from .commands import command_arg
        from .documents import PYTHON

        uri, model, device = command_arg(args, "uri"), command_arg(args, "model", 1), command_arg(args, "device", 2)
        lang = server.lang_for(uri) if isinstance(uri, str) else "zh"
        doc = server.doc_for(uri) if isinstance(uri, str) else None
        if doc is None or server.scheduler is None:
            return {"error": NOT_OPEN[lang]}
        if doc.kind != PYTHON:
            return {"error": NOT_PYTHON[lang]}
        snap = await server.scheduler.current(doc, 10.0)
        if snap is None:
            return {"error": NOT_OPEN[lang]}
        options, _ = _options(server, doc, device)
        text = server.text_of(doc.uri)
        loop = asyncio.get_running_loop()
        try:
            keyed, result = await loop.run_in_executor(
                None, _run_blocking, server, doc, snap, text, options, lang, model if isinstance(model, str) else None)
        except ImportError as exc:  # no shape engine in this install
            return {"error": str(exc)}
        except Exception as exc:  # never let a probe bug take the server down
            log.exception("the probe failed on %s", doc.path)
            return {"error": f"{type(exc).__name__}: {exc}"}
        state.by_uri[doc.uri] = DocProbe(snap.version, keyed)
        _publish_verdicts(server, doc, snap, keyed)
        _tell(server, result, lang)
        return result

    return listener


def _publish_verdicts(server: "PtlintServer", doc: Any, snap: Any, keyed: dict) -> None:
    if doc.snapshot is not snap or doc.version != snap.version:
        return  # the text moved on while the probe ran: nothing to attach to
    snap.findings = annotate(snap.findings, keyed)
    if server.mode == "push":
        server.publish(doc, snap)
    else:
        # Pull clients ask again only when the result id changes: a new settings
        # generation re-analyses the document, and on_analysis re-attaches the verdicts.
        server.generation += 1
        if server.scheduler is not None:
            server.scheduler.touch(doc, 0)
        server.refresh_client_views()


def _tell(server: "PtlintServer", result: dict[str, Any], lang: str) -> None:
    server.log_message(f"ptlint probe: {result['uri']}\n{result['table']}")
    if result.get("failed"):
        server.show_message(f"ptlint: {result['failed']}", types.MessageType.Error)
        return
    lines = [m["summary"] for m in result["models"]]
    if not lines:
        lines = ["没有找到模型" if lang != "en" else "no model found"]
    kind = types.MessageType.Warning if any(m["status"] in ("mismatch", "failed") for m in result["models"]) \
        else types.MessageType.Info
    server.show_message("ptlint 探针：" + "；".join(lines) if lang != "en" else "ptlint probe: " + "; ".join(lines), kind)


__all__ = ["ProbeListener", "register_probe", "RUN_PROBE", "annotate", "verdict_suffix"]
