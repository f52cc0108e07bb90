"""An app with a JWT, and a Lambda authorizer, through the real local gateway to Django."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from websockets.exceptions import ConnectionClosed, InvalidStatus

from django_aws_api_gateway_websockets.local_gateway.config import RequestAuthorizer
from django_aws_api_gateway_websockets.models import WebSocketSession
from tests.local_gateway.conftest import ws_connect
from tests.oidc import AUDIENCE, ISSUER, OidcProvider

from .conftest import StartGateway

SHIPPED_AUTHORIZER = "django_aws_api_gateway_websockets.lambda_authorizer.handler"


def ask(socket: Any, body: dict[str, Any]) -> dict[str, Any]:
    socket.send(json.dumps(body))
    return json.loads(socket.recv(timeout=10))  # type: ignore[no-any-return]


def test_app_connects_with_a_bearer_header(
    provider: OidcProvider, alice: User, start_gateway: StartGateway
) -> None:
    gateway = start_gateway()

    headers = {"Authorization": f"Bearer {provider.issue()}"}
    with ws_connect(gateway.url, additional_headers=headers) as socket:
        answer = ask(socket, {"handler": "whoami"})

    assert answer["user"] == "alice"
    assert answer["authenticated"] is True


def test_a_message_after_exp_closes_the_socket(
    provider: OidcProvider, alice: User, start_gateway: StartGateway
) -> None:
    gateway = start_gateway()
    # Expired 5 s ago: inside the leeway at $connect, past exp for any message.
    token = provider.issue(expires_in=-5)

    with ws_connect(f"{gateway.url}?access_token={token}") as socket:
        socket.send(json.dumps({"handler": "whoami"}))
        with pytest.raises(ConnectionClosed):
            # Django refused the message and closed the connection (DELETE @connections).
            while True:
                socket.recv(timeout=10)

    # Django marks the row after its DELETE returned, which closed the socket: poll.
    deadline = time.monotonic() + 10
    while WebSocketSession.objects.filter(connected=True).exists():
        assert time.monotonic() < deadline, "the session row stayed connected"
        time.sleep(0.05)


def test_a_bad_token_is_refused_at_the_handshake(
    provider: OidcProvider, alice: User, start_gateway: StartGateway
) -> None:
    gateway = start_gateway()

    with pytest.raises(InvalidStatus) as refused, ws_connect(f"{gateway.url}?access_token=junk"):
        pass

    assert refused.value.response.status_code == 401
    assert not WebSocketSession.objects.exists()


@pytest.fixture
def shipped_authorizer(
    provider: OidcProvider, monkeypatch: pytest.MonkeyPatch
) -> RequestAuthorizer:
    """The shipped Lambda authorizer, configured as a Lambda's environment would be."""
    monkeypatch.setenv("WS_JWT_JWKS_URL", provider.jwks_url)
    monkeypatch.setenv("WS_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("WS_JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("WS_AUTHORIZER_CONTEXT_CLAIMS", "tenant")
    return RequestAuthorizer(
        SHIPPED_AUTHORIZER,
        identity_sources=["route.request.querystring.access_token"],
        context_keys=["sub", "tenant"],
    )


def test_the_shipped_authorizer_keeps_bad_tokens_off_django(
    provider: OidcProvider,
    alice: User,
    start_gateway: StartGateway,
    shipped_authorizer: RequestAuthorizer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = start_gateway("/authorizer-ws/", authorizer=shipped_authorizer)
    forged = provider.issue(key=provider.key, aud="someone-else", tenant="acme")

    for url in (gateway.url, f"{gateway.url}?access_token={forged}"):
        with pytest.raises(InvalidStatus) as refused, ws_connect(url):
            pass
        assert refused.value.response.status_code == 401

    assert not WebSocketSession.objects.exists()
    assert "aud names none of the accepted audiences" in caplog.text


def test_the_shipped_authorizer_passes_its_context_to_the_view(
    provider: OidcProvider,
    alice: User,
    start_gateway: StartGateway,
    shipped_authorizer: RequestAuthorizer,
) -> None:
    gateway = start_gateway("/authorizer-ws/", authorizer=shipped_authorizer)

    # The view refuses (403) a $connect whose authorizer context names no tenant.
    with (
        pytest.raises(InvalidStatus) as refused,
        ws_connect(f"{gateway.url}?access_token={provider.issue()}"),
    ):
        pass
    assert refused.value.response.status_code == 403

    with ws_connect(f"{gateway.url}?access_token={provider.issue(tenant='acme')}") as socket:
        answer = ask(socket, {"handler": "whoami"})
        assert WebSocketSession.objects.get(connected=True).user == alice

    assert answer["user"] == "alice"
