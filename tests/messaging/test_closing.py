"""Closing connections, by hand and when their Django session logs out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_aws_api_gateway_websockets.hashing import sha256_hex
from django_aws_api_gateway_websockets.messaging import close_connections
from django_aws_api_gateway_websockets.models import WebSocketSession, WebSocketToken
from tests.conftest import MakeSession

from .conftest import MakeGateway, connected_ids
from .management_api import ManagementApiStandIn


def test_close_connections_deletes_each_and_marks_all_closed_in_one_update(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway(stage="live")
    for name in ("open", "gone", "refused", "kept"):
        make_session(name, gateway)
    make_session("already-closed", gateway, connected=False)
    management_api.gone.add("gone")
    management_api.statuses["refused"] = 403

    with CaptureQueriesContext(connection) as queries:
        result = close_connections(WebSocketSession.objects.exclude(connection_id="kept"))

    assert (result.sent_ids, result.gone_ids, result.failed_ids) == (
        ("open",),
        ("gone",),
        ("refused",),
    )
    assert result.action == "close"
    assert sorted((r.method, r.stage, r.connection_id) for r in management_api.received) == [
        ("DELETE", "live", "gone"),
        ("DELETE", "live", "open"),
        ("DELETE", "live", "refused"),
    ]
    assert connected_ids() == {"kept"}
    assert [q["sql"].split()[0].upper() for q in queries] == ["SELECT", "DELETE", "UPDATE"]


def test_close_connections_accepts_a_list(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    session = make_session("one", make_gateway())

    result = close_connections([session])

    assert result.sent_ids == ("one",)
    assert connected_ids() == set()
    assert session.connected is False  # the instance too, so a later save() keeps it closed


def test_close_connections_marks_rows_it_cannot_reach(make_session: MakeSession) -> None:
    make_session("orphan", None)

    result = close_connections(WebSocketSession.objects.all())

    assert result.failed_ids == ("orphan",)
    assert connected_ids() == set()


def logged_in_client(user: Any) -> tuple[Client, str]:
    client = Client()
    client.force_login(user)
    return client, sha256_hex(client.session.session_key or "")


def test_logout_closes_that_sessions_connections_and_deletes_its_unused_tokens(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    user: Any,
) -> None:
    gateway = make_gateway()
    client, session_hash = logged_in_client(user)
    _, other_hash = logged_in_client(user)  # the same user in another browser
    make_session("tab-1", gateway, user=user, django_session_hash=session_hash)
    make_session("tab-2", gateway, user=user, django_session_hash=session_hash)
    make_session("other-browser", gateway, user=user, django_session_hash=other_hash)
    make_session("closed", gateway, user=user, django_session_hash=session_hash, connected=False)
    for token_hash, django_session_hash, used_on in [
        ("unused", session_hash, None),
        ("used", session_hash, timezone.now()),
        ("other", other_hash, None),
    ]:
        WebSocketToken.objects.create(
            token_hash=sha256_hex(token_hash),
            user=user,
            django_session_hash=django_session_hash,
            used_on=used_on,
        )

    client.logout()

    assert sorted((r.method, r.connection_id) for r in management_api.received) == [
        ("DELETE", "tab-1"),
        ("DELETE", "tab-2"),
    ]
    assert connected_ids() == {"other-browser"}
    assert set(WebSocketToken.objects.values_list("token_hash", flat=True)) == {
        sha256_hex("used"),
        sha256_hex("other"),
    }


def test_logout_without_a_request_or_a_session_key_closes_nothing(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    user: Any,
) -> None:
    make_session("tab", make_gateway(), user=user, django_session_hash=sha256_hex(""))

    user_logged_out.send(sender=type(user), request=None, user=user)
    Client().logout()  # a client that never logged in: its session has no key

    assert management_api.count == 0
    assert connected_ids() == {"tab"}
