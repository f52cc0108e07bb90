"""The fixed-window counter behind $connect and token rate limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from django_aws_api_gateway_websockets import rate_limit
from django_aws_api_gateway_websockets.models import ConnectionRateLimit


@pytest.mark.parametrize(
    ("now", "minutes", "start"),
    [
        (datetime(2026, 1, 1, 10, 7, 31, tzinfo=UTC), 1, datetime(2026, 1, 1, 10, 7, tzinfo=UTC)),
        (datetime(2026, 1, 1, 10, 7, 31, tzinfo=UTC), 5, datetime(2026, 1, 1, 10, 5, tzinfo=UTC)),
        (datetime(2026, 1, 1, 10, 7, 31, tzinfo=UTC), 0, datetime(2026, 1, 1, 10, 7, tzinfo=UTC)),
    ],
)
def test_windows_are_aligned(now: datetime, minutes: int, start: datetime) -> None:
    assert rate_limit.window_start(now, minutes) == start


def test_one_statement_counts_every_key(db: None, django_assert_num_queries: object) -> None:
    with django_assert_num_queries(1):  # type: ignore[operator]
        first = rate_limit.count_attempt(["a", "b", "a"], window_minutes=1)
    second = rate_limit.count_attempt(["b"], window_minutes=1)

    assert first == {"a": 1, "b": 1}
    assert second == {"b": 2}
    assert ConnectionRateLimit.objects.count() == 2


def test_no_keys_no_query(db: None, django_assert_num_queries: object) -> None:
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert rate_limit.count_attempt([], window_minutes=1) == {}
