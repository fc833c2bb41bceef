"""The results cache in ``.ptlint_cache/``.

One small JSON file per (file content, display path, effective config) under a folder
named after the analysis code's fingerprint (ptlint version, Python version and the
size/mtime of every module in ``ptlint.rules``, so editing or adding a rule empties it).
Entries are written to a temp file and renamed into place, so two runs sharing the
cache never see half an entry; an unreadable entry is a miss. An entry also lists the
other project files its analysis read, with their digests (``deps``): when one of them
changed the entry is a miss, so train.py's findings follow an edit of models/blocks.py. Nothing here imports
libcst: a run answered wholly from the cache never loads the parser.

A cloned repository may ship a ``.ptlint_cache`` whose entries say "no findings" for its
files. Keys and entries are therefore bound to a secret of the user's own
(``$XDG_CACHE_HOME/ptlint/cache-secret``, created on first use, mode 0600): keys mix it
in, so nobody else can name the entries a run will look up, and each entry carries an
HMAC of its bytes, so an entry that was edited after it was written is a miss. Where
no secret can be kept (a read-only home), the cache is off.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import logging
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any, Optional

from ptlint import __version__
from ptlint.rules.project_digest import deps_current

log = logging.getLogger("ptlint")

CACHE_DIR_NAME = ".ptlint_cache"
FORMAT = "3"  # 2: related locations may name another file ("path"); 3: keyed and signed with the user's secret
STALE_SECONDS = 24 * 3600  # other fingerprints' folders older than this are removed

_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# ptlint's results cache; see https://bford.info/cachedir/\n"


def _code_files():
    """(path relative to its root, stat) of every file of ``ptlint.rules``, in order."""
    spec = importlib.util.find_spec("ptlint.rules")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".txt", ".json")):
                    p = os.path.join(dirpath, name)
                    try:
                        st = os.stat(p)
                    except OSError:
                        continue
                    yield os.path.relpath(p, root), st


def analysis_fingerprint() -> str:
    """Changes whenever the code that produces findings may have changed."""
    h = hashlib.sha256(f"{FORMAT}|{__version__}|{sys.version_info[:2]}".encode())
    for rel, st in _code_files():
        h.update(f"{rel}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:20]


def newest_code_mtime_ns() -> int:
    """When the code that produces findings last changed on disk (a long-running language
    server worker stores results only while its imported code is still this code)."""
    return max((max(st.st_mtime_ns, st.st_ctime_ns) for _, st in _code_files()), default=0)


SECRET_BYTES = 32
_secret_memo: dict[str, Optional[bytes]] = {}


def secret_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ptlint" / "cache-secret"


def user_secret() -> Optional[bytes]:
    """The user's cache secret, created on first use; None when it cannot be kept."""
    path = secret_path()
    memo = _secret_memo.get(str(path))
    if memo is not None or str(path) in _secret_memo:
        return memo
    secret = _load_or_create_secret(path)
    _secret_memo[str(path)] = secret
    return secret


def _load_or_create_secret(path: Path) -> Optional[bytes]:
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:  # another run made it just now: use theirs
        try:
            return _read_secret(path)
        except OSError:
            return None
    except OSError:
        return None
    secret = os.urandom(SECRET_BYTES)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret.hex().encode("ascii"))
    except OSError:
        return None
    return secret


def _read_secret(path: Path) -> bytes:
    raw = _read_regular(path)
    try:
        secret = bytes.fromhex(raw.decode("ascii").strip())
    except ValueError:
        raise OSError("not a ptlint cache secret") from None
    if len(secret) != SECRET_BYTES:
        raise OSError("not a ptlint cache secret")  # half-written by a run that was killed
    return secret


class Cache:
    def __init__(self, folder: str | Path) -> None:
        self.root = Path(folder)
        self.salt = analysis_fingerprint()
        self.dir = self.root / f"v{FORMAT}-{self.salt}"
        self.secret = user_secret()
        self.enabled = self.secret is not None
        self.hits = 0
        self.misses = 0
        self._ready = False

    # ------------------------------------------------------------------ keys
    def key(self, display_path: str, raw: bytes, config_repr: str) -> str:
        h = hashlib.sha256(self.secret or b"")
        h.update(hashlib.sha256(raw).digest())
        h.update(b"\0" + display_path.encode("utf-8", "surrogatepass") + b"\0" + config_repr.encode("utf-8"))
        return h.hexdigest()

    # ------------------------------------------------------------------ read
    def get(self, key: str) -> Optional[dict[str, Any]]:
        if not self.enabled:
            return None
        try:
            entry = json.loads(self._verified(_read_regular(self.dir / f"{key}.json")))
        except (OSError, ValueError):
            self.misses += 1
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            self.misses += 1
            return None
        if "deps" in entry and not deps_current(entry["deps"]):
            # A project file the analysis read (models/blocks.py for train.py) changed,
            # appeared or went away since: the findings may be stale.
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def sign(self, payload: bytes) -> bytes:
        """An entry's bytes: this user's HMAC of ``payload``, a newline, ``payload``."""
        return self._mac(payload) + b"\n" + payload

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.secret or b"", payload, hashlib.sha256).hexdigest().encode("ascii")

    def _verified(self, data: bytes) -> bytes:
        """The payload of an entry whose HMAC is this user's."""
        mac, sep, payload = data.partition(b"\n")
        if not sep or not hmac.compare_digest(mac, self._mac(payload)):
            raise ValueError("not an entry of this user's")
        return payload

    # ------------------------------------------------------------------ write
    def _prepare(self) -> bool:
        if self._ready:
            return True
        try:
            if self.root.is_symlink() or self.dir.is_symlink():
                # A cloned repository may ship .ptlint_cache as a link to a folder of the
                # user's: never create, write or prune anything through it.
                log.warning("ptlint: cache folder %s is a symbolic link; running without a cache", self.root)
                self.enabled = False
                return False
            fresh = not self.root.exists()
            self.dir.mkdir(parents=True, exist_ok=True)
            if fresh or not (self.root / "CACHEDIR.TAG").exists():
                self._write_text(self.root / "CACHEDIR.TAG", _TAG)
                self._write_text(self.root / ".gitignore", "# created by ptlint\n*\n")
            self._prune()
        except OSError:
            self.enabled = False
            return False
        self._ready = True
        return True

    def _write_text(self, path: Path, text: str) -> None:
        if not path.exists():
            self._atomic(path, text.encode("utf-8"))
            os.chmod(path, 0o644)

    def _prune(self) -> None:
        import shutil  # here: the language server's start reads entries and never prunes

        now = time.time()
        try:
            os.utime(self.dir)
        except OSError:
            pass
        for other in self.root.iterdir():
            if other.name.startswith("v") and "-" in other.name and other != self.dir \
                    and not other.is_symlink() and other.is_dir():
                try:
                    if now - other.stat().st_mtime > STALE_SECONDS:
                        shutil.rmtree(other, ignore_errors=True)
                except OSError:
                    pass

    def _atomic(self, path: Path, data: bytes) -> None:
        from ptlint.rules.fsutil import atomic_write  # writing only (tempfile, random: ~3 ms to import)

        atomic_write(path, data)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if not self.enabled or not self._prepare():
            return
        entry = dict(entry, key=key)
        try:
            data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError):
            return  # a finding whose extra facts are not JSON: simply not cached
        try:
            self._atomic(self.dir / f"{key}.json", self.sign(data))
        except OSError:
            self.enabled = False  # read-only folder, disk full: run on without a cache

    def discard(self, key: str) -> None:
        """Remove an entry that will not be asked for again (a version of a file since saved
        over); a missing one is fine."""
        if not self.enabled or self.root.is_symlink() or self.dir.is_symlink():
            return
        try:
            os.unlink(self.dir / f"{key}.json")
        except OSError:
            pass


_MAX_ENTRY = 64 << 20  # far above any real entry; a link to /dev/zero must not be read forever


def _read_regular(path: Path) -> bytes:
    """An entry's bytes, refusing links and anything that is not a plain file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_ENTRY:
            raise OSError("not a cache entry")
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read(_MAX_ENTRY + 1)
    finally:
        if fd >= 0:
            os.close(fd)


def default_cache_dir(project_root: Optional[str]) -> Path:
    env = os.environ.get("PTLINT_CACHE_DIR")
    if env:
        return Path(env)
    return Path(project_root or os.getcwd()) / CACHE_DIR_NAME
