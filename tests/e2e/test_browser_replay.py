"""Replay in Chromium through real processes: pages miss nothing, and show nothing twice.

The example chat publishes every chat message to its room (``publish``, with a
seq and history); a page resumes its room from the seq before the room's recent
messages when it opens, and GatewaySocket resumes after a reconnect and after a
lost send. The scripted, quick cases of the same logic: test_client_channels.py.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from .pages import BROWSER_MARKS, open_room, say
from .stack import Stack

pytestmark = BROWSER_MARKS

# A backoff of a few attempts, with the gateway's restart, on a busy machine.
RECONNECT_MS = 40_000


# A published message reaches the pages within this (the default 5 s is tight
# on a loaded machine).
LINES_MS = 15_000


def chat_lines(page: Page) -> Any:
    return expect(page.locator("#log li.chat"))


def shown_seqs(page: Page) -> list[str]:
    return page.eval_on_selector_all("#log li.chat", "items => items.map((i) => i.dataset.seq)")


def test_a_page_that_was_offline_shows_what_it_missed_once_in_order(
    browser: Browser,
    stack: Stack,
) -> None:
    # Django loaded now, so that it publishes at once while the pages are away.
    shell = stack.shell()
    # A page in a room where nothing was said yet: it has received no message,
    # yet resumes from the seq it opened at.
    quiet = open_room(browser, stack, "bob", "quiet-room")
    alice = open_room(browser, stack, "alice", "replay-room")
    bob = open_room(browser, stack, "bob", "replay-room")
    expect(alice.locator("#members li")).to_have_text(["alice", "bob"])
    say(bob, "one")
    chat_lines(alice).to_have_text(["bob: one"])
    say(alice, "two")
    for page in (alice, bob):
        chat_lines(page).to_have_text(["bob: one", "alice: two"])

    # The gateway dies without a $disconnect for anyone, as a crashed host would.
    stack.kill("gateway")
    for page in (alice, bob, quiet):
        expect(page.locator("#status")).to_have_text("reconnecting…")
    output, _ = shell.communicate(
        "from django_aws_api_gateway_websockets.publishing import publish\n"
        "for text in ('three', 'four'):\n"
        "    publish('replay-room', {'type': 'chat', 'user': 'server', 'text': text})\n"
        "publish('quiet-room', {'type': 'chat', 'user': 'server', 'text': 'hush'})\n",
        timeout=60,
    )
    assert shell.returncode == 0, output
    # Bob types while offline: his page keeps it until it is connected again,
    # and shows it as pending meanwhile.
    say(bob, "five")
    expect(bob.locator("#log li.pending")).to_have_text(["pending: five (sent once reconnected)"])
    stack.start("gateway")

    for page in (alice, bob, quiet):
        expect(page.locator("#status")).to_have_text("connected", timeout=RECONNECT_MS)
    chat_lines(quiet).to_have_text(["server: hush"], timeout=LINES_MS)
    # "five" is published when Bob's page is back, whichever page came back first.
    expected = ["bob: one", "alice: two", "server: three", "server: four", "bob: five"]
    for page in (alice, bob):
        chat_lines(page).to_have_text(expected, timeout=LINES_MS)
    expect(bob.locator("#log li.pending")).to_have_count(0)
    say(alice, "six")
    expected.append("alice: six")
    for page in (alice, bob):
        chat_lines(page).to_have_text(expected, timeout=LINES_MS)
        assert shown_seqs(page) == ["1", "2", "3", "4", "5", "6"]
        expect(page.locator("#members li")).to_have_text(["alice", "bob"])
    history = stack.sql(
        "SELECT seq FROM django_aws_api_gateway_websockets_channelmessage "
        "WHERE channel_name = 'replay-room' ORDER BY seq"
    )
    assert [seq for (seq,) in history] == [1, 2, 3, 4, 5, 6]


def test_a_page_opened_later_shows_the_rooms_recent_messages(
    browser: Browser,  # noqa: F811
    stack: Stack,
) -> None:
    shell = stack.shell()
    # More than the page shows (chat.views.RECENT_MESSAGES), published before it opens.
    output, _ = shell.communicate(
        "from django_aws_api_gateway_websockets.publishing import publish\n"
        "for n in range(1, 53):\n"
        "    publish('history-room', {'type': 'chat', 'user': 'server', 'text': str(n)})\n",
        timeout=60,
    )
    assert shell.returncode == 0, output

    alice = open_room(browser, stack, "alice", "history-room")

    recent = [f"server: {n}" for n in range(3, 53)]
    chat_lines(alice).to_have_text(recent, timeout=LINES_MS)
    assert shown_seqs(alice) == [str(n) for n in range(3, 53)]
    # A page opened now shows the same, and what is said next comes once, after it.
    bob = open_room(browser, stack, "bob", "history-room")
    chat_lines(bob).to_have_text(recent, timeout=LINES_MS)
    say(bob, "new")
    for page in (alice, bob):
        chat_lines(page).to_have_text([*recent, "bob: new"], timeout=LINES_MS)
        assert shown_seqs(page) == [str(n) for n in range(3, 54)]


def test_a_lost_send_is_fetched_while_connected(
    browser: Browser,
    stack: Stack,
) -> None:
    dropped: list[str] = []

    def lose_one_send(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            # The live publish frame of "lost" (a resume answer is a "resumed" frame).
            live = isinstance(message, str) and message.startswith('{"$ws":"publish"')
            if live and '"lost"' in message:
                dropped.append(message)
                return
            ws.send(message)

        server.on_message(to_page)

    context = browser.new_context()
    context.route_web_socket(re.compile(re.escape(stack.ws_url)), lose_one_send)
    alice = open_room(browser, stack, "alice", "gap-room", context=context)
    bob = open_room(browser, stack, "bob", "gap-room")
    expect(alice.locator("#members li")).to_have_text(["alice", "bob"])
    for text in ("first", "lost", "third"):
        say(bob, text)
    chat_lines(bob).to_have_text(["bob: first", "bob: lost", "bob: third"])
    # "third" showed the gap; the resume brought "lost" back, before "third".
    chat_lines(alice).to_have_text(["bob: first", "bob: lost", "bob: third"])
    assert shown_seqs(alice) == ["1", "2", "3"]
    assert len(dropped) == 1
