"""The adaptive rate: cut once per round of 429s, never below its floor."""

from __future__ import annotations

import asyncio

import pytest

from django_aws_api_gateway_websockets import pacing


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_429_cuts_the_rate_once_per_round() -> None:
    clock = Clock()
    rate = pacing.AdaptiveRate(1000, clock)
    sent_before = clock.now

    clock.now += 0.1
    rate.throttled(sent_before)
    # Other 429s of requests sent at the old rate cut nothing more.
    rate.throttled(sent_before)
    rate.throttled(sent_before + 0.05)

    assert rate.rate == pytest.approx(1000 * pacing.DECREASE)

    # A request sent after the cut and still throttled: the new rate is too high too.
    clock.now += 0.1
    rate.throttled(clock.now - 0.01)

    assert rate.rate == pytest.approx(1000 * pacing.DECREASE**2)


def test_the_rate_never_falls_below_its_floor() -> None:
    clock = Clock()
    rate = pacing.AdaptiveRate(100, clock)

    for _ in range(50):
        clock.now += 1
        rate.throttled(clock.now)

    assert rate.rate == pacing.MIN_RATE


def test_requests_beyond_the_rate_wait_their_turn_in_order() -> None:
    async def send(count: int) -> list[tuple[int, float]]:
        loop = asyncio.get_running_loop()
        rate = pacing.AdaptiveRate(200, loop.time)
        given: list[tuple[int, float]] = []

        async def one(n: int) -> None:
            given.append((n, await rate.wait()))

        await asyncio.gather(*(one(n) for n in range(count)))
        return given

    given = asyncio.run(send(20))

    # First come, first served, each at or after the one before.
    assert [n for n, _ in given] == list(range(20))
    assert [at for _, at in given] == sorted(at for _, at in given)
    # Each slot starts at least 1/rate after the one before (less the slack a
    # late timer may catch up). The rate grows while requests wait, but not by
    # half within these 0.1 s unless the loop stalls, which lengthens the span anyway.
    assert given[-1][1] - given[0][1] >= 19 / (200 * 1.5) - 2 * pacing.SLACK_SECONDS
