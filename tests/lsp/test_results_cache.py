"""The results cache in the language server (server/lsp/result_cache.py): the worker stores
what it found in a file opened or saved as it is on disk; at the next start the fast start
publishes those diagnostics before the worker has analysed anything (here: while the
worker process is stopped with SIGSTOP, so it cannot have), and the analysis that follows
replaces them where they differ. An edited file, a changed dependency or an entry edited
by someone else is a miss; whatever the cache said, the last diagnostics the client has are
those of a fresh analysis."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

from ptlint.server.cache import Cache

from .rawlsp import RawServer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "project"
SERVER = [sys.executable, "-m", "ptlint.server", "--log-level", "DEBUG"]
CAPS = {"textDocument": {"publishDiagnostics": {"versionSupport": True, "relatedInformation": True,
                                                "tagSupport": {"valueSet": [1, 2]}}}}
UNPADDED = "nn.Conv2d(c_in, c_out, kernel_size=KERNEL)"
PADDED = "nn.Conv2d(c_in, c_out, kernel_size=KERNEL, padding=1)"
HIT = "published {uri} v1 from the results cache"
MISS = "no cached results for {uri} v1"
WAIT_S = 60.0

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, stops the worker")


def wait_until(what: Callable[[], object], timeout: float = WAIT_S, why: str = "") -> object:
    """Poll for a condition another process brings about (a file written, a line logged)."""
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {why or what}")
        time.sleep(0.02)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The cross-file fixture as a project of its own ([tool.ptlint]: the cache lives in its root)."""
    dest = tmp_path / "project"
    shutil.copytree(FIXTURE, dest)
    (dest / "pyproject.toml").write_text("[tool.ptlint]\n")
    monkeypatch.delenv("PTLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # this test's own secret
    return dest


def entries(project: Path) -> list[Path]:
    return sorted((project / ".ptlint_cache").glob("v*-*/*.json"))


class Start:
    """One server start: initialize, didOpen of ``path`` with ``text``; optionally with the
    analysis worker stopped until :meth:`resume`."""

    def __init__(self, path: Path, text: Optional[str] = None, stop_worker: bool = False) -> None:
        self.uri = path.as_uri()
        self.text = path.read_text() if text is None else text
        self.server = RawServer(SERVER)
        self.worker: Optional[int] = None
        if stop_worker:
            # The worker is forked before the server reads its first message.
            self.worker = wait_until(lambda: _children(self.server.proc.pid), why="the worker process")[0]
            os.kill(self.worker, signal.SIGSTOP)
            wait_until(lambda: self.worker_stopped(), why="the worker to stop")
        self.server.initialize(CAPS)
        self.server.notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "python", "version": 1, "text": self.text}})

    def worker_stopped(self) -> bool:
        try:
            stat = Path(f"/proc/{self.worker}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] == "T"

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, sig: int) -> None:
        if self.worker is not None:
            try:
                os.kill(self.worker, sig)
            except ProcessLookupError:  # it ended with the server
                pass

    def publish(self, nth: int = 0) -> dict:
        """The document's ``nth`` publish (0: the first), waiting for it."""
        self.server.wait_for(lambda m: len(self.publishes()) > nth)
        return self.publishes()[nth]

    def publishes(self) -> list[dict]:
        return [m["params"] for m in self.server.messages
                if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == self.uri]

    def logged(self, line: str) -> bool:
        return line.format(uri=self.uri) in self.server.stderr

    def finish(self) -> list[dict]:
        """Shut down; every publish for the document (the shutdown answer comes after them)."""
        try:
            self.resume()
            assert self.server.shutdown() == 0
        finally:
            self.close()
        return self.publishes()

    def close(self) -> None:
        self.resume()
        self.server.close()
        self._signal(signal.SIGKILL)  # an orphan a failed test would leave stopped


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def analysed(path: Path, text: Optional[str] = None) -> list[dict]:
    """A start that writes the entry: its publishes once the entry for this text is there."""
    before = len(entries_near(path))
    start = Start(path, text)
    try:
        start.publish()
        wait_until(lambda: len(entries_near(path)) > before, why="the entry to be written")
        return start.finish()
    finally:
        start.close()


def fresh(path: Path, text: Optional[str], tmp: Path) -> list[dict]:
    """What a server with an empty cache publishes for this text (a fresh analysis)."""
    os.environ["PTLINT_CACHE_DIR"] = str(tmp / f"fresh-{time.monotonic_ns()}")
    try:
        start = Start(path, text)
        start.publish()
        return start.finish()
    finally:
        del os.environ["PTLINT_CACHE_DIR"]


def entries_near(path: Path) -> list[Path]:
    for folder in (path.parent, *path.parents):
        if (folder / "pyproject.toml").exists():
            return entries(folder)
    return []


def test_second_start_answers_from_the_cache_while_the_worker_is_stopped(project):
    train = project / "train.py"
    first = analysed(train)
    assert len(first) == 1 and first[0]["diagnostics"], "the first start analyses and publishes once"
    assert len(entries(project)) == 1

    start = Start(train, stop_worker=True)
    try:
        cached = start.publish()
        assert start.worker_stopped(), "the worker cannot have analysed anything"
        wait_until(lambda: start.logged(HIT), why="the hit to be logged")
        assert cached == first[0]  # the same diagnostics, related locations and all
        start.resume()
        wait_until(lambda: start.logged("the analysis of {uri} v1 agrees with the cached diagnostics"))
        got = start.finish()
    finally:
        start.close()
    assert got == first  # published once, not repeated by the analysis nor by pygls


def _edit_file(project: Path) -> Optional[str]:
    train = project / "train.py"
    train.write_text(train.read_text() + "\n\nEPOCHS = 3\n")
    return None


def _edit_dependency(project: Path) -> Optional[str]:
    blocks = project / "models" / "blocks.py"
    blocks.write_text(blocks.read_text().replace(UNPADDED, PADDED))  # train.py itself is unchanged
    return None


def _tamper(project: Path) -> Optional[str]:
    (entry,) = entries(project)
    data = entry.read_bytes()
    assert b'"PT005"' in data
    entry.write_bytes(data.replace(b'"PT005"', b'"PT015"'))  # the signature no longer matches
    return None


def _unsaved(project: Path) -> Optional[str]:
    return (project / "train.py").read_text().replace("import torch\n", "import torch  # unsaved\n", 1)


@pytest.mark.parametrize("change", [_edit_file, _edit_dependency, _tamper, _unsaved],
                         ids=["file-edited-on-disk", "dependency-changed", "entry-tampered", "buffer-not-file"])
def test_a_stale_or_foreign_entry_is_a_miss(project, tmp_path, change):
    train = project / "train.py"
    before = analysed(train)
    text = change(project)
    start = Start(train, text, stop_worker=True)
    try:
        wait_until(lambda: start.logged(MISS) or start.logged(HIT), why="the cache lookup")
        assert start.logged(MISS) and not start.logged(HIT)
        assert start.worker_stopped()
        start.resume()
        start.publish()
        got = start.finish()
    finally:
        start.close()
    expected = fresh(train, text, tmp_path)
    assert [p["diagnostics"] for p in got] == [p["diagnostics"] for p in expected]
    if change is _edit_dependency:  # what the old entry said would now be wrong
        assert got[0]["diagnostics"] != before[0]["diagnostics"]


def test_a_wrong_entry_signed_by_the_user_is_corrected_by_the_analysis(project, tmp_path):
    """An entry that is ours but wrong (the user's own stale entry): published first, then
    replaced by the analysis; the client ends with the fresh diagnostics."""
    train = project / "train.py"
    right = analysed(train)[0]
    (entry,) = entries(project)
    store = Cache(entry.parent.parent)
    payload = json.loads(store._verified(entry.read_bytes()))
    payload["findings"] = []  # "no findings"
    entry.write_bytes(store.sign(json.dumps(payload).encode("utf-8")))

    start = Start(train, stop_worker=True)
    try:
        wrong = start.publish()
        assert start.worker_stopped() and wrong["diagnostics"] == []
        start.resume()
        start.publish(1)
        got = start.finish()
    finally:
        start.close()
    assert [p["diagnostics"] for p in got] == [[], right["diagnostics"]]
    assert got[-1] == right


def test_only_the_text_on_disk_is_stored_and_a_save_replaces_it(project):
    train = project / "train.py"
    disk = train.read_text()
    unsaved = disk + "\nBATCH = 8\n"
    start = Start(train)
    try:
        start.publish()
        opened = wait_until(lambda: entries(project), why="the opened file's entry")
        for version, text in ((2, unsaved), (3, disk)):  # typed, then undone
            start.server.notify("textDocument/didChange", {"textDocument": {"uri": start.uri, "version": version},
                                                           "contentChanges": [{"text": text}]})
            start.server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                  and m["params"]["version"] == version)
        # The worker stores after answering, and answers in order: v2's entry would be there.
        assert entries(project) == opened
        start.server.notify("textDocument/didChange", {"textDocument": {"uri": start.uri, "version": 4},
                                                       "contentChanges": [{"text": unsaved}]})
        train.write_text(unsaved)
        start.server.notify("textDocument/didSave", {"textDocument": {"uri": start.uri}})
        # The saved text's entry replaces the one of the text saved over: one entry per file.
        wait_until(lambda: len(entries(project)) == 1 and entries(project) != opened, why="the saved text's entry")
        start.finish()
    finally:
        start.close()
    again = Start(train, stop_worker=True)
    try:
        again.publish()
        assert again.worker_stopped()
        wait_until(lambda: again.logged(HIT), why="the hit to be logged")
    finally:
        again.close()


def test_no_cache_outside_a_project(tmp_path, monkeypatch):
    """No [tool.ptlint] and no $PTLINT_CACHE_DIR: the CLI would put the cache in the folder
    it runs from, which a server cannot know; it writes none."""
    monkeypatch.delenv("PTLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model.py"
    model.write_text("import torch.nn.functional as F\n\ndef f(x):\n    return F.softmax(x)\n")
    start = Start(model)
    try:
        start.publish()
        start.server.notify("textDocument/didChange", {"textDocument": {"uri": start.uri, "version": 2},
                                                       "contentChanges": [{"text": model.read_text()}]})
        start.server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                              and m["params"]["version"] == 2)
        start.finish()
    finally:
        start.close()
    assert not any(p.name == ".ptlint_cache" for p in tmp_path.rglob("*"))


# ---------------------------------------------------------------------- in one process
def _analysed_job(project: Path):
    from ptlint.rules.config import ConfigLoader
    from ptlint.server.lsp.worker import Job, analyse

    train = project / "train.py"
    job = Job(train.as_uri(), 1, 0, str(train), "python", ConfigLoader().for_path(train), text=train.read_text())
    return job, analyse(job)


def test_what_the_worker_stores_reads_back_as_the_same_findings(project, monkeypatch):
    from ptlint.server.lsp import result_cache

    job, snap = _analysed_job(project)
    assert snap.findings and snap.deps and not snap.crash
    monkeypatch.setattr(result_cache, "_worker_started_ns", time.time_ns())
    result_cache.store(job, snap)
    hit = result_cache.lookup(job.path, job.text, job.config)
    assert hit is not None and hit.findings == snap.findings and hit.notices == snap.notices
    assert result_cache.lookup(job.path, job.text + "\n", job.config) is None  # another text


def test_a_worker_older_than_the_rules_on_disk_stores_nothing(project, monkeypatch):
    """An upgrade (or an edit of a rule) under a running server: its findings come from the
    old code and must not be filed under the new code's fingerprint."""
    from ptlint.server.cache import newest_code_mtime_ns
    from ptlint.server.lsp import result_cache

    job, snap = _analysed_job(project)
    monkeypatch.setattr(result_cache, "_worker_started_ns", newest_code_mtime_ns() - 1)
    result_cache.store(job, snap)
    assert entries(project) == []
    assert result_cache.lookup(job.path, job.text, job.config) is None
