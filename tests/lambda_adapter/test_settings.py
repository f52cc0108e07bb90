"""Where events go: the handler factory's arguments, else the WEBSOCKETS settings."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from django_aws_api_gateway_websockets.aws_lambda import handler, make_lambda_handler
from django_aws_api_gateway_websockets.models import ApiGateway

from .events import connect_event, message_event

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.lambda_adapter.urls")]

WHERE = {"action": "where"}


def where(lambda_handler: object, connection_id: str) -> dict[str, object]:
    assert callable(lambda_handler)
    assert lambda_handler(connect_event(connection_id=connection_id), None)["statusCode"] == 200
    response = lambda_handler(message_event(connection_id=connection_id, body=WHERE), None)
    return dict(json.loads(response["body"]))


@override_settings(
    WEBSOCKETS={"lambda_path_prefix": "/lambda-ws/", "lambda_host": "app.example.com"}
)
def test_the_module_handler_reads_the_settings(gateway: ApiGateway, connection_id: str) -> None:
    assert where(handler, connection_id) == {
        "path": "/lambda-ws/default",
        "host": "app.example.com",
        "secure": True,
    }


@override_settings(WEBSOCKETS={"lambda_path_prefix": "/ws/", "lambda_host": "testserver"})
def test_factory_arguments_win_over_the_settings(gateway: ApiGateway, connection_id: str) -> None:
    custom = make_lambda_handler(path_prefix="/lambda-ws/", host="app.example.com")

    assert where(custom, connection_id)["host"] == "app.example.com"
    assert where(custom, connection_id)["path"] == "/lambda-ws/default"


@override_settings(ALLOWED_HOSTS=["app.example.com"])
def test_a_host_django_does_not_serve_is_a_400_not_an_exception(
    gateway: ApiGateway, connection_id: str
) -> None:
    response = handler(connect_event(connection_id=connection_id), None)

    assert response["statusCode"] == 400
