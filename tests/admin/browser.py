"""An admin page in headless Chromium (Playwright), for the layout and overview tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
# Set to a directory to keep the pages' screenshots for a look.
SCREENSHOTS = os.environ.get("DAGW_SCREENSHOT_DIR")
WIDTH = 1280


@contextmanager
def admin_page(
    live_server: object, session_cookie: dict[str, str], path: str, *, height: int = 800
) -> Iterator[Page]:
    """``path`` loaded, logged in with ``session_cookie``, in a window ``WIDTH`` px wide."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": height})
            context.add_cookies([{**session_cookie, "url": str(live_server)}])
            page = context.new_page()
            page.goto(f"{live_server}{path}")
            yield page
        finally:
            browser.close()
