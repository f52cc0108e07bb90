"""The default transport's connect timeout, judged by the socket, not by the loop's clock.

aiohttp bounds a connect with ``ClientTimeout(sock_connect=...)``: a timer on
the event loop at ``loop.time() + timeout`` that cancels the connecting task.
When the loop's thread stalls past that moment (a GC pause in a worker, a
starved CPU), the kernel finishes the TCP connect meanwhile, but the loop wakes
up with the connect's completion and the expired timer in the same iteration:
the completion only schedules the task's next step, the timer runs first and
cancels it, and aiohttp reports a ``ConnectionTimeoutError`` for a socket that
connected long before. The same happens when the stall falls between the steps
of ``create_connection`` that follow the connect.

So the transport gives aiohttp no connect timer and keeps its own: aiohttp
creates each socket through ``socket_factory`` (a ``TCPConnector`` option),
which starts a timer for the request it connects; when the timer fires, the
kernel says whether the socket has connected (``getpeername``), and only a
request whose socket has not is cancelled and reported as a connect timeout.
A connect that completed before the deadline is never one, however late the
loop looks at it; one that has not completed when the loop does look still
times out, as before. A request on a kept-alive connection creates no socket
and has no connect timer. The TLS handshake that follows a completed connect
is bounded by asyncio's own handshake timeout.
"""

from __future__ import annotations

import asyncio
import socket
from contextvars import ContextVar, Token
from types import TracebackType

from aiohappyeyeballs import AddrInfoType

# The deadline of the request the current task is making (inherited by the
# tasks aiohttp starts to connect, as contextvars are).
_current: ContextVar[ConnectDeadline | None] = ContextVar("connect_deadline", default=None)


class ConnectDeadline:
    """``async with ConnectDeadline(seconds):`` around one request.

    Raises ``TimeoutError`` at its exit when the connect timed out, and sets
    ``expired`` then, which tells it from a read timeout.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._timer: asyncio.TimerHandle | None = None
        self._scope = asyncio.timeout(None)
        self._token: Token[ConnectDeadline | None] | None = None

    async def __aenter__(self) -> ConnectDeadline:
        await self._scope.__aenter__()
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        assert self._token is not None  # set by __aenter__
        _current.reset(self._token)
        # A cancellation of its own becomes TimeoutError here.
        await self._scope.__aexit__(exc_type, exc, traceback)

    def watch(self, sock: socket.socket) -> None:
        """A socket of this request is about to connect: the clock starts with the first."""
        self._sockets.append(sock)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.seconds, self._check)

    def _check(self) -> None:
        if any(_connected(sock) for sock in self._sockets):
            return  # connected in time, whenever the loop learns of it
        self.expired = True
        self._scope.reschedule(asyncio.get_running_loop().time())


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:  # not connected yet, refused, or closed already
        return False
    return True


def socket_factory(addr_info: AddrInfoType) -> socket.socket:
    """aiohttp's ``TCPConnector(socket_factory=...)``: the socket, under its request's deadline."""
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=kind, proto=proto)
    deadline = _current.get()
    if deadline is not None:
        deadline.watch(sock)
    return sock
