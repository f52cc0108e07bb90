"""Subscriptions and presence: the multicast's membership lookup and the built-in handlers.

    python benchmarks/subscriptions.py [--sessions N] [--events N]
    DATABASE=postgres PGHOST=127.0.0.1 PGPORT=... PGUSER=postgres python benchmarks/subscriptions.py

Fills the tables with N connected sessions (each with a ``channel_name`` among
100 channels and memberships in two of 2,000 more), then measures:

- a multicast, ``in_channel(x).send_message(...)``, beside 4.x's
  ``filter(channel_name=x).send_message(...)`` (queries: the recipient lookup is
  the only one; µs per call, the in-memory sends included);
- ``subscribe`` / ``unsubscribe`` through the view, plain and presence.

On PostgreSQL (a throwaway database, ``dagw_bench_subscriptions``, created and
dropped) it also prints the lookup's EXPLAIN and whether any step scans the
whole session table. Sends go nowhere (``testing.capture_messages``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
POSTGRES = os.environ.get("DATABASE") == "postgres"
BENCH_DATABASE = "dagw_bench_subscriptions"
if POSTGRES:
    os.environ["PGDATABASE"] = BENCH_DATABASE

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import QuerySet  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from benchmarks.core import count_queries, create_schema, timed  # noqa: E402
from django_aws_api_gateway_websockets.models import (  # noqa: E402
    ApiGateway,
    ChannelMembership,
    WebSocketSession,
)
from django_aws_api_gateway_websockets.testing import (  # noqa: E402
    WebSocketTestClient,
    capture_messages,
)

API_ID = "benchapi02"
PRIMARY_CHANNELS = 100
SUBSCRIBED_CHANNELS = 2000
BATCH = 5000


@contextmanager
def bench_database() -> Iterator[None]:
    """On PostgreSQL, a database of our own, dropped afterwards."""
    if not POSTGRES:
        yield
        return
    import psycopg

    params = (
        f"host={os.environ.get('PGHOST', '127.0.0.1')} port={os.environ.get('PGPORT', '5432')} "
        f"user={os.environ.get('PGUSER', 'postgres')}"
    )
    with psycopg.connect(params + " dbname=postgres", autocommit=True) as server:
        server.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        server.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        yield
    finally:
        connection.close()
        with psycopg.connect(params + " dbname=postgres", autocommit=True) as server:
            server.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")


def fill(gateway: ApiGateway, sessions: int) -> None:
    rows = WebSocketSession.objects.bulk_create(
        (
            WebSocketSession(
                connection_id=f"bench-{n}",
                channel_name=f"primary-{n % PRIMARY_CHANNELS}",
                api_gateway=gateway,
                request_count=1,
            )
            for n in range(sessions)
        ),
        batch_size=BATCH,
    )
    ChannelMembership.objects.bulk_create(
        (
            ChannelMembership(session=row, channel_name=name)
            for n, row in enumerate(rows)
            for name in (
                row.channel_name,
                f"topic-{n % SUBSCRIBED_CHANNELS}",
                f"topic-{(n * 7 + 1) % SUBSCRIBED_CHANNELS}",
            )
        ),
        batch_size=BATCH,
    )
    if POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def in_channel(channel: str) -> QuerySet[WebSocketSession]:
    return WebSocketSession.objects.in_channel(channel)


def explain(channel: str) -> list[str]:
    rows = WebSocketSession.objects.in_channel(channel).filter(connected=True)
    return str(rows.values_list("connection_id").explain()).splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20000)
    parser.add_argument("--events", type=int, default=200, help="calls per timed run")
    options = parser.parse_args()
    logging.getLogger("django_aws_api_gateway_websockets").setLevel(logging.CRITICAL)

    with bench_database():
        create_schema()
        gateway = ApiGateway.objects.create(
            api_name="bench",
            target_base_endpoint="http://testserver/ws/",
            api_id=API_ID,
            api_endpoint="ws://127.0.0.1:1",
        )
        fill(gateway, options.sessions)
        run(gateway, options.sessions, options.events)


def run(gateway: ApiGateway, sessions: int, events: int) -> None:
    rows: list[tuple[str, str, str, int]] = []

    def measure(name: str, action: Callable[[int], object], reached: int) -> None:
        queries = count_queries(lambda: action(0))
        rows.append((name, queries, f"{timed(action, events) * 1e6:,.0f}", reached))

    topic = "topic-5"
    primary = "primary-5"
    message = {"text": "hello"}

    def multicast(rows: Callable[[], QuerySet[WebSocketSession]]) -> Callable[[int], int]:
        return lambda i: rows().send_message(message).sent

    with capture_messages():
        for name, rows_of in (
            (f"multicast: in_channel({topic!r})", lambda: in_channel(topic)),
            (f"multicast: in_channel({primary!r})", lambda: in_channel(primary)),
            (
                f"4.x multicast: filter(channel_name={primary!r})",
                lambda: WebSocketSession.objects.filter(channel_name=primary),
            ),
        ):
            measure(name, multicast(rows_of), multicast(rows_of)(0))

    user = get_user_model().objects.create_user("bench", password="bench-password")
    browser = Client()
    browser.force_login(user)
    ws = WebSocketTestClient("/ws/", api_id=API_ID, client=browser)
    settings = {"rate_limit_max_attempts": 10**9, "max_channels_per_connection": 10**6}
    with override_settings(WEBSOCKETS=settings), capture_messages():
        connection_id, _ = ws.connect(channel="lobby")

        def handler(name: str, channel: Callable[[int], str]) -> Callable[[int], object]:
            def call(i: int) -> object:
                response = ws.send(connection_id, {"handler": name, "channel": channel(i)})
                assert response.status_code == 200, response.content
                return response

            return call

        # Every call joins a new channel, then every call leaves one.
        measure("subscribe (new channel)", handler("subscribe", lambda i: f"s{i}"), 0)
        measure("unsubscribe", handler("unsubscribe", lambda i: f"s{i}"), 0)
        measure(
            "subscribe (presence channel, new)",
            handler("subscribe", lambda i: f"presence-{i}"),
            0,
        )
        measure("unsubscribe (presence)", handler("unsubscribe", lambda i: f"presence-{i}"), 0)

    database = "PostgreSQL" if POSTGRES else "SQLite in memory"
    print(f"{sessions:,} sessions, {events} calls per timed run, median of 3, {database}")
    headers = ("call", "queries", "µs/call", "rows reached")
    table = [(name, q, us, f"{n:,}") for name, q, us, n in rows]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    if POSTGRES:
        plan = explain(topic)
        session_table = WebSocketSession._meta.db_table
        full_scan = any(f"Seq Scan on {session_table}" in line for line in plan)
        print(f"\nEXPLAIN of in_channel({topic!r}) (connected rows):")
        print("\n".join(f"  {line}" for line in plan))
        print(f"whole session table scanned: {'yes' if full_scan else 'no'}")


if __name__ == "__main__":
    main()
