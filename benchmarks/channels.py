"""Channels: what publish and resume cost in queries and time, beside a raw send, in one run.

    python benchmarks/channels.py [--events N] [--recipients N]
    DATABASE=postgres PGHOST=127.0.0.1 PGPORT=... PGUSER=postgres python benchmarks/channels.py

Sends go to an in-memory outbox (``testing.capture_messages``), so the table
shows the database and Python work of each call, not the network. "queries"
counts statements (transaction control apart); for publish, "before sends" is
the number run when the transport is first called. Each row is timed over N
calls, median of 3 runs, in wall and in this process's CPU time (on a busy
machine the CPU time is what a call costs); "cpu vs send" compares with
``send_message`` to the same channel in the same run. On PostgreSQL a throwaway database
(``dagw_bench_channels``) is created and dropped.

Each row is one function in ``BENCHMARKS``; add a row by adding a function.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
POSTGRES = os.environ.get("DATABASE") == "postgres"
BENCH_DATABASE = "dagw_bench_channels"
if POSTGRES:
    os.environ["PGDATABASE"] = BENCH_DATABASE

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from django_aws_api_gateway_websockets import history  # noqa: E402
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession  # noqa: E402
from django_aws_api_gateway_websockets.publishing import publish  # noqa: E402
from django_aws_api_gateway_websockets.testing import WebSocketTestClient  # noqa: E402
from django_aws_api_gateway_websockets.testing.capture import Outbox  # noqa: E402
from django_aws_api_gateway_websockets.transport import (  # noqa: E402
    Delivery,
    Target,
    override_transport,
)

API_ID = "benchapi01"
CHANNEL = "bench"
MISSED = 20
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"


class CountingOutbox(Outbox):
    """An outbox that notes how many statements ran before its first send of a probe."""

    def __init__(self) -> None:
        super().__init__()
        self.probe: CaptureQueriesContext | None = None
        self.before_sends: int | None = None

    def post_to_connections(self, targets: Sequence[Target], data: bytes) -> list[Delivery]:
        if self.probe is not None and self.before_sends is None:
            self.before_sends = statements(self.probe.captured_queries)
        return super().post_to_connections(targets, data)


def statements(queries: list[dict[str, Any]]) -> int:
    return sum(not q["sql"].upper().startswith(TRANSACTION_CONTROL) for q in queries)


@dataclass
class Bench:
    events: int
    recipients: int
    outbox: CountingOutbox
    page: Any  # a testing.Connection in CHANNEL
    baseline: Timing | None = None  # send_message to CHANNEL


@dataclass(frozen=True)
class Row:
    name: str
    queries: str
    timing: Timing


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds per call
    cpu: float  # this process's CPU seconds per call


def timed(action: Callable[[int], object], events: int) -> Timing:
    """Median of three runs of ``events`` calls (by wall time), per call."""
    runs = []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(events):
            action(i)
        runs.append(
            Timing((time.perf_counter() - wall) / events, (time.process_time() - cpu) / events)
        )
    return sorted(runs, key=lambda run: run.wall)[1]


def probe(bench: Bench, action: Callable[[], object]) -> tuple[int, int | None]:
    """Statements ``action`` runs in all, and before its first send (None: it sent nothing)."""
    bench.outbox.before_sends = None
    with CaptureQueriesContext(connection) as captured:
        bench.outbox.probe = captured
        try:
            action()
        finally:
            bench.outbox.probe = None
    return statements(captured.captured_queries), bench.outbox.before_sends


# One function per row.


def send_message_row(bench: Bench) -> Row:
    channel = WebSocketSession.objects.in_channel(CHANNEL)
    total, _ = probe(bench, lambda: channel.send_message({"text": "hi"}))
    bench.baseline = timed(lambda i: channel.send_message({"text": "hi"}), bench.events)
    return Row(
        f"send_message, {bench.recipients} recipients (baseline)", str(total), bench.baseline
    )


def publish_row(bench: Bench) -> Row:
    total, before = probe(bench, lambda: publish(CHANNEL, {"text": "hi"}))
    seconds = timed(lambda i: publish(CHANNEL, {"text": "hi", "i": i}), bench.events)
    return Row(
        f"publish, {bench.recipients} recipients", f"{before} before sends ({total})", seconds
    )


def publish_background_row(bench: Bench) -> Row:
    backend = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}
    websockets = {**settings.WEBSOCKETS, "publish_background_threshold": 1}
    with override_settings(TASKS=backend, WEBSOCKETS=websockets):
        total, _ = probe(bench, lambda: publish(CHANNEL, {"text": "hi"}))
        seconds = timed(lambda i: publish(CHANNEL, {"text": "hi", "i": i}), bench.events)
    return Row(
        f"publish, {bench.recipients} recipients, to tasks (dummy backend)", str(total), seconds
    )


def publish_nobody_row(bench: Bench) -> Row:
    total, _ = probe(bench, lambda: publish("nobody", 1))
    seconds = timed(lambda i: publish("nobody", i), bench.events)
    return Row("publish, nobody in the channel", str(total), seconds)


def _resume_row(bench: Bench, name: str, after: Callable[[], int]) -> Row:
    total, _ = probe(bench, lambda: history.read_missed(CHANNEL, after()).answer())
    seconds = timed(lambda i: history.read_missed(CHANNEL, after()).answer(), bench.events)
    return Row(name, str(total), seconds)


def _last_seq() -> int:
    return history.read_missed(CHANNEL, 0).last_seq


def resume_nothing_missed_row(bench: Bench) -> Row:
    last = _last_seq()
    return _resume_row(bench, "resume read, nothing missed", lambda: last)


def resume_missed_row(bench: Bench) -> Row:
    last = _last_seq()
    return _resume_row(bench, f"resume read, {MISSED} missed", lambda: last - MISSED)


def resume_trimmed_row(bench: Bench) -> Row:
    with override_settings(WEBSOCKETS={**settings.WEBSOCKETS, "history_max_messages": 5}):
        return _resume_row(bench, "resume read, history trimmed", lambda: 1)


def resume_view_row(bench: Bench) -> Row:
    message = {"handler": "resume", "channel": CHANNEL, "after": _last_seq() - MISSED}

    def resume(i: int = 0) -> None:
        response = bench.page.send(message)
        assert response.status_code == 200, response.content

    total, _ = probe(bench, resume)
    return Row(
        f"resume message through the view, {MISSED} missed", str(total), timed(resume, bench.events)
    )


BENCHMARKS: list[Callable[[Bench], Row]] = [
    send_message_row,
    publish_row,
    publish_background_row,
    publish_nobody_row,
    resume_nothing_missed_row,
    resume_missed_row,
    resume_trimmed_row,
    resume_view_row,
]


@contextmanager
def bench_database() -> Iterator[str]:
    """The schema straight from the models, in memory or in a throwaway PostgreSQL database."""
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    if not POSTGRES:
        call_command("migrate", run_syncdb=True, verbosity=0)
        yield "SQLite in memory"
        return
    import psycopg
    from psycopg.conninfo import make_conninfo

    # libpq reads PGHOST, PGPORT and PGUSER itself; only the database differs.
    admin = make_conninfo(dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as maintenance:
        maintenance.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        maintenance.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        call_command("migrate", run_syncdb=True, verbosity=0)
        version = getattr(connection, "pg_version", 0) // 10000
        yield f"PostgreSQL {version} (database {BENCH_DATABASE})"
    finally:
        connection.close()
        with psycopg.connect(admin, autocommit=True) as maintenance:
            maintenance.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300, help="calls per timed run")
    parser.add_argument("--recipients", type=int, default=100, help="connections in the channel")
    args = parser.parse_args()
    logging.getLogger("django_aws_api_gateway_websockets").setLevel(logging.CRITICAL)

    with bench_database() as where, override_settings(ROOT_URLCONF="benchmarks.urls"):
        gateway = ApiGateway.objects.create(
            api_name="bench",
            target_base_endpoint="http://testserver/ws/",
            api_id=API_ID,
            api_endpoint="ws://127.0.0.1:1",
        )
        outbox = CountingOutbox()
        with override_transport(outbox):
            page = WebSocketTestClient("/ws/", api_id=API_ID).connect(channel=CHANNEL)
            assert page.response.status_code == 200
            WebSocketSession.objects.bulk_create(
                WebSocketSession(connection_id=f"c{i}", channel_name=CHANNEL, api_gateway=gateway)
                for i in range(args.recipients - 1)
            )
            bench = Bench(args.events, args.recipients, outbox, page)
            rows = []
            for benchmark in BENCHMARKS:
                rows.append(benchmark(bench))
                outbox.messages.clear()  # memory: only the counts matter here

    print(f"{args.events} calls per run, median of 3 runs, {where}, {os.cpu_count()} CPUs")
    table = [("call", "queries", "µs/call", "cpu µs/call", "cpu vs send")]
    for row in rows:
        ratio = f"{row.timing.cpu / bench.baseline.cpu:.2f}x" if bench.baseline else "-"
        table.append(
            (
                row.name,
                row.queries,
                f"{row.timing.wall * 1e6:,.0f}",
                f"{row.timing.cpu * 1e6:,.0f}",
                ratio,
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for line in table:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))


if __name__ == "__main__":
    main()
