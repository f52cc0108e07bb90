"""A real HTTP stand-in for API Gateway's Management API (``@connections``).

moto never answers 410 and drops the stage from the path (docs/aws-behaviour.md), so
the tests and the benchmark talk to this instead: POST, GET and DELETE on
``/<stage>/@connections/<id>``, answered with AWS's status codes, error JSON
and ``x-amzn-ErrorType`` header. Run as a script it serves until killed and
prints its port on the first line (the benchmark uses it that way so that the
server does not share the client's GIL).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from django_aws_api_gateway_websockets.local_gateway.throttle import TokenBucket

# status -> AWS error type and message
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequestException", "Invalid connectionId: the id is malformed"),
    403: ("ForbiddenException", "Forbidden"),
    404: ("NotFoundException", "Not Found"),
    410: ("GoneException", ""),
    413: ("PayloadTooLargeException", "Request payload too large"),
    429: ("LimitExceededException", "Rate exceeded"),
}
MAX_PAYLOAD_BYTES = 128 * 1024


@dataclass(frozen=True)
class Received:
    method: str
    stage: str
    connection_id: str
    body: bytes
    signed: bool


class ManagementApiStandIn:
    """Configure it through its attributes, even while it serves.

    ``gone``: ids answering 410. ``statuses``: id -> status to answer.
    ``fail_first``: id -> how many requests answer 429 before one succeeds.
    ``delays``: id -> seconds to wait before answering (longer than the
    client's read timeout simulates a timeout). ``latency``: seconds every
    answer waits. ``throttle(rate, burst)``: AWS's account throttle, a token
    bucket; a request beyond it is answered 429 ``LimitExceededException``.
    ``delivered``: id -> POSTs answered 200. ``retry_after``: the
    ``Retry-After`` header of every 429, if set. ``bodies``: id -> the raw
    body of its error answers (a proxy's page rather than AWS's JSON).
    """

    def __init__(self, *, latency: float = 0.0, record: bool = True) -> None:
        self.latency = latency
        self.record = record
        self.gone: set[str] = set()
        self.statuses: dict[str, int] = {}
        self.fail_first: dict[str, int] = {}
        self.delays: dict[str, float] = {}
        self.received: list[Received] = []
        self.delivered: dict[str, int] = {}
        self.retry_after: str | None = None
        self.bodies: dict[str, bytes] = {}
        self.throttled = 0
        self._bucket: TokenBucket | None = None
        self.count = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the stand-in first"
        return self._server.server_address[1]

    @property
    def api_endpoint(self) -> str:
        """What an ``ApiGateway.api_endpoint`` pointing here looks like."""
        return f"ws://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> ManagementApiStandIn:
        handler = type("Handler", (_Handler,), {"stand_in": self})
        self._server = _Server(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def posted(self, stage: str | None = None) -> list[Received]:
        return [r for r in self.received if r.method == "POST" and stage in (None, r.stage)]

    def reset_counters(self) -> None:
        with self._lock:
            self.received.clear()
            self.delivered.clear()
            self.count = self.in_flight = self.max_in_flight = self.throttled = 0

    def throttle(self, rate: float, burst: float) -> None:
        """Answer 429 beyond ``rate`` requests a second, after a burst of ``burst``."""
        with self._lock:
            self._bucket = TokenBucket(rate, burst=burst)

    def answer(self, method: str, stage: str, connection_id: str, body: bytes, signed: bool) -> int:
        with self._lock:
            self.count += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.record:
                self.received.append(Received(method, stage, connection_id, body, signed))
        try:
            time.sleep(self.latency + self.delays.get(connection_id, 0.0))
            status = self._status(method, connection_id, body, signed)
            with self._lock:
                if status == 200 and method == "POST":
                    self.delivered[connection_id] = self.delivered.get(connection_id, 0) + 1
                elif status == 429:
                    self.throttled += 1
            return status
        finally:
            with self._lock:
                self.in_flight -= 1

    def _status(self, method: str, connection_id: str, body: bytes, signed: bool) -> int:
        if not signed:
            return 403
        with self._lock:
            if self._bucket is not None and not self._bucket.take():
                return 429
        if connection_id in self.statuses:
            return self.statuses[connection_id]
        with self._lock:
            remaining = self.fail_first.get(connection_id, 0)
            if remaining:
                self.fail_first[connection_id] = remaining - 1
                return 429
        if connection_id in self.gone:
            return 410
        if method == "POST" and len(body) > MAX_PAYLOAD_BYTES:
            return 413
        if method == "DELETE":
            self.gone.add(connection_id)
            return 204
        return 200


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connects when a client opens many at once.
    request_queue_size = 1024


class _Handler(BaseHTTPRequestHandler):
    stand_in: ManagementApiStandIn
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = self.path.split("?", 1)[0].split("/")
        # ['', '<stage>', '@connections', '<id>']
        if len(parts) != 4 or not parts[1] or parts[2] != "@connections" or not parts[3]:
            self._reply(404)
            return
        signed = self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 ")
        connection_id = unquote(parts[3])
        status = self.stand_in.answer(method, parts[1], connection_id, body, signed)
        if status == 200 and method == "GET":
            now = datetime.now(UTC).isoformat()
            # The service model's wire names (boto3 shows them capitalised).
            info = {"connectedAt": now, "lastActiveAt": now, "identity": {"sourceIp": "127.0.0.1"}}
            self._reply(200, info)
        else:
            self._reply(status, raw=self.stand_in.bodies.get(connection_id))

    def _reply(
        self, status: int, payload: dict[str, Any] | None = None, raw: bytes | None = None
    ) -> None:
        error = ERRORS.get(status)
        if error is not None:
            payload = {"message": error[1] or None}
        data = json.dumps(payload).encode() if payload is not None else b""
        if raw is not None and status >= 400:
            data = raw
        self.send_response(status)
        if error is not None:
            self.send_header("x-amzn-ErrorType", error[0])
        if status == 429 and self.stand_in.retry_after is not None:
            self.send_header("Retry-After", self.stand_in.retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


if __name__ == "__main__":
    latency = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    server = ManagementApiStandIn(latency=latency, record=False).start()
    print(server.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
