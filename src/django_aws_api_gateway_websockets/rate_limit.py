"""Fixed-window attempt counters on ``ConnectionRateLimit``.

One statement counts an attempt for every key at once and returns the new
totals: ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` (PostgreSQL, and SQLite
since 3.35). The ORM has no way to say "add one and tell me the result" in one
round trip, hence the raw SQL.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router
from django.utils import timezone

from . import telemetry
from .conf import conf
from .exceptions import Refused
from .models import ConnectionRateLimit

# WebSocketTokenView counts token requests per user per minute.
TOKEN_WINDOW_MINUTES = 1


def window_start(now: datetime, window_minutes: int) -> datetime:
    """Start of the fixed window that ``now`` falls in, aligned to the epoch.

    Keeps ``now``'s form: aware with ``USE_TZ = True``, naive without.
    """
    width = max(1, window_minutes) * 60
    into_window = int(now.timestamp()) % width
    return now - timedelta(seconds=into_window, microseconds=now.microsecond)


def address_key(ip: str) -> str:
    """The rate-limit subject for a client address: itself, or its IPv6 network.

    Otherwise each of the 2**64 addresses of one customer's /64 would get an
    allowance of its own.
    """
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        prefix = conf.rate_limit_ipv6_prefix
        return str(ipaddress.IPv6Network(f"{address}/{prefix}", strict=False))
    return str(address)


def _upsert_sql(table: str, key: str, start: str, attempts: str, rows: int) -> str:
    values = ", ".join(["(%s, %s, 1)"] * rows)
    return (
        f"INSERT INTO {table} ({key}, {start}, {attempts}) VALUES {values} "
        f"ON CONFLICT ({key}, {start}) DO UPDATE SET {attempts} = {table}.{attempts} + 1 "
        f"RETURNING {key}, {attempts}"
    )


def count_attempt(keys: Sequence[str], *, window_minutes: int) -> dict[str, int]:
    """Count one attempt for each key in the current window; return the totals.

    The window's length is part of the stored key, so views with different
    windows never share (and never reset) each other's counters.
    """
    stored_keys = {f"{key}:{max(1, window_minutes)}m": key for key in keys}
    unique_keys = list(stored_keys)
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
        return {stored_keys[str(key)]: int(total) for key, total in cursor.fetchall()}


def enforce(keys: Sequence[str], *, max_attempts: int, window_minutes: int) -> None:
    """Count an attempt for ``keys``; refuse with 429 once any key is over the limit."""
    totals = count_attempt(keys, window_minutes=window_minutes)
    over = sorted(key for key, total in totals.items() if total > max_attempts)
    if over:
        telemetry.refused("rate")
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
