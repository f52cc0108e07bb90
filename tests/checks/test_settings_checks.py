from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_aws_api_gateway_websockets.conf import DEFAULTS, SETTINGS, Settings, conf
from django_aws_api_gateway_websockets.settings_schema import ZERO, Setting


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
    # send_concurrency is BotoTransport's; the default transport warns that it ignores it.
    everything_but_boto = {
        key: value for key, value in DEFAULTS.items() if key != "send_concurrency"
    }
    assert ids_for(everything_but_boto) == []
    assert ids_for(dict(DEFAULTS)) == ["dagw.W009"]


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


def messages_for(websockets: dict[str, Any]) -> list[tuple[str | None, str, str | None]]:
    with override_settings(WEBSOCKETS=websockets):
        return [(m.id, m.msg, m.hint) for m in run_checks() if m.id and m.id.startswith("dagw.")]


@pytest.mark.parametrize(
    ("key", "value", "id", "message", "hint"),
    [
        ("send_max_attempts", 2.5, "dagw.E002", "must be int, not float.", "The default is 3."),
        ("lambda_host", 7, "dagw.E002", "must be str or None, not int.", "The default is None."),
        (
            "token_expiry_seconds",
            0,
            "dagw.E003",
            "must be greater than 0, not 0.",
            "The default is 60.",
        ),
        (
            "gateway_cache_seconds",
            -1,
            "dagw.E003",
            "must be 0 or more, not -1.",
            "The default is 60; 0 turns it off.",
        ),
        (
            "rate_limit_ipv6_prefix",
            129,
            "dagw.E003",
            "is 129; an IPv6 prefix is at most 128.",
            "Use 64 (a /64).",
        ),
        (
            "max_channel_name_length",
            101,
            "dagw.E003",
            "is 101, but WebSocketSession.channel_name holds at most 100 characters.",
            "Use a value between 1 and 100.",
        ),
    ],
)
def test_type_and_range_messages(key: str, value: object, id: str, message: str, hint: str) -> None:
    assert messages_for({key: value}) == [(id, f"WEBSOCKETS[{key!r}] {message}", hint)]


@pytest.mark.parametrize(
    "setting", [s for s in SETTINGS if s.minimum or s.maximum], ids=lambda s: s.name
)
def test_each_declared_bound_is_checked(setting: Setting[object]) -> None:
    """The bounds conf.Settings declares are the ones dagw.E003 enforces, key by key."""

    def found(value: object) -> list[str]:
        # dagw.W009: send_concurrency is not read by the default transport.
        return [m[0] for m in messages_for({setting.name: value}) if m[0] != "dagw.W009"]

    smallest = 0 if setting.minimum is ZERO else 1
    assert found(smallest) == []
    assert found(smallest - 1) == ["dagw.E003"]
    if setting.maximum is not None:
        assert found(setting.maximum.limit) == []
        assert found(setting.maximum.limit + 1) == ["dagw.E003"]


def test_a_declared_key_is_read_lazily_and_its_class_attribute_is_the_declaration() -> None:
    declaration = Settings.rate_limit_ipv6_prefix
    assert (declaration.name, declaration.default) == ("rate_limit_ipv6_prefix", 64)
    assert conf.rate_limit_ipv6_prefix == 64
    with override_settings(WEBSOCKETS={"rate_limit_ipv6_prefix": 200}):
        # Out of range (dagw.E003) but kept usable: ipaddress refuses a prefix over 128.
        assert conf.rate_limit_ipv6_prefix == 128


@pytest.mark.parametrize(
    ("prefix", "ids"), [("presence-", []), ("", []), ("pres ence", ["dagw.E003"])]
)
def test_presence_prefix_must_be_able_to_start_a_channel_name(prefix: str, ids: list[str]) -> None:
    assert ids_for({"presence_channel_prefix": prefix}) == ids


@pytest.mark.parametrize("algorithms", [[], ["none"], ["HS256"], ["RS256", "XX999"]])
def test_jwt_algorithms_must_be_public_key_ones(algorithms: list[str]) -> None:
    message = check_fails(WEBSOCKETS={"jwt_algorithms": algorithms})
    assert "dagw.E012" in message
    assert "HINT" in message


def test_jwt_claims_hook_must_import() -> None:
    message = check_fails(WEBSOCKETS={"jwt_claims_to_user": "nowhere.claims_to_user"})
    assert "dagw.E013" in message


def test_a_jwks_url_without_issuer_or_audience_warns() -> None:
    url = "https://idp.example/.well-known/jwks.json"
    assert ids_for({"jwt_jwks_url": url, "jwt_issuer": "https://idp.example/"}) == ["dagw.W007"]
    assert ids_for({"jwt_jwks_url": url, "jwt_issuer": "i", "jwt_audience": "a"}) == []
