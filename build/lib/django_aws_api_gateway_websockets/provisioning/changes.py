"""One difference between a record and AWS, as shown to people and applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .progress import Progress


@dataclass(frozen=True)
class Change:
    action: str  # "create", "update", "delete"
    resource: str  # "api", "tags", "route", "integration", "stage", ...
    name: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.action} {self.resource} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


class ChangeLog:
    """Collects changes; applies each one at once unless this is a dry run."""

    def __init__(self, report: Progress, *, dry_run: bool) -> None:
        self.report = report
        self.dry_run = dry_run
        self.changes: list[Change] = []

    def __call__(self, change: Change, apply: Callable[[], object]) -> None:
        self.changes.append(change)
        if self.dry_run:
            self.report(f"would {change}")
            return
        self.report(f"{change} ...")
        apply()
