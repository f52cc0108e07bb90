"""The resume handler: what a reconnected page missed, in order, or that it cannot have it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_aws_api_gateway_websockets import history, protocol
from django_aws_api_gateway_websockets.models import ApiGateway, ChannelMessage
from django_aws_api_gateway_websockets.publishing import publish
from django_aws_api_gateway_websockets.testing import Connection, WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox
from tests.conftest import API_ID

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.channels_history.views")]


@pytest.fixture
def page_connection(gateway: ApiGateway) -> Connection:
    """A connection subscribed to "news" (its $connect channel)."""
    connection = WebSocketTestClient("/ws/", api_id=API_ID).connect(channel="news")
    assert connection.response.status_code == 200
    return connection


def resume(page_connection: Connection, after: Any, channel: Any = "news", **extra: Any) -> Any:
    response = page_connection.send(
        {"handler": "resume", "channel": channel, "after": after, **extra}
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def publish_texts(channel: str, count: int) -> None:
    for n in range(1, count + 1):
        publish(channel, {"text": f"m{n}"})


def envelopes(first: int, last: int, channel: str = "news") -> list[dict[str, Any]]:
    return [
        {"$ws": "publish", "channel": channel, "seq": n, "data": {"text": f"m{n}"}}
        for n in range(first, last + 1)
    ]


def test_nothing_missed(page_connection: Connection) -> None:
    publish_texts("news", 3)
    assert resume(page_connection, 3) == {
        "$ws": "resumed",
        "channel": "news",
        "last_seq": 3,
        "more": False,
        "messages": [],
    }


def test_a_channel_never_published_to_has_nothing_to_miss(page_connection: Connection) -> None:
    answer = resume(page_connection, 0)
    assert (answer["$ws"], answer["last_seq"], answer["messages"]) == ("resumed", 0, [])


def test_the_missed_messages_come_in_seq_order(page_connection: Connection) -> None:
    publish_texts("news", 5)
    publish_texts("sport", 2)
    answer = resume(page_connection, 2)
    assert answer["$ws"] == "resumed" and answer["more"] is False
    assert answer["last_seq"] == 5
    assert answer["messages"] == envelopes(3, 5)


def test_history_trimmed_by_count_fails_the_resume(
    settings: Any, page_connection: Connection
) -> None:
    settings.WEBSOCKETS = {"history_max_messages": 3}
    publish_texts("news", 6)  # seqs 4 to 6 are kept, 1 to 3 not (cleanup has not run)
    assert ChannelMessage.objects.count() == 6
    assert resume(page_connection, 2) == {
        "$ws": "resume_failed",
        "channel": "news",
        "after": 2,
        "last_seq": 6,
    }
    assert resume(page_connection, 3)["messages"] == envelopes(4, 6)


def test_history_trimmed_by_age_fails_the_resume(
    settings: Any, page_connection: Connection
) -> None:
    settings.WEBSOCKETS = {"history_max_age_seconds": 600}
    publish_texts("news", 3)
    ChannelMessage.objects.filter(seq__lte=2).update(
        created_on=timezone.now() - timedelta(seconds=601)
    )
    assert resume(page_connection, 0)["$ws"] == "resume_failed"
    assert resume(page_connection, 1)["$ws"] == "resume_failed"
    assert resume(page_connection, 2)["messages"] == envelopes(3, 3)


def test_a_quiet_channel_whose_history_aged_out_still_resumes_with_nothing_missed(
    page_connection: Connection,
) -> None:
    publish_texts("news", 2)
    ChannelMessage.objects.all().delete()  # trimmed: only the sequence knows seq 2
    assert resume(page_connection, 2)["$ws"] == "resumed"
    assert resume(page_connection, 1)["$ws"] == "resume_failed"


def test_a_seq_the_channel_never_handed_out_fails_the_resume(page_connection: Connection) -> None:
    publish_texts("news", 2)
    answer = resume(page_connection, 7)
    assert (answer["$ws"], answer["after"], answer["last_seq"]) == ("resume_failed", 7, 2)


def test_at_most_resume_max_messages_with_more_to_page_on(
    settings: Any, page_connection: Connection
) -> None:
    settings.WEBSOCKETS = {"resume_max_messages": 2}
    publish_texts("news", 5)
    pages = []
    after = 0
    while True:
        answer = resume(page_connection, after)
        pages.append([message["seq"] for message in answer["messages"]])
        if not answer["more"]:
            break
        after = answer["messages"][-1]["seq"]
    assert pages == [[1, 2], [3, 4], [5]]


def test_seq_before_recent_resumes_the_last_messages(page_connection: Connection) -> None:
    publish_texts("news", 5)
    publish_texts("sport", 9)
    after = history.seq_before_recent("news", 3)
    assert after == 2
    assert resume(page_connection, after)["messages"] == envelopes(3, 5)


def test_seq_before_recent_serves_only_what_is_kept(
    settings: Any, page_connection: Connection
) -> None:
    settings.WEBSOCKETS = {"history_max_messages": 4, "history_max_age_seconds": 600}
    publish_texts("news", 6)  # 1 and 2 are past the count bound (cleanup has not run)
    ChannelMessage.objects.filter(seq=3).update(created_on=timezone.now() - timedelta(seconds=601))
    after = history.seq_before_recent("news", 10)
    assert after == 3
    assert resume(page_connection, after)["messages"] == envelopes(4, 6)


def test_seq_before_recent_with_nothing_kept_is_the_last_seq(page_connection: Connection) -> None:
    assert history.seq_before_recent("news", 5) == 0  # never published to
    publish_texts("news", 2)
    ChannelMessage.objects.all().delete()  # trimmed: only the sequence knows seq 2
    assert history.seq_before_recent("news", 5) == 2
    assert resume(page_connection, 2)["$ws"] == "resumed"
    publish_texts("news", 1)
    assert history.seq_before_recent("news", 0) == 3


def test_seq_before_recent_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="count must be 0 or more"):
        history.seq_before_recent("news", -1)


def test_an_answer_stops_at_the_frame_limit(page_connection: Connection) -> None:
    big = "x" * 50_000
    for _ in range(3):
        publish("news", big)
    first = page_connection.send({"handler": "resume", "channel": "news", "after": 0})
    answer = json.loads(first.content)
    assert [m["seq"] for m in answer["messages"]] == [1, 2] and answer["more"] is True
    assert len(first.content) <= 128 * 1024
    rest = resume(page_connection, 2)
    assert [m["seq"] for m in rest["messages"]] == [3] and rest["more"] is False


def test_the_largest_message_is_served_alone_with_the_longest_ack(
    page_connection: Connection,
) -> None:
    data = "x" * (history.MAX_ENVELOPE_BYTES - len(protocol.publish_text("news", 1, '""')))
    publish("news", data)
    publish("news", "small")
    response = page_connection.send(
        {"handler": "resume", "channel": "news", "after": 0, "client_message_id": "a" * 64}
    )
    assert len(response.content) <= 128 * 1024
    answer = json.loads(response.content)
    assert answer["ack"] == "a" * 64
    assert [m["seq"] for m in answer["messages"]] == [1] and answer["more"] is True


def test_the_answer_acknowledges_the_message_id(page_connection: Connection) -> None:
    assert resume(page_connection, 0, client_message_id="r-1")["ack"] == "r-1"
    failed = resume(page_connection, 3, client_message_id="r-2")
    assert failed["$ws"] == "resume_failed" and failed["ack"] == "r-2"


def test_a_channel_the_connection_is_not_in_is_refused_403(page_connection: Connection) -> None:
    publish_texts("sport", 1)
    response = page_connection.send({"handler": "resume", "channel": "sport", "after": 0})
    assert response.status_code == 403
    assert json.loads(response.content) == {
        "$ws": "error",
        "error": "Not subscribed to this channel.",
    }


@pytest.mark.parametrize("after", [-1, "3", 1.5, True, None, [], 2**63])
def test_after_must_be_a_non_negative_integer(page_connection: Connection, after: Any) -> None:
    response = page_connection.send({"handler": "resume", "channel": "news", "after": after})
    assert response.status_code == 400
    assert "after" in json.loads(response.content)["error"]


@pytest.mark.parametrize("channel", ["", "no spaces", None, 5])
def test_a_bad_channel_name_is_refused_400(page_connection: Connection, channel: Any) -> None:
    response = page_connection.send({"handler": "resume", "channel": channel, "after": 0})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("published", "after", "expected"),
    [(0, 0, "resumed"), (3, 3, "resumed"), (5, 2, "resumed"), (2, 9, "resume_failed")],
)
def test_the_missed_messages_cost_one_query(published: int, after: int, expected: str) -> None:
    publish_texts("news", published)
    with CaptureQueriesContext(connection) as queries:
        missed = history.read_missed("news", after)
    assert len(queries) == 1
    assert json.loads(missed.answer())["$ws"] == expected


def test_the_read_uses_the_seq_index_on_postgresql(settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan")
    publish_texts("news", 3)
    with connection.cursor() as cursor:
        sql = history._missed_sql("default")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, [0, 1000, timezone.now() - timedelta(days=1), "news", 5])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "dagw_message_channel_seq" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_a_handler_publishes_with_self_publish(
    page_connection: Connection, ws_outbox: Outbox
) -> None:
    response = page_connection.send({"handler": "announce", "channel": "news", "text": "hi"})
    assert json.loads(response.content) == {"type": "published", "seq": 1}
    assert ws_outbox.data_for(page_connection.connection_id) == [
        {"$ws": "publish", "channel": "news", "seq": 1, "data": {"text": "hi"}}
    ]


def test_a_resume_message_costs_four_queries(
    page_connection: Connection, django_assert_num_queries: Any
) -> None:
    publish_texts("news", 3)
    resume(
        page_connection, 0
    )  # the gateway's api id is cached from here on, as in a running process
    with django_assert_num_queries(4):
        assert resume(page_connection, 1)["messages"] == envelopes(2, 3)
