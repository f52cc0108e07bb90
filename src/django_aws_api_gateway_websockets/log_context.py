"""The connection, gateway and route that every log line of the package carries.

Set once where the work starts, not at each call site: the view binds them for
the gateway request it dispatches (``views/log_fields.py``), and the transport
carries them onto its event loop. ``ContextFilter``, on every logger of the
package (``get_logger``), copies them onto each record as the attributes
``connection_id``, ``gateway`` (the API id) and ``route``, None where there is
no request (a command, a task), so that a JSON formatter, or ``%(route)s`` in a
format string, can always show them. A value passed as ``extra`` at the call wins.

Standard library only: the local gateway and the Lambda authorizer use it too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

FIELDS = ("connection_id", "gateway", "route")


@dataclass(frozen=True)
class LogFields:
    connection_id: str | None = None
    # The API Gateway id the request came through (or, refused, claimed to).
    gateway: str | None = None
    # The route's path: "connect", "disconnect", "default" or a custom route.
    route: str | None = None


# Frozen, so one shared default is safe.
_NONE = LogFields()
_current: ContextVar[LogFields] = ContextVar("dagw_log_fields", default=_NONE)


def current() -> LogFields:
    return _current.get()


@contextmanager
def bound(fields: LogFields | None = None, **changes: str | None) -> Iterator[LogFields]:
    """Log with ``fields`` (default: the current ones) and ``changes`` until the block ends."""
    value = replace(fields if fields is not None else _current.get(), **changes)
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


class ContextFilter(logging.Filter):
    """Adds the bound fields to each record that does not carry them already."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _current.get()
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, getattr(fields, name))
        return True


_FILTER = ContextFilter()


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the fields added to its records.

    A logger's filters see only the records logged through that logger, not
    its children's: every logger of the package is made here.
    """
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
