"""May a page from this ``Origin`` open a WebSocket connection to us?

Browsers send ``Origin`` on the WebSocket handshake and API Gateway passes it to
$connect. Without this check any site a logged-in user visits could open a
connection with the user's cookies (cross-site WebSocket hijacking).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host

from .conf import conf
from .exceptions import Refused

_DEFAULT_PORTS = {"http": 80, "https": 443}
# What Django's get_host() accepts when DEBUG is on and ALLOWED_HOSTS is empty.
_DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]


def normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port, or None.

    Anything that is not exactly a web origin (a path, credentials, another
    scheme, the opaque ``null``) gives None.
    """
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _request_origin_host(request: HttpRequest, scheme: str) -> str | None:
    try:
        host = request.get_host().lower()
    except DisallowedHost:
        return None
    domain, port = split_domain_port(host)
    if port and int(port) == _DEFAULT_PORTS[scheme]:
        return domain
    return host


def _allowed_hosts() -> list[str]:
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return _DEBUG_HOSTS
    return [host for host in settings.ALLOWED_HOSTS if host != "*"]


def is_allowed_origin(request: HttpRequest, origin: str) -> bool:
    normalized = normalize_origin(origin)
    if normalized is None:
        return False
    configured = conf.allowed_origins
    if configured is not None:
        return normalized in {normalize_origin(entry) for entry in configured}
    scheme, host = normalized.split("://", 1)
    if host == _request_origin_host(request, scheme):
        return True
    # "*" in ALLOWED_HOSTS says which Host headers Django answers, not which pages
    # may open a socket, so it never admits an Origin by itself.
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, _allowed_hosts())


def check_origin(request: HttpRequest) -> None:
    origin = request.headers.get("Origin")
    if origin is None:
        if conf.allow_missing_origin:
            return
        raise Refused(
            "Origin header required.",
            403,
            reason="no Origin header (set allow_missing_origin for non-browser clients)",
        )
    if not is_allowed_origin(request, origin):
        raise Refused("Origin not allowed.", 403, reason=f"Origin {origin[:200]!r} not allowed")
