"""The history settings are checked: a bad bound fails ``manage.py check``."""

from __future__ import annotations

import pytest

from tests.checks.test_settings_checks import check_fails, ids_for


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("history_max_messages", 0),
        ("history_max_age_seconds", 0),
        ("resume_max_messages", 0),
        ("resume_max_messages", -5),
        ("publish_background_threshold", -1),
    ],
)
def test_out_of_range_fails_check(key: str, value: int) -> None:
    message = check_fails(WEBSOCKETS={key: value})
    assert "dagw.E003" in message and key in message


@pytest.mark.parametrize(
    "key",
    [
        "history_max_messages",
        "history_max_age_seconds",
        "resume_max_messages",
        "publish_background_threshold",
    ],
)
def test_wrong_types_fail_check(key: str) -> None:
    assert ids_for({key: "10"}) == ["dagw.E002"]


def test_zero_sends_every_publish_from_background_tasks() -> None:
    assert ids_for({"publish_background_threshold": 0}) == []
