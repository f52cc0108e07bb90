"""Deleting rows that no longer serve a purpose: closed sessions, spent tokens, old windows,
channel history beyond its bounds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.utils import timezone

from . import history, rate_limit, subscriptions
from .conf import conf
from .models import (
    ChannelMessage,
    ChannelSequence,
    ConnectionRateLimit,
    LoggedOutSession,
    PresenceAnnouncement,
    WebSocketSession,
    WebSocketToken,
)

# The token view's rate limit counts per minute; a younger window may still be counting.


@dataclass(frozen=True)
class SessionCleanup:
    expired: int  # still marked connected, but older than API Gateway allows
    deleted: int


@dataclass(frozen=True)
class TokenCleanup:
    tokens: int
    rate_limits: int
    # Records of logouts (logouts.py) old enough that no token of theirs can be used.
    logouts: int = 0


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
        reason="expiry",
    )
    closed = WebSocketSession.objects.filter(connected=False)
    if older_than is not None:
        closed = closed.filter(updated_on__lt=now - older_than)
    # A presence announcement past its window, with no flush due, decides
    # nothing any more (coalescing treats it as absent): one row per user and
    # channel would otherwise stay forever.
    PresenceAnnouncement.objects.filter(
        flush_due__isnull=True,
        announced_on__lt=now - timedelta(seconds=conf.presence_coalesce_seconds),
    ).delete()
    return SessionCleanup(expired=expired, deleted=_deleted(closed, WebSocketSession))


def cleanup_tokens(
    *, token_age: timedelta, rate_limit_age: timedelta, now: datetime | None = None
) -> TokenCleanup:
    """Delete used or expired tokens issued before ``token_age`` ago, and rate-limit
    windows that started before ``rate_limit_age`` ago, and the records of
    logouts older than both ``token_age`` and ``token_expiry_seconds``.

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
    # A logout's record refuses the tokens issued in its last instant; once
    # they expired, the flushed session refuses everything by itself.
    logouts = LoggedOutSession.objects.filter(
        logged_out_on__lt=min(expired_before, now - token_age)
    )
    return TokenCleanup(
        tokens=_deleted(tokens, WebSocketToken),
        rate_limits=_deleted(windows, ConnectionRateLimit),
        logouts=_deleted(logouts, LoggedOutSession),
    )


# Channel messages deleted per statement: short locks on a large table, and a
# progress line per batch.
HISTORY_TRIM_BATCH = 5000
TrimProgress = Callable[[str, int], None]


@dataclass(frozen=True)
class HistoryTrim:
    by_age: int  # older than history_max_age_seconds
    by_count: int  # beyond its channel's last history_max_messages (and not counted by age)
    dry_run: bool = False

    @property
    def deleted(self) -> int:
        return self.by_age + self.by_count


def _too_old(now: datetime) -> models.QuerySet[ChannelMessage]:
    return ChannelMessage.objects.filter(created_on__lt=history.oldest_kept(now))


def _beyond_count() -> models.QuerySet[ChannelMessage]:
    last_seq = ChannelSequence.objects.filter(channel_name=OuterRef("channel_name")).values(
        "last_seq"
    )[:1]
    return ChannelMessage.objects.filter(
        seq__lte=Subquery(last_seq) - Value(conf.history_max_messages)
    )


def _delete_in_batches(
    rows: models.QuerySet[ChannelMessage], what: str, progress: TrimProgress | None
) -> int:
    deleted = 0
    while pks := list(rows.order_by().values_list("pk", flat=True)[:HISTORY_TRIM_BATCH]):
        deleted += _deleted(ChannelMessage.objects.filter(pk__in=pks), ChannelMessage)
        if progress is not None:
            progress(what, deleted)
    return deleted


def trim_channel_history(
    *, dry_run: bool = False, now: datetime | None = None, progress: TrimProgress | None = None
) -> HistoryTrim:
    """Delete the channel messages resume would no longer serve.

    ``progress(what, deleted_so_far)`` is called after each batch ("age" first,
    then "count"). Sequences are kept: a channel's ``seq`` never starts over.
    """
    now = now or timezone.now()
    if dry_run:
        old = _too_old(now)
        return HistoryTrim(
            by_age=old.count(),
            by_count=_beyond_count().exclude(pk__in=old.values("pk")).count(),
            dry_run=True,
        )
    by_age = _delete_in_batches(_too_old(now), "age", progress)
    return HistoryTrim(
        by_age=by_age, by_count=_delete_in_batches(_beyond_count(), "count", progress)
    )
