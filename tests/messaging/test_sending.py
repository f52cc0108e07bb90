"""Sending through the real path: record -> endpoint -> default transport -> HTTP stand-in."""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_aws_api_gateway_websockets import messaging, wire
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession, WebSocketToken
from django_aws_api_gateway_websockets.transport import BotoTransport, override_transport
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession

from .conftest import MakeGateway, connected_ids
from .management_api import ManagementApiStandIn


def test_unicast_posts_json_to_the_records_endpoint_and_stage(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    session = make_session("conn-1", make_gateway(stage="dev"))

    result = session.send_message({"hello": "world"})

    assert (result.sent_ids, result.gone, result.failed) == (("conn-1",), 0, 0)
    [request] = management_api.received
    assert (request.method, request.stage, request.connection_id) == ("POST", "dev", "conn-1")
    assert json.loads(request.body) == {"hello": "world"}
    assert request.signed


def test_blank_stage_sends_to_production(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    make_session("conn-1", make_gateway())

    WebSocketSession.objects.all().send_message({"n": 1})

    assert [r.stage for r in management_api.received] == ["production"]


def test_connection_ids_are_sent_url_safe(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    make_session("L0SM9cOF+/Cw=", make_gateway())

    result = WebSocketSession.objects.all().send_message({})

    assert result.sent == 1
    assert [r.connection_id for r in management_api.received] == ["L0SM9cOF+/Cw="]


def test_multicast_sends_each_row_through_its_own_gateway(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    other_api = ManagementApiStandIn().start()
    try:
        alpha = make_gateway("Alpha", stage="alpha")
        beta = make_gateway("Beta", stage="beta", api_endpoint=other_api.api_endpoint)
        for i in range(3):
            make_session(f"a{i}", alpha)
            make_session(f"b{i}", beta)

        with CaptureQueriesContext(connection) as queries:
            result = WebSocketSession.objects.in_channel("chat").send_message({"to": "all"})

        assert result.sent == 6
        assert len(queries) == 1  # rows and their gateways in one SELECT
        assert {(r.stage, r.connection_id) for r in management_api.received} == {
            ("alpha", "a0"),
            ("alpha", "a1"),
            ("alpha", "a2"),
        }
        assert {(r.stage, r.connection_id) for r in other_api.received} == {
            ("beta", "b0"),
            ("beta", "b1"),
            ("beta", "b2"),
        }
    finally:
        other_api.stop()


def test_only_connected_rows_of_the_queryset_receive(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    make_session("on", gateway)
    make_session("off", gateway, connected=False)
    make_session("elsewhere", gateway, channel_name="other")

    result = messaging.send_to_channel("chat", {"x": 1})

    assert result.sent_ids == ("on",)
    assert [r.connection_id for r in management_api.received] == ["on"]


def test_gone_connections_are_marked_closed_in_one_update(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = make_gateway()
    for i in range(5):
        make_session(f"c{i}", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    management_api.gone.update({"c1", "c3"})

    with caplog.at_level(logging.INFO), CaptureQueriesContext(connection) as queries:
        result = WebSocketSession.objects.all().send_message({"x": 1})

    assert sorted(result.gone_ids) == ["c1", "c3"]
    assert sorted(result.sent_ids) == ["c0", "c2", "c4"]
    assert connected_ids() == {"c0", "c2", "c4"}
    statements = [q["sql"].split()[0].upper() for q in queries]
    assert statements == ["SELECT", "DELETE", "UPDATE"]
    assert "2 connection(s) were gone" in caplog.text


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (413, "PayloadTooLargeException (HTTP 413): Request payload too large"),
        (429, "LimitExceededException (HTTP 429): Rate exceeded"),
        (403, "ForbiddenException (HTTP 403): Forbidden"),
        (400, "BadRequestException (HTTP 400): Invalid connectionId"),
    ],
)
def test_other_errors_are_counted_failed_and_the_rest_still_delivered(
    status: int,
    reason: str,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = make_gateway()
    for i in range(4):
        make_session(f"c{i}", gateway)
    management_api.statuses["c2"] = status

    result = WebSocketSession.objects.all().send_message({"x": 1})

    assert result.failed_ids == ("c2",)
    assert result.errors["c2"].startswith(reason)
    # Only throttling (still throttled after send_throttle_timeout_seconds) may pass.
    assert result.retryable_ids == (("c2",) if status == 429 else ())
    assert sorted(result.sent_ids) == ["c0", "c1", "c3"]
    assert connected_ids() == {"c0", "c1", "c2", "c3"}  # a failure is not a disconnect
    assert f"send failed for 1 connection(s) [c2]: {reason}" in caplog.text


def test_a_timeout_is_counted_failed_without_holding_up_the_others(
    settings: Any,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_read_timeout_seconds": 0.3}
    gateway = make_gateway()
    for i in range(3):
        make_session(f"c{i}", gateway)
    management_api.delays["c0"] = 1.0

    result = WebSocketSession.objects.all().send_message({"x": 1})

    assert result.failed_ids == ("c0",)
    assert "ReadTimeoutError" in result.errors["c0"]
    assert sorted(result.sent_ids) == ["c1", "c2"]


def test_an_unreachable_endpoint_is_counted_failed(
    make_gateway: MakeGateway, make_session: MakeSession, refusing_port: int
) -> None:
    make_session("c0", make_gateway(api_endpoint=f"ws://127.0.0.1:{refusing_port}"))

    result = WebSocketSession.objects.all().send_message({"x": 1})

    assert result.failed_ids == ("c0",)
    assert "EndpointConnectionError" in result.errors["c0"]


def test_throttling_is_retried_without_spending_an_attempt(
    settings: Any,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_max_attempts": 1}
    make_session("c0", make_gateway())
    management_api.fail_first["c0"] = 1

    result = WebSocketSession.objects.all().send_message({"x": 1})

    assert result.sent_ids == ("c0",)
    assert len(management_api.posted()) == 2


def test_concurrency_is_bounded_by_send_concurrency(
    settings: Any,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_concurrency": 4}
    management_api.latency = 0.03
    gateway = make_gateway()
    WebSocketSession.objects.bulk_create(
        WebSocketSession(connection_id=f"c{i}", channel_name="chat", api_gateway=gateway)
        for i in range(40)
    )

    # send_concurrency sizes BotoTransport's thread pool (the default transport's
    # limit, send_max_in_flight, is tested with it).
    with override_transport(BotoTransport()):
        result = WebSocketSession.objects.all().send_message({"x": 1})

    assert result.sent == 40
    assert management_api.max_in_flight == 4


def test_a_message_over_128_kb_raises_before_any_query_or_request(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    django_assert_num_queries: Any,
) -> None:
    make_session("c0", make_gateway())
    too_big = {"text": "x" * wire.MAX_PAYLOAD_BYTES}

    with django_assert_num_queries(0), pytest.raises(ValueError, match="at most 131072"):
        WebSocketSession.objects.all().send_message(too_big)

    assert management_api.count == 0


def test_a_message_of_exactly_128_kb_is_sent(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    make_session("c0", make_gateway())
    text = "x" * (wire.MAX_PAYLOAD_BYTES - 2)  # plus the two quotes of a JSON string

    result = WebSocketSession.objects.all().send_message(text)

    assert result.sent == 1
    assert len(management_api.received[0].body) == wire.MAX_PAYLOAD_BYTES


def test_dates_decimals_and_uuids_are_encoded_with_djangos_encoder(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    make_session("c0", make_gateway())
    when = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")

    WebSocketSession.objects.get().send_message(
        {"at": when, "day": when.date(), "price": decimal.Decimal("9.99"), "id": ident}
    )

    assert json.loads(management_api.received[0].body) == {
        "at": "2025-01-02T03:04:05Z",
        "day": "2025-01-02",
        "price": "9.99",
        "id": "12345678-1234-5678-1234-567812345678",
    }


def test_data_that_is_not_json_raises_type_error_before_any_request(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    make_session("c0", make_gateway())

    with pytest.raises(TypeError, match="not JSON serializable"):
        WebSocketSession.objects.all().send_message({"x": object()})

    assert management_api.count == 0


def test_rows_without_a_usable_gateway_fail_with_a_reason_and_others_are_sent(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_session("ok", make_gateway())
    make_session("orphan", None)
    make_session("nowhere", make_gateway("Unprovisioned", api_endpoint="", api_id=""))

    result = WebSocketSession.objects.all().send_message({"x": 1})

    assert result.sent_ids == ("ok",)
    assert sorted(result.failed_ids) == ["nowhere", "orphan"]
    assert result.errors["orphan"] == "the session has no api_gateway"
    assert "'Unprovisioned'" in result.errors["nowhere"]
    assert "neither api_endpoint nor api_id" in result.errors["nowhere"]
    assert "[orphan]: the session has no api_gateway" in caplog.text
    assert "[nowhere]: gateway 'Unprovisioned'" in caplog.text
    assert [r.connection_id for r in management_api.received] == ["ok"]


def test_a_list_of_sessions_fetches_missing_gateways_in_one_query(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    django_assert_num_queries: Any,
) -> None:
    alpha, beta = make_gateway("Alpha", stage="alpha"), make_gateway("Beta", stage="beta")
    make_session("a", alpha)
    make_session("b", beta)
    make_session("off", alpha, connected=False)
    sessions = list(WebSocketSession.objects.order_by("connection_id"))

    with django_assert_num_queries(1):
        result = messaging.send_to_sessions(sessions + sessions[:1], {"x": 1})

    assert sorted(result.sent_ids) == ["a", "b"]  # once each; the closed row skipped
    assert [s.connected for s in sessions] == [True, True, False]
    assert sorted((r.stage, r.connection_id) for r in management_api.received) == [
        ("alpha", "a"),
        ("beta", "b"),
    ]


def test_a_gone_session_instance_is_marked_closed_in_memory_too(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    sessions = [
        make_session(name, gateway, opened_seconds_ago=OPEN_FOR_A_WHILE) for name in ("a", "b")
    ]
    management_api.gone.add("a")

    result = messaging.send_to_sessions(sessions, {"x": 1})

    assert result.gone_ids == ("a",)
    assert [s.connected for s in sessions] == [False, True]
    assert connected_ids() == {"b"}


def test_a_session_with_its_gateway_loaded_sends_without_a_query(
    make_gateway: MakeGateway, make_session: MakeSession, django_assert_num_queries: Any
) -> None:
    make_session("a", make_gateway())
    session = WebSocketSession.objects.select_related("api_gateway").get()

    with django_assert_num_queries(0):
        assert session.send_message({"x": 1}).sent == 1


def test_a_stale_session_whose_gateway_was_deleted_fails_clearly(
    make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    make_session("a", gateway)
    session = WebSocketSession.objects.get()  # its gateway not loaded yet
    gateway_pk = gateway.pk
    ApiGateway.objects.filter(pk=gateway_pk).delete()

    result = session.send_message({"x": 1})

    assert result.errors == {"a": f"api_gateway pk={gateway_pk} does not exist"}


def test_sliced_and_combined_querysets_send_to_their_connected_rows(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    for name in ("a", "b", "c", "d"):
        make_session(name, gateway, connected=name != "b")
    everyone = WebSocketSession.objects.order_by("connection_id")

    sliced = everyone[:3].send_message({"x": 1})
    combined = (
        WebSocketSession.objects.filter(connection_id="a")
        .union(WebSocketSession.objects.filter(connection_id__in=["b", "d"]))
        .send_message({"x": 2})
    )

    assert sorted(sliced.sent_ids) == ["a", "c"]
    assert sorted(combined.sent_ids) == ["a", "d"]


def test_send_to_user_and_broadcast(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    user: Any,
) -> None:
    gateway = make_gateway()
    make_session("mine", gateway, user=user)
    make_session("anon", gateway, channel_name="lobby")

    to_user = messaging.send_to_user(user, {"x": 1})
    to_all = messaging.broadcast({"x": 2})

    assert to_user.sent_ids == ("mine",)
    assert sorted(to_all.sent_ids) == ["anon", "mine"]


def test_nothing_to_send_makes_no_request(
    management_api: ManagementApiStandIn, db: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        result = messaging.broadcast({"x": 1})

    assert result.total == 0
    assert management_api.count == 0


def test_rows_repeated_by_a_join_are_sent_once(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    user: Any,
) -> None:
    make_session("mine", make_gateway(), user=user)
    for token in ("t1", "t2"):
        WebSocketToken.objects.create(token_hash=token, user=user, django_session_hash="s")

    result = WebSocketSession.objects.filter(user__websocket_tokens__isnull=False).send_message({})

    assert result.sent_ids == ("mine",)
    assert management_api.count == 1
