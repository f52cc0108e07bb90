"""Concurrent publishers: every seq of a channel handed out once, none skipped."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from django_aws_api_gateway_websockets.models import ChannelMessage, ChannelSequence
from django_aws_api_gateway_websockets.testing.capture import Outbox

from .file_sqlite_publishers import CHANNELS, run_publishers

THREADS = 8
PUBLISHES_EACH = 25


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishers_get_contiguous_seqs_without_repeats(ws_outbox: Outbox) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "the suite's SQLite database is in memory with a shared cache, where a second "
            "writer fails at once (SQLITE_LOCKED) instead of waiting; "
            "test_concurrent_publishers_on_an_sqlite_file runs them on a file instead"
        )
    seqs, errors = run_publishers(THREADS, PUBLISHES_EACH)

    assert errors == []
    stored = {
        channel: list(
            ChannelMessage.objects.filter(channel_name=channel)
            .order_by("seq")
            .values_list("seq", flat=True)
        )
        for channel in CHANNELS
    }
    assert_contiguous(seqs, stored)
    assert sum(len(handed_out) for handed_out in seqs.values()) == THREADS * PUBLISHES_EACH
    assert dict(ChannelSequence.objects.values_list("channel_name", "last_seq")) == {
        channel: len(handed_out) for channel, handed_out in seqs.items()
    }


def assert_contiguous(seqs: dict[str, list[int]], stored: dict[str, list[int]]) -> None:
    for channel, handed_out in seqs.items():
        assert Counter(handed_out).most_common(1)[0][1] == 1, f"{channel}: a seq twice"
        assert sorted(handed_out) == list(range(1, len(handed_out) + 1)), f"{channel}: a gap"
        assert stored[channel] == sorted(handed_out)


def test_concurrent_publishers_on_an_sqlite_file(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only; the other databases race in-process above")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.channels_history.file_sqlite_publishers",
            str(tmp_path / "publishers.sqlite3"),
            str(THREADS),
            str(PUBLISHES_EACH),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    outcome = json.loads(completed.stdout)
    assert outcome["errors"] == []
    assert_contiguous(outcome["seqs"], outcome["stored"])
    assert sum(len(seqs) for seqs in outcome["seqs"].values()) == THREADS * PUBLISHES_EACH
    assert outcome["last_seq"] == {name: len(seqs) for name, seqs in outcome["seqs"].items()}
