"""Drive a ``WebSocketView`` the way API Gateway does, through Django's test client.

    ws = WebSocketTestClient("/ws/", api_id=gateway.api_id)
    alice = ws.connect(channel="lobby")
    response = alice.send({"action": "chat", "text": "hi"})
    alice.received   # what the app pushed to alice (inside capture_messages())
    alice.disconnect()

Requests are built by ``wire`` (the one definition of what the gateway sends),
so a view that passes these tests sees the same headers behind API Gateway.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any
from urllib.parse import urlencode

from django.db import connections
from django.test import Client

from .. import wire
from ..conf import conf
from ..log_context import get_logger
from .capture import active_outbox

logger = get_logger(__name__)

DEFAULT_ORIGIN = "http://testserver"
_DEFAULT_NAMES = frozenset({wire.DEFAULT_PATH, wire.DEFAULT_ROUTE})


def with_headers(
    request: wire.GatewayRequest, headers: Mapping[str, str] | None
) -> wire.GatewayRequest:
    """``request`` with ``headers`` added or replaced (to test what the gateway would not send)."""
    if not headers:
        return request
    return dataclasses.replace(request, headers={**request.headers, **headers})


class Connection:
    """One connection opened by ``WebSocketTestClient.connect()``.

    It still unpacks as ``connection_id, response = ws.connect()``, the shape
    the helper returned before it had methods.
    """

    __slots__ = ("client", "connection_id", "response")

    def __init__(self, client: WebSocketTestClient, connection_id: str, response: Any) -> None:
        self.client = client
        self.connection_id = connection_id
        self.response = response  # what the view answered to $connect

    def __iter__(self) -> Iterator[Any]:
        return iter((self.connection_id, self.response))

    def __repr__(self) -> str:
        status = getattr(self.response, "status_code", None)
        return f"<Connection {self.connection_id} $connect={status}>"

    def send(
        self,
        body: Mapping[str, Any] | str | bytes,
        *,
        route: str = wire.DEFAULT_PATH,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """A message from this connection; see ``WebSocketTestClient.send``."""
        return self.client.send(self.connection_id, body, route=route, headers=headers)

    def disconnect(self, *, headers: Mapping[str, str] | None = None) -> Any:
        return self.client.disconnect(self.connection_id, headers=headers)

    @property
    def received(self) -> list[Any]:
        """The decoded messages the app pushed to this connection, oldest first.

        Read from the outbox active now (``capture_messages()`` or the
        ``ws_outbox`` fixture), so only what was sent while it was active.
        """
        return active_outbox().data_for(self.connection_id)


class WebSocketTestClient:
    """One simulated API Gateway in front of the view routed at ``path``.

    ``path`` is the view's base URL (``<slug:route>`` is appended).
    ``gateway_secret``: None sends the first secret of ``WEBSOCKETS["gateway_secret"]``
    (read at each request), ``""`` sends none, any other string is sent as is.
    ``client``: a ``django.test.Client`` to reuse, e.g. one that is logged in, so
    that its cookies reach $connect like a browser's do.
    ``run_on_commit``: run each request's on-commit callbacks when it returns
    (see ``perform``); False leaves them to the test's transaction, to test
    that something waits for the commit.
    """

    def __init__(
        self,
        path: str = "/ws/",
        *,
        api_id: str,
        gateway_secret: str | None = None,
        client: Client | None = None,
        origin: str | None = DEFAULT_ORIGIN,
        source_ip: str = "127.0.0.1",
        run_on_commit: bool = True,
    ) -> None:
        self.path = path if path.endswith("/") else f"{path}/"
        self.api_id = api_id
        self.gateway_secret = gateway_secret
        self.client = client if client is not None else Client()
        self.origin = origin
        self.source_ip = source_ip
        self.run_on_commit = run_on_commit

    def static_headers(self) -> dict[str, str]:
        secret = self.gateway_secret
        if secret is None:
            secret = conf.current_gateway_secret
        return {wire.GATEWAY_SECRET_HEADER: secret} if secret else {}

    def fresh_token(self) -> str:
        """A single-use token for the user logged in on ``client``, as the token view issues."""
        from django.contrib.auth import get_user
        from django.http import HttpRequest

        from ..tokens import issue_token

        request = HttpRequest()
        request.session = self.client.session
        user = get_user(request)
        if not user.is_authenticated:
            raise LookupError(
                "fresh_token() needs a logged-in client: call client.force_login(user)"
            )
        return issue_token(user, request.session.session_key or "")

    def connect(
        self,
        connection_id: str | None = None,
        *,
        channel: str | Sequence[str] | None = None,
        token: str | None = None,
        with_token: bool = False,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        authorizer_context: Mapping[str, object] | None = None,
    ) -> Connection:
        """$connect with a new connection id unless one is given.

        ``channel`` may be a list: ``?channel=a&channel=b``, several channels at once.
        ``with_token=True`` connects as ``GatewaySocket`` does for a view with
        ``USE_WS_TOKEN``: with a fresh token for the user logged in on ``client``.
        ``authorizer_context``: what an API Gateway authorizer allowed the connect
        with; every key is mapped, as the gateway record's would be.
        """
        connection_id = connection_id or wire.new_connection_id()
        if with_token:
            token = self.fresh_token()
        params: list[tuple[str, str]] = [
            (name, value) for name, value in (query or {}).items() if name != wire.CHANNEL_PARAM
        ]
        if channel is None and query and wire.CHANNEL_PARAM in query:
            channel = query[wire.CHANNEL_PARAM]
        if channel is not None:
            names = [channel] if isinstance(channel, str) else list(channel)
            params += [(wire.CHANNEL_PARAM, name) for name in names]
        if token is not None:
            params = [(name, value) for name, value in params if name != wire.TOKEN_PARAM]
            params.append((wire.TOKEN_PARAM, token))
        client_headers = {wire.ORIGIN_HEADER: self.origin} if self.origin else {}
        client_headers.update(headers or {})
        context = authorizer_context or {}
        request = wire.connect_request(
            client_headers=client_headers,
            query=urlencode(params),
            authorizer_context=wire.authorizer_headers(context, list(context)),
            **self._fields(connection_id),
        )
        return Connection(self, connection_id, self.perform(request, cookies=True))

    def send(
        self,
        connection_id: str,
        body: Mapping[str, Any] | str | bytes,
        *,
        route: str = wire.DEFAULT_PATH,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """A message on ``route`` (``default`` or a custom route key); dicts go as JSON."""
        data = json.dumps(body) if isinstance(body, Mapping) else body
        request = wire.message_request(
            body=data,
            route_key=wire.DEFAULT_ROUTE if route in _DEFAULT_NAMES else route,
            **self._fields(connection_id),
        )
        return self.perform(with_headers(request, headers))

    def disconnect(self, connection_id: str, *, headers: Mapping[str, str] | None = None) -> Any:
        request = wire.disconnect_request(**self._fields(connection_id))
        return self.perform(with_headers(request, headers))

    def _fields(self, connection_id: str) -> wire.GatewayFields:
        """What this client's gateway puts on every request of ``connection_id``."""
        return {
            "connection_id": connection_id,
            "api_id": self.api_id,
            "source_ip": self.source_ip,
            "static_headers": self.static_headers(),
        }

    def perform(self, request: wire.GatewayRequest, *, cookies: bool = False) -> Any:
        """Send one ``wire.GatewayRequest`` to the view; cookies only on $connect.

        The request's ``transaction.on_commit`` callbacks (``publish()``'s
        sends, the connection signals) run when it returns, as they would in
        a real request, even inside the transaction of pytest-django's ``db``
        fixture or of a ``TestCase``, whose commit never comes.
        """
        url = request.url(self.path + wire.integration_path(request.route_key))
        extra: dict[str, Any] = {} if cookies else {"HTTP_COOKIE": ""}
        with run_on_commit_callbacks() if self.run_on_commit else nullcontext():
            return self.client.generic(
                request.method,
                url,
                data=request.body,
                content_type="application/json",
                headers=request.headers,
                **extra,
            )


@contextmanager
def run_on_commit_callbacks() -> Iterator[None]:
    """Run the on-commit callbacks registered inside the block when it ends.

    Like ``TestCase.captureOnCommitCallbacks(execute=True)``, on every database,
    except that the callbacks run are also taken off the list, as a commit
    does: a ``captureOnCommitCallbacks`` around it must not run them twice.
    Outside a transaction Django runs them at once and this has nothing to do.
    """
    starts = {alias: len(connections[alias].run_on_commit) for alias in connections}
    yield
    for alias, start in starts.items():
        pending = connections[alias].run_on_commit
        # A callback may register more: they run too, in order.
        while len(pending) > start:
            # (savepoint ids, callback, robust); django-stubs knows only two of them.
            entry: Any = pending.pop(start)
            _savepoints, callback, robust = entry
            if not robust:
                callback()
                continue
            try:
                callback()
            except Exception:
                # As Django's commit does for robust callbacks: logged, not raised.
                logger.exception("on-commit callback %r failed", callback)
