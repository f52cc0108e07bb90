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
rows are marked closed and failures are logged the same way. Recipients it
could not reach for a reason that may pass are enqueued again, later.

Django 6.0 ships the framework as ``django.tasks``; on Django 5.2 the
``django-tasks`` backport provides the same API under ``django_tasks``.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import timedelta
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import cleanup, log_context, messaging
from .conf import conf
from .delivery import DeliveryReport
from .log_context import get_logger
from .models import ApiGateway, ReconcileRun, WebSocketSession

if TYPE_CHECKING or find_spec("django.tasks"):
    # ``task`` is re-exported: coalescing declares its task with it.
    from django.tasks import TaskResult
    from django.tasks import task as task
    from django.tasks.backends.immediate import ImmediateBackend
else:  # Django 5.2
    from django_tasks import TaskResult
    from django_tasks import task as task
    from django_tasks.backends.immediate import ImmediateBackend

logger = get_logger(__name__)

# Undelivered ids named in the give-up log line and result; the rest are counted.
_LOGGED_IDS = 5

Summary = dict[str, Any]
if TYPE_CHECKING:  # the framework's classes are not subscriptable the same way everywhere
    SendTaskResult = TaskResult[..., Summary]


@task()
def send_chunk(payload: str, session_pks: str, using: str, requeues: int = 0) -> Summary:
    """Send ``payload`` (from ``pack_payload``) to the connected rows among ``session_pks``.

    The primary keys travel as one comma-separated string: the framework checks
    every element of a list argument (several times per enqueue), which for a
    thousand ids costs more than all the rest of the caller's work.

    Recipients not reached for a reason that may pass (throttling past
    ``send_throttle_timeout_seconds``, a 5xx, a timeout) are enqueued again
    after ``enqueue_requeue_delay_seconds``, up to ``enqueue_max_requeues``
    times; past that, or on a backend that cannot delay a task, they are given
    up: logged as an error and counted in the result's ``given_up``.
    """
    data = unpack_payload(payload)
    pks = [int(pk) for pk in session_pks.split(",") if pk]
    step = messaging.max_query_params(using, reserved=1) or len(pks) or 1
    result = DeliveryReport()
    for start in range(0, len(pks), step):
        rows = WebSocketSession.objects.using(using).filter(pk__in=pks[start : start + step])
        result += messaging.send_payload(rows, data)
    # ``as_summary()``, plus ``requeued`` (and ``requeued_task``) or ``given_up``
    # (and its first ``given_up_ids``) when some failures may pass.
    outcome = result.as_summary()
    if result.retryable_ids:
        outcome.update(_requeue_or_give_up(result, payload, pks, using, requeues))
    return outcome


def _requeue_or_give_up(
    result: DeliveryReport, payload: str, pks: list[int], using: str, requeues: int
) -> Summary:
    undelivered = list(result.retryable_ids)
    sender = send_chunk.using(backend=conf.enqueue_backend, queue_name=conf.enqueue_queue_name)
    if requeues < conf.enqueue_max_requeues and sender.get_backend().supports_defer:
        retry_pks = _pks_of(undelivered, pks, using)
        run_after = timezone.now() + timedelta(seconds=conf.enqueue_requeue_delay_seconds)
        later = sender.using(run_after=run_after).enqueue(
            payload, ",".join(map(str, retry_pks)), using, requeues + 1
        )
        logger.info(
            "send_chunk: %d of %d connection(s) not reached yet; enqueued again (task %s, "
            "requeue %d of %d)",
            len(undelivered),
            len(pks),
            later.id,
            requeues + 1,
            conf.enqueue_max_requeues,
        )
        return {"requeued": len(retry_pks), "requeued_task": later.id}
    more = ", ..." if len(undelivered) > _LOGGED_IDS else ""
    named = ", ".join(undelivered[:_LOGGED_IDS]) + more
    logger.error(
        "send_chunk gave up on %d of %d connection(s) after %d requeue(s) [%s]: %s",
        len(undelivered),
        len(pks),
        requeues,
        named,
        result.errors[undelivered[0]],
    )
    return {"given_up": len(undelivered), "given_up_ids": undelivered[:_LOGGED_IDS]}


def _pks_of(connection_ids: Sequence[str], pks: Sequence[int], using: str) -> list[int]:
    """The primary keys, among ``pks``, of the rows with these connection ids (one query)."""
    rows = WebSocketSession.objects.using(using).filter(connection_id__in=connection_ids)
    wanted = set(pks)
    return [pk for pk in rows.values_list("pk", flat=True) if pk in wanted]


# A payload in task arguments: compressed, then base64. JSON text is escaped
# again inside the task's own JSON (a 128 KB message of quotes became 256 KB),
# past SQS's 256 KB message limit; this form stays under 176 KB for any
# message API Gateway accepts. JSON text never starts with this prefix, so a
# task enqueued by an older version (plain JSON text) still runs.
_PACKED = "zlib64:"


def pack_payload(payload: bytes) -> str:
    """``payload`` as ``send_chunk`` takes it."""
    return _PACKED + base64.b64encode(zlib.compress(payload, 6)).decode("ascii")


def unpack_payload(packed: str) -> bytes:
    """The bytes ``pack_payload`` was given (or plain JSON text, as older versions passed)."""
    if packed.startswith(_PACKED):
        return zlib.decompress(base64.b64decode(packed[len(_PACKED) :]))
    return packed.encode()


@task()
def reconcile_connections(gateway_pk: int | None = None, channel: str | None = None) -> Summary:
    """``reconcile()`` the connected rows (of one gateway, of one channel) in a worker."""
    rows = WebSocketSession.objects.all()
    if gateway_pk is not None:
        rows = rows.filter(api_gateway_id=gateway_pk)
    if channel is not None:
        rows = rows.in_channel(channel)
    started_on = timezone.now()
    # Its log lines name the gateway it reconciles (docs/logging.md).
    with log_context.bound(gateway=_api_id(gateway_pk)):
        result = rows.reconcile()
    ReconcileRun.record(
        result,
        gateway_pk=gateway_pk,
        channel=channel,
        started_on=started_on,
        finished_on=timezone.now(),
    )
    return result.as_summary()


def _api_id(gateway_pk: int | None) -> str | None:
    if gateway_pk is None:
        return None
    return ApiGateway.objects.filter(pk=gateway_pk).values_list("api_id", flat=True).first()


@task()
def trim_channel_history() -> Summary:
    """Delete channel messages beyond ``history_max_messages`` or ``history_max_age_seconds``.

    For a scheduler to enqueue (see docs/admin.md, "Channel history"); resume
    already ignores such rows, so this only keeps the table small.
    """
    result = cleanup.trim_channel_history()
    return {"by_count": result.by_count, "by_age": result.by_age, "deleted": result.deleted}


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
    payload = messaging.encode_message(data)
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
) -> tuple[DeliveryReport | None, list[SendTaskResult]]:
    """Send ``payload`` to the connected rows here, or from tasks for a large audience.

    Fewer recipients than ``publish_background_threshold``: sent in this call
    (the ``DeliveryReport``, no tasks); more: one task per chunk (``None``, the task
    results). The rows are read once either way.
    """
    recipients = messaging.load_recipients(sessions)
    if len(recipients.pks) < conf.publish_background_threshold:
        return messaging.deliver_payload(recipients, payload), []
    return None, enqueue_payload(payload, recipients.pks, sessions.db)


def enqueue_payload(payload: bytes, pks: Sequence[int], db: str) -> list[SendTaskResult]:
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
    packed = pack_payload(payload) if pks else ""
    with transaction.atomic() if stores_tasks else nullcontext():
        return [
            sender.enqueue(packed, ",".join(map(str, pks[i : i + chunk])), db)
            for i in range(0, len(pks), chunk)
        ]
