"""Channel history: its bounds, and resume's read.

A channel keeps the messages whose ``seq`` is among its last
``conf.history_max_messages`` and that are younger than
``conf.history_max_age_seconds``. ``read_missed`` applies both bounds in its
query, so a message outside them is never served, whether or not the trim
(``cleanup.trim_channel_history``) has deleted it yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router
from django.utils import timezone

from . import protocol, wire
from .conf import conf
from .models import ChannelMessage, ChannelSequence
from .models.history import CHANNEL_NAME_LENGTH, column

# The largest seq a BigIntegerField holds.
MAX_SEQ = 2**63 - 1


# Room a resume answer needs around its envelopes, at its widest: the longest
# channel, the widest seqs, "more": false and the longest ack.
RESUME_FRAME_OVERHEAD = len(
    protocol.resumed_text(
        "x" * CHANNEL_NAME_LENGTH,
        last_seq=MAX_SEQ,
        more=False,
        messages=[],
        message_id="x" * protocol.MESSAGE_ID_MAX_LENGTH,
    )
)
# So that any one published message can also be served by resume, alone in its frame.
MAX_ENVELOPE_BYTES = wire.MAX_PAYLOAD_BYTES - RESUME_FRAME_OVERHEAD


def oldest_kept(now: datetime | None = None) -> datetime:
    """Messages created before this are outside the history."""
    return (now or timezone.now()) - timedelta(seconds=conf.history_max_age_seconds)


@dataclass(frozen=True)
class Missed:
    """What resume found for one channel after ``after``."""

    channel: str
    after: int
    last_seq: int
    # Envelopes (JSON text) in seq order, from after + 1 on, contiguous.
    envelopes: tuple[str, ...] = ()
    more: bool = False
    # The history no longer reaches back to after + 1 (or after is past last_seq).
    failed: bool = False

    def answer(self, message_id: str | None = None) -> str:
        """The answer as JSON text, acknowledging ``message_id`` when given."""
        if self.failed:
            return protocol.resume_failed_text(
                self.channel, after=self.after, last_seq=self.last_seq, message_id=message_id
            )
        return protocol.resumed_text(
            self.channel,
            last_seq=self.last_seq,
            more=self.more,
            messages=self.envelopes,
            message_id=message_id,
        )


def _missed_sql(db: str) -> str:
    qn = connections[db].ops.quote_name
    sequences = qn(ChannelSequence._meta.db_table)
    messages = qn(ChannelMessage._meta.db_table)
    channel, last_seq = (
        qn(column(ChannelSequence, "channel_name")),
        qn(column(ChannelSequence, "last_seq")),
    )
    m_channel = qn(column(ChannelMessage, "channel_name"))
    seq, data, created = (
        qn(column(ChannelMessage, name)) for name in ("seq", "data", "created_on")
    )
    # The sequence row drives the read so that its last_seq comes back even when
    # no message qualifies: that tells "nothing missed" (after == last_seq) from
    # "history trimmed" (after < last_seq, yet no row after + 1).
    return (
        f"SELECT s.{last_seq}, m.{seq}, m.{data} FROM {sequences} s "
        f"LEFT JOIN {messages} m ON m.{m_channel} = s.{channel} AND m.{seq} > %s "
        f"AND m.{seq} > s.{last_seq} - %s AND m.{created} >= %s "
        f"WHERE s.{channel} = %s ORDER BY m.{seq} LIMIT %s"
    )


def read_missed(channel: str, after: int, *, now: datetime | None = None) -> Missed:
    """The messages of ``channel`` after seq ``after``, in one query.

    At most ``conf.resume_max_messages`` of them and no more than fit in one
    frame with the answer around them (``more`` says there are others).
    """
    limit = conf.resume_max_messages
    # The database publish writes to: a lagging replica would answer with an
    # older last_seq than the page has already seen live.
    db = router.db_for_write(ChannelMessage)
    params: list[Any] = [after, conf.history_max_messages, oldest_kept(now), channel, limit + 1]
    with connections[db].cursor() as cursor:
        cursor.execute(_missed_sql(db), params)
        rows: list[tuple[int, int | None, str | None]] = cursor.fetchall()
    last_seq = rows[0][0] if rows else 0
    if after > last_seq:
        # A seq this channel never handed out: the page's state comes from another history.
        return Missed(channel, after, last_seq, failed=True)
    if after == last_seq:
        return Missed(channel, after, last_seq)
    return _page(channel, after, last_seq, rows)


def seq_before_recent(channel: str, count: int) -> int:
    """The ``after`` whose resume serves ``channel``'s last ``count`` kept messages.

    For a page that shows a channel's recent messages on load: render this and
    pass it to ``GatewaySocket.subscribe(channel, {after})``. With none kept,
    the channel's last seq (0 if it never had one), so that the page still
    resumes from there after a reconnect.
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    # Where publish writes and resume reads (read_missed): a lagging replica
    # would start the page further back than ``count``.
    db = router.db_for_write(ChannelMessage)
    last_seq = (
        ChannelSequence.objects.using(db)
        .filter(channel_name=channel)
        .values_list("last_seq", flat=True)
        .first()
    ) or 0
    kept = (
        ChannelMessage.objects.using(db)
        .filter(
            channel_name=channel,
            seq__gt=last_seq - conf.history_max_messages,
            created_on__gte=oldest_kept(),
        )
        .order_by("-seq")
        .values_list("seq", flat=True)[:count]
    )
    return min(kept, default=last_seq + 1) - 1


def _page(
    channel: str, after: int, last_seq: int, rows: list[tuple[int, int | None, str | None]]
) -> Missed:
    budget = wire.MAX_PAYLOAD_BYTES - RESUME_FRAME_OVERHEAD
    envelopes: list[str] = []
    expected = after + 1
    for _, seq, data in rows[: conf.resume_max_messages]:
        if seq != expected or data is None:
            break  # trimmed (or, after a trim by age, a hole): serve up to it
        text = protocol.publish_text(channel, seq, data)
        budget -= len(text) + (1 if envelopes else 0)  # and the comma before it
        if budget < 0:
            break
        envelopes.append(text)
        expected += 1
    if not envelopes:
        # Row after + 1 is gone. (Every stored envelope fits a frame alone:
        # publish refuses any larger than MAX_ENVELOPE_BYTES.)
        return Missed(channel, after, last_seq, failed=True)
    served = after + len(envelopes)
    return Missed(channel, after, last_seq, tuple(envelopes), more=served < last_seq)
