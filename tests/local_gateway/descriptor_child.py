"""A local gateway in a process with few file descriptors, driven over stdin.

Run by test_descriptors.py: ``python -m tests.local_gateway.descriptor_child
TARGET_URL SOFT_LIMIT``. Prints its port, then answers one line per command:
``fill`` (open /dev/null until EMFILE: the count), ``free``, ``cpu`` (seconds of
CPU used so far), ``quit``.
"""

from __future__ import annotations

import logging
import os
import resource
import sys

from django_aws_api_gateway_websockets.local_gateway import GatewayConfig, GatewayThread


def main() -> None:
    target, soft = sys.argv[1], int(sys.argv[2])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    held: list[int] = []
    with GatewayThread(GatewayConfig.for_target(target)) as gateway_thread:
        print(gateway_thread.port, flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "fill":
                try:
                    while True:
                        held.append(os.open(os.devnull, os.O_RDONLY))
                except OSError:
                    pass
                print(len(held), flush=True)
            elif command == "free":
                while held:
                    os.close(held.pop())
                print("freed", flush=True)
            elif command == "cpu":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                print(usage.ru_utime + usage.ru_stime, flush=True)
            elif command == "quit":
                break


if __name__ == "__main__":
    main()
