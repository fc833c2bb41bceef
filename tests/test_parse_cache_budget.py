"""The parsed-file cache is bounded by memory, not by a number of files (issue 12): the
characters of source of the modules it keeps, least recently used dropped first, a file
heavier than the whole budget parsed for its caller and not kept, one content per file
and kind (an edited buffer replaces its earlier versions), the engine's fresh parses
bounded apart the same way. A budget of a few files changes how often files are
parsed, never what the user sees."""
import shutil
import threading
from pathlib import Path

import pytest

from ptlint.rules import project
from ptlint.rules.config import ConfigLoader
from ptlint.rules.project import CACHE_CHARS, FRESH_CHARS, MIN_CHARS, _parse, _ParseCache
from ptlint.rules.project_digest import MAX_BYTES, text_digest
from ptlint.server.runner import run_paths


def source(n: int, tag: str = "a") -> str:
    """A valid module of exactly ``n`` characters."""
    head = f"X_{tag} = 1\n"
    return head + "#" * (n - len(head) - 1) + "\n"


def key(name: str, text: str) -> tuple:
    return ("text", f"/p/{name}.py", text_digest(text))


def get(cache: _ParseCache, name: str, text: str):
    return cache.get(key(name, text), lambda: _parse(f"/p/{name}.py", text, text_digest(text)))


def consistent(cache: _ParseCache) -> None:
    assert cache.kept == sum(cache.weights[k] for k in cache.entries) <= cache.budget
    assert cache.fresh_kept == sum(cache.weights[k] for k in cache.fresh) <= cache.fresh_budget
    assert set(cache.weights) == set(cache.entries) | set(cache.fresh)
    assert set(cache.latest.values()) == set(cache.entries)


# ---------------------------------------------------------------------- the budget
def test_the_defaults_keep_any_file_an_index_reads():
    assert CACHE_CHARS >= MAX_BYTES and FRESH_CHARS >= MIN_CHARS


def test_files_are_dropped_by_the_characters_they_weigh():
    cache = _ParseCache(budget=1000, fresh_budget=1000)
    a, b, c = source(400, "a"), source(400, "b"), source(300, "c")
    for name, text in (("a", a), ("b", b)):
        get(cache, name, text)
    assert list(cache.entries) == [key("a", a), key("b", b)] and cache.kept == 800
    get(cache, "c", c)  # 1100 > 1000: the oldest goes, however few files are kept
    assert list(cache.entries) == [key("b", b), key("c", c)] and cache.kept == 700
    consistent(cache)
    parses = cache.parses
    assert get(cache, "b", b) is cache.entries[key("b", b)] and cache.parses == parses  # kept: no parse
    get(cache, "a", a)
    assert cache.parses == parses + 1  # dropped: parsed again


def test_many_small_files_fit_where_one_big_one_would():
    cache = _ParseCache(budget=10_000, fresh_budget=1000)
    small = [source(300, f"s{i}") for i in range(30)]
    for i, text in enumerate(small):
        get(cache, f"s{i}", text)
    assert len(cache.entries) == 30
    get(cache, "big", source(9_000, "big"))
    assert len(cache.entries) == 4 and key("big", source(9_000, "big")) in cache.entries
    consistent(cache)


def test_the_least_recently_used_file_goes_first():
    cache = _ParseCache(budget=1000, fresh_budget=1000)
    a, b, c = source(400, "a"), source(400, "b"), source(400, "c")
    get(cache, "a", a)
    get(cache, "b", b)
    get(cache, "a", a)  # read again: b is now the oldest
    get(cache, "c", c)
    assert list(cache.entries) == [key("a", a), key("c", c)]
    cache.module(key("a", a), a)  # the engine taking a kept module counts as a use too
    get(cache, "b", b)
    assert list(cache.entries) == [key("a", a), key("b", b)]
    consistent(cache)


def test_a_file_heavier_than_the_budget_is_parsed_but_not_kept():
    cache = _ParseCache(budget=1000, fresh_budget=500)
    small, big = source(300, "small"), source(1500, "big")
    get(cache, "small", small)
    pm = get(cache, "big", big)
    assert pm is not None and pm.text == big and "X_big" in pm.constants  # the caller has it
    assert list(cache.entries) == [key("small", small)]  # and nothing was pushed out for it
    get(cache, "big", big)
    assert cache.parses == 3
    module = cache.module(key("big", big), big)  # the engine's parse: over the fresh budget too
    assert module.code == big and not cache.fresh
    consistent(cache)


def test_files_that_do_not_parse_weigh_something_so_their_number_is_bounded():
    cache = _ParseCache(budget=10 * MIN_CHARS, fresh_budget=MIN_CHARS)
    for i in range(50):
        assert get(cache, f"bad{i}", f"def f{i}(:\n") is None
    assert len(cache.entries) == 10
    consistent(cache)


def test_the_engines_parses_wait_in_a_budget_of_their_own():
    cache = _ParseCache(budget=1000, fresh_budget=700)
    kept = source(400, "kept")
    get(cache, "kept", kept)
    fresh = [source(300, f"f{i}") for i in range(4)]
    for i, text in enumerate(fresh):
        cache.module(key(f"f{i}", text), text)
    assert list(cache.fresh) == [key("f2", fresh[2]), key("f3", fresh[3])]  # 600 of 700
    assert list(cache.entries) == [key("kept", kept)]  # analyses never push the project's files out
    parses = cache.parses
    pm = get(cache, "f3", fresh[3])  # an importer reads it: scanned, not parsed, and moved over
    assert cache.parses == parses and pm.module is cache.module(key("f3", fresh[3]), fresh[3])
    assert key("f3", fresh[3]) in cache.entries and key("f3", fresh[3]) not in cache.fresh
    consistent(cache)
    cache.clear()
    assert not cache.entries and not cache.fresh and not cache.weights and cache.kept == cache.fresh_kept == 0


def test_an_edited_buffer_replaces_its_earlier_versions():
    # An editor's keystrokes in a file that another open file imports: each version is
    # read by the importer's index, and only the last one is kept (not the budget's worth).
    cache = _ParseCache(budget=100_000, fresh_budget=1000)
    other = source(300, "other")
    get(cache, "other", other)
    versions = [source(400 + i, "typed") for i in range(20)]
    for text in versions:
        get(cache, "blocks", text)
    assert list(cache.entries) == [key("other", other), key("blocks", versions[-1])]
    disk = ("disk",) + key("blocks", versions[0])[1:]  # the saved file is another entry
    cache.get(disk, lambda: _parse("/p/blocks.py", versions[0], "d"))
    assert set(cache.entries) == {key("other", other), key("blocks", versions[-1]), disk}
    consistent(cache)
    assert set(cache.latest.values()) == set(cache.entries)


# ---------------------------------------------------------------------- what the user sees
BLOCK = """import torch
import torch.nn as nn
from m{nxt} import Block{nxt}


class Block{i}(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel_size=3)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(self.conv(x))


class Net{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block{nxt}(3, 16)
        self.fc = nn.Linear(16 * 16 * 16, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.block(x), 1))


Net{i}()(torch.randn(8, 3, 32, 32))
"""


@pytest.fixture
def ring(tmp_path) -> Path:
    """Files that each build the next one's block (a 3x3 conv without padding makes 32 -> 15,
    not 16: a PT005 whose cause is in the other file)."""
    root = tmp_path / "ring"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.ptlint]\n")
    n = 12
    for i in range(n):
        (root / f"m{i}.py").write_text(BLOCK.format(i=i, nxt=(i + 1) % n))
    return root


def run(root: Path, cache: _ParseCache, monkeypatch):
    monkeypatch.setattr(project, "PARSED", cache)
    result = run_paths([str(root)], ConfigLoader(), jobs=1, cache=False)
    return [f.to_dict() for f in result.findings], result.errors


def test_a_budget_of_a_few_files_parses_more_and_finds_the_same(ring, monkeypatch):
    roomy = _ParseCache()
    found, errors = run(ring, roomy, monkeypatch)
    pt005 = [f for f in found if f["code"] == "PT005"]
    assert len(pt005) == 12 and not errors
    assert all(any((r.get("path") or f["path"]) != f["path"] for r in f["related"])
               for f in pt005), "the cause is the next file's conv: the index read it"
    assert roomy.parses == 12  # every file once
    tight = _ParseCache(budget=len(BLOCK) * 2, fresh_budget=len(BLOCK))
    assert run(ring, tight, monkeypatch) == (found, errors)
    assert tight.parses > roomy.parses
    consistent(tight)


def test_a_file_over_the_budget_still_lends_its_code_to_its_importer(ring, monkeypatch):
    cache = _ParseCache(budget=len(BLOCK) // 2, fresh_budget=len(BLOCK) // 2)  # no file is kept
    found, errors = run(ring, cache, monkeypatch)
    assert (found, errors) == run(ring, _ParseCache(), monkeypatch)
    assert len([f for f in found if f["code"] == "PT005"]) == 12
    assert not cache.entries and not cache.fresh


def test_threads_sharing_a_tight_cache_keep_its_account(monkeypatch):
    cache = _ParseCache(budget=3000, fresh_budget=1000)
    texts = [source(400 + 50 * i, f"t{i}") for i in range(12)]
    errors = []

    def work(offset):
        try:
            for r in range(30):
                i = (offset + r * 5) % len(texts)
                pm = get(cache, f"t{i}", texts[i])
                assert pm is not None and pm.text == texts[i]
                cache.module(key(f"u{i}", texts[i]), texts[i])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    consistent(cache)
