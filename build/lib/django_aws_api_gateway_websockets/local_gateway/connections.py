"""The open connections, as the Management API sees them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web


@dataclass(slots=True, eq=False)
class Connection:
    connection_id: str
    socket: web.WebSocketResponse
    source_ip: str
    user_agent: str
    # Wall clock for the Management API, the event loop's clock for timeouts.
    connected_at: float = field(default_factory=time.time)
    last_active_at: float = 0.0
    opened: float = field(default_factory=lambda: asyncio.get_running_loop().time())
    last_active: float = 0.0
    # Set when the gateway closes it (left None when the client does).
    close_reason: str | None = None
    close_code: int | None = None

    def __post_init__(self) -> None:
        self.last_active_at = self.connected_at
        self.last_active = self.opened

    def touch(self) -> None:
        self.last_active_at = time.time()
        self.last_active = asyncio.get_running_loop().time()

    def deadline(self, idle_timeout: float, max_duration: float) -> tuple[float, str]:
        """When the gateway closes this connection if nothing happens, and why."""
        idle = self.last_active + idle_timeout
        end = self.opened + max_duration
        return (idle, "idle timeout") if idle < end else (end, "max duration")


class ConnectionRegistry:
    """Connections that are open: ``$connect`` has succeeded and no close has begun."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}

    def add(self, connection: Connection) -> None:
        self._connections[connection.connection_id] = connection

    def get(self, connection_id: str) -> Connection | None:
        return self._connections.get(connection_id)

    def discard(self, connection: Connection) -> None:
        if self._connections.get(connection.connection_id) is connection:
            del self._connections[connection.connection_id]

    async def close(self, connection: Connection, code: int, reason: str) -> None:
        """Close from the gateway's side; from now on the Management API says 410."""
        self.discard(connection)
        if connection.close_reason is None:
            connection.close_reason = reason
            connection.close_code = code
        await connection.socket.close(code=code, message=reason.encode())

    def __len__(self) -> int:
        return len(self._connections)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._connections.values()))


def iso8601(timestamp: float) -> str:
    """As the Management API writes times: ``2024-05-01T12:00:00.123Z``."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
