"""The @connections Management API, answering as AWS does so boto3 works unchanged.

boto3's ``apigatewaymanagementapi`` client reads the error code from the
``x-amzn-ErrorType`` header and the message from the JSON body. Requests are
SigV4-signed; the signature is accepted without being checked.
"""

from __future__ import annotations

import json

from aiohttp import WSCloseCode, web

from .. import wire
from .clients import new_request_id, send_frame
from .config import GatewayConfig
from .connections import Connection, ConnectionRegistry, iso8601
from .events import EventLog
from .throttle import TokenBucket

CONNECTION_PATH = "/{stage}/@connections/{connection_id}"
# What a Management API DELETE closes the socket with.
DELETE_CLOSE_CODE = WSCloseCode.OK


def _error(status: int, error_type: str, message: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"message": message}),
        content_type="application/json",
        headers={"x-amzn-ErrorType": error_type, "x-amzn-RequestId": new_request_id()},
    )


class ManagementApi:
    def __init__(self, config: GatewayConfig, registry: ConnectionRegistry, log: EventLog) -> None:
        self._config = config
        self._registry = registry
        self._log = log
        self._max_bytes = config.limits.max_message_bytes
        rate, burst = config.limits.throttle_rate, config.limits.throttle_burst
        self._throttle = TokenBucket(rate, burst=burst) if rate else None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(CONNECTION_PATH, self.post)
        app.router.add_get(CONNECTION_PATH, self.get, allow_head=False)
        app.router.add_delete(CONNECTION_PATH, self.delete)

    def _find(self, request: web.Request) -> tuple[Connection | None, web.Response | None]:
        if self._throttle is not None and not self._throttle.take():
            return None, _error(429, "LimitExceededException", "Rate exceeded")
        if request.match_info["stage"] != self._config.stage:
            return None, _error(403, "ForbiddenException", "Forbidden")
        connection_id = request.match_info["connection_id"]
        if not wire.is_valid_connection_id(connection_id):
            return None, _error(
                400, "BadRequestException", f"Invalid connectionId: {connection_id}"
            )
        connection = self._registry.get(connection_id)
        if connection is None:
            return None, _error(410, "GoneException", "")
        return connection, None

    def _log_call(
        self,
        request: web.Request,
        response: web.Response,
        body: bytes | None = None,
        **fields: object,
    ) -> None:
        log = self._log.info if response.status < 400 else self._log.warning
        log(
            f"management {request.method}",
            body,
            id=request.match_info["connection_id"],
            status=response.status,
            **fields,
        )

    async def post(self, request: web.Request) -> web.Response:
        connection, response = self._find(request)
        data: bytes | None = b""
        if connection is not None:
            data = await self._read_body(request)
            response = await self._deliver(connection, data)
        assert response is not None
        size = "over limit" if data is None else len(data)
        self._log_call(request, response, data, bytes=size)
        return response

    async def _deliver(self, connection: Connection, data: bytes | None) -> web.Response:
        if data is None:
            return _error(413, "PayloadTooLargeException", "Request entity too large")
        if not await send_frame(connection.socket, data):
            return _error(410, "GoneException", "")
        return web.Response(status=200)

    async def _read_body(self, request: web.Request) -> bytes | None:
        """The body, or None when it is over the limit."""
        if (request.content_length or 0) > self._max_bytes:
            return None
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return None
        return data if len(data) <= self._max_bytes else None

    async def get(self, request: web.Request) -> web.Response:
        connection, response = self._find(request)
        if connection is not None:
            response = web.json_response(
                {
                    # The wire names of the service model (boto3 shows them capitalised).
                    "connectedAt": iso8601(connection.connected_at),
                    "lastActiveAt": iso8601(connection.last_active_at),
                    "identity": {
                        "sourceIp": connection.source_ip,
                        "userAgent": connection.user_agent,
                    },
                }
            )
        assert response is not None
        self._log_call(request, response)
        return response

    async def delete(self, request: web.Request) -> web.Response:
        connection, response = self._find(request)
        if connection is not None:
            # Waits for the client's close frame (bounded by the close timeout)
            # so that the socket is really closed when the caller hears 204.
            await self._registry.close(connection, DELETE_CLOSE_CODE, "deleted")
            response = web.Response(status=204)
        assert response is not None
        self._log_call(request, response)
        return response
