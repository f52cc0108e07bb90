"""How many idle connections the local gateway holds, at what memory, and how fast it answers.

    .venv/bin/python benchmarks/local_gateway.py [--connections 10000] [--messages 2000]

The gateway and a trivial backend (answers every route with 200, echoes
$default) run in a child process, so its RSS is the gateway's own; this process
plays the clients. All traffic stays on 127.0.0.1. New connections are opened in
batches paced to the gateway's default quota (500 per second), as on AWS.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from django_aws_api_gateway_websockets.local_gateway import GatewayConfig, LocalGateway

HOST = "127.0.0.1"
# File descriptors per process: one per connection plus the backend pool and slack.
FD_SLACK = 1000


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# The child: gateway + trivial backend ------------------------------------------------------


async def serve(connections: int) -> None:
    raise_fd_limit(connections + FD_SLACK)
    counts = {"connect": 0, "default": 0, "disconnect": 0}

    async def backend(request: web.Request) -> web.Response:
        route = request.match_info["route"]
        body = await request.read()
        counts[route] = counts.get(route, 0) + 1
        return web.Response(body=body if route == "default" else b"")

    app = web.Application()
    app.router.add_post("/ws/{route}", backend)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0, backlog=1024)
    await site.start()
    backend_port = runner.addresses[0][1]

    gateway = LocalGateway(GatewayConfig.for_target(f"http://{HOST}:{backend_port}/ws/"))
    await gateway.start(HOST, 0)
    print(f"PORT {gateway.port}", flush=True)
    # The parent closes our stdin when it is done.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await gateway.stop()
    await runner.cleanup()
    print("COUNTS " + " ".join(f"{key}={value}" for key, value in counts.items()), flush=True)


# The parent: clients and measurements ------------------------------------------------------


async def open_connections(
    url: str, count: int, batch: int, per_second: float
) -> tuple[list[ClientConnection], int]:
    clients: list[ClientConnection] = []
    refused = 0

    async def one() -> None:
        nonlocal refused
        while True:
            try:
                clients.append(
                    await connect(url, ping_interval=None, compression=None, open_timeout=60)
                )
                return
            except InvalidStatus as exc:
                if exc.response.status_code != 429:
                    raise
                refused += 1
                await asyncio.sleep(0.5)

    while len(clients) < count:
        started = time.monotonic()
        size = min(batch, count - len(clients))
        await asyncio.gather(*(one() for _ in range(size)))
        # Stay within the gateway's new-connections quota.
        await asyncio.sleep(max(0.0, size / per_second - (time.monotonic() - started)))
    return clients, refused


async def round_trips(client: ClientConnection, messages: int) -> list[float]:
    timings = []
    for number in range(messages):
        started = time.perf_counter()
        await client.send(f'{{"n": {number}}}')
        await client.recv()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    raise_fd_limit(args.connections + FD_SLACK)
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--connections", str(args.connections)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    port = int(child.stdout.readline().split()[1])
    url = f"ws://{HOST}:{port}/production"
    results: dict[str, Any] = {}
    try:
        # Warm up (imports, pools), then measure the gateway at rest.
        async with connect(url, compression=None) as warm:
            await round_trips(warm, 50)
        await asyncio.sleep(0.5)
        results["rss_before"] = rss_kib(child.pid)

        started = time.monotonic()
        clients, refused = await open_connections(
            url, args.connections, args.batch, args.per_second
        )
        results["open_seconds"] = time.monotonic() - started
        results["refused_429"] = refused
        await asyncio.sleep(1.0)
        results["held"] = sum(1 for client in clients if client.state.name == "OPEN")
        results["rss_after"] = rss_kib(child.pid)

        # Round trips while all the idle connections are held.
        results["timings"] = await round_trips(clients[0], args.messages)

        started = time.monotonic()
        for start in range(0, len(clients), args.batch):
            batch = clients[start : start + args.batch]
            await asyncio.gather(*(client.close() for client in batch))
        results["close_seconds"] = time.monotonic() - started
    finally:
        child.stdin.close()
        results["counts"] = child.stdout.read().strip()
        child.wait(60)
    return results


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    before, after = results["rss_before"], results["rss_after"]
    per_connection = (after - before) * 1024 / max(results["held"], 1)
    timings = results["timings"]
    rows = [
        ("connections requested", f"{args.connections:,}"),
        ("connections held (OPEN)", f"{results['held']:,}"),
        ("time to open, paced at quota", f"{results['open_seconds']:.1f} s"),
        ("handshakes refused with 429 (retried)", f"{results['refused_429']:,}"),
        ("gateway RSS before", f"{before / 1024:.1f} MiB"),
        ("gateway RSS with all held", f"{after / 1024:.1f} MiB"),
        ("memory per connection", f"{per_connection / 1024:.1f} KiB"),
        (f"round trip p50 ({len(timings):,} messages)", f"{percentile(timings, 0.50):.2f} ms"),
        ("round trip p99", f"{percentile(timings, 0.99):.2f} ms"),
        ("round trip mean", f"{statistics.fmean(timings):.2f} ms"),
        ("time to close all", f"{results['close_seconds']:.1f} s"),
        ("backend saw", results["counts"].removeprefix("COUNTS ")),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 24}")
    for name, value in rows:
        print(f"{name.ljust(width)} | {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--per-second", type=float, default=500, help="pace of new connections")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.serve:
        asyncio.run(serve(args.connections))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    report(args, asyncio.run(measure(args)))


if __name__ == "__main__":
    main()
