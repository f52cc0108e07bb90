"""The sessions changelist fits a 1280 px wide window (Chromium, Playwright)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession

from .browser import SCREENSHOTS, WIDTH, admin_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGELIST = "admin:django_aws_api_gateway_websockets_websocketsession_changelist"


@pytest.fixture
def admin_cookie(live_server: object) -> Iterator[dict[str, str]]:
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    gateway = ApiGateway.objects.create(
        api_name="A gateway with a fairly long name",
        target_base_endpoint="https://app.example.com/ws/",
        api_id="abcdef1234",
        api_endpoint="wss://abcdef1234.execute-api.eu-west-1.amazonaws.com",
    )
    now = timezone.now()
    for index in range(5):
        WebSocketSession.objects.create(
            connection_id=f"L0SM9cOFvHcCIhw={index}",
            channel_name=f"a-rather-long-channel-name-{index}",
            user=admin,
            api_gateway=gateway,
            request_count=12345,
            created_on=now,
            updated_on=now,
        )
    client = Client()
    client.force_login(admin)
    yield {"name": "sessionid", "value": client.cookies["sessionid"].value}


def test_every_column_is_visible_at_1280_px(
    live_server: object, admin_cookie: dict[str, str]
) -> None:
    with admin_page(live_server, admin_cookie, reverse(CHANGELIST)) as page:
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/sessions-1280.png", full_page=True)
        # The results box scrolls sideways when the table is wider: what
        # does not fit is hidden until scrolled to.
        overflow = page.evaluate(
            "(() => { const box = document.querySelector('#changelist-form .results');"
            " return [box.scrollWidth, box.clientWidth,"
            " [...document.querySelectorAll('#result_list thead th')]"
            ".map(th => th.getBoundingClientRect().width)]; })()"
        )
        last = page.locator("#result_list thead th").last.bounding_box()
        page_width = page.evaluate("document.documentElement.scrollWidth")
    scroll_width, client_width, widths = overflow
    assert scroll_width <= client_width, str([round(width) for width in widths])
    assert last is not None
    assert last["x"] + last["width"] <= WIDTH
    assert page_width <= WIDTH
