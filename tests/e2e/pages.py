"""What the browser tests share: Chromium's path and flags, and steps on the demo's pages."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .stack import DEMO_PASSWORD, Stack

# Every module that drives Chromium: an e2e test, and one of the browser tests.
BROWSER_MARKS = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As root, in a machine with no network but loopback: no sandbox, and none of
# Chromium's background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


def open_room(
    browser: Browser,
    stack: Stack,
    username: str,
    room: str,
    context: BrowserContext | None = None,
) -> Page:
    page = (context or browser.new_context()).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{stack.http_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login")
    expect(page.locator("h1")).to_have_text("Pick a room")
    page.fill("#room-name", room)
    page.click("#go")
    expect(page.locator("#status")).to_have_text("connected")
    return page


def say(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.click("#send")


def connected_ids(stack: Stack, username: str, room: str) -> list[str]:
    rows = stack.sql(
        "SELECT s.connection_id FROM django_aws_api_gateway_websockets_websocketsession s "
        "JOIN auth_user u ON u.id = s.user_id "
        f"WHERE u.username = '{username}' AND s.channel_name = '{room}' AND s.connected "
        "ORDER BY s.id"
    )
    return [str(row[0]) for row in rows]
