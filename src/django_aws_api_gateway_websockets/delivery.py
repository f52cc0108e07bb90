"""``DeliveryReport``: what happened to each connection of one send, close or reconcile.

Every call that reaches connections through the Management API answers with
this one type, and a background task returns its ``as_summary()``. Each
connection lands in exactly one bucket: reached (``sent_ids``), gone, pending
(a 410 that may only mean "still connecting") or failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["send", "close", "reconcile"]

NO_REASON = "unknown error"


@dataclass(frozen=True)
class DeliveryReport:
    """What API Gateway answered for each connection of one call.

    ``sent_ids`` are the connections that answered 2xx: the message was
    accepted (``send``), the connection was closed (``close``) or it is open
    (``reconcile``, where they are also named ``alive_ids``).
    """

    # The first five fields keep their places: 5.0 snapshots built SendResult positionally.
    sent_ids: tuple[str, ...] = ()
    # Answered 410 (GoneException): marked closed, unless it was a dry run.
    gone_ids: tuple[str, ...] = ()
    # Always the keys of ``errors``.
    failed_ids: tuple[str, ...] = ()
    # connection id -> why it failed
    errors: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Answered 410 while possibly still in $connect; the row stays connected.
    pending_ids: tuple[str, ...] = ()
    # The failed ids whose cause may pass (throttling, a 5xx, a timeout).
    retryable_ids: tuple[str, ...] = ()
    action: Action = "send"
    # reconcile(dry_run=True): nothing was written.
    dry_run: bool = False

    def __post_init__(self) -> None:
        # ``errors`` is the record of failures and ``failed_ids`` its keys, so the
        # two cannot disagree. ``failed_ids`` stays a constructor argument in its
        # place; an id given there without a reason in ``errors`` gets one.
        errors = {**dict.fromkeys(self.failed_ids, NO_REASON), **self.errors}
        object.__setattr__(self, "errors", errors)
        object.__setattr__(self, "failed_ids", tuple(errors))

    @property
    def sent(self) -> int:
        return len(self.sent_ids)

    @property
    def alive_ids(self) -> tuple[str, ...]:
        """A reconcile's name for the connections that answered: they are open."""
        return self.sent_ids

    @property
    def alive(self) -> int:
        return self.sent

    @property
    def gone(self) -> int:
        return len(self.gone_ids)

    @property
    def failed(self) -> int:
        return len(self.failed_ids)

    @property
    def pending(self) -> int:
        return len(self.pending_ids)

    @property
    def total(self) -> int:
        return self.sent + self.gone + self.failed + self.pending

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        if not isinstance(other, DeliveryReport):
            return NotImplemented
        if other.action != self.action:
            # "sent" would mean two things in one report.
            raise TypeError(f"cannot add a {other.action} report to a {self.action} report")
        return DeliveryReport(
            sent_ids=self.sent_ids + other.sent_ids,
            gone_ids=self.gone_ids + other.gone_ids,
            errors={**self.errors, **other.errors},
            pending_ids=self.pending_ids + other.pending_ids,
            retryable_ids=self.retryable_ids + other.retryable_ids,
            action=self.action,
            dry_run=self.dry_run or other.dry_run,
        )

    def as_summary(self) -> dict[str, Any]:
        """The counts and the reason of each failure, as JSON-ready data (a task's result).

        A reconcile names its reached count ``alive``, the others ``sent``;
        ``dry_run`` appears only when it is true.
        """
        summary: dict[str, Any] = {
            "alive" if self.action == "reconcile" else "sent": self.sent,
            "gone": self.gone,
            "pending": self.pending,
            "failed": self.failed,
            "errors": dict(self.errors),
        }
        if self.dry_run:
            summary["dry_run"] = True
        return summary


# The names the result had before it was one type; both stay importable from
# ``messaging``, where 4.x and 5.0 code finds them.
SendResult = DeliveryReport
ReconcileResult = DeliveryReport
