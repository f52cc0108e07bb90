"""The @connections Management API through boto3's own client."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed

from django_aws_api_gateway_websockets.local_gateway import GatewayThread
from django_aws_api_gateway_websockets.local_gateway.config import Limits

from .conftest import (
    Backend,
    GatewayFactory,
    connection_id_of,
    handlers_done,
    management_client,
    ws_connect,
)


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_post_to_connection_sends_a_text_frame(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    api = management_client(gateway_thread)
    with ws_connect(gateway_thread.url) as client:
        api.post_to_connection(ConnectionId=connection_id_of(backend), Data=b'{"hello": "you"}')
        assert client.recv(timeout=5) == '{"hello": "you"}'


def test_post_of_bytes_that_are_not_utf8_sends_a_binary_frame(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    api = management_client(gateway_thread)
    with ws_connect(gateway_thread.url) as client:
        api.post_to_connection(ConnectionId=connection_id_of(backend), Data=b"\xff\xfe")
        assert client.recv(timeout=5) == b"\xff\xfe"


def test_post_of_128_kb_passes_and_more_is_payload_too_large(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    api = management_client(gateway_thread)
    with ws_connect(gateway_thread.url, max_size=None) as client:
        connection_id = connection_id_of(backend)
        api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024))
        assert len(client.recv(timeout=5)) == 128 * 1024
        with pytest.raises(ClientError) as error:
            api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
        assert error_code(error) == "PayloadTooLargeException"
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
        # A body far beyond the limit is refused the same way.
        with pytest.raises(api.exceptions.PayloadTooLargeException):
            api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (2 * 1024 * 1024))
        # The connection is still usable.
        api.post_to_connection(ConnectionId=connection_id, Data=b"still here")
        assert client.recv(timeout=5) == "still here"


def test_a_closed_connection_is_gone(backend: Backend, gateway_thread: GatewayThread) -> None:
    api = management_client(gateway_thread)
    with ws_connect(gateway_thread.url):
        connection_id = connection_id_of(backend)
    backend.wait_for("disconnect")
    for call in (api.post_to_connection, api.get_connection, api.delete_connection):
        kwargs = {"Data": b"x"} if call == api.post_to_connection else {}
        with pytest.raises(ClientError) as error:
            call(ConnectionId=connection_id, **kwargs)
        assert error_code(error) == "GoneException"
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_an_unknown_connection_is_gone_as_a_modeled_exception(
    gateway_thread: GatewayThread,
) -> None:
    api = management_client(gateway_thread)
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")


def test_a_malformed_connection_id_is_a_bad_request(gateway_thread: GatewayThread) -> None:
    api = management_client(gateway_thread)
    with pytest.raises(ClientError) as error:
        api.get_connection(ConnectionId="not valid!")
    assert error_code(error) == "BadRequestException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_another_stage_is_forbidden(backend: Backend, gateway_thread: GatewayThread) -> None:
    with ws_connect(gateway_thread.url):
        connection_id = connection_id_of(backend)
        request = urllib.request.Request(
            f"http://127.0.0.1:{gateway_thread.port}/staging/@connections/{connection_id}",
            method="GET",
        )
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=5)
    assert error.value.code == 403
    assert error.value.headers["x-amzn-ErrorType"] == "ForbiddenException"


def test_get_connection_describes_it(backend: Backend, gateway_thread: GatewayThread) -> None:
    api = management_client(gateway_thread)
    before = datetime.now(UTC) - timedelta(seconds=1)
    with ws_connect(gateway_thread.url, user_agent_header="Browser/2.0") as client:
        connection_id = connection_id_of(backend)
        first = api.get_connection(ConnectionId=connection_id)
        time.sleep(0.05)
        client.send("activity")
        client.recv(timeout=5)
        second = api.get_connection(ConnectionId=connection_id)
    after = datetime.now(UTC) + timedelta(seconds=1)
    assert before < first["ConnectedAt"] < after
    assert first["LastActiveAt"] == first["ConnectedAt"]
    assert second["LastActiveAt"] > first["LastActiveAt"]
    assert second["ConnectedAt"] == first["ConnectedAt"]
    assert first["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "Browser/2.0"}


def test_get_connection_answers_aws_json(backend: Backend, gateway_thread: GatewayThread) -> None:
    with ws_connect(gateway_thread.url):
        connection_id = connection_id_of(backend)
        url = f"{gateway_thread.management_url}/@connections/{connection_id}"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
    # Wire names as in the service model; ISO 8601 with milliseconds, as AWS writes them.
    assert set(body) == {"connectedAt", "lastActiveAt", "identity"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["connectedAt"])
    assert body["identity"]["sourceIp"] == "127.0.0.1"


def test_delete_closes_the_socket_and_causes_one_disconnect(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    api = management_client(gateway_thread)
    with ws_connect(gateway_thread.url) as client:
        connection_id = connection_id_of(backend)
        response = api.delete_connection(ConnectionId=connection_id)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1000
    (disconnect,) = backend.wait_for("disconnect")
    assert disconnect.headers["Connectionid"] == connection_id
    with pytest.raises(api.exceptions.GoneException):
        api.get_connection(ConnectionId=connection_id)
    handlers_done(gateway_thread)
    assert len(backend.received("disconnect")) == 1


def test_post_before_connect_completes_is_gone(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("connect", delay=0.5)
    gateway_thread = start_gateway_thread()
    api = management_client(gateway_thread)
    with ws_connect(gateway_thread.url):
        connection_id = connection_id_of(backend)
    # The connect request told the backend an id; only now is it open.
    assert gateway_thread.gateway.connection_ids() == []
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"x")


def test_signed_requests_with_any_credentials_are_accepted(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    import boto3

    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=gateway_thread.management_url,
        region_name="eu-west-3",
        aws_access_key_id="AKIAOTHER",
        aws_secret_access_key="whatever",
        aws_session_token="token",
    )
    with ws_connect(gateway_thread.url) as client:
        api.post_to_connection(ConnectionId=connection_id_of(backend), Data=b"signed")
        assert client.recv(timeout=5) == "signed"


def test_get_during_connect_is_gone_and_open_once_the_handshake_completes(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    import threading

    backend.answer("connect", delay=1.0)
    gateway_thread = start_gateway_thread()
    api = management_client(gateway_thread)
    opened = threading.Event()
    checked = threading.Event()

    def open_client() -> None:
        with ws_connect(gateway_thread.url):
            opened.set()
            checked.wait(10)  # open until the test has asked about it

    thread = threading.Thread(target=open_client)
    thread.start()
    try:
        connection_id = connection_id_of(backend)
        # $connect has not returned: as AWS, GET answers 410 (reconcile must wait).
        with pytest.raises(api.exceptions.GoneException):
            api.get_connection(ConnectionId=connection_id)
        assert opened.wait(5)
        assert api.get_connection(ConnectionId=connection_id)["Identity"]["SourceIp"] == "127.0.0.1"
    finally:
        checked.set()
        thread.join(10)


def test_the_account_throttle_answers_429_as_aws_does_when_asked_for(
    start_gateway_thread: GatewayFactory,
) -> None:
    # A burst of 2 and a rate too slow to refill within the test.
    gateway_thread = start_gateway_thread(limits=Limits(throttle_rate=0.001, throttle_burst=2))

    def get() -> tuple[int, str]:
        request = urllib.request.Request(
            f"{gateway_thread.gateway.management_url}/@connections/AAAAAAAAAAAAAAA=",
            method="GET",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return answer.status, ""
        except urllib.error.HTTPError as error:
            return error.code, error.headers["x-amzn-ErrorType"]

    assert [get() for _ in range(3)] == [
        (410, "GoneException"),
        (410, "GoneException"),
        (429, "LimitExceededException"),
    ]


def test_no_account_throttle_by_default(gateway_thread: GatewayThread) -> None:
    api = management_client(gateway_thread)
    for _ in range(50):
        with pytest.raises(api.exceptions.GoneException):
            api.get_connection(ConnectionId="AAAAAAAAAAAAAAA=")
