"""Two tabs of one user joining or leaving a presence channel at the same instant (PostgreSQL).

Each thread is held right after its write (INSERT or DELETE, not committed) until
the other has written too: the moment where both would count the other's row
wrongly without the advisory lock. Exactly one member_added / member_removed
must reach the other members.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection

from django_aws_api_gateway_websockets import protocol, subscriptions
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.testing.capture import Outbox

from .conftest import events

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite lets one writer in at a time"
    ),
]

ROOM = "presence-room"
INFO = {"username": "alice"}
LOCK_SQL = "pg_advisory_xact_lock"


def at_once(work: Callable[[], Any], count: int = 2) -> None:
    """Run ``work`` in ``count`` threads, each with its own database connection."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []


def hold_after(monkeypatch: pytest.MonkeyPatch, name: str, barrier: threading.Barrier) -> None:
    """Make ``subscriptions.<name>`` wait for every thread once it has run (or, for
    ``_after_leaving``, before it runs)."""
    original = getattr(subscriptions, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        if name == "_after_leaving":
            barrier.wait(timeout=10)
            return original(*args, **kwargs)
        result = original(*args, **kwargs)
        barrier.wait(timeout=10)
        return result

    monkeypatch.setattr(subscriptions, name, held)


def without_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the advisory lock, and hold both threads after counting until both counted
    (so that neither commits before the other counts: the interleaving the lock prevents)."""
    run, count = subscriptions._run, subscriptions._counts_after_lock
    counted = threading.Barrier(2)

    def unlocked_run(db: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return [] if LOCK_SQL in sql else run(db, sql, params)

    def held_count(*args: Any) -> Any:
        result = count(*args)
        counted.wait(timeout=10)
        return result

    monkeypatch.setattr(subscriptions, "_run", unlocked_run)
    monkeypatch.setattr(subscriptions, "_counts_after_lock", held_count)


@pytest.fixture
def room(
    tab: Callable[..., str], ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> tuple[str, list[WebSocketSession]]:
    """Bob in the room; two tabs of Alice's open but not in it yet."""
    bobs = tab(bob, channel=ROOM)
    alices = [tab(user, channel="lobby") for _ in range(2)]
    sessions = list(WebSocketSession.objects.filter(connection_id__in=alices))
    return bobs, sessions


def each_at_once(sessions: list[WebSocketSession], work: Callable[[WebSocketSession], Any]) -> None:
    """``work(session)`` for every session, each in its own thread, all at once."""
    turn = iter(sessions)
    lock = threading.Lock()

    def next_one() -> None:
        with lock:
            session = next(turn)
        work(session)

    at_once(next_one, count=len(sessions))


def kinds(outbox: Outbox, connection_id: str) -> list[str]:
    return [event[protocol.FRAME_KEY] for event in events(outbox, connection_id)]


@pytest.mark.parametrize("locked", [True, False], ids=["with lock", "without lock"])
def test_two_tabs_joining_at_once_add_the_member_once(
    room: tuple[str, list[WebSocketSession]],
    ws_outbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
    locked: bool,
) -> None:
    bobs, sessions = room
    hold_after(monkeypatch, "_insert", threading.Barrier(2))
    if not locked:
        without_the_lock(monkeypatch)

    each_at_once(sessions, lambda session: subscriptions.join(session, {ROOM: INFO}))

    # Without the lock both count only their own row: the race is real.
    assert kinds(ws_outbox, bobs) == (["member_added"] if locked else ["member_added"] * 2)


@pytest.mark.parametrize("locked", [True, False], ids=["with lock", "without lock"])
def test_two_tabs_leaving_at_once_remove_the_member_once(
    room: tuple[str, list[WebSocketSession]],
    ws_outbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
    locked: bool,
) -> None:
    bobs, sessions = room
    for session in sessions:
        subscriptions.join(session, {ROOM: INFO})
    hold_after(monkeypatch, "_after_leaving", threading.Barrier(2))
    if not locked:
        without_the_lock(monkeypatch)

    each_at_once(sessions, lambda session: subscriptions.leave(session, ROOM))

    # Without the lock each still sees the other's row: nobody says "removed".
    expected = ["member_added", "member_removed"] if locked else ["member_added"]
    assert kinds(ws_outbox, bobs) == expected
