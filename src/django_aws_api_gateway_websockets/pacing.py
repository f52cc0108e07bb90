"""Pacing of Management API requests: AWS's throttle is a rate to follow, not an error.

API Gateway limits every account, in each region, to a request rate (10,000/s
with a 5,000 burst by default) shared by all its APIs and all the processes
that call them; beyond it a request is answered 429. A fan-out larger than the
burst meets that limit by itself, so each process paces its own requests with
an adaptive limit, one per account and region:

- it starts at ``send_rate_initial_per_second``;
- a 429 cuts the rate by ``DECREASE`` (once per round: 429s for requests sent
  before the last cut were caused by the old rate and cut nothing more);
- while requests are waiting for it, the rate grows by ``PROBE_PER_SECOND`` of
  itself per second, so it finds room the others leave (it never grows while
  the process sends less than it allows, so an idle limit stays where AWS last
  put it).

Several processes that share one account each follow the 429s they get, so
together they settle at what AWS accepts. Everything here runs on one event
loop: no locks.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

# Multiplicative decrease on a throttled round. 0.7 rather than TCP's 0.5: the
# server's bucket refills while we send below its rate and pays that back when
# we probe above it, so a shallow sawtooth wastes less of the quota.
DECREASE = 0.7
# Growth per second while requests wait on the limit: back from a cut in about 2 s.
PROBE_PER_SECOND = 0.2
# The slowest a limit gets: a throttle that stays on still lets requests through.
MIN_RATE = 10.0
# Sends may run this far behind schedule and catch up at once: one timer per
# request at thousands a second would cost more than the requests.
SLACK_SECONDS = 0.01


class AdaptiveRate:
    """The request rate one process allows itself against one account and region.

    Requests beyond the rate wait in a queue and are released one slot at a
    time by one timer, so a change of rate applies to the very next slot.
    """

    def __init__(self, initial: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = max(MIN_RATE, float(initial))
        self._clock = clock
        self._next = clock()
        self._grown_at = self._next
        self._cut_at = float("-inf")
        self._waiters: deque[asyncio.Future[float]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def take(self) -> float | None:
        """A slot now if one is free (the time it was given, for ``throttled``), else None."""
        now = self._clock()
        if not self._waiters and self._next <= now + SLACK_SECONDS:
            self._grown_at = now
            self._take(now)
            return now
        return None

    async def wait(self) -> float:
        """Wait for a slot; returns when it was given, to pass to ``throttled``."""
        now = self.take()
        if now is not None:
            return now
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._schedule()
        return await waiter

    def throttled(self, sent_at: float) -> None:
        """A request given its slot at ``sent_at`` was answered 429."""
        if sent_at < self._cut_at:
            # Sent at the rate already cut: this round has been answered.
            return
        now = self._clock()
        self._cut_at = now
        self.rate = max(MIN_RATE, self.rate * DECREASE)
        self._next = max(self._next, now)

    def _take(self, now: float) -> None:
        # Idle time does not bank more than the slack.
        self._next = max(self._next, now - SLACK_SECONDS) + 1.0 / self.rate

    def _schedule(self) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(max(self._next, loop.time()), self._release)

    def _release(self) -> None:
        self._timer = None
        now = self._clock()
        # Requests are queueing on the limit: probe for more room.
        self.rate += self.rate * PROBE_PER_SECOND * max(0.0, now - self._grown_at)
        self._grown_at = now
        while self._waiters and self._next <= now + SLACK_SECONDS:
            waiter = self._waiters.popleft()
            if waiter.done():  # its sender was cancelled
                continue
            self._take(now)
            waiter.set_result(now)
        if self._waiters:
            self._schedule()
