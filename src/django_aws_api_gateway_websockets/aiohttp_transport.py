"""The default transport: aiohttp on one private event loop per process.

botocore spends most of a ``post_to_connection`` call in its own per-call
machinery, so a thread pool of boto3 calls tops out far below what the network
allows. This transport keeps only AWS's signer (awscrt's, see ``signing``) and
boto3's credential chain, and sends with aiohttp over a keep-alive HTTP/1.1
pool with up to ``WEBSOCKETS["send_max_in_flight"]`` requests in flight per
process, paced per AWS account and region (``pacing``) so that AWS's throttle
slows a send down instead of failing it.

The event loop runs in a daemon thread that this module starts on first use
(and again in a forked child). Callers of any kind submit a batch to it with
``run_coroutine_threadsafe`` and wait for the answer: a sync view, several
threads at once, or code running inside another event loop (an async view),
which never meets "this event loop is already running". The loop thread alone
touches the aiohttp session, the pacing and the signer, so they need no lock.
"""

from __future__ import annotations

import asyncio
import atexit
import enum
import os
import random
import threading
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import aiohttp
from botocore.credentials import Credentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import create_parser
from yarl import URL

from . import aws, log_context
from .conf import conf
from .connect_deadline import ConnectDeadline, socket_factory
from .log_context import get_logger
from .pacing import AdaptiveRate
from .signing import default_signer, host_of
from .transport import (
    GONE,
    GONE_STATUS,
    SENT,
    THROTTLED_STATUS,
    Delivery,
    Outcome,
    Target,
    delivery_for_client_error,
)
from .transport_options import AiohttpOptions

logger = get_logger(__name__)

# awscrt's signer (botocore's where awscrt is missing); called on the loop only.
_sign = default_signer()
_OPERATIONS = {"POST": "PostToConnection", "GET": "GetConnection", "DELETE": "DeleteConnection"}
# Used only for endpoints outside AWS (the local gateway, stand-ins), which
# need a signature but check none.
_LOCAL_CREDENTIALS = Credentials(
    aws.LOCAL_PLACEHOLDER_CREDENTIALS["aws_access_key_id"],
    aws.LOCAL_PLACEHOLDER_CREDENTIALS["aws_secret_access_key"],
)
_HEADERS = {"User-Agent": f"{aws.USER_AGENT_EXTRA} aiohttp/{aiohttp.__version__}"}

R = TypeVar("R")


class AiohttpTransport:
    """POST, GET and DELETE ``@connections/<id>``, a whole batch at once.

    Requests are paced per AWS account and region (``pacing``). A 429 is
    retried until ``send_throttle_timeout_seconds`` have passed since the
    request's first 429, after the ``Retry-After`` the answer names, else after
    exponential backoff with full jitter. 5xx answers, timeouts and broken
    connections are retried likewise, ``send_max_attempts`` attempts in all;
    410 and other 4xx answers never are.
    """

    options = AiohttpOptions

    def __init__(self) -> None:
        # (credentials, region, loop) -> its limit; read and written on the loop
        # only. A new loop (after shutdown(), in a forked child) starts afresh:
        # a pacer's timer belongs to the loop it was made on.
        self._pacers: dict[tuple[object, str, asyncio.AbstractEventLoop], AdaptiveRate] = {}

    def post_to_connections(self, targets: Sequence[Target], data: bytes) -> list[Delivery]:
        return self._run("POST", targets, data)

    def get_connections(self, targets: Sequence[Target]) -> list[Delivery]:
        return self._run("GET", targets, b"")

    def delete_connections(self, targets: Sequence[Target]) -> list[Delivery]:
        return self._run("DELETE", targets, b"")

    def pacer(self, endpoint: _Endpoint, initial_rate: float) -> AdaptiveRate:
        """The limit of the account and region ``endpoint`` is signed for; on the loop only."""
        loop = asyncio.get_running_loop()
        key = (endpoint.credentials, endpoint.region, loop)
        found = self._pacers.get(key)
        if found is None:
            found = self._pacers[key] = AdaptiveRate(initial_rate, loop.time)
        return found

    def _run(self, method: str, targets: Sequence[Target], body: bytes) -> list[Delivery]:
        if not targets:
            return []
        # Settings, credentials and endpoints are looked up here, in the
        # caller's thread, once per batch: the loop never reads Django settings.
        batch = _Batch(method, body, _Policy.from_settings(), _plan(targets), self)
        return _event_loop().run(batch.send(targets))


@dataclass(frozen=True, slots=True)
class _Policy:
    attempts: int
    backoff_base: float
    backoff_max: float
    in_flight: int
    connect_timeout: float
    timeout: aiohttp.ClientTimeout
    throttle_timeout: float
    initial_rate: float

    @classmethod
    def from_settings(cls) -> _Policy:
        options = conf.transport_options(AiohttpOptions)
        return cls(
            attempts=max(1, options.max_attempts),
            backoff_base=options.backoff_base_seconds,
            backoff_max=options.backoff_max_seconds,
            in_flight=max(1, options.max_in_flight),
            # Bounded by ConnectDeadline, not by aiohttp's sock_connect timer,
            # which a stalled loop thread sees expire after a completed connect.
            connect_timeout=options.connect_timeout_seconds,
            # No total and no pool-wait limit: a big batch queues for the pool
            # by design. Each socket operation is bounded instead.
            timeout=aiohttp.ClientTimeout(total=None, sock_read=options.read_timeout_seconds),
            throttle_timeout=options.throttle_timeout_seconds,
            initial_rate=options.rate_initial_per_second,
        )

    def backoff(self, attempt: int) -> float:
        """Full jitter: anywhere up to base * 2^(attempt-1), capped."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** min(attempt - 1, 30))
        return random.uniform(0, ceiling)


class _Answer(enum.Enum):
    FINAL = "final"
    RETRY = "retry"  # a 5xx, a timeout, a broken connection: counts an attempt
    THROTTLED = "throttled"  # a 429: retried until the throttle timeout


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """Where one gateway's calls go and how they are signed, or why they cannot be."""

    base_url: str
    region: str
    credentials: Credentials | None
    problem: Delivery | None = None
    # The signed Host and the path before the connection id, split once.
    origin: str = ""  # scheme://host[:port]
    host: str = ""
    base_path: str = ""

    @classmethod
    def at(cls, base_url: str, region: str, credentials: Credentials | None) -> _Endpoint:
        parts = urlsplit(base_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        return cls(base_url, region, credentials, None, origin, host_of(parts), parts.path)

    def path(self, connection_id: str) -> str:
        # As botocore renders the ConnectionId path parameter: every byte but
        # unreserved ones percent-encoded.
        return f"{self.base_path}/@connections/{quote(connection_id, safe='~')}"

    def signed_headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        if self.credentials is None:
            raise NoCredentialsError()
        # Refreshable credentials may change between two requests; a frozen
        # copy keeps key, secret and token of one signature together. When
        # botocore refreshes them (minutes before they expire) that one call
        # holds the loop while it fetches the new set.
        frozen = self.credentials.get_frozen_credentials()
        return _sign(method, self.host, path, body, frozen, self.region)


def _plan(targets: Sequence[Target]) -> dict[str, _Endpoint]:
    plan: dict[str, _Endpoint] = {}
    for target in targets:
        if target.endpoint_url not in plan:
            plan[target.endpoint_url] = _endpoint(target.endpoint_url)
    return plan


def _endpoint(endpoint_url: str) -> _Endpoint:
    try:
        base_url = aws.routed_management_endpoint(endpoint_url)
        credentials = aws.credentials()
    except BotoCoreError as exc:
        # A missing region or a broken profile: every call to this endpoint fails alike.
        return _Endpoint(endpoint_url, "", None, _failed(exc))
    if credentials is None and not aws.is_aws_hosted(base_url):
        credentials = _LOCAL_CREDENTIALS
    region = aws.signing_region(endpoint_url)
    if region is None:
        problem = Delivery(
            Outcome.FAILED,
            "NoRegionError: set AWS_GATEWAY_REGION_NAME to sign for this endpoint",
        )
        return _Endpoint(base_url, "", credentials, problem)
    return _Endpoint.at(base_url.rstrip("/"), region, credentials)


class _Batch:
    def __init__(
        self,
        method: str,
        body: bytes,
        policy: _Policy,
        endpoints: Mapping[str, _Endpoint],
        transport: AiohttpTransport,
    ) -> None:
        self.method = method
        self.body = body
        self.policy = policy
        self.endpoints = endpoints
        self.transport = transport

    async def send(self, targets: Sequence[Target]) -> list[Delivery]:
        session = _event_loop().session(self.policy.in_flight)
        results: list[Delivery] = [SENT] * len(targets)
        # Looked up once per batch, not per message.
        pacers = {
            url: self.transport.pacer(endpoint, self.policy.initial_rate)
            for url, endpoint in self.endpoints.items()
            if endpoint.problem is None
        }
        # A fixed number of workers share one iterator: memory stays bounded by
        # the in-flight limit however many targets there are.
        pending: Iterator[int] = iter(range(len(targets)))

        async def worker() -> None:
            for index in pending:
                target = targets[index]
                endpoint = self.endpoints[target.endpoint_url]
                if endpoint.problem is not None:
                    results[index] = endpoint.problem
                    continue
                try:
                    results[index] = await self.until_answered(
                        session, endpoint, pacers[target.endpoint_url], target.connection_id
                    )
                except Exception as exc:  # one broken call must not stop the others
                    logger.exception(
                        "Unexpected error calling the Management API for %s", target.connection_id
                    )
                    results[index] = _failed(exc)

        workers = min(self.policy.in_flight, len(targets))
        await asyncio.gather(*(worker() for _ in range(workers)))
        return results

    async def until_answered(
        self,
        session: aiohttp.ClientSession,
        endpoint: _Endpoint,
        pacer: AdaptiveRate,
        connection_id: str,
    ) -> Delivery:
        attempt = throttles = 0
        throttled_since: float | None = None
        while True:
            # The pacer's slot without a coroutine when one is free (nearly always).
            sent_at = pacer.take()
            if sent_at is None:
                sent_at = await pacer.wait()
            delivery, answer, retry_after = await self.attempt(session, endpoint, connection_id)
            if answer is _Answer.THROTTLED:
                pacer.throttled(sent_at)
                now = asyncio.get_running_loop().time()
                throttled_since = now if throttled_since is None else throttled_since
                left = throttled_since + self.policy.throttle_timeout - now
                throttles += 1
                if left <= 0:
                    return _with_attempts(delivery, throttles, max(0, attempt - 1))
                wait = self.policy.backoff(throttles) if retry_after is None else retry_after
                await asyncio.sleep(min(wait, left))
                continue
            attempt += 1
            if answer is _Answer.FINAL or attempt >= self.policy.attempts:
                return _with_attempts(delivery, throttles, attempt - 1)
            await asyncio.sleep(self.policy.backoff(attempt))

    async def attempt(
        self, session: aiohttp.ClientSession, endpoint: _Endpoint, connection_id: str
    ) -> tuple[Delivery, _Answer, float | None]:
        """One request: its delivery, whether to try again, and the server's Retry-After."""
        path = endpoint.path(connection_id)
        url = endpoint.origin + path
        try:
            headers = endpoint.signed_headers(self.method, path, self.body)
        except BotoCoreError as exc:
            return _failed(exc), _Answer.FINAL, None
        deadline = ConnectDeadline(self.policy.connect_timeout)
        try:
            async with (
                deadline,
                session.request(
                    self.method,
                    URL(url, encoded=True),
                    data=self.body or None,
                    headers=headers,
                    timeout=self.policy.timeout,
                ) as response,
            ):
                status = response.status
                content = await response.read()
                response_headers = response.headers
        except (TimeoutError, aiohttp.ServerTimeoutError):
            if deadline.expired:
                return _failed(ConnectTimeoutError(endpoint_url=url), True), _Answer.RETRY, None
            return _failed(ReadTimeoutError(endpoint_url=url), True), _Answer.RETRY, None
        except aiohttp.ClientConnectorError as exc:
            refused = EndpointConnectionError(endpoint_url=url, error=exc)
            return _failed(refused, True), _Answer.RETRY, None
        except aiohttp.ClientError as exc:
            # The server closed a kept-alive connection, a reset, a truncated answer.
            closed = ConnectionClosedError(endpoint_url=url, error=exc)
            return _failed(closed, True), _Answer.RETRY, None
        if status < 300:
            return SENT, _Answer.FINAL, None
        if status == GONE_STATUS:
            return GONE, _Answer.FINAL, None
        delivery = _error_delivery(self.method, status, response_headers, content)
        if status == THROTTLED_STATUS:
            return delivery, _Answer.THROTTLED, _retry_after(response_headers)
        return delivery, (_Answer.RETRY if delivery.retryable else _Answer.FINAL), None


def _with_attempts(delivery: Delivery, throttles: int, retries: int) -> Delivery:
    """``delivery``, saying how many 429s and retries it took (metrics count them)."""
    if not throttles and not retries:
        return delivery
    return replace(delivery, throttles=throttles, retries=retries)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the answer's ``Retry-After`` asks for (a number or an HTTP date), else None."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_error_parser = create_parser("rest-json")


def _error_delivery(
    method: str, status: int, headers: Mapping[str, str], content: bytes
) -> Delivery:
    """An error answer read by botocore's own parser, mapped like BotoTransport's."""
    try:
        parsed = _error_parser.parse(
            {
                "status_code": status,
                "headers": {name.lower(): value for name, value in headers.items()},
                "body": content,
            },
            # Error answers are parsed without the operation's output shape.
            None,  # type: ignore[arg-type]
        )
    except Exception:
        # A body botocore cannot read (an array, invalid UTF-8: a proxy's page,
        # not API Gateway's JSON) says nothing more than its status.
        parsed = {
            "Error": {"Code": headers.get("x-amzn-ErrorType", "").split(":")[0] or "HTTPError"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
    return delivery_for_client_error(ClientError(parsed, _OPERATIONS[method]))


def _failed(exc: Exception, retryable: bool = False) -> Delivery:
    return Delivery(Outcome.FAILED, f"{type(exc).__name__}: {exc}", retryable)


def _with_log_fields(coroutine: Coroutine[Any, Any, R]) -> Coroutine[Any, Any, R]:
    """``coroutine`` with the calling thread's log fields: a task on the loop starts without."""
    fields = log_context.current()  # here, in the caller's thread

    async def bound() -> R:
        with log_context.bound(fields):
            return await coroutine

    return bound()


class _EventLoopThread:
    """An event loop in a daemon thread, and the aiohttp sessions it owns."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._sessions: dict[int, aiohttp.ClientSession] = {}
        self._thread = threading.Thread(target=self._serve, name="ws-transport-loop", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, R]) -> R:
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("the WebSocket transport cannot be called from its own loop")
        return asyncio.run_coroutine_threadsafe(_with_log_fields(coroutine), self.loop).result()

    def session(self, in_flight: int) -> aiohttp.ClientSession:
        """The pool for this in-flight limit; call on the loop only."""
        session = self._sessions.get(in_flight)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=in_flight, limit_per_host=0, socket_factory=socket_factory
            )
            session = aiohttp.ClientSession(connector=connector, headers=_HEADERS)
            self._sessions[in_flight] = session
        return session

    async def _close_sessions(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()

    def stop(self) -> None:
        """Close the pools and end the thread (at exit, and in tests)."""
        if self.loop.is_closed() or not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close_sessions(), self.loop).result(timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self.loop.close()


_loop: _EventLoopThread | None = None
_loop_lock = threading.Lock()


def _event_loop() -> _EventLoopThread:
    global _loop
    current = _loop
    # A forked child inherits the object but not the thread: it starts its own.
    if current is not None and current.pid == os.getpid():
        return current
    with _loop_lock:
        if _loop is None or _loop.pid != os.getpid():
            _loop = _EventLoopThread()
        return _loop


def shutdown() -> None:
    """Close this process's connection pools and stop its loop thread.

    Called at exit; the next send starts a new loop.
    """
    global _loop
    with _loop_lock:
        current, _loop = _loop, None
    if current is not None and current.pid == os.getpid():
        current.stop()


atexit.register(shutdown)
