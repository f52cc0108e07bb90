"""docs/observability.md lists every instrument exactly as the code declares it."""

from __future__ import annotations

import re
from pathlib import Path

from django_aws_api_gateway_websockets.telemetry.instruments import INSTRUMENTS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "observability.md"
_ROW = re.compile(r"^\| `(websockets\.[\w.]+)` \| (.+?) \| `(.+?)` \| (.*?) \| (.+) \|$", re.M)


def documented() -> dict[str, tuple[str, str, tuple[str, ...], str]]:
    section = PAGE.read_text().split("## Metrics", 1)[1].split("\n## ", 1)[0]
    return {
        name: (kind, unit, tuple(re.findall(r"`(\w+)`", attributes)), meaning)
        for name, kind, unit, attributes, meaning in _ROW.findall(section)
    }


def test_the_table_lists_every_instrument_and_no_other() -> None:
    assert sorted(documented()) == sorted(spec.name for spec in INSTRUMENTS)


def test_each_row_matches_its_declaration() -> None:
    rows = documented()
    for spec in INSTRUMENTS:
        kind, unit, attributes, meaning = rows[spec.name]
        assert (kind, unit, attributes) == (spec.kind, spec.unit, spec.attributes), spec.name
        assert meaning.startswith(spec.meaning), spec.name


def test_no_instrument_takes_an_id_as_attribute() -> None:
    for spec in INSTRUMENTS:
        assert not any(name.endswith("id") or "user" in name for name in spec.attributes)
