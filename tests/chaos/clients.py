"""Real WebSocket clients and raw HTTP requests, from outside the processes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from .harness import Gateway

REPLY_SECONDS = 10.0


async def connect(
    gateway: Gateway,
    channel: str,
    *,
    origin: str | None = None,
    cookie: str | None = None,
) -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else None
    return await websockets.connect(
        f"{gateway.ws_url}?channel={channel}",
        origin=origin or gateway.page_origin,  # type: ignore[arg-type]
        additional_headers=headers,
        proxy=None,
        open_timeout=REPLY_SECONDS,
        close_timeout=2,
    )


async def request(ws: ClientConnection, payload: dict[str, Any]) -> dict[str, Any]:
    """Send one message and wait for the next frame (this client's only one in flight)."""
    await ws.send(json.dumps(payload))
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), REPLY_SECONDS))
    return frame


async def whoami(ws: ClientConnection) -> str:
    reply = await request(ws, {"action": "whoami"})
    assert reply.get("type") == "whoami", reply
    return str(reply["connection_id"])


def abort(ws: ClientConnection) -> None:
    """Drop the TCP connection with no close frame: a killed browser, a lost network."""
    ws.transport.abort()


@dataclass(frozen=True)
class RawResponse:
    status: int | None  # None: the connection closed without an answer


async def raw_http(port: int, data: bytes, timeout: float = 15.0) -> RawResponse:
    """Send bytes as they are (NUL bytes, odd header names) and read the status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
    except (ConnectionError, TimeoutError):
        return RawResponse(None)
    finally:
        writer.close()
    parts = line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        return RawResponse(None)
    return RawResponse(int(parts[1]))


def http_request(
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
    *,
    host: bytes = b"127.0.0.1",
) -> bytes:
    lines = [method.encode() + b" " + path.encode() + b" HTTP/1.1", b"Host: " + host]
    lines += [name + b": " + value for name, value in headers]
    lines += [b"Content-Length: " + str(len(body)).encode(), b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
