"""An event the adapter cannot read is a 400 and one log line, never an exception."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from django_aws_api_gateway_websockets.aws_lambda import handler
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession

from .events import connect_event, disconnect_event, message_event

pytestmark = pytest.mark.django_db

LOGGER = "django_aws_api_gateway_websockets.aws_lambda"
CONNECTION_ID = "L0SM9cOFvHcCIhw="


def without_context(event: dict[str, Any]) -> dict[str, Any]:
    event.pop("requestContext")
    return event


def with_context(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    event["requestContext"].update(changes)
    return event


def with_top(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    event.update(changes)
    return event


def connect() -> dict[str, Any]:
    return connect_event(connection_id=CONNECTION_ID)


def message() -> dict[str, Any]:
    return message_event(connection_id=CONNECTION_ID, body={"x": 1})


BAD_EVENTS = {
    "not an object": (["a", "list"], "the event is list, not an object"),
    "no requestContext": (without_context(message()), "no requestContext"),
    "requestContext not an object": (
        with_top(message(), requestContext="x"),
        "no requestContext",
    ),
    "unknown eventType": (
        with_context(message(), eventType="UPGRADE"),
        "unknown eventType 'UPGRADE'",
    ),
    "no eventType": (with_context(message(), eventType=None), "unknown eventType ''"),
    "invalid base64": (
        with_top(message(), body="not base64!!", isBase64Encoded=True),
        "body is marked isBase64Encoded but is not valid base64",
    ),
    "body not a string": (with_top(message(), body={"x": 1}), "body is dict, not a string"),
    "connectionId not a string": (
        with_context(message(), connectionId=12),
        "connectionId is int, not a string",
    ),
    "identity not an object": (
        with_context(message(), identity="1.2.3.4"),
        "identity is str, not an object",
    ),
    "no domainName": (with_context(message(), domainName=None), "no requestContext.domainName"),
    "headers not an object": (with_top(connect(), headers=["Host"]), "headers is list"),
    "multiValueHeaders not lists": (
        with_top(connect(), multiValueHeaders={"Cookie": "a=b"}),
        "multiValueHeaders['Cookie'] is not a list of strings",
    ),
    "query parameter not a string": (
        with_top(
            connect(), queryStringParameters={"channel": 5}, multiValueQueryStringParameters=None
        ),
        "channel is int, not a string",
    ),
}


@pytest.mark.parametrize(("event", "reason"), BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
def test_a_bad_event_is_a_400_with_a_log_line(
    gateway: ApiGateway, event: Any, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = handler(event, None)

    assert response == {
        "statusCode": 400,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"$ws": "error", "error": "Bad event."}),
        "isBase64Encoded": False,
    }
    assert [record.name for record in caplog.records] == [LOGGER]
    assert reason in caplog.records[0].getMessage()
    assert not WebSocketSession.objects.exists()


def test_a_disconnect_event_ignores_its_headers(gateway: ApiGateway) -> None:
    # AWS sends "x-api-key: " and "x-restapi: " on $disconnect; they are not the view's.
    event = disconnect_event(connection_id=CONNECTION_ID)
    event["headers"]["x-api-key"] = None

    assert handler(event, None)["statusCode"] == 200


def test_a_message_without_a_body_is_the_views_400(gateway: ApiGateway) -> None:
    handler(connect(), None)
    event = message()
    del event["body"]

    response = handler(event, None)

    assert (response["statusCode"], json.loads(response["body"])) == (
        400,
        {"$ws": "error", "error": "Message is not valid JSON."},
    )
