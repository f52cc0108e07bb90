from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from . import route_urls


@override_settings(ROOT_URLCONF="tests.checks.route_urls")
def test_a_websocket_view_must_capture_route() -> None:
    errors = [m for m in run_checks() if m.id == "dagw.E009"]
    assert [e.obj for e in errors] == [route_urls.WrongNameView, route_urls.NoCaptureView]
    assert "'wrong/<slug:action>'" in errors[0].msg
    assert errors[0].hint == 'Route it as path("ws/<slug:route>", MyView.as_view()).'
    with pytest.raises(SystemCheckError, match="dagw.E009"):
        call_command("check")


def test_the_test_projects_own_urls_pass() -> None:
    assert [m for m in run_checks() if m.id == "dagw.E009"] == []
