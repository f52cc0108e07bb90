"""Multicast throughput: the transports against the bare aiohttp ceilings, in one run.

    python benchmarks/send.py            # 5,000 and 50,000 recipients (several minutes)
    python benchmarks/send.py --quick    # 500 and 5,000 recipients

One message is multicast to N sessions through a Management API stand-in in
another process (benchmarks/management_api_server.py, so it does not share this
process's GIL) that answers after 0 or 20 ms. Side by side, in this order for
every N and latency:

- ``ceiling, unsigned``: bare aiohttp POSTs, ``send_max_in_flight`` in flight,
  no app code and no signature: what the stand-in and the network allow;
- ``ceiling, signed``: the same, each request signed with botocore's
  ``SigV4Auth``: what any correctly signed sender in Python can reach;
- ``AiohttpTransport``: the default transport through ``send_message`` on a
  queryset (one SELECT, JSON, bookkeeping), with default settings;
- ``BotoTransport``: boto3's client in a thread pool, default settings.

"cpu µs/msg" is this process's CPU time (every thread) per message. Peak
memory growth is measured with tracemalloc in a separate, untimed send to the
largest N with the default transport (Python allocations, every thread).

Then, in the same run, ``benchmarks/background.py`` prints the background side:
what ``enqueue_message`` to the largest N costs the caller (queries, ms) and
what one and two ``db_worker`` processes send (``--no-background`` skips it).
The targets of issue 8 are checked at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import aiohttp  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from benchmarks import management_api_server  # noqa: E402
from django_aws_api_gateway_websockets import aws  # noqa: E402
from django_aws_api_gateway_websockets.aiohttp_transport import AiohttpTransport  # noqa: E402
from django_aws_api_gateway_websockets.conf import conf  # noqa: E402
from django_aws_api_gateway_websockets.messaging import encode_message  # noqa: E402
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession  # noqa: E402
from django_aws_api_gateway_websockets.transport import (  # noqa: E402
    BotoTransport,
    get_transport,
    override_transport,
)

FULL_COUNTS = (5_000, 50_000)
QUICK_COUNTS = (500, 5_000)
LATENCIES_MS = (20, 0)
# Larger sends run once per sender (BotoTransport takes minutes for 50,000).
REPEAT_UP_TO = 5_000
MESSAGE = {"type": "chat", "text": "hello everyone", "n": 1}
REGION = "eu-west-1"
# Targets (issue 8), checked at 5,000 recipients and 20 ms.
TARGET_COUNT, TARGET_LATENCY_MS = 5_000, 20
TARGET_RATE, TARGET_RATIO, TARGET_MEMORY_MB = 4_000, 0.8, 100

CEILING_UNSIGNED, CEILING_SIGNED = "ceiling, unsigned", "ceiling, signed"
DEFAULT, BOTO = "AiohttpTransport", "BotoTransport"


def create_schema() -> None:
    # Tables straight from the models: the benchmark measures sending, not migrations.
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)


class Ceiling:
    """Bare aiohttp posts, no app code: one loop and one pool kept for the whole run."""

    def __init__(self, signed: bool) -> None:
        self.signed = signed
        self.loop = asyncio.new_event_loop()
        self.session: aiohttp.ClientSession | None = None
        credentials = aws.credentials()
        assert credentials is not None, "tests.settings provides placeholder credentials"
        self.credentials = credentials

    def send(self, endpoint_url: str, count: int, data: bytes) -> None:
        self.loop.run_until_complete(self._send(endpoint_url, count, data))

    async def _send(self, endpoint_url: str, count: int, data: bytes) -> None:
        if self.session is None:
            in_flight = conf.send_max_in_flight
            connector = aiohttp.TCPConnector(limit=in_flight, limit_per_host=0)
            self.session = aiohttp.ClientSession(connector=connector)
        session, pending = self.session, iter(range(count))

        async def worker() -> None:
            for i in pending:
                url = f"{endpoint_url}/@connections/conn{i:06d}"
                if self.signed:
                    request = AWSRequest(method="POST", url=url, data=data)
                    frozen = self.credentials.get_frozen_credentials()
                    SigV4Auth(frozen, "execute-api", REGION).add_auth(request)
                    headers = dict(request.headers.items())
                else:
                    headers = {"Authorization": "AWS4-HMAC-SHA256 (not really signed)"}
                async with session.post(url, data=data, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status

        await asyncio.gather(*(worker() for _ in range(min(conf.send_max_in_flight, count))))

    def close(self) -> None:
        if self.session is not None:
            self.loop.run_until_complete(self.session.close())
        self.loop.close()


def send_through(transport_name: str) -> Callable[[str, int, bytes], None]:
    chosen = BotoTransport() if transport_name == BOTO else get_transport()
    assert transport_name == BOTO or isinstance(chosen, AiohttpTransport)

    def send(endpoint_url: str, count: int, data: bytes) -> None:
        with override_transport(chosen):
            result = WebSocketSession.objects.in_channel("bench")[:count].send_message(MESSAGE)
        assert result.sent == count, (result.sent, list(result.errors.values())[:3])

    return send


@dataclass
class Row:
    sender: str
    count: int
    latency_ms: int
    seconds: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def timed(
    send: Callable[[str, int, bytes], None], endpoint: str, count: int
) -> tuple[float, float]:
    data = encode_message(MESSAGE)
    started, cpu_started = time.perf_counter(), time.process_time()
    send(endpoint, count, data)
    return time.perf_counter() - started, time.process_time() - cpu_started


def peak_growth_mb(send: Callable[[str, int, bytes], None], endpoint: str, count: int) -> float:
    data = encode_message(MESSAGE)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        send(endpoint, count, data)
        return (tracemalloc.get_traced_memory()[1] - baseline) / 1e6
    finally:
        tracemalloc.stop()


def endpoint_url(api_endpoint: str) -> str:
    return api_endpoint.replace("ws://", "http://", 1) + "/production"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 and 5,000 recipients")
    parser.add_argument(
        "--repeat", type=int, default=3, help=f"runs per sender up to {REPEAT_UP_TO:,} recipients"
    )
    parser.add_argument(
        "--no-background", action="store_true", help="skip enqueue_message and the workers"
    )
    arguments = parser.parse_args()
    counts = QUICK_COUNTS if arguments.quick else FULL_COUNTS
    repeats = max(1, arguments.repeat)
    create_schema()
    gateway = ApiGateway.objects.create(
        api_name="bench", target_base_endpoint="https://app.example.com/ws/", api_id="bench"
    )
    WebSocketSession.objects.bulk_create(
        (
            WebSocketSession(
                connection_id=f"conn{i:06d}", channel_name="bench", api_gateway=gateway
            )
            for i in range(max(counts))
        ),
        batch_size=5_000,
    )
    ceilings = {CEILING_UNSIGNED: Ceiling(signed=False), CEILING_SIGNED: Ceiling(signed=True)}
    senders: dict[str, Callable[[str, int, bytes], None]] = {
        CEILING_UNSIGNED: ceilings[CEILING_UNSIGNED].send,
        CEILING_SIGNED: ceilings[CEILING_SIGNED].send,
        DEFAULT: send_through(DEFAULT),
        BOTO: send_through(BOTO),
    }
    rows: list[Row] = []
    memory: dict[str, float] = {}
    print(
        f"{os.cpu_count()} CPUs; one message multicast to N sessions; default settings "
        f"(send_max_in_flight={conf.send_max_in_flight}, send_concurrency={conf.send_concurrency})"
    )
    for latency_ms in LATENCIES_MS:
        with management_api_server.running(latency_ms / 1000) as api_endpoint:
            ApiGateway.objects.filter(pk=gateway.pk).update(api_endpoint=api_endpoint)
            url = endpoint_url(api_endpoint)
            for send in senders.values():
                timed(send, url, min(counts))  # warm-up: pools, clients, credentials
            for count in counts:
                # Interleaved and best of several runs: the machine's noise hits
                # every sender alike, and a run is never faster than it can be.
                runs = repeats if count <= REPEAT_UP_TO else 1
                best: dict[str, Row] = {}
                for _ in range(runs):
                    for name, send in senders.items():
                        row = Row(name, count, latency_ms, *timed(send, url, count))
                        if name not in best or row.seconds < best[name].seconds:
                            best[name] = row
                for row in best.values():
                    rows.append(row)
                    print_row(row, rows, runs)
            if latency_ms == 0:
                memory[DEFAULT] = peak_growth_mb(senders[DEFAULT], url, max(counts))
    for ceiling in ceilings.values():
        ceiling.close()
    print()
    for name, growth in memory.items():
        print(f"peak memory growth sending to {max(counts):,}: {name} {growth:.1f} MB")
    print_targets(rows, memory, max(counts))
    if not arguments.no_background:
        print(flush=True)
        background = [str(ROOT / "benchmarks" / "background.py"), "--recipients", str(max(counts))]
        subprocess.run([sys.executable, *background, "--sent", str(min(counts))], check=True)


def print_row(row: Row, rows: list[Row], runs: int) -> None:
    if len(rows) == 1 or (rows[-2].count, rows[-2].latency_ms) != (row.count, row.latency_ms):
        print(
            f"\n{'sender':<18} {'recipients':>10} {'latency':>8} {'seconds':>8} "
            f"{'msgs/s':>8} {'cpu µs/msg':>10} {'vs signed':>9}   (best of {runs})"
        )
    signed = next(
        (
            r
            for r in rows
            if r.sender == CEILING_SIGNED and (r.count, r.latency_ms) == (row.count, row.latency_ms)
        ),
        None,
    )
    ratio = f"{row.rate / signed.rate:.2f}x" if signed else "-"
    print(
        f"{row.sender:<18} {row.count:>10,} {f'{row.latency_ms} ms':>8} {row.seconds:>8.2f} "
        f"{row.rate:>8,.0f} {row.cpu / row.count * 1e6:>10,.0f} {ratio:>9}",
        flush=True,
    )


def print_targets(rows: list[Row], memory: dict[str, float], largest: int) -> None:
    def rate(sender: str) -> float | None:
        found = [
            r.rate
            for r in rows
            if (r.sender, r.count, r.latency_ms) == (sender, TARGET_COUNT, TARGET_LATENCY_MS)
        ]
        return found[0] if found else None

    default, signed = rate(DEFAULT), rate(CEILING_SIGNED)
    print("\ntargets (issue 8):")
    if default is not None and signed is not None:
        verdict = "met" if default >= TARGET_RATE else "NOT met"
        print(
            f"  {TARGET_RATE:,} msgs/s at {TARGET_COUNT:,} and {TARGET_LATENCY_MS} ms: "
            f"{default:,.0f} ({verdict})"
        )
        ratio = default / signed
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"  >= {TARGET_RATIO}x the signed ceiling: {ratio:.2f}x ({verdict})")
    growth = memory[DEFAULT]
    verdict = "met" if growth < TARGET_MEMORY_MB else "NOT met"
    print(
        f"  < {TARGET_MEMORY_MB} MB peak growth sending to {largest:,}: {growth:.1f} MB ({verdict})"
    )


if __name__ == "__main__":
    main()
