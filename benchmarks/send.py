"""Multicast throughput and throttling: the targets of issue 16, each met or NOT met, in one run.

    python benchmarks/send.py            # the targets (several minutes)
    python benchmarks/send.py --full     # also 50,000 recipients and 0 ms, and memory
    python benchmarks/send.py --quick    # smaller sizes, a quick look

Every send goes to a Management API stand-in in another process
(benchmarks/management_api_server.py, so it does not share this process's GIL).

1. Unthrottled, one message multicast to N sessions, the stand-in answering
   after 20 ms. Side by side, interleaved, best of ``--repeat``:

   - ``ceiling, unsigned``: bare aiohttp POSTs, ``send_max_in_flight`` in
     flight, no app code and no signature: what the stand-in and the machine
     allow;
   - ``ceiling, awscrt``: the same, each request signed by awscrt called
     directly (``aws_sign_request`` on an ``awscrt.http.HttpRequest``): what
     an honestly signed sender can reach;
   - ``ceiling, botocore``: the same, signed with botocore's ``SigV4Auth``;
   - ``AiohttpTransport``: the default transport through ``send_message`` on
     a queryset (one SELECT, JSON, bookkeeping), with default settings;
   - ``BotoTransport`` (``--boto``): boto3's client in a thread pool.

   "cpu µs/msg" is this process's CPU time (every thread) per message, the
   median of the runs; "cpu vs awscrt" its difference from the awscrt
   ceiling's. ``benchmarks/send_instructions.py`` counts instructions per
   message instead, which the machine's load does not move.

2. Throttled: the stand-in enforces AWS's account throttle (2,000 requests/s,
   burst 1,000, a token bucket answering 429 ``LimitExceededException``) and
   answers after 10 ms; ``send_message`` to 20,000 sessions with default
   settings. The stand-in counts what it delivered: every connection must get
   its message exactly once, in at most 1.3x the time the rate allows
   (the recipients beyond the burst at the rate).

3. Then ``benchmarks/background.py --throttled`` does the same with
   ``enqueue_message`` and two ``db_worker`` processes (``--no-background``
   skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import aiohttp  # noqa: E402
from awscrt import auth as crt_auth  # noqa: E402
from awscrt import http as crt_http  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import ReadOnlyCredentials  # noqa: E402
from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from yarl import URL  # noqa: E402

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
from django_aws_api_gateway_websockets.transport_options import AiohttpOptions  # noqa: E402

QUICK_COUNTS, COUNTS, FULL_COUNTS = (500,), (5_000,), (5_000, 50_000)
LATENCIES_MS, FULL_LATENCIES_MS = (20,), (20, 0)
# Larger sends run once per sender (BotoTransport takes minutes for 50,000).
REPEAT_UP_TO = 5_000
MESSAGE = {"type": "chat", "text": "hello everyone", "n": 1}
REGION = "eu-west-1"
# Targets (issue 16). Unthrottled: at 5,000 recipients and 20 ms, the default
# transport at 0.9x or more of the awscrt-signed ceiling.
TARGET_COUNT, TARGET_LATENCY_MS, TARGET_RATIO = 5_000, 20, 0.9
# Throttled: recipients, the stand-in's rate and burst, its latency, and the
# most time allowed as a multiple of what the rate allows.
THROTTLED = (20_000, 2_000.0, 1_000.0, 10)
QUICK_THROTTLED = (5_000, 1_000.0, 500.0, 10)
TARGET_THROTTLED_FACTOR = 1.3
TARGET_MEMORY_MB = 100

CEILING_UNSIGNED, CEILING_CRT, CEILING_BOTOCORE = (
    "ceiling, unsigned",
    "ceiling, awscrt",
    "ceiling, botocore",
)
DEFAULT, BOTO = "AiohttpTransport", "BotoTransport"


def create_schema() -> None:
    # Tables straight from the models: the benchmark measures sending, not migrations.
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)


class Ceiling:
    """Bare aiohttp posts, no app code: one loop and one pool kept for the whole run.

    ``signer`` is None (no signature), ``"awscrt"`` or ``"botocore"``.
    """

    def __init__(self, signer: str | None) -> None:
        self.signer = signer
        self.loop = asyncio.new_event_loop()
        self.session: aiohttp.ClientSession | None = None
        credentials = aws.credentials()
        assert credentials is not None, "tests.settings provides placeholder credentials"
        self.credentials = credentials
        self._crt_provider: tuple[ReadOnlyCredentials, Any] | None = None
        self._crt_config: tuple[ReadOnlyCredentials, int, Any] | None = None

    def send(self, endpoint_url: str, count: int, data: bytes) -> None:
        self.loop.run_until_complete(self._send(endpoint_url, count, data))

    def headers(self, url: str, path: str, host: str, data: bytes) -> dict[str, str]:
        frozen = self.credentials.get_frozen_credentials()
        if self.signer == "botocore":
            request = AWSRequest(method="POST", url=url, data=data)
            SigV4Auth(frozen, "execute-api", REGION).add_auth(request)
            return dict(request.headers.items())
        if self.signer == "awscrt":
            crt_request = crt_http.HttpRequest(
                "POST",
                path,
                headers=crt_http.HttpHeaders([("Host", host)]),
                body_stream=BytesIO(data),
            )
            crt_auth.aws_sign_request(crt_request, self.crt_config(frozen)).result()
            return {k: v for k, v in crt_request.headers if k.lower() != "host"}
        return {"Authorization": "AWS4-HMAC-SHA256 (not really signed)"}

    def crt_config(self, frozen: ReadOnlyCredentials) -> Any:
        """A signing config as a careful bare sender keeps one: per credentials and second.

        X-Amz-Date counts whole seconds, so one config (and one credentials
        provider) signs every request of a second, as the default transport
        does; the ceiling must not pay for objects the transport does not make.
        """
        second = int(time.time())
        if self._crt_config is None or self._crt_config[:2] != (frozen, second):
            if self._crt_provider is None or self._crt_provider[0] != frozen:
                provider = crt_auth.AwsCredentialsProvider.new_static(
                    frozen.access_key, frozen.secret_key, frozen.token
                )
                self._crt_provider = (frozen, provider)
            config = crt_auth.AwsSigningConfig(
                algorithm=crt_auth.AwsSigningAlgorithm.V4,
                signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
                credentials_provider=self._crt_provider[1],
                region=REGION,
                service="execute-api",
                date=datetime.fromtimestamp(second, UTC),
            )
            self._crt_config = (frozen, second, config)
        return self._crt_config[2]

    async def _send(self, endpoint_url: str, count: int, data: bytes) -> None:
        if self.session is None:
            in_flight = conf.transport_options(AiohttpOptions).max_in_flight
            connector = aiohttp.TCPConnector(limit=in_flight, limit_per_host=0)
            self.session = aiohttp.ClientSession(connector=connector)
        session, pending = self.session, iter(range(count))
        parts = urlsplit(endpoint_url)

        async def worker() -> None:
            for i in pending:
                path = f"{parts.path}/@connections/conn{i:06d}"
                url = f"{endpoint_url}/@connections/conn{i:06d}"
                headers = self.headers(url, path, parts.netloc, data)
                # Built already encoded, as the default transport does: aiohttp
                # would otherwise parse every string URL, a cost the transport avoids.
                target = URL(url, encoded=True)
                async with session.post(target, data=data, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status

        workers = min(conf.transport_options(AiohttpOptions).max_in_flight, count)
        await asyncio.gather(*(worker() for _ in range(workers)))

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
    # CPU seconds of every run of this sender: their median is steadier than
    # any one run's wall time on a shared machine.
    cpu_runs: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def cpu_per_message(self) -> float:
        """Median CPU µs per message over the runs."""
        return statistics.median(self.cpu_runs or [self.cpu]) / self.count * 1e6


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
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a quick look")
    parser.add_argument("--full", action="store_true", help="also 50,000 recipients and 0 ms")
    parser.add_argument("--boto", action="store_true", help="also BotoTransport (slow)")
    parser.add_argument(
        "--repeat", type=int, default=3, help=f"runs per sender up to {REPEAT_UP_TO:,} recipients"
    )
    parser.add_argument(
        "--no-background", action="store_true", help="skip enqueue_message and the workers"
    )
    parser.add_argument(
        "--throttle",
        nargs=3,
        type=float,
        metavar=("N", "RATE", "BURST"),
        help="the throttled runs with N recipients and this rate and burst instead "
        "(a loaded machine that cannot send at 2,000/s can still show the pacing at less)",
    )
    arguments = parser.parse_args()
    counts = QUICK_COUNTS if arguments.quick else FULL_COUNTS if arguments.full else COUNTS
    latencies = FULL_LATENCIES_MS if arguments.full else LATENCIES_MS
    throttled = QUICK_THROTTLED if arguments.quick else THROTTLED
    if arguments.throttle:
        throttled = (int(arguments.throttle[0]), *arguments.throttle[1:], THROTTLED[3])
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
            for i in range(max(*counts, throttled[0]))
        ),
        batch_size=5_000,
    )
    ceilings = {
        CEILING_UNSIGNED: Ceiling(None),
        CEILING_CRT: Ceiling("awscrt"),
        CEILING_BOTOCORE: Ceiling("botocore"),
    }
    senders: dict[str, Callable[[str, int, bytes], None]] = {
        name: ceiling.send for name, ceiling in ceilings.items()
    }
    senders[DEFAULT] = send_through(DEFAULT)
    if arguments.boto:
        senders[BOTO] = send_through(BOTO)
    rows: list[Row] = []
    memory: dict[str, float] = {}
    options = conf.transport_options(AiohttpOptions)
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start; "
        f"default settings (send_max_in_flight={options.max_in_flight}, "
        f"send_rate_initial_per_second={options.rate_initial_per_second:,.0f})"
    )
    for latency_ms in latencies:
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
                cpu_runs: dict[str, list[float]] = {name: [] for name in senders}
                for _ in range(runs):
                    for name, send in senders.items():
                        row = Row(name, count, latency_ms, *timed(send, url, count))
                        cpu_runs[name].append(row.cpu)
                        if name not in best or row.seconds < best[name].seconds:
                            best[name] = row
                for name, row in best.items():
                    row.cpu_runs = cpu_runs[name]
                    rows.append(row)
                    print_row(row, rows, runs)
            if arguments.full and latency_ms == 0:
                memory[DEFAULT] = peak_growth_mb(senders[DEFAULT], url, max(counts))
    for ceiling in ceilings.values():
        ceiling.close()
    for name, growth in memory.items():
        print(f"\npeak memory growth sending to {max(counts):,}: {name} {growth:.1f} MB")
    throttled_row = throttled_send(gateway, *throttled)
    print_targets(rows, memory, max(counts), throttled_row)
    if not arguments.no_background:
        print(flush=True)
        background = [str(ROOT / "benchmarks" / "background.py"), "--throttled"]
        background += ["--throttle", *map(str, throttled[:3])]
        subprocess.run([sys.executable, *background], check=True)


@dataclass
class Throttled:
    count: int
    rate: float
    burst: float
    seconds: float
    cpu: float
    sent: int
    delivered: int
    repeated: int
    throttled: int

    @property
    def allowed(self) -> float:
        """The least time the stand-in's rate allows: the burst at once, the rest at the rate."""
        return max(0.0, self.count - self.burst) / self.rate


def throttled_send(
    gateway: ApiGateway, count: int, rate: float, burst: float, latency_ms: int
) -> Throttled:
    """``send_message`` to ``count`` sessions through a freshly started throttled stand-in."""
    with management_api_server.running(latency_ms / 1000, rate, burst) as api_endpoint:
        ApiGateway.objects.filter(pk=gateway.pk).update(api_endpoint=api_endpoint)
        # Warm up pools and credentials with a few, then let the bucket refill.
        WebSocketSession.objects.in_channel("bench")[:50].send_message(MESSAGE)
        time.sleep(burst / rate + 0.5)
        management_api_server.reset(api_endpoint)
        started, cpu_started = time.perf_counter(), time.process_time()
        result = WebSocketSession.objects.in_channel("bench")[:count].send_message(MESSAGE)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        stats = management_api_server.stats(api_endpoint)
    row = Throttled(
        count,
        rate,
        burst,
        seconds,
        cpu,
        result.sent,
        stats["delivered"],
        stats["repeated"],
        stats["throttled"],
    )
    print(
        f"\nthrottled: send_message to {count:,}, stand-in at {rate:,.0f} requests/s, "
        f"burst {burst:,.0f}, {latency_ms} ms\n"
        f"{'seconds':>8} {'allowed':>8} {'msgs/s':>8} {'cpu µs/msg':>10} {'sent':>7} "
        f"{'delivered':>9} {'repeated':>8} {'429s':>7}\n"
        f"{seconds:>8.2f} {row.allowed:>8.2f} {count / seconds:>8,.0f} "
        f"{cpu / count * 1e6:>10,.0f} {result.sent:>7,} {row.delivered:>9,} {row.repeated:>8,} "
        f"{row.throttled:>7,}",
        flush=True,
    )
    return row


def print_row(row: Row, rows: list[Row], runs: int) -> None:
    if len(rows) == 1 or (rows[-2].count, rows[-2].latency_ms) != (row.count, row.latency_ms):
        print(
            f"\n{'sender':<18} {'recipients':>10} {'latency':>8} {'seconds':>8} "
            f"{'msgs/s':>8} {'cpu µs/msg':>10} {'vs awscrt':>9} {'cpu vs awscrt':>13}   "
            f"(best of {runs}; cpu: median of the {runs} runs)"
        )
    crt = row_of(rows, CEILING_CRT, row.count, row.latency_ms)
    ratio = f"{row.rate / crt.rate:.2f}x" if crt else "-"
    extra_cpu = f"{row.cpu_per_message - crt.cpu_per_message:+.0f} µs" if crt else "-"
    print(
        f"{row.sender:<18} {row.count:>10,} {f'{row.latency_ms} ms':>8} {row.seconds:>8.2f} "
        f"{row.rate:>8,.0f} {row.cpu_per_message:>10,.0f} {ratio:>9} {extra_cpu:>13}",
        flush=True,
    )


def row_of(rows: list[Row], sender: str, count: int, latency_ms: int) -> Row | None:
    found = [r for r in rows if (r.sender, r.count, r.latency_ms) == (sender, count, latency_ms)]
    return found[0] if found else None


def rate_of(rows: list[Row], sender: str, count: int, latency_ms: int) -> float | None:
    found = row_of(rows, sender, count, latency_ms)
    return found.rate if found else None


def print_targets(
    rows: list[Row], memory: dict[str, float], largest: int, throttled: Throttled
) -> None:
    print("\ntargets (issue 16):")
    default = rate_of(rows, DEFAULT, TARGET_COUNT, TARGET_LATENCY_MS)
    crt = rate_of(rows, CEILING_CRT, TARGET_COUNT, TARGET_LATENCY_MS)
    if default is not None and crt is not None:
        ratio = default / crt
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(
            f"  unthrottled, {TARGET_COUNT:,} at {TARGET_LATENCY_MS} ms, >= {TARGET_RATIO}x the "
            f"awscrt-signed ceiling: {default:,.0f} against {crt:,.0f} msgs/s, {ratio:.2f}x "
            f"({verdict})"
        )
        default_row = row_of(rows, DEFAULT, TARGET_COUNT, TARGET_LATENCY_MS)
        crt_row = row_of(rows, CEILING_CRT, TARGET_COUNT, TARGET_LATENCY_MS)
        assert default_row is not None and crt_row is not None
        print(
            f"    CPU per message (median of the runs): {default_row.cpu_per_message:,.0f} µs "
            f"against {crt_row.cpu_per_message:,.0f} µs, "
            f"{default_row.cpu_per_message - crt_row.cpu_per_message:+.0f} µs"
        )
    else:
        print(f"  unthrottled: not measured (run without --quick for {TARGET_COUNT:,})")
    complete = throttled.delivered == throttled.count == throttled.sent and not throttled.repeated
    verdict = "met" if complete else "NOT met"
    print(
        f"  throttled, all {throttled.count:,} delivered exactly once: {throttled.delivered:,} "
        f"delivered, {throttled.repeated:,} more than once, {throttled.count - throttled.sent:,} "
        f"not sent ({verdict})"
    )
    limit = throttled.allowed * TARGET_THROTTLED_FACTOR
    verdict = "met" if throttled.seconds <= limit else "NOT met"
    print(
        f"  throttled, within {TARGET_THROTTLED_FACTOR}x the {throttled.allowed:.2f} s the rate "
        f"allows ({limit:.2f} s): {throttled.seconds:.2f} s, "
        f"{throttled.seconds / throttled.allowed:.2f}x ({verdict})"
    )
    if memory:
        growth = memory[DEFAULT]
        verdict = "met" if growth < TARGET_MEMORY_MB else "NOT met"
        print(
            f"  < {TARGET_MEMORY_MB} MB peak growth sending to {largest:,}: {growth:.1f} MB "
            f"({verdict})"
        )


if __name__ == "__main__":
    main()
