"""Trimming the history: cleanup.trim_channel_history, its command and its task."""

from __future__ import annotations

from datetime import timedelta
from importlib.util import find_spec
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from django_aws_api_gateway_websockets import cleanup, history, tasks
from django_aws_api_gateway_websockets.models import ChannelMessage, ChannelSequence

pytestmark = pytest.mark.django_db
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"


def keep(count: int, age: int) -> dict[str, int]:
    return {"history_max_messages": count, "history_max_age_seconds": age}


def make_history(channel: str, count: int, *, age_seconds: float = 0) -> None:
    """Messages 1..count of ``channel``, created ``age_seconds`` ago, and its sequence."""
    created = timezone.now() - timedelta(seconds=age_seconds)
    last = ChannelSequence.objects.filter(channel_name=channel).first()
    start = last.last_seq if last else 0
    messages = [
        ChannelMessage(channel_name=channel, seq=start + n, data=str(start + n))
        for n in range(1, count + 1)
    ]
    ChannelMessage.objects.bulk_create(messages)
    ChannelMessage.objects.filter(channel_name=channel, seq__gt=start).update(created_on=created)
    ChannelSequence.objects.update_or_create(
        channel_name=channel, defaults={"last_seq": start + count}
    )


def kept() -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for channel, seq in ChannelMessage.objects.order_by("channel_name", "seq").values_list(
        "channel_name", "seq"
    ):
        rows.setdefault(channel, []).append(seq)
    return rows


def test_trims_by_count_per_channel_and_by_age(settings: Any) -> None:
    settings.WEBSOCKETS = keep(count=3, age=3600)
    make_history("news", 2, age_seconds=4000)  # seqs 1, 2: too old
    make_history("news", 3)  # seqs 3..5: kept (the last 3)
    make_history("sport", 5)  # seqs 1..5: 1 and 2 beyond the count
    make_history("quiet", 2)  # within both bounds

    result = cleanup.trim_channel_history()

    assert (result.by_age, result.by_count, result.deleted) == (2, 2, 4)
    assert kept() == {"news": [3, 4, 5], "quiet": [1, 2], "sport": [3, 4, 5]}
    # The sequences stay: a channel never starts over at 1.
    assert ChannelSequence.objects.get(channel_name="news").last_seq == 5


def test_what_is_trimmed_is_exactly_what_resume_would_not_serve(settings: Any) -> None:
    settings.WEBSOCKETS = keep(count=4, age=60)
    make_history("news", 3, age_seconds=120)
    make_history("news", 6)
    # Seqs 1 to 9; the last 4 (6 to 9) are kept, so resume after 4 cannot be served.
    assert history.read_missed("news", 4).failed
    assert not history.read_missed("news", 5).failed
    cleanup.trim_channel_history()
    assert kept() == {"news": [6, 7, 8, 9]}
    assert history.read_missed("news", 4).failed
    assert [len(history.read_missed("news", 5).envelopes)] == [4]


def test_dry_run_counts_without_deleting(settings: Any) -> None:
    settings.WEBSOCKETS = keep(count=3, age=3600)
    make_history("news", 2, age_seconds=4000)
    make_history("news", 3)
    make_history("sport", 4)

    result = cleanup.trim_channel_history(dry_run=True)

    # news 1 and 2 are both too old and beyond the count: counted once, by age.
    assert (result.by_age, result.by_count, result.dry_run) == (2, 1, True)
    assert ChannelMessage.objects.count() == 9


def test_deletes_in_batches_and_reports_each(settings: Any, monkeypatch: Any) -> None:
    settings.WEBSOCKETS = keep(count=2, age=3600)
    monkeypatch.setattr(cleanup, "HISTORY_TRIM_BATCH", 3)
    make_history("news", 9)
    seen: list[tuple[str, int]] = []

    result = cleanup.trim_channel_history(progress=lambda what, done: seen.append((what, done)))

    assert result.by_count == 7
    assert seen == [("count", 3), ("count", 6), ("count", 7)]
    assert kept() == {"news": [8, 9]}


def test_the_command_prints_progress_and_a_summary(settings: Any) -> None:
    settings.WEBSOCKETS = keep(count=2, age=3600)
    make_history("news", 1, age_seconds=7200)
    make_history("news", 4)
    out = StringIO()

    call_command("cleanupchannelhistory", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines == [
        "deleted 1 message(s) older than the age bound so far",
        "deleted 2 message(s) beyond the count bound so far",
        "Deleted 3 channel message(s): 1 older than 3600 s, 2 beyond the last 2 of their channel.",
    ]
    assert kept() == {"news": [4, 5]}


def test_the_command_dry_run_deletes_nothing(settings: Any) -> None:
    settings.WEBSOCKETS = keep(count=2, age=3600)
    make_history("news", 4)
    out = StringIO()
    call_command("cleanupchannelhistory", "--dry-run", stdout=out)
    assert out.getvalue() == (
        "Would delete 2 channel message(s): 0 older than 3600 s, "
        "2 beyond the last 2 of their channel.\n"
    )
    assert ChannelMessage.objects.count() == 4


def test_nothing_to_trim(settings: Any) -> None:
    out = StringIO()
    call_command("cleanupchannelhistory", stdout=out)
    assert out.getvalue().startswith("Deleted 0 channel message(s)")


def test_the_task_trims_and_reports(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": f"{FRAMEWORK}.backends.immediate.ImmediateBackend"}}
    settings.WEBSOCKETS = keep(count=1, age=3600)
    make_history("news", 3)

    result = tasks.trim_channel_history.enqueue()

    assert result.return_value == {"by_age": 0, "by_count": 2, "deleted": 2}
    assert kept() == {"news": [3]}
