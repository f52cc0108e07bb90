"""$connect: the handshake waits for the backend and carries the client's request."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.local_gateway import GatewayThread, Limits

from .conftest import API_ID, SECRET, Answer, Backend, GatewayFactory, ws_connect


def test_connect_request_carries_client_headers_query_and_gateway_headers(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(
        f"{gateway_thread.url}?channel=room1&ws_token=abc",
        origin="http://app.example.com",
        additional_headers={"Cookie": "sessionid=xyz"},
        user_agent_header="Browser/1.0",
    ):
        (request,) = backend.wait_for("connect")

    assert request.method == "POST"
    assert request.query_string == "channel=room1&ws_token=abc"
    assert request.body == b""
    headers = request.headers
    assert headers["Cookie"] == "sessionid=xyz"
    assert headers["Origin"] == "http://app.example.com"
    assert headers["User-Agent"] == "Browser/1.0"
    assert headers["Sec-WebSocket-Version"] == "13"
    assert headers["Sec-WebSocket-Key"]
    assert wire.is_valid_connection_id(headers["Connectionid"])
    assert headers["X-Amzn-Apigateway-Api-Id"] == API_ID
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == str(gateway_thread.port)
    assert headers["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert headers["X-Ws-Gateway-Secret"] == SECRET
    assert headers["Host"] == f"127.0.0.1:{backend.port}"
    # The handshake's own headers describe the client's socket, not this request.
    assert "upgrade" not in headers
    assert "upgrade" not in headers.get("Connection", "").lower()


def test_each_connection_gets_its_own_id(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url), ws_connect(gateway_thread.url):
        requests = backend.wait_for("connect", 2)
        # The client may see its 101 before the gateway's loop registers it.
        deadline = time.monotonic() + 5
        while len(gateway_thread.gateway.connection_ids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        open_ids = gateway_thread.gateway.connection_ids()
    ids = {request.headers["Connectionid"] for request in requests}
    assert len(ids) == 2
    assert sorted(ids) == sorted(open_ids)


@pytest.mark.parametrize("path", ["", "/", "/production", "/production/"])
def test_clients_connect_at_root_or_stage(
    backend: Backend, start_gateway_thread: GatewayFactory, path: str
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(f"ws://127.0.0.1:{gateway_thread.port}{path}") as client:
        client.send("hi")
        assert client.recv(timeout=5) == "default got hi"


@pytest.mark.parametrize("status", [401, 403, 429, 500])
def test_a_non_2xx_connect_answer_refuses_the_handshake_with_its_status(
    backend: Backend, start_gateway_thread: GatewayFactory, status: int
) -> None:
    backend.answer("connect", status=status, body=b"no entry")
    gateway_thread = start_gateway_thread()
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(gateway_thread.url)
    assert refused.value.response.status_code == status
    assert gateway_thread.gateway.connection_ids() == []
    # No connection existed, so there is nothing to disconnect.
    assert backend.received("disconnect") == []


def test_a_redirect_is_an_answer_not_followed(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("connect", status=301)
    gateway_thread = start_gateway_thread()
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(gateway_thread.url)
    assert refused.value.response.status_code == 301


def test_a_slow_connect_integration_fails_the_handshake_with_504(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("connect", delay=1.0)
    gateway_thread = start_gateway_thread(limits=Limits(integration_timeout_seconds=0.1))
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(gateway_thread.url)
    assert refused.value.response.status_code == 504


def test_an_unreachable_connect_integration_fails_the_handshake_with_500(
    start_gateway_thread: GatewayFactory, free_port: int
) -> None:
    gateway_thread = start_gateway_thread(
        routes={"$connect": f"http://127.0.0.1:{free_port}/connect"},
    )
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(gateway_thread.url)
    assert refused.value.response.status_code == 500


def test_without_a_connect_route_every_handshake_succeeds(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(routes={"$default": backend.url + "default"})
    with ws_connect(gateway_thread.url) as client:
        client.send("x")
        assert client.recv(timeout=5) == "default got x"
    assert backend.received("connect") == []


def test_new_connections_beyond_the_rate_get_429(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(limits=Limits(new_connections_per_second=2))
    with (
        ws_connect(gateway_thread.url),
        ws_connect(gateway_thread.url),
        pytest.raises(InvalidStatus) as refused,
    ):
        ws_connect(gateway_thread.url)
    assert refused.value.response.status_code == 429
    # Refused before the backend was asked.
    assert len(backend.received("connect")) == 2


def test_a_plain_http_get_is_not_a_handshake(
    gateway_thread: GatewayThread, backend: Backend
) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{gateway_thread.port}/production", timeout=5)
    assert refused.value.code == 426
    assert backend.received("connect") == []


def test_repeated_cookie_headers_reach_the_backend_joined_as_one_cookie_header(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(
        gateway_thread.url,
        additional_headers=[
            ("Cookie", "a=1"),
            ("Cookie", "b=2"),
            ("Accept-Language", "fr"),
            ("accept-language", "en"),
        ],
    ):
        (request,) = backend.wait_for("connect")

    assert request.headers.getall("Cookie") == ["a=1; b=2"]
    # Any other repeated header is joined with a comma, whatever its letter case.
    assert request.headers.getall("Accept-Language") == ["fr, en"]


def test_repeated_query_parameters_reach_the_backend_in_order(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    # Several channels at $connect (docs/channels.md): ?channel=a&channel=b.
    gateway_thread = start_gateway_thread()
    with ws_connect(f"{gateway_thread.url}?channel=b&channel=a&channel=presence-x&ws_token=abc"):
        (request,) = backend.wait_for("connect")
    assert request.query_string == "channel=b&channel=a&channel=presence-x&ws_token=abc"


def test_the_connect_integration_chooses_the_subprotocol(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answers["connect"] = Answer(headers={"Sec-WebSocket-Protocol": "chat.v2"})
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url, subprotocols=["chat.v1", "chat.v2"]) as client:
        assert client.subprotocol == "chat.v2"
        client.send("hello")
        assert client.recv(timeout=5) == "default got hello"
    (request,) = backend.wait_for("connect")
    assert request.headers["Sec-WebSocket-Protocol"] == "chat.v1, chat.v2"


def test_without_the_integrations_choice_no_subprotocol_is_chosen(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    # As on AWS: no Sec-WebSocket-Protocol in the answer. websockets accepts
    # that; a browser that asked for one fails the handshake.
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url, subprotocols=["chat.v1"]) as client:
        assert client.subprotocol is None
