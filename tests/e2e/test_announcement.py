"""An announcement reaches every room through enqueue_message and the real task worker."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.waiting import wait_until

from .clients import connect, logged_in, new_token, receive
from .stack import Stack

pytestmark = pytest.mark.e2e


def finished_send_tasks(stack: Stack) -> list[tuple[str, dict[str, object]]]:
    rows = stack.sql(
        "SELECT status, return_value FROM django_tasks_database_dbtaskresult "
        "WHERE task_path = 'django_aws_api_gateway_websockets.tasks.send_chunk' "
        "AND finished_at IS NOT NULL"
    )
    # PostgreSQL's driver decodes the JSON column; SQLite's gives its text.
    return [
        (str(status), value if isinstance(value, dict) else json.loads(str(value)))
        for status, value in rows
    ]


def test_an_announcement_reaches_every_room_through_the_worker(stack: Stack) -> None:
    alice, bob = logged_in(stack, "alice"), logged_in(stack, "bob")
    tasks_before = len(finished_send_tasks(stack))

    async def scenario() -> None:
        ws_alice = await connect(stack, new_token(stack, alice), "announce-a")
        ws_bob = await connect(stack, new_token(stack, bob), "announce-b")

        await ws_alice.send(json.dumps({"action": "announce", "text": "tea in the kitchen"}))
        for ws in (ws_alice, ws_bob):
            message = await receive(ws, "announcement")
            assert (message["user"], message["text"]) == ("alice", "tea in the kitchen")

        # A bad announcement is answered to its sender and enqueues nothing.
        await ws_bob.send(json.dumps({"action": "announce", "text": "  "}))
        assert (await receive(ws_bob, "error"))["error"] == "text must be a non-empty string"
        await ws_alice.close()
        await ws_bob.close()

    asyncio.run(scenario())
    # The worker records the task's result after the last message left it.
    wait_until(
        lambda: len(finished_send_tasks(stack)) > tasks_before,
        what="the announcement's send task finished",
    )
    tasks = finished_send_tasks(stack)
    assert len(tasks) == tasks_before + 1
    status, value = tasks[-1]
    assert status == "SUCCESSFUL"
    assert (
        isinstance(value["sent"], int) and value["sent"] >= 2
    )  # alice and bob (and any connection still open)
