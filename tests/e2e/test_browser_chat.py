"""Two people chat in Debian's Chromium, driven by Playwright, through the local gateway."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from .stack import DEMO_PASSWORD, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def open_room(browser: Browser, stack: Stack, username: str, room: str) -> Page:
    page = browser.new_context().new_page()
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


def test_two_browsers_chat_and_one_leaves(browser: Browser, stack: Stack) -> None:
    alice = open_room(browser, stack, "alice", "browser-room")
    expect(alice.locator("#members li")).to_have_text(["alice"])
    bob = open_room(browser, stack, "bob", "browser-room")
    for page in (alice, bob):
        expect(page.locator("#members li")).to_have_text(["alice", "bob"])

    alice.fill("#message", "hello from alice")
    alice.click("#send")
    bob.fill("#message", "hi alice")
    bob.press("#message", "Enter")
    for page in (alice, bob):
        expect(page.locator("#log li.chat")).to_have_text(
            ["alice: hello from alice", "bob: hi alice"]
        )

    bob.click("#leave")
    expect(bob.locator("h1")).to_have_text("Pick a room")
    expect(alice.locator("#members li")).to_have_text(["alice"])
    alice.screenshot(path=str(stack.logs["django"].parent / "alice.png"))
