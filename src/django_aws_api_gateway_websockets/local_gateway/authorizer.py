"""Playing a Lambda REQUEST authorizer on ``$connect``, as API Gateway runs one.

A handshake missing an identity source is refused with 401 before the
authorizer runs. The authorizer gets the event AWS gives a Lambda authorizer
(``wire.authorizer_event``). Raising ``Exception("Unauthorized")`` (or a URL
answering 401) is a 401, a policy that does not allow is a 403, any other
failure a 500; an Allow's context goes on to the ``$connect`` integration
through the mapped headers (``wire.authorizer_headers``).
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import wire
from .config import RequestAuthorizer
from .events import EventLog
from .integration import IntegrationClient, IntegrationError

# Every local gateway pretends to be in this account and region.
LOCAL_ACCOUNT = "000000000000"
LOCAL_REGION = "local"


@dataclass(frozen=True)
class Decision:
    """``status`` None: allowed, with these headers for the ``$connect`` request."""

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    why: str = ""


def load_function(path: str) -> Callable[[dict[str, Any], Any], Any]:
    """``package.module.function`` (or ``package.module:function``) -> the function."""
    module_name, _, name = path.replace(":", ".").rpartition(".")
    if not module_name:
        raise ValueError(f"authorizer {path!r}: give package.module.function")
    function = getattr(importlib.import_module(module_name), name, None)
    if not callable(function):
        raise ValueError(f"authorizer {path!r}: {name} is not a function of {module_name}")
    return function  # type: ignore[no-any-return]


class AuthorizerRunner:
    def __init__(
        self,
        authorizer: RequestAuthorizer,
        integration: IntegrationClient,
        log: EventLog,
        *,
        api_id: str,
        stage: str,
        timeout_seconds: float,
    ) -> None:
        self._authorizer = authorizer
        self._integration = integration
        self._log = log
        self._method_arn = wire.connect_method_arn(
            region=LOCAL_REGION, account=LOCAL_ACCOUNT, api_id=api_id, stage=stage
        )
        self._api_id = api_id
        self._stage = stage
        # A function gets as long as an integration; a URL is called as one.
        self._timeout = timeout_seconds
        # Imported now, so that a wrong path stops the gateway at start.
        self._function = None if authorizer.is_url else load_function(authorizer.target)

    async def decide(
        self,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        *,
        connection_id: str,
        source_ip: str,
        domain_name: str,
        request_id: str,
    ) -> Decision:
        for source in self._authorizer.identity_sources:
            if wire.identity_source_value(source, headers, query) is None:
                return Decision(401, why=f"identity source {source} missing")
        event = wire.authorizer_event(
            method_arn=self._method_arn,
            headers=headers,
            query=query,
            connection_id=connection_id,
            api_id=self._api_id,
            stage=self._stage,
            source_ip=source_ip,
            domain_name=domain_name,
            request_id=request_id,
        )
        if self._function is not None:
            answer = await self._call_function(self._function, event)
        else:
            answer = await self._call_url(event)
        if isinstance(answer, Decision):
            return answer
        if not wire.policy_allows(answer):
            return Decision(403, why="the policy does not allow $connect")
        context = answer.get("context") if isinstance(answer, Mapping) else None
        keys = self._authorizer.context_keys
        return Decision(None, wire.authorizer_headers(context or {}, keys))

    async def _call_function(
        self, function: Callable[[dict[str, Any], Any], Any], event: dict[str, Any]
    ) -> Any:
        try:
            # In a thread: an authorizer may fetch keys or query a database.
            return await asyncio.wait_for(asyncio.to_thread(function, event, None), self._timeout)
        except TimeoutError:
            return Decision(500, why=f"the authorizer took more than {self._timeout} s")
        except Exception as exc:
            if str(exc) == wire.AUTHORIZER_UNAUTHORIZED:
                return Decision(401, why="the authorizer answered Unauthorized")
            self._log.warning("authorizer failed", error=repr(exc))
            return Decision(500, why=f"the authorizer raised {type(exc).__name__}")

    async def _call_url(self, event: dict[str, Any]) -> Any:
        request = wire.GatewayRequest(
            wire.CONNECT_ROUTE,
            {"Content-Type": "application/json"},
            json.dumps(event).encode(),
        )
        try:
            response = await self._integration.call(self._authorizer.target, request)
        except IntegrationError as exc:
            return Decision(500, why=f"authorizer unreachable: {exc}")
        if response.status == 401:
            return Decision(401, why="the authorizer answered 401")
        if not response.ok:
            return Decision(500, why=f"the authorizer answered {response.status}")
        try:
            return json.loads(response.body)
        except ValueError:
            return Decision(500, why="the authorizer's answer is not JSON")
