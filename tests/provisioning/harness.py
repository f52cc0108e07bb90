"""moto in server mode, on loopback, in front of which stand exactly three stand-ins.

The code under test reaches this server only through botocore's standard
``AWS_ENDPOINT_URL_<SERVICE>`` settings (the fixtures set them), so it would
talk to LocalStack or AWS unchanged.

moto 5.2 lacks three things provisioning needs (docs/aws-behaviour.md). A WSGI
middleware in front of moto's own server app stands in for exactly those:

1. ``CreateDeployment`` (``POST /v2/apis/{apiId}/deployments``): moto has no
   route for it. The stand-in answers as AWS does (201, ``deploymentId``,
   ``deploymentStatus: DEPLOYED``), refuses an unknown API (404) or stage
   (400), and records each deployment in ``StandIns.deployments`` for the
   tests to read back. Nothing else about deployments is stood in for.
2. ``CreateDomainName``'s ``ApiGatewayDomainName``: moto stores and echoes
   the configuration it was given, so the target name AWS assigns (and its
   ``HostedZoneId``, which AWS returns alongside it) is missing. The stand-in
   lets moto create the domain, then adds both to moto's stored configuration,
   so ``CreateDomainName`` and later ``GetDomainName`` calls carry them.
3. ``GetRouteResponses`` (``GET /v2/apis/{apiId}/routes/{routeId}/routeresponses``):
   moto stores route responses but cannot list them. The stand-in lists
   moto's stored ones (404 for an unknown API or route).

Besides, ``fail_once`` makes one matching request fail with a 400 (not retried
by botocore) to test what happens when AWS fails halfway.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.request import Request, urlopen

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

# AWS's hosted zone id of regional API Gateway endpoints is per region; any
# value will do for moto's Route 53, which does not check alias targets.
STAND_IN_TARGET_ZONE_ID = "ZSTANDINAPIGW"

_DEPLOYMENTS = re.compile(r"/v2/apis/(?P<api_id>[^/]+)/deployments")
_ROUTE_RESPONSES = re.compile(
    r"/v2/apis/(?P<api_id>[^/]+)/routes/(?P<route_id>[^/]+)/routeresponses"
)
_REGION = re.compile(r"Credential=[^/]+/[^/]+/(?P<region>[^/]+)/")

StartResponse = Callable[..., Any]

# One access-log line per AWS call would drown the test output.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    code: str
    skip: int = 0
    remaining: int = 1


@dataclass
class StandIns:
    app: Any
    deployments: list[dict[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.deployments.clear()
            self.requests.clear()
            self._failures.clear()

    def fail_once(
        self, method: str, path_regex: str, *, skip: int = 0, code: str = "BadRequestException"
    ) -> None:
        """Fail the first matching request after ``skip`` matching ones succeeded."""
        with self._lock:
            self._failures.append(_Failure(method, re.compile(path_regex), code, skip))

    def writes(self) -> list[tuple[str, str]]:
        """Every request that could change something (not GET)."""
        return [(method, path) for method, path in self.requests if method != "GET"]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        with self._lock:
            self.requests.append((method, path))
            failure = self._take_failure(method, path)
        if failure is not None:
            return _json(start_response, 400, {"message": "injected failure"}, failure.code)
        match = _DEPLOYMENTS.fullmatch(path)
        if match and method == "POST":
            return self._create_deployment(environ, start_response, match["api_id"])
        if path == "/v2/domainnames" and method == "POST":
            return self._create_domain_name(environ, start_response)
        match = _ROUTE_RESPONSES.fullmatch(path)
        if match and method == "GET":
            return self._get_route_responses(environ, start_response, **match.groupdict())
        return self.app(environ, start_response)  # type: ignore[no-any-return]

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.remaining and failure.method == method and failure.path.fullmatch(path):
                if failure.skip:
                    failure.skip -= 1
                    continue
                failure.remaining -= 1
                return failure
        return None

    def _create_deployment(
        self, environ: dict[str, Any], start_response: StartResponse, api_id: str
    ) -> Iterable[bytes]:
        body = _read_json(environ)
        backend = _backend(environ)
        api = backend.apis.get(api_id)
        if api is None:
            return _json(start_response, 404, {"message": "Invalid API identifier"}, "NotFound")
        stage = body.get("stageName")
        if stage and stage not in api.stages:
            return _json(start_response, 400, {"message": "Invalid stage"}, "BadRequest")
        deployment = {
            "deploymentId": secrets.token_hex(3),
            "deploymentStatus": "DEPLOYED",
            "description": body.get("description", ""),
            "autoDeployed": False,
            "createdDate": "2026-01-01T00:00:00Z",
        }
        with self._lock:
            self.deployments.append(
                {
                    "api_id": api_id,
                    "stage": stage or "",
                    "deployment_id": deployment["deploymentId"],
                }
            )
        return _json(start_response, 201, deployment)

    def _get_route_responses(
        self, environ: dict[str, Any], start_response: StartResponse, api_id: str, route_id: str
    ) -> Iterable[bytes]:
        # GetRouteResponses, which moto does not implement, from moto's own state.
        api = _backend(environ).apis.get(api_id)
        route = api.routes.get(route_id) if api is not None else None
        if route is None:
            return _json(start_response, 404, {"message": "Invalid route identifier"}, "NotFound")
        items = [response.to_json() for response in route.route_responses.values()]
        return _json(start_response, 200, {"items": items})

    def _create_domain_name(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        if not captured["status"].startswith("2"):
            start_response(captured["status"], captured["headers"])
            return [body]
        created = json.loads(body)
        backend = _backend(environ)
        domain = backend.domain_names[created["domainName"]]
        for configuration in domain.domain_name_configurations:
            configuration.setdefault(
                "apiGatewayDomainName",
                f"d-{secrets.token_hex(5)}.execute-api.{backend.region_name}.amazonaws.com",
            )
            configuration.setdefault("hostedZoneId", STAND_IN_TARGET_ZONE_ID)
        return _json(start_response, int(captured["status"][:3]), domain.to_json())


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    return json.loads(raw) if raw else {}


def _backend(environ: dict[str, Any]) -> Any:
    match = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    region = match["region"] if match else "us-east-1"
    return apigatewayv2_backends[DEFAULT_ACCOUNT_ID][region]


def _json(
    start_response: StartResponse, status: int, body: dict[str, Any], error: str | None = None
) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if error:
        headers.append(("x-amzn-ErrorType", error))
    reason = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found"}[status]
    start_response(f"{status} {reason}", headers)
    return [data]


class MotoServer:
    """moto's server app plus the stand-ins, served on 127.0.0.1 (free port)."""

    def __init__(self) -> None:
        self.stand_ins = StandIns(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self.stand_ins, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()

    def reset(self) -> None:
        """Forget every AWS resource (moto's own reset API) and the stand-ins' records."""
        with urlopen(Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10):
            pass
        self.stand_ins.reset()
