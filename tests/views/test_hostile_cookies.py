"""A session cookie that cannot be a session key means anonymous, never a 500.

PostgreSQL refuses NUL in a text parameter, so before this guard such a cookie
made $connect fail (500) before the rate limit had counted the attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_aws_api_gateway_websockets.models import ConnectionRateLimit, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.views.connect import is_plausible_session_key

HOSTILE_KEYS = [
    "abcdefgh\x00ijkl",
    "\x00" * 40,
    "abc def ghi jkl",
    "abcdefgh\nijkl",
    "abcdéfghijkl",
    "a" * 5000,
]


def with_session_cookie(value: str) -> Client:
    client = Client()
    client.cookies["sessionid"] = value
    return client


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_connect_with_a_hostile_session_cookie_is_anonymous(
    make_ws_client: Callable[..., WebSocketTestClient], key: str, caplog: pytest.LogCaptureFixture
) -> None:
    ws = make_ws_client(client=with_session_cookie(key), source_ip="192.0.2.77")
    with caplog.at_level(logging.WARNING):
        connection_id, response = ws.connect()
    assert response.status_code == 200
    row = WebSocketSession.objects.get(connection_id=connection_id)
    assert (row.user_id, row.django_session_hash) == (None, "")
    assert "Ignored a malformed sessionid cookie" in caplog.text
    # The attempt was counted.
    assert ConnectionRateLimit.objects.get(key="connect:ip:192.0.2.77:1m").attempts == 1


def test_hostile_cookies_are_rate_limited(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.WEBSOCKETS = {"rate_limit_max_attempts": 2}
    ws = make_ws_client(client=with_session_cookie("abcdefgh\x00ijkl"), source_ip="192.0.2.78")
    assert [ws.connect().response.status_code for _ in range(3)] == [200, 200, 429]


def test_a_hostile_cookie_beside_a_real_session_does_not_log_in(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client
) -> None:
    logged_in_client.cookies["sessionid"] = logged_in_client.cookies["sessionid"].value + "\x00"
    connection_id, response = make_ws_client(client=logged_in_client).connect()
    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user_id is None


def test_a_real_session_cookie_still_logs_in(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client, user: User
) -> None:
    connection_id, response = make_ws_client(client=logged_in_client).connect()
    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user_id == user.pk


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_token_view_with_a_hostile_session_cookie_is_a_403(db: None, key: str) -> None:
    response = with_session_cookie(key).post("/ws-token/")
    assert response.status_code == 403


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_token_view_with_csrf_in_the_session_and_a_hostile_cookie_is_a_403(
    db: None, key: str, settings: Any
) -> None:
    # The view's own csrf_protect reads the session before post() runs when
    # CSRF_USE_SESSIONS is on. (With CsrfViewMiddleware installed, Django reads
    # it before any view: that 500 is Django's, for every view of the project.)
    settings.CSRF_USE_SESSIONS = True
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("CsrfViewMiddleware")]
    response = with_session_cookie(key).post("/ws-token/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("key", "plausible"),
    [
        ("0123456789abcdefghijklmnopqrstuv", True),
        ("eyJhIjoxfQ:1rT2xY:signature-_value", True),  # signed_cookies engine
        ("", True),
        ("a\x00", False),
        ("a b", False),
        ("a\x7f", False),
        ("a" * 4097, False),
    ],
)
def test_plausible_session_keys(key: str, plausible: bool) -> None:
    assert is_plausible_session_key(key) is plausible
