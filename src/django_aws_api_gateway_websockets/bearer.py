"""``$connect`` with a JWT bearer token: which token, whose, and until when.

The token comes as ``Authorization: Bearer <jwt>`` or ``?access_token=<jwt>``;
``jwt_verification`` checks it against the ``jwt_*`` settings. The connection
keeps the user and the token's ``exp``: API Gateway cannot re-authenticate an
open connection, so a message after ``exp`` closes it (the client connects
again with a fresh token).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from . import jwt_verification, messaging
from .conf import conf
from .exceptions import Refused
from .jwt_verification import InvalidToken, JwtPolicy, KeysUnavailable, verify
from .models import WebSocketSession


@dataclass(frozen=True)
class BearerIdentity:
    """Who a verified token names, and when its authorization ends."""

    user: Any
    claims: dict[str, Any]
    expires_on: datetime


def is_enabled() -> bool:
    return bool(conf.jwt_jwks_url)


def policy() -> JwtPolicy:
    """The ``jwt_*`` settings as the policy ``jwt_verification`` checks tokens against."""
    audience = conf.jwt_audience
    return JwtPolicy(
        jwks_url=conf.jwt_jwks_url or "",
        issuer=conf.jwt_issuer,
        audience=(audience,) if isinstance(audience, str) else tuple(audience or ()),
        algorithms=tuple(conf.jwt_algorithms or ()),
        leeway_seconds=conf.jwt_leeway_seconds,
        token_use=conf.jwt_token_use,
        jwks_cache_seconds=conf.jwt_jwks_cache_seconds,
        jwks_timeout_seconds=conf.jwt_jwks_timeout_seconds,
        jwks_refetch_cooldown_seconds=conf.jwt_jwks_refetch_cooldown_seconds,
    )


def presented_token(request: HttpRequest) -> str | None:
    """The JWT the handshake carries: the header first, else the query parameter."""
    return jwt_verification.presented_token(request.headers, request.GET)


def authenticate(raw: str) -> BearerIdentity:
    """The identity of a valid token whose user may connect; refuses anything else."""
    try:
        claims = verify(raw, policy())
    except KeysUnavailable as exc:
        raise Refused("Identity provider unavailable.", exc.status, reason=str(exc)) from None
    except InvalidToken as exc:
        raise Refused("Invalid token.", exc.status, reason=f"JWT refused: {exc}") from None
    user = claims_to_user(claims)
    if user is None:
        raise Refused("Unknown user.", 401, reason=f"no user for JWT sub {claims['sub']!r}")
    if not user.is_active:
        raise Refused("User inactive.", 403, reason=f"JWT of inactive user {user.pk}")
    expires_on = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    return BearerIdentity(user=user, claims=claims, expires_on=expires_on)


def claims_to_user(claims: dict[str, Any]) -> Any:
    """The user a token names: ``jwt_claims_to_user``'s answer, else the claim->field lookup."""
    if conf.jwt_claims_to_user:
        hook = import_string(conf.jwt_claims_to_user)
        return hook(claims)
    value = claims.get(conf.jwt_user_claim)
    if value is None or isinstance(value, dict | list):
        return None
    user_model = get_user_model()
    return user_model._default_manager.filter(**{conf.jwt_user_field: str(value)}).first()


def check_not_expired(session: WebSocketSession) -> None:
    """Close a connection whose token has expired, and refuse the message (401)."""
    expires_on = session.authorization_expires_on
    if expires_on is None or expires_on > timezone.now():
        return
    messaging.close_connections([session], reason="expiry")
    raise Refused(
        "Token expired; connect again with a new one.",
        401,
        reason=f"authorization ended at {expires_on.isoformat()}: session closed",
    )
