"""The parent side of the probe worker: start it, talk to it, stop it.

One long-lived worker per (interpreter, memory limit) keeps torch imported between
runs; answers are cached by snippet hash. Whatever goes wrong in the worker — torch
missing, a crash, a hang, running out of memory — comes back as a ``ProbeFailed``
with a one-line message, never as a traceback and never as a lint failure."""
from __future__ import annotations

import atexit
import collections
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import BilingualError

WORKER_SOURCE = Path(__file__).with_name("worker_main.py")

# Variables the worker may see; everything else (PYTHONPATH, tokens, proxies…) is dropped.
ENV_KEEP = (
    "PATH", "HOME", "USERPROFILE", "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "TEMP", "TMP", "TMPDIR",
    "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES", "CUDA_HOME", "CUDA_PATH", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
    "PYTORCH_ENABLE_MPS_FALLBACK", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
)


class ProbeFailed(BilingualError):
    """The probe could not give a verdict. ``zh``/``en`` are one-line messages, without a
    "probe failed" prefix: whoever prints one adds it once, in the run's language."""


class TorchMissing(ProbeFailed):
    """torch cannot be imported by the configured interpreter."""


def torch_missing(python: str, detail: str = "") -> TorchMissing:
    zh = (f"探针需要 torch，但解释器 {python} 无法导入它{('（' + detail + '）') if detail else ''}。"
          f"请在该环境中运行 pip install torch，或把 probe.python 设置为装有 torch 的解释器。")
    en = (f"the probe needs torch, but {python} cannot import it{(' (' + detail + ')') if detail else ''}. "
          f"Run pip install torch in that environment, or point probe.python at an interpreter that has torch.")
    return TorchMissing(zh, en)


def scrubbed_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ENV_KEEP}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@dataclass
class WorkerInfo:
    python: str
    python_version: str = ""
    torch: str = ""
    started_s: float = 0.0  # wall time from spawn to "ready" (interpreter start + torch import)
    torch_file: str = ""  # torch/__init__.py as the worker imported it
    pid: int = 0
    fingerprint: tuple = ()  # the interpreter and torch on disk when it started (see ``install_fingerprint``)


def install_fingerprint(python: str, torch_file: str) -> tuple:
    """What changes when the interpreter or torch is replaced or upgraded: the files'
    identity and modification times. A few ``stat`` calls, cheap enough for every run."""
    out = []
    paths = [python, torch_file]
    if torch_file:
        pkg = os.path.dirname(torch_file)
        paths.append(os.path.join(pkg, "version.py"))  # rewritten by every install of torch
    for p in paths:
        try:
            st = os.stat(os.path.realpath(p)) if p else None
        except OSError:
            st = None
        out.append((p, st.st_ino, st.st_mtime_ns, st.st_size) if st is not None else (p, None))
    return tuple(out)


def _describe_exit(code: Optional[int]) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit code {code}"


def _looks_like_oom(code: Optional[int], stderr_tail: str) -> bool:
    """The memory limit hit inside a native library (OpenBLAS, the allocator) that then
    exits instead of raising, or the kernel's OOM killer (SIGKILL)."""
    text = stderr_tail.lower()
    return code == -getattr(signal, "SIGKILL", 9) or "memory allocation" in text or "out of memory" in text \
        or "cannot allocate memory" in text or "bad_alloc" in text


class WorkerProcess:
    """One worker process. Not thread-safe by itself: the pool serialises requests."""

    def __init__(self, python: str, memory_mb: int, start_timeout: float) -> None:
        self.python = python
        self.memory_mb = memory_mb
        self.start_timeout = start_timeout
        self.proc: Optional[subprocess.Popen] = None
        self.info = WorkerInfo(python)
        self._lines: "queue.Queue[Optional[bytes]]" = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._cwd: Optional[str] = None
        self._next_id = 0

    # ------------------------------------------------------------------ life cycle
    def start(self) -> WorkerInfo:
        self._cwd = tempfile.mkdtemp(prefix="ptlint-probe-")
        kw: dict[str, Any] = {}
        if os.name == "posix":
            kw["start_new_session"] = True  # its own process group: a timeout kills everything it started
        else:
            kw["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        argv = [self.python, "-E", "-c", WORKER_SOURCE.read_text(encoding="utf-8"), str(int(self.memory_mb))]
        t0 = time.perf_counter()
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         cwd=self._cwd, env=scrubbed_env(), close_fds=True, **kw)
        except OSError as exc:
            self._cleanup()
            raise ProbeFailed(f"无法启动解释器 {self.python}：{exc.strerror or exc}",
                              f"cannot start the interpreter {self.python}: {exc.strerror or exc}") from None
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        ready = self._read(self.start_timeout, starting=True)
        if not ready.get("ready"):
            self.close()
            if ready.get("error") == "no-torch":
                raise torch_missing(self.python)
            raise torch_missing(self.python, str(ready.get("detail", "")))
        torch_file = str(ready.get("torch_file") or "")
        self.info = WorkerInfo(self.python, ready.get("python_version", ""), ready.get("torch", ""),
                               time.perf_counter() - t0, torch_file, int(ready.get("pid") or self.proc.pid),
                               install_fingerprint(self.python, torch_file))
        return self.info

    def outdated(self) -> bool:
        """The interpreter or torch changed on disk since this worker imported it."""
        return bool(self.info.fingerprint) and install_fingerprint(self.python, self.info.torch_file) != self.info.fingerprint

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self, fast: bool = False) -> None:
        """Stop the worker. ``fast``: kill it at once (at interpreter exit: torch's own
        teardown would add most of a second to every CLI run and the worker holds
        nothing worth flushing)."""
        proc = self.proc
        if fast and proc is not None and proc.poll() is None:
            self._kill()
        elif proc is not None and proc.poll() is None:
            try:
                proc.stdin.write(b'{"op": "exit"}\n')  # type: ignore[union-attr]
                proc.stdin.flush()  # type: ignore[union-attr]
                proc.wait(timeout=2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self._kill()
        self._cleanup()

    def _kill(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _cleanup(self) -> None:
        # stdout/stderr are closed by their pump threads at EOF (closing them here could
        # block on a read in progress); stdin is ours.
        if self.proc is not None and self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if self._cwd:
            shutil.rmtree(self._cwd, ignore_errors=True)
            self._cwd = None

    # ------------------------------------------------------------------ I/O
    def _pump_stdout(self) -> None:
        stream = self.proc.stdout  # type: ignore[union-attr]
        try:
            for line in stream:
                self._lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            self._lines.put(None)
            stream.close()

    def _pump_stderr(self) -> None:
        stream = self.proc.stderr  # type: ignore[union-attr]
        try:
            for line in stream:
                self._stderr.append(line.decode("utf-8", "replace").rstrip())
        except (OSError, ValueError):
            pass
        finally:
            stream.close()

    def stderr_tail(self, n: int = 3) -> str:
        lines = [l for l in self._stderr if l.strip()]
        return " | ".join(lines[-n:])

    def _read(self, timeout: float, starting: bool = False) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                self._kill()
                self._cleanup()
                what = "启动（导入 torch）" if starting else "运行"
                raise ProbeFailed(f"worker {what}超过 {timeout:g} 秒没有结果，已被终止",
                                  f"the worker gave no answer within {timeout:g} s "
                                  f"({'starting / importing torch' if starting else 'running the snippet'}) and was stopped") from None
            if line is None:
                code = self.proc.wait() if self.proc else None
                time.sleep(0.05)  # let the stderr pump catch the last words
                tail = self.stderr_tail()
                self._cleanup()
                detail = _describe_exit(code) + (f": {tail}" if tail else "")
                if _looks_like_oom(code, tail):
                    raise ProbeFailed(f"内存不足，worker 已退出（{detail}）",
                                      f"out of memory, the worker exited ({detail})")
                raise ProbeFailed(f"worker 意外退出（{detail}）", f"the worker exited ({detail})")
            try:
                return json.loads(line.decode("utf-8"))
            except ValueError:
                continue  # not ours

    def request(self, code: str, device: str, timeout: float) -> dict[str, Any]:
        if not self.alive:
            raise ProbeFailed("worker 已退出", "the worker is not running")
        self._next_id += 1
        msg = json.dumps({"id": self._next_id, "code": code, "device": device}) + "\n"
        try:
            self.proc.stdin.write(msg.encode("utf-8"))  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (OSError, ValueError):
            return self._read(timeout)  # it died: _read reports how
        while True:
            answer = self._read(timeout)
            if answer.get("id") == self._next_id:
                return answer


def resolve_python(python: Optional[str]) -> str:
    if not python:
        return sys.executable
    found = shutil.which(python) if os.sep not in python and "/" not in python else None
    return found or os.path.expanduser(python)


@dataclass
class WorkerPool:
    """Long-lived workers by (interpreter, memory limit); answers cached by snippet hash."""

    cache_size: int = 256
    _workers: dict[tuple[str, int], WorkerProcess] = field(default_factory=dict)
    _locks: dict[tuple[str, int], threading.Lock] = field(default_factory=dict)
    _cache: "collections.OrderedDict[tuple, dict]" = field(default_factory=collections.OrderedDict)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    starts: int = 0  # how many workers were started (tests and the benchmark look)
    restarts_for_change: int = 0  # of which because torch or the interpreter changed
    _prestart_errors: dict[tuple[str, int], ProbeFailed] = field(default_factory=dict)

    def prestart(self, python: Optional[str] = None, memory_mb: int = 4096, timeout: float = 20.0) -> None:
        """Start the worker in the background, so that the interpreter start and
        ``import torch`` (most of a cold probe) overlap the static analysis. A failure is
        kept and raised by the run that needs the worker, never twice."""
        py = resolve_python(python)
        key = (py, memory_mb)
        lock = self._lock_for(key)

        def start() -> None:
            with lock:
                try:
                    self.worker(py, memory_mb, timeout)
                except ProbeFailed as exc:
                    self._prestart_errors[key] = exc

        threading.Thread(target=start, name="ptlint-probe-prestart", daemon=True).start()

    def _drop_if_outdated(self, key: tuple[str, int]) -> None:
        """A worker (and its cached answers) for an interpreter or torch that has been
        replaced since it started is stopped: the next run starts a fresh one."""
        w = self._workers.get(key)
        if w is not None and w.alive and w.outdated():
            self._workers.pop(key, None)
            w.close()
            self.restarts_for_change += 1
            for ck in [k for k in self._cache if k[:2] == key]:
                self._cache.pop(ck, None)

    def info(self, python: Optional[str] = None, memory_mb: int = 4096) -> Optional[WorkerInfo]:
        """The live worker's facts (pid, torch), if one is running."""
        w = self._workers.get((resolve_python(python), memory_mb))
        return w.info if w is not None and w.alive else None

    def _lock_for(self, key: tuple[str, int]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def worker(self, python: str, memory_mb: int, timeout: float) -> WorkerProcess:
        """A running worker for this interpreter; call with the key's lock held."""
        key = (python, memory_mb)
        failed = self._prestart_errors.pop(key, None)
        if failed is not None:
            raise failed
        w = self._workers.get(key)
        if w is None or not w.alive:
            w = WorkerProcess(python, memory_mb, start_timeout=max(timeout, 30.0))
            self.starts += 1
            w.start()
            self._workers[key] = w
        return w

    def run(self, code: str, snippet_key: str, *, device: str, python: Optional[str] = None,
            timeout: float = 20.0, memory_mb: int = 4096, use_cache: bool = True) -> dict[str, Any]:
        """Run a snippet; the answer dict gets ``cached`` and ``worker`` (WorkerInfo) added."""
        py = resolve_python(python)
        key = (py, memory_mb)
        ckey = (py, memory_mb, device, snippet_key)
        with self._lock_for(key):
            self._drop_if_outdated(key)
            if use_cache and ckey in self._cache:
                self._cache.move_to_end(ckey)
                return {**self._cache[ckey], "cached": True}
            w = self.worker(py, memory_mb, timeout)
            try:
                answer = w.request(code, device, timeout)
            except ProbeFailed:
                self._workers.pop(key, None)
                raise
            answer["worker"] = w.info
            if "fatal" not in answer:
                self._cache[ckey] = answer
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            return {**answer, "cached": False}

    def close(self, fast: bool = False) -> None:
        with self._guard:
            workers = list(self._workers.values())
            self._workers.clear()
            self._cache.clear()
        for w in workers:
            w.close(fast)


_POOL: Optional[WorkerPool] = None
_POOL_LOCK = threading.Lock()


def default_pool() -> WorkerPool:
    """The process-wide pool (the CLI's and the language server's): one warm worker."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool()
            atexit.register(_POOL.close, True)
        return _POOL
