"""The chaos scenarios: each drives the real processes and returns what it measured.

Shared by tests/chaos (which assert on the figures) and benchmarks/chaos.py
(which prints them as a table). Sizes are arguments so that both stay bounded.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import websockets
from websockets.asyncio.client import ClientConnection

from django_aws_api_gateway_websockets import wire
from tests.waiting import wait_until, wait_until_async

from .clients import abort, connect, http_request, raw_http, request, whoami
from .harness import GATEWAY_SECRET, ChaosStack, Gateway


@dataclass
class Figures:
    scenario: str
    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


async def _open_clients(gateway: Gateway, channel: str, count: int) -> list[ClientConnection]:
    # A few at a time: the gateway answers 429 past its new-connections rate.
    clients: list[ClientConnection] = []
    for start in range(0, count, 20):
        batch = range(start, min(count, start + 20))
        clients += await asyncio.gather(*(connect(gateway, channel) for _ in batch))
    return clients


async def _close(clients: list[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)


# The gateway's log line when it is done with a connection: its $disconnect was
# answered, failed, or dropped on purpose (docs: local gateway, drop rate).
_DISCONNECT_DONE = re.compile(r"\bdisconnect(?: dropped| failed)? id=(\S+)")


def _gateway_done_with(gateway: Gateway, ids: list[str]) -> None:
    """Wait until the gateway has finished with each of ``ids`` (closed and disconnected).

    A $disconnect that reached Django has closed its row before the gateway logs
    it, so the rows read after this are the ones the gateway left stale.
    """
    wanted = set(ids)

    def finished() -> bool:
        text = gateway.log.read_text(errors="replace")
        return wanted <= set(_DISCONNECT_DONE.findall(text))

    wait_until(finished, timeout=15, what=f"the gateway's $disconnect of {len(ids)} connections")


# 1. Dropped $disconnects, then reconcile()


def dropped_disconnects_then_reconcile(
    stack: ChaosStack, *, clients: int = 100, killed: int = 50, drop_rate: float = 0.3
) -> Figures:
    gateway = stack.start_gateway("reconcile", drop_rate=drop_rate)

    async def run() -> dict[str, Any]:
        sockets = await _open_clients(gateway, "reconcile", clients)
        # One message each: a row that has carried a message is past its $connect.
        ids = list(await asyncio.gather(*(whoami(ws) for ws in sockets)))
        for ws in sockets[:killed]:
            abort(ws)
        gone_ids, live_ids = ids[:killed], ids[killed:]
        # The live clients stay open while the gateway and reconcile work.
        await asyncio.to_thread(_gateway_done_with, gateway, gone_ids)
        stale_before = stack.connected_ids(gone_ids)
        live_before = {cid: row for cid, row in stack.sessions().items() if cid in live_ids}
        summary = await asyncio.to_thread(
            stack.manage, "reconcilewebsocketsessions", "--gateway", str(gateway.pk)
        )
        after = stack.sessions()
        live_served = sum(await asyncio.gather(*(_echo_ok(ws) for ws in sockets[killed:])))
        await _close(sockets[killed:])
        return {
            "clients": clients,
            "killed abruptly": killed,
            "rows stale before": len(stale_before),
            "reconcile": summary.strip().splitlines()[-1],
            "rows stale after": len(stack.connected_ids(gone_ids)),
            "live rows touched": sum(1 for cid in live_ids if after[cid] != live_before[cid]),
            "live rows connected": sum(1 for cid in live_ids if after[cid][0]),
            "live clients served after": live_served,
        }

    values = asyncio.run(run())
    stack.stop_gateway(gateway)
    return Figures("dropped $disconnects, then reconcile", values)


# 2. Django killed and restarted mid-traffic


def django_killed_mid_traffic(
    stack: ChaosStack, *, clients: int = 6, messages: int = 80, down_seconds: float = 1.0
) -> Figures:
    gateway = stack.start_gateway("restart")
    stack.handled_log.unlink(missing_ok=True)
    replied: set[int] = set()
    reported: set[int] = set()
    silent: set[int] = set()

    async def client(index: int, ws: ClientConnection) -> None:
        for n in range(messages):
            seq = index * 1_000_000 + n
            try:
                frame = await request(ws, {"action": "echo", "seq": seq})
            except TimeoutError:
                silent.add(seq)
                continue
            if frame.get("type") == "echo" and frame.get("seq") == seq:
                replied.add(seq)
            elif "message" in frame and "requestId" in frame:
                reported.add(seq)  # the gateway's error frame: the client knows
            else:
                silent.add(seq)
            await asyncio.sleep(0.005)

    async def chaos() -> None:
        # Mid-traffic: once every client has had an answer.
        await wait_until_async(lambda: len(replied) >= clients, what="every client answered")
        await asyncio.to_thread(stack.kill_django)
        await asyncio.sleep(down_seconds)
        await asyncio.to_thread(stack.start_django)

    async def run() -> None:
        sockets = await _open_clients(gateway, "restart", clients)
        await asyncio.gather(chaos(), *(client(i, ws) for i, ws in enumerate(sockets)))
        await _close(sockets)

    asyncio.run(run())
    handled = {
        int(line.split()[1])
        for line in stack.handled_log.read_text().splitlines()
        if line.split()[1].isdigit()
    }
    stack.stop_gateway(gateway)
    return Figures(
        "Django killed and restarted mid-traffic",
        {
            "messages": clients * messages,
            "answered by the handler": len(replied),
            "reported failed to the client": len(reported),
            "silent (neither)": len(silent),
            "reported failed but handled": len(reported & handled),
            "answered but not handled": len(replied - handled),
        },
    )


# 3. Multicast with 30% of a channel gone abruptly


def multicast_with_gone_connections(
    stack: ChaosStack, *, clients: int = 40, gone_fraction: float = 0.3
) -> Figures:
    # Every $disconnect lost: the gone rows are all still connected=True.
    gateway = stack.start_gateway("multicast", drop_rate=1.0)
    gone_count = round(clients * gone_fraction)

    async def frames_until_quiet(ws: ClientConnection, quiet: float = 1.5) -> list[dict[str, Any]]:
        frames = []
        while True:
            try:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), quiet)))
            except (TimeoutError, websockets.ConnectionClosed):
                return frames

    async def run() -> tuple[list[str], dict[str, Any], list[int]]:
        sockets = await _open_clients(gateway, "multicast", clients)
        ids = list(await asyncio.gather(*(whoami(ws) for ws in sockets)))
        for ws in sockets[:gone_count]:
            abort(ws)
        # Sent to before the gateway noticed, they would count as sent, not gone.
        await asyncio.to_thread(_gateway_done_with, gateway, ids[:gone_count])
        live = sockets[gone_count:]
        sender = live[0]
        await sender.send(json.dumps({"action": "multicast", "n": 1}))
        received = await asyncio.gather(*(frames_until_quiet(ws) for ws in live))
        result = next(f for f in received[0] if f.get("type") == "multicast-result")
        copies = [sum(1 for f in frames if f.get("type") == "multicast") for frames in received]
        await _close(live)
        return ids[:gone_count], result, copies

    gone_ids, result, copies = asyncio.run(run())
    marked = len(gone_ids) - len(stack.connected_ids(gone_ids))
    stack.stop_gateway(gateway)
    return Figures(
        "multicast with 30% of a channel gone abruptly",
        {
            "channel size": clients,
            "gone abruptly": gone_count,
            "live with exactly one copy": sum(1 for c in copies if c == 1),
            "live with none": sum(1 for c in copies if c == 0),
            "live with more than one": sum(1 for c in copies if c > 1),
            "send result sent/gone/pending/failed": (
                f"{result['sent']}/{result['gone']}/{result['pending']}/{result['failed']}"
            ),
            "gone rows marked": marked,
        },
    )


# 4. Forged requests


def _gateway_headers(gateway: Gateway, connection_id: str) -> list[tuple[bytes, bytes]]:
    return [
        (wire.CONNECTION_ID_HEADER.encode(), connection_id.encode()),
        (wire.API_ID_HEADER.encode(), gateway.api_id.encode()),
        (wire.FORWARDED_FOR_HEADER.encode(), b"203.0.113.9"),
        (wire.FORWARDED_PROTO_HEADER.encode(), b"https"),
    ]


def forgeries(secret: str) -> dict[str, dict[str, Any]]:
    """Name -> how the request carries (or fakes) the gateway secret."""
    name = wire.GATEWAY_SECRET_HEADER
    s = secret.encode()
    header = name.encode()
    return {
        "no secret": {},
        "empty secret": {"headers": [(header, b"")]},
        "wrong secret": {"headers": [(header, b"wrong")]},
        "secret + 1 char": {"headers": [(header, s + b"x")]},
        "secret - 1 char": {"headers": [(header, s[:-1])]},
        "secret upper-cased": {"headers": [(header, s.upper())]},
        "wrong secret, name lower-case": {"headers": [(name.lower().encode(), b"wrong")]},
        "wrong secret, name upper-case": {"headers": [(name.upper().encode(), b"wrong")]},
        "wrong then right": {"headers": [(header, b"wrong"), (header, s)]},
        "right then wrong": {"headers": [(header, s), (header, b"wrong")]},
        "underscore look-alike": {"headers": [(name.replace("-", "_").encode(), s)]},
        "extra letter in name": {"headers": [(header + b"s", s)]},
        "name prefix": {"headers": [(header[:-1], s)]},
        "prefixed name": {"headers": [(b"X-Forwarded-" + header[2:], s)]},
        "Cyrillic e in name": {"headers": [(name.replace("e", "е", 1).encode(), s)]},
        "space before colon": {"headers": [(header + b" ", s)]},
        "secret in query": {"query": f"{name}={secret}"},
        "secret in query, snake": {"query": f"x_ws_gateway_secret={secret}"},
        "secret in cookie": {"headers": [(b"Cookie", header + b"=" + s)]},
        "secret in JSON body": {"body": json.dumps({name: secret, "action": "echo"}).encode()},
        "secret in form body": {
            "body": f"{name}={secret}".encode(),
            "headers": [(b"Content-Type", b"application/x-www-form-urlencoded")],
        },
    }


def forged_requests(stack: ChaosStack) -> Figures:
    gateway = stack.start_gateway("forgery")

    async def run() -> tuple[int, int, Counter[int | None]]:
        ws = await connect(gateway, "forgery")
        live_id = await whoami(ws)
        before = stack.sessions()
        statuses: Counter[int | None] = Counter()
        sent = 0
        for trick in forgeries(GATEWAY_SECRET).values():
            for route in ("connect", "default", "disconnect"):
                target = wire.new_connection_id() if route == "connect" else live_id
                query = trick.get("query", "")
                if route == "connect":
                    query = "&".join(filter(None, [query, "channel=forged"]))
                path = f"/ws/{route}" + (f"?{query}" if query else "")
                body = trick.get("body", b"" if route != "default" else b'{"action":"echo"}')
                data = http_request(
                    "POST", path, _gateway_headers(gateway, target) + trick.get("headers", []), body
                )
                statuses[(await raw_http(stack.http_port, data)).status] += 1
                sent += 1
        after = stack.sessions()
        changed = sum(1 for cid, row in after.items() if before.get(cid) != row)
        await ws.close()
        return sent, changed, statuses

    sent, changed, statuses = asyncio.run(run())
    stack.stop_gateway(gateway)
    accepted = sum(n for status, n in statuses.items() if status is not None and status < 400)
    return Figures(
        "forged requests",
        {
            "requests": sent,
            "accepted (status < 400)": accepted,
            "rows changed": changed,
            "statuses": dict(sorted(statuses.items(), key=lambda item: str(item[0]))),
        },
    )


# 5. Fuzzed requests with a valid secret


def _fuzz_cookie(rng: random.Random, sessionid: str) -> bytes:
    choices = [
        f"sessionid={sessionid}",
        'sessionid="abcdefgh\\000ijkl"',
        f'sessionid="{sessionid}\\000"',
        "sessionid=" + "".join(rng.choice('abc\\"; =,\x7f') for _ in range(rng.randint(0, 40))),
        "sessionid=\\000\\377",
        "csrftoken=x; sessionid=" + "a" * rng.choice([0, 1, 32, 40, 300, 5000]),
        'a="\\"; sessionid=' + sessionid,
        "sessionid=%00%ff",
        ";;;==;",
        "",
    ]
    return rng.choice(choices).encode("latin-1")


def _fuzz_text(rng: random.Random) -> str:
    alphabet = ["a", "Z", "0", "-", "_", "%00", "%ff", "%", "/", "..", "é", " ", "+", "\\", '"']
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))


def _fuzz_query(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 3)):
        key = rng.choice(["channel", "ws_token", "channel", "x", "channel[]", "%00"])
        value = rng.choice(
            [_fuzz_text(rng), "a" * rng.choice([1, 100, 101, 4000]), "lobby", "%00", "%ZZ"]
        )
        parts.append(f"{key}={value}")
    return quote("&".join(parts), safe="%&=[]")


def _fuzz_body(rng: random.Random) -> bytes:
    action = rng.choice(
        ["echo", "whoami", "change_channel", "default", "connect", "multicast", None, 1, [], {}]
    )
    values: list[Any] = [
        {"action": action},
        {"handler": action, "channel": _fuzz_text(rng)},
        {"handler": "change_channel", "channel": rng.choice(["", "x" * 101, "ok", "\u0000", 5])},
        {"action": "echo", "seq": rng.choice([None, "\u0000", 1e308, -1, [1] * 50])},
        [action],
        "\u0000",
        None,
    ]
    raw: list[bytes] = [
        json.dumps(rng.choice(values)).encode(),
        json.dumps(rng.choice(values)).encode(),
        b"{",
        b"\xff\xfe\x00",
        b"\x00" * rng.randint(1, 10),
        b'{"action": "echo", "seq": "\\ud800"}',
        b"[" * 2000,
        b"x" * (128 * 1024 + 1),
        b"",
    ]
    return rng.choice(raw)


# Each takes (rng, request parts) and changes one thing.
def _mutate_method(rng: random.Random, r: dict[str, Any]) -> None:
    r["method"] = rng.choice(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "X"])


def _mutate_cookie(rng: random.Random, r: dict[str, Any]) -> None:
    r["headers"][b"Cookie"] = _fuzz_cookie(rng, r["sessionid"])


def _mutate_origin(rng: random.Random, r: dict[str, Any]) -> None:
    r["headers"][b"Origin"] = rng.choice(
        ["null", "http://127.0.0.1", "http://[::1]:1", "://", "", "http://é.test", "x" * 3000]
    ).encode()


def _mutate_query(rng: random.Random, r: dict[str, Any]) -> None:
    r["query"] = _fuzz_query(rng)


def _mutate_body(rng: random.Random, r: dict[str, Any]) -> None:
    r["body"] = _fuzz_body(rng)


def _mutate_connection_id(rng: random.Random, r: dict[str, Any]) -> None:
    r["headers"][wire.CONNECTION_ID_HEADER.encode()] = rng.choice(
        [
            b"",
            b"bad id!",
            b"a" * 200,
            b"%00",
            b"..%2f",
            "é".encode(),
            rng.choice(r["live"]).encode(),
        ]
    )


def _mutate_api_id(rng: random.Random, r: dict[str, Any]) -> None:
    r["headers"][wire.API_ID_HEADER.encode()] = rng.choice([b"", b"unknown", b"x" * 70, b"a b"])


def _mutate_route(rng: random.Random, r: dict[str, Any]) -> None:
    r["route"] = rng.choice(
        ["ws/", "ws/x", "ws/%00", "ws/connect/", "ws/change_channel", "ws/echo"]
    )


def _mutate_forwarded(rng: random.Random, r: dict[str, Any]) -> None:
    name = rng.choice([b"X-Forwarded-For", b"X-Forwarded-Proto", b"X-Ws-Source-Ip", b"User-Agent"])
    r["headers"][name] = _fuzz_text(rng).encode()


def _mutate_content_type(rng: random.Random, r: dict[str, Any]) -> None:
    r["headers"][b"Content-Type"] = rng.choice(
        [b"application/json; charset=latin-1", b"multipart/form-data; boundary=", b"text/x"]
    )


def _mutate_control_bytes(rng: random.Random, r: dict[str, Any]) -> None:
    # Bytes HTTP forbids in a header: the server's parser must answer 400.
    r["headers"][b"X-Junk"] = rng.choice([b"\x00", b"a\x01b", b"\x7f", b"\r"])


_MUTATIONS = (
    [_mutate_cookie] * 4
    + [_mutate_query, _mutate_body] * 3
    + [_mutate_origin, _mutate_connection_id, _mutate_forwarded] * 2
    + [_mutate_method, _mutate_api_id, _mutate_route, _mutate_content_type, _mutate_control_bytes]
)


def fuzz_request(
    rng: random.Random,
    gateway: Gateway,
    live_ids: list[str],
    sessionid: str,
    kinds: Counter[str],
) -> bytes:
    """A well-formed gateway request (valid secret and api id) with 1 to 3 things changed.

    ``kinds`` counts each kind of change made (a mutation's name).
    """
    route = rng.choice(["connect"] * 4 + ["default"] * 4 + ["disconnect"])
    prefix = "limited" if rng.random() < 0.2 else "ws"
    connection_id = wire.new_connection_id() if route == "connect" else rng.choice(live_ids)
    parts: dict[str, Any] = {
        "method": "POST",
        "route": f"{prefix}/{route}",
        "query": "channel=fuzz" if route == "connect" else "",
        "body": b'{"action":"echo","seq":0}' if route == "default" else b"",
        "sessionid": sessionid,
        "live": live_ids,
        "headers": {
            wire.GATEWAY_SECRET_HEADER.encode(): GATEWAY_SECRET.encode(),
            wire.CONNECTION_ID_HEADER.encode(): connection_id.encode(),
            wire.API_ID_HEADER.encode(): gateway.api_id.encode(),
            wire.FORWARDED_FOR_HEADER.encode(): b"198.51.100.7",
        },
    }
    if route == "connect":
        parts["headers"][b"Origin"] = gateway.page_origin.encode()
        if rng.random() < 0.5:
            parts["headers"][b"Cookie"] = f"sessionid={sessionid}".encode()
    for mutate in rng.sample(_MUTATIONS, rng.randint(1, 3)):
        kinds[mutate.__name__] += 1
        mutate(rng, parts)
    path = "/" + parts["route"] + (f"?{parts['query']}" if parts["query"] else "")
    return http_request(parts["method"], path, list(parts["headers"].items()), parts["body"])


# The last line of a traceback in Django's log: the exception and its message.
_EXCEPTION_LINE = re.compile(rb"^((?:[\w.]+\.)?\w+(?:Error|Exception): .{0,80})", re.MULTILINE)


def fuzzed_requests(stack: ChaosStack, *, count: int = 20_000, seed: int = 7) -> Figures:
    gateway = stack.start_gateway("fuzz")
    rng = random.Random(seed)

    async def run() -> Counter[int | None]:
        sockets = await _open_clients(gateway, "fuzz", 3)
        live_ids = list(await asyncio.gather(*(whoami(ws) for ws in sockets)))
        requests = [
            fuzz_request(rng, gateway, live_ids, stack.sessionid, kinds) for _ in range(count)
        ]
        statuses: Counter[int | None] = Counter()
        queue = iter(requests)

        async def worker() -> None:
            for data in queue:
                statuses[(await raw_http(stack.http_port, data)).status] += 1

        await asyncio.gather(*(worker() for _ in range(6)))
        await _close(sockets)
        return statuses

    kinds: Counter[str] = Counter()
    log = stack.workdir / "gunicorn.log"
    log_start = log.stat().st_size
    started = time.monotonic()
    statuses = asyncio.run(run())
    seconds = time.monotonic() - started
    stack.stop_gateway(gateway)
    with log.open("rb") as server_log:
        server_log.seek(log_start)
        errors = Counter(
            match.group(1).decode() for match in _EXCEPTION_LINE.finditer(server_log.read())
        )
    return Figures(
        "fuzzed requests with the valid secret",
        {
            "requests": sum(statuses.values()),
            f"kinds of change made (of {len(set(_MUTATIONS))})": len(kinds),
            "times the rarest kind was made": min(kinds.values()),
            "responses >= 500": sum(n for s, n in statuses.items() if s is not None and s >= 500),
            "no answer": statuses.get(None, 0),
            "statuses": dict(sorted(statuses.items(), key=lambda item: str(item[0]))),
            # What the server logged as the cause of its 500s, if any.
            "server exceptions": dict(errors.most_common(5)) or "-",
            "seconds": round(seconds, 1),
        },
    )


# 6. Cross-site handshakes with a logged-in user's cookies


def cross_site_origins(http_port: int) -> list[str]:
    """Origins of other sites (for a page served at http://127.0.0.1:<http_port>)."""
    p = http_port
    return [
        # another port of an allowed host
        "http://127.0.0.1:9999",
        "http://localhost:3000",
        f"http://localhost:{p + 1}",
        # another scheme, same host and port
        f"https://127.0.0.1:{p}",
        f"ws://127.0.0.1:{p}",
        "file://",
        # subdomains and look-alikes of allowed hosts
        f"http://evil.localhost:{p}",
        f"http://sub.127.0.0.1:{p}",
        f"http://127.0.0.1.evil.test:{p}",
        "https://localhost.evil.test",
        f"http://127.0.0.1:{p}@evil.test",
        # IPv6
        "http://[::1]:9999",
        f"http://[::1]:{p}",
        f"http://[::ffff:127.0.0.1]:{p}",
        # opaque origins (sandboxed frames, file: pages, redirects)
        "null",
    ]


def cross_site_handshakes(stack: ChaosStack) -> Figures:
    gateway = stack.start_gateway("origins")
    cookie = f"sessionid={stack.sessionid}"

    async def attempt(origin: str) -> str | None:
        try:
            ws = await connect(gateway, "origins", origin=origin, cookie=cookie)
        except websockets.InvalidStatus:
            return None
        reply = await request(ws, {"action": "whoami"})
        await ws.close()
        return str(reply.get("user"))

    async def run() -> tuple[str | None, dict[str, str | None]]:
        same_site = await attempt(stack.http_origin)
        return same_site, {o: await attempt(o) for o in cross_site_origins(stack.http_port)}

    rows_before = stack.sql(
        "SELECT count(*) FROM django_aws_api_gateway_websockets_websocketsession "
        "WHERE user_id = %s",
        [stack.user_id],
    )[0][0]
    same_site, results = asyncio.run(run())
    rows_after = stack.sql(
        "SELECT count(*) FROM django_aws_api_gateway_websockets_websocketsession "
        "WHERE user_id = %s",
        [stack.user_id],
    )[0][0]
    stack.stop_gateway(gateway)
    accepted = [origin for origin, user in results.items() if user is not None]
    return Figures(
        "cross-site handshakes with a logged-in user's cookies",
        {
            "origin variants": len(results),
            "accepted": len(accepted),
            "accepted origins": ", ".join(accepted) or "-",
            "same-site handshake user": same_site,
            # The same-site one is the user's only legitimate row.
            "user's rows created cross-site": rows_after - rows_before - (1 if same_site else 0),
        },
    )


# 7. Half-open handshakes against the local gateway


async def _half_open(port: int) -> asyncio.StreamWriter | None:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return None
    # A handshake that never ends: no blank line after the headers.
    writer.write(b"GET /production HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
    return writer


async def _echo_ok(ws: ClientConnection) -> bool:
    try:
        reply = await request(ws, {"action": "echo", "seq": -1})
    except (TimeoutError, websockets.ConnectionClosed):
        return False
    return reply.get("seq") == -1


# Between a new client's attempts while the gateway is saturated.
RETRY_SECONDS = 0.05


def half_open_handshakes(
    stack: ChaosStack,
    *,
    half_open: int = 300,
    max_open_files: int = 256,
    new_clients: int = 5,
    new_client_deadline: float = 20.0,
) -> Figures:
    # A descriptor limit below the number of half-open sockets, as a busy host has.
    gateway = stack.start_gateway("half-open", max_open_files=max_open_files)

    async def new_client_served(deadline: float) -> float | None:
        started = time.monotonic()
        while time.monotonic() < deadline:
            try:
                ws = await connect(gateway, "half-open")
            except (OSError, TimeoutError, websockets.InvalidHandshake):
                await asyncio.sleep(RETRY_SECONDS)
                continue
            ok = await _echo_ok(ws)
            await ws.close()
            if ok:
                return time.monotonic() - started
        return None

    async def run() -> dict[str, Any]:
        established = await _open_clients(gateway, "half-open", 2)
        log_before = gateway.log.stat().st_size
        writers = await asyncio.gather(*(_half_open(gateway.port) for _ in range(half_open)))
        # The pressure is on once the gateway refuses connections for want of
        # descriptors or handshake slots (more half-open than it may hold).
        await wait_until_async(
            lambda: b"connect refused" in gateway.log.read_bytes()[log_before:],
            timeout=15,
            what="the gateway refusing half-open handshakes",
        )
        established_ok = sum(await asyncio.gather(*(_echo_ok(ws) for ws in established)))
        deadline = time.monotonic() + new_client_deadline
        waits = await asyncio.gather(*(new_client_served(deadline) for _ in range(new_clients)))
        established_after = sum(await asyncio.gather(*(_echo_ok(ws) for ws in established)))
        log_growth = gateway.log.stat().st_size - log_before
        for writer in writers:
            if writer is not None:
                writer.close()
        await _close(established)
        served = [w for w in waits if w is not None]
        return {
            "half-open handshakes": sum(1 for w in writers if w is not None),
            "gateway descriptor limit": max_open_files,
            "established clients served (of 2)": min(established_ok, established_after),
            f"new clients served within {new_client_deadline:g} s (of {new_clients})": len(served),
            "slowest new client (s)": round(max(served), 1) if served else "-",
            "gateway log growth (bytes)": log_growth,
        }

    values = asyncio.run(run())
    stack.stop_gateway(gateway)
    return Figures("300 half-open handshakes against the local gateway", values)


ALL = (
    dropped_disconnects_then_reconcile,
    django_killed_mid_traffic,
    multicast_with_gone_connections,
    forged_requests,
    fuzzed_requests,
    cross_site_handshakes,
    half_open_handshakes,
)
