"""Out of file descriptors: the gateway backs off and keeps its established clients.

The gateway runs in a child process with a lowered RLIMIT_NOFILE, which then
uses up every descriptor left, so that accept() fails with EMFILE.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import IO

from .conftest import Backend, ws_connect

SOFT_LIMIT = 256
# Seconds the descriptors stay exhausted while clients keep knocking.
EXHAUSTED_SECONDS = 2.0


class Child:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.port = int(self.ask(None))

    def ask(self, command: str | None) -> str:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        if command is not None:
            stdin.write(command + "\n")
            stdin.flush()
        return stdout.readline().strip()


@contextlib.contextmanager
def gateway_child(backend: Backend, log: IO[str]) -> Iterator[Child]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.local_gateway.descriptor_child",
            backend.url,
            str(SOFT_LIMIT),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        yield Child(process)
    finally:
        with contextlib.suppress(BrokenPipeError, OSError):
            process.stdin.write("quit\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_descriptor_exhaustion_backs_off_and_keeps_established_clients(
    backend: Backend, tmp_path: object
) -> None:
    log_path = f"{tmp_path}/gateway.log"
    with open(log_path, "w") as log, gateway_child(backend, log) as child:
        url = f"ws://127.0.0.1:{child.port}/production"
        with ws_connect(url) as established:
            established.send("before")
            assert established.recv(timeout=5) == "default got before"

            assert int(child.ask("fill")) > 0
            cpu_before = float(child.ask("cpu"))
            knocking: list[socket.socket] = []
            deadline = time.monotonic() + EXHAUSTED_SECONDS
            while time.monotonic() < deadline:
                # The kernel completes these in the listen backlog; the gateway
                # cannot accept them.
                knocking.append(socket.create_connection(("127.0.0.1", child.port), timeout=5))
                time.sleep(0.05)
            cpu_used = float(child.ask("cpu")) - cpu_before

            established.send("during")
            assert established.recv(timeout=5) == "default got during"

            assert child.ask("free") == "freed"
            for sock in knocking:
                sock.close()
            with ws_connect(url) as newcomer:
                newcomer.send("after")
                assert newcomer.recv(timeout=5) == "default got after"

    with open(log_path) as written:
        lines = written.read().splitlines()
    accept_lines = [line for line in lines if "accept failed" in line]
    # A spinning accept loop burns the whole interval and logs thousands of lines.
    assert cpu_used < EXHAUSTED_SECONDS / 4, cpu_used
    assert 1 <= len(accept_lines) <= 3, accept_lines
    assert not [line for line in lines if "out of system resource" in line]
