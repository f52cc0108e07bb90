"""The overview (admin page, websocketstats): its queries, their time and the indexes they use.

    python benchmarks/overview.py [--connected 10000] [--closed 200000] [--channels 1000]
    DATABASE=postgres PGHOST=127.0.0.1 PGPORT=... PGUSER=postgres python benchmarks/overview.py

Fills a session table with ``--connected`` open connections on two gateways
(opened over the last three hours, so some are stale), each in two of
``--channels`` channels (one in ten a presence channel, with a user), and
``--closed`` closed rows from the last day. Then times ``compute_overview()``
(median of 5) and prints, for each of its queries, its time and the indexes in
its plan (PostgreSQL's ``EXPLAIN``, SQLite's ``EXPLAIN QUERY PLAN``). On
PostgreSQL the throwaway database of benchmarks/channels.py is used.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.channels import POSTGRES, bench_database  # noqa: E402  (sets Django up)
from django_aws_api_gateway_websockets.models import (  # noqa: E402
    ApiGateway,
    ChannelMembership,
    WebSocketSession,
)
from django_aws_api_gateway_websockets.overview import compute_overview  # noqa: E402

RUNS = 5
BATCH = 5000
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def fill(connected: int, closed: int, channels: int) -> None:
    rng = random.Random(19)
    now = timezone.now()
    gateways = [
        ApiGateway.objects.create(
            api_name=f"bench {n}",
            target_base_endpoint="http://testserver/ws/",
            api_id=f"benchapi{n}",
            api_endpoint="ws://127.0.0.1:1",
        )
        for n in range(2)
    ]
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"user{n}") for n in range(1000)
    )
    names = [("presence-" if n % 10 == 0 else "room-") + str(n) for n in range(channels)]
    rows = []
    for n in range(connected + closed):
        is_open = n < connected
        opened = now - timedelta(seconds=rng.uniform(0, 3 * 3600 if is_open else 86400))
        rows.append(
            WebSocketSession(
                connection_id=f"c{n:08d}",
                channel_name=rng.choice(names),
                api_gateway=gateways[n % 2],
                user=users[n % len(users)] if n % 3 else None,
                connected=is_open,
                created_on=opened,
                updated_on=opened if is_open else opened + timedelta(seconds=rng.uniform(0, 600)),
            )
        )
    # auto_now(_add) would stamp every row "now": keep the times chosen above.
    created, updated = (WebSocketSession._meta.get_field(f) for f in ("created_on", "updated_on"))
    created.auto_now_add = updated.auto_now = False  # type: ignore[attr-defined]
    try:
        WebSocketSession.objects.bulk_create(rows, batch_size=BATCH)
    finally:
        created.auto_now_add = updated.auto_now = True  # type: ignore[attr-defined]
    memberships = []
    for session in WebSocketSession.objects.filter(connected=True).values(
        "pk", "channel_name", "user_id"
    ):
        for name in {session["channel_name"], rng.choice(names)}:
            presence = name.startswith("presence-") and session["user_id"] is not None
            memberships.append(
                ChannelMembership(
                    session_id=session["pk"],
                    channel_name=name,
                    user_id=session["user_id"],
                    presence_info={"username": "u"} if presence else None,
                )
            )
    ChannelMembership.objects.bulk_create(memberships, batch_size=BATCH)
    if POSTGRES:
        # What autovacuum does on its own soon after. Not on SQLite, where Django
        # never runs it: its statistics (without the optional stat4) assume that
        # `connected` splits rows evenly and can steer the planner to the wrong
        # index (see docs/benchmarks.md).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def indexes(sql: str) -> str:
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            found = re.findall(
                r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?on (\w+)", plan
            )
            found += re.findall(r"Scan using (\w+)", plan)
            scans = re.findall(r"Seq Scan on (\w+)", plan)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            found = re.findall(r"USING (?:COVERING )?INDEX (\w+)", plan)
            found += ["primary key"] * len(re.findall(r"INTEGER PRIMARY KEY", plan))
            scans = re.findall(r"SCAN (\w+)(?!\w| USING)", plan)
    used = ", ".join(dict.fromkeys(found)) or "-"
    return used + (f"; full scan of {', '.join(dict.fromkeys(scans))}" if scans else "")


def table_of(sql: str) -> str:
    match = re.search(r'FROM "(\w+)"', sql)
    return match.group(1).removeprefix("django_aws_api_gateway_websockets_") if match else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connected", type=int, default=10_000)
    parser.add_argument("--closed", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=1_000)
    args = parser.parse_args()
    with bench_database() as where:
        fill(args.connected, args.closed, args.channels)
        compute_overview()  # warm caches
        times = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                compute_overview()
                times.append(time.perf_counter() - started)
        queries = [
            q for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)
        ]
        print(
            f"{where}: {args.connected} connected and {args.closed} closed sessions, "
            f"{args.channels} channels, 2 gateways"
        )
        print(
            f"compute_overview(): {statistics.median(times) * 1000:.1f} ms "
            f"(median of {RUNS}), {len(queries)} queries\n"
        )
        print("| # | table | ms | indexes in the plan |\n|---|---|---|---|")
        # Re-run each statement alone for its time and plan.
        for number, query in enumerate(queries, 1):
            sql = query["sql"]
            # The captured SQL has its parameters inlined: run it as it is.
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                took = (time.perf_counter() - started) * 1000
            print(f"| {number} | {table_of(sql)} | {took:.1f} | {indexes(sql)} |")


if __name__ == "__main__":
    main()
