"""Each step of the upgrade test as a subprocess: 4.1.0's environment, then ours."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from .database import ENGINE_VARIABLE, NAME_VARIABLE
from .legacy_env import REPO, clean_environment, ensure_legacy_env

HERE = Path(__file__).resolve().parent
APP = "django_aws_api_gateway_websockets"
STEP_TIMEOUT_SECONDS = 120


def _postgres(dbname: str, *, autocommit: bool = False) -> Any:
    import psycopg

    return psycopg.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", "54329"),
        user=os.environ.get("PGUSER", "postgres"),
        dbname=dbname,
        autocommit=autocommit,
    )


def postgres_admin(statement: str) -> None:
    with _postgres("postgres", autocommit=True) as conn:
        conn.execute(statement)


def applied_migrations(database: dict[str, str]) -> list[str]:
    """Names of this app's migrations the database records as applied."""
    query = "SELECT name FROM django_migrations WHERE app = %s ORDER BY id"
    if database[ENGINE_VARIABLE] == "postgres":
        with _postgres(database[NAME_VARIABLE]) as conn:
            return [name for (name,) in conn.execute(query, [APP]).fetchall()]
    with closing(sqlite3.connect(database[NAME_VARIABLE])) as conn:
        return [name for (name,) in conn.execute(query.replace("%s", "?"), [APP]).fetchall()]


def build_v4_database(database: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """Migrate and fill the database with 4.1.0, in its own environment."""
    legacy_python = ensure_legacy_env()
    return subprocess.run(
        [str(legacy_python), str(HERE / "build_v4_database.py"), *extra],
        cwd=HERE,
        env={**clean_environment(), **database},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_SECONDS,
    )


def run_ours(database: dict[str, str], module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m tests.upgrade.<module>`` in this project's environment, on ``database``."""
    return subprocess.run(
        [sys.executable, "-m", f"tests.upgrade.{module}", *args],
        cwd=REPO,
        env={**os.environ, **database, "DJANGO_SETTINGS_MODULE": "tests.upgrade.v5_settings"},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_SECONDS,
    )


def migrate_with_v5(database: dict[str, str], facts: Any) -> subprocess.CompletedProcess[str]:
    return run_ours(database, "migrate_and_use", json.dumps(facts))


def our_history(database: dict[str, str], mode: str) -> subprocess.CompletedProcess[str]:
    return run_ours(database, "our_history", mode)


def parsed(result: subprocess.CompletedProcess[str]) -> Any:
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(result.args)} failed:\n{result.stdout}\n{result.stderr}", pytrace=False
        )
    return json.loads(result.stdout)
