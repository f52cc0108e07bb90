import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template

LOAD = "{% load websockets %}"


def render(source: str, **context: object) -> str:
    return Template(LOAD + source).render(Context(context))


def parse_script(html: str, element_id: str = "websocket-config") -> dict[str, object]:
    prefix = f'<script id="{element_id}" type="application/json">'
    assert html.startswith(prefix) and html.endswith("</script>")
    return json.loads(html[len(prefix) : -len("</script>")])  # type: ignore[no-any-return]


def test_reads_the_mixin_context() -> None:
    html = render(
        "{% websocket_config %}",
        websocket_url="ws://127.0.0.1:8001/production",
        channel_name="lobby",
        websocket_token_url="/api/ws-token/",
    )
    assert parse_script(html) == {
        "url": "ws://127.0.0.1:8001/production",
        "channel": "lobby",
        "tokenUrl": "/api/ws-token/",
    }


def test_arguments_override_the_context_and_are_escaped() -> None:
    html = render(
        '{% websocket_config url="wss://ws.example.com" channel="</script>" element_id="cfg" %}',
        websocket_url="ws://ignored",
    )
    assert "</script><" not in html[: -len("</script>")]
    assert parse_script(html, "cfg") == {
        "url": "wss://ws.example.com",
        "channel": "</script>",
        "tokenUrl": None,
    }


def test_without_a_url_the_error_says_what_to_do() -> None:
    with pytest.raises(ImproperlyConfigured, match="AddWebSocketRouteToContextMixin"):
        render("{% websocket_config %}")


def test_with_a_token_url_the_pages_csrf_token_is_included() -> None:
    from django.middleware.csrf import CSRF_TOKEN_LENGTH
    from django.test import RequestFactory

    request = RequestFactory().get("/room/")
    html = render(
        "{% websocket_config %}",
        request=request,
        websocket_url="wss://ws.example.com",
        websocket_token_url="/api/ws-token/",
    )
    config = parse_script(html)
    assert len(str(config["csrfToken"])) == CSRF_TOKEN_LENGTH
    # The middleware will set the cookie on this response.
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    without_token_url = parse_script(
        render("{% websocket_config %}", request=request, websocket_url="wss://ws.example.com")
    )
    assert "csrfToken" not in without_token_url
