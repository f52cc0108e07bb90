"""manage.py reconcilewebsocketsessions against a Management API stand-in over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_aws_api_gateway_websockets import messaging
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.transport import clear_transport_cache
from tests.messaging.conftest import OPEN_FOR_A_WHILE, SEND_SETTINGS
from tests.messaging.management_api import ManagementApiStandIn

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _send_settings(settings: Any) -> Iterator[None]:
    settings.WEBSOCKETS = dict(SEND_SETTINGS)
    clear_transport_cache()
    yield
    clear_transport_cache()


@pytest.fixture
def stand_in() -> Iterator[ManagementApiStandIn]:
    server = ManagementApiStandIn().start()
    yield server
    server.stop()


def gateway(stand_in: ManagementApiStandIn, api_id: str) -> ApiGateway:
    return ApiGateway.objects.create(
        api_name=api_id,
        api_id=api_id,
        api_endpoint=stand_in.api_endpoint,
        target_base_endpoint="https://app.example.com/ws/",
    )


def session(connection_id: str, api_gateway: ApiGateway, channel: str = "chat") -> None:
    row = WebSocketSession.objects.create(
        connection_id=connection_id, api_gateway=api_gateway, channel_name=channel
    )
    # Older than connect_grace_seconds: a 410 for it means gone.
    opened = row.created_on - timedelta(seconds=OPEN_FOR_A_WHILE)
    WebSocketSession.objects.filter(pk=row.pk).update(created_on=opened)


def run(*args: str) -> str:
    out = StringIO()
    call_command("reconcilewebsocketsessions", *args, stdout=out)
    return out.getvalue()


def connected() -> set[str]:
    return set(
        WebSocketSession.objects.filter(connected=True).values_list("connection_id", flat=True)
    )


def test_marks_gone_sessions_and_prints_a_summary(stand_in: ManagementApiStandIn) -> None:
    api = gateway(stand_in, "apione")
    for cid in ("live", "dead"):
        session(cid, api)
    stand_in.gone.add("dead")

    output = run()

    assert output == (
        "Checked 2 connected session(s): 1 alive, 1 gone (marked disconnected), "
        "0 pending (still connecting, left alone), 0 failed.\n"
    )
    assert connected() == {"live"}
    assert {r.method for r in stand_in.received} == {"GET"}


def test_dry_run_changes_nothing(stand_in: ManagementApiStandIn) -> None:
    session("dead", gateway(stand_in, "apione"))
    stand_in.gone.add("dead")

    assert "1 gone (would mark disconnected)" in run("--dry-run")
    assert connected() == {"dead"}


@pytest.mark.parametrize("by", ["pk", "api_id"])
def test_gateway_and_channel_narrow_the_rows(stand_in: ManagementApiStandIn, by: str) -> None:
    one, two = gateway(stand_in, "apione"), gateway(stand_in, "apitwo")
    session("one-chat", one)
    session("one-news", one, "news")
    session("two-chat", two)
    stand_in.gone.update({"one-chat", "one-news", "two-chat"})

    run("--gateway", str(one.pk) if by == "pk" else "apione", "--channel", "chat")

    assert connected() == {"one-news", "two-chat"}


def test_an_unknown_gateway_is_a_command_error(stand_in: ManagementApiStandIn) -> None:
    gateway(stand_in, "apione")
    with pytest.raises(CommandError, match="'nope' matches no ApiGateway pk or api_id"):
        run("--gateway", "nope")


def test_failures_are_counted_with_their_reason(stand_in: ManagementApiStandIn) -> None:
    session("denied", gateway(stand_in, "apione"))
    stand_in.statuses["denied"] = 403

    output = run()

    assert "0 alive, 0 gone (marked disconnected)" in output and "1 failed." in output
    assert "  denied: ForbiddenException (HTTP 403)" in output
    assert connected() == {"denied"}


def test_long_runs_print_progress(
    stand_in: ManagementApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messaging, "RECONCILE_BATCH", 2)
    api = gateway(stand_in, "apione")
    for n in range(3):
        session(f"c{n}", api)

    lines = run().splitlines()

    assert lines[:2] == ["checked 2/3 connections", "checked 3/3 connections"]
    assert lines[2].startswith("Checked 3 connected session(s): 3 alive")
