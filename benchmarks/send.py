"""Multicast throughput: boto3 against the capture transport.

    python benchmarks/send.py

Sends one message to N sessions through a Management API stand-in (a separate
process, so it does not share this one's GIL) that answers after 0 or 20 ms,
with the default boto3 transport, then with the in-memory capture transport,
which costs only this app's own work (one SELECT, JSON, bookkeeping). The gap
between the two is what botocore costs per call: the reason the transport is
replaceable (see docs/sending.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from django_aws_api_gateway_websockets import aws  # noqa: E402
from django_aws_api_gateway_websockets.conf import conf  # noqa: E402
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession  # noqa: E402
from django_aws_api_gateway_websockets.testing import capture_messages  # noqa: E402

SESSION_COUNTS = (500, 2000)
LATENCIES_MS = (0, 20)
CONCURRENCIES = (16, 64)
MESSAGE = {"type": "chat", "text": "hello everyone", "n": 1}


def create_schema() -> None:
    # Tables straight from the models (as pytest --nomigrations does): the
    # benchmark measures sending, not the migration history.
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)


@contextmanager
def stand_in(latency_ms: int) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.messaging.management_api", str(latency_ms / 1000)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield f"ws://127.0.0.1:{process.stdout.readline().strip()}"
    finally:
        process.terminate()
        process.wait()


def add_sessions(gateway: ApiGateway, count: int) -> None:
    """Bring the number of sessions up to ``count``."""
    start = WebSocketSession.objects.count()
    WebSocketSession.objects.bulk_create(
        WebSocketSession(connection_id=f"conn{i:06d}", channel_name="bench", api_gateway=gateway)
        for i in range(start, count)
    )


def timed_send() -> tuple[float, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    result = WebSocketSession.objects.in_channel("bench").send_message(MESSAGE)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert result.sent == result.total, result.errors
    return wall, cpu


def row(name: str, count: int, latency: str, concurrency: str, wall: float, cpu: float) -> str:
    return (
        f"{name:<8} {count:>8} {latency:>8} {concurrency:>11} {wall:>8.2f} "
        f"{count / wall:>10.0f} {wall / count * 1e6:>10.0f} {cpu / count * 1e6:>10.0f}"
    )


def main() -> None:
    create_schema()
    gateway = ApiGateway.objects.create(
        api_name="bench", target_base_endpoint="https://app.example.com/ws/", api_id="bench"
    )
    print(f"{os.cpu_count()} CPUs, one message multicast to N sessions\n")
    print(
        f"{'transport':<8} {'sessions':>8} {'latency':>8} {'concurrency':>11} {'seconds':>8} "
        f"{'msgs/s':>10} {'µs/msg':>10} {'cpu µs/msg':>10}"
    )
    for count in SESSION_COUNTS:
        add_sessions(gateway, count)
        with capture_messages():
            timed_send()  # warm-up
            wall, cpu = timed_send()
        print(row("capture", count, "-", "-", wall, cpu))
        for latency_ms in LATENCIES_MS:
            with stand_in(latency_ms) as endpoint:
                ApiGateway.objects.filter(pk=gateway.pk).update(api_endpoint=endpoint)
                for concurrency in CONCURRENCIES:
                    with override_settings(WEBSOCKETS={"send_concurrency": concurrency}):
                        aws.clear_client_cache()
                        timed_send()  # warm-up: client, connection pool
                        wall, cpu = timed_send()
                        assert conf.send_concurrency == concurrency
                    print(row("boto3", count, f"{latency_ms} ms", str(concurrency), wall, cpu))


if __name__ == "__main__":
    main()
