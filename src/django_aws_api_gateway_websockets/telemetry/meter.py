"""The app's instruments on OpenTelemetry's global meter, or on a no-op one when switched off.

Instruments are created once per process from the API's global meter: before
a project installs an SDK they are the API's proxies (a no-op), and they start
recording when ``set_meter_provider`` is called, wherever that happens.
``WEBSOCKETS["telemetry_enabled"] = False`` swaps in a no-op meter instead.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import setting_changed
from opentelemetry import metrics

from ..conf import conf
from . import active
from .instruments import CONNECTIONS_ACTIVE, INSTRUMENTS, Instrument

SCOPE = "django_aws_api_gateway_websockets"


class Instruments:
    """One created instrument per declaration, by name."""

    def __init__(self, meter: metrics.Meter, *, observe: bool) -> None:
        self.by_name: dict[str, Any] = {
            spec.name: spec.create(meter) for spec in INSTRUMENTS if spec is not CONNECTIONS_ACTIVE
        }
        if observe:
            meter.create_observable_gauge(
                CONNECTIONS_ACTIVE.name,
                callbacks=[active.observe],
                unit=CONNECTIONS_ACTIVE.unit,
                description=CONNECTIONS_ACTIVE.meaning,
            )

    def __getitem__(self, spec: Instrument) -> Any:
        return self.by_name[spec.name]


_lock = threading.Lock()
_live: Instruments | None = None
_off: Instruments | None = None
_enabled: bool | None = None


def instruments() -> Instruments:
    """The instruments to record on: the global meter's, or no-ops when switched off."""
    global _live, _off, _enabled
    if _enabled is None:
        _enabled = conf.telemetry_enabled
    if _enabled:
        if _live is None:
            with _lock:
                if _live is None:
                    _live = Instruments(metrics.get_meter(SCOPE), observe=True)
        return _live
    if _off is None:
        _off = Instruments(metrics.NoOpMeter(SCOPE), observe=False)
    return _off


def enabled() -> bool:
    global _enabled
    if _enabled is None:
        _enabled = conf.telemetry_enabled
    return _enabled


def _forget_switch(*, setting: str, **kwargs: Any) -> None:
    # The switch is read once per process; tests (and benchmarks) flip it.
    global _enabled
    if setting == "WEBSOCKETS":
        _enabled = None
        active.forget()


setting_changed.connect(_forget_switch, dispatch_uid="django_aws_api_gateway_websockets.telemetry")
