"""Verify a JWT bearer token against an OIDC provider's keys (Cognito or any other).

Shared by the view's ``$connect`` and the shipped Lambda authorizer, so it
imports nothing of Django: the policy comes in as a ``JwtPolicy``. PyJWT does
the cryptography; its ``PyJWKClient`` fetches the provider's JWKS and keeps it
for ``jwks_cache_seconds``, fetching again when a token names a key id it has
not seen (the provider rotated its keys), at most once per cooldown.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from . import wire

# Cognito access tokens carry the app client id here instead of in "aud".
COGNITO_CLIENT_ID_CLAIM = "client_id"
TOKEN_USE_CLAIM = "token_use"
# Longer than any token a provider issues (Cognito's stay under 2 KB); a longer
# value is refused before it is parsed.
MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """A token that must not authenticate anyone. ``str()`` is the log line's reason."""

    status = 401


class KeysUnavailable(InvalidToken):
    """The provider's JWKS could not be fetched: not the client's fault."""

    status = 503


@dataclass(frozen=True)
class JwtPolicy:
    """What a token must satisfy."""

    jwks_url: str
    issuer: str | None
    audience: tuple[str, ...]
    algorithms: tuple[str, ...]
    leeway_seconds: float = 0.0
    # "id" or "access" for Cognito: the token_use claim must say so.
    token_use: str | None = None
    jwks_cache_seconds: float = 300.0
    jwks_timeout_seconds: float = 5.0
    # A token naming an unknown key id fetches the set again, at most this often:
    # random key ids must not turn into a flood of requests to the provider.
    jwks_refetch_cooldown_seconds: float = 30.0


_clients: dict[tuple[str, float, float, float], jwt.PyJWKClient] = {}
_clients_lock = threading.Lock()


def _jwk_client(policy: JwtPolicy) -> jwt.PyJWKClient:
    """One client (and so one cached key set) per JWKS URL, shared by every request."""
    key = (
        policy.jwks_url,
        policy.jwks_cache_seconds,
        policy.jwks_timeout_seconds,
        policy.jwks_refetch_cooldown_seconds,
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = jwt.PyJWKClient(
                policy.jwks_url,
                cache_jwk_set=True,
                lifespan=max(1, int(policy.jwks_cache_seconds)),
                timeout=max(1, int(policy.jwks_timeout_seconds)),
                cooldown_duration=policy.jwks_refetch_cooldown_seconds,
            )
            _clients[key] = client
        return client


def forget_keys() -> None:
    """Drop every cached key set (tests that start a new provider)."""
    with _clients_lock:
        _clients.clear()


def presented_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The JWT of a handshake: ``Authorization: Bearer`` first, else ``?access_token=``."""
    header = wire.header_value(headers, wire.AUTHORIZATION_HEADER)
    prefix = wire.BEARER_PREFIX
    if header[: len(prefix)].lower() == prefix.lower():
        return header[len(prefix) :].strip()
    return query.get(wire.ACCESS_TOKEN_PARAM) or None


def verify(token: str, policy: JwtPolicy) -> dict[str, Any]:
    """The token's claims, once its signature, issuer, audience and times are checked.

    Raises ``InvalidToken`` (``KeysUnavailable`` when the provider cannot be reached).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("no token, or one longer than any provider issues")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"malformed token: {exc}") from None
    # Checked before any key is fetched: "none" and HS256-with-the-public-key
    # tricks never reach the signature check.
    algorithm = header.get("alg")
    if algorithm not in policy.algorithms:
        raise InvalidToken(f"algorithm {str(algorithm)[:20]!r} is not allowed")
    try:
        signing_key = _jwk_client(policy).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError as exc:
        raise KeysUnavailable(f"JWKS {policy.jwks_url} unavailable: {exc}") from None
    except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
        raise InvalidToken(f"no matching signing key: {exc}") from None
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            signing_key.key,
            algorithms=list(policy.algorithms),
            issuer=policy.issuer,
            leeway=policy.leeway_seconds,
            options={"require": ["exp", "sub"], "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"{type(exc).__name__}: {exc}") from None
    _check_audience(claims, policy.audience)
    if policy.token_use is not None and claims.get(TOKEN_USE_CLAIM) != policy.token_use:
        raise InvalidToken(f"token_use is not {policy.token_use!r}")
    return claims


def _check_audience(claims: Mapping[str, Any], audience: Sequence[str]) -> None:
    """``aud`` must name one of ours; a token without one may name it in ``client_id``.

    Cognito's access tokens have no ``aud``: their app client id is in ``client_id``.
    """
    if not audience:
        return
    if "aud" in claims:
        named = claims["aud"]
        values = [named] if isinstance(named, str) else named
        if not isinstance(values, list) or not any(value in audience for value in values):
            raise InvalidToken("aud names none of the accepted audiences")
        return
    if claims.get(COGNITO_CLIENT_ID_CLAIM) not in audience:
        raise InvalidToken("neither aud nor client_id names an accepted audience")
