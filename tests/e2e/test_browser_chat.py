"""Two people chat in Debian's Chromium, driven by Playwright, through the local gateway."""

from __future__ import annotations

from pathlib import Path

import boto3
from playwright.sync_api import Browser, expect

from tests.waiting import wait_until

from .pages import BROWSER_MARKS, connected_ids, open_room
from .stack import Stack

pytestmark = BROWSER_MARKS


def test_two_browsers_chat_and_one_leaves(browser: Browser, stack: Stack) -> None:
    alice = open_room(browser, stack, "alice", "browser-room")
    expect(alice.locator("#members li")).to_have_text(["alice"])
    bob = open_room(browser, stack, "bob", "browser-room")
    for page in (alice, bob):
        expect(page.locator("#members li")).to_have_text(["alice", "bob"])

    alice.fill("#message", "hello from alice")
    alice.click("#send")
    # Published before bob writes: two pages' messages have no order of their
    # own (the gateway may still be handling one page's earlier message).
    expect(bob.locator("#log li.chat")).to_have_text(["alice: hello from alice"])
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


def test_a_page_follows_a_second_room(browser: Browser, stack: Stack) -> None:
    alice = open_room(browser, stack, "alice", "first-room")
    bob = open_room(browser, stack, "bob", "second-room")
    alice.fill("#follow-room", "second-room")
    alice.click("#follow")
    expect(alice.locator("#following li")).to_have_text(["#second-room Unfollow"])
    # The subscription stands once the room can be chosen and alice's post arrives.
    alice.select_option("#send-room", "second-room")
    alice.fill("#message", "hello second room")
    alice.click("#send")
    expect(bob.locator("#log li.chat")).to_have_text(["alice: hello second room"])
    bob.fill("#message", "hi alice")
    bob.click("#send")
    expect(alice.locator("#log li.chat")).to_have_text(
        ["#second-room alice: hello second room", "#second-room bob: hi alice"]
    )
    # Bob is in second-room only: its presence lists him alone.
    expect(bob.locator("#members li")).to_have_text(["bob"])
    alice.click("#following .unfollow")
    bob.fill("#message", "gone?")
    bob.click("#send")
    expect(bob.locator("#log li.chat")).to_have_count(3)
    alice.fill("#message", "in my own room")
    alice.click("#send")
    expect(alice.locator("#log li.chat")).to_have_count(3)
    expect(alice.locator("#log li.chat").last).to_have_text("alice: in my own room")


def test_the_client_reconnects_with_a_fresh_token(browser: Browser, stack: Stack) -> None:
    alice = open_room(browser, stack, "alice", "reconnect-room")
    expect(alice.locator("#members li")).to_have_text(["alice"])
    (first,) = connected_ids(stack, "alice", "reconnect-room")
    # The server closes the connection, as a deploy or an idle timeout would.
    management = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.management_url,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    management.delete_connection(ConnectionId=first)
    # Back by itself, on a new connection with a new single-use token.
    expect(alice.locator("#status")).to_have_text("connected")

    def new_connection() -> list[str]:
        ids = connected_ids(stack, "alice", "reconnect-room")
        return [] if ids == [first] else ids

    ids = wait_until(new_connection, timeout=15, what="a new connection")
    assert first not in ids
    alice.fill("#message", "still here")
    alice.click("#send")
    expect(alice.locator("#log li.chat")).to_have_text(["alice: still here"])


def test_keepalive_pings_and_messages_queued_before_open(browser: Browser, stack: Stack) -> None:
    page = open_room(browser, stack, "bob", "keepalive-room")
    # A second client on the same page, with a short keep-alive, that sends
    # before its socket is open: the message must wait in the queue.
    page.evaluate(
        """() => {
            const config = JSON.parse(document.getElementById("websocket-config").textContent);
            window.received = [];
            const socket = new GatewaySocket(Object.assign({}, config, {keepAliveSeconds: 0.3}));
            socket.addEventListener("message", (event) => window.received.push(event.detail));
            // Chat is published to the room: it comes as a "publish" event.
            socket.addEventListener("publish", (event) => window.received.push(event.detail.data));
            socket.send({action: "chat", text: "queued before open"});
            window.extraSocket = socket;
        }"""
    )
    page.wait_for_function(
        "() => window.received.some((m) => m.type === 'chat' && m.text === 'queued before open')"
    )

    # Pings reach Django as messages: request_count grows with no reply frames.
    def requests_of_bob() -> int:
        counts = stack.sql(
            "SELECT MAX(s.request_count) FROM django_aws_api_gateway_websockets_websocketsession s "
            "JOIN auth_user u ON u.id = s.user_id "
            "WHERE u.username = 'bob' AND s.channel_name = 'keepalive-room' AND s.connected"
        )
        return int(counts[0][0] or 0)  # type: ignore[call-overload]

    # The queued chat and at least 3 pings.
    wait_until(lambda: requests_of_bob() >= 4, timeout=15, what="3 pings reached Django")
    errors = page.evaluate("() => window.received.filter((m) => m.error || m.message)")
    assert errors == []
    page.evaluate("() => window.extraSocket.close()")


def test_no_page_asks_for_something_missing(browser: Browser, stack: Stack) -> None:
    context = browser.new_context()
    missing: list[str] = []
    context.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page = open_room(browser, stack, "alice", "favicon-room", context=context)
    page.goto(f"{stack.http_url}/admin/login/")
    favicon = page.request.get(f"{stack.http_url}/favicon.ico")
    assert favicon.status == 204
    assert missing == []


def test_a_phone_wide_page_stacks_its_columns(
    browser: Browser, stack: Stack, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = open_room(browser, stack, "bob", "narrow-room", context=context)
    log = page.locator("#log").bounding_box()
    members = page.locator("#members").bounding_box()
    assert log is not None and members is not None
    # One column: the chat takes the width (less the page's margins), and the
    # member list comes under it instead of squeezing it.
    assert log["width"] > 340
    assert members["y"] >= log["y"] + log["height"]
    page.screenshot(path=str(tmp_path / "narrow.png"), full_page=True)
