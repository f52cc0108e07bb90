"""Starting and stopping a local gateway: in a loop, in a thread, or until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType

from aiohttp import web

from .clients import GOING_AWAY, ClientHandler
from .config import GatewayConfig
from .connections import ConnectionRegistry
from .events import EventLog
from .integration import IntegrationClient
from .listener import BoundedListener
from .management_api import ManagementApi

# Pending handshakes the kernel queues; bursts of new connections exceed the usual 128.
LISTEN_BACKLOG = 1024
# Seconds stop() gives closing connections to finish their $disconnect calls.
STOP_TIMEOUT_SECONDS = 10.0


class LocalGateway:
    """A WebSocket API with HTTP_PROXY integrations, served by aiohttp.

    Clients connect at ``ws://HOST:PORT/`` or ``ws://HOST:PORT/<stage>``; the
    Management API is ``http://HOST:PORT/<stage>/@connections/<id>``.
    """

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self._log = EventLog(verbose=config.verbose, api_id=config.api_id)
        self._registry = ConnectionRegistry()
        self._integration = IntegrationClient(config.limits.integration_timeout_seconds)
        self._clients = ClientHandler(config, self._integration, self._registry, self._log)
        self._runner: web.AppRunner | None = None
        self._listener: BoundedListener | None = None
        self.host = ""
        self.port = 0

    @property
    def endpoint(self) -> str:
        """The API endpoint as AWS reports it (``ws://HOST:PORT``), without the stage."""
        return f"ws://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """Where clients connect: the endpoint plus the stage."""
        return f"{self.endpoint}/{self.config.stage}"

    @property
    def management_url(self) -> str:
        """``endpoint_url`` for boto3's ``apigatewaymanagementapi`` client."""
        return f"http://{self.host}:{self.port}/{self.config.stage}"

    def connection_ids(self) -> list[str]:
        return [connection.connection_id for connection in self._registry]

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (port 0: any free port, see ``self.port``)."""
        app = web.Application(
            client_max_size=self.config.limits.max_message_bytes + 1,
            middlewares=[self._track_handshakes],
        )
        stage = self.config.stage
        for path in ("/", f"/{stage}", f"/{stage}/"):
            app.router.add_get(path, self._clients.handle, allow_head=False)
        ManagementApi(self.config, self._registry, self._log).add_routes(app)

        await self._integration.start()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None  # set by setup()
        listener = BoundedListener(server, self.config.limits, self._log)
        self._clients.on_handshake_done = lambda request: listener.handshake_finished(
            request.transport
        )
        try:
            _, self.port = listener.listen(host, port, LISTEN_BACKLOG)
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            await self._integration.close()
            raise
        listener.start()
        self._listener = listener
        self.host = host
        self._clients.forwarded_port = self.port
        self._log.info(
            "listening",
            url=self.url,
            management=self.management_url,
            routes=",".join(f"{key}={url}" for key, url in self.config.routes.items()),
        )

    @web.middleware
    async def _track_handshakes(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """A request has arrived: its handshake timeout stops; its slot ends with it.

        A WebSocket upgrade frees its slot earlier, once upgraded (ClientHandler).
        """
        listener = self._listener
        if listener is None:  # pragma: no cover - requests arrive only after start()
            return await handler(request)
        listener.request_arrived(request.transport)
        try:
            return await handler(request)
        finally:
            listener.handshake_finished(request.transport)

    async def stop(self) -> None:
        """Close every connection (each gets its $disconnect), then stop listening.

        The Management API keeps answering until the $disconnect calls are done:
        a backend that sends while handling one (a presence event) hears 410
        Gone for the closed connections, as from AWS, not a refused connection.
        New handshakes are refused meanwhile.
        """
        if self._runner is None:
            return
        self._clients.stopping = True
        await self._close_connections()
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        # A handshake whose $connect was answered in the meantime is open now.
        await self._close_connections()
        await self._runner.cleanup()
        self._runner = None
        await self._integration.close()
        self._log.info("stopped")

    async def _close_connections(self) -> None:
        await asyncio.gather(
            *(
                self._registry.close(connection, GOING_AWAY, "gateway stopping")
                for connection in self._registry
            ),
            return_exceptions=True,
        )
        await self._clients.wait_closed(STOP_TIMEOUT_SECONDS)


class GatewayThread:
    """A local gateway on its own event loop in a background thread.

    For tests and scripts that are not async themselves::

        with GatewayThread(config) as gateway:
            websockets.sync.client.connect(gateway.url)
    """

    def __init__(self, config: GatewayConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.gateway = LocalGateway(config)
        self._address = (host, port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="local-gateway", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def endpoint(self) -> str:
        return self.gateway.endpoint

    @property
    def management_url(self) -> str:
        return self.gateway.management_url

    @property
    def port(self) -> int:
        return self.gateway.port

    def start(self) -> GatewayThread:
        self._loop = asyncio.new_event_loop()
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is None or not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self.gateway.stop(), self._loop)
        try:
            future.result(STOP_TIMEOUT_SECONDS * 2)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()

    def __enter__(self) -> GatewayThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.gateway.start(*self._address))
        except BaseException as exc:  # handed to the thread that called start()
            self._error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


def run(
    config: GatewayConfig,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    on_ready: Callable[[LocalGateway], None] | None = None,
) -> None:
    """Serve until Ctrl-C or SIGTERM, then close every connection and return."""
    asyncio.run(_serve(config, host, port, on_ready))


async def _serve(
    config: GatewayConfig,
    host: str,
    port: int,
    on_ready: Callable[[LocalGateway], None] | None,
) -> None:
    gateway = LocalGateway(config)
    await gateway.start(host, port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not available off the main thread or on some platforms: Ctrl-C still
        # ends asyncio.run() with KeyboardInterrupt there.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stopping.set)
    try:
        if on_ready is not None:
            on_ready(gateway)
        await stopping.wait()
    finally:
        await gateway.stop()
