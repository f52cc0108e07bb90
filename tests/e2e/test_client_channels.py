"""GatewaySocket's channel logic in Chromium, against a scripted socket.

The page loads the shipped websocket-client.js with ``window.WebSocket``
replaced by a fake whose frames the test writes, so that every order of
arrival (late, duplicated, missing, across a reconnect) is exact and quick.
The same logic through real processes: test_browser_replay.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from django_aws_api_gateway_websockets import protocol

from .pages import BROWSER_MARKS
from .stack import REPO

pytestmark = BROWSER_MARKS

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
// The server's answer to the last message sent to `handler`, with its ack.
window.answer = (handler, frame) => {
  const sent = current().sent.filter((f) => f.handler === handler).pop();
  current().push(Object.assign({}, frame, { ack: sent.client_message_id }));
};
window.seen = [];
window.start = (options) => {
  const socket = new GatewaySocket(Object.assign(
    { url: "ws://gateway.invalid/production", gapGraceSeconds: 0.05, initialBackoffSeconds: 0.01 },
    options || {}
  ));
  for (const type of ["publish", "subscribed", "unsubscribed", "member_added",
                      "member_removed", "resume_failed", "revoked", "channel_changed",
                      "delivered", "message", "error"]) {
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
def page(browser: Browser) -> Iterator[Page]:
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
    """The server's publish frame of data ``{"n": seq}``."""
    return json.loads(protocol.publish_text(channel, seq, json.dumps({"n": seq})))  # type: ignore[no-any-return]


def resumed(channel: str, seqs: list[int], *, last_seq: int, more: bool) -> dict[str, Any]:
    messages = [protocol.publish_text(channel, seq, json.dumps({"n": seq})) for seq in seqs]
    text = protocol.resumed_text(channel, last_seq=last_seq, more=more, messages=messages)
    return json.loads(text)  # type: ignore[no-any-return]


def answer(page: Page, handler: str, frame: dict[str, Any]) -> None:
    """The server's answer to the last message sent to ``handler``, acknowledging it."""
    page.evaluate("([handler, frame]) => answer(handler, frame)", [handler, frame])


def push(page: Page, *frames: dict[str, Any]) -> None:
    page.evaluate("(frames) => frames.forEach((f) => current().push(f))", list(frames))


def published(page: Page) -> list[list[Any]]:
    return page.evaluate("() => published()")  # type: ignore[no-any-return]


def subscribed_room(page: Page, channel: str = "room") -> None:
    run(page, f"await start(); current().open(); socket.subscribe('{channel}');")
    answer(page, "subscribe", protocol.subscribed(channel))


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
    answer(page, "subscribe", protocol.subscribed("room"))
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
    answer(page, "resume", resumed("room", [2, 3, 4], last_seq=4, more=False))
    push(page, envelope("room", 4), envelope("room", 6))
    assert [seq for _, seq, _ in published(page)] == [1, 2, 3, 4, 5, 6]
    page.wait_for_timeout(200)
    assert len(page.evaluate("() => sentTo('resume')")) == 1


def test_a_reconnect_resubscribes_and_resumes_through_more(page: Page) -> None:
    subscribed_room(page)
    run(page, "socket.subscribe('presence-room');")
    answer(page, "subscribe", protocol.subscribed("presence-room", []))
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
    answer(page, "subscribe", protocol.subscribed("room"))
    assert page.evaluate("() => sentTo('resume')") == [
        {"handler": "resume", "channel": "room", "after": 2}
    ]
    answer(page, "resume", resumed("room", [3, 4], last_seq=6, more=True))
    assert page.evaluate("() => sentTo('resume')")[-1] == {
        "handler": "resume",
        "channel": "room",
        "after": 4,
    }
    answer(page, "resume", resumed("room", [5, 6], last_seq=6, more=False))
    assert [seq for _, seq, _ in published(page)] == [1, 2, 3, 4, 5, 6]
    # The answers are events of their own, never "message" events.
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message')") == []


def test_resume_failed_is_reported_and_delivery_goes_on_after_last_seq(page: Page) -> None:
    subscribed_room(page)
    push(page, envelope("room", 1))
    run(page, "current().drop(1001);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open();")
    answer(page, "subscribe", protocol.subscribed("room"))
    push(page, envelope("room", 11), envelope("room", 13))
    answer(page, "resume", json.loads(protocol.resume_failed_text("room", after=1, last_seq=10)))
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
        answer(page, "resume", resumed("room", [3], last_seq=3, more=False))
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
    answer(
        page,
        "subscribe",
        protocol.subscribed("presence-room", [protocol.member(1, {"username": "alice"})]),
    )
    push(
        page,
        protocol.member_added("presence-room", 2, {"username": "bob"}),
        protocol.member_removed("presence-room", 1),
    )
    assert page.evaluate("() => socket.members('presence-room')") == [
        {"user_id": 2, "info": {"username": "bob"}}
    ]
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
    answer(page, "unsubscribe", protocol.unsubscribed("room"))
    push(page, envelope("room", 2))
    assert [seq for _, seq, _ in published(page)] == [1]
    assert page.evaluate("() => socket.channels") == []
    run(page, "current().drop(1006);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open();")
    assert page.evaluate("() => current().sent") == []


def test_a_refused_subscribe_is_reported_undelivered(page: Page) -> None:
    run(page, "await start({ackTimeoutSeconds: 0.1}); current().open(); socket.subscribe('x');")
    # Refused before its id could be read: the wait for its acknowledgement ends it.
    push(page, protocol.error("Not allowed to join this channel."))
    page.wait_for_function("() => seen.filter((e) => e[0] === 'error').length === 2")
    # Two reports, in either order: the wait may run out before the refusal is pushed.
    errors = page.evaluate("() => seen.filter((e) => e[0] === 'error').map((e) => e[1])")
    refused = [e for e in errors if e["kind"] == "refused"]
    undelivered = [e for e in errors if e["kind"] == "undelivered"]
    assert refused == [{"kind": "refused", "reason": "Not allowed to join this channel."}]
    assert [(e["message"]["handler"], e["message"]["channel"]) for e in undelivered] == [
        ("subscribe", "x")
    ]


def test_a_refusal_that_names_the_message_is_reported_at_once(page: Page) -> None:
    # The acknowledgement wait is far longer than the test: only the refusal can end it.
    run(page, "await start({ackTimeoutSeconds: 600}); current().open(); socket.subscribe('x');")
    refused = page.evaluate(
        "() => current().sent.find((f) => f.handler === 'subscribe').client_message_id"
    )
    push(page, protocol.error("Not allowed to join this channel.", refused=refused))
    page.wait_for_function("() => seen.some((e) => e[0] === 'error')", timeout=5_000)
    errors = page.evaluate("() => seen.filter((e) => e[0] === 'error').map((e) => e[1])")
    assert [(e["kind"], e["reason"], e["message"]["channel"]) for e in errors] == [
        ("undelivered", "Not allowed to join this channel.", "x")
    ]
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message').length") == 0
    # Refused, it is forgotten: not listed, and not asked for again by a reconnect.
    assert page.evaluate("() => socket.channels") == []
    run(page, "current().drop(1006);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open(); socket.subscribe('y');")
    assert page.evaluate("() => sentTo('subscribe')") == [{"handler": "subscribe", "channel": "y"}]


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
    push(page, protocol.error("Body is not JSON."))
    page.wait_for_function("() => seen.filter((e) => e[0] === 'error').length === 2")
    # In either order: the wait may run out before the refusal is pushed.
    errors = page.evaluate("() => seen.filter((e) => e[0] === 'error').map((e) => e[1])")
    refused = [e for e in errors if e["kind"] == "refused"]
    undelivered = [e for e in errors if e["kind"] == "undelivered"]
    assert refused == [{"kind": "refused", "reason": "Body is not JSON."}]
    assert [(e["reason"], e["message"]["n"]) for e in undelivered] == [
        ("no acknowledgement within 0.2 s", 1)
    ]
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message')") == []


def test_application_messages_shaped_like_frames_reach_message_untouched(page: Page) -> None:
    subscribed_room(page)
    run(page, "socket.send({action: 'chat', text: 'hi'});")
    sent_id = page.evaluate(
        "() => current().sent.find((f) => f.action === 'chat').client_message_id"
    )
    lookalikes = [
        {"channel": "room", "seq": 1, "data": {"n": 1}},
        {"type": "subscribed", "channel": "room"},
        {"type": "revoked", "channel": "room"},
        {"channel": "room", "event": "member_added", "member": {"user_id": 9}},
        {"ack": sent_id},
        {"error": "no", "refused": sent_id},
    ]
    push(page, *lookalikes)
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message').map((e) => e[1])") == (
        lookalikes
    )
    # None of them was taken for the package's: no publish, no member, the chat
    # message still waits for its own acknowledgement, the channel is kept.
    assert published(page) == []
    assert page.evaluate("() => socket.members('room')") == []
    assert page.evaluate("() => seen.map((e) => e[0]).filter((t) => t !== 'message')") == [
        "subscribed"
    ]
    assert page.evaluate("() => socket.inFlight.map((entry) => entry.id)") == [sent_id]
    assert page.evaluate("() => socket.channels") == ["room"]
    # The package's frames still work beside them.
    push(page, envelope("room", 1))
    assert published(page) == [["room", 1, {"n": 1}]]


def test_a_reply_reaches_message_exactly_as_the_handler_returned_it(page: Page) -> None:
    run(page, "await start(); current().open(); socket.send({action: 'whoami'});")
    sent_id = page.evaluate("() => current().sent[0].client_message_id")
    returned = {"type": "subscribed", "channel": "room", "seq": 3, "data": 1, "ack": "mine"}
    push(page, protocol.reply(sent_id, returned), protocol.reply(sent_id, [1, 2]))
    assert page.evaluate("() => seen.map((e) => e[0])") == ["delivered", "message", "message"]
    assert page.evaluate("() => seen.filter((e) => e[0] === 'message').map((e) => e[1])") == [
        returned,
        [1, 2],
    ]


def test_revoked_leaves_the_channel_for_good(page: Page) -> None:
    run(page, "await start({channel: 'lobby'}); current().open(); socket.subscribe('room');")
    answer(page, "subscribe", protocol.subscribed("room"))
    push(page, envelope("room", 1), envelope("lobby", 1))
    push(page, protocol.revoked("room"), protocol.revoked("lobby"))
    push(page, envelope("room", 2), envelope("lobby", 2))
    assert published(page) == [["room", 1, {"n": 1}], ["lobby", 1, {"n": 1}]]
    assert page.evaluate("() => seen.filter((e) => e[0] === 'revoked').map((e) => e[1])") == [
        {"channel": "room"},
        {"channel": "lobby"},
    ]
    assert page.evaluate("() => socket.channels") == []
    run(page, "current().drop(1006);")
    page.wait_for_function("() => FakeSocket.all.length === 2")
    run(page, "current().open();")
    # Neither asked for again: not by subscribe, nor as the connect channel.
    assert page.evaluate("() => current().sent") == []
    assert page.evaluate("() => new URL(current().url).searchParams.get('channel')") is None


# One frame of each kind protocol.py declares, and the event it becomes.
def frame_cases(sent_id: str) -> dict[str, tuple[dict[str, Any], str]]:
    return {
        "ack": (protocol.ack(sent_id), "delivered"),
        "error": (protocol.error("Permission denied.", refused=sent_id), "error"),
        "publish": (envelope("room", 1), "publish"),
        "subscribed": (protocol.subscribed("room"), "subscribed"),
        "unsubscribed": (protocol.unsubscribed("other"), "unsubscribed"),
        "channel_changed": (protocol.channel_changed("room", "lobby"), "channel_changed"),
        "resumed": (resumed("room", [2], last_seq=2, more=False), "publish"),
        "resume_failed": (
            json.loads(protocol.resume_failed_text("room", after=2, last_seq=9)),
            "resume_failed",
        ),
        "member_added": (protocol.member_added("room", 1, {}), "member_added"),
        "member_removed": (protocol.member_removed("room", 1), "member_removed"),
        "revoked": (protocol.revoked("room"), "revoked"),
    }


def test_every_frame_of_protocol_py_becomes_its_event(page: Page) -> None:
    assert page.evaluate("() => GatewaySocket.PROTOCOL") == protocol.client_constants()
    cases = frame_cases("0" * 32)
    assert sorted(cases) == sorted(protocol.FRAMES), "a frame without a case here"
    for name, (frame, event) in cases.items():
        run(page, "seen.length = 0; await start(); current().open(); socket.subscribe('room');")
        run(page, "socket.send({action: 'x', client_message_id: '0'.repeat(32)});")
        answer(page, "subscribe", protocol.subscribed("room"))
        run(page, "seen.length = 0;")
        push(page, frame)
        kinds = page.evaluate("() => seen.map((e) => e[0])")
        assert event in kinds and "message" not in kinds, (name, kinds)


def test_an_invalid_message_id_of_the_pages_own_is_refused_at_once(page: Page) -> None:
    run(page, "await start(); current().open();")
    too_long = "x" * (protocol.MESSAGE_ID_MAX_LENGTH + 1)
    error = page.evaluate(
        "(id) => { try { socket.send({action: 'x', client_message_id: id}); }"
        " catch (error) { return error.message; } }",
        too_long,
    )
    assert error == "client_message_id must be 1 to 64 letters, digits, '-' or '_'"
    assert page.evaluate("() => current().sent") == []
    fits = "x" * protocol.MESSAGE_ID_MAX_LENGTH
    assert page.evaluate("(id) => socket.send({action: 'x', client_message_id: id})", fits) == fits


def test_a_frame_this_client_does_not_know_is_neither_a_message_nor_an_error(page: Page) -> None:
    subscribed_room(page)
    run(page, "seen.length = 0; window.onerror = (message) => seen.push(['uncaught', message]);")
    push(page, {"$ws": "from_a_newer_server", "channel": "room"}, {"$ws": "__defineGetter__"})
    push(page, envelope("room", 1))
    assert page.evaluate("() => seen.map((e) => e[0])") == ["publish"]
