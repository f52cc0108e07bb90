from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession

pytestmark = pytest.mark.django_db


def session(
    connection_id: str,
    gateway: ApiGateway,
    *,
    connected: bool,
    created: timedelta = timedelta(0),
    updated: timedelta = timedelta(0),
) -> WebSocketSession:
    row = WebSocketSession.objects.create(
        connection_id=connection_id, channel_name="chat", api_gateway=gateway, connected=connected
    )
    now = row.created_on
    # update() skips auto_now, so the timestamps stay as given.
    WebSocketSession.objects.filter(pk=row.pk).update(
        created_on=now - created, updated_on=now - updated
    )
    return row


def remaining() -> dict[str, bool]:
    return dict(WebSocketSession.objects.values_list("connection_id", "connected"))


def run(*args: str) -> str:
    out = StringIO()
    call_command("clearWebSocketSessions", *args, stdout=out)
    return out.getvalue()


def test_deletes_disconnected_sessions_only(gateway: ApiGateway) -> None:
    session("open", gateway, connected=True)
    session("closed1", gateway, connected=False)
    session("closed2", gateway, connected=False)

    output = run()

    assert remaining() == {"open": True}
    assert "Marked 0 expired session(s) disconnected; deleted 2 disconnected session(s)." in output


def test_sessions_older_than_api_gateway_allows_are_expired(gateway: ApiGateway) -> None:
    # API Gateway closes every connection after 2 hours, whether or not
    # $disconnect reached us.
    session("stale", gateway, connected=True, created=timedelta(hours=2, minutes=1))
    session("recent", gateway, connected=True, created=timedelta(hours=1, minutes=59))

    output = run()

    assert remaining() == {"recent": True}
    assert "Marked 1 expired session(s) disconnected; deleted 1" in output


def test_older_than_hours_keeps_recently_closed_rows(gateway: ApiGateway) -> None:
    session("closed-old", gateway, connected=False, updated=timedelta(hours=25))
    session("closed-new", gateway, connected=False, updated=timedelta(hours=23))
    session(
        "stale", gateway, connected=True, created=timedelta(hours=3), updated=timedelta(hours=3)
    )

    output = run("--older-than-hours", "24")

    assert remaining() == {"closed-new": False, "stale": False}
    assert "Marked 1 expired session(s) disconnected; deleted 1 disconnected" in output


def test_older_than_hours_accepts_fractions(gateway: ApiGateway) -> None:
    session("closed-old", gateway, connected=False, updated=timedelta(minutes=31))
    session("closed-new", gateway, connected=False, updated=timedelta(minutes=29))

    run("--older-than-hours", "0.5")

    assert remaining() == {"closed-new": False}


@override_settings(WEBSOCKETS={"session_max_age_seconds": 60})
def test_max_age_comes_from_settings(gateway: ApiGateway) -> None:
    session("two-minutes", gateway, connected=True, created=timedelta(minutes=2))

    run("--older-than-hours", "1")

    assert remaining() == {"two-minutes": False}


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_bad_age_is_refused(value: str, gateway: ApiGateway) -> None:
    session("closed", gateway, connected=False)
    with pytest.raises(CommandError, match="argument --older-than-hours"):
        run("--older-than-hours", value)
    assert remaining() == {"closed": False}


def test_nothing_to_do(db: None) -> None:
    assert run().strip() == (
        "Marked 0 expired session(s) disconnected; deleted 0 disconnected session(s)."
    )
