"""What an operator sees of each gateway: connections, channels, staleness, the last reconcile.

This module computes the overview; the admin page (``admin/overview.py``) and
``manage.py websocketstats`` only render it. Every figure is an aggregate that
an index answers (named beside each query), and every list is cut to a
setting, so the cost follows the connections open now and the last hour's
traffic, not the size of the session table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .conf import conf
from .models import (
    ApiGateway,
    ChannelMembership,
    ChannelMessage,
    ReconcileRun,
    WebSocketSession,
)

# The chart: the last hour in twelve bars of five minutes, the last one still filling.
BUCKET = timedelta(minutes=5)
BUCKETS = 12


@dataclass(frozen=True)
class ChannelCount:
    name: str
    connections: int
    # Distinct users among them (anonymous connections count in connections only).
    users: int


@dataclass(frozen=True)
class Activity:
    """Connections opened and closed per bucket, oldest first.

    Opened is counted from ``created_on``; closed from ``updated_on`` of rows no
    longer connected, which closing sets (rows expired by ``clearWebSocketSessions
    --expire`` keep their last activity, so they count when that was).
    """

    start: datetime
    bucket_seconds: int
    opened: tuple[int, ...]
    closed: tuple[int, ...]

    @property
    def bucket_starts(self) -> list[datetime]:
        step = timedelta(seconds=self.bucket_seconds)
        return [self.start + index * step for index in range(len(self.opened))]


@dataclass(frozen=True)
class LastReconcile:
    started_on: datetime
    finished_on: datetime
    # The run covered every gateway (else only this one).
    all_gateways: bool
    # Blank: every channel.
    channel: str
    alive: int
    gone: int
    pending: int
    failed: int
    first_error: str


@dataclass(frozen=True)
class GatewayOverview:
    pk: int
    name: str
    api_id: str
    connections: int
    users: int
    anonymous: int
    # Still marked connected, though opened longer ago than API Gateway keeps a
    # connection (``session_max_age_seconds``): their $disconnect was lost.
    stale: int
    top_channels: tuple[ChannelCount, ...]
    presence_channels: tuple[ChannelCount, ...]
    activity: Activity
    last_reconcile: LastReconcile | None


@dataclass(frozen=True)
class Overview:
    generated_on: datetime
    stale_after_seconds: int
    # Channel history is kept per channel, not per gateway: one figure for all.
    history_rows: int
    # How many ApiGateway records there are; ``gateways`` shows at most
    # ``overview_max_gateways`` of those asked for.
    gateways_total: int
    gateways: tuple[GatewayOverview, ...]

    def as_json_data(self) -> dict[str, Any]:
        """Plain JSON types: datetimes as ISO 8601 strings."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return data


def compute_overview(
    gateways: QuerySet[ApiGateway] | None = None, *, now: datetime | None = None
) -> Overview:
    """The overview of ``gateways`` (default: every gateway), first ``overview_max_gateways``."""
    now = now or timezone.now()
    chosen = list(
        (gateways if gateways is not None else ApiGateway.objects.all()).order_by("pk")[
            : conf.overview_max_gateways
        ]
    )
    pks = [gateway.pk for gateway in chosen]
    stale_before = now - timedelta(seconds=conf.session_max_age_seconds)
    counts = _connection_counts(pks, stale_before)
    activity = _activity(pks, now)
    return Overview(
        generated_on=now,
        stale_after_seconds=conf.session_max_age_seconds,
        # A count of the whole table, which history_max_messages per channel
        # and cleanupchannelhistory keep bounded.
        history_rows=ChannelMessage.objects.count(),
        gateways_total=ApiGateway.objects.count(),
        gateways=tuple(
            GatewayOverview(
                pk=gateway.pk,
                name=gateway.api_name,
                api_id=gateway.api_id,
                **counts.get(gateway.pk, _NO_CONNECTIONS),
                top_channels=_top_channels(gateway.pk),
                presence_channels=_presence_channels(gateway.pk),
                activity=activity[gateway.pk],
                last_reconcile=_last_reconcile(gateway.pk),
            )
            for gateway in chosen
        ),
    )


_NO_CONNECTIONS = {"connections": 0, "users": 0, "anonymous": 0, "stale": 0}
# ``connected__in=[True]``, not ``connected=True``: Django writes the latter as a
# bare ``"connected"`` test, which SQLite cannot look up in an index on
# (..., connected); ``IN (1)`` it can. PostgreSQL reads both as ``= true``.
OPEN = {"connected__in": [True]}
CLOSED = {"connected__in": [False]}


def _connection_counts(pks: Sequence[int], stale_before: datetime) -> dict[int, dict[str, int]]:
    """Connected rows per gateway: one GROUP BY on dagw_session_gateway (api_gateway, connected)."""
    rows = (
        WebSocketSession.objects.filter(api_gateway__in=pks, **OPEN)
        .values("api_gateway")
        .annotate(
            connections=Count("pk"),
            users=Count("user", distinct=True),
            anonymous=Count("pk", filter=Q(user__isnull=True)),
            stale=Count("pk", filter=Q(created_on__lt=stale_before)),
        )
        .order_by()
    )
    return {
        row.pop("api_gateway"): row  # type: ignore[misc]
        for row in rows
    }


def _buckets(field: str, start: datetime) -> dict[str, Count]:
    # One conditional count per bucket: one row per gateway whatever the traffic.
    return {
        f"b{index}": Count(
            "pk",
            filter=Q(
                **{
                    f"{field}__gte": start + index * BUCKET,
                    f"{field}__lt": start + (index + 1) * BUCKET,
                }
            ),
        )
        for index in range(BUCKETS)
    }


def _bucket_rows(rows: Iterable[Mapping[str, Any]]) -> dict[int, tuple[int, ...]]:
    return {row["api_gateway"]: tuple(row[f"b{index}"] for index in range(BUCKETS)) for row in rows}


def _activity(pks: Sequence[int], now: datetime) -> dict[int, Activity]:
    # Buckets on the clock's five minutes, so labels read 14:05, 14:10...
    epoch = now.replace(minute=0, second=0, microsecond=0)
    done = (now - epoch) // BUCKET
    start = epoch + (done + 1) * BUCKET - BUCKETS * BUCKET
    # dagw_session_opened (api_gateway, created_on): a range per gateway.
    opened = _bucket_rows(
        WebSocketSession.objects.filter(api_gateway__in=pks, created_on__gte=start)
        .values("api_gateway")
        .annotate(**_buckets("created_on", start))
        .order_by()
    )
    # dagw_session_activity (connected, updated_on): the last hour's closed rows.
    closed = _bucket_rows(
        WebSocketSession.objects.filter(updated_on__gte=start, api_gateway__in=pks, **CLOSED)
        .values("api_gateway")
        .annotate(**_buckets("updated_on", start))
        .order_by()
    )
    empty = (0,) * BUCKETS
    return {
        pk: Activity(
            start=start,
            bucket_seconds=int(BUCKET.total_seconds()),
            opened=opened.get(pk, empty),
            closed=closed.get(pk, empty),
        )
        for pk in pks
    }


def _memberships(gateway_pk: int) -> QuerySet[ChannelMembership]:
    # The gateway's connected sessions from dagw_session_gateway, their
    # memberships from the session_id foreign key's index.
    return ChannelMembership.objects.filter(
        session__api_gateway=gateway_pk, session__connected__in=[True]
    )


def _channel_counts(rows: QuerySet[ChannelMembership], order: str) -> tuple[ChannelCount, ...]:
    counted = (
        rows.values("channel_name")
        .annotate(connections=Count("pk"), users=Count("user", distinct=True))
        .order_by(order, "channel_name")[: conf.overview_top_channels]
    )
    return tuple(
        ChannelCount(row["channel_name"], row["connections"], row["users"]) for row in counted
    )


def _top_channels(gateway_pk: int) -> tuple[ChannelCount, ...]:
    return _channel_counts(_memberships(gateway_pk), "-connections")


def _presence_channels(gateway_pk: int) -> tuple[ChannelCount, ...]:
    # A presence membership is the one that carries presence_info.
    return _channel_counts(_memberships(gateway_pk).filter(presence_info__isnull=False), "-users")


def _last_reconcile(gateway_pk: int) -> LastReconcile | None:
    """The latest run that covered the gateway: its own, or one over every gateway.

    dagw_reconcile_gateway (api_gateway, finished_on), for both halves of the OR.
    """
    run = (
        ReconcileRun.objects.filter(Q(api_gateway=gateway_pk) | Q(api_gateway__isnull=True))
        .order_by("-finished_on")
        .first()
    )
    if run is None:
        return None
    return LastReconcile(
        started_on=run.started_on,
        finished_on=run.finished_on,
        all_gateways=run.api_gateway_id is None,
        channel=run.channel_name,
        alive=run.alive,
        gone=run.gone,
        pending=run.pending,
        failed=run.failed,
        first_error=run.first_error,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value
