"""One user's presence events in one channel: at most one send per window, last state always.

Without this, a page toggling a subscription makes every toggle an event to
every other member (10 toggles in a channel of 20: 200 Management API posts).

For each (channel, user), ``PresenceAnnouncement`` keeps the last event sent
and when. A change (``subscriptions`` decided it: first connection joined, or
last one left) is

- sent at once when nothing was sent for that user there in the last
  ``presence_coalesce_seconds`` (the leading edge: a lone join or leave is not
  delayed);
- otherwise held, and a ``flush_presence`` task is enqueued for the end of the
  window (once; later changes in the same window find it due already).

The flush sends nothing about the changes themselves: it counts the user's
memberships then, and sends ``member_added`` or ``member_removed`` only if that
differs from the last event sent. So however the changes interleave, the last
event the other members get matches the final state, and a flush that runs
late, or twice, sends nothing wrong. The decisions run under the same
(channel, user) lock as ``subscriptions``' counts, in the same transaction.

Holding needs a Tasks backend that can run a task later (``supports_defer``,
e.g. a database or queue backend); with one that cannot (Django's immediate
backend), every change is sent at once, as with ``presence_coalesce_seconds = 0``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import tasks
from .conf import conf
from .models import ChannelMembership, PresenceAnnouncement
from .presence import announce
from .subscriptions import MEMBER_ADDED, MEMBER_REMOVED, PresenceChange, presence_counts


def _flush_task() -> Any:
    return flush_presence.using(backend=conf.enqueue_backend, queue_name=conf.enqueue_queue_name)


def can_hold_back() -> bool:
    """Is coalescing on: a window above 0, and a Tasks backend that can run a task later?"""
    return conf.presence_coalesce_seconds > 0 and bool(_flush_task().get_backend().supports_defer)


def hold_back(changes: list[PresenceChange], db: str) -> list[PresenceChange]:
    """The changes to send now; the others are held for a flush at the end of their window.

    Called inside the transaction that made the changes, under their locks.
    """
    if not can_hold_back():
        return changes
    now = timezone.now()
    window = timedelta(seconds=conf.presence_coalesce_seconds)
    send_now = []
    for change in changes:
        row = _announcement(change.channel, change.user_id, db)
        if row is not None and row.flush_due is not None and now < row.flush_due:
            continue  # the flush already due will announce the state then
        if row is None or now >= row.announced_on + window:
            PresenceAnnouncement.objects.using(db).update_or_create(
                channel_name=change.channel,
                user_id=change.user_id,
                defaults={"event": change.event, "announced_on": now, "flush_due": None},
            )
            send_now.append(change)
            continue
        row.flush_due = row.announced_on + window
        row.save(using=db, update_fields=["flush_due"])
        _flush_after_commit(change.channel, change.user_id, row.flush_due, db)
    return send_now


def announce_after_commit(changes: list[PresenceChange], using: str) -> None:
    """Hold back what a window holds; send the rest once the transaction commits.

    The app's receiver of ``signals.membership_changed``: called inside the
    transaction that made the changes, under their locks.
    """
    changes = hold_back(changes, using)
    if changes:
        transaction.on_commit(lambda: announce(changes), using=using, robust=True)


def flush(channel: str, user_id: Any, using: str) -> dict[str, Any]:
    """Announce the user's state in ``channel`` if it differs from the last event sent."""
    with transaction.atomic(using=using):
        present = any(presence_counts([(channel, user_id)], using).values())
        row = _announcement(channel, user_id, using)
        if row is None:
            return {"sent": None}
        event = MEMBER_ADDED if present else MEMBER_REMOVED
        row.flush_due = None
        changed = event != row.event
        if changed:
            row.event, row.announced_on = event, timezone.now()
        row.save(using=using)
        if changed:
            info = _latest_info(channel, row.user_id, using) if present else None
            change = PresenceChange(channel, event, row.user_id, info)
            transaction.on_commit(lambda: announce([change]), using=using, robust=True)
    return {"sent": event if changed else None}


@tasks.task()
def flush_presence(channel: str, user_id: str, using: str) -> tasks.Summary:
    """Announce one user's presence in ``channel`` at the end of a coalescing window.

    Declared here, not in ``tasks``: ``tasks`` sits below this module.
    """
    return flush(channel, user_id, using)


def _announcement(channel: str, user_id: Any, db: str) -> PresenceAnnouncement | None:
    return (
        PresenceAnnouncement.objects.using(db).filter(channel_name=channel, user_id=user_id).first()
    )


def _latest_info(channel: str, user_id: Any, db: str) -> Any:
    """The presence info of the user's connection that joined last (as the member list shows)."""
    return (
        ChannelMembership.objects.using(db)
        .filter(
            channel_name=channel,
            user_id=user_id,
            presence_info__isnull=False,
            session__connected=True,
        )
        .order_by("-joined_on", "-pk")
        .values_list("presence_info", flat=True)
        .first()
    )


def _flush_after_commit(channel: str, user_id: Any, due: datetime, db: str) -> None:
    def enqueue() -> None:
        # The user's primary key as text: task arguments must be JSON (a UUID is not).
        _flush_task().using(run_after=due).enqueue(channel, str(user_id), db)

    transaction.on_commit(enqueue, using=db, robust=True)
