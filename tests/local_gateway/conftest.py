"""A stand-in backend, gateways in background threads, and clients for both."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import boto3
import pytest
from aiohttp import web
from multidict import CIMultiDict
from websockets.sync.client import ClientConnection, connect

from django_aws_api_gateway_websockets.local_gateway import GatewayConfig, GatewayThread
from tests.waiting import wait_until

API_ID = "testapi01"
SECRET = "s3cret-from-the-gateway"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query_string: str
    headers: CIMultiDict[str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] | None = None


class Backend:
    """An HTTP server standing in for Django: records requests, answers as told.

    Unless told otherwise, ``connect`` and ``disconnect`` answer 200 with no
    body, and every other route answers 200 with ``<route> got <body>``.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: dict[str, Answer] = {}
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ws/"

    def answer(self, route: str, status: int = 200, body: bytes = b"", delay: float = 0.0) -> None:
        self.answers[route] = Answer(status, body, delay)

    def received(self, route: str) -> list[Received]:
        return [request for request in self.requests if request.path == f"/ws/{route}"]

    def wait_for(self, route: str, count: int = 1, timeout: float = 5.0) -> list[Received]:
        def enough() -> bool:
            return len(self.received(route)) >= count

        wait_until(enough, timeout=timeout, what=f"{count} {route} request(s)")
        return self.received(route)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(
            Received(
                request.method, request.path, request.query_string, request.headers.copy(), body
            )
        )
        route = request.path.removeprefix("/ws/")
        answer = self.answers.get(route)
        if answer is None:
            reply = b"" if route in ("connect", "disconnect") else f"{route} got ".encode() + body
            answer = Answer(body=reply)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return web.Response(status=answer.status, body=answer.body, headers=answer.headers)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)

    def stop(self) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


@pytest.fixture
def backend() -> Iterator[Backend]:
    server = Backend()
    server.start()
    yield server
    server.stop()


GatewayFactory = Callable[..., GatewayThread]


@pytest.fixture
def start_gateway_thread(backend: Backend) -> Iterator[GatewayFactory]:
    """Start a gateway in front of ``backend``; keyword arguments go to GatewayConfig."""
    started: list[GatewayThread] = []

    def make(**options: Any) -> GatewayThread:
        options.setdefault("api_id", API_ID)
        options.setdefault("static_headers", {"X-Ws-Gateway-Secret": SECRET})
        if "routes" in options:
            config = GatewayConfig(**options)
        else:
            config = GatewayConfig.for_target(backend.url, **options)
        gateway_thread = GatewayThread(config).start()
        started.append(gateway_thread)
        return gateway_thread

    yield make
    for gateway_thread in started:
        gateway_thread.stop()


@pytest.fixture
def gateway_thread(start_gateway_thread: GatewayFactory) -> GatewayThread:
    return start_gateway_thread()


def handlers_done(gateway_thread: GatewayThread) -> None:
    """Wait until every connection's handler has ended.

    A handler ends only after its $disconnect call has returned (or was dropped
    on purpose), so once none is left no further $disconnect can come: a count
    asserted after this is final.
    """
    gateway = gateway_thread.gateway
    wait_until(
        lambda: not gateway._clients._tasks and not gateway.connection_ids(),
        timeout=10,
        what="connection handlers still running",
    )


def ws_connect(url: str, **options: Any) -> ClientConnection:
    """A real WebSocket client, never through a proxy; use it in a ``with``.

    It offers permessage-deflate as browsers do; the gateway declines it as AWS does.
    """
    options.setdefault("proxy", None)
    options.setdefault("open_timeout", 5)
    options.setdefault("close_timeout", 5)
    return cast(ClientConnection, connect(url, **options))


def management_client(gateway_thread: GatewayThread) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=gateway_thread.management_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def connection_id_of(backend: Backend, index: int = -1) -> str:
    """The id the gateway gave a connection, as its $connect call told the backend."""
    return backend.wait_for("connect")[index].headers["Connectionid"]


def error_frame(text: str | bytes) -> dict[str, Any]:
    frame = json.loads(text)
    assert set(frame) == {"message", "connectionId", "requestId"}
    return frame  # type: ignore[no-any-return]


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
