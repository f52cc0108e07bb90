"""System checks of WEBSOCKETS["transport"] and the flat send_* keys."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from django_aws_api_gateway_websockets.transport_options import BUILT_IN

AIOHTTP = "django_aws_api_gateway_websockets.aiohttp_transport.AiohttpTransport"
BOTO = "django_aws_api_gateway_websockets.transport.BotoTransport"
OUTBOX = "django_aws_api_gateway_websockets.testing.Outbox"


def messages(websockets: dict[str, Any]) -> list[tuple[str, str]]:
    with override_settings(WEBSOCKETS=websockets):
        return [
            (m.id, str(m.msg))
            for m in run_checks()
            if m.id and m.id.startswith("dagw.") and m.id != "dagw.W004"
        ]


def ids(websockets: dict[str, Any]) -> list[str]:
    return [found for found, _ in messages(websockets)]


@pytest.mark.parametrize("options", BUILT_IN, ids=lambda options: options.transport)
def test_every_default_option_is_a_valid_value(options: Any) -> None:
    backend = AIOHTTP if options.transport == "AiohttpTransport" else BOTO
    given = {option.name: option.default for option in options.declared()}

    assert ids({"transport": {"BACKEND": backend, "OPTIONS": given}}) == []


def test_an_unknown_option_is_an_error_with_a_suggestion() -> None:
    [(found, text)] = messages({"transport": {"BACKEND": AIOHTTP, "OPTIONS": {"max_inflight": 8}}})

    assert found == "dagw.E014"
    assert "['OPTIONS']['max_inflight'] is not an option of" in text


def test_an_option_of_another_transport_is_an_error() -> None:
    assert ids({"transport": {"BACKEND": BOTO, "OPTIONS": {"max_in_flight": 8}}}) == ["dagw.E014"]


def test_a_transport_declaring_no_options_takes_none() -> None:
    assert ids({"transport": {"BACKEND": OUTBOX, "OPTIONS": {"x": 1}}}) == ["dagw.E014"]
    assert ids({"transport": {"BACKEND": OUTBOX, "OPTIONS": {}}}) == []


def test_an_option_of_the_wrong_type_or_out_of_bounds_is_an_error() -> None:
    wrong = messages({"transport": {"BACKEND": AIOHTTP, "OPTIONS": {"max_in_flight": "8"}}})
    low = messages({"transport": {"BACKEND": AIOHTTP, "OPTIONS": {"max_attempts": 0}}})

    assert [found for found, _ in wrong] == ["dagw.E002"]
    assert "['OPTIONS']['max_in_flight'] must be int, not str" in wrong[0][1]
    assert [found for found, _ in low] == ["dagw.E003"]


@pytest.mark.parametrize(
    ("transport", "expected"),
    [
        ({"BACKEND": AIOHTTP, "OPTION": {}}, ["dagw.E014"]),
        ({"BACKEND": "nowhere.Transport"}, ["dagw.E006"]),
        ({"BACKEND": 3}, ["dagw.E006"]),
        ({"BACKEND": AIOHTTP, "OPTIONS": [1]}, ["dagw.E002"]),
        (["not", "a", "dict"], ["dagw.E002"]),
    ],
)
def test_a_malformed_transport_dict_is_an_error(transport: Any, expected: list[str]) -> None:
    assert ids({"transport": transport}) == expected


def test_a_flat_key_the_chosen_transport_does_not_read_warns() -> None:
    [(found, text)] = messages({"send_concurrency": 4})

    assert found == "dagw.W009"
    assert "read only by BotoTransport" in text
    assert ids({"transport": BOTO, "send_max_in_flight": 4}) == ["dagw.W009"]
    assert ids({"transport": OUTBOX, "send_max_attempts": 2}) == ["dagw.W009"]


def test_flat_keys_the_chosen_transport_reads_pass() -> None:
    assert ids({"send_max_in_flight": 4, "send_max_attempts": 2}) == []
    assert ids({"transport": BOTO, "send_concurrency": 4, "send_max_attempts": 2}) == []


def test_a_key_set_both_flat_and_in_options_warns_that_options_win() -> None:
    [(found, text)] = messages(
        {"send_max_attempts": 2, "transport": {"BACKEND": AIOHTTP, "OPTIONS": {"max_attempts": 4}}}
    )

    assert found == "dagw.W010"
    assert "OPTIONS wins" in text
