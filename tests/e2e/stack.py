"""The example project and the local gateway as real processes, on free loopback ports."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.waiting import POLL_SECONDS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example"
STARTUP_SECONDS = 30
# The example's settings with the fast password hasher, as Django's testing docs advise.
SETTINGS = "tests.e2e.example_settings"
DEMO_PASSWORD = "demo-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"process exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(POLL_SECONDS)
    raise RuntimeError(f"port {port} did not open within {STARTUP_SECONDS} s")


@dataclass
class Stack:
    http_url: str
    ws_url: str
    management_url: str
    env: dict[str, str]
    logs: dict[str, Path]
    commands: dict[str, list[str]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def start(self, *names: str) -> None:
        """Start servers (again), appending to their logs, and wait for their ports.

        All are started before any port is waited for: they start side by side.
        """
        for name in names:
            with self.logs[name].open("a") as log:
                self.processes[name] = subprocess.Popen(
                    [sys.executable, "manage.py", *self.commands[name]],
                    cwd=EXAMPLE,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
        for name in names:
            if name in self.ports:  # the task worker listens on none
                wait_for_port(self.ports[name], self.processes[name])

    def stop(self, name: str) -> None:
        """Stop one server as Ctrl-C would (killed if it takes longer than 15 s)."""
        process = self.processes.pop(name, None)
        if process is None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self, name: str) -> None:
        """Kill one server outright (SIGKILL): it says goodbye to nobody."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def shell(self) -> subprocess.Popen[str]:
        """``manage.py shell`` started now, to run code sent to its stdin later, at once."""
        return subprocess.Popen(
            # Django is set up first; the code runs when stdin closes.
            [sys.executable, "manage.py", "shell", "-c", "import sys; exec(sys.stdin.read())"],
            cwd=EXAMPLE,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def sql(self, query: str) -> list[tuple[object, ...]]:
        """Read the example's database from this process (no Django here)."""
        if "DEMO_POSTGRES_DB" in self.env:
            import psycopg

            with psycopg.connect(dbname=self.env["DEMO_POSTGRES_DB"]) as conn:
                return conn.execute(query).fetchall()  # type: ignore[arg-type]
        import sqlite3

        with sqlite3.connect(self.env["DEMO_DATABASE"]) as conn:
            return conn.execute(query).fetchall()


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (a copy of ``template`` if given), dropped at the end."""
    import psycopg

    name = f"dagw_e2e_{uuid.uuid4().hex[:8]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy_of}')  # type: ignore[arg-type]
    try:
        yield name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def example_env(**demo: str) -> dict[str, str]:
    """The environment of the example's processes: this one's, with its own settings."""
    # The database is named by ``demo`` only, never by this process's DEMO_POSTGRES_DB.
    inherited = {name: value for name, value in os.environ.items() if name != "DEMO_POSTGRES_DB"}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        # The settings module is this repository's (manage.py runs in example/).
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        **demo,
    }


@dataclass(frozen=True)
class MigratedDatabase:
    """The example's database, migrated once: each stack starts from a copy of it.

    Migrating took a third of a stack's start-up, and the e2e modules each start one.
    """

    sqlite_file: Path | None = None
    postgres_name: str | None = None

    @contextmanager
    def copy(self, workdir: Path) -> Iterator[dict[str, str]]:
        """The ``DEMO_*`` variables naming a fresh copy, removed at the end."""
        if self.postgres_name:
            with postgres_database(template=self.postgres_name) as name:
                yield {"DEMO_POSTGRES_DB": name}
            return
        assert self.sqlite_file is not None
        copied = workdir / "e2e.sqlite3"
        shutil.copyfile(self.sqlite_file, copied)
        yield {"DEMO_DATABASE": str(copied)}


@contextmanager
def migrated_database(workdir: Path) -> Iterator[MigratedDatabase]:
    """The example's database in this run's engine (``DATABASE``), migrated."""

    def migrate(demo: dict[str, str]) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=EXAMPLE,
            env=example_env(**demo),
            check=True,
        )

    if os.environ.get("DATABASE") == "postgres":
        with postgres_database() as name:
            migrate({"DEMO_POSTGRES_DB": name})
            yield MigratedDatabase(postgres_name=name)
    else:
        path = workdir / "migrated.sqlite3"
        migrate({"DEMO_DATABASE": str(path)})
        yield MigratedDatabase(sqlite_file=path)


@contextmanager
def running_stack(tmp_path: Path, database: MigratedDatabase) -> Iterator[Stack]:
    http_port, ws_port = free_port(), free_port()
    with database.copy(tmp_path) as demo:
        stack = Stack(
            http_url=f"http://127.0.0.1:{http_port}",
            ws_url=f"ws://127.0.0.1:{ws_port}/production",
            management_url=f"http://127.0.0.1:{ws_port}/production",
            env=example_env(DEMO_HTTP_PORT=str(http_port), **demo),
            logs={name: tmp_path / f"{name}.log" for name in ("django", "gateway", "worker")},
            ports={"django": http_port, "gateway": ws_port},
        )
        pk = stack.manage("setupdemo", "--http-port", str(http_port)).strip()
        stack.commands.update(
            django=["runserver", f"127.0.0.1:{http_port}", "--noreload"],
            # Runs the example's background sends (enqueue_message).
            worker=["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"],
            gateway=["runwebsocketgateway", "--api", pk, "--port", str(ws_port)],
        )
        try:
            stack.start(*stack.commands)
            yield stack
        finally:
            # The gateway first, so that its $disconnect calls reach Django.
            for name in ("gateway", "worker", "django"):
                stack.stop(name)
