from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_aws_api_gateway_websockets.models import ConnectionRateLimit, WebSocketToken

pytestmark = pytest.mark.django_db

TOKEN_HASH = "a" * 60 + "TOKN"
DJANGO_SESSION_HASH = "b" * 60 + "SESS"


@pytest.fixture
def tokens(user: User, admin_user: User) -> list[WebSocketToken]:
    fresh = WebSocketToken.objects.create(
        token_hash=TOKEN_HASH, user=user, django_session_hash=DJANGO_SESSION_HASH
    )
    spent = WebSocketToken.objects.create(
        token_hash="c" * 64, user=admin_user, django_session_hash="d" * 64
    )
    WebSocketToken.objects.filter(pk=spent.pk).update(
        created_on=timezone.now() - timedelta(hours=1), used_on=timezone.now()
    )
    return [fresh, spent]


def token_url(name: str, *args: object) -> str:
    return reverse(f"admin:django_aws_api_gateway_websockets_websockettoken_{name}", args=args)


def limit_url(name: str, *args: object) -> str:
    return reverse(f"admin:django_aws_api_gateway_websockets_connectionratelimit_{name}", args=args)


def test_token_changelist_never_shows_hashes(
    admin_client: Client, tokens: list[WebSocketToken]
) -> None:
    response = admin_client.get(token_url("changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "alice" in content
    assert TOKEN_HASH not in content
    assert DJANGO_SESSION_HASH not in content
    # The expired column: the fresh token is not, the hour-old one is.
    assert 'alt="False"' in content
    assert 'alt="True"' in content


@pytest.mark.parametrize(
    ("query", "index"),
    [("?q=alice", 0), ("?q=admin", 1), ("?used_on__isnull=True", 0), ("?used_on__isnull=False", 1)],
)
def test_token_search_and_filter(
    admin_client: Client, tokens: list[WebSocketToken], query: str, index: int
) -> None:
    response = admin_client.get(token_url("changelist") + query)
    assert list(response.context["cl"].result_list) == [tokens[index]]


def test_token_change_page_is_read_only(admin_client: Client, tokens: list[WebSocketToken]) -> None:
    url = token_url("change", tokens[0].pk)
    response = admin_client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert TOKEN_HASH not in content
    assert DJANGO_SESSION_HASH not in content
    assert admin_client.post(url, {"used_on": ""}).status_code == 403
    assert admin_client.get(token_url("add")).status_code == 403


def test_token_can_be_deleted(admin_client: Client, tokens: list[WebSocketToken]) -> None:
    response = admin_client.post(token_url("delete", tokens[1].pk), {"post": "yes"})
    assert response.status_code == 302
    assert list(WebSocketToken.objects.all()) == [tokens[0]]


def test_rate_limit_admin(admin_client: Client, db: None) -> None:
    now = timezone.now()
    row = ConnectionRateLimit.objects.create(key="connect:ip:203.0.113.7", window_start=now)
    ConnectionRateLimit.objects.create(key="token:user:1", window_start=now, attempts=2)

    response = admin_client.get(limit_url("changelist") + "?q=203.0.113")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [row]

    change = limit_url("change", row.pk)
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"attempts": 0}).status_code == 403
    assert admin_client.get(limit_url("add")).status_code == 403
