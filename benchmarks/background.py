"""Background sends: what ``enqueue_message`` costs the caller, and how fast workers send.

    .venv/bin/python benchmarks/background.py [--recipients 50000] [--sent 5000]

On a SQLite file with the django-tasks-db backend (a real, database-backed
Tasks backend: one INSERT per task). First the caller's side: queries and
milliseconds of ``enqueue_message`` to a channel of 5,000 and of
``--recipients`` connections (the id read must stay one query; the rest is
what the backend needs per chunk). Then the workers' side: ``--sent``
recipients sent through ``db_worker`` processes (1, then 2) to a Management API
stand-in (a separate process) answering after 20 ms, beside a direct
``send_message`` from this process in the same run. Messages go through
whatever ``transport.get_transport()`` is configured.

    .venv/bin/python benchmarks/background.py --throttled [--quick]

checks the throttled target of issue 16 instead: ``enqueue_message`` to 20,000
recipients, sent by two ``db_worker`` processes through a stand-in enforcing
AWS's account throttle (2,000 requests/s, burst 1,000, 10 ms): every one
delivered exactly once, within 1.3x the time the rate allows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.background_settings"
os.environ.setdefault("BENCH_DATABASE", str(Path(tempfile.mkdtemp()) / "background.sqlite3"))

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from benchmarks import management_api_server  # noqa: E402
from django_aws_api_gateway_websockets.conf import conf  # noqa: E402
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession  # noqa: E402
from django_aws_api_gateway_websockets.transport import get_transport  # noqa: E402

MESSAGE = {"type": "announcement", "text": "maintenance at noon"}
LATENCY_S = 0.020
WARM_UP = 200
TARGET_ENQUEUE_MS = 100
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def create_schema() -> None:
    # Tables straight from the models: the benchmark measures sends, not migrations.
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)


def add_sessions(gateway: ApiGateway, channel: str, count: int) -> None:
    WebSocketSession.objects.bulk_create(
        (
            WebSocketSession(
                connection_id=f"{channel}-{i:06d}", channel_name=channel, api_gateway=gateway
            )
            for i in range(count)
        ),
        batch_size=5000,
    )


def enqueue_cost(channel: str) -> tuple[int, int, int, int, float, float]:
    """(tasks, id reads, backend queries, transaction statements, median ms, median CPU ms).

    Queries are counted in a run of their own: capturing them slows the timed
    runs. CPU time counts SQLite's work too (it runs in this process) and is
    what a shared, loaded machine distorts least.
    """
    recipients = WebSocketSession.objects.in_channel(channel)
    with CaptureQueriesContext(connection) as captured:
        results = recipients.enqueue_message(MESSAGE)
    sql = [q["sql"].upper() for q in captured]
    control = sum(s.startswith(TRANSACTION_CONTROL) for s in sql)
    reads = sum("WEBSOCKETSESSION" in s for s in sql)
    runs, cpu_runs = [], []
    for _ in range(3):
        DBTaskResult.objects.all().delete()
        started, cpu_started = time.perf_counter(), time.process_time()
        recipients.enqueue_message(MESSAGE)
        runs.append((time.perf_counter() - started) * 1000)
        cpu_runs.append((time.process_time() - cpu_started) * 1000)
    DBTaskResult.objects.all().delete()
    return (
        len(results),
        reads,
        len(sql) - reads - control,
        control,
        statistics.median(runs),
        statistics.median(cpu_runs),
    )


@contextmanager
def workers(count: int) -> Iterator[None]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    command = [sys.executable, "-m", "django", "db_worker", "--no-reload", "--interval", "0.05"]
    processes = [
        subprocess.Popen(
            [*command, "--no-startup-delay", "--worker-id", f"bench-{i}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    try:
        time.sleep(3)  # Django starts in each worker
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()


def background_send(channel: str, count: int) -> float:
    """Seconds from the enqueue until every task has finished."""
    DBTaskResult.objects.all().delete()
    started = time.perf_counter()
    results = WebSocketSession.objects.in_channel(channel).enqueue_message(MESSAGE)
    ids = [result.id for result in results]
    while DBTaskResult.objects.filter(id__in=ids, finished_at__isnull=True).exists():
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    sent = 0
    for result in results:
        result.refresh()
        assert result.status == "SUCCESSFUL", result.errors
        sent += result.return_value["sent"]
    if sent != count:
        print(f"  {sent:,} of {count:,} sent")
    return elapsed


def direct_send(channel: str, count: int) -> float:
    started = time.perf_counter()
    result = WebSocketSession.objects.in_channel(channel).send_message(MESSAGE)
    elapsed = time.perf_counter() - started
    assert result.sent == count, result.errors
    return elapsed


def throttled(count: int, rate: float, burst: float, latency_ms: int) -> None:
    """Two workers send ``enqueue_message`` to ``count`` through a throttled stand-in."""
    create_schema()
    gateway = ApiGateway.objects.create(
        api_name="bench", target_base_endpoint="https://app.example.com/ws/", api_id="bench"
    )
    add_sessions(gateway, "sent", count)
    add_sessions(gateway, "warm-up", WARM_UP)
    allowed = max(0.0, count - burst) / rate
    print(
        f"throttled background send: enqueue_message to {count:,}, 2 workers (db_worker), "
        f"enqueue_chunk_size={conf.enqueue_chunk_size}, stand-in at {rate:,.0f} requests/s, "
        f"burst {burst:,.0f}, {latency_ms} ms; load average {os.getloadavg()[0]:.1f}"
    )
    with management_api_server.running(latency_ms / 1000, rate, burst) as endpoint:
        ApiGateway.objects.filter(pk=gateway.pk).update(api_endpoint=endpoint)
        with workers(2):
            background_send("warm-up", WARM_UP)  # every worker has loaded Django
            time.sleep(burst / rate + 0.5)  # the bucket refills
            management_api_server.reset(endpoint)
            elapsed = background_send("sent", count)
        stats = management_api_server.stats(endpoint)
    print(
        f"{'seconds':>8} {'allowed':>8} {'msgs/s':>8} {'delivered':>9} {'repeated':>8} "
        f"{'429s':>7}\n{elapsed:>8.2f} {allowed:>8.2f} {count / elapsed:>8,.0f} "
        f"{stats['delivered']:>9,} {stats['repeated']:>8,} {stats['throttled']:>7,}"
    )
    print("targets (issue 16):")
    complete = stats["delivered"] == count and not stats["repeated"]
    print(
        f"  throttled, 2 workers, all {count:,} delivered exactly once: {stats['delivered']:,} "
        f"delivered, {stats['repeated']:,} more than once ({'met' if complete else 'NOT met'})"
    )
    limit = allowed * 1.3
    print(
        f"  throttled, 2 workers, within 1.3x the {allowed:.2f} s the rate allows "
        f"({limit:.2f} s): {elapsed:.2f} s, {elapsed / allowed:.2f}x "
        f"({'met' if elapsed <= limit else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=50_000, help="for the enqueue cost")
    parser.add_argument("--sent", type=int, default=5_000, help="for the throughput runs")
    parser.add_argument("--throttled", action="store_true", help="the throttled target instead")
    parser.add_argument(
        "--throttle",
        nargs=3,
        type=float,
        default=(20_000, 2_000.0, 1_000.0),
        metavar=("N", "RATE", "BURST"),
        help="with --throttled: recipients, rate and burst (default 20,000 at 2,000/s, 1,000)",
    )
    args = parser.parse_args()
    if args.throttled:
        count, rate, burst = args.throttle
        throttled(int(count), rate, burst, 10)
        return

    create_schema()
    gateway = ApiGateway.objects.create(
        api_name="bench", target_base_endpoint="https://app.example.com/ws/", api_id="bench"
    )
    chunk = conf.enqueue_chunk_size
    transport = type(get_transport()).__name__
    print(f"{os.cpu_count()} CPUs, SQLite file, django-tasks-db, enqueue_chunk_size={chunk}\n")

    print("enqueue_message: the caller's cost (median of 3)")
    print(
        f"{'recipients':>10} {'tasks':>6} {'id reads':>9} {'backend':>8} {'tx':>4} "
        f"{'ms':>8} {'cpu ms':>8}"
    )
    for count in sorted({5_000, args.recipients}):
        add_sessions(gateway, f"enqueue{count}", count)
        tasks, reads, backend, control, ms, cpu = enqueue_cost(f"enqueue{count}")
        print(f"{count:>10} {tasks:>6} {reads:>9} {backend:>8} {control:>4} {ms:>8.1f} {cpu:>8.1f}")
    verdict = "met" if reads == 1 and ms < TARGET_ENQUEUE_MS else "NOT met"
    print(
        f"target (issue 8): one id read and under {TARGET_ENQUEUE_MS} ms at "
        f"{args.recipients:,}: {reads} read, {ms:.1f} ms ({verdict})"
    )

    print(
        f"\nthroughput: {args.sent} recipients, stand-in answering after {LATENCY_S * 1000:.0f} ms,"
    )
    print(f"transport {transport}\n")
    print(f"{'sender':<22} {'seconds':>8} {'msgs/s':>8}")
    add_sessions(gateway, "sent", args.sent)
    add_sessions(gateway, "warm-up", WARM_UP)
    with management_api_server.running(LATENCY_S) as endpoint:
        ApiGateway.objects.filter(pk=gateway.pk).update(api_endpoint=endpoint)
        direct_send("warm-up", WARM_UP)  # client, connection pool
        elapsed = direct_send("sent", args.sent)
        print(f"{'direct send_message':<22} {elapsed:>8.2f} {args.sent / elapsed:>8.0f}")
        for count in (1, 2):
            with workers(count):
                background_send("warm-up", WARM_UP)  # every worker has loaded Django
                elapsed = background_send("sent", args.sent)
            label = f"{count} worker{'s' if count > 1 else ''} (db_worker)"
            print(f"{label:<22} {elapsed:>8.2f} {args.sent / elapsed:>8.0f}")


if __name__ == "__main__":
    main()
