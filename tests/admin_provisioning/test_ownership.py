"""The admin never adopts an API the app did not create: it says how to."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_aws_api_gateway_websockets.models import ApiGateway
from tests.provisioning.helpers import build_by_hand, routes

from .conftest import shown_messages
from .test_actions import run_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_record(record: ApiGateway, apigw: Any) -> ApiGateway:
    record.api_id = build_by_hand(apigw, tags={"owner": "billing"}, base="https://b.example/")
    record.api_created = True
    record.save()
    return record


@pytest.mark.parametrize(
    ("action", "post", "command"),
    [
        ("create_api_gateway", {}, "createApiGateway --pk={pk} --adopt"),
        ("sync_with_aws", {}, "syncapigateway --pk {pk} --adopt"),
        ("delete_from_aws", {"post": "yes"}, "deleteapigateway --pk {pk} --adopt"),
    ],
)
def test_each_action_refuses_with_the_command_to_run(
    admin_client: Client,
    foreign_record: ApiGateway,
    apigw: Any,
    action: str,
    post: dict[str, str],
    command: str,
) -> None:
    response = run_action(admin_client, action, foreign_record, **post)

    ((level, text),) = shown_messages(response)
    assert level == "error"
    assert f"API {foreign_record.api_id} was not created by this app" in text
    assert command.format(pk=foreign_record.pk) in text
    assert apigw.get_api(ApiId=foreign_record.api_id)["Tags"] == {"owner": "billing"}
    assert sorted(routes(apigw, foreign_record.api_id)) == ["$connect", "$default", "$disconnect"]
