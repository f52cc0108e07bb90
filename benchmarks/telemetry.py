"""What the OpenTelemetry instrumentation costs a message, and how many time series it makes.

    python benchmarks/telemetry.py [--events N] [--rounds N] [--connections N] [--channels N]

Part 1, cost. A message (``{"action": "default"}``, two SQL statements) goes
through Django's test client and the whole view, as in benchmarks/core.py,
against in-memory SQLite. The variants run interleaved, round after round,
and each figure is the median of its rounds, so that a machine busy with
something else slows them all alike:

- the floor: a plain view running the message's two statements and nothing else;
- telemetry off (``telemetry_enabled = False``: no-op meter and tracer), i.e.
  the uninstrumented message;
- the OpenTelemetry API only, no SDK (what a project gets by default);
- after the SDK is installed with a metric reader attached (its global
  provider cannot be taken back, so these come second, with "off" and the
  floor measured again beside them).

Part 2, cardinality. With the SDK's reader attached, ``--connections``
$connects spread over ``--channels`` channels, one publish and one message
per channel, a refused channel per channel, and every $disconnect; then the
data points the reader exports are counted: each is one time series.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from opentelemetry import metrics  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import Histogram, InMemoryMetricReader  # noqa: E402

from benchmarks.core import create_schema  # noqa: E402
from django_aws_api_gateway_websockets import publishing, telemetry, wire  # noqa: E402
from django_aws_api_gateway_websockets.models import ApiGateway  # noqa: E402
from django_aws_api_gateway_websockets.testing import (  # noqa: E402
    WebSocketTestClient,
    capture_messages,
)

API_ID = "benchapi01"
SDK_TARGET = 0.93  # SDK + reader, against the uninstrumented message
API_TARGET = 0.98  # the API alone, against the uninstrumented message
SERIES_TARGET = 200
WS_SETTINGS = {
    "rate_limit_max_attempts": 10**9,
    "messages_per_second": 10**9,
    "messages_burst": 10**9,
}
OFF = {**WS_SETTINGS, "telemetry_enabled": False}


def seconds_per_event(action: Callable[[], object], events: int) -> float:
    start = time.perf_counter()
    for _ in range(events):
        action()
    return (time.perf_counter() - start) / events


Variants = dict[str, tuple[dict[str, object], Callable[[], object]]]


def interleaved(variants: Variants, events: int, rounds: int) -> dict[str, list[float]]:
    """Seconds per event of each variant in each round; the variants take turns.

    The order turns too (first, then last), so that neither a warm cache nor a
    neighbour's burst of work always lands on the same variant.
    """
    runs: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            websockets, action = variants[name]
            with override_settings(WEBSOCKETS=websockets):
                runs[name].append(seconds_per_event(action, events))
    return runs


def paired_ratio(runs: dict[str, list[float]], base: str, other: str) -> float:
    """Median over rounds of base time / other time: throughput of ``other`` against ``base``."""
    return statistics.median(b / o for b, o in zip(runs[base], runs[other], strict=True))


def wrapper_cost(iterations: int) -> float:
    """Seconds the dispatch decorator adds to one request, measured alone (no view, no SQL)."""
    response = HttpResponse(b"")
    view = SimpleNamespace(handler_name="default", connection_id="bench", gateway=None)
    observed = telemetry.observed_dispatch(lambda view, request, **kwargs: response)
    start = time.perf_counter()
    for _ in range(iterations):
        observed(view, None, route="default")
    return (time.perf_counter() - start) / iterations


def check(response: object) -> None:
    assert getattr(response, "status_code", None) == 200, response


def print_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def verdict(value: float, target: float, *, at_most: bool = False) -> str:
    met = value <= target if at_most else value >= target
    return "met" if met else "NOT met"


def cost(events: int, rounds: int, reader: InMemoryMetricReader) -> list[str]:
    ws = WebSocketTestClient("/ws/", api_id=API_ID, client=Client())
    with override_settings(WEBSOCKETS=WS_SETTINGS):
        connection_id = ws.connect().connection_id
    floor_client = Client()
    floor_headers = {f"HTTP_{wire.CONNECTION_ID_HEADER.upper().replace('-', '_')}": connection_id}
    message = {"action": "default", "text": "hello"}

    def send() -> None:
        check(ws.send(connection_id, message))

    def floor() -> None:
        check(floor_client.post("/two-statements/", **floor_headers))  # type: ignore[arg-type]

    def phase(name: str) -> tuple[dict[str, list[float]], float]:
        """The floor, "off" and the instrumented message (``name``), in turns."""
        variants: Variants = {"floor": (WS_SETTINGS, floor), "off": (OFF, send)}
        runs = interleaved({**variants, name: (WS_SETTINGS, send)}, events, rounds)
        with override_settings(WEBSOCKETS=WS_SETTINGS):
            return runs, wrapper_cost(events * 50)

    before, api_alone = phase("api")
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    after, sdk_alone = phase("sdk")
    median = {
        f"{phase}-{k}": statistics.median(v)
        for phase, runs in (("before", before), ("after", after))
        for k, v in runs.items()
    }
    rows = [
        ("floor: the message's two statements, no view", "before-floor", "floor", before),
        ("message, telemetry off (uninstrumented)", "before-off", "off", before),
        ("message, OpenTelemetry API only (no SDK)", "before-api", "api", before),
        ("floor, again after the SDK was installed", "after-floor", "floor", after),
        ("message, telemetry off, again", "after-off", "off", after),
        ("message, SDK + metric reader", "after-sdk", "sdk", after),
    ]
    print(f"Part 1: {events} messages per run, {rounds} interleaved rounds (medians)")
    print_table(
        ("variant", "µs/event", "events/s", "vs off, paired"),
        [
            (
                name,
                f"{median[key] * 1e6:,.0f}",
                f"{1 / median[key]:,.0f}",
                f"{paired_ratio(runs, 'off', variant):.3f}x",
            )
            for name, key, variant, runs in rows
        ],
    )
    off = median["after-off"]
    print(
        f"The dispatch decorator alone (span, count, duration; no view, no SQL): "
        f"{api_alone * 1e6:.1f} µs with the API only, {sdk_alone * 1e6:.1f} µs with the SDK: "
        f"{sdk_alone / off:.1%} of an uninstrumented message here"
    )
    sdk_floor, off_floor = paired_ratio(after, "floor", "sdk"), paired_ratio(after, "floor", "off")
    print(
        f"(against the floor itself: SDK + reader {sdk_floor:.3f}x, "
        f"uninstrumented {off_floor:.3f}x: the rest is the view's own work)"
    )
    sdk_ratio = paired_ratio(after, "off", "sdk")
    api_ratio = paired_ratio(before, "off", "api")
    return [
        f"SDK + reader vs uninstrumented message: {sdk_ratio:.3f}x "
        f"(target >= {SDK_TARGET}x): {verdict(sdk_ratio, SDK_TARGET)}",
        f"API only (no SDK) vs uninstrumented message: {api_ratio:.3f}x "
        f"(target >= {API_TARGET}x): {verdict(api_ratio, API_TARGET)}",
    ]


def cardinality(connections: int, channels: int, reader: InMemoryMetricReader) -> list[str]:
    ws = WebSocketTestClient("/ws/", api_id=API_ID, client=Client())
    start = time.perf_counter()
    with override_settings(WEBSOCKETS=WS_SETTINGS), capture_messages():
        channel_names = [f"channel-{i % channels}" for i in range(connections)]
        ids = [ws.connect(channel=name).connection_id for name in channel_names]
        for number in range(channels):
            publishing.publish(f"channel-{number}", {"n": number})
            check(ws.send(ids[number], {"action": "shout", "text": "hi"}))
            # ChatView refuses "vip": one refusal per channel.
            assert ws.connect(channel="vip").response.status_code == 403
        for connection_id in ids:
            check(ws.disconnect(connection_id))
    elapsed = time.perf_counter() - start
    data = reader.get_metrics_data()
    per_instrument: Counter[str] = Counter()
    prometheus = 0
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    per_instrument[metric.name] += 1
                    # Prometheus: a histogram is one series per bucket, plus _sum and _count.
                    is_histogram = isinstance(metric.data, Histogram)
                    prometheus += len(point.bucket_counts) + 2 if is_histogram else 1
    total = sum(per_instrument.values())
    print()
    print(
        f"Part 2: {connections:,} connections across {channels:,} channels, "
        f"{channels:,} publishes, messages and refusals, every $disconnect ({elapsed:.0f} s)"
    )
    print_table(
        ("instrument", "series"),
        [(name, str(count)) for name, count in sorted(per_instrument.items())]
        + [("total (OpenTelemetry data points)", str(total))],
    )
    print(f"(as Prometheus samples, each histogram bucket apart: {prometheus})")
    return [
        f"time series for {connections:,} connections / {channels:,} channels: {total} "
        f"(target <= {SERIES_TARGET}): {verdict(total, SERIES_TARGET, at_most=True)}"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100, help="messages per timed run")
    parser.add_argument("--rounds", type=int, default=21, help="interleaved rounds")
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=1_000)
    options = parser.parse_args()
    logging.getLogger("django_aws_api_gateway_websockets").setLevel(logging.CRITICAL)

    create_schema()
    ApiGateway.objects.create(
        api_name="bench",
        target_base_endpoint="http://testserver/ws/",
        api_id=API_ID,
        api_endpoint="ws://127.0.0.1:1",
    )
    reader = InMemoryMetricReader()
    with override_settings(ROOT_URLCONF="benchmarks.urls"), capture_messages():
        verdicts = cost(options.events, options.rounds, reader)
        verdicts += cardinality(options.connections, options.channels, reader)
    print()
    print(f"SQLite in memory, {os.cpu_count()} CPUs")
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
