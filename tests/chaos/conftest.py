from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .harness import ChaosStack, chaos_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/chaos/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.chaos)
            if os.environ.get("DATABASE") != "postgres":
                item.add_marker(pytest.mark.skip(reason="the chaos suite runs on PostgreSQL"))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosStack]:
    with chaos_stack(tmp_path_factory.mktemp("chaos")) as running:
        yield running
