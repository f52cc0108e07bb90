"""Checks of the background-send settings: chunk size, Tasks backend and queue."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from .test_settings_checks import check_fails, ids_for

FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"
DUMMY = f"{FRAMEWORK}.backends.dummy.DummyBackend"


@pytest.mark.parametrize("value", [0, -1])
def test_chunk_size_must_be_positive(value: int) -> None:
    message = check_fails(WEBSOCKETS={"enqueue_chunk_size": value})
    assert "dagw.E003" in message and "enqueue_chunk_size" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [("enqueue_chunk_size", "1000"), ("enqueue_backend", None), ("enqueue_queue_name", 1)],
)
def test_wrong_types(key: str, value: object) -> None:
    assert ids_for({key: value}) == ["dagw.E002"]


def test_a_backend_missing_from_tasks_fails_check() -> None:
    message = check_fails(
        WEBSOCKETS={"enqueue_backend": "websockets"}, TASKS={"default": {"BACKEND": DUMMY}}
    )
    assert "dagw.E010" in message
    assert "'websockets', which is not a backend in TASKS" in message
    assert "Name one of ['default']" in message


def test_an_empty_tasks_setting_has_no_backend() -> None:
    message = check_fails(TASKS={})
    assert "dagw.E010" in message and "'default', which is not a backend in TASKS" in message


def test_without_tasks_only_the_default_backend_exists() -> None:
    assert ids_for({"enqueue_backend": "other"}) == ["dagw.E010"]


def test_a_queue_the_backend_does_not_serve_fails_check() -> None:
    tasks = {"default": {"BACKEND": DUMMY, "QUEUES": ["emails"]}}
    # The default queue name too: nothing routes sends to a queue the backend refuses.
    message = check_fails(TASKS=tasks)
    assert "dagw.E010" in message
    assert "WEBSOCKETS['enqueue_queue_name'] is 'default'" in message
    assert ids_for({"enqueue_queue_name": "emails"}, TASKS=tasks) == []


def test_a_backend_without_queues_takes_only_the_default_queue() -> None:
    tasks = {"default": {"BACKEND": DUMMY}}
    assert ids_for({"enqueue_queue_name": "websockets"}, TASKS=tasks) == ["dagw.E010"]
    assert ids_for({}, TASKS=tasks) == []


def test_an_empty_queues_list_takes_any_queue() -> None:
    tasks = {"default": {"BACKEND": DUMMY, "QUEUES": []}}
    assert ids_for({"enqueue_queue_name": "websockets"}, TASKS=tasks) == []


def test_a_second_backend_and_queue() -> None:
    tasks = {"default": {"BACKEND": DUMMY}, "bulk": {"BACKEND": DUMMY, "QUEUES": ["ws"]}}
    assert ids_for({"enqueue_backend": "bulk", "enqueue_queue_name": "ws"}, TASKS=tasks) == []
