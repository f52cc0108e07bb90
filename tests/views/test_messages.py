"""Messages: which handler runs, for whom, and what comes back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client

from django_aws_api_gateway_websockets import signals, wire
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import Outbox, WebSocketTestClient
from tests.conftest import API_ID

VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"


def session(connection_id: str) -> WebSocketSession:
    return WebSocketSession.objects.get(connection_id=connection_id)


# Choosing the handler


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"handler": "shout", "text": "hi"}, {"shout": "HI"}),
        ({"action": "shout", "text": "hi"}, {"shout": "HI"}),
        ({"handler": "shout", "action": "whoami", "text": "a"}, {"shout": "A"}),
        ({"handler": 5, "action": "shout", "text": "b"}, {"shout": "B"}),
        ({"text": "x"}, {"echo": {"text": "x"}, "user": ""}),
        ({"handler": "nope"}, {"echo": {"handler": "nope"}, "user": ""}),
        # Private names and WebSocketView's own methods fall back to default.
        ({"handler": "_secret"}, {"echo": {"handler": "_secret"}, "user": ""}),
        ({"handler": "connect"}, {"echo": {"handler": "connect"}, "user": ""}),
        ({"handler": "disconnect"}, {"echo": {"handler": "disconnect"}, "user": ""}),
        ({"handler": "dispatch"}, {"echo": {"handler": "dispatch"}, "user": ""}),
        ({"handler": "setup"}, {"echo": {"handler": "setup"}, "user": ""}),
        ({"action": "can_join_channel"}, {"echo": {"action": "can_join_channel"}, "user": ""}),
        ({"action": "__init__"}, {"echo": {"action": "__init__"}, "user": ""}),
    ],
)
def test_handler_selection(
    ws: WebSocketTestClient, connected: str, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = ws.send(connected, body)

    assert response.status_code == 200
    assert response.json() == expected


def test_allowed_handlers_list_never_admits_reserved_names(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    ws = make_ws_client("/listed-ws/")
    connection_id, _ = ws.connect()

    def reply(handler: str) -> Any:
        return ws.send(connection_id, {"handler": handler}).json()

    assert reply("shout") == {"shout": ""}
    assert reply("whoami")["channel"] == "default"  # ADDITIONAL_ALLOWED_HANDLERS
    for name in ("connect", "_secret", "dispatch", "missing", "teapot"):
        assert "echo" in reply(name), name


@pytest.mark.parametrize("path", ["/ws/", "/listed-ws/", "/nodefault-ws/"])
def test_keepalive_ping_is_always_allowed_and_silent(
    make_ws_client: Callable[..., WebSocketTestClient], path: str
) -> None:
    # The shipped browser client sends {"handler": "ping"} before the idle
    # timeout, whatever ALLOWED_HANDLERS a view lists.
    ws = make_ws_client(path)
    connection_id, _ = ws.connect()
    response = ws.send(connection_id, {"handler": "ping"})
    assert (response.status_code, response.content) == (200, b"")
    assert session(connection_id).request_count == 1


def test_without_a_default_handler_unrouted_messages_get_400(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    ws = make_ws_client("/nodefault-ws/")
    connection_id, _ = ws.connect()

    assert ws.send(connection_id, {"action": "hello"}).json() == {"hello": "world"}
    refused = ws.send(connection_id, {"action": "other"})
    assert refused.status_code == 400
    assert refused.json() == {"$ws": "error", "error": "No handler for this message."}


@pytest.mark.parametrize(
    ("handler", "status", "content_type", "content"),
    [
        ("silent", 200, "text/html; charset=utf-8", b""),
        ("plain", 200, "text/plain; charset=utf-8", b"plain text"),
        ("teapot", 418, "text/html; charset=utf-8", b"short and stout"),
        ("listing", 200, "application/json", b"[1, 2, 3]"),
    ],
)
def test_what_a_handler_returns(
    ws: WebSocketTestClient,
    connected: str,
    handler: str,
    status: int,
    content_type: str,
    content: bytes,
) -> None:
    response = ws.send(connected, {"handler": handler})

    assert response.status_code == status
    assert response["Content-Type"] == content_type
    assert response.content == content


def test_a_custom_route_url_dispatches_by_body(ws: WebSocketTestClient, connected: str) -> None:
    response = ws.send(connected, {"action": "shout", "text": "route"}, route="shout")

    assert response.json() == {"shout": "ROUTE"}


# Who is asking


def test_request_user_is_the_connecting_user(
    user_connection: tuple[WebSocketTestClient, str], user: User
) -> None:
    ws, connection_id = user_connection

    reply = ws.send(connection_id, {"handler": "whoami"}).json()

    assert reply == {"user": user.get_username(), "authenticated": True, "channel": "default"}


def test_anonymous_connection_has_anonymous_user(ws: WebSocketTestClient, connected: str) -> None:
    reply = ws.send(connected, {"handler": "whoami"}).json()

    assert reply == {"user": "", "authenticated": False, "channel": "default"}


def test_message_cookies_are_ignored(ws: WebSocketTestClient, connected: str, user: User) -> None:
    # Even if something put the user's cookies on a message, the session decides.
    ws.client.force_login(user)
    request = wire.message_request(
        connection_id=connected, api_id=API_ID, body=json.dumps({"handler": "whoami"})
    )
    response = ws.perform(request, cookies=True)

    assert response.json()["authenticated"] is False


def test_a_deactivated_user_is_disconnected(
    user_connection: tuple[WebSocketTestClient, str], user: User, ws_outbox: Outbox
) -> None:
    ws, connection_id = user_connection
    user.is_active = False
    user.save()

    response = ws.send(connection_id, {"handler": "whoami"})

    assert response.status_code == 401
    assert response.json() == {"$ws": "error", "error": "Session ended; connect again."}
    assert not session(connection_id).connected
    assert ws_outbox.closed_ids == [connection_id]
    assert ws.send(connection_id, {"handler": "whoami"}).status_code == 410


def test_a_password_change_disconnects(
    user_connection: tuple[WebSocketTestClient, str], user: User, ws_outbox: Outbox
) -> None:
    ws, connection_id = user_connection
    user.set_password("a new and different one")
    user.save()

    response = ws.send(connection_id, {"handler": "whoami"})

    assert response.status_code == 401
    assert not session(connection_id).connected
    assert ws_outbox.closed_ids == [connection_id]


def test_a_user_who_logged_out_finds_the_connection_closed(
    user_connection: tuple[WebSocketTestClient, str], logged_in_client: Client, ws_outbox: Outbox
) -> None:
    ws, connection_id = user_connection

    logged_in_client.logout()
    response = ws.send(connection_id, {"handler": "whoami"})

    assert response.status_code == 410
    assert not session(connection_id).connected


# Refusals before any query


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"not json", 400, "Message is not valid JSON."),
        (b"\xff\xfe\x00garbage", 400, "Message is not valid JSON."),
        (b"", 400, "Message is not valid JSON."),
        (b"[1, 2]", 400, "Message must be a JSON object."),
        (b'"text"', 400, "Message must be a JSON object."),
        (b"null", 400, "Message must be a JSON object."),
        # Deeper than json.loads goes on any Python (3.13 parses 5,000 levels),
        # inside the 128 KB body limit.
        (b"[" * 20000 + b"]" * 20000, 400, "Message is not valid JSON."),
        (b'{"a":' * 20000 + b"1" + b"}" * 20000, 400, "Message is not valid JSON."),
    ],
)
def test_bad_bodies_cost_no_query(
    ws: WebSocketTestClient,
    connected: str,
    django_assert_num_queries: Any,
    body: bytes,
    status: int,
    error: str,
) -> None:
    with django_assert_num_queries(0):
        response = ws.send(connected, body)

    assert response.status_code == status
    assert response.json() == {"$ws": "error", "error": error}
    assert session(connected).request_count == 0


def test_body_size_limit(
    make_ws_client: Callable[..., WebSocketTestClient], django_assert_num_queries: Any
) -> None:
    ws = make_ws_client("/strict-ws/")  # MAX_BODY_SIZE = 64
    connection_id, _ = ws.connect(headers={"Sec-WebSocket-Key": "x"})
    fits = json.dumps({"text": "a" * 40})
    too_big = json.dumps({"text": "a" * 60})

    assert ws.send(connection_id, fits).status_code == 200
    with django_assert_num_queries(0):
        response = ws.send(connection_id, too_big)
    assert response.status_code == 413
    assert response.json() == {"$ws": "error", "error": "Message larger than 64 bytes."}


def test_default_body_size_follows_the_setting(
    ws: WebSocketTestClient, connected: str, settings: Any
) -> None:
    settings.WEBSOCKETS = {"max_body_size": 20}

    assert ws.send(connected, {"t": "x"}).status_code == 200
    assert ws.send(connected, {"text": "x" * 20}).status_code == 413


def test_body_beyond_djangos_own_limit_is_413(
    ws: WebSocketTestClient, connected: str, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    assert ws.send(connected, {"text": "x" * 20}).status_code == 413


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_bad_content_length_is_400(ws: WebSocketTestClient, connected: str, length: str) -> None:
    request = wire.message_request(connection_id=connected, api_id=API_ID, body=b"{}")
    response = ws.client.generic(
        "POST", "/ws/default", data=request.body, headers=request.headers, CONTENT_LENGTH=length
    )

    assert response.status_code == 400
    assert response.json() == {"$ws": "error", "error": "Invalid Content-Length."}


# Unknown and closed connections, wrong gateway


def test_unknown_connection_is_404(ws: WebSocketTestClient, gateway: ApiGateway) -> None:
    response = ws.send("neverconnected0=", {"text": "x"})

    assert response.status_code == 404
    assert response.json() == {"$ws": "error", "error": "Unknown connection."}


def test_closed_connection_is_410(ws: WebSocketTestClient, connected: str) -> None:
    ws.disconnect(connected)

    response = ws.send(connected, {"text": "x"})

    assert response.status_code == 410
    assert session(connected).request_count == 0


def test_invalid_connection_id_on_a_message(ws: WebSocketTestClient, gateway: ApiGateway) -> None:
    assert ws.send("bad id!", {"text": "x"}).status_code == 400


def test_connection_of_another_registered_gateway_is_403(
    ws: WebSocketTestClient, connected: str, make_ws_client: Callable[..., WebSocketTestClient]
) -> None:
    ApiGateway.objects.create(
        api_name="Other", target_base_endpoint="https://o.example/ws/", api_id="otherapi"
    )

    response = make_ws_client(api_id="otherapi").send(connected, {"text": "x"})

    assert response.status_code == 403
    assert session(connected).request_count == 0


def test_pinned_view_accepts_its_own_api_id_without_a_record(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    ws = make_ws_client("/pinned-ws/", api_id="pinnedapi42")
    connection_id, response = ws.connect()

    assert response.status_code == 200
    row = session(connection_id)
    assert row.api_gateway is None
    assert row.channel_name == "default"
    assert ws.send(connection_id, {"handler": "shout", "text": "p"}).json() == {"shout": "P"}
    assert make_ws_client("/pinned-ws/").send(connection_id, {"text": "x"}).status_code == 403


# Permissions


def test_any_of_the_permissions(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client, user: User
) -> None:
    ws = make_ws_client("/any-perm-ws/", client=logged_in_client)
    connection_id, _ = ws.connect()

    assert ws.send(connection_id, {"handler": "shout"}).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="change_user"))
    assert ws.send(connection_id, {"handler": "shout"}).status_code == 200
    assert session(connection_id).request_count == 1


def test_all_of_the_permissions(
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client, user: User
) -> None:
    ws = make_ws_client("/all-perm-ws/", client=logged_in_client)
    connection_id, _ = ws.connect()
    user.user_permissions.add(Permission.objects.get(codename="change_user"))

    refused = ws.send(connection_id, {"handler": "shout"})
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    allowed = ws.send(connection_id, {"handler": "shout"})

    assert refused.status_code == 403
    assert refused.json() == {"$ws": "error", "error": "Permission denied."}
    assert allowed.status_code == 200


def test_anonymous_has_no_permissions(make_ws_client: Callable[..., WebSocketTestClient]) -> None:
    ws = make_ws_client("/all-perm-ws/")
    connection_id, _ = ws.connect()

    assert ws.send(connection_id, {"handler": "shout"}).status_code == 403


# Counting and budget


def test_request_count_grows_by_one_per_message(ws: WebSocketTestClient, connected: str) -> None:
    before = session(connected).updated_on
    for _ in range(3):
        ws.send(connected, {"text": "x"})

    row = session(connected)
    assert row.request_count == 3
    assert row.updated_on > before


def test_a_message_costs_two_queries(
    user_connection: tuple[WebSocketTestClient, str],
    warm_gateway_cache: None,
    django_assert_num_queries: Any,
) -> None:
    ws, connection_id = user_connection
    # The session with its user and gateway, then the request_count UPDATE.
    with django_assert_num_queries(2):
        response = ws.send(connection_id, {"handler": "whoami"})

    assert response.status_code == 200


def test_message_handled_is_sent_after_commit(
    ws: WebSocketTestClient, connected: str, django_capture_on_commit_callbacks: Any
) -> None:
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    signals.message_handled.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ws.send(connected, {"handler": "shout"})
            ws.send(connected, "not json")
    finally:
        signals.message_handled.disconnect(receiver)

    assert [r["handler_name"] for r in received] == ["shout"]
    assert received[0]["session"].connection_id == connected


# change_channel


def test_change_channel(ws: WebSocketTestClient, connected: str) -> None:
    response = ws.send(connected, {"handler": "change_channel", "channel": "room-2"})

    assert response.status_code == 200
    assert response.json() == {
        "$ws": "channel_changed",
        "channel": "room-2",
        "previous_channel": "default",
    }
    assert session(connected).channel_name == "room-2"


@pytest.mark.parametrize(
    ("channel", "status"),
    [(None, 400), (7, 400), ("", 400), ("a b", 400), ("x" * 101, 400), ("vip", 403)],
)
def test_change_channel_validates_like_connect(
    ws: WebSocketTestClient, connected: str, channel: object, status: int
) -> None:
    body: dict[str, object] = {"handler": "change_channel"}
    if channel is not None:
        body["channel"] = channel

    response = ws.send(connected, body)

    assert response.status_code == status
    assert session(connected).channel_name == "default"


# Exceptions in handlers


def test_handler_exception_is_500_logged_and_mailed_once(
    make_ws_client: Callable[..., WebSocketTestClient], caplog: pytest.LogCaptureFixture
) -> None:
    cache.clear()
    ws = make_ws_client("/broken-ws/")
    connection_id, _ = ws.connect()

    responses = [ws.send(connection_id, {"text": "x"}) for _ in range(2)]

    assert [r.status_code for r in responses] == [500, 500]
    assert responses[0].json() == {"$ws": "error", "error": "Internal error."}
    errors = [r for r in caplog.records if r.levelname == "ERROR" and r.name == VIEWS_LOGGER]
    assert len(errors) == 2
    assert errors[0].exc_info is not None
    assert len(mail.outbox) == 1
    assert "BrokenView" in mail.outbox[0].subject
    assert "ZeroDivisionError" in mail.outbox[0].subject
    assert "handler bug" in mail.outbox[0].body


def test_another_error_type_is_mailed_separately(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    cache.clear()
    ws = make_ws_client("/broken-ws/")
    connection_id, _ = ws.connect()

    ws.send(connection_id, {"text": "x"})
    odd = ws.send(connection_id, {"handler": "odd"})  # returns an int: a TypeError

    assert odd.status_code == 500
    assert [m.subject.rsplit(": ", 1)[1] for m in mail.outbox] == [
        "ZeroDivisionError",
        "TypeError",
    ]


def test_mail_throttle_can_be_turned_off(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.WEBSOCKETS = {"exception_mail_interval_seconds": 0}
    ws = make_ws_client("/broken-ws/")
    connection_id, _ = ws.connect()

    ws.send(connection_id, {"text": "x"})
    ws.send(connection_id, {"text": "x"})

    assert len(mail.outbox) == 2


def test_exception_mail_can_be_switched_off(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    cache.clear()
    ws = make_ws_client("/quiet-broken-ws/")
    connection_id, _ = ws.connect()

    assert ws.send(connection_id, {"text": "x"}).status_code == 500
    assert mail.outbox == []


def test_deny_connection_from_a_handler_is_its_4xx(ws: WebSocketTestClient, connected: str) -> None:
    response = ws.send(connected, {"handler": "deny"})

    assert response.status_code == 403
    assert response.json() == {"$ws": "error", "error": "Not today."}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("atomic_requests", [True, False])
def test_a_failed_handler_writes_nothing_under_atomic_requests(
    gateway: ApiGateway, monkeypatch: pytest.MonkeyPatch, atomic_requests: bool
) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", atomic_requests)
    ws = WebSocketTestClient("/writing-broken-ws/", api_id=API_ID)
    connection_id, _ = ws.connect()

    assert ws.send(connection_id, {"text": "x"}).status_code == 500

    row = session(connection_id)
    assert row.channel_name == ("default" if atomic_requests else "written")
    assert row.request_count == (0 if atomic_requests else 1)


def test_change_channel_costs_five_queries(
    ws: WebSocketTestClient,
    connected: str,
    warm_gateway_cache: None,
    django_assert_num_queries: Any,
) -> None:
    # The session, its request count, the old membership out, the new one in,
    # the new channel_name.
    with django_assert_num_queries(5):
        response = ws.send(connected, {"handler": "change_channel", "channel": "b"})

    assert response.status_code == 200
