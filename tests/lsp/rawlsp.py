"""A byte-level LSP client for tests that must send what no well-behaved client library
can (broken headers, negative positions): the server runs as a real subprocess over
stdio; a reader thread collects every message it writes."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[2]


def frame(obj: Any) -> bytes:
    body = json.dumps(obj).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawServer:
    def __init__(self, args: Optional[list[str]] = None) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(args or [sys.executable, "-m", "ptlint.server"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.messages: list[dict] = []
        self._new: "queue.Queue[dict]" = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr: list[bytes] = []
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr), daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
                elif line in (b"\r\n", b"\n"):
                    break
            msg = json.loads(out.read(length))
            self.messages.append(msg)
            self._new.put(msg)

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, obj: Any) -> None:
        self.write(frame(obj))

    def request(self, msg_id: int, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, pred: Callable[[dict], bool], timeout: float = 60.0) -> dict:
        """The first message (already received or still to come) matching ``pred``."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for msg in self.messages[seen:]:
                if pred(msg):
                    return msg
            seen = len(self.messages)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching message within {timeout} s; got {self.messages}\n"
                                     f"stderr: {self.stderr[-3000:]}")
            if self.proc.poll() is not None and self._new.empty() and not self._reader.is_alive():
                raise AssertionError(f"the server exited with {self.proc.returncode}; got {self.messages}\n"
                                     f"stderr: {self.stderr[-3000:]}")
            try:
                self._new.get(timeout=min(left, 0.5))
            except queue.Empty:
                pass

    def response(self, msg_id: int, timeout: float = 60.0) -> dict:
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, timeout)

    def initialize(self, capabilities: Optional[dict] = None, options: Any = None) -> dict:
        self.request(0, "initialize", {"processId": None, "rootUri": None, "capabilities": capabilities or {},
                                       "initializationOptions": options})
        result = self.response(0)
        self.notify("initialized", {})
        return result

    def shutdown(self, msg_id: int = 9999, timeout: float = 60.0) -> int:
        """shutdown + exit; returns the exit status (the process must end by itself)."""
        self.request(msg_id, "shutdown")
        self.response(msg_id, timeout)
        self.notify("exit")
        try:
            return self.proc.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def popups(self) -> list[dict]:
        return [m for m in self.messages if m.get("method") == "window/showMessage"]

    def logs(self, needle: str = "") -> list[str]:
        return [m["params"]["message"] for m in self.messages
                if m.get("method") == "window/logMessage" and needle in m["params"]["message"]]
