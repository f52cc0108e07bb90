"""GatewaySocket's channel logic in Chromium, against a scripted socket.

The page loads the shipped websocket-client.js with ``window.WebSocket``
replaced by a fake whose frames the test writes, so that every order of
arrival (late, duplicated, missing, across a reconnect) is exact and quick.
The same logic through real processes: test_browser_replay.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from .stack import REPO
from .test_browser_chat import browser, pytestmark  # noqa: F401

__all__ = ["pytestmark"]

CLIENT_JS = (
    REPO
    / "src/django_aws_api_gateway_websockets/static/django_aws_api_gateway_websockets"
    / "websocket-client.js"
)

# A WebSocket the test drives: open(), push(frame), drop(code); sent frames are kept.
FAKE_SOCKET = """
class FakeSocket extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close(code) { this.drop(code || 1000); }
  open() { this.readyState = 1; this.dispatchEvent(new Event("open")); }
  push(frame) {
    this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(frame) }));
  }
  drop(code) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.dispatchEvent(new CloseEvent("close", { code: code || 1006 }));
  }
}
FakeSocket.OPEN = 1;
FakeSocket.all = [];
window.WebSocket = FakeSocket;
window.current = () => FakeSocket.all[FakeSocket.all.length - 1];
// Sent frames of the current socket with this handler, without their ids.
window.sentTo = (handler) => current().sent
  .filter((frame) => frame.handler === handler)
  .map((frame) => {
    const copy = Object.assign({}, frame);
    delete copy.client_message_id;
    return copy;
  });
// The ack the server adds to its answer.
window.answer = (handler, fields) => {
  const frame = current().sent.filter((f) => f.handler === handler).pop();
  current().push(Object.assign({ ack: frame.client_message_id }, fields));
};
window.seen = [];
window.start = (options) => {
  const socket = new GatewaySocket(Object.assign(
    { url: "ws://gateway.invalid/production", gapGraceSeconds: 0.05, initialBackoffSeconds: 0.01 },
    options || {}
  ));
  for (const type of ["publish", "subscribed", "unsubscribed", "member_added",
                      "member_removed", "resume_failed", "revoked", "message", "error"]) {
    socket.addEventListener(type, (event) => seen.push([type, event.detail]));
  }
  window.socket = socket;
  return new Promise((resolve) => setTimeout(resolve, 0));
};
window.published = () => seen
  .filter((e) => e[0] === "publish")
  .map((e) => [e[1].channel, e[1].seq, e[1].data]);
"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(5_000)
    page.set_content("<!doctype html><title>client</title>")
    page.add_script_tag(content=FAKE_SOCKET)
    page.add_script_tag(content=CLIENT_JS.read_text())
    yield page
    context.close()


def run(page: Page, script: str) -> Any:
    return page.evaluate(f"async () => {{ {script} }}")


def envelope(channel: str, seq: int) -> dict[str, Any]:
    return {"channel": channel, "seq": seq, "data": {"n": seq}}


def push(page: Page, *frames: dict[str, Any]) -> None:
    page.evaluate("(frames) => frames.forEach((f) => current().push(f))", list(frames))


def published(page: Page) -> list[list[Any]]:
    return page.evaluate("() => published()")  # type: ignore[no-any-return]


def subscribed_room(page: Page, channel: str = "room") -> None:
    run(page, f"await start(); current().open(); socket.subscribe('{channel}');")
    run(page, f"answer('subscribe', {{type: 'subscribed', channel: '{channel}'}});")


def test_in_order_once_and_not_as_message_events(page: Page) -> None:
    subscribed_room(page)
    push(page, *(envelope("room", seq) for seq in (1, 2, 2, 1, 3)))
    push(page, {"type": "chat", "text": "raw"}, {"channel": "room", "note": "not an envelope"})
    assert published(page) == [["room", seq, {"n": seq}] for seq in (1, 2, 3)]
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message').map((e) => e[1])") == [
        {"type": "chat", "text": "raw"},
        {"channel": "room", "note": "not an envelope"},
    ]
    assert page.evaluate("() => socket.lastSeq('room')") == 3
    assert page.evaluate("() => sentTo('resume')") == []


def test_a_late_message_within_the_grace_period_needs_no_resume(page: Page) -> None:
    run(page, "await start({gapGraceSeconds: 1}); current().open(); socket.subscribe('room');")
    run(page, "answer('subscribe', {type: 'subscribed', channel: 'room'});")
    push(page, envelope("room", 1), envelope("room", 3))
    assert published(page) == [["room", 1, {"n": 1}]]
    push(page, envelope("room", 2))
    assert [seq for _, seq, _ in published(page)] == [1, 2, 3]
    page.wait_for_timeout(1200)
    assert page.evaluate("() => sentTo('resume')") == []


def test_a_gap_is_resumed_and_the_held_messages_follow_in_order(page: Page) -> None:
    subscribed_room(page)
    push(page, envelope("room", 1), envelope("room", 4), envelope("room", 3))
    page.wait_for_function("() => sentTo('resume').length === 1")
    assert page.evaluate("() => sentTo('resume')") == [
        {"handler": "resume", "channel": "room", "after": 1}
    ]
    # Live messages keep arriving while the answer is on its way.
    push(page, envelope("room", 5))
    assert [seq for _, seq, _ in published(page)] == [1]
    run(
        page,
        "answer('resume', {type: 'resumed', channel: 'room', last_seq: 4, more: false,"
        " messages: [2, 3, 4].map((seq) => ({channel: 'room', seq: seq, data: {n: seq}}))});",
    )
    push(page, envelope("room", 4), envelope("room", 6))
    assert [seq for _, seq, _ in published(page)] == [1, 2, 3, 4, 5, 6]
    page.wait_for_timeout(200)
    assert len(page.evaluate("() => sentTo('resume')")) == 1


def test_a_reconnect_resubscribes_and_resumes_through_more(page: Page) -> None:
    subscribed_room(page)
    run(page, "socket.subscribe('presence-room');")
    run(page, "answer('subscribe', {type: 'subscribed', channel: 'presence-room', members: []});")
    push(page, envelope("room", 1), envelope("room", 2))
    run(page, "current().drop(1001);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open();")
    assert page.evaluate("() => sentTo('subscribe')") == [
        {"handler": "subscribe", "channel": "room"},
        {"handler": "subscribe", "channel": "presence-room"},
    ]
    # Nothing is resumed before the subscription stands again, and a channel
    # with no seq yet is not resumed at all.
    assert page.evaluate("() => sentTo('resume')") == []
    push(page, envelope("room", 6))  # live, past the gap: held
    run(page, "answer('subscribe', {type: 'subscribed', channel: 'room'});")
    assert page.evaluate("() => sentTo('resume')") == [
        {"handler": "resume", "channel": "room", "after": 2}
    ]
    run(
        page,
        "answer('resume', {type: 'resumed', channel: 'room', last_seq: 6, more: true,"
        " messages: [3, 4].map((seq) => ({channel: 'room', seq: seq, data: {n: seq}}))});",
    )
    assert page.evaluate("() => sentTo('resume')")[-1] == {
        "handler": "resume",
        "channel": "room",
        "after": 4,
    }
    run(
        page,
        "answer('resume', {type: 'resumed', channel: 'room', last_seq: 6, more: false,"
        " messages: [5, 6].map((seq) => ({channel: 'room', seq: seq, data: {n: seq}}))});",
    )
    assert [seq for _, seq, _ in published(page)] == [1, 2, 3, 4, 5, 6]
    # The answers are events of their own, never "message" events.
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message')") == []


def test_resume_failed_is_reported_and_delivery_goes_on_after_last_seq(page: Page) -> None:
    subscribed_room(page)
    push(page, envelope("room", 1))
    run(page, "current().drop(1001);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open(); answer('subscribe', {type: 'subscribed', channel: 'room'});")
    push(page, envelope("room", 11), envelope("room", 13))
    run(
        page,
        "answer('resume', {type: 'resume_failed', channel: 'room', after: 1, last_seq: 10});",
    )
    assert page.evaluate("() => seen.filter((e) => e[0] === 'resume_failed')") == [
        ["resume_failed", {"channel": "room", "after": 1, "lastSeq": 10}]
    ]
    assert [seq for _, seq, _ in published(page)] == [1, 11]
    # 12 never comes: the gap after 11 is resumed like any other.
    page.wait_for_function("() => sentTo('resume').length === 2")
    assert page.evaluate("() => sentTo('resume')[1]") == {
        "handler": "resume",
        "channel": "room",
        "after": 11,
    }


def test_a_gap_the_server_cannot_fill_ends_as_resume_failed(page: Page) -> None:
    subscribed_room(page)
    push(page, envelope("room", 1), envelope("room", 3))
    for attempt in range(1, 4):
        page.wait_for_function(f"() => sentTo('resume').length === {attempt}")
        run(
            page,
            "answer('resume', {type: 'resumed', channel: 'room', last_seq: 3, more: false,"
            " messages: [{channel: 'room', seq: 3, data: {n: 3}}]});",
        )
    assert page.evaluate("() => seen.filter((e) => e[0] === 'resume_failed')") == [
        ["resume_failed", {"channel": "room", "after": 1, "lastSeq": 2}]
    ]
    assert [seq for _, seq, _ in published(page)] == [1, 3]


def test_the_connect_channel_is_resumed_without_a_subscribe(page: Page) -> None:
    run(page, "await start({channel: 'lobby'}); current().open();")
    assert page.evaluate("() => new URL(current().url).searchParams.get('channel')") == "lobby"
    push(page, envelope("lobby", 7))
    run(page, "current().drop(1006);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open();")
    assert page.evaluate("() => sentTo('subscribe')") == []
    assert page.evaluate("() => sentTo('resume')") == [
        {"handler": "resume", "channel": "lobby", "after": 7}
    ]


def test_presence_members_follow_the_events(page: Page) -> None:
    run(page, "await start(); current().open(); socket.subscribe('presence-room');")
    run(
        page,
        "answer('subscribe', {type: 'subscribed', channel: 'presence-room', members: ["
        "{user_id: 1, info: {username: 'alice'}}]});",
    )
    push(
        page,
        {"channel": "presence-room", "event": "member_added", "member": {"user_id": 2}},
        {"channel": "presence-room", "event": "member_removed", "member": {"user_id": 1}},
    )
    assert page.evaluate("() => socket.members('presence-room')") == [{"user_id": 2}]
    assert page.evaluate("() => seen.map((e) => e[0])") == [
        "subscribed",
        "member_added",
        "member_removed",
    ]


def test_unsubscribe_leaves_for_good(page: Page) -> None:
    subscribed_room(page)
    push(page, envelope("room", 1))
    run(page, "socket.unsubscribe('room');")
    assert page.evaluate("() => sentTo('unsubscribe')") == [
        {"handler": "unsubscribe", "channel": "room"}
    ]
    run(page, "answer('unsubscribe', {type: 'unsubscribed', channel: 'room'});")
    push(page, envelope("room", 2))
    assert [seq for _, seq, _ in published(page)] == [1]
    assert page.evaluate("() => socket.channels") == []
    run(page, "current().drop(1006);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open();")
    assert page.evaluate("() => current().sent") == []


def test_a_revoked_channel_is_reported_and_not_asked_for_again(page: Page) -> None:
    run(page, "await start({channel: 'lobby'}); current().open(); socket.subscribe('room');")
    run(page, "answer('subscribe', {type: 'subscribed', channel: 'room'});")
    push(page, envelope("room", 1), envelope("lobby", 1))
    push(page, {"type": "revoked", "channel": "room"}, {"type": "revoked", "channel": "lobby"})
    push(page, envelope("room", 2), envelope("lobby", 2))  # already on their way
    assert page.evaluate("() => seen.filter((e) => e[0] === 'revoked').map((e) => e[1])") == [
        {"channel": "room"},
        {"channel": "lobby"},
    ]
    assert published(page) == [["room", 1, {"n": 1}], ["lobby", 1, {"n": 1}]]
    assert page.evaluate("() => socket.channels") == []
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message')") == []
    run(page, "current().drop(1006);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open();")
    # Neither the $connect channel in the URL nor a subscribe: the server said no.
    assert "channel=" not in page.evaluate("() => current().url")
    assert page.evaluate("() => current().sent") == []


def test_a_refused_subscribe_is_reported_undelivered(page: Page) -> None:
    run(page, "await start({ackTimeoutSeconds: 0.1}); current().open(); socket.subscribe('x');")
    push(page, {"error": "Not allowed to join this channel."})
    page.wait_for_function("() => seen.some((e) => e[0] === 'error')")
    errors = page.evaluate("() => seen.filter((e) => e[0] === 'error').map((e) => e[1])")
    assert [(e["kind"], e["message"]["handler"], e["message"]["channel"]) for e in errors] == [
        ("undelivered", "subscribe", "x")
    ]


def test_a_refusal_that_names_the_message_is_reported_at_once(page: Page) -> None:
    # The acknowledgement wait is far longer than the test: only the refusal can end it.
    run(page, "await start({ackTimeoutSeconds: 600}); current().open(); socket.subscribe('x');")
    page.evaluate(
        "() => current().push({error: 'Not allowed to join this channel.',"
        " refused: current().sent.find((f) => f.handler === 'subscribe').client_message_id})"
    )
    page.wait_for_function("() => seen.some((e) => e[0] === 'error')", timeout=5_000)
    errors = page.evaluate("() => seen.filter((e) => e[0] === 'error').map((e) => e[1])")
    assert [(e["kind"], e["reason"], e["message"]["channel"]) for e in errors] == [
        ("undelivered", "Not allowed to join this channel.", "x")
    ]
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message').length") == 0


def test_each_subscription_is_asked_for_once_per_connection(page: Page) -> None:
    run(
        page,
        "await start(); socket.subscribe('b');"
        " socket.addEventListener('open', () => socket.subscribe('a'));"
        " current().open(); socket.subscribe('b'); socket.subscribe('a');",
    )
    assert page.evaluate("() => sentTo('subscribe')") == [
        {"handler": "subscribe", "channel": "b"},
        {"handler": "subscribe", "channel": "a"},
    ]


def test_a_message_nobody_answers_is_reported_when_the_wait_runs_out(page: Page) -> None:
    run(page, "await start({ackTimeoutSeconds: 0.2}); current().open(); socket.send({n: 1});")
    # An answer that names no message (a refusal before the id was read) ends nothing.
    push(page, {"error": "Body is not JSON."})
    page.wait_for_function("() => seen.some((e) => e[0] === 'error')", timeout=5_000)
    errors = page.evaluate("() => seen.filter((e) => e[0] === 'error').map((e) => e[1])")
    assert [(e["kind"], e["reason"], e["message"]["n"]) for e in errors] == [
        ("undelivered", "no acknowledgement within 0.2 s", 1)
    ]
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message').map((e) => e[1])") == [
        {"error": "Body is not JSON."}
    ]
