"""An OpenTelemetry SDK for this process, with in-memory readers, as a project would install one.

OpenTelemetry's global providers can be set once per process: the first test
here sets them, and each test reads what changed since it began.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from django_aws_api_gateway_websockets.telemetry import active
from django_aws_api_gateway_websockets.testing.capture import ws_outbox  # noqa: F401
from tests.views.conftest import logged_in_client  # noqa: F401  (the views' fixture)

from .readings import Readings

_reader = InMemoryMetricReader()
_spans = InMemorySpanExporter()
_installed: list[bool] = []


def _install() -> None:
    if _installed:
        return
    metrics.set_meter_provider(MeterProvider(metric_readers=[_reader]))
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_spans))
    trace.set_tracer_provider(provider)
    _installed.append(True)


@pytest.fixture
def readings(db: None, settings: Any) -> Iterator[Readings]:
    _install()
    # Every test sees the connected rows of its own database.
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "telemetry_active_connections_cache_seconds": 0}
    active.forget()
    yield Readings(_reader)
    active.forget()


@pytest.fixture
def spans(readings: Readings) -> InMemorySpanExporter:
    _spans.clear()
    return _spans
