from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.testing import capture_messages

from .conftest import AUTH_HASH, SESSION_HASH

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:django_aws_api_gateway_websockets_websocketsession_changelist")


def listed(client: Client, query: str = "") -> set[str]:
    response = client.get(f"{CHANGELIST}{query}")
    assert response.status_code == 200
    return {row.connection_id for row in response.context["cl"].result_list}


def test_changelist_shows_rows_and_counts(
    admin_client: Client, sessions: list[WebSocketSession]
) -> None:
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "2 connected of 3 sessions" in content
    for text in ("conn-alice", "alice", "Test API", "Other API", "news"):
        assert text in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=conn-anon", {"conn-anon"}),
        ("?q=news", {"conn-news"}),
        ("?q=alice", {"conn-alice"}),
        ("?connected__exact=1", {"conn-alice", "conn-anon"}),
        ("?channel_name=chat", {"conn-alice", "conn-anon"}),
    ],
)
def test_search_and_filters(
    admin_client: Client, sessions: list[WebSocketSession], query: str, expected: set[str]
) -> None:
    assert listed(admin_client, query) == expected


def test_gateway_filter_and_filtered_counts(
    admin_client: Client, sessions: list[WebSocketSession]
) -> None:
    other = sessions[2].api_gateway
    assert other is not None
    response = admin_client.get(f"{CHANGELIST}?api_gateway__id__exact={other.pk}")
    assert {s.connection_id for s in response.context["cl"].result_list} == {"conn-news"}
    assert "0 connected of 1 sessions" in response.content.decode()


def test_change_page_is_read_only_and_hides_hashes(
    admin_client: Client, sessions: list[WebSocketSession]
) -> None:
    url = reverse(
        "admin:django_aws_api_gateway_websockets_websocketsession_change", args=[sessions[0].pk]
    )
    response = admin_client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "conn-alice" in content
    assert SESSION_HASH[:64] not in content
    assert AUTH_HASH not in content
    assert 'name="_save"' not in content

    assert admin_client.post(url, {"channel_name": "hijacked"}).status_code == 403
    sessions[0].refresh_from_db()
    assert sessions[0].channel_name == "chat"


def test_no_add_page(admin_client: Client, db: None) -> None:
    url = reverse("admin:django_aws_api_gateway_websockets_websocketsession_add")
    assert admin_client.get(url).status_code == 403


def disconnect(client: Client, rows: list[WebSocketSession]) -> list[str]:
    response = client.post(
        CHANGELIST,
        {"action": "disconnect_selected", "_selected_action": [row.pk for row in rows]},
    )
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_disconnect_selected_closes_connections(
    admin_client: Client, sessions: list[WebSocketSession]
) -> None:
    with capture_messages() as outbox:
        outbox.mark_gone("conn-anon")
        notes = disconnect(admin_client, sessions)

    # The row already marked disconnected is not sent to AWS again.
    assert outbox.closed_ids == ["conn-alice"]
    assert not WebSocketSession.objects.filter(connected=True).exists()
    assert notes == ["Closed 1 connection; 1 already gone; 0 failed."]


def test_disconnect_reports_failures(
    admin_client: Client, sessions: list[WebSocketSession]
) -> None:
    with capture_messages() as outbox:
        outbox.mark_failed("conn-alice", "conn-anon")
        response = admin_client.post(
            CHANGELIST,
            {"action": "disconnect_selected", "_selected_action": [sessions[0].pk, sessions[1].pk]},
            follow=True,
        )

    content = response.content.decode()
    assert "Closed 0 connections; 0 already gone; 2 failed." in content
    assert 'class="warning"' in content


def test_view_only_staff_sees_sessions_but_cannot_disconnect(
    viewer_client: Client, sessions: list[WebSocketSession]
) -> None:
    response = viewer_client.get(CHANGELIST)
    assert response.status_code == 200
    assert "disconnect_selected" not in response.content.decode()

    with capture_messages() as outbox:
        viewer_client.post(
            CHANGELIST, {"action": "disconnect_selected", "_selected_action": [sessions[0].pk]}
        )
    assert outbox.closed_ids == []
    assert WebSocketSession.objects.filter(connected=True).count() == 2


def test_invalid_filter_redirects(admin_client: Client, db: None) -> None:
    response = admin_client.get(f"{CHANGELIST}?bogus=1")
    assert response.status_code == 302
    assert "?e=1" in response["Location"]


def reconcile(client: Client, rows: list[WebSocketSession]) -> list[str]:
    response = client.post(
        CHANGELIST,
        {"action": "reconcile_selected", "_selected_action": [row.pk for row in rows]},
    )
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_reconcile_selected_marks_gone_rows_and_sends_nothing(
    admin_client: Client, sessions: list[WebSocketSession]
) -> None:
    with capture_messages() as outbox:
        outbox.mark_gone("conn-anon")
        notes = reconcile(admin_client, sessions)

    assert outbox.messages == [] and outbox.closed_ids == []
    assert list(
        WebSocketSession.objects.filter(connected=True).values_list("connection_id", flat=True)
    ) == ["conn-alice"]
    assert notes == [
        "Asked API Gateway about 2 connected session(s): 1 open, 1 gone and marked "
        "disconnected, 0 still connecting, 0 failed."
    ]


def test_reconcile_reports_failures_as_a_warning_and_keeps_the_rows(
    admin_client: Client, sessions: list[WebSocketSession]
) -> None:
    with capture_messages() as outbox:
        outbox.mark_failed("conn-alice")
        response = admin_client.post(
            CHANGELIST,
            {"action": "reconcile_selected", "_selected_action": [sessions[0].pk]},
            follow=True,
        )

    content = response.content.decode()
    assert "0 open, 0 gone and marked disconnected, 0 still connecting, 1 failed." in content
    assert 'class="warning"' in content
    assert WebSocketSession.objects.filter(connected=True).count() == 2


def test_view_only_staff_cannot_reconcile(
    viewer_client: Client, sessions: list[WebSocketSession]
) -> None:
    assert "reconcile_selected" not in viewer_client.get(CHANGELIST).content.decode()
    with capture_messages() as outbox:
        outbox.mark_gone("conn-alice")
        viewer_client.post(
            CHANGELIST, {"action": "reconcile_selected", "_selected_action": [sessions[0].pk]}
        )
    assert WebSocketSession.objects.filter(connected=True).count() == 2
