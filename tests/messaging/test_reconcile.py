"""reconcile(): GET @connections for every connected row, close the gone ones, send nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from django_aws_api_gateway_websockets import messaging
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.testing import capture_messages
from django_aws_api_gateway_websockets.transport import BotoTransport, Outcome, Target
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession

from .conftest import MakeGateway, connected_ids
from .management_api import ManagementApiStandIn


def test_boto_transport_get_connections_maps_each_answer(
    management_api: ManagementApiStandIn,
) -> None:
    management_api.gone.add("closed")
    management_api.statuses["denied"] = 403
    endpoint = f"http://127.0.0.1:{management_api.port}/production"
    targets = [Target(endpoint, cid) for cid in ("open", "closed", "denied")]

    deliveries = BotoTransport().get_connections(targets)

    assert [d.outcome for d in deliveries] == [Outcome.SENT, Outcome.GONE, Outcome.FAILED]
    assert deliveries[2].error.startswith("ForbiddenException (HTTP 403)")
    assert sorted((r.method, r.stage, r.connection_id) for r in management_api.received) == [
        ("GET", "production", cid) for cid in ("closed", "denied", "open")
    ]


def test_gone_rows_are_marked_closed_live_ones_untouched_and_nothing_is_posted(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    for cid in ("live-1", "live-2", "dead-1", "dead-2"):
        make_session(cid, gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    make_session("already-closed", gateway, connected=False)
    management_api.gone.update({"dead-1", "dead-2", "already-closed"})
    live_before = dict(
        WebSocketSession.objects.filter(connection_id__startswith="live").values_list(
            "connection_id", "updated_on"
        )
    )

    result = WebSocketSession.objects.reconcile()

    assert result.action == "reconcile"
    assert sorted(result.alive_ids) == ["live-1", "live-2"]
    assert sorted(result.gone_ids) == ["dead-1", "dead-2"]
    assert (result.alive, result.gone, result.failed, result.pending, result.total) == (
        2, 2, 0, 0, 4,
    )  # fmt: skip
    assert connected_ids() == {"live-1", "live-2"}
    # Live rows are not written to at all.
    assert live_before == dict(
        WebSocketSession.objects.filter(connection_id__startswith="live").values_list(
            "connection_id", "updated_on"
        )
    )
    assert {r.method for r in management_api.received} == {"GET"}
    assert "already-closed" not in {r.connection_id for r in management_api.received}


@pytest.mark.parametrize("rows", [3, 60])
def test_three_statements_whatever_the_number_of_rows(
    rows: int,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    django_assert_num_queries: Any,
) -> None:
    gateways = [make_gateway("One"), make_gateway("Two", stage="beta")]
    for n in range(rows):
        make_session(f"c{n}", gateways[n % 2], opened_seconds_ago=OPEN_FOR_A_WHILE)
        if n % 3 == 0:
            management_api.gone.add(f"c{n}")

    with django_assert_num_queries(3) as queries:
        result = WebSocketSession.objects.all().reconcile()

    # The rows; then the gone ones' memberships, and the gone ones marked closed.
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["SELECT", "DELETE", "UPDATE"]
    assert result.gone == len(range(0, rows, 3))
    assert result.alive == rows - result.gone
    assert len(connected_ids()) == result.alive
    assert {r.stage for r in management_api.received} == {"production", "beta"}


def test_nothing_gone_costs_one_query_and_no_update(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    django_assert_num_queries: Any,
) -> None:
    make_session("live", make_gateway(), opened_seconds_ago=OPEN_FOR_A_WHILE)
    with django_assert_num_queries(1):
        result = WebSocketSession.objects.reconcile()
    assert result.alive_ids == ("live",)


def test_a_row_still_in_its_connect_is_left_alone_as_a_send_would(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    make_session("connecting", gateway)  # created just now, no message yet
    make_session("talked", gateway, request_count=1)  # young but past its $connect
    management_api.gone.update({"connecting", "talked"})

    result = WebSocketSession.objects.reconcile()

    assert (result.pending_ids, result.gone_ids) == (("connecting",), ("talked",))
    assert connected_ids() == {"connecting"}


def test_failures_keep_the_row_and_carry_the_reason(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = make_gateway()
    make_session("throttled", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    make_session("orphan", None, opened_seconds_ago=OPEN_FOR_A_WHILE)
    management_api.statuses["throttled"] = 429

    with caplog.at_level(logging.WARNING):
        result = WebSocketSession.objects.reconcile()

    assert sorted(result.failed_ids) == ["orphan", "throttled"]
    assert result.errors["orphan"] == "the session has no api_gateway"
    assert "LimitExceededException (HTTP 429)" in result.errors["throttled"]
    assert connected_ids() == {"throttled", "orphan"}
    assert "reconcile failed for 1 connection(s) [throttled]" in caplog.text


def test_an_unreachable_endpoint_fails_every_row_and_changes_nothing(
    make_gateway: MakeGateway, make_session: MakeSession, refusing_port: int
) -> None:
    gateway = make_gateway(api_endpoint=f"ws://127.0.0.1:{refusing_port}")
    make_session("a", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)

    result = WebSocketSession.objects.reconcile()

    assert (result.failed, result.gone) == (1, 0)
    assert connected_ids() == {"a"}


def test_dry_run_counts_but_changes_nothing(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    make_session("dead", make_gateway(), opened_seconds_ago=OPEN_FOR_A_WHILE)
    management_api.gone.add("dead")

    result = WebSocketSession.objects.reconcile(dry_run=True)

    assert (result.gone_ids, result.dry_run) == (("dead",), True)
    assert connected_ids() == {"dead"}


def test_any_queryset_narrows_what_is_asked(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    one, two = make_gateway("One"), make_gateway("Two")
    make_session("in-one", one, opened_seconds_ago=OPEN_FOR_A_WHILE)
    make_session("in-two", two, opened_seconds_ago=OPEN_FOR_A_WHILE)
    make_session("news-one", one, channel_name="news", opened_seconds_ago=OPEN_FOR_A_WHILE)
    management_api.gone.update({"in-one", "in-two", "news-one"})

    result = WebSocketSession.objects.filter(api_gateway=one).in_channel("chat").reconcile()

    assert result.gone_ids == ("in-one",)
    assert {r.connection_id for r in management_api.received} == {"in-one"}
    assert connected_ids() == {"in-two", "news-one"}


def test_progress_is_reported_after_each_batch(
    monkeypatch: pytest.MonkeyPatch, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    monkeypatch.setattr(messaging, "RECONCILE_BATCH", 2)
    gateway = make_gateway()
    for n in range(5):
        make_session(f"c{n}", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    calls: list[tuple[int, int]] = []

    with capture_messages() as outbox:
        outbox.mark_gone("c4")
        result = WebSocketSession.objects.reconcile(progress=lambda *p: calls.append(p))

    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert (result.alive, result.gone) == (4, 1)
    assert outbox.messages == []


def test_a_list_of_instances_is_updated_in_memory_too(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    session = make_session("dead", make_gateway(), opened_seconds_ago=OPEN_FOR_A_WHILE)
    management_api.gone.add("dead")

    result = messaging.reconcile_sessions([session])

    assert result.gone_ids == ("dead",)
    assert session.connected is False
    assert connected_ids() == set()


def test_the_stand_in_answers_get_as_aws_does(management_api: ManagementApiStandIn) -> None:
    import boto3

    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"http://127.0.0.1:{management_api.port}/production",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    management_api.gone.add("closed")

    answer = client.get_connection(ConnectionId="open")

    assert answer["Identity"] == {"SourceIp": "127.0.0.1"}
    assert answer["ConnectedAt"] <= answer["LastActiveAt"]
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId="closed")
