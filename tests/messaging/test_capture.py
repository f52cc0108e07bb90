"""The capture helpers users get for their own tests."""

from __future__ import annotations

import pytest

from django_aws_api_gateway_websockets.messaging import close_connections
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import Outbox, capture_messages
from django_aws_api_gateway_websockets.testing.capture import CapturedMessage, ClosedConnection
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession

from .management_api import ManagementApiStandIn


def test_capture_records_what_would_be_sent_without_any_request(
    management_api: ManagementApiStandIn, gateway: ApiGateway, make_session: MakeSession
) -> None:
    make_session("a", gateway)
    make_session("b", gateway)

    with capture_messages() as outbox:
        WebSocketSession.objects.get(connection_id="a").send_message({"n": 1})
        result = WebSocketSession.objects.order_by("connection_id").send_message({"n": 2})

    assert result.sent_ids == ("a", "b")
    assert outbox.data_for("a") == [{"n": 1}, {"n": 2}]
    assert outbox.connection_ids == ["a", "b"]
    assert outbox.messages[0] == CapturedMessage(
        "a", gateway.management_endpoint_url, {"n": 1}, b'{"n":1}'
    )
    assert management_api.count == 0


def test_gone_connections_in_the_outbox_are_marked_closed(
    gateway: ApiGateway, make_session: MakeSession, ws_outbox: Outbox
) -> None:
    make_session("a", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    make_session("b", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    ws_outbox.mark_gone("b")

    result = WebSocketSession.objects.all().send_message({"n": 1})

    assert (result.sent_ids, result.gone_ids) == (("a",), ("b",))
    assert list(WebSocketSession.objects.filter(connected=True).values_list("pk", flat=True)) == [
        WebSocketSession.objects.get(connection_id="a").pk
    ]


def test_failures_can_be_simulated(
    gateway: ApiGateway, make_session: MakeSession, ws_outbox: Outbox
) -> None:
    make_session("a", gateway)
    make_session("b", gateway)
    make_session("c", gateway)
    ws_outbox.mark_failed("a")
    ws_outbox.mark_failed("b", reason="ForbiddenException (HTTP 403): Forbidden")

    result = WebSocketSession.objects.all().send_message({"n": 1})

    assert result.errors == {
        "a": "LimitExceededException (HTTP 429): simulated failure",
        "b": "ForbiddenException (HTTP 403): Forbidden",
    }
    assert ws_outbox.connection_ids == ["c"]


def test_closing_is_recorded_and_a_closed_connection_is_gone_afterwards(
    gateway: ApiGateway, make_session: MakeSession, ws_outbox: Outbox
) -> None:
    session = make_session("a", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)

    closed = close_connections([session])
    again = close_connections([session])
    session.connected = True  # as if a stale copy of the row were used
    sent = session.send_message({"n": 1})

    assert closed.sent_ids == ("a",)
    assert again.total == 0  # the row is marked closed: not even asked
    assert ws_outbox.closed == [ClosedConnection("a", gateway.management_endpoint_url)]
    assert ws_outbox.closed_ids == ["a"]
    assert sent.gone_ids == ("a",)


def test_closing_a_gone_connection_in_the_outbox_counts_it_gone(
    gateway: ApiGateway, make_session: MakeSession, ws_outbox: Outbox
) -> None:
    session = make_session("a", gateway)
    ws_outbox.mark_gone("a")

    result = close_connections([session])

    assert result.gone_ids == ("a",)
    assert ws_outbox.closed == []
    assert session.connected is False


def test_clear_forgets_records_but_not_gone_connections(
    gateway: ApiGateway, make_session: MakeSession, ws_outbox: Outbox
) -> None:
    make_session("a", gateway)
    make_session("b", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    WebSocketSession.objects.all().send_message({"n": 1})
    ws_outbox.mark_gone("b")

    ws_outbox.clear()
    WebSocketSession.objects.filter(connection_id="b").update(connected=True)
    result = WebSocketSession.objects.all().send_message({"n": 2})

    assert ws_outbox.messages == [
        CapturedMessage("a", gateway.management_endpoint_url, {"n": 2}, b'{"n":2}')
    ]
    assert result.gone_ids == ("b",)


def test_captures_end_with_their_block(gateway: ApiGateway, make_session: MakeSession) -> None:
    make_session("a", gateway)

    with capture_messages() as outer:
        with capture_messages() as inner:
            WebSocketSession.objects.all().send_message({"to": "inner"})
        WebSocketSession.objects.all().send_message({"to": "outer"})

    assert inner.data_for("a") == [{"to": "inner"}]
    assert outer.data_for("a") == [{"to": "outer"}]


def test_the_message_limit_still_applies_under_capture(ws_outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="API Gateway accepts at most"):
        WebSocketSession.objects.none().send_message("x" * 200_000)


def test_under_capture_a_just_opened_connection_marked_gone_is_gone(
    gateway: ApiGateway, make_session: MakeSession
) -> None:
    # What a user's test means by mark_gone, even for a row it just created.
    make_session("a", gateway)
    with capture_messages() as outbox:
        outbox.mark_gone("a")
        result = WebSocketSession.objects.all().send_message({"n": 1})
    assert (result.pending_ids, result.gone_ids) == ((), ("a",))
    assert not WebSocketSession.objects.get(connection_id="a").connected


def test_capture_can_keep_the_production_connect_grace(
    gateway: ApiGateway, make_session: MakeSession
) -> None:
    make_session("a", gateway)
    with capture_messages(connect_grace_seconds=30) as outbox:
        outbox.mark_gone("a")
        result = WebSocketSession.objects.all().send_message({"n": 1})
    assert (result.pending_ids, result.gone_ids) == (("a",), ())
    assert WebSocketSession.objects.get(connection_id="a").connected
