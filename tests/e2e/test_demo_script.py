"""scripts/demo as a user runs it: stop order, a dying server, rows left connected."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.waiting import wait_until

from .clients import logged_in, new_token
from .stack import REPO, Stack, free_port

pytestmark = pytest.mark.e2e

STARTED_SECONDS = 120
STOPPED_SECONDS = 40
SESSIONS = "django_aws_api_gateway_websockets_websocketsession"
BOB = "from django.contrib.auth.models import User; bob = User.objects.get(username='bob')"


class Demo:
    def __init__(self, tmp_path: Path, run: int) -> None:
        self.output = tmp_path / f"demo-{run}.out"
        self.tmp = tmp_path / f"run-{run}"
        self.tmp.mkdir()
        self.process: subprocess.Popen[bytes] | None = None

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, needle: str, seconds: float) -> None:
        def seen() -> bool:
            assert self.process is not None
            if needle in self.text():
                return True
            if self.process.poll() is not None and needle not in self.text():
                raise AssertionError(f"demo exited before {needle!r}:\n{self.text()}")
            return False

        wait_until(seen, timeout=seconds, what=f"{needle!r} in the demo's output")

    def pid_of(self, name: str) -> int:
        """The pid of the server's latest start (a restarted gateway has a new one)."""
        (pids,) = self.tmp.glob("dagw-demo.*/pids")
        started = [
            int(pid)
            for server, pid in map(str.split, pids.read_text().splitlines())
            if server == name
        ]
        assert started, f"no {name} in {pids}"
        return started[-1]

    def press_enter(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"\n")
        self.process.stdin.flush()

    def exit_code(self) -> int:
        assert self.process is not None
        return self.process.wait(timeout=STOPPED_SECONDS)


@contextmanager
def demo(tmp_path: Path, stack: Stack, run: int, command: tuple[str, ...] = ()) -> Iterator[Demo]:
    running = Demo(tmp_path, run)
    env = {**stack.env, "TMPDIR": str(running.tmp)}
    with running.output.open("wb") as output:
        running.process = subprocess.Popen(
            # With Ctrl-C's default action, as a terminal starts it. A run
            # started with SIGINT ignored (by `cmd &` in a non-interactive
            # shell) passes that on, and bash may not trap a signal ignored
            # on entry: the demo would never see the Ctrl-C the tests send.
            ["env", "--default-signal=INT,QUIT", *(command or [str(REPO / "scripts" / "demo")])],
            env=env,
            # The terminal: the demo reads Enter from it to restart the gateway.
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            # Its own group, as in a terminal; cleaned up below whatever happens.
            start_new_session=True,
        )
        try:
            running.wait_for("Demo chat:", STARTED_SECONDS)
            yield running
        finally:
            if running.process.poll() is None:
                os.killpg(running.process.pid, signal.SIGKILL)
                running.process.wait()
            # The servers run in process groups of their own.
            for pids in running.tmp.glob("dagw-demo.*/pids"):
                for line in pids.read_text().splitlines():
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(int(line.split()[1]), signal.SIGKILL)


def open_client(stack: Stack, channel: str) -> ClientConnection:
    session = logged_in(stack, "alice")
    token = new_token(stack, session)
    return connect(
        f"{stack.ws_url}?channel={channel}&ws_token={token}",
        origin=stack.http_url,  # type: ignore[arg-type]
        proxy=None,
        open_timeout=10,
    )


def connected_rows(stack: Stack, channel: str) -> int:
    rows = stack.sql(
        f"SELECT COUNT(*) FROM {SESSIONS} WHERE channel_name = '{channel}' AND connected"
    )
    return int(rows[0][0])  # type: ignore[call-overload]


@pytest.fixture
def demo_stack(tmp_path: Path) -> Stack:
    http_port, ws_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEMO_POSTGRES_DB", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEMO_HTTP_PORT=str(http_port),
        DEMO_WS_PORT=str(ws_port),
        DEMO_DATABASE=str(tmp_path / "demo.sqlite3"),
        DEMO_STOP_SECONDS="10",
        PYTHONUNBUFFERED="1",
    )
    return Stack(
        http_url=f"http://127.0.0.1:{http_port}",
        ws_url=f"ws://127.0.0.1:{ws_port}/production",
        management_url=f"http://127.0.0.1:{ws_port}/production",
        env=env,
        logs={},
    )


def test_a_dead_server_is_named_and_a_restart_closes_what_it_left(
    tmp_path: Path, demo_stack: Stack
) -> None:
    with demo(tmp_path, demo_stack, 1) as first, open_client(demo_stack, "left-over"):
        assert connected_rows(demo_stack, "left-over") == 1
        os.kill(first.pid_of("django"), signal.SIGKILL)
        assert first.exit_code() == 1
    said = first.text()
    assert "django killed by signal SIGKILL" in said
    assert "the last lines of its log" in said
    assert "stopped gateway" in said
    # Django was dead when the gateway stopped: its $disconnect was lost.
    assert connected_rows(demo_stack, "left-over") == 1

    # A demo user whose password was changed keeps it across a restart.
    shell = ("shell", "--verbosity", "0", "--command")
    demo_stack.manage(*shell, f"{BOB}; bob.set_password('changed'); bob.save()")

    with demo(tmp_path, demo_stack, 2) as second:
        assert "1 session(s) left connected by an earlier run closed" in second.text()
        assert connected_rows(demo_stack, "left-over") == 0
        checked = demo_stack.manage(*shell, f"{BOB}; print(bob.check_password('changed'))")
        assert checked.strip() == "True"


def test_the_gateway_can_be_stopped_and_started_again(tmp_path: Path, demo_stack: Stack) -> None:
    with demo(tmp_path, demo_stack, 1) as running:
        said = running.text()
        gateway, django = running.pid_of("gateway"), running.pid_of("django")
        # The URLs follow DEMO_HTTP_PORT (the README says so).
        assert re.search(rf"Demo chat: +{demo_stack.http_url}/$", said, re.M), said
        # The banner names the processes and says how to stop the gateway...
        assert f"django {django}, task worker {running.pid_of('worker')}" in said
        assert f"local gateway {gateway}" in said
        assert f"kill {gateway}" in said
        # ...and gives a publish line for the shell, which works as printed.
        # Its lines, pasted into a terminal: from the cd to the closing quote.
        (lines,) = re.findall(r'^cd .*? manage\.py shell .*?^"$', said, re.M | re.S)
        assert all(len(line) <= 100 for line in lines.splitlines()[1:]), lines
        published = subprocess.run(
            lines, shell=True, env=demo_stack.env, capture_output=True, timeout=120
        )
        assert published.returncode == 0, published.stderr
        # It says what it did, and nothing else (no "objects imported automatically").
        assert published.stdout.decode().startswith("PublishResult(channel='lobby', seq=1,")
        seq = demo_stack.sql(
            "SELECT last_seq FROM django_aws_api_gateway_websockets_channelsequence "
            "WHERE channel_name = 'lobby'"
        )
        assert seq == [(1,)]

        os.kill(gateway, signal.SIGTERM)
        running.wait_for("Press Enter here to start the gateway again", STOPPED_SECONDS)
        assert running.process is not None and running.process.poll() is None
        assert "stopped django" not in running.text()

        running.press_enter()
        running.wait_for("local gateway started again", STARTED_SECONDS)
        assert running.pid_of("gateway") != gateway
        assert running.pid_of("django") == django
        with open_client(demo_stack, "after-restart"):
            assert connected_rows(demo_stack, "after-restart") == 1

        os.killpg(running.process.pid, signal.SIGINT)
        assert running.exit_code() == 130
    said = running.text()
    assert "local gateway exited with code 0" in said
    assert said.rindex("stopped gateway") < said.index("stopped django")


def test_ctrl_c_stops_the_gateway_first_so_disconnects_arrive(
    tmp_path: Path, demo_stack: Stack
) -> None:
    with demo(tmp_path, demo_stack, 1) as running, open_client(demo_stack, "stop-order"):
        assert connected_rows(demo_stack, "stop-order") == 1
        # The terminal's Ctrl-C reaches the script's process group only:
        # the servers run in their own groups.
        assert running.process is not None
        os.killpg(running.process.pid, signal.SIGINT)
        assert running.exit_code() == 130
    said = running.text()
    assert said.index("stopped gateway") < said.index("stopped django")
    assert connected_rows(demo_stack, "stop-order") == 0


def is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an orphan may wait to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_ctrl_c_stops_every_server_when_the_output_is_piped_to_tee(
    tmp_path: Path, demo_stack: Stack
) -> None:
    # As a user runs it: `./scripts/demo 2>&1 | tee demo.log`. The terminal's
    # Ctrl-C reaches the whole pipeline, so tee ends at once and everything the
    # demo writes while stopping the servers meets a closed pipe.
    piped = ("bash", "-c", '"$0" 2>&1 | tee "$1"', str(REPO / "scripts" / "demo"))
    with demo(tmp_path, demo_stack, 1, (*piped, str(tmp_path / "demo.log"))) as running:
        servers = {name: running.pid_of(name) for name in ("django", "worker", "gateway")}
        assert running.process is not None
        os.killpg(running.process.pid, signal.SIGINT)
        # The pipeline ends when the demo has finished stopping the servers.
        running.exit_code()
    assert [name for name, pid in servers.items() if is_running(pid)] == []
    # The lines the pipe lost are in the demo's own log, in stop order.
    (said,) = [path.read_text() for path in running.tmp.glob("dagw-demo.*/demo.log")]
    assert said.index("stopped gateway") < said.index("stopped worker")
    assert said.index("stopped worker") < said.index("stopped django")


def test_a_demo_that_cannot_see_ctrl_c_says_how_to_stop_it(
    tmp_path: Path, demo_stack: Stack
) -> None:
    # Started as a background job of a shell without job control: SIGINT is
    # ignored on entry, and bash cannot trap it.
    output = tmp_path / "demo.out"
    with output.open("wb") as written:
        process = subprocess.Popen(
            ["env", "--ignore-signal=INT", str(REPO / "scripts" / "demo")],
            env={**demo_stack.env, "TMPDIR": str(tmp_path)},
            stdin=subprocess.DEVNULL,
            stdout=written,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Stopped once it migrates its own database: not while it may install packages.
        said = wait_until(
            lambda: "migrating" in (text := output.read_text()) and text,
            timeout=STARTED_SECONDS,
            what="the demo to reach its migration",
        )
        assert f"Ctrl-C will not stop the demo; kill {process.pid} will" in said
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for pids in tmp_path.glob("dagw-demo.*/pids"):
            for line in pids.read_text().splitlines():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(line.split()[1]), signal.SIGKILL)
