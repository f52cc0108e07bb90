"""``websockets.connections.active``: one grouped query, cached, read at each collection.

A collection (a Prometheus scrape, a periodic export) may come every few
seconds from every process; the count is cached for
``telemetry_active_connections_cache_seconds`` so the database pays one
small query per interval and process, whatever the scrape rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from django.db import DatabaseError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from opentelemetry.metrics import CallbackOptions, Observation

from ..conf import conf

# The gateway attribute of records not deployed yet (no api id).
NO_GATEWAY = "none"

_lock = threading.Lock()
# (monotonic time read, counts per gateway)
_cache: tuple[float, dict[str, int]] | None = None


def connected_per_gateway() -> dict[str, int]:
    """Connected rows per gateway api id, in one query (cached)."""
    global _cache
    now = time.monotonic()
    with _lock:
        if _cache is not None and now - _cache[0] < conf.telemetry_active_connections_cache_seconds:
            return _cache[1]
        counts = _count()
        _cache = (now, counts)
        return counts


def _count() -> dict[str, int]:
    from ..models import ApiGateway, WebSocketSession  # the models import telemetry's users

    # From the gateways, so that an idle one reads 0 rather than vanishing; per
    # gateway, a count on the (api_gateway, connected) index: closed rows,
    # however many, are never read.
    connected = (
        WebSocketSession.objects.filter(api_gateway=OuterRef("pk"), connected=True)
        .order_by()
        .values("api_gateway")
        .annotate(total=Count("pk"))
        .values("total")
    )
    rows = ApiGateway.objects.annotate(connections=Coalesce(Subquery(connected), 0))
    counts: dict[str, int] = {}
    for api_id, total in rows.values_list("api_id", "connections"):
        key = api_id or NO_GATEWAY
        counts[key] = counts.get(key, 0) + total
    return counts


def observe(options: CallbackOptions) -> Iterable[Observation]:
    try:
        counts = connected_per_gateway()
    except DatabaseError:
        # No table yet (a scrape before migrate), or the database is down: no
        # figure is better than a failed collection of every other metric.
        return []
    return [Observation(total, {"gateway": gateway}) for gateway, total in counts.items()]


def forget() -> None:
    global _cache
    with _lock:
        _cache = None
