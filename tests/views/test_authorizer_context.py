"""An API Gateway authorizer's context reaches the view as ``self.authorizer_context``."""

from __future__ import annotations

from collections.abc import Callable

from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient


def test_connect_sees_the_context_and_messages_do_not(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    ws = make_ws_client("/authorizer-ws/")

    connection_id, response = ws.connect(authorizer_context={"tenant": "acme", "is_admin": True})

    assert response.status_code == 200
    assert WebSocketSession.objects.filter(connection_id=connection_id, connected=True).exists()
    # API Gateway maps the context into $connect's request only.
    answer = ws.send(connection_id, {"handler": "tenant"})
    assert answer.json() == {"context_on_messages": {}}


def test_a_client_cannot_forge_the_context(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    ws = make_ws_client("/authorizer-ws/")

    _, response = ws.connect(headers={"X-Ws-Authorizer-Tenant": "forged"})

    assert response.status_code == 403
