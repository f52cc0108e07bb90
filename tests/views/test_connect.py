"""$connect: who may open a connection, and the row it leaves behind."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client

from django_aws_api_gateway_websockets import signals, wire
from django_aws_api_gateway_websockets.hashing import sha256_hex
from django_aws_api_gateway_websockets.models import (
    ApiGateway,
    ConnectionRateLimit,
    WebSocketSession,
)
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.client import with_headers

VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"


def test_anonymous_connect_records_the_connection(
    ws: WebSocketTestClient, gateway: ApiGateway
) -> None:
    connection_id, response = ws.connect()

    assert response.status_code == 200
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.connected
    assert session.user is None
    assert session.api_gateway == gateway
    assert session.channel_name == gateway.default_channel_name
    assert session.source_ip == "127.0.0.1"
    assert session.django_session_hash == ""
    assert session.session_auth_hash == ""
    assert session.request_count == 0


def test_cookie_user_is_recorded_with_what_detects_a_logout(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client, user: User
) -> None:
    connection_id, response = make_ws_client(
        client=logged_in_client, source_ip="203.0.113.9"
    ).connect(channel="room-1")

    assert response.status_code == 200
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.user == user
    assert session.channel_name == "room-1"
    assert session.source_ip == "203.0.113.9"
    assert session.django_session_hash == sha256_hex(logged_in_client.session.session_key or "")
    assert session.session_auth_hash == user.get_session_auth_hash()


def test_a_repeated_connect_keeps_one_row(ws: WebSocketTestClient) -> None:
    connection_id, first = ws.connect(channel="one")
    _, second = ws.connect(connection_id, channel="two")

    assert (first.status_code, second.status_code) == (200, 200)
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.channel_name == "two"


def test_a_closed_connection_id_connecting_again_is_open_again(ws: WebSocketTestClient) -> None:
    connection_id, _ = ws.connect()
    ws.disconnect(connection_id)
    _, response = ws.connect(connection_id)

    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).connected


@pytest.mark.parametrize("connection_id", ["bad id", "x" * 129, "a/b?c", "é"])
def test_invalid_connection_id_is_refused(ws: WebSocketTestClient, connection_id: str) -> None:
    _, response = ws.connect(connection_id)

    assert response.status_code == 400
    assert response.json() == {"$ws": "error", "error": "Invalid connection id."}
    assert not WebSocketSession.objects.exists()


@pytest.mark.parametrize(
    ("channel", "status"),
    [
        ("lobby", 200),
        ("A_b-9", 200),
        ("c" * 100, 200),
        ("c" * 101, 400),
        ("has space", 400),
        ("dots.not.allowed", 400),
        ("ünïcode", 400),
        ("vip", 403),  # ChatView.can_join_channel refuses it
    ],
)
def test_channel_from_the_query(ws: WebSocketTestClient, channel: str, status: int) -> None:
    connection_id, response = ws.connect(channel=channel)

    assert response.status_code == status
    rows = WebSocketSession.objects.filter(connection_id=connection_id)
    assert list(rows.values_list("channel_name", flat=True)) == ([channel] if status == 200 else [])


def test_an_empty_channel_parameter_joins_the_default_channel(
    ws: WebSocketTestClient, gateway: ApiGateway
) -> None:
    # As in 4.x: a page rendering an unset channel sends "?channel=".
    connection_id, response = ws.connect(channel="")

    assert response.status_code == 200
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.channel_name == gateway.default_channel_name


def test_channel_length_follows_the_setting(ws: WebSocketTestClient, settings: Any) -> None:
    settings.WEBSOCKETS = {"max_channel_name_length": 5}

    assert ws.connect(channel="abcde").response.status_code == 200
    assert ws.connect(channel="abcdef").response.status_code == 400


def test_the_gateway_default_channel_is_used_without_a_query(
    ws: WebSocketTestClient, gateway: ApiGateway
) -> None:
    gateway.default_channel_name = "news"
    gateway.save()

    connection_id, _ = ws.connect()

    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == "news"


def test_check_connect_hook_refuses_with_its_status(
    ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=VIEWS_LOGGER):
        _, response = ws.connect(headers={"X-Deny": "1"})

    assert response.status_code == 451
    assert response.json() == {"$ws": "error", "error": "Denied by check_connect."}
    assert [r.name for r in caplog.records] == [VIEWS_LOGGER]
    assert not WebSocketSession.objects.exists()


# Origin


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://testserver", 200),
        ("https://testserver", 200),
        ("https://testserver:443", 200),
        ("HTTPS://TestServer", 200),
        ("https://app.example.com", 200),  # in ALLOWED_HOSTS, https, default port
        ("http://localhost:3000", 403),  # in ALLOWED_HOSTS, but another port
        ("https://app.example.com:8443", 403),  # another port
        ("http://testserver:8000", 403),  # the request's host, another port
        ("http://app.example.com", 403),  # http, but the client came over https
        ("https://evil.example", 403),
        ("https://testserver.evil.example", 403),
        ("https://evil.example/testserver", 403),
        ("https://app.example.com.evil.example", 403),
        ("https://user@testserver", 403),
        ("null", 403),
        ("file://testserver", 403),
        ("ws://testserver", 403),
        ("https://testserver/path", 403),
        ("https://testserver?q", 403),
        ("https://testserver:99999", 403),
        ("https://[::1", 403),
        ("", 403),
    ],
)
def test_origin_is_matched_exactly(
    make_ws_client: Callable[..., WebSocketTestClient], origin: str, status: int
) -> None:
    connection_id, response = make_ws_client(origin=None).connect(headers={"Origin": origin})

    assert response.status_code == status
    assert WebSocketSession.objects.filter(connection_id=connection_id).exists() == (status == 200)


def test_missing_origin_is_refused_unless_allowed(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    ws = make_ws_client(origin=None)

    assert ws.connect().response.status_code == 403

    settings.WEBSOCKETS = {"allow_missing_origin": True}
    assert ws.connect().response.status_code == 200


def test_allowed_origins_replace_the_host_match(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.WEBSOCKETS = {"allowed_origins": ["https://spa.example.net:8443", "http://[::1]"]}
    ws = make_ws_client(origin=None)

    def status(origin: str) -> int:
        return int(ws.connect(headers={"Origin": origin}).response.status_code)

    assert status("https://spa.example.net:8443") == 200
    assert status("HTTPS://SPA.example.net:8443/") == 200
    assert status("http://[::1]:80") == 200
    assert status("https://spa.example.net") == 403
    assert status("http://testserver") == 403


def test_wildcard_allowed_hosts_admit_no_foreign_origin(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    ws = make_ws_client(origin=None)

    assert ws.connect(headers={"Origin": "https://evil.example"}).response.status_code == 403
    assert ws.connect(headers={"Origin": "http://testserver"}).response.status_code == 200


def test_debug_without_allowed_hosts_admits_localhost_origins(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = []
    ws = make_ws_client(origin=None, client=Client(HTTP_HOST="localhost:8000"))

    def status(origin: str) -> int:
        return int(ws.connect(headers={"Origin": origin}).response.status_code)

    assert status("http://localhost:8000") == 200  # the request's own origin
    assert status("https://app.localhost") == 200
    assert status("http://app.localhost:5173") == 403
    assert status("https://evil.example") == 403


def test_origin_matching_the_host_with_a_port(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["ws.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    ws = make_ws_client(origin=None, client=Client(HTTP_HOST="ws.example.org:8443"))

    ok = ws.connect(headers={"Origin": "https://ws.example.org:8443"})
    other_host = ws.connect(headers={"Origin": "https://other.example.org:8443"})

    assert ok.response.status_code == 200
    assert other_host.response.status_code == 403


def test_default_port_in_the_host_header_matches_the_origin(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "elsewhere.example", "app.example.com"]
    ws = make_ws_client(origin=None, client=Client(HTTP_HOST="app.example.com:443"))

    # Host "app.example.com:443" matches Origin "https://app.example.com".
    assert ws.connect(headers={"Origin": "https://app.example.com"}).response.status_code == 200


# X-Forwarded-For


@pytest.mark.parametrize(
    ("source_ip", "status", "stored"),
    [
        ("198.51.100.7", 200, "198.51.100.7"),
        ("2001:db8::1", 200, "2001:db8::1"),
        ("::ffff:192.0.2.9", 200, "192.0.2.9"),
        ("198.51.100.7, 10.0.0.1", 400, None),
        ("not-an-ip", 400, None),
        ("fe80::1%eth0", 400, None),
        ("", 400, None),
    ],
)
def test_source_ip_is_the_address_the_gateway_saw(
    make_ws_client: Callable[..., WebSocketTestClient],
    source_ip: str,
    status: int,
    stored: str | None,
) -> None:
    connection_id, response = make_ws_client(source_ip=source_ip).connect()

    assert response.status_code == status
    ips = WebSocketSession.objects.filter(connection_id=connection_id).values_list(
        "source_ip", flat=True
    )
    assert list(ips) == ([stored] if stored else [])


def test_a_forged_forwarded_for_does_not_change_the_source_ip(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    # If API Gateway appended to a client's own X-Forwarded-For, its first
    # entry would be the client's choice; the mapped source IP header is not.
    ws = make_ws_client(source_ip="203.0.113.5")
    request = wire.connect_request(
        connection_id=wire.new_connection_id(),
        api_id=ws.api_id,
        client_headers={"Origin": "http://testserver"},
        source_ip="203.0.113.5",
    )
    forged = with_headers(request, {wire.FORWARDED_FOR_HEADER: "198.51.100.1, 203.0.113.5"})
    assert ws.perform(forged).status_code == 200
    session = WebSocketSession.objects.get(connection_id=request.headers[wire.CONNECTION_ID_HEADER])
    assert session.source_ip == "203.0.113.5"


def test_without_the_source_ip_header_the_first_forwarded_address_counts(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    # A gateway provisioned before the X-Ws-Source-Ip mapping existed.
    ws = make_ws_client()
    request = wire.connect_request(
        connection_id=wire.new_connection_id(),
        api_id=ws.api_id,
        client_headers={"Origin": "http://testserver"},
        source_ip="198.51.100.7, 10.0.0.1",
    )
    headers = {k: v for k, v in request.headers.items() if k != wire.SOURCE_IP_HEADER}
    assert ws.perform(dataclasses.replace(request, headers=headers)).status_code == 200
    session = WebSocketSession.objects.get(connection_id=request.headers[wire.CONNECTION_ID_HEADER])
    assert session.source_ip == "198.51.100.7"


# Rate limit


def test_rate_limit_per_ip(make_ws_client: Callable[..., WebSocketTestClient]) -> None:
    ws = make_ws_client("/strict-ws/", source_ip="192.0.2.1")
    other_ip = make_ws_client("/strict-ws/", source_ip="192.0.2.2")
    headers = {"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}

    statuses = [ws.connect(headers=headers).response.status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert other_ip.connect(headers=headers).response.status_code == 200
    limited = ws.connect(headers=headers).response
    assert limited.json() == {"$ws": "error", "error": "Too many attempts, try again later."}
    assert 0 < int(limited["Retry-After"]) <= 300
    row = ConnectionRateLimit.objects.get(key="connect:ip:192.0.2.1:5m")
    assert row.attempts == 4
    assert row.window_start.minute % 5 == 0


def test_rate_limit_per_user_across_ips(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client, settings: Any
) -> None:
    settings.WEBSOCKETS = {"rate_limit_max_attempts": 2}
    statuses = [
        make_ws_client(client=logged_in_client, source_ip=f"192.0.2.{n}")
        .connect()
        .response.status_code
        for n in range(1, 4)
    ]

    assert statuses == [200, 200, 429]
    assert WebSocketSession.objects.count() == 2


def test_rate_limit_can_be_disabled(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.WEBSOCKETS = {"rate_limit_max_attempts": 1}
    ws = make_ws_client("/open-ws/")

    assert [ws.connect().response.status_code for _ in range(3)] == [200, 200, 200]
    assert not ConnectionRateLimit.objects.exists()


def test_required_connection_headers(make_ws_client: Callable[..., WebSocketTestClient]) -> None:
    ws = make_ws_client("/strict-ws/")

    _, response = ws.connect()

    assert response.status_code == 400
    assert response.json() == {"$ws": "error", "error": "Missing header(s): Sec-WebSocket-Key."}


# Permissions at connect


def test_permissions_checked_at_connect_when_asked(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client, user: User
) -> None:
    ws = make_ws_client("/connect-perm-ws/", client=logged_in_client)

    assert ws.connect().response.status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    assert ws.connect().response.status_code == 200


def test_anonymous_refused_when_permissions_checked_at_connect(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    assert make_ws_client("/connect-perm-ws/").connect().response.status_code == 403


# Budget and signal


def test_cookie_connect_costs_six_queries(
    make_ws_client: Callable[..., WebSocketTestClient],
    logged_in_client: Client,
    warm_gateway_cache: None,
    django_assert_num_queries: Any,
) -> None:
    ws = make_ws_client(client=logged_in_client)
    # Django session + user (auth middleware), rate limit, session upsert, is the
    # session logged out, membership; on PostgreSQL the upsert and the check run in
    # a transaction (here a savepoint) under the session's advisory lock.
    with django_assert_num_queries(6 + LOGOUT_LOCK_QUERIES):
        assert ws.connect().response.status_code == 200


# SAVEPOINT, pg_advisory_xact_lock, RELEASE (logouts.session_locked).
LOGOUT_LOCK_QUERIES = 3 if connection.vendor == "postgresql" else 0


def test_anonymous_connect_costs_three_queries(
    ws: WebSocketTestClient, warm_gateway_cache: None, django_assert_num_queries: Any
) -> None:
    # Rate limit, session upsert, membership of its channel.
    with django_assert_num_queries(3):
        assert ws.connect().response.status_code == 200


def test_connection_opened_is_sent_after_commit(
    ws: WebSocketTestClient, django_capture_on_commit_callbacks: Any
) -> None:
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    signals.connection_opened.connect(receiver)
    # Leave the request's callbacks to the test's transaction, to see them wait.
    ws.run_on_commit = False
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            connection_id, _ = ws.connect()
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        signals.connection_opened.disconnect(receiver)

    assert len(received) == 1
    assert received[0]["session"].connection_id == connection_id
    assert received[0]["sender"].__name__ == "ChatView"
    assert received[0]["request"].path == "/ws/connect"


def test_a_refused_connect_sends_no_signal(
    ws: WebSocketTestClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        ws.connect(channel="vip")

    assert callbacks == []


def test_origin_check_without_common_middleware(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    # Without CommonMiddleware nothing refuses a bad Host before the view.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("CommonMiddleware")]
    ws = make_ws_client(origin=None, client=Client(HTTP_HOST="unlisted.example"))

    # An allowed host (https: the client came over https); the unlisted Host
    # is no origin of this request, as Django's get_host() refuses it.
    assert ws.connect(headers={"Origin": "https://testserver"}).response.status_code == 200
    assert ws.connect(headers={"Origin": "http://unlisted.example"}).response.status_code == 403
