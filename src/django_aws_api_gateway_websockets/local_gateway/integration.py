"""POSTing gateway requests to the HTTP backends (the HTTP_PROXY integrations)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict

from .. import wire

# Pooled keep-alive connections to the backends; more requests than this wait
# for a free one. Not an AWS quota, only what keeps the file descriptors bounded.
BACKEND_POOL_SIZE = 100


@dataclass(frozen=True)
class IntegrationResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class IntegrationError(Exception):
    """The integration gave no HTTP answer."""

    # The status a client's handshake fails with, and the message of the error
    # frame a client gets for a message, as API Gateway reports them.
    handshake_status = 500
    client_message = "Internal server error"


class IntegrationUnreachable(IntegrationError):
    pass


class IntegrationTimeout(IntegrationError):
    handshake_status = 504
    client_message = "Endpoint request timed out"


class IntegrationClient:
    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=BACKEND_POOL_SIZE),
            timeout=self._timeout,
            # Only the headers of the wire contract: no aiohttp User-Agent on
            # $connect (the browser's passes through) and no invented Content-Type.
            skip_auto_headers=("User-Agent", "Content-Type"),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, integration_url: str, request: wire.GatewayRequest) -> IntegrationResponse:
        assert self._session is not None, "start() first"
        try:
            async with self._session.request(
                request.method,
                request.url(integration_url),
                headers=request.headers,
                data=request.body,
                # A redirect (Django's APPEND_SLASH) is an answer, as on AWS.
                allow_redirects=False,
            ) as response:
                body = await response.read()
                # Header names in any letter case, as HTTP has them.
                return IntegrationResponse(response.status, body, CIMultiDict(response.headers))
        except TimeoutError as exc:
            raise IntegrationTimeout(f"no answer from {integration_url} in time") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise IntegrationUnreachable(f"{integration_url}: {exc}") from exc
