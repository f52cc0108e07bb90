"""Accepting client sockets within bounds.

The gateway accepts connections itself instead of through
``loop.create_server`` so that it can:

- close a connection whose handshake request has not arrived within
  ``Limits.handshake_timeout_seconds`` (aiohttp would wait an hour);
- answer 429 at once when ``Limits.max_pending_handshakes`` connections are
  still in their handshake (request not yet read, or ``$connect`` not answered);
- keep a reserve of file descriptors for established clients (their messages
  need connections to the backend), answering 503 to new ones instead;
- back off when ``accept()`` fails for lack of descriptors. asyncio's own accept
  loop (CPython 3.11, 3.12) retries up to ``backlog`` times per wake-up, logging a
  traceback each time: a core spinning and megabytes of log per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import resource
import socket
import time
from collections.abc import Callable
from typing import Any

from .config import Limits
from .events import EventLog

# accept() errors that mean "out of descriptors or memory, try later".
RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# accept() errors that mean the listening socket itself is closed: stop accepting.
LISTENER_GONE = frozenset({errno.EBADF, errno.EINVAL, errno.ENOTSOCK})
# Back-off after such an error: doubles from the first to the last value.
BACKOFF_FIRST_SECONDS = 0.05
BACKOFF_MAX_SECONDS = 1.0
# At most one "refused" / "out of descriptors" log line per this many seconds.
LOG_INTERVAL_SECONDS = 5.0
# Descriptors kept free for what established clients need: backend connections
# (the integration pool holds up to 100), Management API requests, log files.
RESERVED_DESCRIPTORS = 128
MIN_CLIENT_SOCKETS = 8


def _canned_response(status: int, reason: str) -> bytes:
    """A whole HTTP response, written straight to a socket aiohttp never sees."""
    body = json.dumps({"message": reason}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


_TOO_MANY_HANDSHAKES = _canned_response(429, "Too Many Requests")
_NO_DESCRIPTORS = _canned_response(503, "Service Unavailable")


def descriptor_budget(reserved: int = RESERVED_DESCRIPTORS) -> int:
    """How many client sockets this process may hold: its soft limit less a reserve."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    # Under a small limit, a quarter is kept back; some clients are always allowed.
    return max(MIN_CLIENT_SOCKETS, soft - min(reserved, soft // 4))


class _GuardedProtocol(asyncio.Protocol):
    """aiohttp's protocol for one connection, with the listener told when it ends."""

    def __init__(self, inner: asyncio.Protocol, on_lost: Callable[[], None]) -> None:
        self._inner = inner
        self._on_lost = on_lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_lost()
        self._inner.connection_lost(exc)


class BoundedListener:
    """Accepts on one listening socket and hands connections to aiohttp's protocol."""

    def __init__(
        self,
        protocol_factory: Callable[[], asyncio.Protocol],
        limits: Limits,
        log: EventLog,
        *,
        max_client_sockets: int | None = None,
    ) -> None:
        self._factory = protocol_factory
        self._limits = limits
        self._log = log
        self._max_sockets = (
            max_client_sockets if max_client_sockets is not None else descriptor_budget()
        )
        self._open = 0
        # Connections whose handshake is in progress, with their timeout timers.
        self._handshakes: dict[asyncio.BaseTransport, asyncio.TimerHandle] = {}
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self._last_log: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self.refused = {"handshakes": 0, "descriptors": 0, "timeouts": 0, "accept_errors": 0}

    @property
    def handshakes_in_progress(self) -> int:
        return len(self._handshakes)

    @property
    def open_sockets(self) -> int:
        return self._open

    def listen(self, host: str, port: int, backlog: int) -> tuple[str, int]:
        """Bind and listen; returns the bound address. Call ``start`` to accept."""
        # "" means every interface, as for aiohttp's sites: None with AI_PASSIVE.
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        bound = sock.getsockname()
        return str(bound[0]), int(bound[1])

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._accept_forever())

    async def stop(self) -> None:
        """Stop accepting and close connections still in their handshake."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        for transport, timer in list(self._handshakes.items()):
            timer.cancel()
            transport.close()
        self._handshakes.clear()

    def request_arrived(self, transport: Any) -> None:
        """The handshake request is read: its timeout no longer applies."""
        timer = self._handshakes.get(transport)
        if timer is not None:
            timer.cancel()

    def handshake_finished(self, transport: Any) -> None:
        """Upgraded, refused, or not a handshake at all: the slot is free again."""
        timer = self._handshakes.pop(transport, None)
        if timer is not None:
            timer.cancel()

    async def _accept_forever(self) -> None:
        assert self._sock is not None
        loop = asyncio.get_running_loop()
        backoff = BACKOFF_FIRST_SECONDS
        while True:
            try:
                conn, _address = await loop.sock_accept(self._sock)
            except OSError as exc:
                if exc.errno in LISTENER_GONE:
                    raise
                self.refused["accept_errors"] += 1
                if exc.errno not in RESOURCE_ERRORS:
                    # The client gave up between its SYN and our accept(): next.
                    self._log_throttled("aborted", "accept failed", error=exc.strerror)
                    continue
                self._log_throttled(
                    "accept", "accept failed, backing off", error=exc.strerror, seconds=backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
                continue
            backoff = BACKOFF_FIRST_SECONDS
            await self._admit(conn)

    async def _admit(self, conn: socket.socket) -> None:
        if self._open >= self._max_sockets:
            self.refused["descriptors"] += 1
            self._log_throttled(
                "descriptors", "connect refused", status=503, why="file descriptors reserved"
            )
            _answer_and_close(conn, _NO_DESCRIPTORS)
            return
        if len(self._handshakes) >= self._limits.max_pending_handshakes:
            self.refused["handshakes"] += 1
            self._log_throttled(
                "handshakes", "connect refused", status=429, why="too many handshakes in progress"
            )
            _answer_and_close(conn, _TOO_MANY_HANDSHAKES)
            return
        loop = asyncio.get_running_loop()
        self._open += 1
        holder: list[asyncio.BaseTransport] = []
        protocol = _GuardedProtocol(self._factory(), lambda: self._lost(holder))
        try:
            transport, _ = await loop.connect_accepted_socket(lambda: protocol, conn)
        except OSError:
            self._open -= 1
            conn.close()
            return
        holder.append(transport)
        if transport.is_closing():  # the client left before we got here
            return
        self._handshakes[transport] = loop.call_later(
            self._limits.handshake_timeout_seconds, self._timed_out, transport
        )

    def _lost(self, holder: list[asyncio.BaseTransport]) -> None:
        self._open -= 1
        if holder:
            self.handshake_finished(holder[0])

    def _timed_out(self, transport: asyncio.BaseTransport) -> None:
        # Runs only while registered: finishing a handshake cancels its timer.
        del self._handshakes[transport]
        self.refused["timeouts"] += 1
        self._log_throttled(
            "timeout",
            "connect refused",
            why=f"no handshake within {self._limits.handshake_timeout_seconds} s",
        )
        # abort(): a client that sends nothing will not read a goodbye either.
        abort = getattr(transport, "abort", transport.close)
        abort()

    def _log_throttled(self, kind: str, event: str, **fields: Any) -> None:
        """One line per kind per LOG_INTERVAL_SECONDS, saying how many were folded in."""
        now = time.monotonic()
        if now - self._last_log.get(kind, -LOG_INTERVAL_SECONDS) < LOG_INTERVAL_SECONDS:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return
        self._last_log[kind] = now
        folded = self._suppressed.pop(kind, 0)
        if folded:
            fields["also"] = folded
        self._log.warning(event, **fields)


def _answer_and_close(conn: socket.socket, answer: bytes) -> None:
    """Best effort: the client may already be gone, or its buffer full."""
    with contextlib.suppress(OSError):
        conn.setblocking(False)
        conn.send(answer)
    conn.close()
