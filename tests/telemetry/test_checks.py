"""``check --deploy`` warns when channel names become metric attributes (dagw.W012)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings


def deploy_warnings() -> str:
    err = StringIO()
    call_command("check", deploy=True, stdout=StringIO(), stderr=err)
    return err.getvalue()


@override_settings(WEBSOCKETS={"telemetry_channel_attributes": True})
def test_channel_attributes_warn_on_deploy() -> None:
    (warning,) = [m for m in run_checks(include_deployment_checks=True) if m.id == "dagw.W012"]
    assert "becomes its own time series" in warning.msg
    assert "(dagw.W012)" in deploy_warnings()
    assert not [m for m in run_checks() if m.id == "dagw.W012"]  # only with --deploy


@pytest.mark.parametrize(
    "websockets",
    [
        {},  # off by default
        {"telemetry_channel_attributes": True, "telemetry_enabled": False},  # nothing recorded
    ],
)
def test_no_warning_without_channel_attributes(websockets: dict[str, object]) -> None:
    with override_settings(WEBSOCKETS=websockets):
        assert "dagw.W012" not in deploy_warnings()


@override_settings(WEBSOCKETS={"telemetry_active_connections_cache_seconds": -1})
def test_a_negative_cache_interval_is_an_error() -> None:
    errors = [m for m in run_checks() if m.id == "dagw.E003"]
    assert any("telemetry_active_connections_cache_seconds" in m.msg for m in errors)
