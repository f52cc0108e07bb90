"""Defects a review found, each pinned by a test that failed before its fix."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, override_settings

from django_aws_api_gateway_websockets.models import ApiGateway, ChannelMembership, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from tests.conftest import API_ID
from tests.testapp.views import PINNED_API_ID


def test_a_pinned_view_refuses_every_other_registered_gateway(
    make_ws_client: Callable[..., WebSocketTestClient], gateway: ApiGateway
) -> None:
    # The conftest gateway (API_ID) is registered; the view is pinned elsewhere.
    connection_id, response = make_ws_client("/pinned-ws/", api_id=API_ID).connect()
    assert response.status_code == 403
    assert not WebSocketSession.objects.filter(connection_id=connection_id).exists()
    _, own = make_ws_client("/pinned-ws/", api_id=PINNED_API_ID).connect()
    assert own.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_gateway_deleted_by_another_process_is_a_403_not_a_500(gateway: ApiGateway) -> None:
    ws = WebSocketTestClient("/ws/", api_id=API_ID)
    assert ws.connect().response.status_code == 200  # the api id is now cached
    with connection.cursor() as cursor:  # as another process would: no signal here
        cursor.execute(f"DELETE FROM {ChannelMembership._meta.db_table}")
        cursor.execute(f"DELETE FROM {WebSocketSession._meta.db_table}")
        cursor.execute(f"DELETE FROM {ApiGateway._meta.db_table}")
    connection_id, response = ws.connect()
    assert response.status_code == 403
    assert not WebSocketSession.objects.filter(connection_id=connection_id).exists()


def test_a_gateway_registered_after_a_miss_is_accepted_at_once(
    make_ws_client: Callable[..., WebSocketTestClient], db: None
) -> None:
    ws = make_ws_client(api_id="lateapi1")
    assert ws.connect().response.status_code == 403
    ApiGateway.objects.bulk_create(  # no post_save signal: as from another process
        [ApiGateway(api_name="late", api_id="lateapi1", target_base_endpoint="https://x/ws/")]
    )
    assert ws.connect().response.status_code == 200


@override_settings(USE_TZ=False)
def test_connect_and_tokens_work_without_time_zones(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client, user: User
) -> None:
    token = logged_in_client.post("/ws-token/").json()["token"]
    ws = make_ws_client("/token-ws/", client=logged_in_client)
    assert ws.connect(token=token).response.status_code == 200
    assert (
        make_ws_client("/strict-ws/")
        .connect(headers={"Sec-WebSocket-Key": "k"})
        .response.status_code
        == 200
    )


def test_one_ipv6_64_shares_one_allowance(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    headers = {"Sec-WebSocket-Key": "k"}
    statuses = [
        make_ws_client("/strict-ws/", source_ip=f"2001:db8:1:2::{n}")
        .connect(headers=headers)
        .response.status_code
        for n in range(1, 4)
    ]
    assert statuses == [200, 200, 429]
    other_64 = make_ws_client("/strict-ws/", source_ip="2001:db8:1:3::1")
    assert other_64.connect(headers=headers).response.status_code == 200


def test_views_with_different_windows_keep_separate_counters(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.WEBSOCKETS = {"rate_limit_max_attempts": 2}
    headers = {"Sec-WebSocket-Key": "k"}
    # Two connects count against the 1-minute window of the plain view...
    for _ in range(2):
        assert make_ws_client("/ws/", source_ip="192.0.2.50").connect().response.status_code == 200
    # ...and none of them against StrictView's 5-minute window.
    strict = make_ws_client("/strict-ws/", source_ip="192.0.2.50")
    assert strict.connect(headers=headers).response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_handler_refusing_after_a_write_writes_nothing_under_atomic_requests(
    gateway: ApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    ws = WebSocketTestClient("/writing-refusing-ws/", api_id=API_ID)
    connection_id, _ = ws.connect()
    assert ws.send(connection_id, {"text": "x"}).status_code == 409
    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == "default"


def test_the_ipv6_bucket_size_is_a_setting(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.WEBSOCKETS = {"rate_limit_ipv6_prefix": 128, "rate_limit_max_attempts": 1}
    # With /128 every address counts alone.
    for n in range(1, 4):
        client = make_ws_client("/ws/", source_ip=f"2001:db8:1:2::{n}")
        assert client.connect().response.status_code == 200


def test_an_ipv6_prefix_over_128_fails_the_check(settings: Any) -> None:
    from django.core.checks import run_checks

    settings.WEBSOCKETS = {"rate_limit_ipv6_prefix": 129}
    assert [m.id for m in run_checks() if m.id.startswith("dagw.E")] == ["dagw.E003"]


@pytest.mark.django_db(transaction=True)
def test_connect_sends_no_transaction_statements_in_autocommit(gateway: ApiGateway) -> None:
    # Query-count tests run inside a test transaction, where BEGIN/COMMIT are
    # invisible; in production (autocommit) every statement is a round trip.
    from django.test.utils import CaptureQueriesContext

    ws = WebSocketTestClient("/ws/", api_id=API_ID)
    assert ws.connect().response.status_code == 200  # caches the gateway
    with CaptureQueriesContext(connection) as captured:
        connection_id, response = ws.connect(channel="lobby")
        again = ws.connect(connection_id, channel="hall").response  # a repeated $connect
    assert (response.status_code, again.status_code) == (200, 200)
    statements = [q["sql"].split()[0].upper() for q in captured]
    # Rate limit, session upsert, membership; twice.
    assert statements == ["INSERT", "INSERT", "INSERT"] * 2
    row = WebSocketSession.objects.get(connection_id=connection_id)
    assert (row.channel_name, row.connected) == ("hall", True)


@pytest.mark.parametrize("pinned_gateway_registered", [True, False])
def test_a_pinned_view_refuses_another_gateways_session(
    make_ws_client: Callable[..., WebSocketTestClient],
    gateway: ApiGateway,
    pinned_gateway_registered: bool,
) -> None:
    if pinned_gateway_registered:
        ApiGateway.objects.create(
            api_name="Pinned", target_base_endpoint="https://p.example/ws/", api_id=PINNED_API_ID
        )
    # A session of the conftest gateway, opened through the unpinned view.
    connection_id, response = make_ws_client("/ws/").connect()
    assert response.status_code == 200
    before = WebSocketSession.objects.values().get(connection_id=connection_id)

    pinned = make_ws_client("/pinned-ws/", api_id=PINNED_API_ID)
    assert pinned.send(connection_id, {"handler": "shout", "text": "x"}).status_code == 403
    assert pinned.disconnect(connection_id).status_code == 403

    assert WebSocketSession.objects.values().get(connection_id=connection_id) == before


def test_a_pinned_view_serves_its_own_registered_gateways_sessions(
    make_ws_client: Callable[..., WebSocketTestClient], gateway: ApiGateway
) -> None:
    ApiGateway.objects.create(
        api_name="Pinned", target_base_endpoint="https://p.example/ws/", api_id=PINNED_API_ID
    )
    pinned = make_ws_client("/pinned-ws/", api_id=PINNED_API_ID)
    connection_id, response = pinned.connect()
    assert response.status_code == 200
    assert pinned.send(connection_id, {"handler": "shout", "text": "p"}).json() == {"shout": "P"}
    assert pinned.disconnect(connection_id).status_code == 200
    assert not WebSocketSession.objects.get(connection_id=connection_id).connected


@pytest.mark.parametrize("path", ["/ws/default", "/ws/connect", "/ws-token/"])
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_every_405_is_logged_once(
    client: Client, gateway: ApiGateway, caplog: pytest.LogCaptureFixture, path: str, method: str
) -> None:
    with caplog.at_level(logging.INFO):
        response = getattr(client, method)(path)
    assert response.status_code == 405
    assert [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING] == [
        ("django_aws_api_gateway_websockets.views", f"Refused {path} 405: method {method.upper()}")
    ]
