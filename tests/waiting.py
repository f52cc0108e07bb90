"""Waiting for something to happen in another thread or process: poll it, with a deadline.

A fixed sleep either wastes time or, on a loaded machine, is too short; this
returns as soon as the condition holds and fails with ``what`` when it never does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Often enough that a waiting test ends promptly, rarely enough to cost nothing.
POLL_SECONDS = 0.02


def _expired(timeout: float, what: str) -> Callable[[], None]:
    """A check that raises once ``timeout`` seconds have passed since this call."""
    deadline = time.monotonic() + timeout

    def check() -> None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {timeout:g} s")

    return check


def wait_until(
    condition: Callable[[], T], *, timeout: float = 10.0, what: str = "the condition"
) -> T:
    """``condition()``'s first true value; AssertionError after ``timeout`` seconds."""
    check = _expired(timeout, what)
    while not (value := condition()):
        check()
        time.sleep(POLL_SECONDS)
    return value


async def wait_until_async(
    condition: Callable[[], T], *, timeout: float = 10.0, what: str = "the condition"
) -> T:
    """``wait_until`` inside an event loop: the loop keeps running while it waits."""
    check = _expired(timeout, what)
    while not (value := condition()):
        check()
        await asyncio.sleep(POLL_SECONDS)
    return value
