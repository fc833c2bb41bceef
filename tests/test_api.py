"""The typed front-end API (``ptlint.rules.api``): one call gives a file's findings,
notices, shape facts, shape documents and the typed probe requests; the probe
dispatches on request types, and the language server's probe is a listener."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from ptlint.rules.api import FileReport, ShapeFact, analyse
from ptlint.rules.config import Config
from ptlint.rules.engine import lint_text
from ptlint.rules.findings import Position
from ptlint.rules.probe_requests import LossRequest, ShapeRequest, ViewRequest, request_for
from ptlint.rules.shapes import shapes_report

ROOT = Path(__file__).resolve().parent.parent

SRC = """import torch
import torch.nn as nn
criterion = nn.CrossEntropyLoss()
logits = torch.randn(3, 5)
labels = torch.Tensor([1, 0, 4])
loss = criterion(logits, labels)
x = torch.randn(2, 3, 4)
y = x.transpose(1, 2).view(-1)


class Net(nn.Module):  # ptlint: input=(1, 1, 28, 28)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 5)
        self.fc = nn.Linear(6 * 12 * 12, 10)

    def forward(self, x):
        x = self.conv(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)
"""


@pytest.fixture(scope="module")
def report() -> FileReport:
    return analyse(SRC, path="m.py", models=True)


def test_the_findings_are_the_engines(report):
    direct = lint_text(SRC, "m.py")
    assert report.findings == tuple(direct.findings)
    assert [f.code for f in report.findings] == ["PT016", "PT003", "PT001", "PT005"]
    assert report.path == "m.py" and not report.skipped and report.errors == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.findings = ()  # type: ignore[misc]


def test_each_probeable_finding_has_a_typed_request(report):
    kinds = {report.findings[i].code: type(req) for i, req in report.probe_requests.items()}
    assert kinds == {"PT003": LossRequest, "PT001": ViewRequest, "PT005": ShapeRequest}  # PT016: none
    by_type = {type(r): r for r in report.probe_requests.values()}
    view = by_type[ViewRequest]
    assert view.shape == (2, 3, 4) and view.dtype == "float32"
    assert [link.get("method") for link in view.chain] == ["transpose", "view"]
    assert view.range.start == Position(8, 4) and "view" in view.message_en
    loss = by_type[LossRequest]
    assert (loss.loss, loss.input_shape, loss.target_shape, loss.target_dtype) == \
        ("torch.nn.CrossEntropyLoss", (3, 5), (3,), "float32")
    assert by_type[ShapeRequest].range.start == Position(15, 28)


def test_a_request_is_rebuilt_from_a_cached_finding(report):
    """The CLI's cache stores findings as JSON: the request must come back the same."""
    from ptlint.rules.findings import Finding

    for i, req in report.probe_requests.items():
        again = Finding.from_dict(report.findings[i].to_dict())
        assert request_for(again) == req


def test_missing_facts_stay_missing():
    src = "import torch\ndef f(x):\n    return x.transpose(0, 1).view(-1)\n"
    got = analyse(src, facts=False)
    [(i, req)] = got.probe_requests.items()
    assert isinstance(req, ViewRequest) and req.shape is None and req.chain is None  # nothing guessed


def test_shape_facts_for_hover_and_inlay_hints(report):
    conv = next(f for f in report.shape_facts if f.code == "self.conv(x)")
    assert isinstance(conv, ShapeFact)
    assert conv.dims == (1, 6, 24, 24) and conv.text == "(1, 6, 24, 24)" and conv.model == "Net"
    assert conv.inlay == Position(18, 24) and conv.cell is None
    assert conv.formula is not None and "= 24" in conv.formula
    hover_only = [f for f in report.shape_facts if f.code == "x" and f.range.start.line == 18]
    assert hover_only and hover_only[0].inlay is None


def test_the_shapes_document_is_the_cli_contract(report):
    assert report.shapes_document() == shapes_report(SRC, "m.py")
    assert report.model_names == ("Net",)
    assert report.models[0]["input"]["shape"] == [1, 1, 28, 28]


def test_an_input_shape_and_a_model_filter():
    got = analyse(SRC, path="m.py", input_shape=(2, 1, 32, 32), models=True, model="Net", facts=False)
    [net] = got.models
    assert net["input"]["shape"] == [2, 1, 32, 32] and net["input"]["source"] == "cli"
    assert got.shape_facts == ()
    none = analyse(SRC, path="m.py", models=True, model="Other", facts=False)
    assert none.models == () and none.model_names == ("Net",)  # what the CLI lists in its error


def test_only_the_rules_asked_for():
    from ptlint.rules.catalog.pt001_view_on_noncontiguous import ViewOnNoncontiguous

    got = analyse(SRC, rules=[ViewOnNoncontiguous], facts=False)
    assert [f.code for f in got.findings] == ["PT001"] and list(got.probe_requests) == [0]


def test_a_file_without_torch_is_skipped():
    got = analyse("import os\nprint(os.getcwd())\n", Config())
    assert got.skipped and got.findings == () and got.shape_facts == () and got.probe_requests == {}


def test_notices_say_what_was_not_analysed():
    import json

    nb = {"cells": [{"cell_type": "code", "source": "import torch\ny = torch.randn(2, 3).t().view(-1)\n"}, 7],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    got = analyse(json.dumps(nb), path="nb.ipynb", notebook=True)
    assert [(n.kind, n.path, n.cell) for n in got.notices] == [("cell-not-object", "nb.ipynb", 2)]
    assert got.notice_lines() == ("nb.ipynb: 第 2 个单元格：notebook 已损坏：这个单元格不是 JSON 对象，已跳过，其余单元格照常检查",)
    assert got.notice_lines("en") == ("nb.ipynb: cell 2: broken notebook: the cell is not an object; cell skipped",)
    assert [(f.code, f.cell) for f in got.findings] == [("PT001", 1)]
    assert got.probe_requests[0].cell == 1  # a request knows its cell


def test_the_probe_never_names_a_rule_code():
    """The probe maps request types to handlers; a rule code in its code (a string
    literal such as "PT001") would be dispatch on codes again."""
    for path in sorted((ROOT / "runtime_probe").glob("*.py")):
        code = "\n".join(line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
        assert not re.search(r"""["']PT\d{3}["']""", code), path.name


def test_the_probe_checks_each_request_type_through_its_table():
    from ptlint.runtime_probe.probe import ALONE
    from ptlint.runtime_probe.statics import PREDICTED_STEPS

    assert set(ALONE) == {ViewRequest, LossRequest}  # a ShapeRequest runs with its model
    assert set(PREDICTED_STEPS) == {ViewRequest}
    assert ALONE[LossRequest].cpu_on_meta and not ALONE[ViewRequest].cpu_on_meta


# ---------------------------------------------------------------------- the language server
def test_the_server_calls_its_listeners_and_survives_a_broken_one():
    pytest.importorskip("pygls")
    from ptlint.rules.findings import Finding, Range, Severity
    from ptlint.server.lsp.server import PtlintServer
    from ptlint.server.lsp.worker import Snapshot

    server = PtlintServer()
    server.mode = "pull"  # nothing to publish to: no client in this test

    seen = []

    class Broken:
        def analysed(self, doc, snap):
            raise RuntimeError("listener bug")

        def closing(self):
            raise RuntimeError("listener bug")

    class Marks:
        def analysed(self, doc, snap):
            seen.append(snap.version)
            snap.findings = []

        def closing(self):
            seen.append("closed")

    server.add_listener(Broken())
    server.add_listener(Marks())
    doc = _doc("file:///m.py")
    f = Finding("PT001", "x", "zh", "en", Range(Position(1, 0), Position(1, 1)), Severity.ERROR)
    snap = Snapshot(doc.uri, 3, 0, findings=[f])
    server.on_analysis(doc, snap)
    assert seen == [3] and snap.findings == []
    server.shutdown_worker()
    assert seen == [3, "closed"]


def test_the_probe_listener_keeps_verdicts_of_the_probed_version_only():
    pytest.importorskip("pygls")
    from ptlint.rules.findings import Finding, Range, Severity
    from ptlint.server.lsp.probe import DocProbe, ProbeListener, ProbeState
    from ptlint.server.lsp.worker import Snapshot

    state = ProbeState()
    listener = ProbeListener(state)
    doc = _doc("file:///m.py")
    f = Finding("PT001", "x", "zh", "en", Range(Position(2, 4), Position(2, 9)), Severity.ERROR)
    rec = {"verdict": "confirmed", "detail": "d", "detail_zh": "d", "detail_en": "d", "device": "cpu",
           "torch": "2", "text": "confirmed by PyTorch"}
    state.by_uri[doc.uri] = DocProbe(5, {("PT001", 2, 4, None): rec})
    same = Snapshot(doc.uri, 5, 0, findings=[f])
    listener.analysed(doc, same)
    assert same.findings[0].extra["probe"] == rec and same.findings[0].message_en.startswith("en · ")
    newer = Snapshot(doc.uri, 6, 0, findings=[f])
    listener.analysed(doc, newer)
    assert newer.findings == [f] and doc.uri not in state.by_uri  # the text changed: verdicts dropped


def test_a_created_server_holds_the_probe_as_a_listener():
    pytest.importorskip("pygls")
    from ptlint.server.lsp.probe import ProbeListener
    from ptlint.server.lsp.server import PtlintServer, create_server

    server = create_server()
    assert any(isinstance(x, ProbeListener) for x in server.listeners)
    # nothing replaced on the instance: the class's own methods run
    assert "on_analysis" not in vars(server) and "shutdown_worker" not in vars(server)
    assert type(server) is PtlintServer


def _doc(uri: str):
    from ptlint.server.lsp.documents import PYTHON, Doc

    return Doc(uri=uri, path="/m.py", kind=PYTHON, version=1)
