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
from django.utils.http import is_same_domain

from . import telemetry, wire
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


def _request_origin(request: HttpRequest) -> str | None:
    """This request's own origin, built as Django's CSRF check builds it.

    On $connect through a gateway, "this request" is the gateway's call to
    Django: the Host is the integration URL's host, and the scheme is https
    only if Django sees it as secure (TLS, or ``SECURE_PROXY_SSL_HEADER``).
    """
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return normalize_origin(f"{request.scheme}://{host}")


def _came_over_http(request: HttpRequest) -> bool:
    """Plain http end to end, as on a laptop: then http pages may connect.

    The gateway's ``X-Forwarded-Proto`` describes the client's own connection
    (always https behind AWS). It can only narrow: a request Django sees as
    secure never counts as http, whatever the header says.
    """
    forwarded = request.headers.get(wire.FORWARDED_PROTO_HEADER, "http")
    return request.scheme == "http" and forwarded.strip().lower() == "http"


def _allowed_hosts() -> list[str]:
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return _DEBUG_HOSTS
    return [host for host in settings.ALLOWED_HOSTS if host != "*"]


def _is_csrf_trusted(origin: str) -> bool:
    """An exact ``CSRF_TRUSTED_ORIGINS`` entry, or one of its ``*.`` wildcards.

    As in Django, a wildcard covers the domain's subdomains with the same
    scheme and port (``https://*.example.com`` does not admit
    ``https://example.com:8443``).
    """
    scheme, netloc = origin.split("://", 1)
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        if "*" not in entry:
            if normalize_origin(entry) == origin:
                return True
        elif _wildcard_matches(entry, scheme, netloc):
            return True
    return False


def _wildcard_matches(entry: str, scheme: str, netloc: str) -> bool:
    entry_scheme, _, pattern = entry.partition("://")
    if entry_scheme.lower() != scheme or not pattern.startswith("*"):
        return False
    domain, port = split_domain_port(pattern[1:])
    if not domain:
        return False
    if port and int(port) != _DEFAULT_PORTS[scheme]:
        domain = f"{domain}:{port}"
    return is_same_domain(netloc, domain)


def _is_allowed_host_on_default_port(request: HttpRequest, origin: str) -> bool:
    """https (or http over plain http) on the default port, for a host in ALLOWED_HOSTS."""
    scheme, netloc = origin.split("://", 1)
    domain, port = split_domain_port(netloc)
    if port or not domain:
        return False
    if scheme == "http" and not _came_over_http(request):
        return False
    # "*" in ALLOWED_HOSTS says which Host headers Django answers, not which pages
    # may open a socket, so it never admits an Origin by itself.
    return validate_host(domain, _allowed_hosts())


def is_allowed_origin(request: HttpRequest, origin: str) -> bool:
    """Scheme, host and port must all match; see docs/security.md for the rule."""
    normalized = normalize_origin(origin)
    if normalized is None:
        return False
    configured = conf.allowed_origins
    if configured is not None:
        return normalized in {normalize_origin(entry) for entry in configured}
    return (
        normalized == _request_origin(request)
        or _is_csrf_trusted(normalized)
        or _is_allowed_host_on_default_port(request, normalized)
    )


def check_origin(request: HttpRequest) -> None:
    origin = request.headers.get("Origin")
    if origin is None:
        if conf.allow_missing_origin:
            return
        telemetry.refused("origin")
        raise Refused(
            "Origin header required.",
            403,
            reason="no Origin header (set allow_missing_origin for non-browser clients)",
        )
    if not is_allowed_origin(request, origin):
        telemetry.refused("origin")
        raise Refused("Origin not allowed.", 403, reason=f"Origin {origin[:200]!r} not allowed")
