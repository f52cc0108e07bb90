"""``ws_client`` runs a request's on-commit callbacks, as the request's commit would."""

from __future__ import annotations

import logging

import pytest
from django.db import connection, transaction

from django_aws_api_gateway_websockets.testing import Outbox, WebSocketTestClient
from django_aws_api_gateway_websockets.testing.client import run_on_commit_callbacks

pytestmark = pytest.mark.urls("tests.testing_helpers.publishing_site")


@pytest.fixture
def ws_path() -> str:
    return "/publishing-ws/"


def test_publish_in_a_handler_reaches_the_channel_under_the_db_fixture(
    db: None, ws_client: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    # pytest-django's db fixture: the test runs in a transaction that is never
    # committed, so publish() defers its sends to a commit that never comes...
    assert connection.in_atomic_block
    reader = ws_client.connect(channel="lobby")
    writer = ws_client.connect(channel="lobby")

    reply = writer.send({"action": "post", "text": "hi"})

    assert reply.json() == {"seq": 1, "after_commit": True}
    # ...but the request's callbacks ran when it returned, as in a real request.
    envelope = {"$ws": "publish", "channel": "lobby", "seq": 1, "data": {"text": "hi"}}
    assert reader.received == [envelope]
    assert writer.received == [envelope]


@pytest.mark.parametrize("run_on_commit", [True, False])
def test_a_capture_around_the_client_gets_only_the_callbacks_left_to_it(
    db: None,
    ws_client: WebSocketTestClient,
    ws_outbox: Outbox,
    django_capture_on_commit_callbacks: type,
    run_on_commit: bool,
) -> None:
    reader = ws_client.connect(channel="lobby")
    ws_client.run_on_commit = run_on_commit
    with django_capture_on_commit_callbacks(execute=True) as outer:  # type: ignore[operator]
        ws_client.connect(channel="lobby").send({"action": "post", "text": "once"})
        received_before_the_commit = len(reader.received)
    # Run by the request (and taken off the list, so not run twice), or left
    # to the test's transaction (run_on_commit=False) and run by the capture.
    assert received_before_the_commit == (1 if run_on_commit else 0)
    assert bool(outer) is not run_on_commit
    assert len(reader.received) == 1


def test_callbacks_registered_by_callbacks_run_and_robust_failures_are_logged(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def first() -> None:
        ran.append("first")
        transaction.on_commit(lambda: ran.append("second"))

    def failing() -> None:
        raise RuntimeError("boom")

    with run_on_commit_callbacks(), caplog.at_level(logging.ERROR):
        transaction.on_commit(first)
        transaction.on_commit(failing, robust=True)
        assert ran == []
    assert ran == ["first", "second"]
    assert "on-commit callback" in caplog.text and "boom" in caplog.text
    assert connection.run_on_commit == []


def test_a_failing_callback_fails_the_test_as_it_fails_a_request(db: None) -> None:
    def failing() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"), run_on_commit_callbacks():
        transaction.on_commit(failing)


def test_outside_a_transaction_django_runs_callbacks_itself(transactional_db: None) -> None:
    ran: list[str] = []
    with run_on_commit_callbacks():
        transaction.on_commit(lambda: ran.append("now"))
        assert ran == ["now"]
    assert ran == ["now"]
