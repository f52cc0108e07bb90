"""Each instrument moves by the right amount on real requests (HTTP in, SDK readings out)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib.util import find_spec
from typing import Any

from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from django_aws_api_gateway_websockets import cleanup, messaging, protocol, publishing
from django_aws_api_gateway_websockets.conf import conf
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.tasks import enqueue_message, send_chunk
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox
from django_aws_api_gateway_websockets.transport import Delivery, Outcome, override_transport
from tests.conftest import API_ID

from .readings import Readings, read

WS = Callable[..., WebSocketTestClient]
# Django 6.0 ships the Tasks framework; Django 5.2 runs the django-tasks backport.
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"


def test_a_connection_counts_its_requests_and_its_close_once(
    readings: Readings, ws: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    connection_id, response = ws.connect()
    assert response.status_code == 200
    assert ws.send(connection_id, {"action": "shout", "text": "hi"}).status_code == 200
    assert ws.send(connection_id, {"action": "nothing-by-that-name"}).status_code == 200
    assert ws.disconnect(connection_id).status_code == 200
    # $disconnect may be repeated: the connection closed once.
    assert ws.disconnect(connection_id).status_code == 200

    assert readings.delta("websockets.connections.opened", gateway=API_ID) == 1
    received = "websockets.messages.received"
    assert readings.delta(received, route="connect", handler="-", status_class="2xx") == 1
    assert readings.delta(received, route="default", handler="shout", status_class="2xx") == 1
    assert readings.delta(received, route="default", handler="default", status_class="2xx") == 1
    assert readings.delta(received, route="disconnect", status_class="2xx") == 2
    assert readings.count("websockets.dispatch.duration") == 5
    assert readings.count("websockets.dispatch.duration", route="default") == 2
    assert readings.delta("websockets.dispatch.duration", "sum") > 0
    assert readings.delta("websockets.connections.closed", reason="disconnect") == 1
    assert readings.delta("websockets.connections.closed") == 1


def test_a_channel_send_counts_each_outcome_and_one_batch(
    readings: Readings, ws: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    speaker = ws.connect(channel="room").connection_id
    listener = ws.connect(channel="room").connection_id
    gone = ws.connect(channel="room").connection_id
    ws_outbox.mark_gone(gone)
    ws_outbox.mark_failed(listener)

    assert ws.send(speaker, {"action": "chat", "text": "hello"}).status_code == 200

    assert readings.delta("websockets.sends", outcome="sent", kind="multicast") == 1
    assert readings.delta("websockets.sends", outcome="gone", kind="multicast") == 1
    assert readings.delta("websockets.sends", outcome="failed", kind="multicast") == 1
    assert readings.count("websockets.send.duration", kind="multicast") == 1
    assert readings.count("websockets.fanout.size", kind="multicast") == 1
    assert readings.delta("websockets.fanout.size", "sum", kind="multicast") == 3
    assert readings.delta("websockets.connections.closed", reason="gone") == 1


def test_one_recipient_is_a_unicast(
    readings: Readings, ws: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    connection_id = ws.connect().connection_id
    WebSocketSession.objects.get(connection_id=connection_id).send_message({"hi": 1})

    assert readings.delta("websockets.sends", outcome="sent", kind="unicast") == 1
    assert readings.delta("websockets.sends", kind="multicast") == 0


def test_refusals_are_counted_by_reason(
    readings: Readings, make_ws_client: WS, ws_outbox: Outbox, logged_in_client: Client
) -> None:
    wrong_secret = make_ws_client(gateway_secret="not-it")
    with override_settings(WEBSOCKETS={**conf.WEBSOCKETS, "gateway_secret": "the-secret"}):
        assert wrong_secret.connect().response.status_code == 403
    assert make_ws_client(origin="https://evil.example").connect().response.status_code == 403
    ws = make_ws_client(client=logged_in_client)
    assert ws.connect(channel="vip").response.status_code == 403
    tight = make_ws_client("/tight-ws/")
    connection_id = tight.connect().connection_id
    statuses = [tight.send(connection_id, {"action": "shout"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    permission = make_ws_client("/any-perm-ws/", client=logged_in_client)
    denied = permission.connect().connection_id
    assert permission.send(denied, {"action": "shout"}).status_code == 403

    assert readings.delta("websockets.refusals", reason="secret") == 1
    assert readings.delta("websockets.refusals", reason="origin") == 1
    assert readings.delta("websockets.refusals", reason="channel") == 1
    assert readings.delta("websockets.refusals", reason="rate") == 1
    assert readings.delta("websockets.refusals", reason="permission") == 1
    # Refused before the gateway was recognised: the URL's slug is no attribute.
    received = "websockets.messages.received"
    assert readings.delta(received, route="unknown", status_class="4xx") == 1
    assert readings.delta(received, route="default", handler="-", status_class="4xx") == 2


def test_tokens_issued_and_refused(readings: Readings, logged_in_client: Client) -> None:
    assert logged_in_client.post("/ws-token/").status_code == 200
    assert Client().post("/ws-token/").status_code == 403

    assert readings.delta("websockets.tokens", result="issued") == 1
    assert readings.delta("websockets.tokens", result="refused") == 1


def test_publish_and_resume(
    readings: Readings,
    ws: WebSocketTestClient,
    ws_outbox: Outbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    connection_id = ws.connect(channel="news").connection_id
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish("news", {"headline": 1})
        publishing.publish("news", {"headline": 2})
    served = ws.send(connection_id, {"handler": "resume", "channel": "news", "after": 0})
    failed = ws.send(connection_id, {"handler": "resume", "channel": "news", "after": 99})
    assert served.json()[protocol.FRAME_KEY] == "resumed"
    assert failed.json()[protocol.FRAME_KEY] == "resume_failed"

    assert readings.delta("websockets.publishes") == 2
    assert readings.delta("websockets.publishes", channel="news") == 0  # off by default
    assert readings.delta("websockets.sends", outcome="sent", kind="publish") == 2
    assert readings.delta("websockets.resumes", result="served") == 1
    assert readings.delta("websockets.resumes", result="failed") == 1


def test_channel_names_only_when_allowed(
    readings: Readings, settings: Any, ws_outbox: Outbox
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "telemetry_channel_attributes": True}
    publishing.publish("news", {"headline": 1})

    assert readings.delta("websockets.publishes", channel="news") == 1


def test_presence_events(
    readings: Readings, make_ws_client: WS, ws_outbox: Outbox, logged_in_client: Client, db: None
) -> None:
    bob = User.objects.create_user("bob", password="pw")
    bobs_browser = Client()
    bobs_browser.force_login(bob)
    alice = make_ws_client("/rooms-ws/", client=logged_in_client)
    alices = alice.connect(channel="room-1").connection_id
    make_ws_client("/rooms-ws/", client=bobs_browser).connect(channel="room-1")
    alice.disconnect(alices)

    assert readings.delta("websockets.presence.events", event="member_added") == 2
    assert readings.delta("websockets.presence.events", event="member_removed") == 1
    # Bob's join told Alice, Alice's leave told Bob (Alice's join had no one to tell).
    assert readings.delta("websockets.sends", outcome="sent", kind="presence") == 2


def test_reconcile_results_and_their_closes(
    readings: Readings,
    ws: WebSocketTestClient,
    ws_outbox: Outbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alive = ws.connect().connection_id
    gone = ws.connect().connection_id
    ws_outbox.mark_gone(gone)

    # Closes are counted once they commit.
    with django_capture_on_commit_callbacks(execute=True):
        result = WebSocketSession.objects.all().reconcile()

    assert (result.alive_ids, result.gone_ids) == ((alive,), (gone,))
    assert readings.delta("websockets.reconcile.results", result="alive") == 1
    assert readings.delta("websockets.reconcile.results", result="gone") == 1
    assert readings.delta("websockets.sends", kind="reconcile") == 2
    assert readings.delta("websockets.connections.closed", reason="reconcile") == 1


def test_close_reasons(
    readings: Readings,
    make_ws_client: WS,
    ws_outbox: Outbox,
    logged_in_client: Client,
    user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ws = make_ws_client(client=logged_in_client)
    ws.connect()
    ws.connect()
    anonymous = make_ws_client()
    old = anonymous.connect().connection_id
    WebSocketSession.objects.filter(connection_id=old).update(
        created_on=timezone.now() - timedelta(hours=3)
    )
    revoked = make_ws_client(client=_logged_in(user)).connect().connection_id
    closed_app = anonymous.connect().connection_id
    # Closes are counted once they commit.
    with django_capture_on_commit_callbacks(execute=True):
        logged_in_client.logout()
        cleanup.clear_sessions()
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    with django_capture_on_commit_callbacks(execute=True):
        messaging.close_connections(WebSocketSession.objects.filter(connection_id=closed_app))

    assert readings.delta("websockets.connections.closed", reason="logout") == 2
    assert readings.delta("websockets.connections.closed", reason="expiry") == 1
    assert readings.delta("websockets.connections.closed", reason="revoked") == 1
    assert readings.delta("websockets.connections.closed", reason="application") == 1
    assert not WebSocketSession.objects.get(connection_id=revoked).connected


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_background_chunks(readings: Readings, ws: WebSocketTestClient, ws_outbox: Outbox) -> None:
    for _ in range(3):
        ws.connect(channel="crowd")
    # The test settings' immediate backend runs each chunk as it is enqueued.
    with override_settings(WEBSOCKETS={**conf.WEBSOCKETS, "enqueue_chunk_size": 2}):
        results = enqueue_message(WebSocketSession.objects.in_channel("crowd"), {"hi": 1})

    assert len(results) == 2
    assert readings.delta("websockets.task.chunks", state="enqueued") == 2
    assert readings.delta("websockets.task.chunks", state="run") == 2
    assert readings.delta("websockets.sends", outcome="sent", kind="multicast") == 3


def test_active_connections_per_gateway(
    readings: Readings, ws: WebSocketTestClient, ws_outbox: Outbox, settings: Any
) -> None:
    first = ws.connect().connection_id
    ws.connect()
    assert readings.gauge("websockets.connections.active", gateway=API_ID) == 2

    settings.WEBSOCKETS = {**conf.WEBSOCKETS, "telemetry_active_connections_cache_seconds": 3600}
    ws.disconnect(first)
    assert readings.gauge("websockets.connections.active", gateway=API_ID) == 1  # read anew
    ws.connect()
    # Cached for the interval: one query per interval, however often it is read.
    assert readings.gauge("websockets.connections.active", gateway=API_ID) == 1


def test_switched_off_nothing_moves(
    readings: Readings, ws: WebSocketTestClient, ws_outbox: Outbox, settings: Any
) -> None:
    settings.WEBSOCKETS = {**conf.WEBSOCKETS, "telemetry_enabled": False}
    connection_id = ws.connect(channel="room").connection_id
    ws.send(connection_id, {"action": "chat", "text": "hello"})

    assert readings.delta("websockets.connections.opened") == 0
    assert readings.delta("websockets.messages.received") == 0
    assert readings.delta("websockets.sends") == 0


def test_no_attribute_carries_an_id(
    readings: Readings, make_ws_client: WS, ws_outbox: Outbox, logged_in_client: Client, user: User
) -> None:
    ws = make_ws_client(client=logged_in_client)
    connection_id = ws.connect(channel="room").connection_id
    ws.send(connection_id, {"action": "chat", "text": "hello"})
    ws.disconnect(connection_id)

    values = {str(value) for key in readings.before | _now(readings) for _, value in key[2]}
    assert connection_id not in values
    assert str(user.pk) not in values and user.get_username() not in values


def _now(readings: Readings) -> dict[Any, float]:
    return read(readings.reader)


class Throttled:
    """A transport whose every answer is a failure that may pass (a 429 past its timeout)."""

    def post_to_connections(self, targets: Any, data: bytes) -> list[Delivery]:
        return [Delivery(Outcome.FAILED, "LimitExceededException (HTTP 429)", True)] * len(targets)

    delete_connections = get_connections = post_to_connections


def test_a_chunk_enqueued_again_is_counted(
    readings: Readings, ws: WebSocketTestClient, ws_outbox: Outbox, settings: Any
) -> None:
    for _ in range(2):
        ws.connect(channel="crowd")
    # Stored, not run: a worker would run them; the test runs the first itself.
    settings.TASKS = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}
    [first] = enqueue_message(WebSocketSession.objects.in_channel("crowd"), {"hi": 1})

    with override_transport(Throttled()):
        outcome = send_chunk.call(*first.args, **first.kwargs)

    assert outcome["requeued"] == 2
    assert readings.delta("websockets.task.chunks", state="enqueued") == 1
    assert readings.delta("websockets.task.chunks", state="run") == 1
    assert readings.delta("websockets.task.chunks", state="requeued") == 1
    assert readings.delta("websockets.sends", outcome="failed", kind="multicast") == 2
