"""Run a ``wire`` request through Django's own WSGI handler, middleware and all.

Sessions, authentication and every other middleware see the request exactly as
they would behind a web server; only the socket is missing.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable, Iterator
from io import BytesIO
from typing import Any, Protocol

from .. import wire
from .events import LambdaRequest


class WSGIResult(Protocol):
    def __iter__(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], WSGIResult]

_CONTENT_HEADERS = {"content-length": "CONTENT_LENGTH", "content-type": "CONTENT_TYPE"}
_HTTPS_PORT = "443"


def _latin1(text: str) -> str:
    # WSGI carries bytes as latin-1 strings (PEP 3333); Django decodes them back.
    return text.encode().decode("latin-1")


def build_environ(incoming: LambdaRequest, path_prefix: str) -> dict[str, Any]:
    request = incoming.request
    prefix = path_prefix if path_prefix.endswith("/") else f"{path_prefix}/"
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(prefix + incoming.route_path),
        "QUERY_STRING": request.query_string,
        "SERVER_NAME": incoming.host,
        "SERVER_PORT": _HTTPS_PORT,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": request.headers.get(wire.FORWARDED_FOR_HEADER, ""),
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        lowered = name.lower()
        # Like WSGI servers, drop names with "_": they would be ambiguous with "-".
        if "_" in name or lowered in _CONTENT_HEADERS or lowered == "host":
            continue
        environ[f"HTTP_{name.upper().replace('-', '_')}"] = _latin1(value)
    environ["HTTP_HOST"] = _latin1(incoming.host)
    return environ


def lambda_response(status: str, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    """The Lambda proxy response API Gateway relays: status, headers, body."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    try:
        text, encoded = body.decode(), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "statusCode": int(status.split(" ", 1)[0]),
        "headers": single,
        "multiValueHeaders": multi,
        "body": text,
        "isBase64Encoded": encoded,
    }


def run(app: WSGIApp, environ: dict[str, Any]) -> dict[str, Any]:
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started["status"], started["headers"] = status, headers
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        # Sends request_finished: Django closes database connections past their age.
        result.close()
    return lambda_response(started["status"], started["headers"], body)
