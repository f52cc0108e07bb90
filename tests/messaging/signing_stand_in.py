"""A Management API stand-in that checks SigV4 signatures as AWS would.

For every request it rebuilds the canonical request from what arrived on the
wire (method, path, the signed headers, the body) and recomputes the signature
with botocore's own SigV4 code and the secret of the access key named in the
``Authorization`` header. A request whose signature differs, or whose
credential scope is not ``<date>/<expected region>/execute-api/aws4_request``,
is answered 403 like AWS answers it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field

from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Checked:
    method: str
    path: str
    access_key: str
    region: str
    valid: bool


@dataclass
class SigningStandIn:
    """Serves ``/…/@connections/<id>``; ``secrets`` maps access keys to secret keys."""

    expected_region: str
    secrets: dict[str, str]
    checked: list[Checked] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> SigningStandIn:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=5)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        match = _AUTHORIZATION.match(request.headers.get("Authorization", ""))
        if match is None:
            return web.json_response({"message": "Missing Authentication Token"}, status=403)
        valid = (
            match["service"] == "execute-api"
            and match["region"] == self.expected_region
            and match["key"] in self.secrets
            and match["signature"] == self._signature(request, body, match)
        )
        self.checked.append(
            Checked(request.method, request.raw_path, match["key"], match["region"], valid)
        )
        if not valid:
            return web.json_response(
                {"message": "The request signature we calculated does not match"},
                status=403,
                headers={"x-amzn-ErrorType": "ForbiddenException"},
            )
        return web.Response(status=204 if request.method == "DELETE" else 200)

    def _signature(self, request: web.Request, body: bytes, match: re.Match[str]) -> str:
        signed = match["signed"].split(";")
        headers = {name: request.headers[name] for name in signed if name != "host"}
        url = f"http://{request.headers['Host']}{request.raw_path}"
        rebuilt = AWSRequest(method=request.method, url=url, data=body, headers=headers)
        rebuilt.context["timestamp"] = request.headers["X-Amz-Date"]
        credentials = ReadOnlyCredentials(
            match["key"], self.secrets[match["key"]], request.headers.get("X-Amz-Security-Token")
        )
        signer = SigV4Auth(credentials, match["service"], match["region"])
        canonical = signer.canonical_request(rebuilt)
        return str(signer.signature(signer.string_to_sign(rebuilt, canonical), rebuilt))
