"""The client side: handshake with ``$connect``, messages, close and ``$disconnect``."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import secrets
import time
from collections.abc import Callable

from aiohttp import WSCloseCode, WSMsgType, hdrs, web

from .. import wire
from .authorizer import AuthorizerRunner
from .config import GatewayConfig
from .connections import Connection, ConnectionRegistry
from .events import EventLog, redacted_query
from .frames import FrameLimitedWebSocketResponse
from .integration import IntegrationClient, IntegrationError, IntegrationResponse
from .routing import RouteSelector
from .sigv4 import SignatureRefused, verify_presigned
from .throttle import TokenBucket

# Seconds the gateway waits for a client to answer its close frame.
CLOSE_HANDSHAKE_TIMEOUT_SECONDS = 3.0
# Close codes the gateway sends (the client's own codes are its business).
GOING_AWAY = WSCloseCode.GOING_AWAY
UNSUPPORTED_DATA = WSCloseCode.UNSUPPORTED_DATA
MESSAGE_TOO_BIG = WSCloseCode.MESSAGE_TOO_BIG
PROTOCOL_ERROR = WSCloseCode.PROTOCOL_ERROR

_HANDSHAKE_REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    426: "Upgrade Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def new_request_id() -> str:
    """Shaped like API Gateway's request ids (base64 of 10 bytes)."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _flatten(request: web.Request) -> dict[str, str]:
    """One value per header name (in any letter case), joined as ``wire`` joins them."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for name, value in request.headers.items():
        grouped.setdefault(name.lower(), (name, []))[1].append(value)
    return {name: wire.join_header_values(name, values) for name, values in grouped.values()}


class ClientHandler:
    """The aiohttp handler of WebSocket clients; one call per connection."""

    def __init__(
        self,
        config: GatewayConfig,
        integration: IntegrationClient,
        registry: ConnectionRegistry,
        log: EventLog,
    ) -> None:
        self._config = config
        self._limits = config.limits
        self._integration = integration
        self._registry = registry
        self._log = log
        self._selector = RouteSelector(config.route_selection_expression)
        self._custom_routes = config.custom_route_keys
        self._throttle = TokenBucket(config.limits.new_connections_per_second)
        self._random = random.Random()
        self._tasks: set[asyncio.Task[object]] = set()
        self._authorizer = (
            AuthorizerRunner(
                config.authorizer,
                integration,
                log,
                api_id=config.api_id,
                stage=config.stage,
                timeout_seconds=config.limits.integration_timeout_seconds,
            )
            if config.authorizer is not None
            else None
        )
        self.forwarded_port = 0
        # Set by LocalGateway.stop(): new handshakes are refused from then on.
        self.stopping = False
        # Told when a handshake has become a connection (the server frees its slot).
        self.on_handshake_done: Callable[[web.Request], None] = lambda request: None

    async def wait_closed(self, timeout: float) -> None:
        """Wait for the handlers of closing connections (their $disconnect calls)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    def _new_socket(self, protocols: tuple[str, ...] = ()) -> FrameLimitedWebSocketResponse:
        return FrameLimitedWebSocketResponse(
            max_frame_bytes=self._limits.max_frame_bytes,
            # aiohttp refuses a message of max_msg_size bytes; AWS accepts exactly 128 KB.
            max_msg_size=self._limits.max_message_bytes + 1,
            timeout=CLOSE_HANDSHAKE_TIMEOUT_SECONDS,
            # API Gateway negotiates no permessage-deflate; frame sizes are raw sizes.
            compress=False,
            protocols=protocols,
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self._new_socket().can_prepare(request).ok:
            return self._refuse(request, 426, "not a WebSocket handshake")
        if self.stopping:
            return self._refuse(request, 503, "gateway stopping")
        if not self._throttle.take():
            return self._refuse(request, 429, "new connections per second exceeded")

        connection_id = wire.new_connection_id()
        source_ip = request.remote or ""
        refusal, subprotocol = await self._call_connect(request, connection_id, source_ip)
        if refusal is not None:
            return refusal
        # The subprotocol is the $connect integration's choice, as on AWS: with
        # none, a client that asked for one fails the handshake.
        ws = self._new_socket((subprotocol,) if subprotocol else ())

        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = Connection(
            connection_id=connection_id,
            socket=ws,
            source_ip=source_ip,
            user_agent=request.headers.get(wire.USER_AGENT_HEADER, ""),
        )
        try:
            await ws.prepare(request)
            self.on_handshake_done(request)
            self._registry.add(connection)
            self._log.info("connected", id=connection_id, ip=source_ip, open=len(self._registry))
            await self._receive_until_closed(connection)
        except ConnectionResetError:
            connection.close_reason = connection.close_reason or "client went away"
        finally:
            self._registry.discard(connection)
            if ws.prepared:
                await ws.close()
            self._log.info(
                "closed",
                id=connection_id,
                code=connection.close_code or ws.close_code,
                reason=connection.close_reason or "by client",
                open=len(self._registry),
            )
            await self._call_disconnect(connection)
            self._tasks.discard(task)
        return ws

    def _refuse(self, request: web.Request, status: int, why: str) -> web.Response:
        self._log.warning("connect refused", status=status, ip=request.remote, why=why)
        reason = _HANDSHAKE_REASONS.get(status)
        return web.Response(status=status, text=json.dumps({"message": reason}))

    def _request_fields(self, connection_id: str, source_ip: str) -> wire.GatewayFields:
        """What every request of one connection carries (clients speak ws://, not wss://)."""
        return {
            "connection_id": connection_id,
            "api_id": self._config.api_id,
            "source_ip": source_ip,
            "forwarded_proto": "http",
            "forwarded_port": self.forwarded_port,
            "static_headers": self._config.static_headers,
        }

    async def _call_connect(
        self, request: web.Request, connection_id: str, source_ip: str
    ) -> tuple[web.Response | None, str]:
        """The refusal (None: accepted), and the subprotocol the integration chose."""
        url = self._config.routes.get(wire.CONNECT_ROUTE)
        if url is None:
            return None, ""
        client_headers = _flatten(request)
        authorized = await self._authorize(request, client_headers, connection_id, source_ip)
        if isinstance(authorized, web.Response):
            return authorized, ""
        gateway_request = wire.connect_request(
            **self._request_fields(connection_id, source_ip),
            client_headers=client_headers,
            query=request.query_string,
            authorizer_context=authorized,
        )
        started = time.monotonic()
        try:
            response = await self._integration.call(url, gateway_request)
        except IntegrationError as exc:
            self._log.warning(
                "connect failed", id=connection_id, status=exc.handshake_status, error=exc
            )
            return web.Response(status=exc.handshake_status), ""
        self._log.info(
            "connect" if response.ok else "connect refused",
            response.body,
            id=connection_id,
            status=response.status,
            ms=_elapsed_ms(started),
            query=redacted_query(request.query_string),
        )
        if response.ok:
            return None, response.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL, "").strip()
        # The client learns the status only; the backend's reason stays in the log.
        return web.Response(status=response.status), ""

    async def _authorize(
        self,
        request: web.Request,
        client_headers: dict[str, str],
        connection_id: str,
        source_ip: str,
    ) -> web.Response | dict[str, str]:
        """The refusal of an unauthorized handshake, or the headers an authorizer adds."""
        iam = self._config.iam
        if iam is not None:
            try:
                verify_presigned(
                    iam,
                    host=request.host,
                    path=request.path,
                    query_string=request.query_string,
                    headers=client_headers,
                )
            except SignatureRefused as exc:
                # AWS answers an unsigned or badly signed AWS_IAM route with 403.
                return self._refuse(request, 403, f"SigV4: {exc}")
        if self._authorizer is None:
            return {}
        decision = await self._authorizer.decide(
            client_headers,
            {name: request.query[name] for name in request.query},
            connection_id=connection_id,
            source_ip=source_ip,
            domain_name=request.host,
            request_id=new_request_id(),
        )
        if decision.status is not None:
            return self._refuse(request, decision.status, decision.why)
        return dict(decision.headers)

    async def _receive_until_closed(self, connection: Connection) -> None:
        ws = connection.socket
        assert isinstance(ws, FrameLimitedWebSocketResponse)
        loop = asyncio.get_running_loop()
        while True:
            deadline, why = connection.deadline(
                self._limits.idle_timeout_seconds, self._limits.max_connection_duration_seconds
            )
            remaining = deadline - loop.time()
            if remaining <= 0:
                await self._registry.close(connection, GOING_AWAY, why)
                return
            try:
                # One deadline for the whole wait, not receive(timeout=...): aiohttp
                # answers pings inside receive() and restarts that timeout after
                # each, so a client that only pings would never be closed.
                async with asyncio.timeout_at(deadline):
                    message = await ws.receive()
            except TimeoutError:
                continue
            if ws.oversized_frame:
                # The socket is already closing; its message must not reach a backend.
                connection.close_reason = f"frame of {ws.oversized_frame} bytes"
                connection.close_code = MESSAGE_TOO_BIG
                return
            if ws.unmasked_frame:
                connection.close_reason = "unmasked client frame"
                connection.close_code = PROTOCOL_ERROR
                return
            if message.type is WSMsgType.TEXT:
                connection.touch()
                await self._on_message(connection, message.data)
            elif message.type is WSMsgType.BINARY:
                await self._registry.close(connection, UNSUPPORTED_DATA, "binary frame")
                return
            else:
                if message.type is WSMsgType.ERROR:
                    # aiohttp has already closed it, with a code that fits the error.
                    code = getattr(message.data, "code", None)
                    connection.close_code = code
                    connection.close_reason = (
                        f"message over {self._limits.max_message_bytes} bytes"
                        if code == MESSAGE_TOO_BIG
                        else f"protocol error: {message.data}"
                    )
                return

    async def _on_message(self, connection: Connection, text: str) -> None:
        connection_id = connection.connection_id
        route = self._selector.select(text, self._custom_routes)
        url = self._config.routes.get(route)
        request_id = new_request_id()
        if url is None:
            self._log.warning("message refused", text, id=connection_id, why="no route")
            await self._send_error(connection, "Forbidden", request_id)
            return
        gateway_request = wire.message_request(
            **self._request_fields(connection_id, connection.source_ip),
            body=text,
            route_key=route,
        )
        started = time.monotonic()
        try:
            response = await self._integration.call(url, gateway_request)
        except IntegrationError as exc:
            self._log.warning("message failed", text, id=connection_id, route=route, error=exc)
            await self._send_error(connection, exc.client_message, request_id)
            return
        self._log.info(
            "message",
            text,
            id=connection_id,
            route=route,
            status=response.status,
            ms=_elapsed_ms(started),
        )
        await self._reply(connection, route, response, request_id)

    async def _reply(
        self, connection: Connection, route: str, response: IntegrationResponse, request_id: str
    ) -> None:
        if response.status >= 500:
            await self._send_error(connection, IntegrationError.client_message, request_id)
        elif route in self._config.two_way_routes and response.body:
            self._log.info("reply", response.body, id=connection.connection_id, route=route)
            await send_frame(connection.socket, response.body)

    async def _send_error(self, connection: Connection, message: str, request_id: str) -> None:
        frame = {
            "message": message,
            "connectionId": connection.connection_id,
            "requestId": request_id,
        }
        await send_frame(connection.socket, json.dumps(frame).encode())

    async def _call_disconnect(self, connection: Connection) -> None:
        url = self._config.routes.get(wire.DISCONNECT_ROUTE)
        if url is None:
            return
        connection_id = connection.connection_id
        if self._random.random() < self._config.disconnect_drop_rate:
            self._log.info("disconnect dropped", id=connection_id)
            return
        gateway_request = wire.disconnect_request(
            **self._request_fields(connection_id, connection.source_ip)
        )
        started = time.monotonic()
        try:
            response = await self._integration.call(url, gateway_request)
        except IntegrationError as exc:
            self._log.warning("disconnect failed", id=connection_id, error=exc)
            return
        self._log.info(
            "disconnect",
            response.body,
            id=connection_id,
            status=response.status,
            ms=_elapsed_ms(started),
        )


async def send_frame(ws: web.WebSocketResponse, data: bytes) -> bool:
    """Send ``data`` as text if it is UTF-8, else as binary; False if the socket is gone.

    A message over the frame quota goes in several frames, as API Gateway sends it.
    """
    if ws.closed:
        return False
    try:
        text: str | None = data.decode()
    except UnicodeDecodeError:
        text = None
    try:
        if isinstance(ws, FrameLimitedWebSocketResponse) and len(data) > ws.max_frame_bytes:
            await ws.send_in_frames(data, WSMsgType.BINARY if text is None else WSMsgType.TEXT)
        elif text is None:
            await ws.send_bytes(data)
        else:
            await ws.send_str(text)
    except ConnectionResetError:
        return False
    return True


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
