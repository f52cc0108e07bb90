"""The demo's /metrics over HTTP: Prometheus text whose counters moved by what real traffic did."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest
import requests
import websockets
from prometheus_client.parser import text_string_to_metric_families

from .clients import connect, logged_in, new_token, receive_frame
from .stack import Stack

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
WAIT_SECONDS = 15


def scrape(stack: Stack) -> Samples:
    response = requests.get(f"{stack.http_url}/metrics", timeout=10)
    response.raise_for_status()
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


def scrape_until(stack: Stack, holds: Callable[[Samples], bool]) -> Samples:
    """Scrape until ``holds`` (a $disconnect reaches Django after the client closed)."""
    deadline = time.monotonic() + WAIT_SECONDS
    samples = scrape(stack)
    while not holds(samples) and time.monotonic() < deadline:
        time.sleep(0.2)
        samples = scrape(stack)
    return samples


def test_counters_move_by_what_the_traffic_did(stack: Stack) -> None:
    [(api_id,)] = stack.sql("SELECT api_id FROM django_aws_api_gateway_websockets_apigateway")
    gateway = str(api_id)
    alice, bob = logged_in(stack, "alice"), logged_in(stack, "bob")
    before = scrape(stack)

    def moved(after: Samples, name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    async def traffic() -> None:
        ws_alice = await connect(stack, new_token(stack, alice), "metrics-room")
        ws_bob = await connect(stack, new_token(stack, bob), "metrics-room")
        await ws_alice.send(json.dumps({"action": "chat", "text": "hello"}))
        for ws in (ws_alice, ws_bob):
            assert (await receive_frame(ws, "publish"))["data"]["text"] == "hello"
        during = scrape_until(
            stack,
            lambda now: value(now, "websockets_connections_active", gateway=gateway) == 2,
        )
        assert value(during, "websockets_connections_active", gateway=gateway) == 2
        await ws_alice.close()
        await ws_bob.close()

    asyncio.run(traffic())
    # A $connect without its token is refused (401).
    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(connect(stack, "0" * 64, "metrics-room"))
    assert refused.value.response.status_code == 401

    closed = "websockets_connections_closed_total"
    after = scrape_until(stack, lambda now: moved(now, closed, reason="disconnect") >= 2)

    received = "websockets_messages_received_total"
    assert moved(after, "websockets_tokens_total", result="issued") == 2
    assert moved(after, "websockets_connections_opened_total", gateway=gateway) == 2
    assert moved(after, received, route="connect", status_class="2xx") == 2
    assert moved(after, received, route="connect", status_class="4xx") == 1
    assert moved(after, received, route="default", handler="chat", status_class="2xx") == 1
    assert moved(after, received, route="disconnect", status_class="2xx") == 2
    assert moved(after, "websockets_dispatch_duration_seconds_count", route="default") == 1
    assert moved(after, "websockets_publishes_total") == 1
    assert moved(after, "websockets_sends_total", outcome="sent", kind="publish") == 2
    assert moved(after, "websockets_fanout_size_sum", kind="publish") == 2
    assert moved(after, closed, reason="disconnect") == 2
    final = scrape_until(
        stack, lambda now: value(now, "websockets_connections_active", gateway=gateway) == 0
    )
    assert value(final, "websockets_connections_active", gateway=gateway) == 0
