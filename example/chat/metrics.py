"""The demo's OpenTelemetry SDK: every metric of the app as Prometheus text at /metrics.

A project does the same once per process, at start-up (docs/observability.md).
The demo installs ``opentelemetry-sdk`` and ``opentelemetry-exporter-prometheus``
(the package's ``metrics`` extra); without them /metrics answers 404.
"""

from __future__ import annotations

import threading
from importlib.util import find_spec

from django.http import Http404, HttpRequest, HttpResponse

AVAILABLE = bool(find_spec("opentelemetry.sdk") and find_spec("opentelemetry.exporter.prometheus"))
_installed = threading.Event()


def install() -> None:
    """Give OpenTelemetry's global meter a Prometheus reader (once per process)."""
    if not AVAILABLE or _installed.is_set():
        return
    from opentelemetry import metrics
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource

    resource = Resource.create({"service.name": "chat-example"})
    metrics.set_meter_provider(
        MeterProvider(resource=resource, metric_readers=[PrometheusMetricReader()])
    )
    _installed.set()


def prometheus(request: HttpRequest) -> HttpResponse:
    """The metrics of this process, for a Prometheus scrape (keep it off the public internet)."""
    if not _installed.is_set():
        raise Http404("metrics need the package's [metrics] extra")
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
