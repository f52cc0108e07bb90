"""A database made by the real 4.1.0 release, then migrated by this project.

Built once per module on the database the suite runs on (DATABASE=sqlite or
postgres), in databases of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .database import ENGINE_VARIABLE, NAME_VARIABLE
from .steps import build_v4_database, migrate_with_v5, parsed, postgres_admin

POSTGRES_PREFIX = "dagw_upgrade"


@pytest.fixture(scope="module")
def new_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], dict[str, str]]]:
    """Makes empty databases for the upgrade (environment variables naming each); drops them."""
    made: list[str] = []

    def make(label: str) -> dict[str, str]:
        if os.environ.get("DATABASE") == "postgres":
            name = f"{POSTGRES_PREFIX}_{label}"
            postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            postgres_admin(f"CREATE DATABASE {name}")
            made.append(name)
            return {ENGINE_VARIABLE: "postgres", NAME_VARIABLE: name}
        path = tmp_path_factory.mktemp("upgrade") / f"{label}.sqlite3"
        return {ENGINE_VARIABLE: "sqlite", NAME_VARIABLE: str(path)}

    yield make
    for name in made:
        postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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
