"""A database made by the real 4.1.0 release, then migrated by this project.

Built once per test run (module scope) on the database the suite runs on
(DATABASE=sqlite or postgres), in a database of its own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from .database import ENGINE_VARIABLE, NAME_VARIABLE
from .legacy_env import REPO, clean_environment, ensure_legacy_env

HERE = Path(__file__).resolve().parent
POSTGRES_PREFIX = "dagw_upgrade"
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


def _postgres_admin(statement: str) -> None:
    with _postgres("postgres", autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="module")
def new_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], dict[str, str]]]:
    """Makes empty databases for the upgrade (environment variables naming each); drops them."""
    made: list[str] = []

    def make(label: str) -> dict[str, str]:
        if os.environ.get("DATABASE") == "postgres":
            name = f"{POSTGRES_PREFIX}_{label}"
            _postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            _postgres_admin(f"CREATE DATABASE {name}")
            made.append(name)
            return {ENGINE_VARIABLE: "postgres", NAME_VARIABLE: name}
        path = tmp_path_factory.mktemp("upgrade") / f"{label}.sqlite3"
        return {ENGINE_VARIABLE: "sqlite", NAME_VARIABLE: str(path)}

    yield make
    for name in made:
        _postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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


def migrate_with_v5(database: dict[str, str], facts: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.upgrade.migrate_and_use", json.dumps(facts)],
        cwd=REPO,
        env={**os.environ, **database, "DJANGO_SETTINGS_MODULE": "tests.upgrade.v5_settings"},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_SECONDS,
    )


def our_history(database: dict[str, str], mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.upgrade.our_history", mode],
        cwd=REPO,
        env={**os.environ, **database, "DJANGO_SETTINGS_MODULE": "tests.upgrade.v5_settings"},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_SECONDS,
    )


def parsed(result: subprocess.CompletedProcess[str]) -> Any:
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(result.args)} failed:\n{result.stdout}\n{result.stderr}", pytrace=False
        )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def upgrade_database(new_database: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return new_database("from_4x")


@pytest.fixture(scope="module")
def before(upgrade_database: dict[str, str]) -> Any:
    """The rows as 4.1.0 wrote them."""
    return parsed(build_v4_database(upgrade_database))


@pytest.fixture(scope="module")
def after(upgrade_database: dict[str, str], before: Any) -> Any:
    """Our migrate's output and the rows after it, then after traffic through the view."""
    return parsed(migrate_with_v5(upgrade_database, before))
