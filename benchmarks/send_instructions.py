"""Instructions per message, counted by valgrind: a figure the machine's load does not move.

    python benchmarks/send_instructions.py            # 500 messages per sender (minutes)
    python benchmarks/send_instructions.py --count 1000

Runs the awscrt-signed ceiling and the default transport (``send_message`` on a
queryset) of ``benchmarks/send.py`` under ``valgrind --tool=callgrind``, each in
a fresh process: once sending only a 100-message warm-up, once sending the
warm-up and then ``--count`` messages. The difference of the two instruction
counts, divided by ``--count``, is what one message costs in this process (both
threads, Python and C; the stand-in runs in its own process, not counted).
Wall times under valgrind mean nothing; the counts do not depend on the load.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENDERS = ("ceiling, awscrt", "AiohttpTransport")
WARM_UP = 100
COLLECTED = re.compile(r"Collected : (\d+)")


def one(sender: str, count: int) -> None:
    """Inside valgrind: set up as send.py does, warm up, then send ``count`` messages."""
    sys.argv = [sys.argv[0]]
    sys.path.insert(0, str(ROOT))
    from django.conf import settings

    from benchmarks import management_api_server, send
    from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession

    # valgrind runs the process about 50 times slower: no request may time out.
    settings.WEBSOCKETS = {
        **settings.WEBSOCKETS,
        "send_connect_timeout_seconds": 600,
        "send_read_timeout_seconds": 600,
    }

    send.create_schema()
    gateway = ApiGateway.objects.create(
        api_name="bench", target_base_endpoint="https://app.example.com/ws/", api_id="bench"
    )
    WebSocketSession.objects.bulk_create(
        WebSocketSession(connection_id=f"conn{i:06d}", channel_name="bench", api_gateway=gateway)
        for i in range(max(count, WARM_UP))
    )
    sending = (
        send.Ceiling("awscrt").send if sender == SENDERS[0] else send.send_through(send.DEFAULT)
    )
    with management_api_server.running(0.02) as api_endpoint:
        ApiGateway.objects.filter(pk=gateway.pk).update(api_endpoint=api_endpoint)
        url = send.endpoint_url(api_endpoint)
        send.timed(sending, url, WARM_UP)
        if count:
            send.timed(sending, url, count)


def instructions(sender: str, count: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--one",
        sender,
        str(count),
    ]
    # A fixed hash seed: the same dict layouts in every run.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    found = COLLECTED.search(done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="messages counted per sender")
    parser.add_argument("--one", nargs=2, metavar=("SENDER", "COUNT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        one(arguments.one[0], int(arguments.one[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    count = arguments.count
    print(f"instructions per message, {count:,} messages after a {WARM_UP}-message warm-up")
    print(f"{'sender':<18} {'instructions/msg':>16} {'vs awscrt':>10}")
    runs = [(sender, n) for sender in SENDERS for n in (count, 0)]
    # Four processes at once: valgrind is slow, and the counts do not mind.
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        counted = dict(zip(runs, pool.map(lambda run: instructions(*run), runs), strict=True))
    per_message: dict[str, float] = {}
    for sender in SENDERS:
        per_message[sender] = (counted[sender, count] - counted[sender, 0]) / count
        ceiling = per_message[SENDERS[0]]
        print(
            f"{sender:<18} {per_message[sender]:>16,.0f} {per_message[sender] / ceiling:>9.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
