"""scripts/lib/postgres.sh from a clone the PostgreSQL server user cannot reach.

A clone in a private home (/root, mode 0700) must still get a working cluster,
outside the clone, and a failed initdb must leave no postgres-owned files.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "scripts" / "lib"

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("DATABASE") != "postgres",
        reason="starts its own PostgreSQL server: once per suite run, on the PostgreSQL pass",
    ),
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("runuser"),
        reason="the unreachable-clone case needs root and a postgres user",
    ),
]


def postgres_uid() -> int:
    try:
        return pwd.getpwnam("postgres").pw_uid
    except KeyError:
        pytest.skip("no postgres user")


@pytest.fixture
def private_clone() -> Iterator[Path]:
    """A clone of scripts/lib in a directory only root may enter."""
    home = Path(tempfile.mkdtemp(prefix="dagw-private-home-"))
    home.chmod(0o700)
    repo = home / "trial"
    shutil.copytree(LIB, repo / "scripts" / "lib")
    yield repo
    shutil.rmtree(home)


@pytest.fixture
def fallback_parent() -> Iterator[Path]:
    """Where the cluster goes instead: reachable by the postgres user."""
    parent = Path(tempfile.mkdtemp(prefix="dagw-pg-parent-"))
    parent.chmod(0o755)
    yield parent
    shutil.rmtree(parent)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_lib(repo: Path, fallback: Path, script: str) -> subprocess.CompletedProcess[str]:
    prelude = "source scripts/lib/env.sh; source scripts/lib/postgres.sh; set +e\n"
    env = {**os.environ, "PGPORT": str(free_port()), "PG_FALLBACK_PARENT": str(fallback)}
    return subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def owned_by(uid: int, root: Path) -> list[Path]:
    return [path for path in [root, *root.rglob("*")] if path.lstat().st_uid == uid]


def test_a_clone_in_a_private_home_gets_a_cluster_outside_it(
    private_clone: Path, fallback_parent: Path
) -> None:
    uid = postgres_uid()
    result = run_lib(
        private_clone,
        fallback_parent,
        "start_postgres || exit 3\n"
        'echo "data=$PGDATA_DIR"\n'
        '"$(pg_bin)/psql" -h 127.0.0.1 -U postgres -Atc "select 40 + 2"\n'
        "status=$?\n"
        "stop_postgres\n"
        "exit $status\n",
    )
    assert result.returncode == 0, result.stderr
    data_dir = Path(result.stdout.split("data=", 1)[1].splitlines()[0])
    assert data_dir.parent == fallback_parent
    assert (data_dir / "PG_VERSION").is_file()
    assert "42" in result.stdout.splitlines()
    assert owned_by(uid, private_clone.parent) == []


def test_a_failed_initdb_leaves_nothing_behind(private_clone: Path, fallback_parent: Path) -> None:
    uid = postgres_uid()
    fake_bin = fallback_parent / "bin"
    fake_bin.mkdir()
    initdb = fake_bin / "initdb"
    # Writes into the data directory (as the real one does), then fails.
    initdb.write_text(
        '#!/bin/sh\ntouch "$2/half-made"\necho "initdb: error: disk full" >&2\nexit 1\n'
    )
    initdb.chmod(0o755)
    result = run_lib(
        private_clone,
        fallback_parent,
        f'pg_bin() {{ echo "{fake_bin}"; }}\nstart_postgres\necho "status=$? data=$PGDATA_DIR"\n',
    )
    assert "status=1" in result.stdout, result.stderr
    assert "disk full" in result.stderr
    data_dir = Path(result.stdout.split("data=", 1)[1].strip())
    assert data_dir.parent == fallback_parent
    assert not data_dir.exists()
    assert owned_by(uid, fallback_parent) == []
    assert owned_by(uid, private_clone.parent) == []


def test_a_reachable_clone_keeps_its_cluster_in_the_clone(fallback_parent: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="dagw-open-home-"))
    try:
        home.chmod(0o755)
        repo = home / "trial"
        shutil.copytree(LIB, repo / "scripts" / "lib")
        (repo / ".cache").mkdir()
        (repo / ".cache").chmod(0o755)
        result = run_lib(repo, fallback_parent, "pg_data_dir\n")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{repo}/.cache/postgres"
    finally:
        shutil.rmtree(home)
