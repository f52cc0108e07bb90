"""Sending JSON to connections (unicast, multicast, broadcast) and closing them.

Every database query and update happens here, in the caller's thread; the
transport only sees endpoint URLs, connection ids and bytes. Rows are grouped
by their own gateway: a row is never sent through another row's gateway.

A 410 is ambiguous: API Gateway answers it for a closed connection and also for
one whose ``$connect`` has not returned yet, and the view commits the session
row during ``$connect``. A send to a row young enough to be still connecting
(``conf.connect_grace_seconds``, and no message carried yet) therefore leaves
it connected and counts it ``pending``; closing it would lose the new session.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router
from django.db.models import QuerySet
from django.utils import timezone

from . import aws, subscriptions, wire
from .conf import conf
from .delivery import NO_REASON, DeliveryReport

# The result's names before it was one type, re-exported where 4.x and 5.0 code imports them.
from .delivery import ReconcileResult as ReconcileResult
from .delivery import SendResult as SendResult
from .log_context import get_logger
from .models import ApiGateway, WebSocketSession
from .transport import Delivery, Outcome, Target, get_transport

logger = get_logger(__name__)

Sessions = QuerySet[WebSocketSession] | Iterable[WebSocketSession]

# Failed ids named in one log line; the rest are counted.
_LOGGED_IDS = 5
_NO_GATEWAY = "the session has no api_gateway"


def encode_message(data: Any) -> bytes:
    """``data`` as compact JSON (dates, decimals, UUIDs allowed), within API Gateway's limit."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    if len(payload) > wire.MAX_PAYLOAD_BYTES:
        raise ValueError(
            f"message is {len(payload)} bytes of JSON; API Gateway accepts at most "
            f"{wire.MAX_PAYLOAD_BYTES}"
        )
    return payload


def send_to_sessions(sessions: Sessions, data: Any) -> DeliveryReport:
    """Send ``data`` to every connected session; rows found gone are marked closed.

    A row that may still be in its ``$connect`` is counted pending instead.
    """
    return send_payload(sessions, encode_message(data))  # encoded before any query


def send_payload(sessions: Sessions, payload: bytes) -> DeliveryReport:
    """``send_to_sessions`` for a message already encoded by ``encode_message``.

    Background tasks use it: the caller encodes (and is refused) once, the
    workers send the same bytes.
    """
    return deliver_payload(load_recipients(sessions), payload)


def deliver_payload(recipients: Recipients, payload: bytes) -> DeliveryReport:
    """``send_payload`` to recipients already read by ``load_recipients`` (``publish``)."""
    transport = get_transport()
    result = _deliver(recipients, lambda targets: transport.post_to_connections(targets, payload))
    result = _hold_connecting(result, recipients.connecting)
    _mark_disconnected(result.gone_ids, recipients.instances)
    _log(result, "send")
    return result


def close_connections(sessions: Sessions) -> DeliveryReport:
    """Close every connected session (DELETE @connections) and mark them all closed.

    Rows are marked ``connected=False`` whatever AWS answered: a caller closing a
    connection (a logout, an admin) must not keep sending to it.
    """
    transport = get_transport()
    recipients = load_recipients(sessions)
    result = replace(_deliver(recipients, transport.delete_connections), action="close")
    _mark_disconnected(result.sent_ids + result.gone_ids + result.failed_ids, recipients.instances)
    _log(result, "close")
    return result


# Connections asked about per transport call; progress is reported after each.
RECONCILE_BATCH = 1000
Progress = Callable[[int, int], None]


def reconcile_sessions(
    sessions: Sessions, *, dry_run: bool = False, progress: Progress | None = None
) -> DeliveryReport:
    """Ask API Gateway about every connected session; mark those it calls gone closed.

    Sends nothing to anyone (GET ``@connections/{id}``). A 410 for a row that
    may still be in its ``$connect`` counts it pending and leaves it alone, as
    a send does. One query loads the rows and one UPDATE marks the gone ones,
    however many there are. ``progress(done, total)`` is called after each
    batch of ``RECONCILE_BATCH`` connections.
    """
    transport = get_transport()
    recipients = load_recipients(sessions)

    def ask(targets: Sequence[Target]) -> list[Delivery]:
        deliveries: list[Delivery] = []
        for start in range(0, len(targets), RECONCILE_BATCH):
            batch = list(targets[start : start + RECONCILE_BATCH])
            deliveries.extend(_call_transport(transport.get_connections, batch))
            if progress is not None:
                progress(len(deliveries), len(targets))
        return deliveries

    result = _hold_connecting(_deliver(recipients, ask), recipients.connecting)
    if not dry_run:
        _mark_disconnected(result.gone_ids, recipients.instances)
    _log(result, "reconcile", marked=not dry_run)
    return replace(result, action="reconcile", dry_run=dry_run)


def send_to_channel(channel_name: str, data: Any) -> DeliveryReport:
    return send_to_sessions(WebSocketSession.objects.in_channel(channel_name), data)


def send_to_user(user: AbstractBaseUser, data: Any) -> DeliveryReport:
    return send_to_sessions(WebSocketSession.objects.filter(user_id=user.pk), data)


def broadcast(data: Any) -> DeliveryReport:
    return send_to_sessions(WebSocketSession.objects.all(), data)


@dataclass(frozen=True, slots=True)
class Recipients:
    """The connected rows of a send, read once, grouped by gateway."""

    # gateway pk (None: the row has none) -> connection ids
    by_gateway: dict[int | None, list[str]]
    gateways: dict[int, ApiGateway]
    # Sessions passed as instances, updated in memory along with their rows.
    instances: list[WebSocketSession] = field(default_factory=list)
    # Connection ids whose $connect may not have completed yet.
    connecting: set[str] = field(default_factory=set)
    # The rows' primary keys, for handing them to background tasks instead.
    pks: list[int] = field(default_factory=list)


def _connecting_since() -> datetime:
    """Rows created after this may still be waiting for their $connect answer."""
    return timezone.now() - timedelta(seconds=conf.connect_grace_seconds)


def _may_be_connecting(created_on: datetime | None, request_count: int, since: datetime) -> bool:
    # A message reaches the view only over an open connection.
    return request_count == 0 and created_on is not None and created_on > since


def load_recipients(sessions: Sessions) -> Recipients:
    """The connected rows among ``sessions``: one query for a queryset."""
    if isinstance(sessions, QuerySet):
        instances: list[WebSocketSession] = []
        rows: Iterable[_Row] = _queryset_rows(sessions)
    else:
        instances = [session for session in sessions if session.connected]
        rows = map(_instance_row, instances)
    recipients = Recipients(defaultdict(list), {}, instances)
    since = _connecting_since()
    seen: set[str] = set()
    for row in rows:
        if row.connection_id in seen:
            continue
        seen.add(row.connection_id)
        if row.pk is not None:
            recipients.pks.append(row.pk)
        recipients.by_gateway[row.gateway_id].append(row.connection_id)
        if _may_be_connecting(row.created_on, row.request_count, since):
            recipients.connecting.add(row.connection_id)
        if row.gateway_id is not None and row.gateway is not None:
            recipients.gateways.setdefault(row.gateway_id, row.gateway)
    missing = [
        pk for pk in recipients.by_gateway if pk is not None and pk not in recipients.gateways
    ]
    if missing:
        recipients.gateways.update(ApiGateway.objects.in_bulk(missing))
    return recipients


def filterable(queryset: QuerySet[WebSocketSession]) -> QuerySet[WebSocketSession]:
    """``queryset`` itself, or the same rows by primary key if it cannot be filtered further.

    Sliced and ``union()`` querysets refuse ``.filter()``; they cost one more query.
    """
    if queryset.query.is_sliced or queryset.query.combinator:
        pks = list(queryset.values_list("pk", flat=True))
        return WebSocketSession.objects.using(queryset.db).filter(pk__in=pks)
    return queryset


def max_query_params(db: str, reserved: int = 0) -> int | None:
    """Parameters one statement may bind on ``db`` beyond ``reserved`` (None: no limit)."""
    limit = connections[db].features.max_query_params
    return limit - reserved if limit else None


class _Row(NamedTuple):
    """What loading needs of one connected session, however it was given."""

    connection_id: str
    gateway_id: int | None
    created_on: datetime | None
    request_count: int
    # The row's gateway when it came with the row, else None (loaded later).
    gateway: ApiGateway | None
    pk: int | None


def _queryset_rows(queryset: QuerySet[WebSocketSession]) -> Iterator[_Row]:
    # The caller's order_by(), if any, is kept: the model has no default
    # ordering, so only a caller who asked for an order pays for the sort.
    rows = (
        filterable(queryset)
        .filter(connected=True)
        .values_list(
            "connection_id",
            "api_gateway_id",
            "api_gateway__api_name",
            "api_gateway__api_endpoint",
            "api_gateway__api_id",
            "api_gateway__stage_name",
            "created_on",
            "request_count",
            "pk",
        )
    )
    # The first row of each gateway carries it; the rest need not build a copy.
    carried: set[int | None] = {None}
    for connection_id, gateway_id, name, endpoint, api_id, stage, created, count, pk in rows:
        gateway = None
        if gateway_id not in carried:
            carried.add(gateway_id)
            # Unsaved copy carrying only what the endpoint derivation reads.
            gateway = ApiGateway(
                pk=gateway_id, api_name=name, api_endpoint=endpoint, api_id=api_id, stage_name=stage
            )
        yield _Row(connection_id, gateway_id, created, count, gateway, pk)


def _instance_row(session: WebSocketSession) -> _Row:
    # A gateway already loaded with the session (select_related) saves a query.
    loaded = WebSocketSession.api_gateway.is_cached(session)
    return _Row(
        session.connection_id,
        session.api_gateway_id,
        session.created_on,
        session.request_count,
        session.api_gateway if loaded else None,
        session.pk,
    )


def _deliver(
    recipients: Recipients, call: Callable[[Sequence[Target]], list[Delivery]]
) -> DeliveryReport:
    targets: list[Target] = []
    failed: dict[str, str] = {}
    for gateway_id, connection_ids in recipients.by_gateway.items():
        endpoint, reason = _endpoint(gateway_id, recipients.gateways)
        if endpoint is None:
            failed.update(dict.fromkeys(connection_ids, reason))
        else:
            targets.extend(Target(endpoint, cid) for cid in connection_ids)

    sent: list[str] = []
    gone: list[str] = []
    retryable: list[str] = []
    for target, delivery in zip(targets, _call_transport(call, targets), strict=True):
        if delivery.outcome is Outcome.SENT:
            sent.append(target.connection_id)
        elif delivery.outcome is Outcome.GONE:
            gone.append(target.connection_id)
        else:
            failed[target.connection_id] = delivery.error or NO_REASON
            if delivery.retryable:
                retryable.append(target.connection_id)
    return DeliveryReport(tuple(sent), tuple(gone), errors=failed, retryable_ids=tuple(retryable))


def _hold_connecting(result: DeliveryReport, connecting: set[str]) -> DeliveryReport:
    """Move 410s of rows that may still be connecting from gone to pending."""
    pending = tuple(cid for cid in result.gone_ids if cid in connecting)
    if not pending:
        return result
    gone = tuple(cid for cid in result.gone_ids if cid not in connecting)
    return replace(result, gone_ids=gone, pending_ids=result.pending_ids + pending)


def _endpoint(gateway_id: int | None, gateways: dict[int, ApiGateway]) -> tuple[str | None, str]:
    if gateway_id is None:
        return None, _NO_GATEWAY
    gateway = gateways.get(gateway_id)
    if gateway is None:
        return None, f"api_gateway pk={gateway_id} does not exist"
    try:
        return gateway.management_endpoint_url, ""
    except aws.ConfigurationError as exc:
        return None, f"gateway {gateway.api_name!r} (pk={gateway_id}) has no endpoint: {exc}"


def _call_transport(
    call: Callable[[Sequence[Target]], list[Delivery]], targets: list[Target]
) -> list[Delivery]:
    if not targets:
        return []
    # A custom transport that breaks must cost a failed send, not lost bookkeeping.
    try:
        deliveries = list(call(targets))
    except Exception as exc:
        logger.exception("The WebSocket transport raised for %d connection(s)", len(targets))
        return [Delivery(Outcome.FAILED, f"transport error: {type(exc).__name__}: {exc}")] * len(
            targets
        )
    if len(deliveries) != len(targets):
        logger.error(
            "The WebSocket transport answered %d deliveries for %d connections",
            len(deliveries),
            len(targets),
        )
        return [Delivery(Outcome.FAILED, "transport answered the wrong number of deliveries")] * (
            len(targets)
        )
    return deliveries


def _mark_disconnected(
    connection_ids: Sequence[str], instances: Sequence[WebSocketSession]
) -> None:
    if not connection_ids:
        return
    closed = set(connection_ids)
    for session in instances:
        if session.connection_id in closed:
            session.connected = False
    db = router.db_for_write(WebSocketSession)
    # SQLite caps bound parameters; two are taken by the SET clause.
    step = max_query_params(db, reserved=2) or len(connection_ids)
    for start in range(0, len(connection_ids), step):
        subscriptions.close_sessions(
            WebSocketSession.objects.using(db).filter(
                connection_id__in=connection_ids[start : start + step]
            )
        )


def _log(result: DeliveryReport, action: str, *, marked: bool = True) -> None:
    if result.gone:
        logger.info(
            "%s: %d connection(s) were gone%s",
            action,
            result.gone,
            " and are marked closed" if marked else " (dry run: left as they are)",
        )
    if result.pending:
        logger.info(
            "%s: %d connection(s) not open yet (410 within %gs of $connect); left connected",
            action,
            result.pending,
            conf.connect_grace_seconds,
        )
    by_reason: dict[str, list[str]] = defaultdict(list)
    for connection_id, reason in result.errors.items():
        by_reason[reason].append(connection_id)
    for reason, ids in by_reason.items():
        named = ", ".join(ids[:_LOGGED_IDS]) + (", ..." if len(ids) > _LOGGED_IDS else "")
        logger.warning("%s failed for %d connection(s) [%s]: %s", action, len(ids), named, reason)
