"""Fixed-window attempt counters on ``ConnectionRateLimit``.

One statement counts an attempt for every key at once and returns the new
totals: ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` (PostgreSQL, and SQLite
since 3.35). The ORM has no way to say "add one and tell me the result" in one
round trip, hence the raw SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections, router
from django.utils import timezone

from .exceptions import Refused
from .models import ConnectionRateLimit


def window_start(now: datetime, window_minutes: int) -> datetime:
    """Start of the fixed window that ``now`` falls in, aligned to the epoch."""
    width = max(1, window_minutes) * 60
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % width, tz=UTC)


def _upsert_sql(table: str, key: str, start: str, attempts: str, rows: int) -> str:
    values = ", ".join(["(%s, %s, 1)"] * rows)
    return (
        f"INSERT INTO {table} ({key}, {start}, {attempts}) VALUES {values} "
        f"ON CONFLICT ({key}, {start}) DO UPDATE SET {attempts} = {table}.{attempts} + 1 "
        f"RETURNING {key}, {attempts}"
    )


def count_attempt(keys: Sequence[str], *, window_minutes: int) -> dict[str, int]:
    """Count one attempt for each key in the current window; return the totals."""
    unique_keys = list(dict.fromkeys(keys))
    if not unique_keys:
        return {}
    connection = connections[router.db_for_write(ConnectionRateLimit)]
    meta = ConnectionRateLimit._meta

    def column(name: str) -> str:
        return connection.ops.quote_name(str(getattr(meta.get_field(name), "column", name)))

    sql = _upsert_sql(
        connection.ops.quote_name(meta.db_table),
        column("key"),
        column("window_start"),
        column("attempts"),
        len(unique_keys),
    )
    start = connection.ops.adapt_datetimefield_value(window_start(timezone.now(), window_minutes))
    params: list[Any] = []
    for key in unique_keys:
        params.extend((key, start))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(key): int(total) for key, total in cursor.fetchall()}


def enforce(keys: Sequence[str], *, max_attempts: int, window_minutes: int) -> None:
    """Count an attempt for ``keys``; refuse with 429 once any key is over the limit."""
    totals = count_attempt(keys, window_minutes=window_minutes)
    over = sorted(key for key, total in totals.items() if total > max_attempts)
    if over:
        raise Refused(
            "Too many attempts, try again later.",
            429,
            reason=f"rate limit of {max_attempts} per {window_minutes} min exceeded by {over}",
            headers={"Retry-After": str(retry_after_seconds(window_minutes))},
        )


def retry_after_seconds(window_minutes: int) -> int:
    now = timezone.now()
    end = window_start(now, window_minutes) + timedelta(minutes=max(1, window_minutes))
    return max(1, int((end - now).total_seconds()))
