"""How messages reach the Management API (``@connections``): one small interface.

A transport takes a whole batch of targets per call instead of one connection
at a time. That keeps the choice of concurrency inside the transport: the boto3
one below fans a batch out over a bounded thread pool, and a faster one (an
asyncio or HTTP/2 client, a pipelining one) can drive the same batch however it
likes without ``messaging`` knowing. ``messaging`` does all database work in the
caller's thread and hands the transport nothing but URLs, ids and bytes, so a
transport never touches the ORM.

Pick one with ``WEBSOCKETS["transport"]`` (a dotted path to a class or a
factory taking no arguments).
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from . import aws
from .conf import conf
from .log_context import get_logger

logger = get_logger(__name__)

GONE_STATUS = 410
THROTTLED_STATUS = 429
FIRST_SERVER_ERROR = 500


class Outcome(enum.Enum):
    SENT = "sent"
    # HTTP 410: the connection is closed, or its $connect has not returned yet
    # (messaging tells the two apart by the row's age).
    GONE = "gone"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Target:
    """One connection of one gateway: ``endpoint_url`` ends with the stage."""

    endpoint_url: str
    connection_id: str


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    error: str = ""
    # A FAILED delivery whose cause may pass (throttling, a 5xx, a timeout): a
    # later attempt may succeed, so background sends enqueue it again.
    retryable: bool = False


SENT = Delivery(Outcome.SENT)
GONE = Delivery(Outcome.GONE)


@runtime_checkable
class Transport(Protocol):
    """Every method answers one ``Delivery`` per target, in the targets' order.

    They must not raise for a failure of one connection; report it as FAILED.
    ``get_connections`` asks whether each connection is open (GET
    ``@connections/{id}``): SENT for a 200, GONE for a 410, FAILED otherwise.
    """

    def post_to_connections(self, targets: Sequence[Target], data: bytes) -> list[Delivery]: ...

    def delete_connections(self, targets: Sequence[Target]) -> list[Delivery]: ...

    def get_connections(self, targets: Sequence[Target]) -> list[Delivery]: ...


class BotoTransport:
    """boto3's ``apigatewaymanagementapi`` client, ``conf.send_concurrency`` calls at a time.

    Retries (standard mode, ``conf.send_max_attempts`` attempts in all) and
    timeouts are botocore's; see ``aws._client_config``. It does not pace
    itself: throttled calls fail once botocore's attempts are spent.
    """

    def post_to_connections(self, targets: Sequence[Target], data: bytes) -> list[Delivery]:
        return self._run(
            targets, lambda client, cid: client.post_to_connection(ConnectionId=cid, Data=data)
        )

    def delete_connections(self, targets: Sequence[Target]) -> list[Delivery]:
        return self._run(targets, lambda client, cid: client.delete_connection(ConnectionId=cid))

    def get_connections(self, targets: Sequence[Target]) -> list[Delivery]:
        return self._run(targets, lambda client, cid: client.get_connection(ConnectionId=cid))

    def _run(self, targets: Sequence[Target], call: Callable[[Any, str], object]) -> list[Delivery]:
        # Looking a client up costs a lock and several settings reads: once per
        # endpoint per batch, not once per connection.
        clients: dict[str, Any] = {}
        for target in targets:
            if target.endpoint_url not in clients:
                clients[target.endpoint_url] = aws.management_client(target.endpoint_url)

        def one(target: Target) -> Delivery:
            return _call(call, clients[target.endpoint_url], target.connection_id)

        workers = min(conf.send_concurrency, len(targets))
        if workers <= 1:
            return [one(target) for target in targets]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ws-send") as pool:
            return list(pool.map(one, targets))


def _call(call: Callable[[Any, str], object], client: Any, connection_id: str) -> Delivery:
    try:
        call(client, connection_id)
    except ClientError as exc:
        return delivery_for_client_error(exc)
    except BotoCoreError as exc:
        # Timeouts, refused connections, missing credentials: botocore has
        # already retried what was worth retrying.
        return Delivery(Outcome.FAILED, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # one broken call must not stop the others
        logger.exception("Unexpected error calling the Management API for %s", connection_id)
        return Delivery(Outcome.FAILED, f"{type(exc).__name__}: {exc}")
    return SENT


def delivery_for_client_error(exc: ClientError) -> Delivery:
    """410/GoneException is GONE; every other answer is FAILED with its reason."""
    error = exc.response.get("Error", {})
    code = error.get("Code") or "UnknownError"
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code == "GoneException" or status == GONE_STATUS:
        return GONE
    message = error.get("Message") or ""
    reason = f"{code} (HTTP {status})" if status else code
    retryable = status == THROTTLED_STATUS or (status or 0) >= FIRST_SERVER_ERROR
    return Delivery(Outcome.FAILED, f"{reason}: {message}" if message else reason, retryable)


T = TypeVar("T", bound=Transport)

_transports: dict[str, Transport] = {}
_overrides: list[Transport] = []
_lock = threading.Lock()


def get_transport() -> Transport:
    """The transport in use: an active ``override_transport``, else ``conf.transport``."""
    if _overrides:
        return _overrides[-1]
    path = conf.transport
    with _lock:
        existing = _transports.get(path)
        if existing is None:
            existing = _transports[path] = _load(path)
        return existing


def _load(path: str) -> Transport:
    try:
        factory = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"WEBSOCKETS['transport'] = {path!r} cannot be imported: {exc}"
        ) from exc
    if not callable(factory):
        raise ImproperlyConfigured(
            f"WEBSOCKETS['transport'] = {path!r} is not a class or a factory function"
        )
    transport = factory()
    if not isinstance(transport, Transport):
        raise ImproperlyConfigured(
            f"WEBSOCKETS['transport'] = {path!r} made {transport!r}, which lacks "
            "post_to_connections(), delete_connections() or get_connections()"
        )
    return transport


@contextmanager
def override_transport(transport: T) -> Iterator[T]:
    """Use ``transport`` for every send in this process until the block ends.

    Process-wide, not per thread, so that sends made by a live test server's
    threads are seen too.
    """
    with _lock:
        _overrides.append(transport)
    try:
        yield transport
    finally:
        with _lock:
            _overrides.remove(transport)


def clear_transport_cache() -> None:
    with _lock:
        _transports.clear()
