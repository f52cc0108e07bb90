"""What an OpenTelemetry SDK reader saw, as numbers a test can subtract."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    InMemoryMetricReader,
    MetricsData,
    Sum,
)

# (instrument name, what: "value" / "count" / "sum", attributes)
Key = tuple[str, str, frozenset[tuple[str, Any]]]


def points(data: MetricsData | None) -> Iterable[tuple[str, Any]]:
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    yield metric.name, (metric.data, point)


def read(reader: InMemoryMetricReader) -> dict[Key, float]:
    values: dict[Key, float] = {}
    for name, (data, point) in points(reader.get_metrics_data()):
        attributes = frozenset((point.attributes or {}).items())
        if isinstance(data, Histogram):
            values[(name, "count", attributes)] = point.count
            values[(name, "sum", attributes)] = point.sum
        elif isinstance(data, Sum | Gauge):
            values[(name, "value", attributes)] = point.value
    return values


class Readings:
    """Metrics since the test began: ``delta(name, **attributes)`` sums the matching points."""

    def __init__(self, reader: InMemoryMetricReader) -> None:
        self.reader = reader
        self.before = read(reader)

    def delta(self, name: str, what: str = "value", **attributes: Any) -> float:
        after = read(self.reader)
        wanted = set(attributes.items())
        return sum(
            value - self.before.get(key, 0)
            for key, value in after.items()
            if key[0] == name and key[1] == what and wanted <= key[2]
        )

    def count(self, name: str, **attributes: Any) -> float:
        """How many values a histogram recorded since the test began."""
        return self.delta(name, "count", **attributes)

    def gauge(self, name: str, **attributes: Any) -> float:
        wanted = set(attributes.items())
        return sum(
            value for key, value in read(self.reader).items() if key[0] == name and wanted <= key[2]
        )

    def series(self) -> int:
        """Time series the reader exports now (one per instrument and attribute set)."""
        return sum(1 for _ in points(self.reader.get_metrics_data()))
