"""A logout held between Django's ``user_logged_out`` signal and its session flush.

Django sends the signal, then flushes the session. The page whose connection the
logout closes reconnects at once: its token request and its ``$connect`` can
land in between, while the session still looks logged in. Each test runs that
reconnect from a receiver of the signal, so it lands exactly there, and checks
that no connection of the logged-out session is left open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_out
from django.db import connection, connections
from django.test import Client

from django_aws_api_gateway_websockets import logouts, tokens
from django_aws_api_gateway_websockets.hashing import sha256_hex
from django_aws_api_gateway_websockets.models import LoggedOutSession, WebSocketSession
from django_aws_api_gateway_websockets.receivers import close_connections_on_logout
from django_aws_api_gateway_websockets.testing import Outbox, WebSocketTestClient

TOKEN_URL = "/ws-token/"
APP_RECEIVER = "django_aws_api_gateway_websockets.logout"
VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"
Reconnect = Callable[[], dict[str, Any]]


@contextmanager
def during_logout(reconnect: Reconnect, *, before_the_app: bool) -> Iterator[dict[str, Any]]:
    """Run ``reconnect`` inside ``user_logged_out``, before or after the app's receiver.

    Either way it runs before Django flushes the session. Yields what it returned.
    """
    seen: dict[str, Any] = {}

    def receiver(**kwargs: Any) -> None:
        seen.update(reconnect())

    if before_the_app:
        # Receivers run in the order they were connected: put the app's after ours.
        user_logged_out.disconnect(dispatch_uid=APP_RECEIVER)
    user_logged_out.connect(receiver, dispatch_uid="test.reconnect")
    if before_the_app:
        user_logged_out.connect(close_connections_on_logout, dispatch_uid=APP_RECEIVER)
    try:
        yield seen
    finally:
        user_logged_out.disconnect(dispatch_uid="test.reconnect")


def logout_waits() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        (waiting,) = cursor.fetchone()
    return bool(waiting)


def open_ids(browser_session_hash: str) -> list[str]:
    return list(
        WebSocketSession.objects.filter(
            django_session_hash=browser_session_hash, connected=True
        ).values_list("connection_id", flat=True)
    )


@pytest.fixture
def page_connection(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client
) -> tuple[WebSocketTestClient, str]:
    """The room page of ``logged_in_client``: connected with a token, as the shipped client does."""
    ws = make_ws_client("/token-ws/")
    token = logged_in_client.post(TOKEN_URL).json()["token"]
    connection_id, response = ws.connect(token=token)
    assert response.status_code == 200
    return ws, connection_id


def test_a_reconnect_after_the_apps_receiver_gets_no_token(
    page_connection: tuple[WebSocketTestClient, str], logged_in_client: Client, ws_outbox: Outbox
) -> None:
    ws, first = page_connection
    session_hash = sha256_hex(logged_in_client.session.session_key or "")

    def reconnect() -> dict[str, Any]:
        return {"token": logged_in_client.post(TOKEN_URL)}

    with during_logout(reconnect, before_the_app=False) as seen:
        logged_in_client.logout()

    # 401: the shipped client sends the page to the login page.
    assert seen["token"].status_code == 401
    assert seen["token"].json() == {"$ws": "error", "error": "Session ended; log in again."}
    assert ws_outbox.closed_ids == [first]
    assert open_ids(session_hash) == []


def test_a_reconnect_before_the_apps_receiver_is_closed_by_it(
    page_connection: tuple[WebSocketTestClient, str], logged_in_client: Client, ws_outbox: Outbox
) -> None:
    ws, first = page_connection
    session_hash = sha256_hex(logged_in_client.session.session_key or "")

    def reconnect() -> dict[str, Any]:
        token = logged_in_client.post(TOKEN_URL)
        connection_id, response = ws.connect(token=token.json()["token"])
        return {"token": token, "id": connection_id, "connect": response}

    with during_logout(reconnect, before_the_app=True) as seen:
        logged_in_client.logout()

    # The session still looked logged in: the reconnect got through, and the
    # logout's receiver, which runs after it, closed it with the first one.
    assert (seen["token"].status_code, seen["connect"].status_code) == (200, 200)
    assert sorted(ws_outbox.closed_ids) == sorted([first, seen["id"]])
    assert open_ids(session_hash) == []


def test_a_connect_with_the_sessions_cookie_after_the_apps_receiver_is_refused(
    make_ws_client: Callable[..., WebSocketTestClient],
    logged_in_client: Client,
    ws_outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A view that takes the user from the handshake's cookies, which the session
    # still honours until the flush.
    ws = make_ws_client(client=logged_in_client)
    first, response = ws.connect()
    assert response.status_code == 200
    session_hash = sha256_hex(logged_in_client.session.session_key or "")

    def reconnect() -> dict[str, Any]:
        connection_id, response = ws.connect()
        return {"id": connection_id, "connect": response}

    with (
        caplog.at_level("WARNING", logger=VIEWS_LOGGER),
        during_logout(reconnect, before_the_app=False) as seen,
    ):
        logged_in_client.logout()

    assert seen["connect"].status_code == 401
    assert f"the Django session of connection {seen['id']} was logged out" in caplog.text
    assert ws_outbox.closed_ids == [first]
    assert open_ids(session_hash) == []


def test_a_token_written_after_the_logout_cannot_connect(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client, user: User
) -> None:
    # A token request that checked the session just before the logout recorded
    # it, and wrote its token just after the logout deleted the unused ones.
    session_key = logged_in_client.session.session_key or ""
    logouts.end_session(sha256_hex(session_key))
    token = tokens.issue_token(user, session_key)

    _, response = make_ws_client("/token-ws/").connect(token=token)

    assert response.status_code == 401
    assert response.json() == {"$ws": "error", "error": "Session ended; log in again."}
    assert not WebSocketSession.objects.filter(connected=True).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
def test_a_connect_between_its_insert_and_its_check_waits_for_the_logout(
    make_ws_client: Callable[..., WebSocketTestClient],
    logged_in_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    ws_outbox: Outbox,
) -> None:
    """The interleaving no signal receiver can produce: the logout runs while a
    ``$connect`` has inserted its row and not yet checked for a logout."""
    ws = make_ws_client(client=logged_in_client)
    session_hash = sha256_hex(logged_in_client.session.session_key or "")
    inserted, logout_started = threading.Event(), threading.Event()
    check = logouts.refuse_if_logged_out
    results: dict[str, Any] = {}

    def held_check(session: WebSocketSession) -> None:
        inserted.set()
        logout_started.wait(timeout=10)
        # Go on only once the logout waits for this connect's lock.
        deadline = time.monotonic() + 10
        while not logout_waits() and time.monotonic() < deadline:
            time.sleep(0.01)
        results["logout waited"] = logout_waits()
        check(session)

    monkeypatch.setattr(logouts, "refuse_if_logged_out", held_check)

    def connect() -> None:
        try:
            results["id"], results["connect"] = ws.connect()
        finally:
            connections.close_all()

    def logout() -> None:
        try:
            inserted.wait(timeout=10)
            logout_started.set()
            logouts.end_session(session_hash)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=connect), threading.Thread(target=logout)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert results["logout waited"]
    assert results["connect"].status_code == 200  # it held the lock first...
    assert LoggedOutSession.objects.filter(django_session_hash=session_hash).exists()
    assert open_ids(session_hash) == []  # ...so the logout, after it, closed it
