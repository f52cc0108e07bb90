"""The inbound budget of a connection: a token bucket kept in its session row.

Every message takes one token; the bucket refills at ``per_second`` up to
``burst``. Taking a token is folded into the UPDATE that already counts the
message (``request_count``), so the limit costs no statement of its own:

    UPDATE session SET request_count = request_count + 1, updated_on = ...,
           message_tokens = <refilled> - 1, message_tokens_at = ...
     WHERE id = ... AND <refilled> >= 1

where ``<refilled>`` is ``MIN(burst, message_tokens + elapsed * per_second)``.
It is one statement, so two messages of one connection cannot both take the
last token: PostgreSQL re-evaluates the WHERE of the second against the row the
first left (the row lock makes it wait), and SQLite lets one writer in at a time.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.db.models import F, FloatField, Value
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from .exceptions import Refused
from .models import WebSocketSession

_FLOAT = FloatField()


def count_message(session_pk: int, *, per_second: float, burst: int) -> None:
    """Count one message of the connection; 429 (nothing written) when its bucket is empty.

    ``per_second`` 0: no limit, the message is only counted.
    """
    rows = WebSocketSession.objects.filter(pk=session_pk)
    changes: dict[str, Any] = {
        "request_count": F("request_count") + 1,
        "updated_on": timezone.now(),
    }
    if per_second > 0:
        # The clock of the process that refills, in Unix seconds; never backwards,
        # so a process whose clock lags another's refills nothing rather than less.
        now = Value(time.time(), output_field=_FLOAT)
        elapsed = Greatest(now - F("message_tokens_at"), Value(0.0), output_field=_FLOAT)
        refilled = Least(
            Value(float(burst), output_field=_FLOAT),
            F("message_tokens") + elapsed * Value(float(per_second), output_field=_FLOAT),
            output_field=_FLOAT,
        )
        rows = rows.filter(GreaterThanOrEqual(refilled, Value(1.0, output_field=_FLOAT)))
        changes["message_tokens"] = refilled - Value(1.0, output_field=_FLOAT)
        changes["message_tokens_at"] = Greatest(F("message_tokens_at"), now, output_field=_FLOAT)
    if rows.update(**changes):
        return
    # load_session() found the row a moment ago, and rows are deleted only long
    # after they close: no row updated means an empty bucket.
    raise Refused(
        "Too many messages, slow down.",
        429,
        reason=f"inbound limit of {per_second:g}/s (burst {burst}) exceeded",
        headers={"Retry-After": str(max(1, math.ceil(1 / per_second)))},
    )
