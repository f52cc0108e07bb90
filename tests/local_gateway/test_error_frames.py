"""What the browser client relies on in the local gateway's error frames."""

from __future__ import annotations

import json

from .conftest import Backend, GatewayFactory, connection_id_of, error_frame, ws_connect


def test_a_connections_answers_come_in_the_order_of_its_messages(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    # GatewaySocket gives an error frame to the oldest unacknowledged message:
    # exact only if a slow failure is answered before a quick success after it.
    backend.answer("slow", status=502, body=b"Traceback...", delay=0.3)
    gateway_thread = start_gateway_thread(extra_routes={"slow": backend.url + "slow"})
    with ws_connect(gateway_thread.url) as client:
        client.send(json.dumps({"action": "slow"}))
        client.send("quick")
        first = error_frame(client.recv(timeout=5))
        second = client.recv(timeout=5)
        client.send(json.dumps({"action": "slow"}))
        third = error_frame(client.recv(timeout=5))
    assert first["message"] == "Internal server error"
    assert first["connectionId"] == connection_id_of(backend)
    assert second == "default got quick"
    # One request id per failed request, as on AWS.
    assert first["requestId"] != third["requestId"]
