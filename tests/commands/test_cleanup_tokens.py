from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from django_aws_api_gateway_websockets.models import ConnectionRateLimit, WebSocketToken

pytestmark = pytest.mark.django_db


def token(name: str, user: User, *, age: timedelta, used: bool = False) -> None:
    row = WebSocketToken.objects.create(
        token_hash=name.ljust(64, "0"), user=user, django_session_hash="s" * 64
    )
    created = timezone.now() - age
    WebSocketToken.objects.filter(pk=row.pk).update(
        created_on=created, used_on=created + timedelta(seconds=1) if used else None
    )


def window(key: str, *, age: timedelta) -> None:
    ConnectionRateLimit.objects.create(key=key, window_start=timezone.now() - age, attempts=3)


def tokens_left() -> set[str]:
    return {h.rstrip("0") for h in WebSocketToken.objects.values_list("token_hash", flat=True)}


def windows_left() -> set[str]:
    return set(ConnectionRateLimit.objects.values_list("key", flat=True))


def run(*args: str) -> str:
    out = StringIO()
    call_command("cleanupWebSocketTokens", *args, stdout=out)
    return out.getvalue()


def test_defaults_delete_spent_tokens_older_than_an_hour(user: User) -> None:
    token("aa", user, age=timedelta(hours=2))  # expired
    token("bb", user, age=timedelta(hours=2), used=True)
    token("cc", user, age=timedelta(minutes=30), used=True)  # spent, but young
    token("dd", user, age=timedelta(seconds=5))  # still usable

    output = run()

    assert tokens_left() == {"cc", "dd"}
    assert "Deleted 2 token(s) and 0 rate-limit row(s)." in output


def test_token_age_never_deletes_a_usable_token(user: User) -> None:
    token("aa", user, age=timedelta(seconds=30))  # unused, expires at 60 s
    token("bb", user, age=timedelta(seconds=30), used=True)
    token("cc", user, age=timedelta(seconds=61))  # expired

    output = run("--token-age", "0")

    assert tokens_left() == {"aa"}
    assert "Deleted 2 token(s)" in output


@override_settings(WEBSOCKETS={"token_expiry_seconds": 600})
def test_expiry_comes_from_settings(user: User) -> None:
    token("aa", user, age=timedelta(seconds=300))
    token("bb", user, age=timedelta(seconds=601))

    run("--token-age", "0")

    assert tokens_left() == {"aa"}


def test_rate_limit_age(db: None) -> None:
    window("connect:ip:1", age=timedelta(minutes=20))
    window("connect:ip:2", age=timedelta(minutes=5))

    output = run("--rate-limit-age", "600")

    assert windows_left() == {"connect:ip:2"}
    assert "Deleted 0 token(s) and 1 rate-limit row(s)." in output


def test_default_rate_limit_age_is_an_hour(db: None) -> None:
    window("old", age=timedelta(minutes=61))
    window("young", age=timedelta(minutes=59))

    run()

    assert windows_left() == {"young"}


@override_settings(WEBSOCKETS={"rate_limit_window_minutes": 10})
def test_window_still_counting_is_kept(db: None) -> None:
    # Deleting it would hand the client a fresh budget of attempts.
    window("counting", age=timedelta(minutes=9))
    window("finished", age=timedelta(minutes=11))

    run("--rate-limit-age", "0")

    assert windows_left() == {"counting"}


@pytest.mark.parametrize(
    ("option", "value"), [("--token-age", "-1"), ("--rate-limit-age", "1.5"), ("--token-age", "x")]
)
def test_bad_ages_are_refused(option: str, value: str, user: User) -> None:
    token("aa", user, age=timedelta(days=1))
    with pytest.raises(CommandError, match=f"argument {option}"):
        run(option, value)
    assert tokens_left() == {"aa"}
