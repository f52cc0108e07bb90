"""Database queries and throughput per API Gateway event, through the whole view.

    python benchmarks/core.py [--events N]

Each event goes through Django's test client (middleware, URL routing, the
view) exactly as the gateway would send it (``testing.WebSocketTestClient``).
Queries are counted per event; speed is compared with a plain Django view
that does nothing, measured in the same run, because absolute numbers on a
shared machine are noise but ratios are not.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from django_aws_api_gateway_websockets.models import ApiGateway  # noqa: E402
from django_aws_api_gateway_websockets.testing import (  # noqa: E402
    WebSocketTestClient,
    capture_messages,
)

API_ID = "benchapi01"
SECRET = "bench-secret"


def create_schema() -> None:
    # Tables straight from the models: the benchmark measures requests, not migrations.
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)


def timed(action: Callable[[int], object], events: int) -> float:
    """Median of three runs of ``events`` calls, in seconds per event."""
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        for i in range(events):
            action(i)
        runs.append((time.perf_counter() - start) / events)
    return statistics.median(runs)


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def count_queries(action: Callable[[], object]) -> str:
    """Statements one event runs, with transaction control (BEGIN/COMMIT) counted apart."""
    with CaptureQueriesContext(connection) as captured:
        action()
    control = sum(q["sql"].upper().startswith(TRANSACTION_CONTROL) for q in captured)
    queries = len(captured) - control
    return f"{queries} (+{control} tx)" if control else str(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300, help="events per timed run")
    events = parser.parse_args().events
    # One refusal log line per event would drown the table.
    logging.getLogger("django_aws_api_gateway_websockets").setLevel(logging.CRITICAL)

    create_schema()
    ApiGateway.objects.create(
        api_name="bench",
        target_base_endpoint="http://testserver/ws/",
        api_id=API_ID,
        api_endpoint="ws://127.0.0.1:1",
    )
    user = get_user_model().objects.create_user("bench", password="bench-password")
    browser = Client()
    browser.force_login(user)
    plain = Client()
    plain_ws = WebSocketTestClient("/ws/", api_id=API_ID, client=Client())
    token_ws = WebSocketTestClient("/token-ws/", api_id=API_ID, client=browser)

    def new_token() -> str:
        response = browser.post("/ws-token/")
        assert response.status_code == 200, response.content
        return str(response.json()["token"])

    def connect_with_token(_: int = 0) -> str:
        connection_id, response = token_ws.connect(channel="bench", token=new_token())
        assert response.status_code == 200, response.content
        return connection_id

    def check(response: object) -> None:
        assert getattr(response, "status_code", None) == 200, response

    message = {"action": "default", "text": "hello"}
    rows: list[tuple[str, str, str]] = []

    # Rate limits off for the timed loops: they would (rightly) refuse 900 connects a minute.
    # The inbound budget stays on, at a rate these loops never reach, so that "message"
    # pays for the bucket in its UPDATE.
    ws_settings = {
        "gateway_secret": SECRET,
        "token_rate_limit_per_minute": 10**9,
        "rate_limit_max_attempts": 10**9,
        "messages_per_second": 10**9,
        "messages_burst": 10**9,
    }
    with (
        override_settings(WEBSOCKETS=ws_settings, ROOT_URLCONF="benchmarks.urls"),
        capture_messages(),
    ):
        token_ws.gateway_secret = plain_ws.gateway_secret = SECRET
        connection_id = connect_with_token()
        baseline = timed(lambda i: check(plain.post("/plain/")), events)

        def measure(
            name: str, action: Callable[[int], object], probe: Callable[[], object]
        ) -> None:
            queries = count_queries(probe)
            seconds = timed(action, events)
            rows.append(
                (
                    name,
                    str(queries),
                    f"{seconds * 1e6:,.0f}",
                    f"{1 / seconds:,.0f}",
                    f"{seconds / baseline:.1f}x",
                )
            )

        rows.append(
            (
                "plain Django view (baseline)",
                "0",
                f"{baseline * 1e6:,.0f}",
                f"{1 / baseline:,.0f}",
                "1.0x",
            )
        )
        measure(
            "message",
            lambda i: check(token_ws.send(connection_id, message)),
            lambda: check(token_ws.send(connection_id, message)),
        )
        with override_settings(WEBSOCKETS={**ws_settings, "messages_per_second": 0}):
            measure(
                "message, inbound limit off (request_count only)",
                lambda i: check(token_ws.send(connection_id, message)),
                lambda: check(token_ws.send(connection_id, message)),
            )
        measure(
            "$connect, no token",
            lambda i: check(plain_ws.connect(channel="bench").response),
            lambda: check(plain_ws.connect(channel="bench").response),
        )
        token = new_token()
        measure(
            "$connect with token (+ token POST)",
            connect_with_token,
            lambda: check(token_ws.connect(channel="bench", token=token).response),
        )
        measure(
            "$disconnect",
            lambda i: check(plain_ws.disconnect(f"gone{i}")),
            lambda: check(plain_ws.disconnect(connection_id)),
        )
        wrong = WebSocketTestClient("/ws/", api_id=API_ID, gateway_secret="wrong")
        measure(
            "refused: wrong gateway secret",
            lambda i: wrong.send(connection_id, message),
            lambda: wrong.send(connection_id, message),
        )

    print(f"{events} events per run, median of 3 runs, SQLite in memory, {os.cpu_count()} CPUs")
    headers = ("event", "queries", "µs/event", "events/s", "vs plain view")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(
        "($connect with token: the query column counts the connect alone; its timing "
        "includes fetching a token first.)"
    )


if __name__ == "__main__":
    main()
