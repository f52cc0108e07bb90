"""Deleting rows that no longer serve a purpose: closed sessions, spent tokens, old windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import rate_limit, subscriptions
from .conf import conf
from .models import ConnectionRateLimit, WebSocketSession, WebSocketToken

# The token view's rate limit counts per minute; a younger window may still be counting.


@dataclass(frozen=True)
class SessionCleanup:
    expired: int  # still marked connected, but older than API Gateway allows
    deleted: int


@dataclass(frozen=True)
class TokenCleanup:
    tokens: int
    rate_limits: int


def _deleted(queryset: models.QuerySet[models.Model], model: type[models.Model]) -> int:
    _, per_model = queryset.delete()
    return per_model.get(model._meta.label, 0)


def clear_sessions(
    *, older_than: timedelta | None = None, now: datetime | None = None
) -> SessionCleanup:
    """Expire sessions API Gateway has certainly closed, then delete disconnected ones.

    ``$disconnect`` is best effort, so a row can stay ``connected=True`` after its
    connection is gone; none can outlive ``session_max_age_seconds`` (2 hours).
    With ``older_than``, only rows not updated for that long are deleted.
    """
    now = now or timezone.now()
    max_age = timedelta(seconds=conf.session_max_age_seconds)
    expired = subscriptions.close_sessions(
        WebSocketSession.objects.filter(connected=True, created_on__lt=now - max_age),
        touch=False,
    )
    closed = WebSocketSession.objects.filter(connected=False)
    if older_than is not None:
        closed = closed.filter(updated_on__lt=now - older_than)
    return SessionCleanup(expired=expired, deleted=_deleted(closed, WebSocketSession))


def cleanup_tokens(
    *, token_age: timedelta, rate_limit_age: timedelta, now: datetime | None = None
) -> TokenCleanup:
    """Delete used or expired tokens issued before ``token_age`` ago, and rate-limit
    windows that started before ``rate_limit_age`` ago.

    A token that can still be used, or a window that is still counting, is kept
    whatever the ages say: deleting it would hand out a fresh rate-limit budget.
    """
    now = now or timezone.now()
    expired_before = now - timedelta(seconds=conf.token_expiry_seconds)
    tokens = WebSocketToken.objects.filter(
        Q(used_on__isnull=False) | Q(created_on__lt=expired_before),
        created_on__lt=now - token_age,
    )
    longest_window = max(
        timedelta(minutes=conf.rate_limit_window_minutes),
        timedelta(minutes=rate_limit.TOKEN_WINDOW_MINUTES),
    )
    windows = ConnectionRateLimit.objects.filter(
        window_start__lt=now - max(rate_limit_age, longest_window)
    )
    return TokenCleanup(
        tokens=_deleted(tokens, WebSocketToken),
        rate_limits=_deleted(windows, ConnectionRateLimit),
    )
