"""Declaring channel rules: patterns, what their parts match, the first match, and misuse."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured

from django_aws_api_gateway_websockets import channels
from django_aws_api_gateway_websockets.channels import ChannelRules, check_rules

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def allow(user: Any, **parts: Any) -> bool:
    return True


def test_the_apps_rules_are_discovered_at_startup() -> None:
    found = channels.rules.find("secret-a")
    assert found is not None
    rule, parts = found
    assert rule.function.__module__ == "tests.testapp.websocket_channels"
    assert (rule.pattern, parts) == ("secret-{team}", {"team": "a"})


@pytest.mark.parametrize(
    ("pattern", "channel", "parts"),
    [
        ("lobby", "lobby", {}),
        ("room-{room}", "room-7", {"room": "7"}),
        ("room-{room}", "room-big_hall", {"room": "big_hall"}),
        # The default takes "-" too: a hyphenated name cannot slip past the rule.
        ("room-{room}", "room-big-hall", {"room": "big-hall"}),
        ("room-{str:room}", "room-big-hall", {"room": "big-hall"}),
        ("org-{word:org}-room-{room}", "org-acme-room-7-b", {"org": "acme", "room": "7-b"}),
        ("order-{int:number}", "order-42", {"number": 42}),
        ("{word:name}_chat", "ann_chat", {"name": "ann"}),
    ],
)
def test_a_pattern_matches_whole_names_and_converts_its_parts(
    pattern: str, channel: str, parts: dict[str, Any]
) -> None:
    rules = ChannelRules()
    rules.channel(pattern)(allow)
    found = rules.find(channel)
    assert found is not None
    assert found[1] == parts


@pytest.mark.parametrize(
    ("pattern", "channel"),
    [
        ("lobby", "lobby-2"),
        ("lobby", "big-lobby"),
        ("room-{word:room}", "room-big-hall"),
        ("room-{room}", "room-"),
        ("room-{room}", "room"),
        ("order-{int:number}", "order-4x"),
    ],
)
def test_a_pattern_does_not_match_other_names(pattern: str, channel: str) -> None:
    rules = ChannelRules()
    rules.channel(pattern)(allow)
    assert rules.find(channel) is None


def test_the_first_matching_rule_decides() -> None:
    rules = ChannelRules()
    rules.channel("room-vip")(lambda user: False)
    rules.channel("room-{room}")(lambda user, room: True)
    assert not rules.check(AnonymousUser(), "room-vip").allowed
    assert rules.check(AnonymousUser(), "room-vip-2").allowed


def test_a_rule_answers_true_false_or_a_dict() -> None:
    rules = ChannelRules()
    rules.channel("yes")(lambda user: True)
    rules.channel("no")(lambda user: False)
    rules.channel("presence-{room}")(lambda user, room: {"room": room})
    user = AnonymousUser()
    assert rules.check(user, "yes").allowed
    assert rules.check(user, "no").allowed is False
    assert "refused 'no'" in rules.check(user, "no").reason
    admitted = rules.check(user, "presence-hall")
    assert (admitted.allowed, admitted.info) == (True, {"room": "hall"})


def test_a_rule_that_answers_anything_else_is_a_type_error() -> None:
    rules = ChannelRules()
    rules.channel("forgot-{room}")(lambda user, room: None)
    with pytest.raises(TypeError, match="returned NoneType; a rule returns True, False, or a dict"):
        rules.check(AnonymousUser(), "forgot-1")


def test_no_matching_rule_allows_unless_a_rule_is_required(settings: Any) -> None:
    rules = ChannelRules()
    assert rules.check(AnonymousUser(), "anything").allowed
    assert not rules.check(AnonymousUser(), "anything", require_rule=True).allowed
    settings.WEBSOCKETS = {"channels_require_rule": True}
    assert not check_rules(AnonymousUser(), "unlisted").allowed
    assert check_rules(AnonymousUser(), "ruled-lobby").allowed


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "needs a non-empty string pattern"),
        (None, "needs a non-empty string pattern"),
        ("room-{room", "is not part of any channel name"),
        ("room-room}", "is not part of any channel name"),
        ("room.{room}", "'room.' is not part of any channel name"),
        ("{a}{b}", "two parts side by side are ambiguous"),
        ("room-{}", "needs a Python identifier"),
        ("room-{1st}", "needs a Python identifier"),
        ("{room}-{room}", "names the part 'room' twice"),
        ("room-{float:size}", "unknown converter 'float'"),
    ],
)
def test_a_malformed_pattern_is_improperly_configured(pattern: Any, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message.replace(".", r"\.")):
        ChannelRules().channel(pattern)


def test_a_repeated_pattern_is_improperly_configured() -> None:
    rules = ChannelRules()
    rules.channel("room-{room}")(allow)
    rules.channel("room-{word:room}")(allow)  # matches fewer names: a different pattern
    with pytest.raises(ImproperlyConfigured, match="repeats the pattern of"):
        rules.channel("room-{name}")(allow)
    with pytest.raises(ImproperlyConfigured, match="repeats the pattern of"):
        rules.channel("room-{str:name}")(allow)
    assert len(rules) == 2


def test_a_rule_must_be_callable() -> None:
    with pytest.raises(ImproperlyConfigured, match="decorates 42, which is not callable"):
        ChannelRules().channel("lobby")(42)


@pytest.mark.parametrize(
    "function",
    [
        lambda user: True,  # no parameter for the part
        lambda user, name: True,  # another name
        lambda user, room, floor: True,  # a parameter the pattern cannot fill
        lambda: True,  # no user
    ],
)
def test_a_rule_must_take_the_user_and_one_parameter_per_part(function: Any) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"must accept \(user, room\)"):
        ChannelRules().channel("room-{room}")(function)


@pytest.mark.parametrize(
    "function",
    [lambda user, room: True, lambda user, room, floor=0: True, lambda user, **parts: True],
)
def test_a_rule_may_take_defaults_or_keywords(function: Any) -> None:
    rules = ChannelRules()
    assert rules.channel("room-{room}")(function) is function  # the decorator returns it
    assert rules.check(AnonymousUser(), "room-1").allowed


def test_isolated_drops_the_rules_added_inside() -> None:
    before = list(channels.rules)
    with channels.rules.isolated():
        channels.channel("isolated-{room}")(allow)
        assert channels.rules.find("isolated-1") is not None
    assert list(channels.rules) == before


def test_a_repeated_pattern_stops_startup() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.channel_rules.broken_settings"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "@channel('secret-{name}') on tests.channel_rules.broken_app" in done.stderr
    assert "repeats the pattern of tests.testapp.websocket_channels.secret_team" in done.stderr
