"""Background sends on Django's Tasks framework.

``enqueue_message`` is the caller's part: encode the message (a bad one raises
here, not in a worker), read the recipients' primary keys in one query, and
enqueue one ``send_chunk`` task per ``conf.enqueue_chunk_size`` of them. The
caller's cost is that query plus one enqueue per chunk, whatever the transport.

``reconcile_connections`` is the periodic repair of rows whose ``$disconnect``
was lost, and ``trim_channel_history`` the periodic trim of channel history,
for a scheduler to enqueue (see docs/admin.md).

``send_chunk`` is the worker's part: it sends through ``messaging`` exactly as a
direct send does, so the rows still connected when it runs are sent to, gone
rows are marked closed and failures are logged the same way.

Django 6.0 ships the framework as ``django.tasks``; on Django 5.2 the
``django-tasks`` backport provides the same API under ``django_tasks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import QuerySet

from . import cleanup, messaging
from .conf import conf
from .models import WebSocketSession

if TYPE_CHECKING or find_spec("django.tasks"):
    from django.tasks import TaskResult, task
    from django.tasks.backends.immediate import ImmediateBackend
else:  # Django 5.2
    from django_tasks import TaskResult, task
    from django_tasks.backends.immediate import ImmediateBackend

Summary = dict[str, Any]
if TYPE_CHECKING:  # the framework's classes are not subscriptable the same way everywhere
    SendTaskResult = TaskResult[..., Summary]


@task()
def send_chunk(payload: str, session_pks: str, using: str) -> Summary:
    """Send ``payload`` (JSON text) to the connected rows among ``session_pks``.

    The primary keys travel as one comma-separated string: the framework checks
    every element of a list argument (several times per enqueue), which for a
    thousand ids costs more than all the rest of the caller's work.
    """
    data = payload.encode()
    pks = [int(pk) for pk in session_pks.split(",") if pk]
    step = messaging.max_query_params(using, reserved=1) or len(pks) or 1
    result = messaging.SendResult()
    for start in range(0, len(pks), step):
        rows = WebSocketSession.objects.using(using).filter(pk__in=pks[start : start + step])
        result += messaging.send_payload(rows, data)
    return summary(result)


@task()
def reconcile_connections(gateway_pk: int | None = None, channel: str | None = None) -> Summary:
    """``reconcile()`` the connected rows (of one gateway, of one channel) in a worker."""
    rows = WebSocketSession.objects.all()
    if gateway_pk is not None:
        rows = rows.filter(api_gateway_id=gateway_pk)
    if channel is not None:
        rows = rows.in_channel(channel)
    result = rows.reconcile()
    return {
        "alive": result.alive,
        "gone": result.gone,
        "pending": result.pending,
        "failed": result.failed,
        "errors": dict(result.errors),
    }


@task()
def trim_channel_history() -> Summary:
    """Delete channel messages beyond ``history_max_messages`` or ``history_max_age_seconds``.

    For a scheduler to enqueue (see docs/admin.md, "Channel history"); resume
    already ignores such rows, so this only keeps the table small.
    """
    result = cleanup.trim_channel_history()
    return {"by_count": result.by_count, "by_age": result.by_age, "deleted": result.deleted}


@task()
def flush_presence(channel: str, user_id: str, using: str) -> Summary:
    """Announce one user's presence in ``channel`` at the end of a coalescing window."""
    from .coalescing import flush  # coalescing enqueues this task

    return flush(channel, user_id, using)


def summary(result: messaging.SendResult) -> Summary:
    """What a task returns (task results must be JSON): counts, and why each failure failed."""
    return {
        "sent": result.sent,
        "gone": result.gone,
        "pending": result.pending,
        "failed": result.failed,
        "errors": dict(result.errors),
    }


def _primary_keys(rows: QuerySet[WebSocketSession]) -> list[int]:
    """The rows' primary keys, in one query and one fetch.

    Django's own iteration costs a few microseconds per row, more than the
    query itself for tens of thousands of ids, so the statement Django builds is
    run on a plain cursor.
    """
    try:
        sql, params = rows.values_list("pk").query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:  # e.g. .none(): nothing to ask the database
        return []
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        # A filter across a relation can repeat a row; dropping repeats here
        # is cheaper than a DISTINCT.
        return list(dict.fromkeys(pk for (pk,) in cursor.fetchall()))


def enqueue_message(
    sessions: QuerySet[WebSocketSession] | WebSocketSession, data: Any
) -> list[SendTaskResult]:
    """Enqueue the sending of ``data`` to every connected row; one task result per chunk.

    No task is enqueued when nobody is connected. Raises ``ValueError`` (too
    large) or ``TypeError`` (not JSON) before any query.
    """
    payload = messaging.encode_message(data).decode()  # compact JSON is ASCII
    if isinstance(sessions, WebSocketSession):
        pks = [sessions.pk] if sessions.pk is not None and sessions.connected else []
        db = sessions._state.db or WebSocketSession.objects.db
    else:
        rows = messaging.filterable(sessions).filter(connected=True).order_by()
        pks = _primary_keys(rows)
        db = sessions.db
    return enqueue_payload(payload, pks, db)


def send_or_enqueue(
    sessions: QuerySet[WebSocketSession], payload: bytes
) -> tuple[messaging.SendResult | None, list[SendTaskResult]]:
    """Send ``payload`` to the connected rows here, or from tasks for a large audience.

    Fewer recipients than ``publish_background_threshold``: sent in this call
    (the ``SendResult``, no tasks); more: one task per chunk (``None``, the task
    results). The rows are read once either way.
    """
    recipients = messaging.load_recipients(sessions)
    if len(recipients.pks) < conf.publish_background_threshold:
        return messaging.deliver_payload(recipients, payload), []
    return None, enqueue_payload(payload.decode(), recipients.pks, sessions.db)


def enqueue_payload(payload: str, pks: Sequence[int], db: str) -> list[SendTaskResult]:
    """One ``send_chunk`` task per ``conf.enqueue_chunk_size`` of ``pks``, all sending ``payload``.

    For callers that already read the recipients (``publish``): no query of its own.
    """
    chunk = conf.enqueue_chunk_size
    sender = send_chunk.using(backend=conf.enqueue_backend, queue_name=conf.enqueue_queue_name)
    # A database-backed backend writes one row per task: one commit for them all
    # (an fsync each would cost more than everything else), and all or none.
    # The immediate backend sends right here: a transaction around that would
    # hold the gone rows' UPDATE locks through every later chunk's network calls.
    stores_tasks = not isinstance(sender.get_backend(), ImmediateBackend)
    with transaction.atomic() if stores_tasks else nullcontext():
        return [
            sender.enqueue(payload, ",".join(map(str, pks[i : i + chunk])), db)
            for i in range(0, len(pks), chunk)
        ]
