"""Concurrent publishers on an SQLite *file* database, in a process of its own.

The suite's SQLite database is in memory with a shared cache, where a second
writer fails at once instead of waiting for the lock, so the SQLite half of the
concurrency test runs here: ``python -m tests.channels_history.file_sqlite_publishers
PATH THREADS PUBLISHES`` migrates a fresh database at PATH, publishes from
THREADS threads, and prints the seqs each channel handed out as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import threading

CHANNELS = ("news", "sport")


def run_publishers(threads: int, publishes: int) -> tuple[dict[str, list[int]], list[str]]:
    """``threads`` threads each publishing ``publishes`` times, spread over ``CHANNELS``.

    Returns the seqs each channel handed out, and the errors the threads met.
    """
    from django.db import connections

    from django_aws_api_gateway_websockets.publishing import publish

    start = threading.Barrier(threads)
    seqs: dict[str, list[int]] = {channel: [] for channel in CHANNELS}
    errors: list[str] = []
    lock = threading.Lock()

    def publisher(number: int) -> None:
        try:
            start.wait()
            for i in range(publishes):
                channel = CHANNELS[(number + i) % len(CHANNELS)]
                seq = publish(channel, {"from": number, "i": i}).seq
                with lock:
                    seqs[channel].append(seq)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=publisher, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return seqs, errors


def main(path: str, threads: int, publishes: int) -> dict[str, object]:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django
    from django.conf import settings

    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path}}
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from django_aws_api_gateway_websockets.models import ChannelMessage, ChannelSequence

    call_command("migrate", verbosity=0)
    connections.close_all()
    seqs, errors = run_publishers(threads, publishes)
    return {
        "seqs": seqs,
        "errors": errors,
        "stored": {
            channel: list(
                ChannelMessage.objects.filter(channel_name=channel)
                .order_by("seq")
                .values_list("seq", flat=True)
            )
            for channel in CHANNELS
        },
        "last_seq": dict(ChannelSequence.objects.values_list("channel_name", "last_seq")),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
