"""What the gateway sends travels in frames of at most 32 KB, as API Gateway splits it."""

from __future__ import annotations

from websockets.sync.client import ClientConnection

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.local_gateway import GatewayThread, Limits

from .conftest import Backend, GatewayFactory, connection_id_of, management_client, ws_connect

KB = 1024


def frames_of_next_message(client: ClientConnection) -> list[str | bytes]:
    """Each frame's payload, as the frames arrive (websockets yields one per frame)."""
    return list(client.recv_streaming())


def test_a_post_over_32_kb_arrives_in_32_kb_frames(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    api = management_client(gateway_thread)
    data = ("0123456789abcdef" * (100 * KB // 16)).encode()
    with ws_connect(gateway_thread.url, max_size=None) as client:
        api.post_to_connection(ConnectionId=connection_id_of(backend), Data=data)
        frames = frames_of_next_message(client)
    assert [len(frame) for frame in frames] == [32 * KB, 32 * KB, 32 * KB, 4 * KB]
    assert "".join(str(frame) for frame in frames).encode() == data
    assert wire.MAX_FRAME_BYTES == 32 * KB


def test_a_post_of_exactly_one_frame_and_binary_data_are_split_the_same_way(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    api = management_client(gateway_thread)
    with ws_connect(gateway_thread.url, max_size=None) as client:
        connection_id = connection_id_of(backend)
        api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (32 * KB))
        assert [len(frame) for frame in frames_of_next_message(client)] == [32 * KB]
        binary = b"\xff" * (40 * KB)
        api.post_to_connection(ConnectionId=connection_id, Data=binary)
        frames = frames_of_next_message(client)
        assert [len(frame) for frame in frames] == [32 * KB, 8 * KB]
        assert b"".join(frame for frame in frames if isinstance(frame, bytes)) == binary
        # The connection still works with ordinary messages afterwards.
        client.send("after")
        assert client.recv(timeout=5) == "default got after"


def test_a_route_response_over_the_frame_limit_is_split_too(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("default", body=b"r" * 25)
    gateway_thread = start_gateway_thread(limits=Limits(max_frame_bytes=10))
    with ws_connect(gateway_thread.url) as client:
        client.send("hi")
        assert frames_of_next_message(client) == ["r" * 10, "r" * 10, "r" * 5]
