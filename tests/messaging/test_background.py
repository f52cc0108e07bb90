"""Background sends: ``enqueue_message`` on Django's Tasks framework, through the stand-in."""

from __future__ import annotations

import json
import os
from importlib.util import find_spec
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_aws_api_gateway_websockets import messaging, tasks, wire
from django_aws_api_gateway_websockets.models import WebSocketSession
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession

from .conftest import SEND_SETTINGS, MakeGateway, connected_ids
from .management_api import ManagementApiStandIn

# Django 6.0 ships the framework; Django 5.2 runs the django-tasks backport.
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"
IMMEDIATE = {"default": {"BACKEND": f"{FRAMEWORK}.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}


def websockets(**values: Any) -> dict[str, Any]:
    return {**SEND_SETTINGS, **values}


@pytest.fixture
def immediate(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def dummy(settings: Any) -> None:
    """Tasks are stored, not run: what the caller pays, and what a worker will get."""
    settings.TASKS = DUMMY


def open_sessions(make_session: MakeSession, gateway: Any, count: int, prefix: str = "c") -> None:
    for i in range(count):
        make_session(f"{prefix}{i}", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The first word of each statement, transaction control left out."""
    words = [query["sql"].split()[0].upper() for query in queries]
    return [word for word in words if word not in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}]


def enqueued_pks(results: list[Any]) -> list[int]:
    """The session primary keys the tasks were given (one comma-separated string each)."""
    return [int(pk) for result in results for pk in result.args[1].split(",")]


@pytest.mark.usefixtures("immediate")
def test_with_the_immediate_backend_everything_is_sent_before_the_call_returns(
    settings: Any,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
) -> None:
    settings.WEBSOCKETS = websockets(enqueue_chunk_size=2)
    alpha, beta = make_gateway("Alpha", stage="alpha"), make_gateway("Beta", stage="beta")
    open_sessions(make_session, alpha, 3, "a")
    open_sessions(make_session, beta, 2, "b")
    make_session("closed", alpha, connected=False)
    make_session("elsewhere", alpha, channel_name="other", opened_seconds_ago=OPEN_FOR_A_WHILE)
    management_api.gone.add("b1")

    results = WebSocketSession.objects.in_channel("chat").enqueue_message({"type": "news"})

    assert len(results) == 3  # 5 connected rows in chunks of 2
    assert all(result.status == "SUCCESSFUL" for result in results)
    assert sum(result.return_value["sent"] for result in results) == 4
    assert sum(result.return_value["gone"] for result in results) == 1
    received = {(r.stage, r.connection_id) for r in management_api.posted()}
    assert received == {("alpha", f"a{i}") for i in range(3)} | {("beta", "b0"), ("beta", "b1")}
    assert {json.loads(r.body)["type"] for r in management_api.posted()} == {"news"}
    # A gone row is marked closed exactly as a direct send marks it.
    assert connected_ids() == {"a0", "a1", "a2", "b0", "elsewhere"}


@pytest.mark.usefixtures("immediate")
def test_failures_are_reported_in_the_task_result_and_stop_nothing(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    open_sessions(make_session, gateway, 3)
    make_session("no-gateway", None, opened_seconds_ago=OPEN_FOR_A_WHILE)
    management_api.statuses["c1"] = 403

    [result] = WebSocketSession.objects.all().enqueue_message({"n": 1})

    assert result.return_value["sent"] == 2
    assert result.return_value["failed"] == 2
    assert set(result.return_value["errors"]) == {"c1", "no-gateway"}
    assert "ForbiddenException" in result.return_value["errors"]["c1"]
    assert connected_ids() == {"c0", "c1", "c2", "no-gateway"}


@pytest.mark.usefixtures("immediate")
def test_session_enqueue_message_sends_to_that_connection(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway(stage="dev")
    session = make_session("one", gateway)
    make_session("two", gateway)

    [result] = session.enqueue_message({"hello": "you"})

    assert result.return_value == {"sent": 1, "gone": 0, "pending": 0, "failed": 0, "errors": {}}
    assert [(r.stage, r.connection_id, r.body) for r in management_api.posted()] == [
        ("dev", "one", b'{"hello":"you"}')
    ]


@pytest.mark.usefixtures("dummy")
def test_a_closed_session_enqueues_nothing(
    make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    session = make_session("one", make_gateway(), connected=False)

    assert session.enqueue_message({"n": 1}) == []
    assert WebSocketSession.objects.filter(connected=False).enqueue_message({"n": 1}) == []
    assert WebSocketSession.objects.none().enqueue_message({"n": 1}) == []
    assert WebSocketSession.objects.all()[5:].enqueue_message({"n": 1}) == []


@pytest.mark.usefixtures("dummy")
def test_a_message_too_large_or_not_json_is_refused_to_the_caller_before_any_query(
    make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    session = make_session("one", make_gateway())
    too_large = {"text": "x" * wire.MAX_PAYLOAD_BYTES}

    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(ValueError, match="API Gateway accepts at most"):
            WebSocketSession.objects.all().enqueue_message(too_large)
        with pytest.raises(ValueError, match="API Gateway accepts at most"):
            session.enqueue_message(too_large)
        with pytest.raises(TypeError):
            WebSocketSession.objects.all().enqueue_message({"not json": object()})

    assert len(queries) == 0


@pytest.mark.usefixtures("dummy")
def test_the_caller_reads_the_ids_in_one_query_whatever_the_count(
    settings: Any, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    settings.WEBSOCKETS = websockets(enqueue_chunk_size=4)
    gateway = make_gateway()
    WebSocketSession.objects.bulk_create(
        WebSocketSession(connection_id=f"c{i}", channel_name="big", api_gateway=gateway)
        for i in range(30)
    )

    with CaptureQueriesContext(connection) as queries:
        results = WebSocketSession.objects.in_channel("big").enqueue_message({"n": 1})

    # The dummy backend stores tasks in memory: no query of its own.
    assert statements(queries) == ["SELECT"]
    assert [len(enqueued_pks([result])) for result in results] == [4, 4, 4, 4, 4, 4, 4, 2]
    assert sorted(enqueued_pks(results)) == sorted(
        WebSocketSession.objects.in_channel("big").values_list("pk", flat=True)
    )
    assert {result.status for result in results} == {"READY"}
    assert {tasks.unpack_payload(result.args[0]) for result in results} == {b'{"n":1}'}


@pytest.mark.usefixtures("dummy")
def test_a_worker_sends_only_to_rows_still_connected_when_it_runs(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    open_sessions(make_session, gateway, 3)
    [result] = WebSocketSession.objects.all().enqueue_message({"n": 1})
    WebSocketSession.objects.filter(connection_id="c1").update(connected=False)

    summary = tasks.send_chunk.call(*result.args, **result.kwargs)

    assert summary["sent"] == 2
    assert sorted(r.connection_id for r in management_api.posted()) == ["c0", "c2"]


@pytest.mark.usefixtures("dummy")
def test_sliced_union_and_joined_querysets_enqueue_each_connected_row_once(
    make_gateway: MakeGateway, make_session: MakeSession, user: Any
) -> None:
    gateway = make_gateway()
    open_sessions(make_session, gateway, 4)
    WebSocketSession.objects.filter(connection_id__in=["c0", "c1"]).update(user=user)

    def enqueued(queryset: Any) -> list[int]:
        return enqueued_pks(queryset.enqueue_message({}))

    pk = dict(WebSocketSession.objects.values_list("connection_id", "pk"))
    everyone = WebSocketSession.objects.order_by("connection_id")
    assert sorted(enqueued(everyone[:2])) == [pk["c0"], pk["c1"]]
    rows = WebSocketSession.objects.all()
    union = rows.filter(connection_id="c0").union(rows.filter(connection_id="c3"))
    assert sorted(enqueued(union)) == [pk["c0"], pk["c3"]]
    # A user with two groups joins two rows per session.
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.create(name="a"), Group.objects.create(name="b"))
    assert sorted(enqueued(WebSocketSession.objects.filter(user__groups__name__in=["a", "b"]))) == [
        pk["c0"],
        pk["c1"],
    ]


def test_tasks_go_to_the_configured_backend_and_queue(
    settings: Any, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    settings.TASKS = {
        **IMMEDIATE,
        "later": {**DUMMY["default"], "QUEUES": ["websockets"]},
    }
    settings.WEBSOCKETS = websockets(enqueue_backend="later", enqueue_queue_name="websockets")
    make_session("one", make_gateway())

    [result] = WebSocketSession.objects.all().enqueue_message({})

    assert (result.backend, result.task.queue_name, result.status) == (
        "later",
        "websockets",
        "READY",
    )


@pytest.mark.usefixtures("dummy")
def test_a_chunk_larger_than_the_databases_parameter_limit_is_read_in_parts(
    monkeypatch: pytest.MonkeyPatch,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
) -> None:
    gateway = make_gateway()
    open_sessions(make_session, gateway, 7)
    [result] = WebSocketSession.objects.all().enqueue_message({"n": 1})
    monkeypatch.setattr(type(connection.features), "max_query_params", 3)

    with CaptureQueriesContext(connection) as queries:
        summary = tasks.send_chunk.call(*result.args, **result.kwargs)

    assert summary["sent"] == 7
    assert len(management_api.posted()) == 7
    # Each read binds connected=True beside the ids: 2 ids + 1 fit in 3 parameters.
    assert len(queries) == 4  # rows read 2 + 2 + 2 + 1


def dummy_backend() -> Any:
    from django_aws_api_gateway_websockets.tasks import send_chunk

    return send_chunk.get_backend()


@pytest.mark.usefixtures("dummy")
def test_recipients_not_reached_are_enqueued_again_after_a_delay_and_reached_once(
    settings: Any,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
) -> None:
    settings.WEBSOCKETS = websockets(enqueue_requeue_delay_seconds=30)
    gateway = make_gateway()
    open_sessions(make_session, gateway, 3)
    [first] = WebSocketSession.objects.all().enqueue_message({"n": 1})
    # c1 stays throttled past send_throttle_timeout_seconds; c2 meets a 503.
    management_api.statuses.update({"c1": 429, "c2": 503})

    outcome = tasks.send_chunk.call(*first.args, **first.kwargs)

    assert (outcome["sent"], outcome["failed"], outcome["requeued"]) == (1, 2, 2)
    again = dummy_backend().get_result(outcome["requeued_task"])
    pk = dict(WebSocketSession.objects.values_list("connection_id", "pk"))
    assert sorted(enqueued_pks([again])) == sorted([pk["c1"], pk["c2"]])
    assert again.args[0] == first.args[0] and again.args[3] == 1
    delay = (again.task.run_after - again.enqueued_at).total_seconds()
    assert 29 < delay <= 30

    management_api.statuses.clear()
    outcome = tasks.send_chunk.call(*again.args, **again.kwargs)

    assert (outcome["sent"], outcome["failed"]) == (2, 0)
    assert management_api.delivered == {"c0": 1, "c1": 1, "c2": 1}


@pytest.mark.usefixtures("dummy")
def test_a_final_failure_is_logged_with_counts_and_ids_and_in_the_result(
    settings: Any,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.WEBSOCKETS = websockets(enqueue_max_requeues=2)
    gateway = make_gateway()
    open_sessions(make_session, gateway, 3)
    [result] = WebSocketSession.objects.all().enqueue_message({"n": 1})
    management_api.statuses["c1"] = 429
    management_api.statuses["c2"] = 403  # not retryable: failed, never requeued

    args = list(result.args)
    for _ in range(2):
        outcome = tasks.send_chunk.call(*args)
        args = list(dummy_backend().get_result(outcome["requeued_task"]).args)
    outcome = tasks.send_chunk.call(*args)

    assert "requeued" not in outcome
    assert (outcome["given_up"], outcome["given_up_ids"]) == (1, ["c1"])
    assert outcome["errors"]["c1"].startswith("LimitExceededException (HTTP 429)")
    assert (
        "send_chunk gave up on 1 of 1 connection(s) after 2 requeue(s) [c1]: "
        "LimitExceededException (HTTP 429)" in caplog.text
    )


@pytest.mark.usefixtures("immediate")
def test_a_backend_that_cannot_delay_a_task_gives_up_at_once(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    open_sessions(make_session, make_gateway(), 2)
    management_api.statuses["c0"] = 429

    [result] = WebSocketSession.objects.all().enqueue_message({"n": 1})

    assert result.return_value["given_up"] == 1
    assert "send_chunk gave up on 1 of 2 connection(s) after 0 requeue(s) [c0]" in caplog.text


# SQS refuses a message over 256 KB; the task's arguments must leave room for
# the backend's own envelope.
SQS_MAX_MESSAGE_BYTES = 256 * 1024


@pytest.mark.usefixtures("dummy")
@pytest.mark.parametrize(
    "data",
    [
        # Each quote is escaped in the message's JSON, and was escaped again in
        # the task's: 271,186 bytes of arguments before they were compressed.
        '"' * (wire.MAX_PAYLOAD_BYTES // 2 - 1),
        # What compresses worst: random printable characters and escapes.
        "".join(
            chr(33 + (i * 7919 + i * i * 104729) % 94) for i in range(wire.MAX_PAYLOAD_BYTES - 2)
        ),
        os.urandom(wire.MAX_PAYLOAD_BYTES * 3 // 8 - 64)
        .hex()
        .translate(str.maketrans("0123", '\n\t"\\')),
    ],
    ids=["quotes", "printable", "escapes"],
)
def test_task_arguments_stay_under_sqs_limit_for_the_worst_message(db: None, data: str) -> None:
    payload = messaging.encode_message(data)
    assert len(payload) > wire.MAX_PAYLOAD_BYTES * 0.9
    # 1,000 of the largest primary keys a BigAutoField holds.
    pks = [2**63 - 1 - i for i in range(1_000)]

    [result] = tasks.enqueue_payload(payload, pks, "default")

    size = len(json.dumps({"args": result.args, "kwargs": result.kwargs}).encode())
    assert size < SQS_MAX_MESSAGE_BYTES - 16 * 1024
    assert tasks.unpack_payload(result.args[0]) == payload
