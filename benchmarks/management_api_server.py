"""A Management API stand-in for throughput runs: aiohttp, one process, no bookkeeping.

    python benchmarks/management_api_server.py LATENCY_SECONDS

Prints its port on the first line, then answers ``POST|GET|DELETE
/<stage>/@connections/<id>`` after ``LATENCY_SECONDS``: 200 (204 for DELETE)
when the request carries a SigV4 ``Authorization`` header, 403 otherwise, as
tests/messaging/management_api.py does. That one keeps a thread per connection
and records every request, which is right for tests but would cap a benchmark
of 256 keep-alive connections at its own speed; this one waits with
``asyncio.sleep``, so the client under test is what gets measured.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

SIGNED_PREFIX = "AWS4-HMAC-SHA256 "


def make_handler(latency: float) -> web.Server:
    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        if latency:
            await asyncio.sleep(latency)
        parts = request.path.split("/")
        if len(parts) != 4 or parts[2] != "@connections":
            return web.Response(status=404)
        if not request.headers.get("Authorization", "").startswith(SIGNED_PREFIX):
            return web.json_response({"message": "Forbidden"}, status=403)
        return web.Response(status=204 if request.method == "DELETE" else 200)

    return web.Server(handle, access_log=None)


async def serve(latency: float) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await asyncio.get_running_loop().create_server(
        make_handler(latency), sock=sock, backlog=1024
    )
    print(sock.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


@contextmanager
def running(latency: float) -> Iterator[str]:
    """This server in a child process, so that it does not share the client's GIL.

    Yields its endpoint (``ws://127.0.0.1:<port>``, as ``ApiGateway.api_endpoint``).
    """
    process = subprocess.Popen(
        [sys.executable, __file__, str(latency)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield f"ws://127.0.0.1:{process.stdout.readline().strip()}"
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    asyncio.run(serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0))
