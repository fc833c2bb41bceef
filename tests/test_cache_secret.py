"""A cloned repository cannot hide findings through a shipped ``.ptlint_cache``: cache keys
and entries are bound to the user's own secret (server/cache.py)."""
import hashlib
import hmac
import json
import os
import shutil
import stat
import subprocess
import sys

BUGGY = "import torch\nx = torch.randn(2, 3).t().view(-1)\n"


def _check(cwd, user_cache, *args):
    env = dict(os.environ, XDG_CACHE_HOME=str(user_cache))
    proc = subprocess.run([sys.executable, "-m", "ptlint", "check", "--format", "json", *args, "a.py"],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=120)
    return [d["code"] for d in json.loads(proc.stdout)]


def _entries(project):
    return sorted((project / ".ptlint_cache").glob("v*/*.json"))


def _emptied(entry):
    """The entry an attacker would ship: same key, no findings, payload re-written."""
    payload = json.loads(entry.read_bytes().partition(b"\n")[2])
    payload["findings"] = []
    return json.dumps(payload).encode()


def test_a_cache_made_by_someone_else_is_never_used(tmp_path):
    attacker, victim = tmp_path / "attacker", tmp_path / "victim"
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.py").write_text(BUGGY)
    assert _check(repo, attacker) == ["PT001"]
    [entry] = _entries(repo)
    # The attacker forges the entry with their own secret (as ptlint would sign it).
    secret = bytes.fromhex((attacker / "ptlint" / "cache-secret").read_text())
    payload = _emptied(entry)
    entry.write_bytes(hmac.new(secret, payload, hashlib.sha256).hexdigest().encode() + b"\n" + payload)
    assert _check(repo, attacker) == []  # the attacker's own runs trust their own cache
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone)  # what `git clone` of a repo that committed the cache gives
    assert _check(clone, victim) == ["PT001"]  # other keys, other signatures: analysed afresh


def test_an_entry_edited_after_it_was_written_is_a_miss(tmp_path):
    user = tmp_path / "user"
    (tmp_path / "a.py").write_text(BUGGY)
    assert _check(tmp_path, user) == ["PT001"]
    [entry] = _entries(tmp_path)
    mac = entry.read_bytes().partition(b"\n")[0]
    entry.write_bytes(mac + b"\n" + _emptied(entry))  # the old signature on new content
    assert _check(tmp_path, user) == ["PT001"]


def test_the_secret_is_private_and_reused(tmp_path):
    user = tmp_path / "user"
    (tmp_path / "a.py").write_text(BUGGY)
    _check(tmp_path, user)
    secret = user / "ptlint" / "cache-secret"
    first = secret.read_text()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(bytes.fromhex(first)) == 32
    _check(tmp_path, user, "--no-cache")
    _check(tmp_path, user)
    assert secret.read_text() == first


def test_no_place_for_a_secret_means_no_cache_but_a_full_check(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache home should be\n")
    (tmp_path / "a.py").write_text(BUGGY)
    assert _check(tmp_path, blocked) == ["PT001"]
    assert _check(tmp_path, blocked) == ["PT001"]
    assert not (tmp_path / ".ptlint_cache").exists()
