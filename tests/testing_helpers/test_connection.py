"""``WebSocketTestClient.connect()`` returns a connection; the plugin's fixtures build one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import (
    Connection,
    Outbox,
    WebSocketTestClient,
    capture,
    capture_messages,
    pytest_plugin,
)


def test_a_connection_still_unpacks_as_id_and_response(ws_client: WebSocketTestClient) -> None:
    connection = ws_client.connect(channel="lobby")
    connection_id, response = connection

    assert isinstance(connection, Connection)
    assert (connection_id, response) == (connection.connection_id, connection.response)
    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == "lobby"
    assert repr(connection) == f"<Connection {connection_id} $connect=200>"


def test_send_and_disconnect_act_for_that_connection(
    ws_client: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    mine = ws_client.connect(channel="lobby")
    other = ws_client.connect(channel="lobby")

    echo = mine.send('{"text": "raw"}', headers={"X-Extra": "1"})
    shout = mine.send(b'{"action": "shout", "text": "b"}', route="shout")
    chat = mine.send({"action": "chat", "text": "hi"})
    closed = mine.disconnect()

    assert echo.json()["echo"] == {"text": "raw"}
    assert echo.wsgi_request.headers["X-Extra"] == "1"
    assert echo.wsgi_request.headers["Connectionid"] == mine.connection_id
    assert shout.wsgi_request.path == "/ws/shout"
    assert shout.json() == {"shout": "B"}
    assert chat.json() == {"ok": True}
    assert closed.status_code == 200
    assert not WebSocketSession.objects.get(connection_id=mine.connection_id).connected
    assert WebSocketSession.objects.get(connection_id=other.connection_id).connected


def test_received_is_what_the_app_pushed_to_that_connection(
    ws_client: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    ann = ws_client.connect(channel="lobby")
    bob = ws_client.connect(channel="lobby")
    elsewhere = ws_client.connect(channel="kitchen")

    ann.send({"action": "chat", "text": "one"})
    bob.send({"action": "chat", "text": "two"})

    expected = [{"user": "", "text": "one"}, {"user": "", "text": "two"}]
    assert ann.received == expected
    assert bob.received == expected
    assert elsewhere.received == []
    assert ws_outbox.data_for(ann.connection_id) == expected


def test_received_reads_the_outbox_active_now(ws_client: WebSocketTestClient) -> None:
    ann = ws_client.connect(channel="lobby")

    with capture_messages():
        ann.send({"action": "chat", "text": "inside"})
        assert ann.received == [{"user": "", "text": "inside"}]
    with capture_messages():
        assert ann.received == []
    with pytest.raises(LookupError, match="No outbox is active"):
        ann.received  # noqa: B018


def test_ws_client_shares_pytest_djangos_client(
    client: Client, ws_client: WebSocketTestClient, user: User
) -> None:
    client.force_login(user)

    connection = ws_client.connect()

    assert ws_client.client is client
    assert WebSocketSession.objects.get(connection_id=connection.connection_id).user == user


def test_ws_gateway_is_registered_for_ws_path_and_sends_nowhere(ws_gateway: ApiGateway) -> None:
    assert ws_gateway.api_id == pytest_plugin.TEST_API_ID
    assert ws_gateway.target_base_endpoint == "https://testserver/ws/"
    assert ws_gateway.api_endpoint == pytest_plugin.UNREACHABLE_ENDPOINT


class TestAnotherPath:
    @pytest.fixture
    def ws_path(self) -> str:
        return "/listed-ws/"

    def test_overriding_ws_path_moves_the_client_and_the_gateway(
        self, ws_client: WebSocketTestClient, ws_gateway: ApiGateway
    ) -> None:
        connection = ws_client.connect()

        assert ws_gateway.target_base_endpoint == "https://testserver/listed-ws/"
        assert connection.response.wsgi_request.path == "/listed-ws/connect"


def test_the_old_import_of_ws_outbox_is_the_plugins_fixture() -> None:
    assert capture.ws_outbox is pytest_plugin.ws_outbox


def test_the_package_names_only_its_helpers() -> None:
    import django_aws_api_gateway_websockets.testing as testing

    with pytest.raises(AttributeError, match="has no attribute 'ws_outbox'"):
        testing.ws_outbox  # noqa: B018


def test_with_token_connects_a_token_view_as_the_logged_in_user(
    client: Client, ws_gateway: ApiGateway
) -> None:
    ws = WebSocketTestClient("/token-ws/", api_id=ws_gateway.api_id, client=client)
    assert ws.connect().response.status_code == 401  # no token, as a browser without one

    client.force_login(User.objects.create_user("tina"))
    connection = ws.connect(with_token=True)

    assert connection.response.status_code == 200
    session = WebSocketSession.objects.get(connection_id=connection.connection_id)
    assert session.user is not None and session.user.get_username() == "tina"


def test_fresh_token_needs_a_logged_in_client(ws_client: WebSocketTestClient) -> None:
    with pytest.raises(LookupError, match="force_login"):
        ws_client.fresh_token()
