"""The shipped Lambda REQUEST authorizer: an API Gateway event in, a policy (or 401) out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from django_aws_api_gateway_websockets import jwt_verification, wire
from django_aws_api_gateway_websockets.jwt_verification import KeysUnavailable
from django_aws_api_gateway_websockets.lambda_authorizer import (
    Unauthorized,
    handler,
    policy_from_environment,
)
from tests.oidc import AUDIENCE, ISSUER, OidcProvider, running_provider

METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/production/$connect"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[OidcProvider]:
    jwt_verification.forget_keys()
    with running_provider() as provider:
        monkeypatch.setenv("WS_JWT_JWKS_URL", provider.jwks_url)
        monkeypatch.setenv("WS_JWT_ISSUER", ISSUER)
        monkeypatch.setenv("WS_JWT_AUDIENCE", f"other-app, {AUDIENCE}")
        yield provider
    jwt_verification.forget_keys()


def event(*, headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> Any:
    return wire.authorizer_event(
        method_arn=METHOD_ARN,
        headers=headers or {},
        query=query or {},
        connection_id="abc=",
        api_id="abc123",
        stage="production",
        source_ip="192.0.2.1",
        domain_name="abc123.execute-api.eu-west-1.amazonaws.com",
        request_id="req",
    )


def test_a_valid_header_token_is_allowed_with_its_context(
    provider: OidcProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WS_AUTHORIZER_CONTEXT_CLAIMS", "tenant,groups")
    token = provider.issue(sub="alice", tenant="acme", groups=["a", "b"])

    answer = handler(event(headers={"authorization": f"Bearer {token}"}), None)

    assert wire.policy_allows(answer)
    assert answer["principalId"] == "alice"
    statement = answer["policyDocument"]["Statement"][0]
    assert statement["Resource"] == METHOD_ARN
    # A list cannot travel in an authorizer context: left out.
    assert set(answer["context"]) == {"sub", "exp", "tenant"}
    assert answer["context"]["tenant"] == "acme"


def test_a_query_token_is_read_too(provider: OidcProvider) -> None:
    answer = handler(event(query={"access_token": provider.issue()}), None)

    assert wire.policy_allows(answer)


@pytest.mark.parametrize(
    "claims",
    [{"expires_in": -3600}, {"aud": "someone-else"}, {"iss": "https://evil.example"}],
)
def test_invalid_tokens_are_unauthorized(provider: OidcProvider, claims: dict[str, Any]) -> None:
    token = provider.issue(**claims)

    with pytest.raises(Unauthorized, match="^Unauthorized$"):
        handler(event(query={"access_token": token}), None)


def test_no_token_is_unauthorized(provider: OidcProvider) -> None:
    with pytest.raises(Unauthorized):
        handler(event(), None)


def test_an_unreachable_provider_is_an_error_not_a_401(monkeypatch: pytest.MonkeyPatch) -> None:
    jwt_verification.forget_keys()
    with running_provider() as gone:
        token = gone.issue()
        monkeypatch.setenv("WS_JWT_JWKS_URL", gone.jwks_url)

    with pytest.raises(KeysUnavailable):
        handler(event(query={"access_token": token}), None)


def test_without_a_jwks_url_the_authorizer_refuses_to_start() -> None:
    with pytest.raises(RuntimeError, match="WS_JWT_JWKS_URL"):
        policy_from_environment({})
