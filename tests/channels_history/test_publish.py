"""publish(): the envelope, the seq, the history row, the sends, and what it refuses."""

from __future__ import annotations

import json
import sqlite3
from importlib.util import find_spec
from typing import Any

import pytest
from django.db import NotSupportedError, connection, transaction
from django.test.utils import CaptureQueriesContext

from django_aws_api_gateway_websockets import history, protocol, publishing, tasks, wire
from django_aws_api_gateway_websockets.models import ApiGateway, ChannelMessage, ChannelSequence
from django_aws_api_gateway_websockets.models.history import CHANNEL_NAME_LENGTH
from django_aws_api_gateway_websockets.publishing import publish
from django_aws_api_gateway_websockets.testing.capture import Outbox
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession

# Sends wait for the commit: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
# A subscriber of "news", open long enough that a 410 means gone.
NEWS: dict[str, Any] = {"channel_name": "news", "opened_seconds_ago": OPEN_FOR_A_WHILE}


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL of each statement, transaction control left out."""
    return [
        query["sql"]
        for query in queries
        if query["sql"].split()[0].upper() not in TRANSACTION_CONTROL
    ]


def test_subscribers_receive_the_envelope_with_seq_from_one(
    ws_outbox: Outbox, make_session: MakeSession, gateway: ApiGateway
) -> None:
    make_session("a", gateway, **NEWS)
    make_session("b", gateway, **NEWS)
    make_session("elsewhere", gateway, **{**NEWS, "channel_name": "sport"})
    make_session("closed", gateway, connected=False, **NEWS)

    first = publish("news", {"text": "hello"})
    second = publish("news", ["any", "json"])

    assert (first.seq, second.seq) == (1, 2)
    assert first.sent is not None and sorted(first.sent.sent_ids) == ["a", "b"]
    assert first.tasks == () and not first.after_commit
    assert ws_outbox.data_for("a") == [
        {"$ws": "publish", "channel": "news", "seq": 1, "data": {"text": "hello"}},
        {"$ws": "publish", "channel": "news", "seq": 2, "data": ["any", "json"]},
    ]
    assert ws_outbox.data_for("elsewhere") == [] and ws_outbox.data_for("closed") == []
    # Compact JSON on the wire, in the documented key order.
    assert (
        ws_outbox.messages[0].raw
        == b'{"$ws":"publish","channel":"news","seq":1,"data":{"text":"hello"}}'
    )


def test_each_channel_counts_on_its_own_and_keeps_its_history(ws_outbox: Outbox) -> None:
    publish("news", 1)
    publish("sport", 2)
    publish("news", 3)

    rows = ChannelMessage.objects.order_by("channel_name", "seq")
    assert [(m.channel_name, m.seq, m.data) for m in rows] == [
        ("news", 1, "1"),
        ("news", 2, "3"),
        ("sport", 1, "2"),
    ]
    assert dict(ChannelSequence.objects.values_list("channel_name", "last_seq")) == {
        "news": 2,
        "sport": 1,
    }


def test_a_channel_nobody_is_in_still_gets_its_seq_and_history(ws_outbox: Outbox) -> None:
    result = publish("empty", {"x": 1})
    assert result.seq == 1
    assert result.sent is not None and result.sent.total == 0
    assert ChannelMessage.objects.get().data == '{"x":1}'


def test_three_queries_before_the_sends(
    ws_outbox: Outbox, make_session: MakeSession, gateway: ApiGateway
) -> None:
    for i in range(5):
        make_session(f"c{i}", gateway, **NEWS)
    publish("news", "warm")  # the sequence row exists from here on: the usual case

    with CaptureQueriesContext(connection) as queries:
        result = publish("news", {"text": "counted"})

    assert result.sent is not None and result.sent.sent == 5
    sql = statements(queries)
    assert len(sql) == 3, sql
    assert "ON CONFLICT" in sql[0] and "RETURNING" in sql[0]
    assert sql[1].startswith("INSERT") and ChannelMessage._meta.db_table in sql[1]
    assert sql[2].startswith("SELECT")


def test_the_first_publish_to_a_channel_costs_the_same(ws_outbox: Outbox) -> None:
    with CaptureQueriesContext(connection) as queries:
        publish("brand-new", 1)
    assert len(statements(queries)) == 3


def test_too_large_is_refused_before_any_query_and_uses_no_seq(ws_outbox: Outbox) -> None:
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError, match="bytes"):
        publish("news", "x" * wire.MAX_PAYLOAD_BYTES)
    assert len(queries) == 0
    assert not ChannelSequence.objects.exists()
    assert publish("news", "fits").seq == 1


def test_the_limit_is_on_the_whole_envelope(
    ws_outbox: Outbox, make_session: MakeSession, gateway: ApiGateway
) -> None:
    make_session("a", gateway, **NEWS)
    overhead = len(protocol.publish_text("news", 1, '""'))
    fits = "x" * (history.MAX_ENVELOPE_BYTES - overhead)
    publish("news", fits)
    assert len(ws_outbox.messages[0].raw) == history.MAX_ENVELOPE_BYTES

    with pytest.raises(ValueError):
        publish("news", fits + "x")
    assert ChannelSequence.objects.get().last_seq == 1


def test_an_envelope_too_large_only_with_its_real_seq_rolls_the_seq_back(ws_outbox: Outbox) -> None:
    # Fits with seq 1 but not with a 2-digit seq: refused after the upsert.
    ChannelSequence.objects.create(channel_name="news", last_seq=9)
    overhead = len(protocol.publish_text("news", 1, '""'))
    data = "x" * (history.MAX_ENVELOPE_BYTES - overhead)

    with pytest.raises(ValueError):
        publish("news", data)

    assert ChannelSequence.objects.get().last_seq == 9
    assert not ChannelMessage.objects.exists()


def test_any_one_envelope_fits_a_resume_answer_with_the_longest_ack() -> None:
    channel, seq = "c" * CHANNEL_NAME_LENGTH, history.MAX_SEQ
    overhead = len(protocol.publish_text(channel, seq, '""'))
    largest = protocol.publish_text(
        channel, seq, f'"{"x" * (history.MAX_ENVELOPE_BYTES - overhead)}"'
    )
    assert len(largest) == history.MAX_ENVELOPE_BYTES
    answer = protocol.resumed_text(
        channel,
        last_seq=seq,
        more=False,
        messages=[largest],
        message_id="m" * protocol.MESSAGE_ID_MAX_LENGTH,
    )
    assert len(answer.encode()) <= wire.MAX_PAYLOAD_BYTES


@pytest.mark.parametrize("channel", ["", "has space", "x" * 101, None, 7])
def test_a_channel_no_connection_could_be_in_is_refused(ws_outbox: Outbox, channel: Any) -> None:
    with pytest.raises(ValueError):
        publish(channel, 1)
    assert not ChannelSequence.objects.exists()


def test_data_that_is_not_json_is_refused_before_any_query(ws_outbox: Outbox) -> None:
    with CaptureQueriesContext(connection) as queries, pytest.raises(TypeError):
        publish("news", {"not": object()})
    assert len(queries) == 0


def test_inside_a_transaction_the_sends_wait_for_the_commit(
    ws_outbox: Outbox, make_session: MakeSession, gateway: ApiGateway
) -> None:
    make_session("a", gateway, **NEWS)
    with transaction.atomic():
        result = publish("news", "later")
        assert result.after_commit and result.sent is None
        assert ws_outbox.data_for("a") == []
    assert ws_outbox.data_for("a") == [
        {"$ws": "publish", "channel": "news", "seq": 1, "data": "later"}
    ]


def test_a_rolled_back_publish_leaves_no_gap_and_sends_nothing(
    ws_outbox: Outbox, make_session: MakeSession, gateway: ApiGateway
) -> None:
    make_session("a", gateway, **NEWS)
    publish("news", "one")

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        publish("news", "rolled back")
        raise Undo

    assert publish("news", "two").seq == 2
    assert [m["seq"] for m in ws_outbox.data_for("a")] == [1, 2]
    assert list(ChannelMessage.objects.order_by("seq").values_list("seq", "data")) == [
        (1, '"one"'),
        (2, '"two"'),
    ]


def test_from_the_threshold_on_the_sends_go_to_background_tasks(
    settings: Any, ws_outbox: Outbox, make_session: MakeSession, gateway: ApiGateway
) -> None:
    settings.TASKS = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "publish_background_threshold": 3,
        "enqueue_chunk_size": 2,
    }
    sessions = [make_session(f"c{i}", gateway, **NEWS) for i in range(3)]

    with CaptureQueriesContext(connection) as queries:
        result = publish("news", {"big": True})

    assert result.sent is None and len(result.tasks) == 2
    pks = [int(pk) for task in result.tasks for pk in task.args[1].split(",")]
    assert sorted(pks) == sorted(s.pk for s in sessions)
    sent = json.loads(tasks.unpack_payload(result.tasks[0].args[0]))
    assert sent == {"$ws": "publish", "channel": "news", "seq": 1, "data": {"big": True}}
    # The recipients were read once; the dummy backend stores tasks in memory.
    assert len(statements(queries)) == 3
    assert ws_outbox.messages == []


def test_just_below_the_threshold_the_sends_are_direct(
    settings: Any, ws_outbox: Outbox, make_session: MakeSession, gateway: ApiGateway
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "publish_background_threshold": 3}
    make_session("a", gateway, **NEWS)
    make_session("b", gateway, **NEWS)
    result = publish("news", 1)
    assert result.sent is not None and result.sent.sent == 2 and result.tasks == ()


def test_gone_connections_are_marked_closed_as_by_any_send(
    ws_outbox: Outbox, make_session: MakeSession, gateway: ApiGateway
) -> None:
    make_session("a", gateway, **NEWS)
    gone = make_session("gone", gateway, **NEWS)
    ws_outbox.mark_gone("gone")
    result = publish("news", 1)
    assert result.sent is not None and result.sent.gone_ids == ("gone",)
    gone.refresh_from_db()
    assert not gone.connected


def test_an_sqlite_without_upsert_returning_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    with pytest.raises(NotSupportedError, match="SQLite 3.35.0 or later"):
        publishing.next_seq("news", "default")
