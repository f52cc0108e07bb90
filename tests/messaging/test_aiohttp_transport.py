"""The default transport against real HTTP: the stand-in, and one that checks signatures."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.credentials import Credentials, RefreshableCredentials
from django.utils import timezone

from django_aws_api_gateway_websockets import aiohttp_transport, aws, signing
from django_aws_api_gateway_websockets.aiohttp_transport import AiohttpTransport
from django_aws_api_gateway_websockets.transport import (
    BotoTransport,
    Delivery,
    Outcome,
    Target,
    get_transport,
)
from tests.waiting import wait_until

from .management_api import ManagementApiStandIn
from .signing_stand_in import SigningStandIn

KEY_ID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def endpoint(management_api: ManagementApiStandIn) -> str:
    return f"http://127.0.0.1:{management_api.port}/prod"


def targets(endpoint: str, *ids: str) -> list[Target]:
    return [Target(endpoint, cid) for cid in ids]


def outcomes(deliveries: list[Delivery]) -> list[Outcome]:
    return [d.outcome for d in deliveries]


def test_it_is_the_default_transport() -> None:
    assert isinstance(get_transport(), AiohttpTransport)


def test_post_get_and_delete_map_answers_to_deliveries(
    management_api: ManagementApiStandIn, endpoint: str
) -> None:
    management_api.gone.add("old")
    management_api.statuses["bad"] = 403
    batch = targets(endpoint, "live", "old", "bad")
    transport = AiohttpTransport()

    posted = transport.post_to_connections(batch, b'{"x": 1}')
    probed = transport.get_connections(batch)
    deleted = transport.delete_connections(batch)

    for deliveries in (posted, probed, deleted):
        assert outcomes(deliveries) == [Outcome.SENT, Outcome.GONE, Outcome.FAILED]
        assert deliveries[2].error == "ForbiddenException (HTTP 403): Forbidden"
    # Requests of one batch run concurrently: their order of arrival is not fixed.
    assert sorted((r.method, r.connection_id) for r in management_api.received) == sorted(
        (method, cid) for method in ("POST", "GET", "DELETE") for cid in ("live", "old", "bad")
    )
    assert {r.stage for r in management_api.received} == {"prod"}
    assert all(r.signed for r in management_api.received)
    assert management_api.posted()[0].body == b'{"x": 1}'
    # The DELETE closed "live": it is gone now.
    assert outcomes(transport.get_connections(batch[:1])) == [Outcome.GONE]


def test_an_empty_batch_makes_no_request(management_api: ManagementApiStandIn) -> None:
    assert AiohttpTransport().post_to_connections([], b"{}") == []
    assert management_api.count == 0


def test_connection_ids_are_percent_encoded_as_botocore_does(
    management_api: ManagementApiStandIn, endpoint: str
) -> None:
    deliveries = AiohttpTransport().post_to_connections(targets(endpoint, "a/b=c~"), b"{}")

    assert outcomes(deliveries) == [Outcome.SENT]
    assert management_api.received[0].connection_id == "a/b=c~"


@pytest.mark.parametrize(
    ("answer", "attempts", "requests", "outcome", "reason"),
    [
        ({"fail_first": 2}, 3, 3, Outcome.SENT, ""),
        # A 429 spends no attempt: it is retried until the throttle timeout.
        ({"fail_first": 5}, 1, 6, Outcome.SENT, ""),
        ({"status": 503}, 3, 3, Outcome.FAILED, "503"),
        ({"status": 500}, 1, 1, Outcome.FAILED, "500"),
        ({"status": 410}, 3, 1, Outcome.GONE, ""),
        ({"status": 413}, 3, 1, Outcome.FAILED, "PayloadTooLargeException (HTTP 413)"),
        ({"status": 400}, 3, 1, Outcome.FAILED, "BadRequestException (HTTP 400)"),
    ],
)
def test_throttling_and_server_errors_are_retried_and_4xx_never(
    settings: Any,
    management_api: ManagementApiStandIn,
    endpoint: str,
    answer: dict[str, int],
    attempts: int,
    requests: int,
    outcome: Outcome,
    reason: str,
) -> None:
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "send_max_attempts": attempts,
        "send_backoff_base_seconds": 0.01,
    }
    if "fail_first" in answer:
        management_api.fail_first["c"] = answer["fail_first"]
    else:
        management_api.statuses["c"] = answer["status"]

    [delivery] = AiohttpTransport().post_to_connections(targets(endpoint, "c"), b"{}")

    assert delivery.outcome is outcome
    assert reason in delivery.error
    assert management_api.count == requests


@pytest.fixture
def always_throttled(settings: Any, management_api: ManagementApiStandIn) -> ManagementApiStandIn:
    """The stand-in answering 429 to connection "c", with a throttle timeout of 0.5 s."""
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "send_throttle_timeout_seconds": 0.5,
        "send_backoff_base_seconds": 0.01,
    }
    management_api.statuses["c"] = 429
    return management_api


def test_a_429_is_retried_until_the_throttle_timeout_then_failed_as_retryable(
    always_throttled: ManagementApiStandIn, endpoint: str
) -> None:
    management_api = always_throttled

    [delivery] = AiohttpTransport().post_to_connections(targets(endpoint, "c"), b"{}")

    assert delivery == Delivery(
        Outcome.FAILED, "LimitExceededException (HTTP 429): Rate exceeded", retryable=True
    )
    # send_max_attempts is 1 here: only the deadline ended the retries.
    assert management_api.count > 2


def test_retry_after_is_honoured(always_throttled: ManagementApiStandIn, endpoint: str) -> None:
    management_api = always_throttled
    management_api.retry_after = "30"

    [delivery] = AiohttpTransport().post_to_connections(targets(endpoint, "c"), b"{}")

    # Waiting the 30 s asked for would pass the deadline: one wait to it, one
    # more request, then the deadline is reached.
    assert delivery.outcome is Outcome.FAILED
    assert management_api.count == 2


@pytest.mark.parametrize("body", [b"[1, 2]", b"\xff\xfe not utf-8", b"<html>Bad Gateway</html>"])
def test_a_5xx_whose_body_is_not_json_is_retried_like_any_5xx(
    settings: Any, management_api: ManagementApiStandIn, endpoint: str, body: bytes
) -> None:
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "send_max_attempts": 3,
        "send_backoff_base_seconds": 0.01,
    }
    management_api.statuses["c"] = 502
    management_api.bodies["c"] = body

    [delivery] = AiohttpTransport().post_to_connections(targets(endpoint, "c"), b"{}")

    assert delivery.outcome is Outcome.FAILED
    assert "(HTTP 502)" in delivery.error
    assert delivery.retryable
    assert management_api.count == 3


@pytest.fixture
def throttled(settings: Any, management_api: ManagementApiStandIn) -> ManagementApiStandIn:
    """The stand-in with AWS's account throttle in small: 500 requests/s after a burst of 100."""
    # Generous timeouts: on a loaded machine the stand-in's threads can stall past 1 s.
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "send_throttle_timeout_seconds": 60,
        "send_connect_timeout_seconds": 10,
        "send_read_timeout_seconds": 10,
    }
    management_api.throttle(rate=500, burst=100)
    return management_api


def test_a_throttled_multicast_loses_nothing(
    throttled: ManagementApiStandIn, endpoint: str
) -> None:
    management_api = throttled
    ids = [f"c{i}" for i in range(2_000)]

    deliveries = AiohttpTransport().post_to_connections(targets(endpoint, *ids), b"{}")

    assert {d.error for d in deliveries} == {""}
    assert management_api.delivered == dict.fromkeys(ids, 1)
    # Paced, not a retry storm: far fewer 429s than messages.
    assert 0 < management_api.throttled < len(ids) // 2


def test_timeouts_are_retried_and_reported_like_botocore(
    settings: Any, management_api: ManagementApiStandIn, endpoint: str
) -> None:
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "send_max_attempts": 2,
        "send_read_timeout_seconds": 0.2,
        "send_backoff_base_seconds": 0,
    }
    management_api.delays["slow"] = 0.6

    slow, fast = AiohttpTransport().post_to_connections(targets(endpoint, "slow", "fast"), b"{}")

    assert slow.outcome is Outcome.FAILED
    assert slow.error.startswith('ReadTimeoutError: Read timeout on endpoint URL: "http://')
    assert fast.outcome is Outcome.SENT
    assert [r.connection_id for r in management_api.received].count("slow") == 2


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A loopback port whose handshakes go unanswered: its accept queue is full.

    Linux drops a SYN to a listener whose queue is full, so a connect to it
    stays in progress (it would be retried after a second).
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = []
    for _ in range(2):  # the one the queue holds, then one whose SYN is dropped
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        queued.append(sock)
    yield port
    for sock in (*queued, listener):
        sock.close()


def test_a_connect_that_does_not_complete_in_time_is_a_connect_timeout(
    settings: Any, unanswered_port: int
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_connect_timeout_seconds": 0.2}

    [delivery] = AiohttpTransport().post_to_connections(
        targets(f"http://127.0.0.1:{unanswered_port}/prod", "c"), b"{}"
    )

    assert delivery.error.startswith("ConnectTimeoutError: Connect timeout on endpoint URL")
    assert delivery.retryable


def test_a_connect_completed_while_the_loop_stalled_is_no_timeout(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    management_api: ManagementApiStandIn,
    endpoint: str,
) -> None:
    # A GC pause or a starved CPU: the loop's thread stops right after it has
    # started a connect, for longer than the connect timeout. The kernel
    # completes the connect meanwhile; the loop learns of it only afterwards.
    timeout = 0.2
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_connect_timeout_seconds": timeout}
    loop = aiohttp_transport._event_loop().loop
    connect = loop.sock_connect
    stalls = []

    async def connect_then_stall(sock: socket.socket, address: Any) -> None:
        connecting = asyncio.ensure_future(connect(sock, address))
        await asyncio.sleep(0)  # the connect is under way
        stalled_until = time.monotonic() + 2 * timeout
        # The thread stays blocked (the loop runs nothing) until the socket has
        # connected and the connect timeout has long passed.
        wait_until(
            lambda: time.monotonic() >= stalled_until and connected(sock),
            timeout=10,
            what="the stalled connect to complete",
        )
        stalls.append(address)
        await connecting

    monkeypatch.setattr(loop, "sock_connect", connect_then_stall)

    [delivery] = AiohttpTransport().post_to_connections(targets(endpoint, "c"), b"{}")

    assert stalls, "the connect did not go through the stalling loop"
    assert delivery == Delivery(Outcome.SENT)
    assert [r.connection_id for r in management_api.received] == ["c"]


def connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


def test_an_unreachable_endpoint_is_retried_then_failed(
    settings: Any, refusing_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_max_attempts": 2}

    [delivery] = AiohttpTransport().post_to_connections(
        targets(f"http://127.0.0.1:{refusing_port}/prod", "c"), b"{}"
    )

    assert delivery.error.startswith("EndpointConnectionError: Could not connect")


def test_a_closed_connection_is_a_retried_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import aiohttp

    calls = []

    async def disconnects(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise aiohttp.ServerDisconnectedError()

    monkeypatch.setattr("aiohttp.ClientSession._request", disconnects)

    [delivery] = AiohttpTransport().post_to_connections(
        targets("http://127.0.0.1:9/prod", "c"), b"{}"
    )

    assert delivery.error.startswith("ConnectionClosedError: Connection was closed")
    assert len(calls) == 1  # the suite's settings allow one attempt


def test_one_broken_call_is_logged_and_the_others_still_go(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    management_api: ManagementApiStandIn,
    endpoint: str,
) -> None:
    real = aiohttp_transport._Endpoint.path

    def path(self: aiohttp_transport._Endpoint, connection_id: str) -> str:
        if connection_id == "boom":
            raise RuntimeError("kaput")
        return real(self, connection_id)

    monkeypatch.setattr(aiohttp_transport._Endpoint, "path", path)

    with caplog.at_level(logging.ERROR):
        deliveries = AiohttpTransport().post_to_connections(
            targets(endpoint, "ok", "boom", "ok2"), b"{}"
        )

    assert deliveries[1] == Delivery(Outcome.FAILED, "RuntimeError: kaput")
    assert outcomes(deliveries)[::2] == [Outcome.SENT, Outcome.SENT]
    assert "Unexpected error calling the Management API for boom" in caplog.text


def test_requests_in_flight_are_bounded_by_send_max_in_flight(
    settings: Any, management_api: ManagementApiStandIn, endpoint: str
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_max_in_flight": 4}
    management_api.latency = 0.03
    ids = [f"c{i}" for i in range(40)]

    deliveries = AiohttpTransport().post_to_connections(targets(endpoint, *ids), b"{}")

    assert outcomes(deliveries) == [Outcome.SENT] * 40
    assert management_api.max_in_flight == 4


def test_many_requests_are_in_flight_by_default(
    settings: Any, management_api: ManagementApiStandIn, endpoint: str
) -> None:
    # Long enough that the stand-in's thread per connection keeps up on a busy
    # machine (at 1 s, a load average of 10 saw only 36 at once), and timeouts
    # longer than that.
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "send_connect_timeout_seconds": 10,
        "send_read_timeout_seconds": 10,
    }
    management_api.latency = 3.0
    ids = [f"c{i}" for i in range(100)]

    AiohttpTransport().post_to_connections(targets(endpoint, *ids), b"{}")

    assert management_api.max_in_flight > 50


def test_it_works_from_inside_a_running_event_loop(
    management_api: ManagementApiStandIn, endpoint: str
) -> None:
    async def async_view() -> list[Delivery]:
        return AiohttpTransport().post_to_connections(targets(endpoint, "a", "b"), b"{}")

    assert outcomes(asyncio.run(async_view())) == [Outcome.SENT, Outcome.SENT]


def test_several_threads_send_at_once(
    settings: Any, management_api: ManagementApiStandIn, endpoint: str
) -> None:
    # Generous timeouts: on a loaded machine the stand-in's threads can stall past 1 s.
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "send_connect_timeout_seconds": 10,
        "send_read_timeout_seconds": 10,
    }
    management_api.latency = 0.01
    transport = AiohttpTransport()
    results: dict[int, list[Delivery]] = {}

    def send(n: int) -> None:
        results[n] = transport.post_to_connections(
            targets(endpoint, *(f"t{n}-{i}" for i in range(25))), f"{n}".encode()
        )

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert all(outcomes(results[n]) == [Outcome.SENT] * 25 for n in range(4))
    by_body = {(r.connection_id.split("-")[0], r.body) for r in management_api.posted()}
    assert by_body == {(f"t{n}", f"{n}".encode()) for n in range(4)}


def test_the_loop_refuses_to_wait_on_itself() -> None:
    loop = aiohttp_transport._event_loop()

    async def nested() -> None:
        loop.run(asyncio.sleep(0))

    with pytest.raises(RuntimeError, match="its own loop"):
        loop.run(nested())


def test_after_shutdown_the_next_send_starts_a_new_loop(
    management_api: ManagementApiStandIn, endpoint: str
) -> None:
    first = aiohttp_transport._event_loop()
    AiohttpTransport().post_to_connections(targets(endpoint, "a"), b"{}")

    aiohttp_transport.shutdown()

    assert first.loop.is_closed()
    assert outcomes(AiohttpTransport().post_to_connections(targets(endpoint, "a"), b"{}")) == [
        Outcome.SENT
    ]
    assert aiohttp_transport._event_loop() is not first


def test_a_forked_child_gets_its_own_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = aiohttp_transport._event_loop()
    monkeypatch.setattr(aiohttp_transport.os, "getpid", lambda: parent.pid + 1)

    child = aiohttp_transport._event_loop()

    assert child is not parent
    monkeypatch.undo()
    aiohttp_transport.shutdown()  # the "child" loop, now this process's again
    parent.stop()


def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_local_endpoints_need_no_credentials_or_region(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    management_api: ManagementApiStandIn,
    endpoint: str,
) -> None:
    _no_ambient_credentials(monkeypatch)
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = None
    settings.AWS_GATEWAY_REGION_NAME = None

    deliveries = AiohttpTransport().post_to_connections(targets(endpoint, "c"), b"{}")

    assert outcomes(deliveries) == [Outcome.SENT]
    assert management_api.received[0].signed


def test_an_aws_endpoint_without_credentials_fails_without_a_request(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ambient_credentials(monkeypatch)
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = None

    [delivery] = AiohttpTransport().post_to_connections(
        targets("https://abc.execute-api.eu-west-1.amazonaws.com/prod", "c"), b"{}"
    )

    assert delivery == Delivery(Outcome.FAILED, "NoCredentialsError: Unable to locate credentials")


def test_an_aws_host_without_a_region_fails_clearly(settings: Any) -> None:
    settings.AWS_GATEWAY_REGION_NAME = settings.AWS_REGION_NAME = None

    [delivery] = AiohttpTransport().post_to_connections(
        targets("https://ws.example.amazonaws.com/prod", "c"), b"{}"
    )

    assert delivery.error.startswith("NoRegionError")


def test_a_broken_profile_fails_every_target_of_the_endpoint(settings: Any) -> None:
    settings.AWS_IAM_PROFILE = "no-such-profile"

    deliveries = AiohttpTransport().post_to_connections(
        targets("https://abc.execute-api.eu-west-1.amazonaws.com/prod", "a", "b"), b"{}"
    )

    assert [d.error.split(":")[0] for d in deliveries] == ["ProfileNotFound"] * 2


# Signing, checked by a stand-in that recomputes every signature with botocore.


@pytest.fixture
def signing_stand_in(request: pytest.FixtureRequest) -> Iterator[SigningStandIn]:
    server = SigningStandIn(expected_region=request.param, secrets={KEY_ID: SECRET}).start()
    yield server
    server.stop()


@pytest.fixture
def aws_endpoint_routed_to(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Send AWS-hosted endpoints to a local server, through botocore's own endpoint setting."""
    _no_ambient_credentials(monkeypatch)
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = KEY_ID, SECRET

    def route(server: SigningStandIn) -> None:
        monkeypatch.setenv(
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", f"http://127.0.0.1:{server.port}"
        )

    yield route


@pytest.mark.parametrize(
    ("signing_stand_in", "endpoint_url"),
    [
        ("eu-west-3", "https://abc123.execute-api.eu-west-3.amazonaws.com/prod"),
        ("cn-north-1", "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod"),
        ("us-gov-west-1", "https://abc123.execute-api.us-gov-west-1.amazonaws.com/prod"),
    ],
    indirect=["signing_stand_in"],
)
@pytest.mark.parametrize("transport_class", [AiohttpTransport, BotoTransport])
def test_requests_are_signed_for_the_endpoints_region(
    signing_stand_in: SigningStandIn,
    aws_endpoint_routed_to: Any,
    endpoint_url: str,
    transport_class: type[AiohttpTransport] | type[BotoTransport],
) -> None:
    # The configured region is eu-west-1 (tests.settings); the gateway is elsewhere.
    aws_endpoint_routed_to(signing_stand_in)
    transport = transport_class()

    posted = transport.post_to_connections(targets(endpoint_url, "c1", "c/2"), b'{"x": 1}')
    deleted = transport.delete_connections(targets(endpoint_url, "c3"))

    assert outcomes(posted + deleted) == [Outcome.SENT] * 3
    assert {(c.region, c.valid) for c in signing_stand_in.checked} == {
        (signing_stand_in.expected_region, True)
    }
    # botocore's configured endpoint replaces the host and stage, as it does for boto3.
    assert sorted(c.path for c in signing_stand_in.checked) == sorted(
        ["/@connections/c1", "/@connections/c%2F2", "/@connections/c3"]
    )


@pytest.mark.parametrize("signing_stand_in", ["eu-west-1"], indirect=True)
def test_botocore_signs_where_awscrt_is_missing(
    signing_stand_in: SigningStandIn,
    aws_endpoint_routed_to: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws_endpoint_routed_to(signing_stand_in)
    monkeypatch.setattr(aiohttp_transport, "_sign", signing.botocore_headers)

    deliveries = AiohttpTransport().post_to_connections(
        targets("https://abc123.execute-api.eu-west-1.amazonaws.com/prod", "a", "b/c"), b"{}"
    )

    assert outcomes(deliveries) == [Outcome.SENT] * 2
    assert [c.valid for c in signing_stand_in.checked] == [True, True]


@pytest.mark.parametrize("signing_stand_in", ["eu-west-1"], indirect=True)
def test_a_wrong_signature_is_refused_by_the_stand_in(
    signing_stand_in: SigningStandIn, aws_endpoint_routed_to: Any, settings: Any
) -> None:
    aws_endpoint_routed_to(signing_stand_in)
    settings.AWS_SECRET_ACCESS_KEY = "not-the-secret"

    [delivery] = AiohttpTransport().post_to_connections(
        targets("https://abc123.execute-api.eu-west-1.amazonaws.com/prod", "c"), b"{}"
    )

    assert delivery.error.startswith("ForbiddenException (HTTP 403): The request signature")
    assert [c.valid for c in signing_stand_in.checked] == [False]


@pytest.mark.parametrize("signing_stand_in", ["eu-west-1"], indirect=True)
def test_refreshable_credentials_are_refreshed_and_frozen_per_request(
    signing_stand_in: SigningStandIn,
    aws_endpoint_routed_to: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws_endpoint_routed_to(signing_stand_in)
    signing_stand_in.secrets.update({"ROTATED1": "secret-1", "ROTATED2": "secret-2"})
    issued: list[str] = []

    def refresh() -> dict[str, str]:
        # Each set expires at once, so the next request must refresh again.
        key = f"ROTATED{len(issued) % 2 + 1}"
        issued.append(key)
        return {
            "access_key": key,
            "secret_key": signing_stand_in.secrets[key],
            "token": f"token-{len(issued)}",
            "expiry_time": (timezone.now() + timedelta(seconds=1)).isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="test"
    )
    monkeypatch.setattr(aws, "credentials", lambda: credentials)

    deliveries = AiohttpTransport().post_to_connections(
        targets("https://abc123.execute-api.eu-west-1.amazonaws.com/prod", "a", "b", "c"), b"{}"
    )

    assert outcomes(deliveries) == [Outcome.SENT] * 3
    assert all(c.valid for c in signing_stand_in.checked)
    assert {c.access_key for c in signing_stand_in.checked} == {"ROTATED1", "ROTATED2"}
    assert len(issued) > 3


def test_static_credentials_from_settings_are_used(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ambient_credentials(monkeypatch)
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = KEY_ID, SECRET

    found = aws.credentials()

    assert isinstance(found, Credentials)
    assert found.get_frozen_credentials().access_key == KEY_ID
    assert aws.credentials() is found


def test_finding_no_credentials_is_remembered(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ambient_credentials(monkeypatch)
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = None
    lookups = []
    real = aws.boto3_session

    def counting_session() -> Any:
        session = real()
        original = session.get_credentials

        def get_credentials() -> Any:
            lookups.append(1)
            return original()

        session.get_credentials = get_credentials  # type: ignore[method-assign]
        return session

    monkeypatch.setattr(aws, "boto3_session", counting_session)

    assert aws.credentials() is None
    assert aws.credentials() is None
    assert len(lookups) == 1

    # Not for ever: a role that did not answer once is asked again later.
    now = time.monotonic()
    monkeypatch.setattr(aws.time, "monotonic", lambda: now + aws.NO_CREDENTIALS_RETRY_SECONDS + 1)
    assert aws.credentials() is None
    assert len(lookups) == 2


def test_a_session_token_from_settings_is_used(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ambient_credentials(monkeypatch)
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = KEY_ID, SECRET
    settings.AWS_SESSION_TOKEN = "session-token-from-settings"

    found = aws.credentials()

    assert found is not None
    assert found.get_frozen_credentials().token == "session-token-from-settings"


@pytest.mark.parametrize("attempts", [1, 2, 3])
def test_boto_transport_makes_send_max_attempts_requests_in_all(
    settings: Any, management_api: ManagementApiStandIn, endpoint: str, attempts: int
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_max_attempts": attempts}
    management_api.statuses["c"] = 503

    [delivery] = BotoTransport().post_to_connections(targets(endpoint, "c"), b"{}")

    assert delivery.outcome is Outcome.FAILED
    assert management_api.count == attempts


def test_two_processes_pacing_themselves_against_one_throttle_lose_nothing(
    throttled: ManagementApiStandIn, endpoint: str
) -> None:
    # Each worker process has its own transport and so its own pacing; here two
    # transports send from two threads at once, as two workers would.
    management_api = throttled
    chunks = {n: [f"w{n}-{i}" for i in range(1_000)] for n in range(2)}
    results: dict[int, list[Delivery]] = {}

    def work(n: int) -> None:
        results[n] = AiohttpTransport().post_to_connections(targets(endpoint, *chunks[n]), b"{}")

    workers = [threading.Thread(target=work, args=(n,)) for n in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert [{d.error for d in results[n]} for n in chunks] == [{""}, {""}]
    assert management_api.delivered == dict.fromkeys(chunks[0] + chunks[1], 1)
    assert management_api.throttled > 0


def test_a_custom_domain_without_a_region_fails_clearly_instead_of_guessing(
    settings: Any,
) -> None:
    settings.AWS_GATEWAY_REGION_NAME = settings.AWS_REGION_NAME = None

    [delivery] = AiohttpTransport().post_to_connections(
        targets("https://ws.example.com/prod", "c"), b"{}"
    )

    assert delivery.error.startswith("NoRegionError: set AWS_GATEWAY_REGION_NAME")
