"""$connect with a JWT bearer token from a local OIDC stand-in (docs/authentication.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from django.contrib.auth.models import User

from django_aws_api_gateway_websockets import jwt_verification
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox
from tests.oidc import AUDIENCE, ISSUER, OidcProvider, new_key, running_provider

VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"


@pytest.fixture
def provider(settings: Any) -> Iterator[OidcProvider]:
    jwt_verification.forget_keys()
    with running_provider() as provider:
        settings.WEBSOCKETS = provider.settings()
        yield provider
    jwt_verification.forget_keys()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_by_email(claims: dict[str, Any]) -> User | None:
    """A ``jwt_claims_to_user`` hook, as a project would write one."""
    return User.objects.filter(email=claims.get("email")).first()


# Accepted


def test_header_token_connects_as_its_user_for_every_message(
    provider: OidcProvider, user: User, ws: WebSocketTestClient
) -> None:
    token = provider.issue(sub=user.username)

    connection_id, response = ws.connect(headers=bearer(token))

    assert response.status_code == 200
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.user == user
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert session.authorization_expires_on == datetime.fromtimestamp(expires, tz=UTC)
    answer = ws.send(connection_id, {"handler": "whoami"})
    assert answer.json()["user"] == "alice"
    assert answer.json()["authenticated"] is True


def test_query_token_connects(provider: OidcProvider, user: User, ws: WebSocketTestClient) -> None:
    connection_id, response = ws.connect(query={"access_token": provider.issue()})

    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user == user


def test_jwt_replaces_the_ws_token_of_a_token_view(
    provider: OidcProvider, user: User, make_ws_client: Callable[..., WebSocketTestClient]
) -> None:
    ws = make_ws_client("/token-ws/")

    connection_id, response = ws.connect(headers=bearer(provider.issue()))

    assert response.status_code == 200
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.user == user
    # Bound to the token, not to a Django session that a logout would end.
    assert session.django_session_hash == ""


def test_keys_are_fetched_once_and_kept(
    provider: OidcProvider, user: User, ws: WebSocketTestClient
) -> None:
    for _ in range(3):
        assert ws.connect(headers=bearer(provider.issue())).response.status_code == 200

    assert provider.jwks_requests == 1


def test_rotated_keys_are_fetched_again(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, settings: Any
) -> None:
    settings.WEBSOCKETS = provider.settings(jwt_jwks_refetch_cooldown_seconds=0)
    assert ws.connect(headers=bearer(provider.issue())).response.status_code == 200
    provider.key, provider.kid = new_key(), "rotated"

    assert ws.connect(headers=bearer(provider.issue())).response.status_code == 200
    assert provider.jwks_requests == 2


def test_made_up_key_ids_wait_for_the_cooldown(
    provider: OidcProvider, user: User, ws: WebSocketTestClient
) -> None:
    assert ws.connect(headers=bearer(provider.issue())).response.status_code == 200

    for kid in ("made-up-1", "made-up-2"):
        token = provider.issue(headers={"kid": kid})
        assert ws.connect(headers=bearer(token)).response.status_code == 401

    assert provider.jwks_requests == 1


def test_cognito_access_token_names_its_client_in_client_id(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, settings: Any
) -> None:
    settings.WEBSOCKETS = provider.settings(jwt_token_use="access")
    access = provider.issue(aud=None, client_id=AUDIENCE, token_use="access")
    id_token = provider.issue(token_use="id")

    assert ws.connect(headers=bearer(access)).response.status_code == 200
    assert ws.connect(headers=bearer(id_token)).response.status_code == 401


def test_claims_hook_chooses_the_user(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, settings: Any
) -> None:
    user.email = "alice@example.com"
    user.save()
    settings.WEBSOCKETS = provider.settings(jwt_claims_to_user="tests.views.test_jwt.user_by_email")

    connection_id, response = ws.connect(
        headers=bearer(provider.issue(sub="idp-123", email="alice@example.com"))
    )

    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user == user


def test_without_jwks_url_a_bearer_token_is_not_read(user: User, ws: WebSocketTestClient) -> None:
    # A project that has not turned JWTs on keeps its anonymous connections.
    connection_id, response = ws.connect(headers=bearer("anything"))

    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user is None


# The end of the authorization


def test_message_after_exp_is_refused_and_the_connection_closed(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    # Expired 5 s ago: still inside the 30 s leeway at $connect, past exp for messages.
    connection_id, response = ws.connect(headers=bearer(provider.issue(expires_in=-5)))
    assert response.status_code == 200

    answer = ws.send(connection_id, {"handler": "whoami"})

    assert answer.status_code == 401
    assert ws_outbox.closed_ids == [connection_id]
    assert not WebSocketSession.objects.get(connection_id=connection_id).connected


# Refused: 4xx and a log line, never a 500, no row


def _refused(
    ws: WebSocketTestClient,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    status: int = 401,
) -> str:
    with caplog.at_level(logging.WARNING, logger=VIEWS_LOGGER):
        connection_id, response = ws.connect(headers=headers)
    assert response.status_code == status
    assert not WebSocketSession.objects.filter(connection_id=connection_id).exists()
    lines = [r.getMessage() for r in caplog.records if r.name == VIEWS_LOGGER]
    assert len(lines) == 1
    return lines[0]


def test_malformed_token_is_refused(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert "malformed token" in _refused(ws, caplog, bearer("not.a.jwt"))


def test_expired_token_is_refused(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    line = _refused(ws, caplog, bearer(provider.issue(expires_in=-3600)))
    assert "ExpiredSignatureError" in line


def test_token_signed_by_another_key_is_refused(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    line = _refused(ws, caplog, bearer(provider.issue(key=new_key())))
    assert "InvalidSignatureError" in line


def test_token_for_another_audience_is_refused(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    line = _refused(ws, caplog, bearer(provider.issue(aud="someone-else")))
    assert "accepted audiences" in line


def test_token_from_another_issuer_is_refused(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    line = _refused(ws, caplog, bearer(provider.issue(iss=ISSUER + ".evil")))
    assert "InvalidIssuerError" in line


def test_unsigned_alg_none_token_is_refused(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    claims = jwt.decode(provider.issue(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": provider.kid})

    assert "algorithm 'none' is not allowed" in _refused(ws, caplog, bearer(unsigned))
    assert provider.jwks_requests == 0


def test_token_of_an_unknown_user_is_refused(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert "no user for JWT sub" in _refused(ws, caplog, bearer(provider.issue(sub="mallory")))


def test_token_of_an_inactive_user_is_refused(
    provider: OidcProvider, user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    user.is_active = False
    user.save()

    assert "inactive" in _refused(ws, caplog, bearer(provider.issue()), status=403)


def test_unreachable_provider_answers_503(
    user: User, ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    with running_provider() as gone:
        token = gone.issue()
        settings.WEBSOCKETS = gone.settings()
    jwt_verification.forget_keys()

    assert "unavailable" in _refused(ws, caplog, bearer(token), status=503)
