"""Real processes for the chaos suite: PostgreSQL, gunicorn serving Django, local gateways.

No Django in this process: the chaos site runs in gunicorn's workers, the
gateways in ``runwebsocketgateway`` processes, and this side reads the
database with psycopg and talks HTTP and WebSocket like any outsider.
Used by tests/chaos and by benchmarks/chaos.py.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from tests.e2e.stack import free_port
from tests.e2e.stack import wait_for_port as e2e_wait_for_port

REPO = Path(__file__).resolve().parents[2]
SETTINGS = "tests.chaos.site.settings"
GATEWAY_SECRET = "chaos-" + "s" * 40
# gunicorn's sync workers: several processes, as a production Django runs.
DJANGO_WORKERS = 3
SESSIONS_TABLE = "django_aws_api_gateway_websockets_websocketsession"


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    try:
        e2e_wait_for_port(port, process)  # type: ignore[arg-type]
    except RuntimeError as error:
        raise RuntimeError(f"{error}\n{log.read_text()[-3000:]}") from None


@dataclass
class Gateway:
    name: str
    pk: int
    port: int
    api_id: str
    process: subprocess.Popen[bytes]
    log: Path
    # The origin of the site's own pages, which a browser client sends.
    page_origin: str

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/production"


@dataclass
class ChaosStack:
    database: str
    http_port: int
    workdir: Path
    env: dict[str, str]
    sessionid: str = ""
    user_id: int = 0
    django: subprocess.Popen[bytes] | None = None
    gateways: list[Gateway] = field(default_factory=list)

    @property
    def http_origin(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def handled_log(self) -> Path:
        return self.workdir / "handled.log"

    def python(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def manage(self, *args: str) -> str:
        return self.python("-m", "django", *args)

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(dbname=self.database, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def sessions(self) -> dict[str, tuple[Any, ...]]:
        """connection id -> (connected, request_count, channel, user, updated_on)."""
        rows = self.sql(
            f"SELECT connection_id, connected, request_count, channel_name, user_id, updated_on "
            f"FROM {SESSIONS_TABLE}"
        )
        return {row[0]: row[1:] for row in rows}

    def connected_ids(self, ids: Sequence[str]) -> set[str]:
        rows = self.sql(
            f"SELECT connection_id FROM {SESSIONS_TABLE} "
            "WHERE connected AND connection_id = ANY(%s)",
            [list(ids)],
        )
        return {row[0] for row in rows}

    def start_django(self) -> None:
        log = self.workdir / "gunicorn.log"
        self.django = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(DJANGO_WORKERS),
                "--bind",
                f"127.0.0.1:{self.http_port}",
                "--log-level",
                "warning",
                "tests.chaos.site.wsgi:application",
            ],  # fmt: skip
            cwd=REPO,
            env=self.env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            # Its own process group, so that a kill takes the workers too.
            start_new_session=True,
        )
        wait_for_port(self.http_port, self.django, log)

    def kill_django(self) -> None:
        """SIGKILL to the master and every worker: a crash, not a shutdown."""
        assert self.django is not None
        os.killpg(self.django.pid, signal.SIGKILL)
        self.django.wait()
        self.django = None

    def start_gateway(
        self, name: str, *, drop_rate: float = 0.0, max_open_files: int | None = None
    ) -> Gateway:
        pk = int(self.python("-m", "tests.chaos.site.setup", "gateway", name, str(self.http_port)))
        port = free_port()
        log = self.workdir / f"gateway-{name}.log"
        limit = None if max_open_files is None else (max_open_files, max_open_files)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "runwebsocketgateway",
                "--api",
                str(pk),
                "--port",
                str(port),
                "--disconnect-drop-rate",
                str(drop_rate),
            ],  # fmt: skip
            cwd=REPO,
            env=self.env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            preexec_fn=None if limit is None else lambda: _limit_open_files(limit),
        )
        wait_for_port(port, process, log)
        ((api_id,),) = self.sql(
            "SELECT api_id FROM django_aws_api_gateway_websockets_apigateway WHERE id = %s", [pk]
        )
        gateway = Gateway(name, pk, port, api_id, process, log, self.http_origin)
        self.gateways.append(gateway)
        return gateway

    def stop_gateway(self, gateway: Gateway) -> None:
        _stop(gateway.process)
        self.gateways.remove(gateway)

    def stop(self) -> None:
        for gateway in list(self.gateways):
            self.stop_gateway(gateway)
        if self.django is not None:
            self.django.send_signal(signal.SIGTERM)
            try:
                self.django.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_django()


def _limit_open_files(limit: tuple[int, int]) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, limit)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def chaos_stack(workdir: Path) -> Iterator[ChaosStack]:
    """A fresh PostgreSQL database, migrated, and the chaos site under gunicorn."""
    database = f"dagw_chaos_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "CHAOS_DB": database,
        "CHAOS_GATEWAY_SECRET": GATEWAY_SECRET,
        "CHAOS_HANDLED_LOG": str(workdir / "handled.log"),
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
        "PYTHONUNBUFFERED": "1",
    }
    stack = ChaosStack(database, free_port(), workdir, env)
    try:
        login = json.loads(stack.python("-m", "tests.chaos.site.setup", "migrate"))
        stack.sessionid, stack.user_id = login["sessionid"], login["user_id"]
        stack.start_django()
        yield stack
    finally:
        stack.stop()
        with psycopg.connect(dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')  # type: ignore[arg-type]
