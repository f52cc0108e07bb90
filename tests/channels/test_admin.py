"""The session admin shows a session's channels and filters sessions by channel."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from django_aws_api_gateway_websockets.models import (
    ApiGateway,
    ChannelMembership,
    WebSocketSession,
)

CHANGELIST = reverse("admin:django_aws_api_gateway_websockets_websocketsession_changelist")


def make(gateway: ApiGateway, connection_id: str, primary: str, *others: str) -> WebSocketSession:
    session = WebSocketSession.objects.create(
        connection_id=connection_id, channel_name=primary, api_gateway=gateway
    )
    ChannelMembership.objects.bulk_create(
        ChannelMembership(session=session, channel_name=name) for name in (primary, *others)
    )
    return session


def test_sessions_filter_by_any_channel_they_are_in(
    admin_client: Client, gateway: ApiGateway
) -> None:
    make(gateway, "conn-a", "chat", "news")
    make(gateway, "conn-b", "news")
    WebSocketSession.objects.create(connection_id="conn-c", channel_name="chat")  # no rows

    def listed(query: str) -> set[str]:
        response = admin_client.get(CHANGELIST + query)
        assert response.status_code == 200
        return {row.connection_id for row in response.context["cl"].result_list}

    assert listed("?channel=news") == {"conn-a", "conn-b"}
    assert listed("?channel=chat") == {"conn-a", "conn-c"}
    page = admin_client.get(CHANGELIST).content.decode()
    assert "in channel" in page and "?channel=news" in page


def test_the_change_page_lists_memberships_read_only(
    admin_client: Client, gateway: ApiGateway
) -> None:
    session = make(gateway, "conn-a", "chat", "presence-room")
    ChannelMembership.objects.filter(channel_name="presence-room").update(
        presence_info={"username": "alice"}
    )
    url = reverse(
        "admin:django_aws_api_gateway_websockets_websocketsession_change", args=[session.pk]
    )
    content = admin_client.get(url).content.decode()
    assert "presence-room" in content and "alice" in content
    assert 'name="_save"' not in content
    assert admin_client.post(url, {}).status_code == 403
    assert ChannelMembership.objects.filter(session=session).count() == 2
