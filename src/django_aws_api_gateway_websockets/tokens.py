"""Issue and consume the short-lived single-use tokens that authenticate $connect.

Only hashes are stored: sha256 of the token and of the Django session key it
was issued to. Consumption is one conditional UPDATE, so of any number of
concurrent connects with one token exactly one wins.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .conf import conf
from .exceptions import Refused
from .hashing import session_key_hash, sha256_hex
from .models import WebSocketToken

TOKEN_BYTES = 32
_TOKEN_RE = re.compile(r"[0-9a-f]{64}")


def issue_token(user: AbstractBaseUser, django_session_key: str) -> str:
    """Create a token for ``user`` bound to the session; return the only plain copy."""
    token = secrets.token_hex(TOKEN_BYTES)
    WebSocketToken.objects.create(
        token_hash=sha256_hex(token),
        user_id=user.pk,
        django_session_hash=session_key_hash(django_session_key),
        session_auth_hash=user.get_session_auth_hash(),
    )
    return token


def _expiry_cutoff(now: datetime) -> datetime:
    # From the current setting, so shortening it also shortens tokens already out.
    return now - timedelta(seconds=conf.token_expiry_seconds)


def find_token(raw: str | None) -> WebSocketToken | None:
    """The token row (with its user) for ``raw``; refuses a missing or malformed token.

    An unknown token returns None so that the caller can count the attempt
    before refusing it.
    """
    if not raw:
        raise Refused("WebSocket token required.", 401, reason="no ws_token in the query")
    if _TOKEN_RE.fullmatch(raw) is None:
        raise Refused("Invalid WebSocket token.", 401, reason="ws_token is not 64 hex digits")
    return WebSocketToken.objects.select_related("user").filter(token_hash=sha256_hex(raw)).first()


def check_token(token: WebSocketToken | None) -> WebSocketToken:
    """Refuse a token that is unknown, used, expired or of an inactive user."""
    if token is None:
        raise Refused("Invalid WebSocket token.", 401, reason="unknown ws_token")
    if token.used_on is not None:
        raise Refused("WebSocket token already used.", 403, reason=f"ws_token {token.pk} reused")
    if token.created_on <= _expiry_cutoff(timezone.now()):
        raise Refused("WebSocket token expired.", 401, reason=f"ws_token {token.pk} expired")
    if not token.user.is_active:
        raise Refused("User inactive.", 403, reason=f"ws_token {token.pk} of an inactive user")
    # As Django logs out a user's sessions on a password change, the change
    # voids the tokens issued before it ("" for a token issued before 5.0 had this check).
    if not constant_time_compare(token.session_auth_hash, token.user.get_session_auth_hash()):
        raise Refused(
            "Password changed; log in again.",
            401,
            reason=f"ws_token {token.pk} issued before the user's password changed",
        )
    return token


def consume_token(token: WebSocketToken) -> None:
    """Mark a checked token used; refuse if another request got there first."""
    now = timezone.now()
    won = WebSocketToken.objects.filter(
        pk=token.pk, used_on__isnull=True, created_on__gt=_expiry_cutoff(now)
    ).update(used_on=now)
    if not won:
        raise Refused(
            "WebSocket token already used.",
            403,
            reason=f"ws_token {token.pk} taken by a concurrent connect",
        )
    token.used_on = now
