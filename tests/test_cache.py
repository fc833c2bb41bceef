"""The results cache in .ptlint_cache/: same findings as a fresh run, invalidated by
content and config, safe when two runs share it, never in the way when it cannot work."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.findings import Finding
from ptlint.rules.rule import all_rules
from ptlint.server.cache import Cache


@pytest.fixture(autouse=True)
def own_secret(tmp_path, monkeypatch):
    """Each test is its own user: its cache secret (server/cache.py) lives in its tmp folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))

BUGGY = "import torch.nn as nn\nimport torch.nn.functional as F\nlayer = nn.Softmax()\ndrop = nn.Dropout(50)\n"


def entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".ptlint_cache").glob("v*/*.json"))


def run_json(run_cli, *args, **kw):
    proc = run_cli(*args, "--format", "json", **kw)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_warm_run_equals_cold_run_and_cache_is_used(run_cli, tmp_path):
    (tmp_path / "a.py").write_text(BUGGY)
    (tmp_path / "b.py").write_text("import torch\nx = 1\n")
    fresh = run_json(run_cli, ".", "--no-cache")
    assert not (tmp_path / ".ptlint_cache").exists()  # --no-cache writes nothing
    cold = run_json(run_cli, ".")
    warm = run_json(run_cli, ".")
    assert fresh == cold == warm and len(fresh) == 2
    assert (tmp_path / ".ptlint_cache" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")
    assert (tmp_path / ".ptlint_cache" / ".gitignore").read_text().endswith("*\n")
    files = entries(tmp_path)
    assert len(files) == 2
    # The warm run really reads the cache: an entry re-signed with this user's secret
    # shows up; the same edit without the signature is a miss (the file is analysed again).
    store = Cache(tmp_path / ".ptlint_cache")
    signed = {}
    for f in files:
        entry = json.loads(f.read_bytes().partition(b"\n")[2])
        for d in entry["findings"]:
            d["message_zh"] = "来自缓存"
        payload = json.dumps(entry).encode()
        signed[f] = store.sign(payload)
        f.write_bytes(payload)
    assert "来自缓存" not in {d["message"] for d in run_json(run_cli, "a.py")}
    for f, data in signed.items():
        f.write_bytes(data)
    assert {d["message"] for d in run_json(run_cli, "a.py")} == {"来自缓存"}
    # Changing the file's content is a miss.
    (tmp_path / "a.py").write_text(BUGGY + "\n")
    assert {d["message"] for d in run_json(run_cli, "a.py")} != {"来自缓存"}


def test_config_change_is_a_miss(run_cli, tmp_path):
    (tmp_path / "a.py").write_text(BUGGY)
    assert [d["severity"] for d in run_json(run_cli, "a.py")] == ["warning", "error"]
    (tmp_path / "pyproject.toml").write_text('[tool.ptlint]\nseverity = { PT017 = "hint" }\n')
    assert [d["severity"] for d in run_json(run_cli, "a.py")] == ["hint", "error"]
    assert [d["code"] for d in run_json(run_cli, "a.py", "--ignore", "PT017")] == ["PT027"]


def test_broken_entries_and_unusable_cache_dir(run_cli, tmp_path):
    (tmp_path / "a.py").write_text(BUGGY)
    expected = run_json(run_cli, "a.py", "--no-cache")
    run_json(run_cli, "a.py")
    for f in entries(tmp_path):
        f.write_text('{"key": "trunc')  # a torn write (cannot happen with rename, but still)
    assert run_json(run_cli, "a.py") == expected
    (tmp_path / "not_a_dir").write_text("")
    assert run_json(run_cli, "a.py", "--cache-dir", str(tmp_path / "not_a_dir" / "c")) == expected


def test_two_concurrent_runs_share_the_cache(tmp_path):
    for i in range(40):
        (tmp_path / f"m{i:02d}.py").write_text(BUGGY + f"y{i} = F.softmax(x)\n" + ("# " + "pad " * 60 + "\n") * 30)
    cmd = [sys.executable, "-m", "ptlint", "check", ".", "--format", "json"]
    env = {**os.environ, "PTLINT_CACHE_DIR": str(tmp_path / "shared_cache")}
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 1 for p in procs), [o[1] for o in outs]
    fresh = subprocess.run(cmd + ["--no-cache"], cwd=tmp_path, capture_output=True, env=env).stdout
    assert json.loads(outs[0][0]) == json.loads(outs[1][0]) == json.loads(fresh)
    cache = tmp_path / "shared_cache"
    assert len(list(cache.glob("v*/*.json"))) == 40
    assert not [p for p in cache.rglob("*") if p.name.startswith(".tmp-")]  # no torn temp files
    warm = subprocess.run(cmd, cwd=tmp_path, capture_output=True, env=env).stdout
    assert json.loads(warm) == json.loads(fresh)
    assert not (tmp_path / ".ptlint_cache").exists()  # PTLINT_CACHE_DIR was used instead


def _examples():
    for code, rule in all_rules().items():
        for src in rule.must_flag:
            nb = src.lstrip().startswith("{")
            yield pytest.param(code, src, nb, id=f"{code}-{len(src)}")


@pytest.mark.parametrize("code,src,nb", list(_examples()))
def test_findings_survive_the_cache_round_trip(code, src, nb):
    res = lint_text(src, "x.ipynb" if nb else "x.py", Config(), notebook=nb)
    for f in res.findings:
        back = Finding.from_dict(json.loads(json.dumps(f.to_dict(), ensure_ascii=False)))
        assert back == f
        assert back.to_dict() == json.loads(json.dumps(f.to_dict()))


def test_a_cache_folder_that_is_a_link_is_never_written_through(run_cli, tmp_path):
    # A cloned repository may ship .ptlint_cache as a link to a folder of the user's:
    # ptlint must neither write into it nor prune old-looking folders there.
    victim = tmp_path / "victim"
    old = victim / "v1-keepme"
    old.mkdir(parents=True)
    os.utime(old, (0, 0))
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text(BUGGY)
    (project / ".ptlint_cache").symlink_to(victim, target_is_directory=True)
    first = run_json(run_cli, "a.py", cwd=project)
    again = run_json(run_cli, "a.py", cwd=project)
    assert first == again and len(first) == 2  # still checked, just without a cache
    assert sorted(p.name for p in victim.iterdir()) == ["v1-keepme"]


def test_a_cache_entry_that_is_a_link_is_a_miss(run_cli, tmp_path):
    (tmp_path / "a.py").write_text(BUGGY)
    cold = run_json(run_cli, "a.py")
    [entry] = entries(tmp_path)
    forged = tmp_path / "forged.json"
    forged.write_text(entry.read_text())  # even a faithful copy: links are never followed
    entry.unlink()
    entry.symlink_to(forged)
    assert run_json(run_cli, "a.py") == cold  # the link is not followed: the file is analysed again
