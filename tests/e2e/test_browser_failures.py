"""Failures the browser must see: Django down or failing, a retry, a logged-out page.

Chromium (Playwright) on the example chat, through the local gateway, with
Django stopped, replaced by a server that answers 503, and started again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from playwright.sync_api import Browser, Route, expect

from .pages import BROWSER_MARKS, connected_ids, open_room, say
from .stack import Stack

pytestmark = BROWSER_MARKS

# Logout, the close through the gateway, the page's reconnect and the token
# request's refusal: a second when idle, several with the suite's two lanes running.
PAGE_CHANGE_MS = 20_000


def management_client(stack: Stack) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.management_url,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


class _Unavailable(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def answering_503(port: int) -> Iterator[None]:
    """In Django's place on its port: every request gets 503."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Unavailable)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_undelivered_messages_are_shown_and_a_retry_delivers_them(
    browser: Browser,
    stack: Stack,
) -> None:
    alice = open_room(browser, stack, "alice", "failure-room")
    expect(alice.locator("#members li")).to_have_text(["alice"])
    try:
        stack.stop("django")
        say(alice, "while django is down")
        expect(alice.locator("#log li.undelivered")).to_have_text(
            [re.compile(r"^not delivered: while django is down")]
        )
        with answering_503(stack.ports["django"]):
            say(alice, "while django answers 503")
            expect(alice.locator("#log li.undelivered")).to_have_count(2)
    finally:
        stack.start("django")
    # The socket stayed open all along: the gateway held it.
    expect(alice.locator("#status")).to_have_text("connected")
    expect(alice.locator("#log li.chat")).to_have_count(0)

    for _ in range(2):
        alice.locator("#log li.undelivered .retry").first.click()
    expect(alice.locator("#log li.chat")).to_have_text(
        ["alice: while django is down", "alice: while django answers 503"]
    )
    expect(alice.locator("#log li.undelivered")).to_have_count(0)


def test_a_repeated_message_id_is_handled_once(
    browser: Browser,
    stack: Stack,
) -> None:
    alice = open_room(browser, stack, "alice", "dedup-room")
    expect(alice.locator("#members li")).to_have_text(["alice"])
    # As after an error frame for a message that Django did handle: the page
    # sends the same message, with the same id, again.
    delivered = alice.evaluate(
        """() => new Promise((resolve, reject) => {
            const config = JSON.parse(document.getElementById("websocket-config").textContent);
            const socket = new GatewaySocket(config);
            const message = {action: "chat", text: "only once", client_message_id: "retry-1"};
            const acks = [];
            socket.addEventListener("error", (event) => reject(JSON.stringify(event.detail)));
            socket.addEventListener("delivered", (event) => {
                acks.push(event.detail.messageId);
                if (acks.length === 1) socket.send(message);
                else { socket.close(); resolve(acks); }
            });
            socket.send(message);
        })"""
    )
    assert delivered == ["retry-1", "retry-1"]
    expect(alice.locator("#log li.chat")).to_have_text(["alice: only once"])
    # A later message is delivered, and the first one has not come back.
    say(alice, "after")
    expect(alice.locator("#log li.chat")).to_have_text(["alice: only once", "alice: after"])


def test_logging_out_elsewhere_sends_the_page_to_the_login_page(
    browser: Browser,
    stack: Stack,
) -> None:
    room = open_room(browser, stack, "bob", "logout-room")
    other_tab = room.context.new_page()
    other_tab.goto(f"{stack.http_url}/")
    other_tab.click("#logout")
    expect(room).to_have_url(
        re.compile(re.escape(f"{stack.http_url}/login/?next=") + r"(/|%2F)rooms(/|%2F)logout-room"),
        timeout=PAGE_CHANGE_MS,
    )


def test_a_403_from_the_token_url_sends_the_page_to_the_login_page(
    browser: Browser,
    stack: Stack,
) -> None:
    room = open_room(browser, stack, "alice", "forbidden-room")
    (connection_id,) = connected_ids(stack, "alice", "forbidden-room")
    room.route(
        "**/api/ws-token/",
        lambda route: route.fulfill(status=403, body='{"error": "CSRF verification failed."}'),
    )
    # The server closes the connection; the page's reconnect meets the 403.
    management_client(stack).delete_connection(ConnectionId=connection_id)
    expect(room).to_have_url(
        re.compile(re.escape(f"{stack.http_url}/login/?next=") + r"(/|%2F)rooms(/|%2F)forbidden"),
        timeout=PAGE_CHANGE_MS,
    )


def test_a_refused_token_stops_reconnecting(
    browser: Browser,
    stack: Stack,
) -> None:
    page = open_room(browser, stack, "bob", "token-room")
    token_requests: list[str] = []

    def refuse(route: Route) -> None:
        token_requests.append(route.request.url)
        route.fulfill(status=403, body='{"error": "Authentication required."}')

    page.route("**/api/ws-token/", refuse)
    page.evaluate(
        """() => {
            const config = JSON.parse(document.getElementById("websocket-config").textContent);
            const seen = window.seen = [];
            const socket = new GatewaySocket(
                Object.assign({}, config, {initialBackoffSeconds: 0.05})
            );
            socket.addEventListener(
                "unauthorized", (event) => seen.push(["unauthorized", event.detail.status])
            );
            socket.addEventListener(
                "close", (event) => seen.push(["close", event.detail.willReconnect])
            );
            socket.addEventListener("open", () => seen.push(["open"]));
            socket.addEventListener(
                "error", (event) => seen.push([event.detail.kind, event.detail.reason])
            );
            socket.send({action: "chat", text: "queued, never sent"});
            window.refusedSocket = socket;
        }"""
    )
    page.wait_for_function("() => window.seen.length >= 3")
    # The client retries only through its reconnect timer or an open socket:
    # neither is left once it has announced the close without a reconnect.
    assert page.evaluate(
        "() => [window.refusedSocket.stopped, window.refusedSocket.reconnectTimer,"
        " window.refusedSocket.socket]"
    ) == [True, None, None]
    assert page.evaluate("() => window.seen") == [
        ["unauthorized", 403],
        ["undelivered", "logged out"],
        ["close", False],
    ]
    assert len(token_requests) == 1


def test_a_refused_message_is_reported_at_once_with_the_refusal(
    browser: Browser,
    stack: Stack,
) -> None:
    page = open_room(browser, stack, "bob", "refused-room")
    outcome = page.evaluate(
        """() => new Promise((resolve) => {
            const config = JSON.parse(document.getElementById("websocket-config").textContent);
            // An acknowledgement wait far longer than the test: only the refusal ends it.
            const socket = new GatewaySocket(Object.assign({}, config, {ackTimeoutSeconds: 600}));
            const seen = [];
            socket.addEventListener("message", (event) => seen.push(event.detail));
            socket.addEventListener("error", (event) => {
                socket.close();
                resolve({seen: seen, detail: event.detail, id: window.sentId});
            });
            // The chat view allows no such handler: 400, naming the message.
            window.sentId = socket.send({action: "nonsense"});
        })"""
    )
    # The refusal ($default is a two-way route) is the report, not a message event...
    assert outcome["seen"] == []
    # ...and it names the message, with the view's reason.
    detail = outcome["detail"]
    assert detail["kind"] == "undelivered"
    assert detail["reason"] == "No handler for this message."
    assert detail["messageId"] == outcome["id"]
    assert detail["message"] == {"client_message_id": outcome["id"], "action": "nonsense"}
