"""A Lambda REQUEST authorizer for ``$connect`` that verifies JWTs as the view does.

Handler: ``django_aws_api_gateway_websockets.lambda_authorizer.handler``. It
imports no Django: deploy the package (and PyJWT[crypto]) without settings.
It reads the same checks as the ``jwt_*`` settings from environment variables
(docs/authentication.md). A missing or invalid token raises ``Unauthorized``
(API Gateway answers the handshake with 401); a valid one is allowed with the
context ``sub``, ``exp`` and the claims ``WS_AUTHORIZER_CONTEXT_CLAIMS`` names,
which the gateway record's ``authorizer_context_keys`` map to Django.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from . import wire
from .jwt_verification import InvalidToken, JwtPolicy, KeysUnavailable, presented_token, verify
from .log_context import get_logger

logger = get_logger("django_aws_api_gateway_websockets.lambda_authorizer")

# Always in the context: who, and until when (the view closes the connection then).
BASE_CONTEXT_CLAIMS = ("sub", "exp")


class Unauthorized(Exception):
    """Raised with the message API Gateway turns into a 401 handshake."""

    def __init__(self) -> None:
        super().__init__(wire.AUTHORIZER_UNAUTHORIZED)


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def policy_from_environment(environ: Mapping[str, str] = os.environ) -> JwtPolicy:
    """The checks, from ``WS_JWT_*`` variables named like the ``jwt_*`` settings."""
    jwks_url = environ.get("WS_JWT_JWKS_URL", "")
    if not jwks_url:
        raise RuntimeError("WS_JWT_JWKS_URL is not set: the authorizer cannot verify tokens")
    return JwtPolicy(
        jwks_url=jwks_url,
        issuer=environ.get("WS_JWT_ISSUER") or None,
        audience=_listed(environ.get("WS_JWT_AUDIENCE")),
        algorithms=_listed(environ.get("WS_JWT_ALGORITHMS")) or ("RS256",),
        leeway_seconds=float(environ.get("WS_JWT_LEEWAY_SECONDS", "30")),
        token_use=environ.get("WS_JWT_TOKEN_USE") or None,
        jwks_cache_seconds=float(environ.get("WS_JWT_JWKS_CACHE_SECONDS", "300")),
        jwks_timeout_seconds=float(environ.get("WS_JWT_JWKS_TIMEOUT_SECONDS", "5")),
        jwks_refetch_cooldown_seconds=float(
            environ.get("WS_JWT_JWKS_REFETCH_COOLDOWN_SECONDS", "30")
        ),
    )


def context_of(claims: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The claims an authorizer context can carry: strings, numbers and booleans only."""
    return {
        name: claims[name]
        for name in (*BASE_CONTEXT_CLAIMS, *names)
        if isinstance(claims.get(name), str | int | float | bool)
    }


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    headers = event.get("headers") or {}
    query = event.get("queryStringParameters") or {}
    token = presented_token(headers, query)
    if token is None:
        logger.warning("Refused $connect: no token")
        raise Unauthorized()
    try:
        claims = verify(token, policy_from_environment())
    except KeysUnavailable:
        # Not the client's fault: an error (500), not a 401 it would retry with.
        logger.exception("Refused $connect: the JWKS is unavailable")
        raise
    except InvalidToken as exc:
        logger.warning("Refused $connect: %s", exc)
        raise Unauthorized() from None
    names = _listed(os.environ.get("WS_AUTHORIZER_CONTEXT_CLAIMS"))
    return wire.authorizer_policy(
        principal_id=str(claims["sub"]),
        allow=True,
        resource=str(event.get("methodArn", "*")),
        context=context_of(claims, names),
    )
