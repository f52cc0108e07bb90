"""The overview page as Chromium renders it (Playwright against a live server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from .conftest import Traffic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
# Set to a directory to keep the screenshot for a look.
SCREENSHOTS = os.environ.get("DAGW_SCREENSHOT_DIR")
OVERVIEW = "admin:django_aws_api_gateway_websockets_websocketsession_overview"


def test_the_overview_renders_figures_tables_and_chart(
    live_server: object, traffic: Traffic, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    screenshot = Path(SCREENSHOTS or tmp_path) / "overview-1280.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{**cookie, "url": str(live_server)}])
            page = context.new_page()
            page.goto(f"{live_server}{reverse(OVERVIEW)}")
            page.screenshot(path=str(screenshot), full_page=True)
            mine = page.locator("section.dagw-gateway").first
            figures = {
                name: mine.locator(f"dd.dagw-{name}").inner_text().strip()
                for name in ("connections", "users", "anonymous", "stale")
            }
            reconcile = mine.locator("dd.dagw-reconcile").inner_text().strip()
            top = mine.locator("table.dagw-top-channels tbody tr").all_inner_texts()
            presence = mine.locator("table.dagw-presence-channels tbody tr").all_inner_texts()
            chart = mine.locator("svg.dagw-activity")
            chart_box = chart.bounding_box()
            bars = chart.locator("rect.dagw-bar")
            tallest = max(
                float(bars.nth(index).get_attribute("height") or 0) for index in range(bars.count())
            )
            bar_count = bars.count()
            label = chart.get_attribute("aria-label")
            page_width = page.evaluate("document.documentElement.scrollWidth")
            headings = page.locator("section.dagw-gateway h2").all_inner_texts()
        finally:
            browser.close()

    assert screenshot.stat().st_size > 10_000  # a page was drawn, not a blank
    assert headings == ["Test API (testapi123)", "Other API (otherapi77)"]
    assert figures == {"connections": "4", "users": "2", "anonymous": "1", "stale": "1"}
    assert reconcile == "never"
    assert [row.split("\t") for row in top] == [
        ["chat", "3", "2"],
        ["presence-room", "2", "2"],
        ["news", "1", "0"],
    ]
    assert [row.split("\t") for row in presence] == [["presence-room", "2", "2"]]
    assert label == "Connections in the last hour: 4 opened, 1 closed"
    assert bar_count == 24
    # The bar of the four opens fills the plot's height (the peak).
    assert tallest == pytest.approx(150 - 10 - 22, abs=0.1)
    assert chart_box is not None and chart_box["width"] > 300 and chart_box["height"] > 80
    assert page_width <= 1280  # nothing scrolls sideways
