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

from django.db import connections, router
from django.db.models import F
from django.utils import timezone

from . import telemetry
from .exceptions import Refused
from .models import WebSocketSession

# The names SQLite gives the two-argument minimum and maximum; PostgreSQL,
# MySQL, MariaDB and Oracle all spell them LEAST and GREATEST.
_MIN_MAX = {"sqlite": ("MIN", "MAX")}
_STANDARD_MIN_MAX = ("LEAST", "GREATEST")


def count_message(session_pk: int, *, per_second: float, burst: int) -> None:
    """Count one message of the connection; 429 (nothing written) when its bucket is empty.

    ``per_second`` 0: no limit, the message is only counted.
    """
    if per_second <= 0:
        WebSocketSession.objects.filter(pk=session_pk).update(
            request_count=F("request_count") + 1, updated_on=timezone.now()
        )
        return
    if _take_token(session_pk, per_second=per_second, burst=burst):
        return
    # load_session() found the row a moment ago, and rows are deleted only long
    # after they close: no row updated means an empty bucket.
    telemetry.refused("rate")
    raise Refused(
        "Too many messages, slow down.",
        429,
        reason=f"inbound limit of {per_second:g}/s (burst {burst}) exceeded",
        headers={"Retry-After": str(max(1, math.ceil(1 / per_second)))},
    )


def _take_token(session_pk: int, *, per_second: float, burst: int) -> bool:
    """The one UPDATE; True if it counted the message (the bucket had a token).

    Written as SQL rather than ORM expressions: building those cost more than
    running the statement (about 0.5 ms a message; benchmarks/core.py).
    """
    connection = connections[router.db_for_write(WebSocketSession)]
    least, greatest = _MIN_MAX.get(connection.vendor, _STANDARD_MIN_MAX)
    quote = connection.ops.quote_name
    meta = WebSocketSession._meta
    tokens, refilled_at = quote("message_tokens"), quote("message_tokens_at")
    # The clock of the process that refills, in Unix seconds; never backwards,
    # so a process whose clock lags another's refills nothing rather than less.
    refilled = f"{least}(%s, {tokens} + {greatest}(%s - {refilled_at}, 0.0) * %s)"
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "
        f"{quote('request_count')} = {quote('request_count')} + 1, "
        f"{quote('updated_on')} = %s, "
        f"{tokens} = {refilled} - 1, "
        f"{refilled_at} = {greatest}({refilled_at}, %s) "
        f"WHERE {quote(str(meta.pk.column))} = %s AND {refilled} >= 1"
    )
    now = time.time()
    bucket = [float(burst), now, float(per_second)]
    updated_on = meta.get_field("updated_on").get_db_prep_save(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [updated_on, *bucket, now, session_pk, *bucket])
        return bool(cursor.rowcount)
