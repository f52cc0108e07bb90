"""Each connection's inbound budget: a token bucket, refused with 429 before any handler runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import F

from django_aws_api_gateway_websockets import inbound, signals
from django_aws_api_gateway_websockets.models import ChannelMembership, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient

VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"


def row(connection_id: str) -> WebSocketSession:
    return WebSocketSession.objects.get(connection_id=connection_id)


def as_if_seconds_passed(connection_id: str, seconds: float) -> None:
    """Move the bucket's last refill back, as the clock moving forward would."""
    WebSocketSession.objects.filter(connection_id=connection_id).update(
        message_tokens_at=F("message_tokens_at") - seconds
    )


@pytest.fixture
def handled() -> Iterator[list[str]]:
    """The handlers that ran, from ``message_handled``."""
    names: list[str] = []

    def receiver(handler_name: str, **kwargs: Any) -> None:
        names.append(handler_name)

    signals.message_handled.connect(receiver, dispatch_uid="test.handled")
    yield names
    signals.message_handled.disconnect(dispatch_uid="test.handled")


@pytest.fixture
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bucket's clock stands still: no refill however slow the machine is."""
    now = time.time()
    monkeypatch.setattr(inbound, "time", SimpleNamespace(time=lambda: now))


def test_the_default_budget_is_a_burst_of_40_then_429(
    ws: WebSocketTestClient,
    connected: str,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
    handled: list[str],
    stopped_clock: None,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [ws.send(connected, {"text": str(i)}).status_code for i in range(40)]
    assert statuses == [200] * 40
    handled.clear()

    with (
        caplog.at_level("WARNING", logger=VIEWS_LOGGER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = ws.send(connected, {"text": "one too many", "client_message_id": "m41"})

    assert response.status_code == 429
    assert response.json() == {
        "$ws": "error",
        "error": "Too many messages, slow down.",
        "refused": "m41",
    }
    assert response["Retry-After"] == "1"
    assert "inbound limit of 10/s (burst 40) exceeded" in caplog.text
    assert handled == []  # refused before any handler ran
    assert row(connected).request_count == 40  # a refused message is not counted


def test_the_bucket_refills_at_the_configured_rate(
    ws: WebSocketTestClient, connected: str, settings: Any, stopped_clock: None
) -> None:
    settings.WEBSOCKETS = {"messages_per_second": 2, "messages_burst": 2}
    assert [ws.send(connected, {}).status_code for _ in range(3)] == [200, 200, 429]

    as_if_seconds_passed(connected, 0.5)  # one token at 2/s
    assert [ws.send(connected, {}).status_code for _ in range(2)] == [200, 429]

    as_if_seconds_passed(connected, 60)  # never more than the burst
    assert [ws.send(connected, {}).status_code for _ in range(3)] == [200, 200, 429]


def test_zero_messages_per_second_turns_the_limit_off(
    ws: WebSocketTestClient, connected: str, settings: Any
) -> None:
    settings.WEBSOCKETS = {"messages_per_second": 0, "messages_burst": 1}

    assert {ws.send(connected, {}).status_code for _ in range(60)} == {200}
    assert row(connected).request_count == 60


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/tight-ws/", [200, 200, 200, 429]),  # MESSAGES_BURST = 3
        ("/unlimited-ws/", [200, 200, 200, 200]),  # MESSAGES_PER_SECOND = 0
    ],
)
def test_a_view_sets_its_own_budget(
    make_ws_client: Callable[..., WebSocketTestClient],
    settings: Any,
    path: str,
    expected: list[int],
) -> None:
    settings.WEBSOCKETS = {"messages_per_second": 1, "messages_burst": 1}
    ws = make_ws_client(path)
    connection_id, _ = ws.connect()

    assert [ws.send(connection_id, {}).status_code for _ in range(4)] == expected


def test_subscribe_and_unsubscribe_count_like_any_message(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    ws = make_ws_client("/tight-ws/")
    connection_id, _ = ws.connect(channel="lobby")
    toggles = [
        {"handler": "subscribe", "channel": "room-1"},
        {"handler": "unsubscribe", "channel": "room-1"},
        {"handler": "subscribe", "channel": "room-1"},
        {"handler": "unsubscribe", "channel": "room-1"},
    ]

    statuses = [ws.send(connection_id, body).status_code for body in toggles]

    assert statuses == [200, 200, 200, 429]
    # The refused unsubscribe did not run: still subscribed.
    assert set(
        ChannelMembership.objects.filter(session__connection_id=connection_id).values_list(
            "channel_name", flat=True
        )
    ) == {"lobby", "room-1"}


def test_a_new_connection_starts_with_a_full_bucket(ws: WebSocketTestClient, settings: Any) -> None:
    settings.WEBSOCKETS = {"messages_per_second": 0.001, "messages_burst": 2}
    first, _ = ws.connect()
    assert [ws.send(first, {}).status_code for _ in range(3)] == [200, 200, 429]

    second, _ = ws.connect()

    assert [ws.send(second, {}).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
def test_concurrent_messages_never_share_the_last_token(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.WEBSOCKETS = {"messages_per_second": 0.001, "messages_burst": 3}
    connection_id, _ = make_ws_client().connect()
    workers = 12
    start = threading.Barrier(workers)

    def send(_: int) -> int:
        try:
            ws = make_ws_client()  # a test client per thread
            start.wait(timeout=10)
            return int(ws.send(connection_id, {}).status_code)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = list(pool.map(send, range(workers), timeout=30))

    assert sorted(statuses) == [200] * 3 + [429] * (workers - 3)
    assert row(connection_id).request_count == 3
