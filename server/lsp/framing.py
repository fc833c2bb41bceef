"""Reading LSP frames (``Content-Length: N`` headers, a blank line, N bytes of JSON)
from stdio without ever wedging.

pygls' own loop accepts only a header line that is exactly ``Content-Length: <digits>``:
after ``Content-Length: abc`` or ``-10`` it never finds a length again (the next
body and header run together on one line), so the server stays alive and answers
nothing, not even ``shutdown``; a 20-digit length makes ``readexactly`` raise and the
process exit 2. Here a bad header is logged and skipped, and the search for the next
``Content-Length:`` goes on inside whatever line follows."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from typing import Any, Awaitable, Callable, Optional, Protocol

log = logging.getLogger("ptlint.lsp")

# No client sends a frame this large (a 100 MB document would be refused by the size
# limit anyway); a larger claim is a broken header, not a message to wait for.
MAX_FRAME = 512 * 1024 * 1024

_HEADER = re.compile(rb"Content-Length:[ \t]*([^\r\n]*)", re.IGNORECASE)


class AsyncReader(Protocol):
    def readline(self) -> Awaitable[bytes]: ...

    def readexactly(self, n: int) -> Awaitable[bytes]: ...


def parse_length(value: bytes) -> Optional[int]:
    """The body length a header announces, or None when it is not a usable length."""
    value = value.strip()
    if not value.isdigit() or len(value) > 12:
        return None
    n = int(value)
    return n if 0 < n <= MAX_FRAME else None


async def serve(stop: threading.Event, reader: AsyncReader, protocol: Any,
                on_bad_frame: Optional[Callable[[str], None]] = None) -> None:
    """Read frames until EOF (or ``stop``) and hand each decoded message to pygls."""
    length: Optional[int] = None
    while not stop.is_set():
        try:
            line = await reader.readline()
        except (asyncio.IncompleteReadError, ValueError, OSError) as exc:
            log.warning("reading a header failed (%s); stopping", exc)
            break
        if not line:
            break
        match = None
        for match in _HEADER.finditer(line):  # the last one: junk may precede it
            pass
        if match is not None:
            length = parse_length(match.group(1))
            if length is None:
                _bad(on_bad_frame, f"ignoring a frame with an invalid Content-Length: {match.group(1)[:40]!r}")
            continue
        if line.strip():
            continue  # another header (Content-Type) or junk between frames
        if length is None:
            continue  # a blank line without a usable length before it: keep looking
        n, length = length, None
        try:
            body = await reader.readexactly(n)
        except asyncio.IncompleteReadError:
            log.warning("the input ended inside a frame; stopping")
            break
        except (ValueError, OSError, MemoryError) as exc:
            log.warning("reading a %d-byte frame failed (%s); stopping", n, exc)
            break
        if len(body) < n:  # a blocking file's read() returns what there was at EOF
            log.warning("the input ended inside a frame; stopping")
            break
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except Exception as exc:  # not JSON, or not a message pygls knows
            _bad(on_bad_frame, f"ignoring a frame that is not a valid message: {type(exc).__name__}: {exc}")
            continue
        try:
            protocol.handle_message(message)
        except Exception:
            log.exception("handling a message failed")


def _bad(report: Optional[Callable[[str], None]], message: str) -> None:
    log.warning("%s", message)
    if report is not None:
        try:
            report(message)
        except Exception:
            log.exception("reporting a bad frame failed")
