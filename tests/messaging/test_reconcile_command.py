"""manage.py reconcilewebsocketsessions against the Management API stand-in over real HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_aws_api_gateway_websockets import messaging
from django_aws_api_gateway_websockets.models import ApiGateway, ReconcileRun, WebSocketSession
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession

from .conftest import MakeGateway
from .management_api import ManagementApiStandIn


@pytest.fixture
def gateway(make_gateway: MakeGateway) -> ApiGateway:
    return make_gateway("One", api_id="apione")


@pytest.fixture
def session(make_session: MakeSession, gateway: ApiGateway) -> MakeSession:
    """Sessions open long enough that a 410 for them means gone."""

    def make(
        connection_id: str, api_gateway: ApiGateway = gateway, **fields: object
    ) -> WebSocketSession:
        return make_session(
            connection_id, api_gateway, opened_seconds_ago=OPEN_FOR_A_WHILE, **fields
        )

    return make


def run(*args: str) -> str:
    out = StringIO()
    call_command("reconcilewebsocketsessions", *args, stdout=out)
    return out.getvalue()


def connected() -> set[str]:
    return set(
        WebSocketSession.objects.filter(connected=True).values_list("connection_id", flat=True)
    )


def test_marks_gone_sessions_and_prints_a_summary(
    management_api: ManagementApiStandIn, session: MakeSession
) -> None:
    for cid in ("live", "dead"):
        session(cid)
    management_api.gone.add("dead")

    output = run()

    assert output == (
        "Checked 2 connected session(s): 1 alive, 1 gone (marked disconnected), "
        "0 pending (still connecting, left alone), 0 failed.\n"
    )
    assert connected() == {"live"}
    assert {r.method for r in management_api.received} == {"GET"}


def test_dry_run_changes_nothing(
    management_api: ManagementApiStandIn, session: MakeSession
) -> None:
    session("dead")
    management_api.gone.add("dead")

    assert "1 gone (would mark disconnected)" in run("--dry-run")
    assert connected() == {"dead"}


@pytest.mark.parametrize("by", ["pk", "api_id"])
def test_gateway_and_channel_narrow_the_rows(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    gateway: ApiGateway,
    session: MakeSession,
    by: str,
) -> None:
    session("one-chat")
    session("one-news", channel_name="news")
    session("two-chat", make_gateway("Two", api_id="apitwo"))
    management_api.gone.update({"one-chat", "one-news", "two-chat"})

    run("--gateway", str(gateway.pk) if by == "pk" else "apione", "--channel", "chat")

    assert connected() == {"one-news", "two-chat"}


def test_an_unknown_gateway_is_a_command_error(gateway: ApiGateway) -> None:
    with pytest.raises(CommandError, match="'nope' matches no ApiGateway pk or api_id"):
        run("--gateway", "nope")


def test_failures_are_counted_with_their_reason(
    management_api: ManagementApiStandIn, session: MakeSession
) -> None:
    session("denied")
    management_api.statuses["denied"] = 403

    output = run()

    assert "0 alive, 0 gone (marked disconnected)" in output and "1 failed." in output
    assert "  denied: ForbiddenException (HTTP 403)" in output
    assert connected() == {"denied"}


def test_long_runs_print_progress(session: MakeSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messaging, "RECONCILE_BATCH", 2)
    for n in range(3):
        session(f"c{n}")

    lines = run().splitlines()

    assert lines[:2] == ["checked 2/3 connections", "checked 3/3 connections"]
    assert lines[2].startswith("Checked 3 connected session(s): 3 alive")


def test_a_gateway_value_naming_two_records_is_a_command_error(
    gateway: ApiGateway, make_gateway: MakeGateway
) -> None:
    make_gateway("Two", api_id=str(gateway.pk))  # its api_id is the first one's pk
    with pytest.raises(CommandError, match="matches several gateways"):
        run("--gateway", str(gateway.pk))


def test_the_reconcile_task_repairs_rows_in_a_worker(
    settings: object,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    gateway: ApiGateway,
    session: MakeSession,
) -> None:
    from importlib.util import find_spec

    from django_aws_api_gateway_websockets import tasks

    framework = "django.tasks" if find_spec("django.tasks") else "django_tasks"
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": f"{framework}.backends.immediate.ImmediateBackend"}
    }
    other = make_gateway("Two", api_id="apitwo")
    session("dead", channel_name="lobby")
    session("live", channel_name="lobby")
    session("elsewhere", channel_name="kitchen")
    session("other-gateway", other, channel_name="lobby")
    management_api.gone.update({"dead", "elsewhere", "other-gateway"})

    result = tasks.reconcile_connections.enqueue(gateway.pk, "lobby")

    assert result.return_value == {
        "alive": 1,
        "gone": 1,
        "pending": 0,
        "failed": 0,
        "errors": {},
    }
    assert connected() == {"live", "elsewhere", "other-gateway"}
    assert {r.method for r in management_api.received} == {"GET"}
    # Recorded for the overview, under its scope (this gateway, this channel).
    run_row = ReconcileRun.objects.get()
    assert (run_row.api_gateway_id, run_row.channel_name) == (gateway.pk, "lobby")
    assert (run_row.alive, run_row.gone, run_row.failed) == (1, 1, 0)


def test_each_run_replaces_the_last_record_of_its_scope(
    management_api: ManagementApiStandIn, gateway: ApiGateway, session: MakeSession
) -> None:
    session("live")
    session("dead")
    management_api.gone.add("dead")
    run("--dry-run")
    assert not ReconcileRun.objects.exists()  # a dry run repairs nothing: not a reconcile

    run()
    first = ReconcileRun.objects.get()
    assert first.api_gateway_id is None and first.channel_name == ""
    assert (first.alive, first.gone, first.pending, first.failed) == (1, 1, 0, 0)
    assert first.started_on <= first.finished_on

    management_api.statuses["live"] = 403
    run()
    run("--gateway", gateway.api_id)
    rows = {(row.api_gateway_id, row.channel_name): row for row in ReconcileRun.objects.all()}
    assert set(rows) == {(None, ""), (gateway.pk, "")}
    latest = rows[(None, "")]
    assert latest.finished_on > first.finished_on
    assert (latest.alive, latest.failed) == (0, 1)
    assert latest.first_error  # why "live" failed; the log has every reason
