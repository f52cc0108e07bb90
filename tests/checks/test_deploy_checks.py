from __future__ import annotations

from importlib.util import find_spec
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from . import deploy_urls


def deploy_messages() -> list[str]:
    err = StringIO()
    call_command("check", deploy=True, stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


@override_settings(WEBSOCKETS={})
def test_missing_gateway_secret_warns_on_deploy() -> None:
    output = "\n".join(deploy_messages())
    assert "(dagw.W003)" in output
    assert "X-Ws-Gateway-Secret" in output


@override_settings(WEBSOCKETS={"gateway_secret": "long-random-secret"})
def test_gateway_secret_set_no_warning() -> None:
    assert "dagw.W003" not in "\n".join(deploy_messages())


def test_deploy_checks_do_not_run_without_deploy() -> None:
    with override_settings(WEBSOCKETS={}, ROOT_URLCONF="tests.checks.deploy_urls"):
        assert not [m for m in run_checks() if m.id in ("dagw.W003", "dagw.W004")]


@override_settings(
    ROOT_URLCONF="tests.checks.deploy_urls", WEBSOCKETS={"gateway_secret": "long-random-secret"}
)
def test_routed_view_without_allowed_handlers_warns_once() -> None:
    warnings = [m for m in run_checks(include_deployment_checks=True) if m.id == "dagw.W004"]
    assert [w.obj for w in warnings] == [deploy_urls.OpenChatView]
    assert "tests.checks.deploy_urls.OpenChatView does not set ALLOWED_HANDLERS" in warnings[0].msg
    assert "ALLOWED_HANDLERS = [" in str(warnings[0].hint)
    assert "dagw.W004" in "\n".join(deploy_messages())


@override_settings(ROOT_URLCONF=None, WEBSOCKETS={"gateway_secret": "s"})
def test_no_urlconf_no_view_warning() -> None:
    assert not [m for m in run_checks(include_deployment_checks=True) if m.id == "dagw.W004"]


LONG_SECRET = "x" * 32


@override_settings(WEBSOCKETS={"gateway_secret": "abcdef"})
def test_short_gateway_secret_warns_on_deploy() -> None:
    (warning,) = [m for m in run_checks(include_deployment_checks=True) if m.id == "dagw.W005"]
    assert "is 6 characters long" in warning.msg
    assert "at least 32" in str(warning.hint)
    assert "(dagw.W005)" in "\n".join(deploy_messages())


@override_settings(WEBSOCKETS={"gateway_secret": [LONG_SECRET, "short"]})
def test_each_short_secret_of_a_rotation_warns() -> None:
    warnings = [m for m in run_checks(include_deployment_checks=True) if m.id == "dagw.W005"]
    assert [w.msg.split("(secret ")[1][:1] for w in warnings] == ["2"]


@override_settings(WEBSOCKETS={"gateway_secret": LONG_SECRET})
def test_32_character_secret_is_enough() -> None:
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert not ids & {"dagw.W003", "dagw.W005"}


@pytest.mark.parametrize("secret", ["", []])
def test_an_empty_secret_gets_one_message(secret: object) -> None:
    with override_settings(WEBSOCKETS={"gateway_secret": secret}):
        ids = [
            m.id
            for m in run_checks(include_deployment_checks=True)
            if m.id in ("dagw.E004", "dagw.W003", "dagw.W005")
        ]
    assert ids == ["dagw.E004"]


@override_settings(WEBSOCKETS={"gateway_secret": LONG_SECRET})
def test_channels_without_required_rules_warn_on_deploy() -> None:
    (warning,) = [m for m in run_checks(include_deployment_checks=True) if m.id == "dagw.W006"]
    assert "can be joined by anyone, through any view" in warning.msg
    assert 'WEBSOCKETS["channels_require_rule"] = True' in str(warning.hint)
    assert "(dagw.W006)" in "\n".join(deploy_messages())


@override_settings(WEBSOCKETS={"gateway_secret": LONG_SECRET, "channels_require_rule": True})
def test_required_channel_rules_no_warning() -> None:
    assert "dagw.W006" not in "\n".join(deploy_messages())
    assert not [m for m in run_checks() if m.id == "dagw.W006"]  # and only with --deploy


FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"


@pytest.mark.parametrize(
    ("backend", "coalesce_seconds", "warned"),
    [
        ("immediate.ImmediateBackend", 2, True),  # the test settings' (and Django's) default
        ("dummy.DummyBackend", 2, False),  # can defer
        ("immediate.ImmediateBackend", 0, False),  # coalescing turned off
    ],
)
def test_presence_coalescing_needs_a_deferring_tasks_backend(
    backend: str, coalesce_seconds: int, warned: bool
) -> None:
    with override_settings(
        TASKS={"default": {"BACKEND": f"{FRAMEWORK}.backends.{backend}"}},
        WEBSOCKETS={"gateway_secret": "x" * 40, "presence_coalesce_seconds": coalesce_seconds},
    ):
        output = "\n".join(deploy_messages())

    assert ("(dagw.W008)" in output) is warned
    if warned:
        assert "presence events are not coalesced" in output
