"""A project a reader makes from the docs: its commands run as in a fresh terminal.

Nothing of this repository's test setup (settings module, path, secret)
reaches the commands; each adds what the docs say to export.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .stack import wait_for_port

TIMEOUT_SECONDS = 60
NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "PYTHONPATH",
    "WEBSOCKETS_GATEWAY_SECRET",
    # Coverage's measuring of subprocesses: a reader's commands run unmeasured
    # (measured, they took a third longer, and other tests cover their code).
    "COVERAGE_PROCESS_CONFIG",
    "COVERAGE_PROCESS_START",
}


@dataclass
class NewProject:
    root: Path
    # What the docs say to export in every terminal of the project.
    exported: dict[str, str] = field(default_factory=dict)
    servers: list[subprocess.Popen[str]] = field(default_factory=list)

    def env(self, exported: bool = True) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
        env["PYTHONUNBUFFERED"] = "1"
        return {**env, **self.exported} if exported else env

    def python(self, *args: str, exported: bool = True, check: bool = True) -> str:
        """``python ARGS`` to its end: its output, stdout then stderr."""
        result = subprocess.run(
            [sys.executable, *args],
            cwd=self.root,
            env=self.env(exported),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    def sh(self, lines: str) -> None:
        """A documented ``sh`` block, one command a line."""
        for line in lines.splitlines():
            subprocess.run(
                line, shell=True, cwd=self.root, env=self.env(), check=True, timeout=TIMEOUT_SECONDS
            )

    def popen(self, *args: str, exported: bool = True) -> subprocess.Popen[str]:
        """``python ARGS`` started, its output (stderr included) on ``stdout``."""
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=self.root,
            env=self.env(exported),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def serve(self, *manage_args: str, port: int) -> None:
        """A ``manage.py`` server, once it listens on ``port``; ``stop()`` ends it."""
        server = self.popen("manage.py", *manage_args)
        self.servers.append(server)
        wait_for_port(port, server)

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
            server.wait(timeout=TIMEOUT_SECONDS)
        self.servers.clear()
