"""Background sends on Django's Tasks framework.

``enqueue_message`` is the caller's part: encode the message (a bad one raises
here, not in a worker), read the recipients' primary keys in one query, and
enqueue one ``send_chunk`` task per ``conf.enqueue_chunk_size`` of them. The
caller's cost is that query plus one enqueue per chunk, whatever the transport.

``send_chunk`` is the worker's part: it sends through ``messaging`` exactly as a
direct send does, so the rows still connected when it runs are sent to, gone
rows are marked closed and failures are logged the same way.

Django 6.0 ships the framework as ``django.tasks``; on Django 5.2 the
``django-tasks`` backport provides the same API under ``django_tasks``.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from . import messaging
from .conf import conf
from .models import WebSocketSession

if TYPE_CHECKING or find_spec("django.tasks"):
    from django.tasks import TaskResult, task
else:  # Django 5.2
    from django_tasks import TaskResult, task

Summary = dict[str, Any]
if TYPE_CHECKING:  # the framework's classes are not subscriptable the same way everywhere
    SendTaskResult = TaskResult[..., Summary]


@task()
def send_chunk(payload: str, session_pks: list[int], using: str) -> Summary:
    """Send ``payload`` (JSON text) to the connected rows among ``session_pks``."""
    data = payload.encode()
    step = messaging.max_query_params(using) or len(session_pks) or 1
    result = messaging.SendResult()
    for start in range(0, len(session_pks), step):
        rows = WebSocketSession.objects.using(using).filter(
            pk__in=session_pks[start : start + step]
        )
        result += messaging.send_payload(rows, data)
    return summary(result)


def summary(result: messaging.SendResult) -> Summary:
    """What a task returns (task results must be JSON): counts, and why each failure failed."""
    return {
        "sent": result.sent,
        "gone": result.gone,
        "pending": result.pending,
        "failed": result.failed,
        "errors": dict(result.errors),
    }


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
        # A filter across a relation can repeat a row; dropping repeats here is
        # cheaper than a DISTINCT.
        pks = list(dict.fromkeys(rows.values_list("pk", flat=True)))
        db = sessions.db
    chunk = conf.enqueue_chunk_size
    sender = send_chunk.using(backend=conf.enqueue_backend, queue_name=conf.enqueue_queue_name)
    return [sender.enqueue(payload, pks[i : i + chunk], db) for i in range(0, len(pks), chunk)]
