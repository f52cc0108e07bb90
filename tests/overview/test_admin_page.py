"""The overview page in the admin: staff with the view permission on sessions only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_aws_api_gateway_websockets.models import ApiGateway, ReconcileRun

from .conftest import Traffic

pytestmark = pytest.mark.django_db

OVERVIEW = "admin:django_aws_api_gateway_websockets_websocketsession_overview"
SESSIONS = "admin:django_aws_api_gateway_websockets_websocketsession_changelist"


def staff(django_user_model: type[User], *codenames: str) -> Client:
    member = django_user_model.objects.create_user(username="staff", password="pw", is_staff=True)
    member.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_aws_api_gateway_websockets", codename__in=codenames
        )
    )
    client = Client()
    client.force_login(member)
    return client


def text(html: str) -> str:
    """The page's words, tags and repeated spaces dropped."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_anonymous_visitors_are_sent_to_the_login_page(gateway: ApiGateway) -> None:
    response = Client().get(reverse(OVERVIEW))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_view_permission_on_sessions_is_refused(
    django_user_model: type[User], gateway: ApiGateway
) -> None:
    client = staff(django_user_model, "view_apigateway")
    assert client.get(reverse(OVERVIEW)).status_code == 403


def test_the_page_shows_each_gateways_figures(
    django_user_model: type[User], traffic: Traffic, gateway: ApiGateway
) -> None:
    ReconcileRun.objects.create(
        started_on=timezone.now(), finished_on=timezone.now(), alive=3, gone=2, failed=1
    )
    client = staff(django_user_model, "view_websocketsession")

    response = client.get(reverse(OVERVIEW))

    assert response.status_code == 200
    html = response.content.decode()
    words = text(html)
    section = words[words.index("Test API (testapi123)") : words.index("Other API (otherapi77)")]
    assert "Connections now 4" in section
    assert "Connected users 2" in section
    assert "Anonymous connections 1" in section
    assert "Stale (still connected, opened over 2 h ago) 1" in section
    assert "3 alive, 2 gone (marked closed), 0 still connecting, 1 failed; every gateway" in section
    assert "Top channels channel connections users chat 3 2 presence-room 2 2 news 1 0" in section
    assert "Presence channels channel users connections presence-room 2 2" in section
    assert "Connections in the last hour: 4 opened, 1 closed" in section
    # Twelve bars of each kind per gateway, drawn on the server.
    assert html.count('<rect class="dagw-bar"') == 2 * 2 * 12
    assert ": 4 opened</title>" in html
    assert '<meta http-equiv="refresh" content="30">' in html
    assert "<script" not in html.split('<div id="content-main">')[1]


def test_a_gateway_can_be_picked(
    django_user_model: type[User], traffic: Traffic, other_gateway: ApiGateway
) -> None:
    client = staff(django_user_model, "view_websocketsession")

    words = text(client.get(reverse(OVERVIEW), {"gateway": other_gateway.pk}).content.decode())

    assert "Other API (otherapi77)" in words and "Test API" not in words
    assert "Show every gateway" in words
    missing = client.get(reverse(OVERVIEW), {"gateway": other_gateway.pk + 100})
    assert "No gateway has the id" in text(missing.content.decode())


def test_the_sessions_list_links_to_it(django_user_model: type[User], gateway: ApiGateway) -> None:
    client = staff(django_user_model, "view_websocketsession")
    assert reverse(OVERVIEW) in client.get(reverse(SESSIONS)).content.decode()


def test_reconcile_runs_are_read_only_in_the_admin(
    admin_client: Client, gateway: ApiGateway
) -> None:
    now = timezone.now()
    run = ReconcileRun.objects.create(api_gateway=gateway, started_on=now, finished_on=now, alive=1)
    base = "admin:django_aws_api_gateway_websockets_reconcilerun"

    assert admin_client.get(reverse(f"{base}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"{base}_add")).status_code == 403
    change = admin_client.get(reverse(f"{base}_change", args=[run.pk])).content.decode()
    assert 'name="alive"' not in change  # shown, not editable
