"""The sessions changelist fits a 1280 px wide window (Chromium, Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
# Set to a directory to keep a screenshot of the page for a look.
SCREENSHOTS = os.environ.get("DAGW_SCREENSHOT_DIR")
CHANGELIST = "admin:django_aws_api_gateway_websockets_websocketsession_changelist"


@pytest.fixture
def admin_cookie(live_server: object) -> Iterator[dict[str, str]]:
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    gateway = ApiGateway.objects.create(
        api_name="A gateway with a fairly long name",
        target_base_endpoint="https://app.example.com/ws/",
        api_id="abcdef1234",
        api_endpoint="wss://abcdef1234.execute-api.eu-west-1.amazonaws.com",
    )
    now = timezone.now()
    for index in range(5):
        WebSocketSession.objects.create(
            connection_id=f"L0SM9cOFvHcCIhw={index}",
            channel_name=f"a-rather-long-channel-name-{index}",
            user=admin,
            api_gateway=gateway,
            request_count=12345,
            created_on=now,
            updated_on=now,
        )
    client = Client()
    client.force_login(admin)
    yield {"name": "sessionid", "value": client.cookies["sessionid"].value}


def test_every_column_is_visible_at_1280_px(
    live_server: object, admin_cookie: dict[str, str]
) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    url = f"{live_server}{reverse(CHANGELIST)}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_cookies([{**admin_cookie, "url": str(live_server)}])
            page = context.new_page()
            page.goto(url)
            if SCREENSHOTS:
                page.screenshot(path=f"{SCREENSHOTS}/sessions-1280.png", full_page=True)
            # The results box scrolls sideways when the table is wider: what
            # does not fit is hidden until scrolled to.
            overflow = page.evaluate(
                "(() => { const box = document.querySelector('#changelist-form .results');"
                " return [box.scrollWidth, box.clientWidth,"
                " [...document.querySelectorAll('#result_list thead th')]"
                ".map(th => th.getBoundingClientRect().width)]; })()"
            )
            last = page.locator("#result_list thead th").last.bounding_box()
            page_width = page.evaluate("document.documentElement.scrollWidth")
        finally:
            browser.close()
    scroll_width, client_width, widths = overflow
    assert scroll_width <= client_width, str([round(width) for width in widths])
    assert last is not None
    assert last["x"] + last["width"] <= 1280
    assert page_width <= 1280
