"""The overview page as Chromium renders it (Playwright against a live server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from django_aws_api_gateway_websockets.admin.overview import BOTTOM, HEIGHT, TOP
from tests.admin.browser import SCREENSHOTS, WIDTH, admin_page

from .conftest import Traffic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERVIEW = "admin:django_aws_api_gateway_websockets_websocketsession_overview"


def test_the_overview_renders_figures_tables_and_chart(
    live_server: object, traffic: Traffic, tmp_path: Path
) -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    screenshot = Path(SCREENSHOTS or tmp_path) / "overview-1280.png"
    with admin_page(live_server, cookie, reverse(OVERVIEW), height=900) as page:
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
        bar_count = bars.count()
        tallest = max(float(bars.nth(i).get_attribute("height") or 0) for i in range(bar_count))
        label = chart.get_attribute("aria-label")
        page_width = page.evaluate("document.documentElement.scrollWidth")
        headings = page.locator("section.dagw-gateway h2").all_inner_texts()

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
    assert tallest == pytest.approx(HEIGHT - TOP - BOTTOM, abs=0.1)
    assert chart_box is not None and chart_box["width"] > 300 and chart_box["height"] > 80
    assert page_width <= WIDTH  # nothing scrolls sideways
