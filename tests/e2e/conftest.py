from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from .pages import CHROMIUM, CHROMIUM_ARGS
from .stack import MigratedDatabase, Stack, migrated_database, running_stack

# Playwright's assertions wait 5 s by default. Each of these waits for real
# processes (Django, the gateway, a worker) on a machine the suite's two lanes
# share: give them the time a loaded machine needs. A passing wait ends as soon
# as its condition holds, so this costs nothing when all is well.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def example_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabase]:
    with migrated_database(tmp_path_factory.mktemp("migrated")) as database:
        yield database


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, example_database: MigratedDatabase
) -> Iterator[Stack]:
    """The example's Django, task worker and local gateway, each module its own."""
    with running_stack(tmp_path_factory.mktemp("stack"), example_database) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright; one per module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
