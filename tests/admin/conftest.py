from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession

# Values that must never appear on an admin page.
SESSION_HASH = "f" * 40 + "SESSIONHASH"
AUTH_HASH = "e" * 40 + "AUTHHASH"


@pytest.fixture
def sessions(gateway: ApiGateway, user: User) -> list[WebSocketSession]:
    other = ApiGateway.objects.create(
        api_name="Other API",
        target_base_endpoint="https://app.example.com/other/",
        api_id="otherapi",
        api_endpoint="ws://127.0.0.1:8002",
    )
    rows = [
        ("conn-alice", "chat", user, gateway, True),
        ("conn-anon", "chat", None, gateway, True),
        ("conn-news", "news", None, other, False),
    ]
    return [
        WebSocketSession.objects.create(
            connection_id=connection_id,
            channel_name=channel,
            user=owner,
            api_gateway=api_gateway,
            connected=connected,
            request_count=7,
            django_session_hash=SESSION_HASH[:64],
            session_auth_hash=AUTH_HASH,
        )
        for connection_id, channel, owner, api_gateway, connected in rows
    ]


@pytest.fixture
def viewer_client(django_user_model: type[User]) -> Client:
    """A staff user who may only view the app's models."""
    viewer = django_user_model.objects.create_user(username="viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_aws_api_gateway_websockets",
            codename__startswith="view_",
        )
    )
    client = Client()
    client.force_login(viewer)
    return client


@pytest.fixture(autouse=True)
def _aws_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Saving a created gateway in the admin syncs it with AWS. These tests are
    # about the admin pages, so any such call must fail fast on loopback
    # instead of leaving the machine (tests/admin_provisioning covers the sync).
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
