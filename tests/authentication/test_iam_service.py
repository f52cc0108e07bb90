"""A service that signs its connect URL with SigV4, through the real local gateway to Django."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus

from django_aws_api_gateway_websockets.local_gateway.config import IamCredentials
from django_aws_api_gateway_websockets.models import WebSocketSession
from tests.local_gateway.conftest import ws_connect
from tests.local_gateway.test_iam import ACCESS_KEY, REGION, SECRET_KEY, presign
from tests.oidc import OidcProvider

from .conftest import StartGateway

IAM = IamCredentials({ACCESS_KEY: SECRET_KEY}, region=REGION)


def test_a_signed_service_connects_and_talks(
    provider: OidcProvider, start_gateway: StartGateway
) -> None:
    gateway = start_gateway(iam=IAM)

    with ws_connect(presign(f"{gateway.url}?channel=jobs")) as socket:
        socket.send(json.dumps({"handler": "whoami"}))
        answer = json.loads(socket.recv(timeout=10))

    assert answer == {"user": "", "authenticated": False, "channel": "jobs"}


def test_a_service_with_the_wrong_key_never_reaches_django(
    provider: OidcProvider, start_gateway: StartGateway
) -> None:
    gateway = start_gateway(iam=IAM)

    with (
        pytest.raises(InvalidStatus) as refused,
        ws_connect(presign(gateway.url, secret="not-the-key")),
    ):
        pass

    assert refused.value.response.status_code == 403
    assert not WebSocketSession.objects.exists()
