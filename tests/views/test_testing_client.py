"""The documented way to test a view (docs/views.md, "Testing your views")."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.testing import WebSocketTestClient, capture_messages


def test_the_documented_example(client: Client, django_user_model: type[User]) -> None:
    ApiGateway.objects.create(
        api_name="t", api_id="abc123", target_base_endpoint="https://testserver/ws/"
    )
    client.force_login(django_user_model.objects.create_user("ann"))
    token = client.post("/ws-token/").json()["token"]
    ws = WebSocketTestClient("/token-ws/", api_id="abc123")
    listener = WebSocketTestClient("/ws/", api_id="abc123")

    connection_id, response = ws.connect(channel="lobby", token=token)
    other_id, _ = listener.connect(channel="lobby")
    elsewhere_id, _ = listener.connect(channel="elsewhere")
    assert response.status_code == 200
    with capture_messages() as outbox:
        reply = ws.send(connection_id, {"action": "chat", "text": "hi"})
    assert reply.json() == {"ok": True}
    assert outbox.data_for(connection_id) == [{"user": "ann", "text": "hi"}]
    assert outbox.data_for(other_id) == [{"user": "ann", "text": "hi"}]
    assert outbox.data_for(elsewhere_id) == []
    assert ws.disconnect(connection_id).status_code == 200


def test_a_path_without_trailing_slash_and_a_custom_route(db: None) -> None:
    ApiGateway.objects.create(api_name="t", api_id="abc123", target_base_endpoint="https://t/ws/")
    ws = WebSocketTestClient("/ws", api_id="abc123")
    connection_id, _ = ws.connect()

    response = ws.send(connection_id, '{"text": "raw string body"}', route="$default")
    shout = ws.send(connection_id, b'{"action": "shout", "text": "b"}', route="shout")

    assert response.json()["echo"] == {"text": "raw string body"}
    assert shout.wsgi_request.path == "/ws/shout"
    assert shout.json() == {"shout": "B"}
