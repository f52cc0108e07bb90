"""The Origin rule with ``allowed_origins`` unset: scheme, host and port must all match.

Each case is one handshake through a simulated gateway; see docs/security.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from tests.conftest import API_ID

# Behind AWS: Django sees https (SECURE_PROXY_SSL_HEADER), the client came over wss.
PRODUCTION = {"host": "app.example.com", "forwarded_proto": "https", "secure": True}
# On a laptop: everything is plain http, Django on port 8000.
LAPTOP = {"host": "127.0.0.1:8000", "forwarded_proto": "http", "secure": False}
# Django reached over http (no SECURE_PROXY_SSL_HEADER), the client over wss.
HTTP_INTEGRATION = {"host": "app.example.com", "forwarded_proto": "https", "secure": False}


def handshake(origin: str, *, host: str, forwarded_proto: str, secure: bool, settings: Any) -> int:
    if secure:
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    ws = WebSocketTestClient("/ws/", api_id=API_ID, client=Client(HTTP_HOST=host), origin=None)
    connection_id = wire.new_connection_id()
    request = wire.connect_request(
        connection_id=connection_id,
        api_id=API_ID,
        client_headers={"Origin": origin},
        forwarded_proto=forwarded_proto,
        static_headers=ws.static_headers(),
    )
    status = int(ws.perform(request, cookies=True).status_code)
    assert WebSocketSession.objects.filter(connection_id=connection_id).exists() == (status == 200)
    return status


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("https://app.example.com", 200),  # the request's own origin
        ("https://app.example.com:443", 200),
        ("http://app.example.com", 403),  # other scheme
        ("https://app.example.com:8443", 403),  # other port
        ("https://localhost", 200),  # https, default port, in ALLOWED_HOSTS
        ("http://localhost", 403),  # http: the client came over https
        ("https://www.example.com", 403),  # not in ALLOWED_HOSTS
        ("https://app.example.com.evil.example", 403),
        ("null", 403),
    ],
)
def test_behind_aws(gateway: ApiGateway, settings: Any, origin: str, status: int) -> None:
    assert handshake(origin, settings=settings, **PRODUCTION) == status


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://127.0.0.1:8000", 200),  # the page Django served
        ("http://127.0.0.1:9999", 403),  # other port
        ("http://localhost:3000", 403),  # other port
        ("http://localhost:8000", 403),  # other host, not on the default port
        ("http://localhost", 200),  # http on port 80 of an allowed host, all http
        ("https://127.0.0.1", 200),  # https on the default port of an allowed host
        ("https://127.0.0.1:8000", 403),  # other scheme
        ("null", 403),
    ],
)
def test_on_a_laptop(gateway: ApiGateway, settings: Any, origin: str, status: int) -> None:
    assert handshake(origin, settings=settings, **LAPTOP) == status


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        # As Django's CSRF check: the request's own origin is http here.
        ("http://app.example.com", 200),
        # But other http pages are not: the client itself came over https.
        ("http://localhost", 403),
        ("https://localhost", 200),
    ],
)
def test_django_reached_over_http(
    gateway: ApiGateway, settings: Any, origin: str, status: int
) -> None:
    assert handshake(origin, settings=settings, **HTTP_INTEGRATION) == status


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("https://a.example.net", 200),
        ("https://a.b.example.net", 200),
        ("https://example.net", 200),  # Django's wildcard covers the domain too
        ("http://a.example.net", 403),  # other scheme
        ("https://a.example.net:8443", 403),  # other port
        ("https://evilexample.net", 403),
        ("https://a.example.org:8443", 200),
        ("https://a.example.org", 403),  # the wildcard names port 8443
        ("http://localhost:3000", 200),  # an exact entry
        ("http://localhost:3001", 403),
        ("https://[2001:db8::1]:8443", 200),
        ("https://[2001:DB8::1]:8443", 200),
        ("https://[2001:db8::2]:8443", 403),
        ("null", 403),
    ],
)
def test_csrf_trusted_origins(gateway: ApiGateway, settings: Any, origin: str, status: int) -> None:
    settings.CSRF_TRUSTED_ORIGINS = [
        "https://*.example.net",
        "https://*.example.org:8443",
        "http://localhost:3000",
        "https://[2001:db8::1]:8443",
        "https://not*a.wildcard.example",
    ]
    assert handshake(origin, settings=settings, **PRODUCTION) == status


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://[::1]:8000", 200),
        ("http://[::1]:8001", 403),
        ("https://[::1]", 200),
        ("http://[::2]:8000", 403),
        ("http://[::1", 403),
    ],
)
def test_ipv6(gateway: ApiGateway, settings: Any, origin: str, status: int) -> None:
    settings.ALLOWED_HOSTS = ["[::1]"]
    assert (
        handshake(
            origin, settings=settings, host="[::1]:8000", forwarded_proto="http", secure=False
        )
        == status
    )


def test_a_client_cannot_claim_plain_http(make_ws_client: Any, settings: Any) -> None:
    # The gateway's own X-Forwarded-Proto replaces the client's copy.
    ws = make_ws_client(origin=None, client=Client(HTTP_HOST="app.example.com"))
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = ws.connect(headers={"Origin": "http://localhost", "X-Forwarded-Proto": "http"})
    assert response.response.status_code == 403


def test_allowed_origins_replaces_the_rule(gateway: ApiGateway, settings: Any) -> None:
    settings.WEBSOCKETS = {"allowed_origins": ["http://localhost:3000"]}
    assert handshake("http://localhost:3000", settings=settings, **LAPTOP) == 200
    assert handshake("http://127.0.0.1:8000", settings=settings, **LAPTOP) == 403
