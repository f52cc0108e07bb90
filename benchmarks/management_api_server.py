"""A Management API stand-in for throughput runs: aiohttp, one process, little bookkeeping.

    python benchmarks/management_api_server.py LATENCY_SECONDS [RATE BURST]

Prints its port on the first line, then answers ``POST|GET|DELETE
/<stage>/@connections/<id>`` after ``LATENCY_SECONDS``: 200 (204 for DELETE)
when the request carries a SigV4 ``Authorization`` header, 403 otherwise, as
tests/messaging/management_api.py does. With ``RATE`` and ``BURST`` it
enforces AWS's account throttle as a token bucket (the local gateway's own),
answering 429 ``LimitExceededException`` beyond it.

``GET /__stats`` answers the counts since ``POST /__reset``: POSTs delivered,
connection ids delivered to more than once, and 429s. That one keeps a thread
per connection and records every request, which is right for tests but would
cap a benchmark of 256 keep-alive connections at its own speed; this one waits
with ``asyncio.sleep``, so the client under test is what gets measured.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from django_aws_api_gateway_websockets.local_gateway.throttle import TokenBucket  # noqa: E402

SIGNED_PREFIX = "AWS4-HMAC-SHA256 "
THROTTLED_BODY = json.dumps({"message": "Rate exceeded"})


def make_handler(latency: float, bucket: TokenBucket | None) -> web.Server:
    delivered: Counter[str] = Counter()
    throttled = 0

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        nonlocal throttled
        await request.read()
        if request.path == "/__stats":
            repeated = sum(1 for count in delivered.values() if count > 1)
            stats = {"delivered": sum(delivered.values()), "repeated": repeated}
            return web.json_response({**stats, "throttled": throttled})
        if request.path == "/__reset":
            delivered.clear()
            throttled = 0
            return web.Response(status=204)
        if latency:
            await asyncio.sleep(latency)
        parts = request.path.split("/")
        if len(parts) != 4 or parts[2] != "@connections":
            return web.Response(status=404)
        if not request.headers.get("Authorization", "").startswith(SIGNED_PREFIX):
            return web.json_response({"message": "Forbidden"}, status=403)
        if bucket is not None and not bucket.take():
            throttled += 1
            return web.Response(
                status=429,
                text=THROTTLED_BODY,
                content_type="application/json",
                headers={"x-amzn-ErrorType": "LimitExceededException"},
            )
        if request.method == "POST":
            delivered[parts[3]] += 1
        return web.Response(status=204 if request.method == "DELETE" else 200)

    return web.Server(handle, access_log=None)


async def serve(latency: float, bucket: TokenBucket | None) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await asyncio.get_running_loop().create_server(
        make_handler(latency, bucket), sock=sock, backlog=1024
    )
    print(sock.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


@contextmanager
def running(latency: float, rate: float | None = None, burst: float | None = None) -> Iterator[str]:
    """This server in a child process, so that it does not share the client's GIL.

    Yields its endpoint (``ws://127.0.0.1:<port>``, as ``ApiGateway.api_endpoint``).
    """
    throttle = [str(rate), str(burst)] if rate else []
    process = subprocess.Popen(
        [sys.executable, __file__, str(latency), *throttle], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield f"ws://127.0.0.1:{process.stdout.readline().strip()}"
    finally:
        process.terminate()
        process.wait()


def stats(api_endpoint: str) -> dict[str, int]:
    """The counts of the stand-in at ``api_endpoint`` since its last reset."""
    url = api_endpoint.replace("ws://", "http://", 1) + "/__stats"
    with urllib.request.urlopen(url) as answer:
        found: dict[str, int] = json.load(answer)
    return found


def reset(api_endpoint: str) -> None:
    url = api_endpoint.replace("ws://", "http://", 1) + "/__reset"
    urllib.request.urlopen(urllib.request.Request(url, method="POST")).close()


if __name__ == "__main__":
    arguments = [float(value) for value in sys.argv[1:]]
    latency = arguments[0] if arguments else 0.0
    bucket = TokenBucket(arguments[1], burst=arguments[2]) if len(arguments) == 3 else None
    asyncio.run(serve(latency, bucket))
