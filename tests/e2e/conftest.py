from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from .stack import Stack, running_stack

# Playwright's assertions wait 5 s by default. Each of these waits for real
# processes (Django, the gateway, a worker) on a machine the suite's two lanes
# share: give them the time a loaded machine needs. A passing wait ends as soon
# as its condition holds, so this costs nothing when all is well.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running
