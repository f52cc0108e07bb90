"""Which channels a connection is in: joining, leaving, revoking, and leaving all on close.

Every channel a connection is in has a ``ChannelMembership`` row; a closed
connection has none. ``close_sessions`` is the one way to mark sessions
closed, so every close path (``$disconnect``, a send that finds a connection
gone, ``reconcile()``, ``close_connections``, expiry) removes memberships too.

A membership of a presence channel carries ``presence_info``. Whether a join
is the user's first connection in that channel (``member_added``), or a leave
the last (``member_removed``), is decided exactly once per user and channel,
even when two tabs join or leave at the same instant:

1. the write comes first (``INSERT``/``DELETE ... RETURNING``);
2. on PostgreSQL, a transaction-scoped advisory lock per (channel, user) is
   then taken, in a fixed order, and held until commit;
3. only then are the user's remaining memberships counted.

The second of two concurrent transactions counts after the first committed
(it waited for the lock), and the first counts while the second's row is still
there (written but not committed, or not yet deleted), so exactly one of them
sees "first" or "last". SQLite lets one writer in at a time, which gives the
same order. Each decision is announced by the ``signals.membership_changed``
signal, still under the locks; presence's receiver sends the events after the
transaction commits (``coalescing``, ``presence``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import connections, router, transaction
from django.db.models import Count, Field, QuerySet
from django.utils import timezone

from . import protocol
from .conf import conf
from .exceptions import TooManyChannels
from .hashing import advisory_lock_key
from .models import ChannelMembership, WebSocketSession
from .signals import membership_changed

# What a membership DELETE returns (and what _after_leaving reads, without the session).
_DELETE_RETURNS = ("session", "channel_name", "user", "presence_info")
MEMBER_ADDED = "member_added"
MEMBER_REMOVED = "member_removed"


@dataclass(frozen=True)
class PresenceChange:
    """A user's first connection joined a presence channel, or the last one left."""

    channel: str
    event: str  # MEMBER_ADDED or MEMBER_REMOVED
    user_id: Any
    info: Any = None  # presence_info of the joining connection (MEMBER_ADDED)
    # Not told about it: the joining connection, which gets the member list instead.
    exclude_session: int | None = None


def join(
    session: WebSocketSession,
    channels: Mapping[str, Mapping[str, Any] | None],
    *,
    limit: int | None = None,
) -> list[str]:
    """Make ``session`` a member of each channel (value: presence info, or None).

    Returns the channels it was not already in. With ``limit``, raises
    ``TooManyChannels`` (nothing joined) if the session would then be in more
    channels than that.
    """
    channels = {name: info for name, info in channels.items() if name}
    if not channels:
        return []
    db = router.db_for_write(ChannelMembership)
    presence = session.user_id is not None and any(v is not None for v in channels.values())
    # One INSERT needs no transaction of its own: $connect stays free of BEGIN/COMMIT.
    # Going over the limit rolls back to a savepoint: a caller's transaction goes on.
    if limit is not None or presence:
        block: Any = transaction.atomic(using=db, savepoint=limit is not None)
    else:
        block = nullcontext()
    with block:
        joined = _insert(session, channels, db)
        if limit is not None and joined:
            _check_limit(session, limit, db)
        pairs = [(name, session.user_id) for name in joined if channels[name] is not None]
        if presence and pairs:
            counts = _counts_after_lock(pairs, db)
            _announce_after_commit(
                [
                    PresenceChange(name, MEMBER_ADDED, user, channels[name], session.pk)
                    for name, user in pairs
                    if counts.get((name, user), 0) == 1
                ],
                db,
            )
    return joined


def leave(session: WebSocketSession, channel: str) -> bool:
    """Take ``session`` out of ``channel``; False if it was not in it."""
    db = router.db_for_write(ChannelMembership)
    table, column = _membership_sql(db)
    sql = (
        f"DELETE FROM {table} WHERE {column('session')} = %s AND {column('channel_name')} = %s "
        f"RETURNING {column('channel_name')}, {column('user')}, {column('presence_info')}"
    )
    with transaction.atomic(using=db, savepoint=False):
        left = _run(db, sql, [session.pk, channel])
        _after_leaving(left, db)
    return bool(left)


def close_sessions(rows: QuerySet[WebSocketSession], *, touch: bool = True) -> int:
    """Mark ``rows`` ``connected=False`` and take them out of every channel; rows updated.

    ``touch=False`` leaves ``updated_on`` as it was (expiry: the row's last
    activity is what the cleanup's ``older_than`` compares).

    The memberships go first and the presence counts last, after the sessions'
    UPDATE, so that the advisory locks are the last locks this transaction takes.
    """
    db, rows = _for_writing(rows)
    delete = _membership_delete(rows, db)
    if delete is None:  # .none(): nothing to close
        return 0
    with transaction.atomic(using=db, savepoint=False):
        left = [row[1:] for row in _run(db, *delete)]
        changes: dict[str, Any] = {"connected": False}
        if touch:
            changes["updated_on"] = timezone.now()
        closed = rows.update(**changes)
        _after_leaving(left, db)
    return closed


def revoke(
    channel: str,
    *,
    user: Any = None,
    sessions: QuerySet[WebSocketSession] | None = None,
) -> int:
    """Take connections out of ``channel`` now; the number taken out.

    ``user``: every connection of that user; ``sessions``: those of the
    queryset; both: the user's among them. Neither is a ``TypeError``, never
    "everyone": to revoke every connection, pass
    ``sessions=WebSocketSession.objects.all()``.

    Deletes the memberships and blanks a ``channel_name`` (the $connect
    channel) equal to ``channel``, so that neither ``publish`` nor
    ``in_channel()`` reaches them. After the commit, each connection taken out
    receives ``protocol.revoked(channel)``, and a presence channel's other members
    ``member_removed`` for a user with no connection left in it. It does not
    stop a new join: the channel rules decide that.
    """
    if not isinstance(channel, str) or not channel:
        raise ValueError(f"revoke() needs a channel name, not {channel!r}")
    if user is None and sessions is None:
        raise TypeError(
            "revoke() needs user= or sessions=; to revoke every connection, "
            "pass sessions=WebSocketSession.objects.all()"
        )
    if sessions is not None and not isinstance(sessions, QuerySet):
        raise TypeError(f"revoke(sessions=...) needs a queryset, not {type(sessions).__name__}")
    if user is not None and getattr(user, "pk", None) is None:
        raise ValueError("revoke(user=...) needs a saved user")
    db, rows = _for_writing(sessions if sessions is not None else WebSocketSession.objects.all())
    if user is not None:
        rows = rows.filter(user_id=user.pk)
    delete = _membership_delete(rows, db, channel)
    if delete is None:  # .none(): nothing to revoke
        return 0
    with transaction.atomic(using=db, savepoint=False):
        # Read before the DELETE: ``sessions`` may select through the memberships.
        primary = set(
            rows.filter(channel_name=channel, connected=True).values_list("pk", flat=True)
        )
        deleted = _run(db, *delete)
        if primary:
            WebSocketSession.objects.using(db).filter(pk__in=primary).update(
                channel_name="", updated_on=timezone.now()
            )
        revoked = primary | {session for session, *_ in deleted}
        if revoked:
            transaction.on_commit(
                lambda: _tell_revoked(channel, revoked, db), using=db, robust=True
            )
        _after_leaving([row[1:] for row in deleted], db)
    return len(revoked)


# Internals


def _for_writing(
    rows: QuerySet[WebSocketSession],
) -> tuple[str, QuerySet[WebSocketSession]]:
    # A queryset not pinned with using() reads from the read database: these are writes.
    db = getattr(rows, "_db", None) or router.db_for_write(WebSocketSession)
    return db, rows.using(db)


def _membership_delete(
    rows: QuerySet[WebSocketSession], db: str, channel: str | None = None
) -> tuple[str, list[Any]] | None:
    """``DELETE`` of ``rows``' memberships (of ``channel`` only, if given), and its parameters.

    It returns (session, channel_name, user, presence_info) per row deleted.
    None when ``rows`` is ``.none()``.
    """
    try:
        sessions_sql, params = rows.order_by().values("pk").query.get_compiler(using=db).as_sql()
    except EmptyResultSet:
        return None
    table, column = _membership_sql(db)
    where = f"{column('session')} IN ({sessions_sql})"
    if channel is not None:
        where = f"{column('channel_name')} = %s AND {where}"
        params = (channel, *params)
    returning = ", ".join(column(name) for name in _DELETE_RETURNS)
    return f"DELETE FROM {table} WHERE {where} RETURNING {returning}", list(params)


def _membership_sql(db: str) -> tuple[str, Any]:
    quote = connections[db].ops.quote_name
    meta = ChannelMembership._meta

    def column(name: str) -> str:
        return quote(str(cast("Field[Any, Any]", meta.get_field(name)).column))

    return quote(meta.db_table), column


def _run(db: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _insert(
    session: WebSocketSession, channels: Mapping[str, Mapping[str, Any] | None], db: str
) -> list[str]:
    """One ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: the channels newly joined."""
    connection = connections[db]
    table, column = _membership_sql(db)
    info_field = ChannelMembership._meta.get_field("presence_info")
    now = timezone.now()
    names = ["session", "channel_name", "user", "presence_info", "joined_on"]
    rows: list[Any] = []
    for name, info in channels.items():
        rows += [
            session.pk,
            name,
            session.user_id,
            # SQL NULL, not JSON null, for a plain channel: "IS NULL" tells them apart.
            None if info is None else info_field.get_db_prep_save(dict(info), connection),
            ChannelMembership._meta.get_field("joined_on").get_db_prep_save(now, connection),
        ]
    values = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(channels))
    sql = (
        f"INSERT INTO {table} ({', '.join(column(n) for n in names)}) VALUES {values} "
        f"ON CONFLICT ({column('channel_name')}, {column('session')}) DO NOTHING "
        f"RETURNING {column('channel_name')}"
    )
    inserted = {name for (name,) in _run(db, sql, rows)}
    return [name for name in channels if name in inserted]


def _check_limit(session: WebSocketSession, limit: int, db: str) -> None:
    count = ChannelMembership.objects.using(db).filter(session_id=session.pk).count()
    if count > limit:
        # Raised inside join's transaction: the new memberships are rolled back.
        raise TooManyChannels(
            f"A connection may be in at most {limit} channels.",
            reason=f"would be in {count} channels (max_channels_per_connection={limit})",
        )


def _after_leaving(left: Iterable[tuple[Any, ...]], db: str) -> None:
    """Announce ``member_removed`` for each user whose last connection in a channel left."""
    pairs = sorted(
        # Plain columns only: SQLite 3.40 answers "presence_info IS NULL" wrongly
        # in a DELETE's RETURNING.
        {(channel, user) for channel, user, info in left if info is not None and user},
        key=repr,
    )
    if not pairs:
        return
    counts = _counts_after_lock(pairs, db)
    _announce_after_commit(
        [
            PresenceChange(channel, MEMBER_REMOVED, user)
            for channel, user in pairs
            if counts.get((channel, user), 0) == 0
        ],
        db,
    )


def _counts_after_lock(pairs: Sequence[tuple[str, Any]], db: str) -> dict[tuple[str, Any], int]:
    """Each (channel, user)'s presence memberships on open connections, counted under the lock."""
    if connections[db].vendor == "postgresql":
        # Sorted, so two transactions that need the same keys take them in one order.
        keys = sorted({advisory_lock_key(channel, user) for channel, user in pairs})
        _run(db, "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [keys])
    rows = (
        ChannelMembership.objects.using(db)
        .filter(
            channel_name__in={channel for channel, _ in pairs},
            user_id__in={user for _, user in pairs},
            presence_info__isnull=False,
            session__connected=True,
        )
        .order_by()
        .values_list("channel_name", "user_id")
        .annotate(count=Count("pk"))
    )
    return {(channel, user): count for channel, user, count in rows}


def presence_counts(pairs: Sequence[tuple[str, Any]], db: str) -> dict[tuple[str, Any], int]:
    """Each (channel, user)'s presence memberships, counted under their lock (in a transaction)."""
    return _counts_after_lock(pairs, db)


def _announce_after_commit(changes: list[PresenceChange], db: str) -> None:
    if changes:
        # Under the locks still: presence's receiver decides what to send now
        # and sends it once the transaction commits (docs/channels.md).
        membership_changed.send(sender=ChannelMembership, changes=changes, using=db)


def _tell_revoked(channel: str, session_pks: set[int], db: str) -> None:
    # Through the queryset's send_message / enqueue_message: messaging and tasks
    # are built on this module, which never imports them. As publish does, a
    # large audience is sent to from background tasks.
    rows = WebSocketSession.objects.using(db).filter(pk__in=session_pks)
    if len(session_pks) < conf.publish_background_threshold:
        rows.send_message(protocol.revoked(channel))
    else:
        rows.enqueue_message(protocol.revoked(channel))
