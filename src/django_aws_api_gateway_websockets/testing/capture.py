"""Capture what would be sent to connections, for your own tests. No AWS, no network.

    from django_aws_api_gateway_websockets.testing import capture_messages

    with capture_messages() as outbox:
        outbox.mark_gone("gone-id")  # that connection answers 410
        result = WebSocketSession.objects.in_channel("chat").send_message({"x": 1})
    assert outbox.data_for("other-id") == [{"x": 1}]

With pytest, the ``ws_outbox`` fixture does the same for a whole test; the
package's pytest plugin provides it (see ``pytest_plugin``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.test import override_settings

from ..conf import conf
from ..transport import GONE, SENT, Delivery, Outcome, Target, get_transport, override_transport

SIMULATED_FAILURE = "LimitExceededException (HTTP 429): simulated failure"


@dataclass(frozen=True)
class CapturedMessage:
    connection_id: str
    endpoint_url: str
    data: Any  # the JSON, decoded
    raw: bytes


@dataclass(frozen=True)
class ClosedConnection:
    connection_id: str
    endpoint_url: str


class Outbox:
    """An in-memory transport that records deliveries and closes.

    Thread-safe, so that sends from a live server's threads are captured too.
    A connection marked gone, or closed through it, answers GONE from then on,
    as API Gateway does.
    """

    def __init__(self) -> None:
        self.messages: list[CapturedMessage] = []
        self.closed: list[ClosedConnection] = []
        self._gone: set[str] = set()
        self._failures: dict[str, str] = {}
        self._lock = threading.Lock()

    def mark_gone(self, *connection_ids: str) -> None:
        with self._lock:
            self._gone.update(connection_ids)

    def mark_failed(self, *connection_ids: str, reason: str = SIMULATED_FAILURE) -> None:
        with self._lock:
            self._failures.update(dict.fromkeys(connection_ids, reason))

    def data_for(self, connection_id: str) -> list[Any]:
        """Decoded messages delivered to one connection, oldest first."""
        with self._lock:
            return [m.data for m in self.messages if m.connection_id == connection_id]

    @property
    def connection_ids(self) -> list[str]:
        """Connections that received something, in first-delivery order."""
        with self._lock:
            return list(dict.fromkeys(m.connection_id for m in self.messages))

    @property
    def closed_ids(self) -> list[str]:
        with self._lock:
            return [c.connection_id for c in self.closed]

    def clear(self) -> None:
        """Forget what was recorded; gone and failing connections stay so."""
        with self._lock:
            self.messages.clear()
            self.closed.clear()

    # The transport interface (see ..transport.Transport)

    def post_to_connections(self, targets: Sequence[Target], data: bytes) -> list[Delivery]:
        decoded = json.loads(data)
        deliveries = []
        with self._lock:
            for target in targets:
                delivery = self._answer(target.connection_id)
                if delivery is SENT:
                    self.messages.append(
                        CapturedMessage(target.connection_id, target.endpoint_url, decoded, data)
                    )
                deliveries.append(delivery)
        return deliveries

    def delete_connections(self, targets: Sequence[Target]) -> list[Delivery]:
        deliveries = []
        with self._lock:
            for target in targets:
                delivery = self._answer(target.connection_id)
                if delivery is SENT:
                    self.closed.append(ClosedConnection(target.connection_id, target.endpoint_url))
                    self._gone.add(target.connection_id)
                deliveries.append(delivery)
        return deliveries

    def get_connections(self, targets: Sequence[Target]) -> list[Delivery]:
        """Every connection is open unless marked gone (or failing) or closed."""
        with self._lock:
            return [self._answer(target.connection_id) for target in targets]

    def _answer(self, connection_id: str) -> Delivery:
        if connection_id in self._gone:
            return GONE
        reason = self._failures.get(connection_id)
        return SENT if reason is None else Delivery(Outcome.FAILED, reason)


@contextmanager
def capture_messages(*, connect_grace_seconds: float = 0) -> Iterator[Outbox]:
    """Send nothing anywhere while the block runs; record it in the outbox instead.

    ``connect_grace_seconds`` is 0 here, so that ``outbox.mark_gone(id)`` marks
    even a row the test has just created closed. Pass the production value
    (``conf.connect_grace_seconds``) to test how a 410 during $connect is
    counted as pending instead.
    """
    websockets = {**conf.WEBSOCKETS, "connect_grace_seconds": connect_grace_seconds}
    with override_settings(WEBSOCKETS=websockets), override_transport(Outbox()) as outbox:
        yield outbox


def active_outbox() -> Outbox:
    """The outbox that sends go to right now; LookupError when there is none."""
    transport = get_transport()
    if not isinstance(transport, Outbox):
        raise LookupError(
            "No outbox is active, so nothing records what the app sends: read it inside "
            "`with capture_messages():`, or request the ws_outbox fixture."
        )
    return transport


# Kept importable from here for suites written before the pytest plugin existed
# (pytest itself is needed only by the fixture).
with contextlib.suppress(ImportError):
    from .pytest_plugin import ws_outbox  # noqa: F401
