from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_aws_api_gateway_websockets.conf import DEFAULTS


def ids_for(websockets: Any = None, **settings: Any) -> list[str]:
    if websockets is not None:
        settings["WEBSOCKETS"] = websockets
    with override_settings(**settings):
        return [m.id for m in run_checks() if m.id and m.id.startswith("dagw.")]


def check_fails(**settings: Any) -> str:
    with override_settings(**settings), pytest.raises(SystemCheckError) as excinfo:
        call_command("check", stdout=StringIO(), stderr=StringIO())
    return str(excinfo.value)


def test_defaults_pass_check() -> None:
    out = StringIO()
    call_command("check", stdout=out, stderr=StringIO())
    assert "no issues" in out.getvalue()
    assert ids_for({}) == []


def test_every_default_is_a_valid_value() -> None:
    assert ids_for(dict(DEFAULTS)) == []


def test_websockets_not_a_dict() -> None:
    message = check_fails(WEBSOCKETS=["gateway_secret"])
    assert "dagw.E001" in message
    assert "WEBSOCKETS must be a dict, not list" in message
    assert "HINT" in message


def test_unknown_key_warns_with_suggestion() -> None:
    err = StringIO()
    with override_settings(WEBSOCKETS={"token_expiry_second": 30}):
        call_command("check", stdout=StringIO(), stderr=err)
    assert "dagw.W001" in err.getvalue()
    assert "Did you mean 'token_expiry_seconds'?" in err.getvalue()


def test_unknown_key_without_close_match() -> None:
    with override_settings(WEBSOCKETS={"zzz": 1}):
        (message,) = [m for m in run_checks() if m.id == "dagw.W001"]
    assert "docs/settings.md" in str(message.hint)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("token_expiry_seconds", "60"),
        ("token_expiry_seconds", 1.5),
        ("token_expiry_seconds", True),
        ("rate_limit_max_attempts", None),
        ("gateway_secret", 123),
        ("allowed_origins", "https://app.example.com"),
        ("allow_missing_origin", "yes"),
        ("send_connect_timeout_seconds", "2"),
        ("transport", None),
    ],
)
def test_wrong_type_fails_check(key: str, value: object) -> None:
    message = check_fails(WEBSOCKETS={key: value})
    assert "dagw.E002" in message
    assert f"WEBSOCKETS[{key!r}] must be" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("token_expiry_seconds", 0),
        ("token_rate_limit_per_minute", -1),
        ("rate_limit_window_minutes", 0),
        ("max_body_size", 0),
        ("send_concurrency", 0),
        ("send_max_in_flight", 0),
        ("send_backoff_base_seconds", -0.1),
        ("send_backoff_max_seconds", -1),
        ("send_read_timeout_seconds", 0.0),
        ("session_max_age_seconds", -5),
        ("gateway_cache_seconds", -1),
        ("exception_mail_interval_seconds", -0.5),
        ("max_channel_name_length", 0),
        ("max_channel_name_length", 101),
    ],
)
def test_out_of_range_fails_check(key: str, value: object) -> None:
    message = check_fails(WEBSOCKETS={key: value})
    assert "dagw.E003" in message
    assert key in message


def test_zero_allowed_where_it_turns_a_feature_off() -> None:
    assert (
        ids_for(
            {
                "gateway_cache_seconds": 0,
                "exception_mail_interval_seconds": 0,
                "token_rate_limit_per_minute": 0,
            }
        )
        == []
    )


@pytest.mark.parametrize("value", ["", [], ["ok", ""], ("ok", 7)])
def test_bad_gateway_secret_fails_check(value: object) -> None:
    assert "dagw.E004" in check_fails(WEBSOCKETS={"gateway_secret": value})


@pytest.mark.parametrize("value", ["s3cret", ["new", "old"], ("only",), None])
def test_good_gateway_secret(value: object) -> None:
    assert ids_for({"gateway_secret": value}) == []


@pytest.mark.parametrize(
    "origin",
    [
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com?x=1",
        "https://user:pw@app.example.com",
        "https://app.example.com:99999",
        "ftp://app.example.com",
        "*",
        42,
    ],
)
def test_bad_allowed_origin_fails_check(origin: object) -> None:
    message = check_fails(WEBSOCKETS={"allowed_origins": ["https://ok.example.com", origin]})
    assert "dagw.E005" in message
    assert "https://ok.example.com'" not in message


def test_good_allowed_origins() -> None:
    origins = ["https://app.example.com", "http://localhost:8000", "http://[::1]:8001"]
    assert ids_for({"allowed_origins": origins}) == []
    assert ids_for({"allowed_origins": ()}) == []


def test_unimportable_transport_fails_check() -> None:
    message = check_fails(WEBSOCKETS={"transport": "nowhere.Transport"})
    assert "dagw.E006" in message
    assert "'nowhere.Transport' cannot be imported" in message


def test_importable_transport() -> None:
    assert ids_for({"transport": "django_aws_api_gateway_websockets.testing.Outbox"}) == []


@pytest.mark.parametrize("name", ["AWS_GATEWAY_REGION_NAME", "AWS_REGION_NAME"])
def test_region_not_a_string_fails_check(name: str) -> None:
    message = check_fails(**{name: ["eu-west-1"]})
    assert "dagw.E007" in message
    assert f"{name} must be a string, not list" in message


@pytest.mark.parametrize("name", ["AWS_IAM_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
def test_credentials_not_a_string_fail_check(name: str) -> None:
    assert "dagw.E008" in check_fails(**{name: 12345})


def test_half_a_key_pair_warns() -> None:
    assert ids_for(AWS_SECRET_ACCESS_KEY=None) == ["dagw.W002"]
    assert ids_for(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None) == []


def test_several_problems_reported_together() -> None:
    found = ids_for({"token_expiry_seconds": 0, "gateway_secret": "", "bogus": 1})
    assert sorted(found) == ["dagw.E003", "dagw.E004", "dagw.W001"]


@pytest.mark.parametrize(
    ("prefix", "ids"), [("presence-", []), ("", []), ("pres ence", ["dagw.E003"])]
)
def test_presence_prefix_must_be_able_to_start_a_channel_name(prefix: str, ids: list[str]) -> None:
    assert ids_for({"presence_channel_prefix": prefix}) == ids
