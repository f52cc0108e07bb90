"""WebSocketTokenView and connecting with ``?ws_token=``."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.utils import timezone

from django_aws_api_gateway_websockets.hashing import sha256_hex
from django_aws_api_gateway_websockets.models import (
    ConnectionRateLimit,
    WebSocketSession,
    WebSocketToken,
)
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.views import WebSocketTokenView

TOKEN_URL = "/ws-token/"
VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"


def get_token(logged_in_client: Client) -> str:
    response = logged_in_client.post(TOKEN_URL)
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


@pytest.fixture
def token_ws(make_ws_client: Callable[..., WebSocketTestClient]) -> WebSocketTestClient:
    # No cookies: the token alone must identify the user.
    return make_ws_client("/token-ws/")


# Issuing


def test_token_is_64_hex_and_only_its_hash_is_stored(
    logged_in_client: Client, user: User, settings: Any
) -> None:
    settings.WEBSOCKETS = {"token_expiry_seconds": 45}

    response = logged_in_client.post(TOKEN_URL)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token", "expires_in"}
    assert re.fullmatch(r"[0-9a-f]{64}", body["token"])
    assert body["expires_in"] == 45
    row = WebSocketToken.objects.get()
    assert row.user == user
    assert row.token_hash == sha256_hex(body["token"])
    assert row.django_session_hash == sha256_hex(logged_in_client.session.session_key or "")
    assert row.used_on is None


def test_anonymous_gets_403(client: Client, db: None) -> None:
    # 403 as in 4.x and Django's session authentication: no WWW-Authenticate to offer.
    response = client.post(TOKEN_URL)

    assert response.status_code == 403
    assert "WWW-Authenticate" not in response
    assert response.json() == {"$ws": "error", "error": "Authentication required."}
    assert not WebSocketToken.objects.exists()


def test_only_post(logged_in_client: Client) -> None:
    response = logged_in_client.get(TOKEN_URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"$ws": "error", "error": "Method not allowed."}


def test_csrf_is_enforced(user: User) -> None:
    logged_in_client = Client(enforce_csrf_checks=True)
    logged_in_client.force_login(user)

    refused = logged_in_client.post(TOKEN_URL)
    logged_in_client.get("/admin/login/")  # any page that sets the CSRF cookie
    csrf = logged_in_client.cookies["csrftoken"].value
    accepted = logged_in_client.post(TOKEN_URL, headers={"X-CSRFToken": csrf})

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert WebSocketToken.objects.count() == 1


def test_tokens_are_rate_limited_per_user(logged_in_client: Client, settings: Any) -> None:
    settings.WEBSOCKETS = {"token_rate_limit_per_minute": 2}

    statuses = [logged_in_client.post(TOKEN_URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert WebSocketToken.objects.count() == 2
    assert ConnectionRateLimit.objects.get().key.startswith("token:user:")


def test_rate_limit_zero_means_unlimited(logged_in_client: Client, settings: Any) -> None:
    settings.WEBSOCKETS = {"token_rate_limit_per_minute": 0}

    assert [logged_in_client.post(TOKEN_URL).status_code for _ in range(3)] == [200, 200, 200]
    assert not ConnectionRateLimit.objects.exists()


def test_a_session_is_created_when_the_request_has_none(user: User) -> None:
    # An authenticated request without a Django session yet (e.g. a remote-user login).
    request = RequestFactory().post(TOKEN_URL)
    request.user = user
    request.session = SessionStore()
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]

    response = WebSocketTokenView.as_view()(request)

    assert response.status_code == 200
    assert request.session.session_key
    row = WebSocketToken.objects.get()
    assert row.django_session_hash == sha256_hex(request.session.session_key)


def test_without_session_middleware_the_token_is_bound_to_nothing(user: User) -> None:
    request = RequestFactory().post(TOKEN_URL)
    request.user = user
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]

    response = WebSocketTokenView.as_view()(request)

    assert response.status_code == 200
    assert WebSocketToken.objects.get().django_session_hash == ""


def test_without_auth_middleware_it_is_403(db: None) -> None:
    request = RequestFactory().post(TOKEN_URL)
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]

    assert WebSocketTokenView.as_view()(request).status_code == 403

    request.user = AnonymousUser()
    assert WebSocketTokenView.as_view()(request).status_code == 403


# Connecting with a token


def test_connect_with_a_token(
    token_ws: WebSocketTestClient, logged_in_client: Client, user: User
) -> None:
    token = get_token(logged_in_client)

    connection_id, response = token_ws.connect(token=token)

    assert response.status_code == 200
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.user == user
    assert session.django_session_hash == sha256_hex(logged_in_client.session.session_key or "")
    assert session.session_auth_hash == user.get_session_auth_hash()
    assert WebSocketToken.objects.get().used_on is not None


# SAVEPOINT, pg_advisory_xact_lock, RELEASE (logouts.session_locked).
LOGOUT_LOCK_QUERIES = 3 if connection.vendor == "postgresql" else 0


def test_connect_with_a_token_costs_six_queries(
    token_ws: WebSocketTestClient,
    logged_in_client: Client,
    warm_gateway_cache: None,
    django_assert_num_queries: Any,
) -> None:
    token = get_token(logged_in_client)
    # Token with user, rate limit (both keys), conditional UPDATE, session upsert,
    # is the session logged out, membership; on PostgreSQL also the savepoint and
    # the session's advisory lock around the upsert and the check.
    with django_assert_num_queries(6 + LOGOUT_LOCK_QUERIES):
        assert token_ws.connect(token=token).response.status_code == 200


def test_cookies_do_not_replace_a_token(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client
) -> None:
    _, response = make_ws_client("/token-ws/", client=logged_in_client).connect()

    assert response.status_code == 401
    assert not WebSocketSession.objects.exists()


@pytest.mark.parametrize(
    ("token", "status", "error", "log"),
    [
        (None, 401, "WebSocket token required.", "no ws_token"),
        ("", 401, "WebSocket token required.", "no ws_token"),
        ("abc", 401, "Invalid WebSocket token.", "not 64 hex"),
        ("A" * 64, 401, "Invalid WebSocket token.", "not 64 hex"),
        ("0" * 64, 401, "Invalid WebSocket token.", "unknown ws_token"),
    ],
)
def test_bad_tokens_are_refused(
    token_ws: WebSocketTestClient,
    caplog: pytest.LogCaptureFixture,
    token: str | None,
    status: int,
    error: str,
    log: str,
) -> None:
    _, response = token_ws.connect(token=token)

    assert response.status_code == status
    assert response.json() == {"$ws": "error", "error": error}
    assert [r.name for r in caplog.records] == [VIEWS_LOGGER]
    assert log in caplog.records[0].getMessage()
    assert not WebSocketSession.objects.exists()


def test_a_token_works_once(
    token_ws: WebSocketTestClient, logged_in_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    token = get_token(logged_in_client)

    first = token_ws.connect(token=token).response
    second = token_ws.connect(token=token).response

    assert first.status_code == 200
    assert second.status_code == 403
    assert second.json() == {"$ws": "error", "error": "WebSocket token already used."}
    assert "reused" in caplog.records[-1].getMessage()
    assert WebSocketSession.objects.count() == 1


def test_expiry_follows_the_current_setting(
    token_ws: WebSocketTestClient,
    logged_in_client: Client,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = get_token(logged_in_client)
    WebSocketToken.objects.update(created_on=timezone.now() - timedelta(seconds=30))

    settings.WEBSOCKETS = {"token_expiry_seconds": 20}
    expired = token_ws.connect(token=token).response
    settings.WEBSOCKETS = {"token_expiry_seconds": 40}
    fresh = token_ws.connect(token=token).response

    assert expired.status_code == 401
    assert expired.json() == {"$ws": "error", "error": "WebSocket token expired."}
    assert fresh.status_code == 200


def test_token_of_a_deactivated_user_is_refused(
    token_ws: WebSocketTestClient, logged_in_client: Client, user: User
) -> None:
    token = get_token(logged_in_client)
    user.is_active = False
    user.save()

    response = token_ws.connect(token=token).response

    assert response.status_code == 403
    assert WebSocketToken.objects.get().used_on is None


def test_a_rate_limited_connect_does_not_burn_the_token(
    token_ws: WebSocketTestClient, logged_in_client: Client, settings: Any
) -> None:
    token = get_token(logged_in_client)
    settings.WEBSOCKETS = {"rate_limit_max_attempts": 1}
    assert token_ws.connect(token="0" * 64).response.status_code == 401

    assert token_ws.connect(token=token).response.status_code == 429

    assert WebSocketToken.objects.get().used_on is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_connects_with_one_token_open_one_session(gateway: Any, user: User) -> None:
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's in-memory test database serialises writers with table locks, so "
            "concurrent threads fail with 'database table is locked' instead of racing"
        )
    logged_in_client = Client()
    logged_in_client.force_login(user)
    token = get_token(logged_in_client)
    workers = 8
    barrier = threading.Barrier(workers)
    statuses: list[int] = []
    lock = threading.Lock()

    def connect() -> None:
        try:
            ws = WebSocketTestClient("/token-ws/", api_id=gateway.api_id)
            barrier.wait()
            status = ws.connect(token=token).response.status_code
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=connect) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [403] * (workers - 1)
    assert WebSocketSession.objects.count() == 1


def test_a_connect_refused_later_leaves_the_token_usable(
    token_ws: WebSocketTestClient, logged_in_client: Client
) -> None:
    token = get_token(logged_in_client)

    refused = token_ws.connect(token=token, channel="vip").response  # can_join_channel says no
    accepted = token_ws.connect(token=token, channel="lobby").response

    assert (refused.status_code, accepted.status_code) == (403, 200)


def test_logging_out_voids_unused_tokens(
    token_ws: WebSocketTestClient, logged_in_client: Client
) -> None:
    token = get_token(logged_in_client)

    logged_in_client.logout()
    response = token_ws.connect(token=token).response

    assert response.status_code == 401
    assert response.json() == {"$ws": "error", "error": "Invalid WebSocket token."}


def test_a_token_taken_by_a_concurrent_connect_is_refused(
    make_ws_client: Callable[..., WebSocketTestClient],
    logged_in_client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = get_token(logged_in_client)

    response = make_ws_client("/racing-token-ws/").connect(token=token).response

    assert response.status_code == 403
    assert response.json() == {"$ws": "error", "error": "WebSocket token already used."}
    assert "taken by a concurrent connect" in caplog.records[-1].getMessage()
    assert not WebSocketSession.objects.exists()


def test_a_token_issued_before_a_password_change_is_refused(
    token_ws: WebSocketTestClient,
    logged_in_client: Client,
    user: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = get_token(logged_in_client)
    user.set_password("a new password entirely")
    user.save()

    with caplog.at_level("WARNING", logger=VIEWS_LOGGER):
        connection_id, response = token_ws.connect(token=token)

    assert response.status_code == 401
    assert response.json() == {"$ws": "error", "error": "Password changed; log in again."}
    assert "issued before the user's password changed" in caplog.text
    assert not WebSocketSession.objects.filter(connection_id=connection_id).exists()


def test_a_token_issued_after_a_password_change_connects_with_the_new_hash(
    token_ws: WebSocketTestClient, logged_in_client: Client, user: User
) -> None:
    user.set_password("a new password entirely")
    user.save()
    logged_in_client.force_login(
        user
    )  # what update_session_auth_hash does for the page that changed it

    connection_id, response = token_ws.connect(token=get_token(logged_in_client))

    assert response.status_code == 200
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.session_auth_hash == user.get_session_auth_hash()
