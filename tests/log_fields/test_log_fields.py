"""Every log line of the package carries connection_id, gateway and route (docs/logging.md)."""

from __future__ import annotations

import logging
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from django_aws_api_gateway_websockets import log_context
from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import capture_messages
from tests.conftest import API_ID

pytestmark = pytest.mark.django_db

PACKAGE = "django_aws_api_gateway_websockets"


def fields(record: logging.LogRecord) -> tuple[object, object, object]:
    return (
        getattr(record, "connection_id", "absent"),
        getattr(record, "gateway", "absent"),
        getattr(record, "route", "absent"),
    )


def package_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(PACKAGE)]


def test_lines_logged_by_several_modules_during_a_request_carry_its_fields(
    gateway: ApiGateway, caplog: pytest.LogCaptureFixture
) -> None:
    ws = WebSocketTestClient("/open-ws/", api_id=API_ID)
    with capture_messages() as outbox:
        sender, _ = ws.connect(channel="chat")
        gone, _ = ws.connect(channel="chat")
        outbox.mark_gone(gone)
        caplog.set_level(logging.INFO, logger=PACKAGE)
        # The handler sends to the channel (messaging logs the gone member), then
        # a message for an unknown connection is refused (the view logs it).
        assert ws.send(sender, {"handler": "chat", "text": "hi"}).status_code == 200
        assert ws.send("unknownconn0", {"handler": "chat"}).status_code == 404

    records = package_records(caplog)
    by_module = {record.name: fields(record) for record in records}
    assert by_module[f"{PACKAGE}.messaging"] == (sender, API_ID, "default")
    assert by_module[f"{PACKAGE}.views"] == ("unknownconn0", API_ID, "default")
    assert all(fields(record) != ("absent",) * 3 for record in records)


def test_a_disconnect_and_a_forged_header_log_what_is_well_formed(
    gateway: ApiGateway, caplog: pytest.LogCaptureFixture
) -> None:
    ws = WebSocketTestClient("/ws/", api_id=API_ID)
    caplog.set_level(logging.INFO, logger=PACKAGE)

    ws.disconnect("neverconnected")
    ws.send("bad id with spaces", {"handler": "chat"})

    disconnect, refusal = package_records(caplog)
    assert fields(disconnect) == ("neverconnected", API_ID, "disconnect")
    # A malformed connection id is not copied into the log's fields.
    assert fields(refusal) == (None, API_ID, "default")


def test_outside_a_request_the_fields_are_none(
    gateway: ApiGateway, caplog: pytest.LogCaptureFixture
) -> None:
    ws = WebSocketTestClient("/ws/", api_id=API_ID)
    with capture_messages(connect_grace_seconds=0) as outbox:
        gone, _ = ws.connect(channel="chat")
        outbox.mark_gone(gone)
        caplog.set_level(logging.INFO, logger=PACKAGE)
        call_command("reconcilewebsocketsessions", stdout=StringIO())

    (record,) = package_records(caplog)
    assert "were gone" in record.getMessage()
    assert fields(record) == (None, None, None)


def test_a_reconcile_of_one_gateway_logs_its_api_id(
    gateway: ApiGateway, caplog: pytest.LogCaptureFixture, settings: object
) -> None:
    from importlib.util import find_spec

    from django_aws_api_gateway_websockets import tasks

    framework = "django.tasks" if find_spec("django.tasks") else "django_tasks"
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": f"{framework}.backends.immediate.ImmediateBackend"}
    }
    ws = WebSocketTestClient("/ws/", api_id=API_ID)
    with capture_messages(connect_grace_seconds=0) as outbox:
        first, _ = ws.connect(channel="chat")
        second, _ = ws.connect(channel="chat")
        outbox.mark_gone(first)
        caplog.set_level(logging.INFO, logger=PACKAGE)
        call_command("reconcilewebsocketsessions", "--gateway", API_ID, stdout=StringIO())
        outbox.mark_gone(second)
        tasks.reconcile_connections.enqueue(gateway.pk)

    command, task = (r for r in package_records(caplog) if "were gone" in r.getMessage())
    assert fields(command) == fields(task) == (None, API_ID, None)


def test_an_extra_given_at_the_call_wins(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=PACKAGE)
    with log_context.bound(connection_id="bound", gateway="api", route="default"):
        logging.getLogger(f"{PACKAGE}.messaging").info("x", extra={"connection_id": "given"})

    (record,) = package_records(caplog)
    assert fields(record) == ("given", "api", "default")


def test_the_transport_loop_logs_with_the_callers_fields(caplog: pytest.LogCaptureFixture) -> None:
    # The default transport runs on its own thread's event loop, where a task
    # starts with that thread's context: the fields are carried over explicitly.
    from django_aws_api_gateway_websockets.aiohttp_transport import _event_loop

    async def log_on_the_loop() -> str:
        import threading

        logging.getLogger(f"{PACKAGE}.aiohttp_transport").warning("on the loop")
        return threading.current_thread().name

    caplog.set_level(logging.INFO, logger=PACKAGE)
    with log_context.bound(connection_id="abc", gateway="api", route="default"):
        thread = _event_loop().run(log_on_the_loop())

    (record,) = package_records(caplog)
    assert thread == "ws-transport-loop"
    assert fields(record) == ("abc", "api", "default")


def test_every_logger_of_the_package_is_made_by_get_logger() -> None:
    # A logger's filters see only its own records: one made with
    # logging.getLogger would log without the fields.
    package = Path(__file__).resolve().parents[2] / "src" / PACKAGE
    made_elsewhere = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "migrations" not in path.parts
        and "logging.getLogger(" in path.read_text()
        and path.name != "log_context.py"
    ]
    # runwebsocketgateway only adds a handler to the local gateway's logger.
    assert made_elsewhere == ["management/commands/runwebsocketgateway.py"]


def docs_json_formatter() -> type[logging.Formatter]:
    """The standard-library formatter docs/logging.md shows, run as written there."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "logging.md").read_text()
    code = next(
        block for block in page.split("```python\n")[1:] if block.startswith("import json")
    ).split("```")[0]
    namespace: dict[str, object] = {}
    exec(code, namespace)
    formatter = namespace["JsonFormatter"]
    assert isinstance(formatter, type) and issubclass(formatter, logging.Formatter)
    return formatter


def test_the_documented_json_setup_writes_the_fields(gateway: ApiGateway) -> None:
    import json

    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(docs_json_formatter()())
    handler.addFilter(log_context.ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        WebSocketTestClient("/ws/", api_id=API_ID).send("L0SM9cOFvHcCIhw=", {"handler": "chat"})
        # The handler's filter gives a project's own lines the fields too.
        with log_context.bound(route="default"):
            logging.getLogger("myproject.views").warning("a line of the project's own")
    finally:
        root.removeHandler(handler)

    package, own = (json.loads(line) for line in stream.getvalue().splitlines())
    assert package["logger"] == f"{PACKAGE}.views" and package["level"] == "WARNING"
    assert package["message"].endswith("no session for this connection id")
    assert (package["connection_id"], package["gateway"], package["route"]) == (
        "L0SM9cOFvHcCIhw=",
        API_ID,
        "default",
    )
    assert (own["logger"], own["connection_id"], own["route"]) == (
        "myproject.views",
        None,
        "default",
    )
