"""The history in the admin: sequences and messages, read-only; a sequence cannot be deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from django_aws_api_gateway_websockets.admin.history import DATA_PREVIEW_LENGTH
from django_aws_api_gateway_websockets.models import ChannelMessage, ChannelSequence

pytestmark = pytest.mark.django_db


def url(model: str, name: str, *args: object) -> str:
    return reverse(f"admin:django_aws_api_gateway_websockets_{model}_{name}", args=args)


@pytest.fixture
def saved_history() -> None:
    ChannelSequence.objects.create(channel_name="news", last_seq=2)
    ChannelSequence.objects.create(channel_name="sport", last_seq=1)
    ChannelMessage.objects.create(channel_name="news", seq=1, data='{"text":"first"}')
    ChannelMessage.objects.create(channel_name="news", seq=2, data='"' + "y" * 200 + '"')
    ChannelMessage.objects.create(channel_name="sport", seq=1, data='{"text":"goal"}')


@pytest.mark.usefixtures("saved_history")
def test_sequences_list_each_channel_with_its_last_seq_and_a_link(admin_client: Client) -> None:
    page = admin_client.get(url("channelsequence", "changelist")).content.decode()
    assert "news" in page and "sport" in page
    assert url("channelmessage", "changelist") + "?channel_name=news" in page


@pytest.mark.usefixtures("saved_history")
def test_the_messages_of_one_channel(admin_client: Client) -> None:
    response = admin_client.get(url("channelmessage", "changelist"), {"channel_name": "news"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "first" in page and "goal" not in page
    # Long data is cut in the list.
    assert "y" * (DATA_PREVIEW_LENGTH - 2) in page and "y" * DATA_PREVIEW_LENGTH not in page


@pytest.mark.usefixtures("saved_history")
def test_read_only_and_sequences_cannot_be_deleted(admin_client: Client) -> None:
    sequence = ChannelSequence.objects.get(channel_name="news")
    message = ChannelMessage.objects.get(channel_name="news", seq=1)
    assert admin_client.get(url("channelsequence", "add")).status_code == 403
    assert admin_client.get(url("channelmessage", "add")).status_code == 403
    assert admin_client.get(url("channelsequence", "delete", sequence.pk)).status_code == 403
    assert admin_client.post(url("channelsequence", "change", sequence.pk), {}).status_code == 403
    detail = admin_client.get(url("channelmessage", "change", message.pk))
    assert detail.status_code == 200 and "first" in detail.content.decode()
    assert admin_client.get(url("channelmessage", "delete", message.pk)).status_code == 200


def test_staff_without_permissions_see_nothing(
    client: Client, django_user_model: type[User]
) -> None:
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(url("channelmessage", "changelist")).status_code == 403


def test_rows_name_their_channel_and_seq() -> None:
    assert str(ChannelSequence(channel_name="news", last_seq=4)) == "news @ 4"
    assert str(ChannelMessage(channel_name="news", seq=3)) == "news #3"
