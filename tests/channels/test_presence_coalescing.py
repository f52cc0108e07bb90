"""Toggling a presence subscription cannot multiply sends (issue 15's finding), and the
members are always told the final state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib.util import find_spec
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import F

from django_aws_api_gateway_websockets import coalescing
from django_aws_api_gateway_websockets.cleanup import clear_sessions
from django_aws_api_gateway_websockets.models import PresenceAnnouncement
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox

from .conftest import events, send

pytestmark = pytest.mark.django_db(transaction=True)

Tab = Callable[..., str]
ROOM = "presence-room"
MEMBERS = 20
# Longer than any test takes on a loaded machine: "after the window" is made by
# moving the last announcement back, never by waiting.
WINDOW = 600
TOGGLES = 10
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"
# Keeps what is enqueued until the test runs it, as a worker would later.
DEFERRING_BACKEND = f"{FRAMEWORK}.backends.dummy.DummyBackend"
IMMEDIATE_BACKEND = f"{FRAMEWORK}.backends.immediate.ImmediateBackend"


@pytest.fixture
def room(tab: Tab, settings: Any) -> tuple[str, list[str]]:
    """A presence channel of 20 users, one tab each: the toggler's tab, and the others'."""
    settings.WEBSOCKETS = {"rate_limit_max_attempts": 1000, "presence_coalesce_seconds": WINDOW}
    settings.TASKS = {"default": {"BACKEND": DEFERRING_BACKEND}}
    users = [
        get_user_model().objects.create_user(username=f"member{i}", password="x")
        for i in range(MEMBERS)
    ]
    tabs = [tab(user, channel=ROOM) for user in users]
    return tabs[0], tabs[1:]


def toggle(ws: WebSocketTestClient, connection_id: str, times: int) -> None:
    for i in range(times):
        handler = "unsubscribe" if i % 2 == 0 else "subscribe"
        status, _ = send(ws, connection_id, {"handler": handler, "channel": ROOM})
        assert status == 200


def posts_to(outbox: Outbox, connection_ids: list[str]) -> int:
    return sum(len(outbox.data_for(connection_id)) for connection_id in connection_ids)


def run_due_flushes() -> int:
    """Run the flush tasks enqueued so far, as the worker would once they are due."""
    backend = coalescing.flush_presence.get_backend()
    due = list(backend.results)
    backend.results.clear()
    for result in due:
        assert result.task.name == coalescing.flush_presence.name
        assert result.task.run_after is not None
        result.task.call(*result.args, **result.kwargs)
    return len(due)


def last_event_about(outbox: Outbox, connection_id: str, user_id: Any) -> str | None:
    about = [e for e in events(outbox, connection_id) if e["member"]["user_id"] == user_id]
    return str(about[-1]["$ws"]) if about else None


def test_without_a_deferring_backend_every_toggle_is_sent(
    room: tuple[str, list[str]], ws: WebSocketTestClient, ws_outbox: Outbox, settings: Any
) -> None:
    # The finding's shape, with coalescing impossible (the immediate backend):
    # every toggle is one event to each of the 19 others.
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE_BACKEND}}
    toggler, others = room
    ws_outbox.clear()

    toggle(ws, toggler, TOGGLES)

    assert posts_to(ws_outbox, others) == TOGGLES * (MEMBERS - 1)


@pytest.mark.parametrize(
    ("toggles", "final_event"),
    [
        # Ends subscribed: what the others knew (present) was right all along.
        (TOGGLES, None),
        # Ends unsubscribed: one member_removed each, from the flush.
        (TOGGLES - 1, "member_removed"),
    ],
)
def test_toggling_is_coalesced_and_the_final_state_is_announced(
    room: tuple[str, list[str]],
    ws: WebSocketTestClient,
    ws_outbox: Outbox,
    toggles: int,
    final_event: str | None,
) -> None:
    toggler, others = room
    user_id = PresenceAnnouncement.objects.get(user__username="member0").user_id
    ws_outbox.clear()

    toggle(ws, toggler, toggles)
    held = posts_to(ws_outbox, others)
    flushes = run_due_flushes()

    # Within the window, every change is held; one flush is enqueued for it.
    assert (held, flushes) == (0, 1)
    sent = posts_to(ws_outbox, others)
    assert sent == (MEMBERS - 1 if final_event == "member_removed" else 0)
    for other in others:
        assert last_event_about(ws_outbox, other, user_id) == final_event


def test_a_change_after_the_window_is_sent_at_once_and_opens_a_new_one(
    room: tuple[str, list[str]],
    ws: WebSocketTestClient,
    ws_outbox: Outbox,
) -> None:
    toggler, others = room
    announcement = PresenceAnnouncement.objects.get(user__username="member0")
    # As if the member_added of its connect was sent a whole window ago.
    PresenceAnnouncement.objects.filter(pk=announcement.pk).update(
        announced_on=announcement.announced_on - timedelta(seconds=WINDOW)
    )
    ws_outbox.clear()

    toggle(ws, toggler, 1)  # leaves: sent at once, no flush needed
    assert posts_to(ws_outbox, others) == MEMBERS - 1
    assert run_due_flushes() == 0

    toggle(ws, toggler, 2)  # leaves and joins again within the new window: held
    assert posts_to(ws_outbox, others) == MEMBERS - 1
    due = coalescing.flush_presence.get_backend().results[0].task.run_after
    assert due == PresenceAnnouncement.objects.get(pk=announcement.pk).flush_due
    assert run_due_flushes() == 1

    assert posts_to(ws_outbox, others) == 2 * (MEMBERS - 1)
    for other in others:
        assert last_event_about(ws_outbox, other, announcement.user_id) == "member_added"
    assert PresenceAnnouncement.objects.get(pk=announcement.pk).flush_due is None


def test_a_late_or_repeated_flush_sends_nothing_wrong(
    room: tuple[str, list[str]],
    ws: WebSocketTestClient,
    ws_outbox: Outbox,
) -> None:
    toggler, others = room
    user: AbstractUser = get_user_model().objects.get(username="member0")
    toggle(ws, toggler, 1)
    (result,) = coalescing.flush_presence.get_backend().results
    ws_outbox.clear()

    for _ in range(2):
        result.task.call(*result.args, **result.kwargs)

    assert posts_to(ws_outbox, others) == MEMBERS - 1  # one member_removed each, once
    for other in others:
        assert last_event_about(ws_outbox, other, user.pk) == "member_removed"


def test_clearing_sessions_deletes_announcements_that_decide_nothing_any_more(
    room: tuple[str, list[str]], ws: WebSocketTestClient
) -> None:
    toggler, _ = room
    toggle(ws, toggler, 1)  # member0's announcement now has a flush due
    PresenceAnnouncement.objects.update(announced_on=F("announced_on") - timedelta(seconds=WINDOW))

    clear_sessions()

    # Past the window: only the one a flush will still read is kept.
    assert list(PresenceAnnouncement.objects.values_list("user__username", flat=True)) == [
        "member0"
    ]
