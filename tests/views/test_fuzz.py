"""Whatever arrives, the answer is never a 500 and no accepted event is lost."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import Outbox, WebSocketTestClient
from django_aws_api_gateway_websockets.testing.client import with_headers
from tests.conftest import API_ID

SECRET = "fuzz-secret"

header_names = st.sampled_from(
    [
        wire.CONNECTION_ID_HEADER,
        wire.API_ID_HEADER,
        wire.FORWARDED_FOR_HEADER,
        wire.GATEWAY_SECRET_HEADER,
        "Origin",
        "User-Agent",
        "Cookie",
        "Content-Type",
        "X-Deny",
        "Host",
    ]
) | st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True)
# Latin-1, as a WSGI server decodes headers; NUL included, other controls not
# (a real server refuses CR/LF in a header before Django sees it).
latin1_text = st.text(
    st.characters(codec="latin-1", exclude_categories=["Cc"], include_characters="\x00"),
    max_size=60,
)
header_values = latin1_text | st.sampled_from(
    [
        SECRET,
        API_ID,
        "127.0.0.1",
        "::1",
        "http://testserver",
        "null",
        "",
        "1" * 300,
        "\x00",
        f"{SECRET}\x00",
        f"{API_ID}\x00",
        "127.0.0.1\x00",
        "http://testserver\x00",
    ]
)
cookie_values = latin1_text | st.sampled_from(
    ["abcdefgh\\000ijkl", "\x00" * 40, "a" * 5000, "0123456789abcdefghijklmnopqrstuv", ""]
)
cookie_headers = st.one_of(
    st.none(),
    cookie_values.map(lambda value: f"sessionid={value}"),
    cookie_values.map(lambda value: f'sessionid="{value}"'),
    st.tuples(cookie_values, cookie_values).map(
        lambda pair: f"csrftoken={pair[0]}; sessionid={pair[1]}; sessionid=x"
    ),
    latin1_text,
)
headers = st.dictionaries(header_names, header_values, max_size=4)
queries = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["channel=a%00b", "ws_token=%00", "channel=%00&ws_token=" + "0" * 64]),
    st.dictionaries(
        st.sampled_from([wire.CHANNEL_PARAM, wire.TOKEN_PARAM, "x"]),
        st.text(max_size=40) | st.from_regex(r"[a-z0-9_-]{1,110}", fullmatch=True),
        max_size=3,
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
handler_bodies = st.fixed_dictionaries(
    {
        "handler": st.sampled_from(
            ["default", "shout", "whoami", "change_channel", "deny", "connect", "_secret", "x"]
        )
        | json_values,
        "channel": json_values | st.from_regex(r"[A-Za-z0-9_-]{0,120}", fullmatch=True),
    }
)
bodies = st.one_of(
    st.binary(max_size=200),
    st.just(b'{"handler": "shout", "text": "a\x00b"}'),
    st.just(b'{"handler": "change_channel", "channel": "a\\u0000b"}'),
    json_values.map(json.dumps),
    handler_bodies.map(json.dumps),
    st.just(b"{" + b" " * (wire.MAX_PAYLOAD_BYTES + 10) + b"}"),
)
connection_ids = st.one_of(
    st.just("main"), st.from_regex(r"[A-Za-z0-9=]{16}", fullmatch=True), st.text(max_size=20)
)


# Refusals raised by handlers themselves (ChatView.deny, change_channel): the
# message was accepted and counted before the handler said no.
HANDLER_ERRORS = {
    "Not today.",
    "Not allowed to join this channel.",
    "Channel name must be a non-empty string.",
    "Channel name longer than 100 characters.",
    "Channel name may only contain letters, digits, '_' and '-'.",
}


def reached(response: Any) -> bool:
    """Did this message get past the view's checks to its handler?"""
    if response.status_code == 200:
        return True
    if response["Content-Type"] != "application/json":
        return False
    return bool(json.loads(response.content).get("error") in HANDLER_ERRORS)


def row(connection_id: str) -> WebSocketSession | None:
    # The view refuses malformed ids before any query; PostgreSQL would reject
    # some (NUL) in this lookup too.
    if not wire.is_valid_connection_id(connection_id):
        return None
    return WebSocketSession.objects.filter(connection_id=connection_id).first()


@dataclass
class Step:
    route: str
    connection_id: str
    headers: dict[str, str]
    query: dict[str, str] | str = field(default_factory=dict)
    body: bytes | str = b""
    cookie: str | None = None


steps = st.one_of(
    st.builds(Step, st.just("connect"), connection_ids, headers, queries, cookie=cookie_headers),
    st.builds(
        Step,
        st.sampled_from(["default", "shout", "custom"]),
        connection_ids,
        headers,
        st.just({}),
        bodies,
        cookie=cookie_headers,
    ),
    st.builds(Step, st.just("disconnect"), connection_ids, headers, cookie=cookie_headers),
)


def gateway_request(step: Step, connection_id: str) -> wire.GatewayRequest:
    common: dict[str, Any] = {
        "connection_id": connection_id,
        "api_id": API_ID,
        "static_headers": {wire.GATEWAY_SECRET_HEADER: SECRET},
    }
    if step.route == "connect":
        request = wire.connect_request(
            client_headers={"Origin": "http://testserver"}, query=step.query, **common
        )
    elif step.route == "disconnect":
        request = wire.disconnect_request(**common)
    else:
        route_key = "$default" if step.route == "default" else step.route
        request = wire.message_request(body=step.body, route_key=route_key, **common)
    if step.cookie is not None:
        request = with_headers(request, {"Cookie": step.cookie})
    return with_headers(request, step.headers)


@pytest.fixture
def fuzz_ws(gateway: ApiGateway, settings: Any, ws_outbox: Outbox) -> WebSocketTestClient:
    # ws_outbox: a handler that sends (or a closed session) never reaches the network.
    settings.WEBSOCKETS = {"gateway_secret": SECRET, "rate_limit_max_attempts": 10**6}
    return WebSocketTestClient("/ws/", api_id=API_ID)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=8))
def test_random_traffic(fuzz_ws: WebSocketTestClient, sequence: list[Step]) -> None:
    main_id, opened = fuzz_ws.connect()
    assert opened.status_code == 200
    accepted_messages = 0

    for step in sequence:
        connection_id = main_id if step.connection_id == "main" else step.connection_id
        request = gateway_request(step, connection_id)
        effective_id = request.headers.get(wire.CONNECTION_ID_HEADER, "")
        before = row(effective_id)

        response = fuzz_ws.perform(request, cookies=step.route == "connect")

        assert response.status_code < 500, (step, response.content)
        # A Host outside ALLOWED_HOSTS is refused by Django's CommonMiddleware
        # (plain 400) before any view runs; every other refusal is ours, in JSON.
        if response.status_code >= 400 and "Host" not in step.headers:
            assert response["Content-Type"] == "application/json"
            assert "error" in json.loads(response.content)
        after = row(effective_id)
        if response.status_code == 200 and step.route == "connect":
            assert after is not None
            assert after.connected
        elif response.status_code == 200 and step.route == "disconnect":
            assert after is None or not after.connected
        elif response.status_code >= 400 and before is not None and not reached(response):
            # Refused before any handler ran: the row is as it was.
            assert after is not None
            assert after.request_count == before.request_count
        is_message = step.route not in ("connect", "disconnect")
        if is_message and effective_id == main_id and reached(response):
            accepted_messages += 1

    assert WebSocketSession.objects.get(connection_id=main_id).request_count == accepted_messages


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cookie=cookie_headers, extra=headers, enforce_csrf=st.booleans())
def test_token_view_never_answers_500(
    db: None, cookie: str | None, extra: dict[str, str], enforce_csrf: bool
) -> None:
    client = Client(enforce_csrf_checks=enforce_csrf)
    request_headers = {**extra, **({"Cookie": cookie} if cookie is not None else {})}
    response = client.post("/ws-token/", headers=request_headers)
    assert response.status_code < 500, (cookie, extra, response.content)
