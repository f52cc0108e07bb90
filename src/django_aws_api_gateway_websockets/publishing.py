"""``publish``: send to a channel's subscribers with a per-channel ``seq``, and keep the message.

Three queries before the sends, whatever the channel's size: the sequence (one
atomic upsert), the history row, the recipients. The first two share one
transaction, so a rollback undoes both and a ``seq`` is never skipped; the
sends wait for the commit (of the caller's transaction too, if there is one),
so nobody receives a message that is later rolled back.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import NotSupportedError, connections, router, transaction

from . import history, messaging, protocol, tasks, wire
from .channels import validate_channel_name
from .exceptions import InvalidChannelName
from .models import ChannelMessage, ChannelSequence, WebSocketSession
from .models.history import column

# INSERT ... ON CONFLICT ... RETURNING arrived in SQLite 3.35.
SQLITE_MIN_VERSION = (3, 35, 0)


@dataclass(frozen=True)
class PublishResult:
    channel: str
    seq: int
    # Direct sends (fewer recipients than publish_background_threshold).
    sent: messaging.SendResult | None = None
    # Background sends: one task result per chunk of recipients.
    tasks: tuple[tasks.SendTaskResult, ...] = field(default=(), hash=False)
    # Published inside the caller's transaction: the sends run when it commits,
    # and ``sent`` / ``tasks`` stay empty here.
    after_commit: bool = False


def publish(channel: str, data: Any) -> PublishResult:
    """Send ``channel``'s subscribers a ``publish`` frame of ``data``, and keep it.

    Raises ``ValueError`` for a bad channel name or an envelope over
    ``history.MAX_ENVELOPE_BYTES``, ``TypeError`` for data that is not JSON,
    before any query.
    """
    _check_channel(channel)
    data_json = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))
    _check_size(channel, 1, data_json)  # the smallest envelope: refused before any query
    db = router.db_for_write(ChannelMessage)
    with transaction.atomic(using=db):
        seq = next_seq(channel, db)
        # The exact envelope; a refusal here rolls the sequence back with it.
        payload = _check_size(channel, seq, data_json)
        ChannelMessage.objects.using(db).create(channel_name=channel, seq=seq, data=data_json)
    result = PublishResult(channel, seq)
    if connections[db].in_atomic_block:
        transaction.on_commit(lambda: _send(result, payload), using=db, robust=True)
        return PublishResult(channel, seq, after_commit=True)
    return _send(result, payload)


def _send(result: PublishResult, payload: bytes) -> PublishResult:
    sessions = WebSocketSession.objects.in_channel(result.channel)
    sent, queued = tasks.send_or_enqueue(sessions, payload)
    return PublishResult(result.channel, result.seq, sent=sent, tasks=tuple(queued))


def _check_channel(channel: object) -> None:
    """The names a connection can subscribe to; anything else could reach nobody."""
    try:
        validate_channel_name(channel)
    except InvalidChannelName as error:
        raise ValueError(f"{error.message} ({error.reason})") from None


def _check_size(channel: str, seq: int, data_json: str) -> bytes:
    payload = protocol.publish_text(channel, seq, data_json).encode()
    if len(payload) > history.MAX_ENVELOPE_BYTES:
        raise ValueError(
            f"the envelope is {len(payload)} bytes of JSON; at most {history.MAX_ENVELOPE_BYTES} "
            f"(API Gateway's {wire.MAX_PAYLOAD_BYTES}, less the room a resume answer needs)"
        )
    return payload


def next_seq(channel: str, db: str) -> int:
    """Advance ``channel``'s sequence by one and return it, in one atomic statement.

    Concurrent callers each get their own number: PostgreSQL locks the row
    until the transaction ends, SQLite the whole database.
    """
    connection = connections[db]
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < SQLITE_MIN_VERSION:
        raise NotSupportedError(
            f"publish needs SQLite {'.'.join(map(str, SQLITE_MIN_VERSION))} or later "
            f"(INSERT ... ON CONFLICT ... RETURNING); this Python has {sqlite3.sqlite_version}"
        )
    qn = connection.ops.quote_name
    table = qn(ChannelSequence._meta.db_table)
    name, last = (qn(column(ChannelSequence, f)) for f in ("channel_name", "last_seq"))
    sql = (
        f"INSERT INTO {table} ({name}, {last}) VALUES (%s, 1) "
        f"ON CONFLICT ({name}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [channel])
        row = cursor.fetchone()
    return int(row[0])
